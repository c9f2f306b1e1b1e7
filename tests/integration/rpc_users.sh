# rpc_users.sh - test users for the access tests (source it after lib.sh). Creates the qwikvirt
# group (unless it exists), qvtest-member (supplementary group qwikvirt only: its primary group
# is its own), qvtest-other (no group of ours) and qvtest-admin (qwikvirt + qvtest-admins), and
# removes all it created when the test exits, whatever happens. as USER CMD... runs CMD as USER
# with that user's groups.
[ "$(id -u)" = 0 ] || { echo "$TEST_NAME: needs root (it creates test users); skipped"; exit 77; }

QV_USERS_MADE_GROUP=no
users_remove() {
    local u
    for u in qvtest-member qvtest-other qvtest-admin; do
        id "$u" >/dev/null 2>&1 && userdel "$u" >/dev/null 2>&1
    done
    getent group qvtest-admins >/dev/null && groupdel qvtest-admins >/dev/null 2>&1
    [ "$QV_USERS_MADE_GROUP" = yes ] && groupdel qwikvirt >/dev/null 2>&1
    return 0
}
# lib.sh's cleanup reads $? first: give it the test's status back after removing the users
trap 'st_=$?; set +e; users_remove; (exit $st_); cleanup' EXIT

users_remove # leftovers of an earlier run that was killed
# a system group, as the package makes it (debian/qwikvirt.postinst)
getent group qwikvirt >/dev/null || { groupadd --system qwikvirt && QV_USERS_MADE_GROUP=yes; }
groupadd -f qvtest-admins || fail "groupadd qvtest-admins failed"
useradd --system --no-create-home --shell /usr/sbin/nologin --user-group -G qwikvirt qvtest-member ||
    fail "useradd qvtest-member failed"
useradd --system --no-create-home --shell /usr/sbin/nologin --user-group qvtest-other ||
    fail "useradd qvtest-other failed"
useradd --system --no-create-home --shell /usr/sbin/nologin --user-group -G qwikvirt,qvtest-admins \
    qvtest-admin || fail "useradd qvtest-admin failed"

# the users cannot run root's python (a pyenv shim under /root): the system's, stdlib only
SYS_PY=/usr/bin/python3
[ -x "$SYS_PY" ] || SYS_PY=$(command -v python3)

as() { # as USER CMD...: CMD with USER's uid, primary group and supplementary groups
    local u=$1
    shift
    setpriv --reuid="$u" --regid="$u" --init-groups -- "$@"
}

# The work dir: readable (not writable) by the group, so members reach the sockets in it.
chgrp qwikvirt "$T"
chmod 0750 "$T"
