#!/bin/bash
# qv-switchd --config FILE: errors as FILE:LINE:COLUMN with exit 2 (unknown key, wrong type,
# bad core list, bad log level); an option overrides the file's value, a value the options do
# not name comes from the file; the file's startup ports and rules are there (qvctl show
# ports/flows). The log: one timestamped line per port up/down event, with the port's name and
# the reason, the flow table published with its size, DPDK's own lines with levels.
. "$(dirname "$0")/lib.sh"

# ---- errors: FILE:LINE:COLUMN, exit 2, nothing started ---------------------------------
expect_error() { # expect_error WHAT FILE-CONTENT EXPECTED-LINE
	printf '%s\n' "$2" >"$T/bad.yaml"
	local rc=0 out
	out=$("$SWITCHD_BIN" --config "$T/bad.yaml" --socket "$T/bad.sock" 2>&1) || rc=$?
	check_eq "$1: exit status" 2 "$rc"
	check_contains "$1: FILE:LINE:COLUMN" "$T/bad.yaml:$3" "$out"
	[ ! -e "$T/bad.sock" ] || fail "$1: a control socket was opened"
}
expect_error "unknown key" $'mbufs: 8192\nhugepage: true' \
	"2:1: unknown key 'hugepage' (expected one of: socket, pmd-cores,"
expect_error "wrong type" $'l2-aging: [1]' "1:11: 'l2-aging': found a list, expected a number 1..86400"
expect_error "wrong value" $'mbufs: lots' "1:8: 'mbufs': found 'lots', expected a number 1024..16777216"
expect_error "bad core list (not a CPU)" $'pmd-cores: [1, two]' \
	"1:16: 'pmd-cores': found 'two', expected a CPU number 0..1023"
expect_error "bad core list (twice)" $'pmd-cores:\n  - 1\n  - 1' "3:5: 'pmd-cores': CPU 1 is in the list twice"
expect_error "bad core list (not a list)" $'pmd-cores: 1-3' \
	"1:12: 'pmd-cores': found '1-3', expected a list of CPU numbers"
expect_error "bad log level" $'log-level: loud' \
	"1:12: 'log-level': found 'loud', expected error, warning, notice, info or debug"
expect_error "port without a name" $'ports:\n  - {type: vhost, path: /tmp/x.sock}' "2:5: port: missing 'name'"
expect_error "YAML syntax" $'ports: [' "2:1: YAML syntax error"
rc=0
out=$("$SWITCHD_BIN" --config "$T/none.yaml" 2>&1) || rc=$?
check_eq "a missing --config file: exit 2" 2 "$rc"
check_contains "a missing --config file: named" "$T/none.yaml: cannot read" "$out"
rc=0
"$SWITCHD_BIN" --log-level loud >/dev/null 2>&1 || rc=$?
check_eq "--log-level loud: exit 2" 2 "$rc"
for o in --group-idle --rpc-idle-timeout; do
	rc=0
	out=$("$SWITCHD_BIN" $o 0 --socket "$T/bad.sock" 2>&1) || rc=$?
	check_eq "$o 0: exit 2" 2 "$rc"
	check_contains "$o 0: named, with its range" "$o '0': expected a number 1..86400" "$out"
	[ ! -e "$T/bad.sock" ] || fail "$o 0: a control socket was opened"
done
# --config-if-exists (the unit's): a missing file is no error; the shipped default is valid
"$SWITCHD_BIN" --config-if-exists "$T/none.yaml" --help >/dev/null || fail "--config-if-exists of a missing file"
"$SWITCHD_BIN" --config "$QV_SRC/contrib/switchd.yaml" --help >/dev/null || fail "contrib/switchd.yaml does not load"
sed 's/^#\([a-z]\)/\1/; s/^#  /  /' "$QV_SRC/contrib/switchd.yaml" >"$T/uncommented.yaml"
"$SWITCHD_BIN" --config "$T/uncommented.yaml" --help >/dev/null ||
	fail "contrib/switchd.yaml with every example uncommented does not load"
pass "the shipped contrib/switchd.yaml loads, commented and uncommented"

# ---- a file with settings, ports and rules; options override ------------------------------
cat >"$T/switchd.yaml" <<Y
# the socket is overridden by --socket (switch_start), l2-aging is not
socket: $T/from-file.sock
l2-aging: 123
log-level: info
ports:
  - {name: vm1, type: vhost, path: $T/vm1.sock}
  - name: vm2
    type: vhost
    path: "$T/vm2.sock"
    default: l2
