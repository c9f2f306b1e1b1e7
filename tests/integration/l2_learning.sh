#!/bin/bash
# Ports whose default is L2: unknown destinations and broadcasts flood to the other L2 ports,
# learned MACs go to their port only, entries show in `qvctl show l2` and age out (then the
# destination floods again).
. "$(dirname "$0")/lib.sh"

A=02:aa:00:00:00:01 B=02:bb:00:00:00:02 C=02:cc:00:00:00:03
# Aging long enough that the four peer runs below (a DPDK process start each, slow on a loaded
# machine) finish before the first entry expires; the aging check then waits for it.
switch_start --l2-aging 10
for p in a b c; do qvctl port add $p vhost "$T/$p.sock" --default l2 >/dev/null; done
$MKPCAP "$T/a2b.pcap" count=10,eth-src=$A,eth-dst=$B >/dev/null
$MKPCAP "$T/b2a.pcap" count=10,eth-src=$B,eth-dst=$A >/dev/null
$MKPCAP "$T/c2all.pcap" count=5,eth-src=$C,eth-dst=ff:ff:ff:ff:ff:ff >/dev/null
socks=("$T/a.sock" "$T/b.sock" "$T/c.sock")
tx() { port_field "$1" tx_packets; }

peer_run p1 "${socks[@]}" -- --tx "0:$T/a2b.pcap" --rx 1 --rx 2 --expect 20 --timeout 30 ||
    fail "unknown destination B was not flooded to b and c"
check_eq "flood: b got" 10 "$(tx b)"
check_eq "flood: c got" 10 "$(tx c)"

peer_run p2 "${socks[@]}" -- --tx "1:$T/b2a.pcap" --rx 0 --rx 2 --expect 10 --timeout 30 ||
    fail "B -> A did not arrive"
check_eq "learned A: a got" 10 "$(tx a)"
check_eq "learned A: nothing more to c" 10 "$(tx c)"

peer_run p3 "${socks[@]}" -- --tx "0:$T/a2b.pcap" --rx 1 --rx 2 --expect 10 --timeout 30 ||
    fail "A -> B did not arrive"
check_eq "learned B: b got" 20 "$(tx b)"
check_eq "learned B: nothing more to c" 10 "$(tx c)"

peer_run p4 "${socks[@]}" -- --tx "2:$T/c2all.pcap" --rx 0 --rx 1 --expect 10 --timeout 30 ||
    fail "broadcast from c did not reach a and b"
check_eq "broadcast: a got" 15 "$(tx a)"
check_eq "broadcast: b got" 25 "$(tx b)"

table=$(qjson show l2 | jq -c '[.entries[] | {mac, port}] | sort_by(.mac)')
check_eq "MAC table" "[{\"mac\":\"$A\",\"port\":\"a\"},{\"mac\":\"$B\",\"port\":\"b\"},{\"mac\":\"$C\",\"port\":\"c\"}]" "$table"
check_eq "no loop or no-match drops" 0 "$(qjson stats | jq '.drops.loop + .drops["no-match"]')"

wait_until "MAC entries aged out (10 s)" 40 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show l2 | jq '.entries | length')\" = 0 ]"
pass "entries aged out"
peer_run p5 "${socks[@]}" -- --tx "0:$T/a2b.pcap" --rx 1 --rx 2 --expect 20 --timeout 30 ||
    fail "after aging, B was not flooded again"
check_eq "after aging: c flooded again" 20 "$(tx c)"
