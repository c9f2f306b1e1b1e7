#!/bin/bash
# The Debian package, end to end on this host (root): dpkg-buildpackage -us -uc -b builds
# qwikvirt_*.deb from a copy of the tree, lintian finds no error, it holds what an operator
# needs (programs, units, default options, hugepages, man pages, completion, examples), dpkg -i
# installs it (each program answers --help, the qwikvirt group exists with libvirt-qemu in it,
# the installed units pass systemd-analyze verify), and dpkg -r then dpkg --purge leave nothing
# of it behind (a qwikvirt group or membership that was there before stays).
. "$QV_SRC/tests/integration/lib.sh"

[ "$(id -u)" = 0 ] || { echo "deb: needs root (dpkg -i); skipped"; exit 77; }
for tool in dpkg-buildpackage lintian systemd-analyze; do
    command -v $tool >/dev/null || fail "$tool missing: run scripts/setup-host.sh"
done
if dpkg-query -W -f='${Status}' qwikvirt 2>/dev/null | grep -q installed; then
    fail "qwikvirt is already installed here: dpkg --purge qwikvirt first (this test installs and purges it)"
fi

# what of qwikvirt exists on the host, outside the package database's own files and this test
traces() {
    find /etc /lib /usr /var -xdev \( -path /var/cache -o -path /var/tmp -o -path /var/log \
        -o -path /usr/src \) -prune -o \( -name '*qwikvirt*' -o -name 'qv-*' -o -name 'qvctl*' \) \
        -print 2>/dev/null | sort
    # the package's group is a system one; a test of another part may make a plain qwikvirt
    # group of its own meanwhile (its socket permission tests), which is none of ours
    getent group qwikvirt | awk -F: '$3 < 1000' || true
}
traces >"$T/before.txt"

# dpkg takes a lock that a concurrent apt-get may hold: wait for it, with a deadline
dpkg_retry() {
    local i
    for ((i = 0; i < 300; i++)); do
        dpkg "$@" >"$T/dpkg.log" 2>&1 && return 0
        grep -q "lock" "$T/dpkg.log" || { cat "$T/dpkg.log" >&2; return 1; }
        sleep 1
    done
    cat "$T/dpkg.log" >&2
    return 1
}
INSTALLED=0
pkg_cleanup() { [ $INSTALLED = 0 ] || dpkg_retry --purge qwikvirt || true; }
trap 'rc=$?; set +e; pkg_cleanup; (exit $rc); cleanup' EXIT

# ---- build ------------------------------------------------------------------------------------
version=$(dpkg-parsechangelog -l "$QV_SRC/debian/changelog" -S Version)
src=$T/src/qwikvirt-$version
mkdir -p "$src"
if git -C "$QV_SRC" rev-parse --git-dir >/dev/null 2>&1; then
    # the tree as committed plus what is not ignored: never a build directory
    (cd "$QV_SRC" && git ls-files -z --cached --others --exclude-standard |
        xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' _ |
        tar --null -T - -cf -) | tar -C "$src" -xf -
else
    tar -C "$QV_SRC" --exclude=./build --exclude='./build-*' --exclude='./obj-*' -cf - . |
        tar -C "$src" -xf -
fi
start=$(date +%s)
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1 ||
    fail "dpkg-buildpackage failed (last lines of $T/build.log: $(tail -5 "$T/build.log"))"
log "dpkg-buildpackage took $(($(date +%s) - start)) s"
deb=$(ls "$T"/src/qwikvirt_"${version}"_*.deb)
[ -f "$deb" ] || fail "no qwikvirt_${version}_*.deb built"
pass "built $(basename "$deb")"

# a baseline CPU, never the build host's: the last -march of every compile command is x86-64-v2
# (debian/rules' CFLAGS), and none is -march=native once the tree has its -Dmarch option
cc_cmds=$(ls "$src"/obj-*/compile_commands.json)
out=$(python3 - "$cc_cmds" <<'PY'
import json, sys
bad = set()
cmds = json.load(open(sys.argv[1]))
for c in cmds:
    march = [a for a in c["command"].split() if a.startswith("-march=")]
    if not march or march[-1] != "-march=x86-64-v2":
        bad.add(c["file"] + ": " + " ".join(march))
print(len(cmds), len(bad))
for b in sorted(bad)[:5]:
    print(b)
PY
)
read -r n_cmds n_bad <<<"$(head -1 <<<"$out")"
[ "$n_cmds" -gt 20 ] || fail "compile_commands.json of the package build has $n_cmds commands"
[ "$n_bad" = 0 ] || fail "compile commands whose last -march is not x86-64-v2: $out"
pass "all $n_cmds compile commands end with -march=x86-64-v2"
if grep -q "^option('march'" "$QV_SRC/meson_options.txt"; then
    ! grep -q -- "-march=native" "$cc_cmds" || fail "the package build passed -march=native"
    pass "no -march=native at all (-Dmarch=x86-64-v2)"
fi

