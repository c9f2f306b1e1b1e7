#!/bin/bash
# Port churn under traffic with two PMDs time-sharing one CPU: a net_ring port whose index is
# below two busy net_ring ports is removed and added again and again, and each time the two
# busy ports' rx queues move between the PMDs. rte_eth_rx_burst is not thread-safe per
# queue: the switch's debug owner check (--check-rxq-owner) proves no queue was ever in two
# PMDs' hands, and nothing is lost.
. "$(dirname "$0")/lib.sh"

switch_start --pmd-cores "$PMD_CPU,$PMD_CPU" --check-rxq-owner
for p in a b c; do qvctl port add $p vhost "$T/$p.sock" >/dev/null; done # slots 0, 1, 2

# Slots are handed out round the table (a fresh port gets the slot after the last one given),
# so put r1 and r2 in the last two slots: every later port, the churned one, lands below
# them. 59 throwaway ports (3..61) get there.
for i in $(seq 3 61); do
    echo "{\"jsonrpc\":\"2.0\",\"id\":$i,\"method\":\"port.add\",\"params\":{\"name\":\"f$i\",\"type\":\"vhost\",\"path\":\"$T/f.sock\"}}"
    echo "{\"jsonrpc\":\"2.0\",\"id\":$i,\"method\":\"port.del\",\"params\":{\"name\":\"f$i\"}}"
done | python3 "$(dirname "$0")/rpc_raw.py" "$T/sw.sock" >"$T/fillers.log"
[ "$(grep -c '"error"' "$T/fillers.log")" -eq 0 ] || fail "filler ports: $(grep -m1 error "$T/fillers.log")"
# net_ring: a ring-backed ethdev whose tx ring is its rx ring, so what the switch sends to
# r1 comes back in on r1's rx queue
qvctl port add r1 dpdk net_ring1 >/dev/null
qvctl port add r2 dpdk net_ring2 >/dev/null
check_eq "r1 r2 in the last slots" "62 63" "$(qjson show ports | jq -r '[.ports[] | select(.name == "r1" or .name == "r2") | .index] | sort | join(" ")')"

pmd_of() { qjson show pmd | jq -r --arg p "$1" '.pmds | to_entries[] | select(any(.value.rxqs[]; .port == $p)) | .key'; }
before=$(pmd_of r1)
qvctl port add low dpdk net_ring3 >/dev/null
[ "$(port_field low index)" -lt 62 ] || fail "port low got slot $(port_field low index), not below r1 and r2"
[ "$(pmd_of r1)" != "$before" ] || fail "adding a port below r1 did not move r1's rx queue to the other PMD"
pass "adding a lower port moves r1's rx queue to the other PMD"

qvctl flow add 'in=a actions=output:r1' >/dev/null
qvctl flow add 'in=r1 actions=output:b' >/dev/null
qvctl flow add 'in=c actions=output:r2' >/dev/null
qvctl flow add 'in=r2 actions=output:b' >/dev/null
peer_bg churn "$T/a.sock" "$T/b.sock" "$T/c.sock" -- --gen 0:64:32 --gen 2:64:32 --count 150000 \
    --rate 40000 --window 200 --rx 1 --expect 300000 --timeout 120 --json "$T/churn.json"
wait_until "traffic through r1 and r2" 30 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq '[.ports[] | select(.name==\"r1\" or .name==\"r2\") | .rx_packets] | min')\" -gt 1000 ]"

# memzones the switch holds (DPDK telemetry): a port removed must give back what it took
memzones() { echo /eal/memzone_list | python3 /usr/bin/dpdk-telemetry.py -f "qvt$$" 2>/dev/null |
    tail -n 1 | jq '.[] | length'; }
rounds=0
while alive "$PEER_PID" && [ $rounds -lt 200 ]; do
    qvctl port del low >/dev/null
    qvctl port add low dpdk "net_ring$((rounds + 10))" >/dev/null
    rounds=$((rounds + 1))
    [ $rounds -eq 1 ] && mz_first=$(memzones)
done
[ $rounds -ge 10 ] || fail "only $rounds remove/add rounds happened under traffic"
pass "$rounds remove/add rounds of a lower port under traffic"
# (net_ring left 16 rings per removal behind: 160 rounds exhausted RTE_MAX_MEMZONE)
check_eq "memzones after $rounds rounds = after the first (nothing left behind)" "$mz_first" "$(memzones)"
conflicts=$(qjson show pmd | jq '[.pmds[].rxq_conflicts] | add')
[ "$conflicts" = 0 ] || grep 'also polled by PMD' "$T/switch.log" | head -3 >&2
check_eq "rx queues polled by two PMDs at once" 0 "$conflicts"
wait "$PEER_PID" || fail "packets lost while the lower port came and went (see peer-churn.log)"
check_eq "b received both streams" 300000 "$(jq .rx "$T/churn.json")"
check_eq "drops" 0 "$(qjson stats | jq '[.drops[]] | add')"
