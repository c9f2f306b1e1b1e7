#!/bin/bash
# Paths a request names stay in their directories: a qwikvirt group member captures into
# --capture-dir and nowhere else (.., a symlink, an absolute path out: refused, nothing made),
# no clobber without --force and --force really overwrites; members stop only their own
# captures and cannot replace another user's trace; vhost sockets only under --vhost-dir;
# vdev devargs only for known drivers and keys, their files confined too.
. "$(dirname "$0")/lib.sh"
here=$(dirname "$0")
. "$here/rpc_users.sh"

mkdir -m 0755 "$T/vh"
switch_start --capture-dir "$T/cap" --vhost-dir "$T/vh"
C=$T/cap
check_eq "capture dir made: mode, owner, group" "2750 root:qwikvirt" "$(stat -c '%a %U:%G' "$C")"
qvctl port add a vhost a.sock >/dev/null
check_eq "a relative vhost path lands in --vhost-dir" "$T/vh/a.sock" "$(port_field a path)"
[ -S "$T/vh/a.sock" ] || fail "no socket $T/vh/a.sock"

mctl() { as qvtest-member "$QVCTL_BIN" --switch "$T/sw.sock" "$@"; }
# refused WHAT WORDS CMD...: exit status non-zero and WORDS in the message
refused() {
    local what=$1 words=$2 out rc=0
    shift 2
    out=$("$@" 2>&1) || rc=$?
    [ $rc -ne 0 ] || fail "$what: succeeded, expected a refusal (output: $out)"
    check_contains "$what" "$words" "$out"
}
caps() { qjson capture list | jq -c '[.captures[] | {id, state}]'; }

# ---- a member captures into the capture directory ----
out=$(mctl --json capture start a --file m.pcapng) || fail "member: capture start failed: $out"
mid=$(echo "$out" | jq -r .id)
check_eq "member's capture file, resolved in the capture dir" "$C/m.pcapng" "$(echo "$out" | jq -r .file)"
[ -f "$C/m.pcapng" ] || fail "no $C/m.pcapng"
check_eq "capture owned by the member's uid" "$(id -u qvtest-member)" "$(qjson capture list | jq -r ".captures[] | select(.id == $mid) | .owner")"

# ---- escapes: refused, nothing created ----
ln -s "$T" "$C/esc"
ln -s "$T/victim" "$C/leaf.pcapng"
echo precious >"$T/victim"
before=$(caps)
refused "member: .. refused" "has a '..' component" mctl capture start a --file ../x.pcapng
refused "member: absolute path outside refused" "is outside" mctl capture start a --file "$T/x.pcapng"
refused "member: /etc refused" "is outside" mctl capture start a --file /etc/qvtest-x
refused "member: symlinked directory refused" "is a symbolic link" mctl capture start a --file esc/x.pcapng
refused "member: symlink leaf refused with --force" "symbolic link" mctl capture start a --force --file leaf.pcapng
refused "member: missing sub-directory" "does not exist" mctl capture start a --file nodir/x.pcapng
check_eq "nothing started by the refused captures" "$before" "$(caps)"
[ ! -e "$T/x.pcapng" ] && [ ! -e /etc/qvtest-x ] || fail "a refused capture created a file outside"
check_eq "the symlink's target untouched" precious "$(cat "$T/victim")"
pass "escapes refused, nothing created"

# ---- no clobber without --force; --force overwrites ----
printf 'OLDDATA-%.0s' {1..200} >"$C/old.pcapng"
refused "member: existing file refused" "already exists (--force to overwrite it)" \
    mctl capture start a --file old.pcapng
check_contains "existing file untouched" OLDDATA "$(cat "$C/old.pcapng")"
fid=$(mctl --json capture start a --force --file old.pcapng | jq -r .id)
mctl capture stop "$fid" >/dev/null || fail "member: cannot stop its own capture $fid"
grep -q OLDDATA "$C/old.pcapng" && fail "--force did not overwrite old.pcapng"
check_eq "--force: a fresh pcapng (tshark reads it)" 0 "$(tshark -r "$C/old.pcapng" 2>/dev/null | wc -l)"
ln "$C/old.pcapng" "$C/hard.pcapng"
refused "a hard-linked file is not overwritten" "one link" mctl capture start a --force --file hard.pcapng
pass "no clobber without --force, --force overwrites"

# ---- owners: a member stops only its own; root any ----
rid=$(qjson capture start a --file root.pcapng | jq -r .id)
refused "member: cannot stop root's capture" "was started by uid 0" mctl capture stop "$rid"
check_eq "root's capture still running" running "$(qjson capture list | jq -r ".captures[] | select(.id == $rid) | .state")"
qvctl capture stop "$mid" >/dev/null || fail "root cannot stop the member's capture"
qvctl capture stop "$rid" >/dev/null
pass "capture owners"

