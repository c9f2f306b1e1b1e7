#!/bin/bash
# mbuf pool exhaustion: a switch with the smallest pool (--mbufs 1024) and a net_tap port,
# whose rx ring holds 1023 of them, has none left for the vhost ports. The packets a guest
# sends wait in its ring, invisible until now: rx_nombuf / rx_nombuf_peak on the port and
# the pool's figures in show pmd make them visible, the switch keeps answering, and once the
# tap port is gone (the pressure with it) the traffic resumes, and every packet that waited is
# accounted for: received, or counted tx-full where the peer's ring overflowed with the 1,024
# let go at once.
. "$(dirname "$0")/lib.sh"

switch_start --mbufs 1024
for p in a b; do qvctl port add $p vhost "$T/$p.sock" >/dev/null; done
qvctl flow add 'in=a actions=output:b' >/dev/null
tap="qvmb$$"
qvctl port add t dpdk "net_tap_qvmb$$,iface=$tap" >/dev/null
pool() { qjson show pmd | jq -r ".pmds[0].pool.$1"; }
check_eq "pool size in show pmd" 1024 "$(pool size)"
[ "$(pool in_use)" -ge 1000 ] || fail "the tap port's rx ring should hold ~1023 mbufs; pool: $(qjson show pmd | jq -c '.pmds[0].pool')"
qvctl show pmd | grep -q "mbuf pool qv_mbuf_n0: [0-9]* in use, [0-9]* free of 1024" ||
    fail "show pmd has no pool line: $(qvctl show pmd)"
pass "show pmd: the pool is nearly all in use ($(pool in_use) of 1024)"

# 2,000 packets a -> b; nothing can be dequeued from a until mbufs are back.
peer_bg load "$T/a.sock" "$T/b.sock" -- --gen 0:64:16 --count 2000 --rate 20000 --rx 1 \
    --linger 3000 --timeout 50 --json "$T/load.json"
nombuf_seen() { [ "$(port_field a rx_nombuf)" -gt 0 ] && [ "$(port_field a rx_nombuf_peak)" -gt 0 ]; }
wait_until "rx_nombuf on a" 30 nombuf_seen
check_eq "packets received on a under pressure" 0 "$(port_field a rx_packets)"
qvctl show ports | grep -q "no-mbuf .* rx polls found packets waiting and no mbufs (up to [0-9]* at once" ||
    fail "show ports has no no-mbuf line: $(qvctl show ports)"
qjson show drops >/dev/null || fail "the switch stopped answering"
pass "a: $(port_field a rx_nombuf) rx polls found packets waiting and no mbufs; the switch answers"

# The pressure goes: the tap port's ring returns its mbufs, the waiting packets flow.
qvctl port del t >/dev/null
wait "$PEER_PID" || fail "the traffic did not resume after the pool was refilled (see peer-load.log)"
rx=$(jq .rx "$T/load.json")
[ "$rx" -ge 1000 ] || fail "only $rx packets arrived on b after the pool was refilled (see peer-load.log)"
check_eq "packets received on a" 2000 "$(port_field a rx_packets)"
check_eq "packets accounted for (arrived on b + tx-full)" 2000 \
    "$((rx + $(port_field a 'drops["tx-full"]')))"
check_eq "other drops on a" 0 \
    "$(qjson show ports | jq '[.ports[] | select(.name=="a") | .drops | to_entries[] | select(.key != "tx-full") | .value] | add')"
[ "$(pool in_use)" -lt 1000 ] || fail "pool still in use after the tap port went: $(qjson show pmd | jq -c '.pmds[0].pool')"
pass "after the tap port went, the traffic resumed: $rx of 2000 arrived, the rest counted tx-full"
switch_stop
pass "qv-switchd stopped cleanly"
