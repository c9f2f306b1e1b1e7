#!/bin/bash
# Packet buffers: a port whose rx rings the shared pool cannot fill gets a pool of its own,
# sized from its queues and descriptors (shown in show port, logged); when even that cannot
# be made the port is refused with the reason and what to do, nothing is left behind, and the
# ports already there keep working.
. "$(dirname "$0")/lib.sh"
# 4 KB pages and little memory, so that pools run out within a few ports
switch_start --mbufs 4096 --no-huge --mem 160
qvctl port add t1 dpdk "net_tap0,iface=qvbuf1$$" >/dev/null
check_contains "t1 fills its ring from the shared pool" "qv_mbuf_n" "$(port_field t1 rx_pool)"
qvctl port add t2 dpdk "net_tap1,iface=qvbuf2$$" --rxq 4 --txq 4 >/dev/null
check_contains "t2, which the shared pool cannot fill, has a pool of its own" "qv_p" "$(port_field t2 rx_pool)"
grep -q "port t2: pool .* of its own" "$T/switch.log" || fail "no log line for t2's own pool"
pass "t2's own pool logged"
check_contains "show pmd lists t2's pool" "pool $(port_field t2 rx_pool): " "$(qvctl show pmd)"
check_contains "... and the shared one" "pool qv_mbuf_n" "$(qvctl show pmd)"
refused=""
for i in 3 4 5 6 7 8 9 10; do
    if ! out=$(qvctl port add "t$i" dpdk "net_tap$i,iface=qvbuf$i$$" --rxq 4 --txq 4 2>&1); then
        refused=t$i
        break
    fi
done
[ -n "$refused" ] || fail "eight 4-queue ports fit in 160 MB: the test needs less memory"
check_contains "$refused refused for want of buffers, with what to do" "more hugepages, or fewer queues" "$out"
! ip link show "qvbuf${refused#t}$$" >/dev/null 2>&1 || fail "the refused port's tap interface was left behind"
pass "nothing of $refused left behind"
out=$(qvctl port add big dpdk "net_tap20,iface=qvbufb$$" --rxq 8 --txq 8 2>&1) && fail "net_tap with 16 queues accepted"
check_contains "net_tap's queue limit named" "at most 8 queues in all" "$out"
qvctl port del t2 >/dev/null
python3 - "qvbuf1$$" <<'PY'
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for _ in range(5):
    s.send(bytes.fromhex("020000000002" "020000000001" "88b5") + bytes(50))
PY
wait_until "t1 still receives" 10 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq '.ports[] | select(.name==\"t1\") | .rx_packets')\" -ge 5 ]"
pass "t1 still receives"
