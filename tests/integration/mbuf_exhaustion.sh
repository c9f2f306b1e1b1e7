#!/bin/bash
# mbuf pool exhaustion: port a takes its rx buffers from a pool of its own far too small for
# the load (mbufs=16, below the burst of up to 32 rte_vhost allocates at once), so the
# packets its guest sends wait in the guest's ring, invisible until now: rx_nombuf /
# rx_nombuf_peak on the port and the pool's figures in show pmd make them visible. The other
# direction (b -> a, whose buffers come from the shared pool) loses nothing meanwhile, the
# switch keeps answering, and once the pool is made big enough (port set mbufs=4096) the
# packets that waited flow and every one of them is accounted for: received, or counted
# tx-full where the peer's ring overflowed with the ones let go at once.
. "$(dirname "$0")/lib.sh"

switch_start
qvctl port add a vhost "$T/a.sock" --mbufs 16 >/dev/null
qvctl port add b vhost "$T/b.sock" >/dev/null
qvctl flow add 'in=a actions=output:b' >/dev/null
qvctl flow add 'in=b actions=output:a' >/dev/null
apool=$(port_field a rx_pool)
check_contains "a has a pool of its own" "qv_p" "$apool"
pool() { qjson show pmd | jq -r --arg n "$apool" ".pools[] | select(.name == \$n) | .$1"; }
check_eq "a's pool size in show pmd" 16 "$(pool size)"
check_contains "show pmd lists a's pool" "pool $apool: " "$(qvctl show pmd)"

# Bad values: refused with what is wanted, and nothing changed.
out=$(qvctl port set a --mbufs 8 2>&1) && fail "mbufs=8 accepted"
check_contains "mbufs below the minimum refused" "mbufs '8' is not 0 (the shared pool) or 16.." "$out"
out=$(qvctl port set a --mbufs 2>&1) && fail "--mbufs without a value accepted"
check_contains "--mbufs without a value refused" "--mbufs needs N" "$out"
out=$(qvctl port add nl dpdk net_null0 --mbufs 64 2>&1) && fail "--mbufs accepted on a dpdk port"
check_contains "--mbufs on a port kind without it refused" "--mbufs is for vhost ports" "$out"
check_eq "... and no port nl added" "" "$(port_field nl name)"
check_eq "a's pool unchanged after the refusal" "$apool" "$(port_field a rx_pool)"

# One peer (a vhost-user socket takes one guest): 2,000 packets each way, unpaced, so that
# the guest's ring fills faster than one burst. Port 0 is the guest on a, port 1 on b. The
# peer lingers only once all it sends is in the rings, and a's 2,000 cannot be before the
# pool is enlarged (its ring holds 1,024): 2 s without a packet after that is the end.
peer_bg load "$T/a.sock" "$T/b.sock" -- --gen 0:64:16 --gen 1:64:16 --count 2000 --rx 0 \
    --rx 1 --linger 2000 --timeout 200 --json "$T/load.json"
LOAD_PID=$PEER_PID
b_to_a_done() { [ "$(port_field b rx_packets)" -ge 2000 ]; }
nombuf_seen() { [ "$(port_field a rx_nombuf)" -gt 0 ] && [ "$(port_field a rx_nombuf_peak)" -gt 0 ]; }
wait_until "rx_nombuf on a" 60 nombuf_seen
got=$(port_field a rx_packets)
[ "$got" -lt 2000 ] || fail "all 2000 packets were received on a: the pool did not run short"
qvctl show ports | grep -q "no-mbuf .* rx polls found packets waiting and no mbufs (up to [0-9]* at once" ||
    fail "show ports has no no-mbuf line: $(qvctl show ports)"
pass "a: $(port_field a rx_nombuf) rx polls found packets waiting and no mbufs (up to $(port_field a rx_nombuf_peak)); $got of 2000 received"

wait_until "b -> a received by the switch" 60 b_to_a_done
to_a=$(port_field a tx_packets)
b_full=$(port_field b 'drops["tx-full"] // 0')
check_eq "b -> a: sent into a's guest + tx-full" 2000 "$((to_a + b_full))"
check_eq "other drops on b" 0 \
    "$(qjson show ports | jq '[.ports[] | select(.name=="b") | .drops | to_entries[] | select(.key != "tx-full") | .value] | add // 0')"
[ "$to_a" -gt 0 ] || fail "nothing b -> a reached a's guest while a's pool was exhausted"
pass "b -> a: $to_a of 2000 sent into a's guest meanwhile, $b_full counted tx-full, none lost"
qjson show drops >/dev/null || fail "the switch stopped answering"
check_eq "packets received on a still short" "$got" "$(port_field a rx_packets)"

# The pressure goes: a pool big enough, and the packets that waited flow.
qvctl port set a --mbufs 4096 >/dev/null || fail "port set a --mbufs 4096 failed"
check_eq "a's new pool size" 4096 "$(qjson show pmd | jq -r --arg n "$(port_field a rx_pool)" '.pools[] | select(.name == $n) | .size')"
wait "$LOAD_PID" || fail "the traffic did not resume after the pool was enlarged (see peer-load.log)"
rx=$(jq '.ports[1].rx' "$T/load.json")
check_eq "packets received on a" 2000 "$(port_field a rx_packets)"
check_eq "packets accounted for (arrived on b + tx-full + port-down)" 2000 \
    "$((rx + $(port_field a 'drops["tx-full"] // 0') + $(port_field a 'drops["port-down"] // 0')))"
check_eq "other drops on a" 0 \
    "$(qjson show ports | jq '[.ports[] | select(.name=="a") | .drops | to_entries[] | select(.key != "tx-full" and .key != "port-down") | .value] | add // 0')"
pass "after the pool was enlarged, the traffic resumed: $rx of 2000 arrived on b, the rest counted"
switch_stop
pass "qv-switchd stopped cleanly"