rules:
  - "in=vm1,proto=udp actions=output:vm2"
  - in=vm2 actions=output:vm1
Y
switch_start --config "$T/switchd.yaml"
[ -S "$T/sw.sock" ] && [ ! -e "$T/from-file.sock" ] || fail "--socket did not override the file's socket"
pass "--socket overrides the file's socket"
check_eq "the file's l2-aging (no option names it)" 123 "$(qjson show l2 | jq .aging_s)"
check_eq "startup ports from the file" "vm1 vm2" "$(qjson show ports | jq -r '[.ports[].name] | join(" ")')"
check_eq "vm2's default from the file" l2 "$(port_field vm2 default)"
check_eq "startup rules from the file" 2 "$(qjson show flows | jq '.flows | length')"
check_contains "rule 1 as written" "in=vm1,proto=udp" "$(qvctl show flows)"

# ---- the log ----------------------------------------------------------------------------
TS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'
lines() { grep -cE "^$TS $1\$" "$T/switch.log" || true; }
check_eq "log: vm1 added, once" 1 "$(lines 'info qv-switchd: port vm1: added \(vhost, slot [0-9]+\), down')"
# at least once: the startup rules are published at once, and again when the background rte_acl
# build of the same rules is folded in (a new generation, same size)
n_pub=$(lines 'info qv-switchd: flow-table: generation [0-9]+ published: 2 rule\(s\) of 2')
[ "$n_pub" -ge 1 ] || fail "log: no 'flow-table: generation N published: 2 rule(s) of 2' line"
pass "log: table published with its size ($n_pub generation(s))"
check_eq "log: ready line" 1 "$(lines 'notice qv-switchd: ready: 1 PMD\(s\) on CPU [0-9]+, control socket .*')"
[ "$(grep -cE "^$TS (info|notice|warning|error|debug) qv-switchd: dpdk (EAL|VHOST_CONFIG)" "$T/switch.log")" -gt 0 ] ||
	fail "no DPDK line went through the log (EAL or VHOST_CONFIG with a level and timestamp)"
pass "DPDK's own lines carry a timestamp and a level"

# one up and one down line per port and per connection of a virtio-user peer (that stays 1.5 s:
# the control loop looks at the ports every 200 ms at most)
up_line='notice qv-switchd: port vm1: up \(guest connected, rings ready\)'
down_line='warning qv-switchd: port vm1: down \(no guest: the vhost-user peer is not connected or its rings are not ready\)'
peer_run p1 "$T/vm1.sock" "$T/vm2.sock" -- --gen 0:64:4 --count 20 --rx 1 --linger 1500 \
	--json "$T/p1.json" --timeout 20 && [ "$(jq .rx "$T/p1.json")" = 20 ] ||
	fail "no traffic vm1 -> vm2 (peer-p1.log)"
wait_until "vm1's down line" 10 grep -qE "^$TS $down_line\$" "$T/switch.log"
check_eq "log: vm1 up, once for one connection" 1 "$(lines "$up_line")"
check_eq "log: vm1 down, once" 1 "$(lines "$down_line")"
peer_run p2 "$T/vm1.sock" "$T/vm2.sock" -- --gen 0:64:4 --count 20 --rx 1 --linger 1500 \
	--json "$T/p2.json" --timeout 20 && [ "$(jq .rx "$T/p2.json")" = 20 ] ||
	fail "no traffic vm1 -> vm2 the second time (peer-p2.log)"
n_lines_is() { [ "$(lines "$1")" = "$2" ]; } # n_lines_is PATTERN N
wait_until "vm1's second down line" 10 n_lines_is "$down_line" 2
check_eq "log: vm1 up, twice for two connections" 2 "$(lines "$up_line")"
check_eq "log: vm2 up, twice" 2 "$(lines 'notice qv-switchd: port vm2: up \(guest connected, rings ready\)')"
qvctl port del vm2 >/dev/null
wait_until "vm2's removed line" 10 grep -qE "^$TS info qv-switchd: port vm2: removed\$" "$T/switch.log"
pass "log: vm2 removed"
switch_stop
check_eq "log: stopped line" 1 "$(lines 'notice qv-switchd: stopped')"
