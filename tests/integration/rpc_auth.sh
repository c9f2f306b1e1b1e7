#!/bin/bash
# Who may do what on the control sockets: root changes, a member of the qwikvirt group (by a
# supplementary group only) reads but may not change, and nothing changes when it tries;
# anyone else is refused; --admin-group lets its members change. Also the socket itself:
# root:qwikvirt 0660, and no socket in a directory others may write to.
. "$(dirname "$0")/lib.sh"
here=$(dirname "$0")
. "$here/rpc_users.sh"

check_eq "qvtest-member's primary group is not qwikvirt" qvtest-member "$(id -gn qvtest-member)"

switch_start
check_eq "switch socket owner and mode" "660 root:qwikvirt" "$(stat -c '%a %U:%G' "$T/sw.sock")"
[ -f "$T/sw.sock.lock" ] || fail "no lock file next to the socket"
pass "lock file $T/sw.sock.lock"

qvctl port add a vhost "$T/a.sock" >/dev/null
qvctl flow add 'in=a actions=drop' >/dev/null
state() { qjson show ports | jq -c '[.ports[] | {name, type, default, admin}]'; qjson show flows | jq -c '[.flows[] | {id, text}]'; }
before=$(state)

mctl() { as qvtest-member "$QVCTL_BIN" --switch "$T/sw.sock" "$@"; }
# expect_refused WHAT WORDS USER qvctl-args...: exit status non-zero, WORDS on stderr
expect_refused() {
    local what=$1 words=$2 user=$3 out rc=0
    shift 3
    out=$(as "$user" "$QVCTL_BIN" --switch "$T/sw.sock" "$@" 2>&1) || rc=$?
    [ $rc -ne 0 ] || fail "$what: succeeded, expected a refusal (output: $out)"
    check_contains "$what" "$words" "$out"
}

# ---- a member reads ----
out=$(mctl show ports) || fail "member: qvctl show ports failed: $out"
check_contains "member reads the ports (qvctl show ports)" "vhost" "$out"
check_eq "member reads port a" a "$(mctl --json show ports | jq -r '.ports[].name')"
mctl show flows >/dev/null || fail "member: qvctl show flows failed"
mctl show drops >/dev/null || fail "member: qvctl show drops failed"
pass "member reads ports, flows, drops"
check_eq "member: rpc.list says port.add is admin, port.list read" "admin read" \
    "$(mctl --json call rpc.list | jq -r '[(.methods[] | select(.name == "port.add") | .access), (.methods[] | select(.name == "port.list") | .access)] | join(" ")')"

# ---- a member does not change, and nothing changes ----
expect_refused "member: port add refused" \
    "permission denied: port.add changes qv-switchd; only root may call it" \
    qvtest-member port add c vhost "$T/c.sock"
expect_refused "member: port del refused" "permission denied: port.del" qvtest-member port del a
expect_refused "member: flow add refused" "permission denied: flow.add" qvtest-member \
    flow add 'in=a actions=output:a'
expect_refused "member: stats clear refused" "permission denied: stats.clear" qvtest-member stats clear
out=$(printf '%s\n' '{"jsonrpc":"2.0","id":7,"method":"port.del","params":{"name":"a"}}' |
    as qvtest-member "$SYS_PY" "$here/rpc_raw.py" "$T/sw.sock")
check_eq "member: refusal code and id" "-32001 7" "$(echo "$out" | jq -r '"\(.error.code) \(.id)"')"
check_eq "member's attempts changed nothing" "$before" "$(state)"
[ ! -e "$T/c.sock" ] || fail "a refused port.add created $T/c.sock"
pass "no vhost socket created by the refused port.add"

# ---- anyone else ----
expect_refused "other: refused at connect by the socket's mode" "Permission denied" qvtest-other show ports
# with the kernel's checks out of the way, the server itself refuses
chmod o+x "$T"
chmod 0666 "$T/sw.sock"
expect_refused "other: refused by the server" "permission denied: uid $(id -u qvtest-other) is not allowed on $T/sw.sock" \
    qvtest-other show ports
chmod 0660 "$T/sw.sock"
chmod o-x "$T"
check_eq "nothing changed" "$before" "$(state)"

# ---- qv-controld: the same model ----
controld_start
check_eq "controld socket owner and mode" "660 root:qwikvirt" "$(stat -c '%a %U:%G' "$T/cd.sock")"
cctl() { as qvtest-member "$QVCTL_BIN" --switch "$T/sw.sock" --controld "$T/cd.sock" "$@"; }
cctl show controld >/dev/null || fail "member: qvctl show controld failed"
pass "member reads qv-controld's state"
cat >"$T/svc.yaml" <<Y
switch:
  socket-dir: $T
ports:
  - {name: uplink, type: vhost, path: $T/uplink.sock}
  - {name: lan, type: vhost, path: $T/lan.sock}
chains:
  - {name: web, from: uplink, to: lan}
Y
chmod 0644 "$T/svc.yaml"
out=$(cctl apply "$T/svc.yaml" 2>&1) && fail "member: apply succeeded: $out"
check_contains "member: apply refused" "permission denied: apply changes qv-controld" "$out"
check_eq "qv-controld applied nothing" null "$(qvc --json show controld | jq -c '.file')"

# ---- --admin-group: its members change, members of qwikvirt alone still only read ----
switch_stop
# (one CI run saw qv-switchd's getgrnam miss this group a second after groupadd made it: say
# whether the group itself was gone)
getent group qvtest-admins >/dev/null || fail "group qvtest-admins is gone from /etc/group"
switch_start --admin-group qvtest-admins
qvctl port add a vhost "$T/a.sock" >/dev/null
out=$(as qvtest-admin "$QVCTL_BIN" --switch "$T/sw.sock" port add b vhost "$T/b.sock" 2>&1) ||
    fail "admin-group member: port add failed: $out"
check_eq "admin-group member added port b" "b" "$(qjson show ports | jq -r '.ports[] | select(.name == "b") | .name')"
expect_refused "member: still refused, naming the admin group" \
    "only root or members of group qvtest-admins may call it" qvtest-member port del b
check_eq "port b still there" "b" "$(qjson show ports | jq -r '.ports[] | select(.name == "b") | .name')"

# ---- the socket's directory ----
mkdir "$T/open"
chmod 0777 "$T/open"
rc=0
"$CONTROLD_BIN" --no-vms --socket "$T/open/cd.sock" --switch "$T/sw.sock" --state-dir "$T/state2" \
    >"$T/controld-open.log" 2>&1 || rc=$?
check_eq "qv-controld refuses a world-writable socket directory (exit status)" 1 "$rc"
check_contains "  ... saying why" "unsafe socket directory: $T/open is writable by everyone" \
    "$(cat "$T/controld-open.log")"
[ ! -e "$T/open/cd.sock" ] || fail "a socket was created in $T/open"
rc=0
"$CONTROLD_BIN" --no-vms --socket "$T/cd2.sock" --switch "$T/sw.sock" --state-dir "$T/state2" \
    --admin-group qvtest-nosuchgroup >"$T/controld-nogroup.log" 2>&1 || rc=$?
check_eq "an unknown --admin-group stops qv-controld" 1 "$rc"
check_contains "  ... naming the group" "--admin-group qvtest-nosuchgroup: no such group" \
    "$(cat "$T/controld-nogroup.log")"
