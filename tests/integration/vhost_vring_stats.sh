#!/bin/bash
# rte_vhost's per-virtqueue counters are a port's choice: a (the default) keeps them, b was
# added with --no-vring-stats. Traffic a -> b: a's queue pair counts what it received in
# rte_vhost's counters, b's pair has none, and the switch's own counters of both still count
# every packet. --no-vring-stats on a port that is not vhost is refused and adds nothing.
. "$(dirname "$0")/lib.sh"

switch_start
qvctl port add a vhost "$T/a.sock" >/dev/null
qvctl port add b vhost "$T/b.sock" --no-vring-stats >/dev/null
qvctl flow add 'in=a actions=output:b' >/dev/null

check_eq "a: vring_stats in show ports" true "$(port_field a vring_stats)"
check_eq "b: vring_stats in show ports" false "$(port_field b vring_stats)"
pass "show ports says which vhost ports keep per-virtqueue counters"

# The peer stays attached after sending (--linger) while the counters are read: a queue pair
# has counters only while its guest's device exists.
peer_bg vs "$T/a.sock" "$T/b.sock" -- --gen 0:64:64 --count 1000 --rate 20000 --window 256 \
    --rx 1 --linger 60000 --timeout 90 --json "$T/vs.json"
b_sent_all() { [ "$(port_field b tx_packets)" = 1000 ]; }
wait_until "1000 packets out of b" 30 b_sent_all
pair0() { qjson show port "$1" | jq -c "$2"; }
check_eq "a: rte_vhost's rx good_packets" 1000 "$(pair0 a '.queue_pairs[0].rx.good_packets')"
check_eq "b: the guest enabled its pair" true "$(pair0 b '.queue_pairs[0].tx_enabled')"
check_eq "b: no per-virtqueue counters" '{}' "$(pair0 b '.queue_pairs[0].tx')"
check_eq "b: tx_packets, the switch's own count" 1000 "$(port_field b tx_packets)"
check_eq "a: rx_packets, the switch's own count" 1000 "$(port_field a rx_packets)"
check_eq "rx queue a/0 in show pmd" 1000 \
    "$(qjson show pmd | jq '[.pmds[].rxqs[] | select(.port == "a") | .packets] | add')"
qvctl show port b >"$T/show-port-b.txt"
grep -q "queue 0: rx enabled, tx enabled" "$T/show-port-b.txt" || fail "show port b: $(cat "$T/show-port-b.txt")"
if grep -q "good_packets" "$T/show-port-b.txt"; then fail "show port b lists vring counters"; fi
pass "1000 packets a -> b: a's vring counters count them, b has none, the port counters both"
stop_pid "$PEER_PID"
check_eq "packets back on the peer's b" 1000 "$(jq .rx "$T/vs.json")"

before=$(qjson show ports | jq -c '[.ports[].name]')
rc=0
out=$(qvctl port add r dpdk net_ring0 --no-vring-stats 2>&1) || rc=$?
check_eq "--no-vring-stats on a dpdk port: exit status" 2 "$rc"
check_contains "... says why" "--no-vring-stats is for vhost ports" "$out"
check_eq "... and adds no port" "$before" "$(qjson show ports | jq -c '[.ports[].name]')"
pass "--no-vring-stats on a dpdk port is a usage error that changes nothing"

switch_stop
pass "qv-switchd stopped cleanly"