# ---- lintian ----------------------------------------------------------------------------------
lintian --fail-on error "$T"/src/qwikvirt_"${version}"_*.changes >"$T/lintian.log" 2>&1 ||
    fail "lintian: $(grep -E '^E:' "$T/lintian.log" | head -20)"
check_eq "lintian: no error" 0 "$(grep -c '^E:' "$T/lintian.log" || true)"

# ---- contents ---------------------------------------------------------------------------------
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$T/contents.txt"
for f in /usr/bin/qv-switchd /usr/bin/qv-controld /usr/bin/qvctl /usr/bin/qv-bench \
    /usr/bin/qv-exporter /lib/systemd/system/qv-exporter.service \
    /usr/share/man/man8/qv-exporter.8.gz /usr/share/bash-completion/completions/qv-exporter \
    /usr/lib/tmpfiles.d/qwikvirt.conf \
    /lib/systemd/system/qv-switchd.service /lib/systemd/system/qv-controld.service \
    /etc/default/qwikvirt /etc/qwikvirt/switchd.yaml /usr/lib/sysctl.d/60-qwikvirt-hugepages.conf \
    /usr/share/man/man8/qv-switchd.8.gz /usr/share/man/man8/qv-controld.8.gz \
    /usr/share/man/man8/qvctl.8.gz /usr/share/man/man1/qv-bench.1.gz \
    /usr/share/man/man5/qwikvirt.yaml.5.gz /usr/share/bash-completion/completions/qvctl \
    /usr/share/doc/qwikvirt/copyright; do
    grep -qx "$f" "$T/contents.txt" || fail "the package lacks $f"
done
for f in "$QV_SRC"/configs/*.yaml; do
    grep -qx "/usr/share/doc/qwikvirt/examples/$(basename "$f")" "$T/contents.txt" ||
        fail "the package lacks the example $(basename "$f")"
done
pass "the package holds programs, units, options, hugepages, man pages, completion, examples"
! grep -qE '/test_|qv-peer|qv-mkpcap' "$T/contents.txt" || fail "test programs in the package"
pass "no test program in the package"

# ---- install ----------------------------------------------------------------------------------
INSTALLED=1
dpkg_retry -i "$deb" || fail "dpkg -i $(basename "$deb") failed"
for p in qv-switchd qv-controld qvctl qv-bench qv-exporter; do
    out=$("/usr/bin/$p" --help) || fail "/usr/bin/$p --help: exit $?"
    check_contains "installed $p answers --help" "sage: " "$out"
done
getent group qwikvirt >/dev/null || fail "no qwikvirt group after dpkg -i"
pass "the qwikvirt group exists"
man_opt=--man=no
command -v man >/dev/null && man_opt=--man=yes
out=$(systemd-analyze verify $man_opt /lib/systemd/system/qv-switchd.service \
    /lib/systemd/system/qv-controld.service /lib/systemd/system/qv-exporter.service 2>&1) ||
    fail "systemd-analyze verify: $out"
check_eq "installed units pass systemd-analyze verify ($man_opt)" "" "$out"
out=$(/usr/bin/qvctl check /usr/share/doc/qwikvirt/examples/web.yaml) ||
    fail "qvctl check on the installed example: $out"
check_contains "installed qvctl checks an installed example" "valid; the plan" "$out"
for c in qvctl qv-exporter; do
    bash -n /usr/share/bash-completion/completions/$c || fail "bash -n on the installed completion $c"
done
pass "bash -n on the installed completions"
# QEMU runs as libvirt-qemu and reaches the vhost-user sockets through the qwikvirt group
if getent passwd libvirt-qemu >/dev/null; then
    id -nG libvirt-qemu | tr ' ' '\n' | grep -qx qwikvirt || fail "libvirt-qemu is not in group qwikvirt"
    pass "libvirt-qemu is in group qwikvirt"
fi
check_eq "the VMs' socket directory (tmpfiles.d)" "root:qwikvirt 3770" \
    "$(stat -c '%U:%G %a' /run/qwikvirt/vhost 2>&1)"
dpkg -L qwikvirt >"$T/installed.txt"

# ---- remove, then purge -----------------------------------------------------------------------
dpkg_retry -r qwikvirt || fail "dpkg -r qwikvirt failed"
left=$(while read -r f; do if [ -f "$f" ]; then echo "$f"; fi; done <"$T/installed.txt")
check_eq "dpkg -r leaves only the conffiles" "/etc/default/qwikvirt /etc/qwikvirt/switchd.yaml" \
    "$(echo $left)"
dpkg_retry --purge qwikvirt || fail "dpkg --purge qwikvirt failed"
INSTALLED=0
left=$(while read -r f; do if [ -e "$f" ] && ! [ -d "$f" ]; then echo "$f"; fi; done <"$T/installed.txt")
check_eq "dpkg --purge leaves no file of the package" "" "$left"
traces >"$T/after.txt"
check_eq "the host is as before (files named qwikvirt/qv-*, the group)" "" \
    "$(diff "$T/before.txt" "$T/after.txt" || true)"