# ---- traces: not over another user's trace that is still filling ----
trc() { echo "call trace.start {\"port\":\"a\",\"count\":$1}"; }
qvctl $(trc 5) >/dev/null
refused "member: cannot replace root's trace" "started by uid 0 and is still filling" mctl $(trc 3)
qvctl $(trc 4) >/dev/null || fail "root cannot replace its trace"
refused "member: nor root's next one" "started by uid 0" mctl $(trc 2)
pass "trace owners"

# ---- vhost sockets: only under --vhost-dir ----
ln -s "$T" "$T/vh/esc"
refused "vhost socket outside refused" "is outside" qvctl port add o vhost "$T/o.sock"
refused "vhost socket via .. refused" "'..' component" qvctl port add o vhost ../o.sock
refused "vhost socket via a symlinked dir refused" "symbolic link" qvctl port add o vhost esc/o.sock
[ ! -e "$T/o.sock" ] || fail "a refused port.add created $T/o.sock"
check_eq "no port o" "" "$(port_field o name)"
pass "vhost sockets confined"

# ---- vdev devargs: known drivers, known keys, files confined ----
refused "tx_pcap=/etc/... refused" "is outside" qvctl port add p dpdk "net_pcap0,tx_pcap=/etc/qvtest-x"
[ ! -e /etc/qvtest-x ] || fail "/etc/qvtest-x was created"
refused "tx_pcap with .. refused" "'..' component" qvctl port add p dpdk "net_pcap0,tx_pcap=../x.pcap"
refused "tx_pcap through a symlink refused" "symbolic link" qvctl port add p dpdk "net_pcap0,tx_pcap=esc/x.pcap"
refused "tx_pcap over an existing file refused" "already exists" qvctl port add p dpdk "net_pcap0,tx_pcap=old.pcapng"
refused "rx_pcap must exist" "does not exist" qvctl port add p dpdk "net_pcap0,rx_pcap=none.pcap"
refused "unknown key refused, naming it" "takes no key 'foo'" qvctl port add p dpdk "net_ring0,foo=1"
refused "unknown driver refused" "not a PCI address or a device of an allowed vdev driver" \
    qvctl port add p dpdk "net_bonding0,slave=x"
refused "af_xdp's program file refused" "takes no key 'xdp_prog'" \
    qvctl port add p dpdk "net_af_xdp0,iface=lo,xdp_prog=/tmp/x.o"
refused "virtio_user socket outside --vhost-dir" "is outside" \
    qvctl port add p dpdk "net_virtio_user9,path=/tmp/qvtest-x.sock"
# net_pcap opens one queue per rx/tx key at probe, DPDK 22.11 closes only the configured one's
refused "a key given twice refused" "key 'tx_pcap' of device net_pcap0 is given twice" \
    qvctl port add p dpdk "net_pcap0,tx_pcap=t1.pcap,tx_pcap=t2.pcap"
refused "a second rx queue of net_pcap refused" "key 'rx_iface' gives device net_pcap0 a second rx queue" \
    qvctl port add p dpdk "net_pcap0,rx_pcap=old.pcapng,rx_iface=lo"
[ ! -e "$C/t1.pcap" ] && [ ! -e "$C/t2.pcap" ] || fail "a refused net_pcap port created its tx_pcap"
code=$(printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"port.add","params":{"name":"p","type":"dpdk","devargs":"net_pcap0,tx_pcap=/etc/qvtest-x"}}' |
    "$SYS_PY" "$here/rpc_raw.py" "$T/sw.sock" | jq -r .error.code)
check_eq "refused devargs are -32602" -32602 "$code"
check_eq "no port p" "" "$(port_field p name)"
qvctl port add p dpdk "net_pcap0,tx_pcap=good.pcap" >/dev/null || fail "a good tx_pcap was refused"
[ -f "$C/good.pcap" ] || fail "net_pcap did not create $C/good.pcap"
check_contains "the port's devargs carry the resolved path" "tx_pcap=$C/good.pcap" "$(port_field p devargs)"
pass "devargs allow-listed and confined"

# ---- the switch's config file ports are held to the same rules ----
switch_stop
cat >"$T/sw.yaml" <<Y
ports:
  - {name: out, type: vhost, path: $T/out.sock}
Y
rc=0
timeout 120 "$SWITCHD_BIN" --config "$T/sw.yaml" --socket "$T/sw2.sock" --capture-dir "$C" --vhost-dir "$T/vh" \
    --pmd-cores "$PMD_CPU" --main-core "$CTL_CPU" --file-prefix "qvt2$$" --mbufs 8192 \
    >"$T/switch2.log" 2>&1 || rc=$?
check_eq "a config-file port outside --vhost-dir stops the switch" 1 "$rc"
check_contains "  ... naming the file, the port and why" "port 'out': parameter 'path'" "$(cat "$T/switch2.log")"
[ ! -e "$T/out.sock" ] || fail "the refused config port created $T/out.sock"
