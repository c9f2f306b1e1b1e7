#!/bin/bash
# Packet buffers: a port whose device cannot fill its rx ring from the pool is refused with
# the reason (how many it takes, how many are free, what to do), leaves nothing behind, and
# the ports already there keep working.
. "$(dirname "$0")/lib.sh"
switch_start --mbufs 2048
qvctl port add t1 dpdk "net_tap0,iface=qvbuf1$$" >/dev/null
out=$(qvctl port add t2 dpdk "net_tap1,iface=qvbuf2$$" 2>&1) && fail "a port without buffers was added"
check_contains "refused for want of buffers" "not enough packet buffers" "$out"
check_contains "... saying what to do" "raise --mbufs" "$out"
check_eq "only t1 is there" t1 "$(qjson show ports | jq -r '[.ports[].name] | join(" ")')"
! ip link show "qvbuf2$$" >/dev/null 2>&1 || fail "the refused port's tap interface was left behind"
pass "nothing of t2 left behind"
python3 - "qvbuf1$$" <<'PY'
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for _ in range(5):
    s.send(bytes.fromhex("020000000002" "020000000001" "88b5") + bytes(50))
PY
wait_until "t1 still receives" 10 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq '.ports[] | select(.name==\"t1\") | .rx_packets')\" -ge 5 ]"
pass "t1 still receives"
