#!/bin/bash
# Ports added and removed at run time over the control socket while traffic flows on others:
# the running chain loses nothing. A rule naming a removed port stays, inert, and applies again
# when a port of that name comes back.
. "$(dirname "$0")/lib.sh"

switch_start
qvctl port add a vhost "$T/a.sock" >/dev/null
qvctl port add b vhost "$T/b.sock" >/dev/null
qvctl flow add 'in=a actions=output:b' >/dev/null
qvctl port add x dpdk net_ring0 >/dev/null
qvctl flow add 'in=x actions=output:b' >/dev/null
qvctl flow add 'in=a,proto=tcp,priority=40000 actions=output:x' >/dev/null

peer_bg main "$T/a.sock" "$T/b.sock" -- --gen 0:64:64 --count 300000 --rate 60000 \
    --window 256 --rx 1 --expect 300000 --timeout 90 --json "$T/main.json"
wait_until "traffic flowing" 30 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq '.ports[] | select(.name==\"b\") | .tx_packets')\" -gt 1000 ]"

rounds=0
while kill -0 "$PEER_PID" 2>/dev/null && [ $rounds -lt 50 ]; do
    qvctl port del x >/dev/null
    qvctl port add "v$rounds" vhost "$T/v$rounds.sock" --queues 2 >/dev/null
    qvctl port add x dpdk "net_ring$((rounds + 1))" >/dev/null
    qvctl port del "v$rounds" >/dev/null
    rounds=$((rounds + 1))
done
wait "$PEER_PID" || fail "the a -> b chain lost packets while ports came and went"
[ $rounds -ge 3 ] || fail "only $rounds add/remove rounds happened under traffic"
pass "$rounds port add/remove rounds under traffic"
check_eq "a -> b packets delivered" 300000 "$(jq .rx "$T/main.json")"
check_eq "window releases" 0 "$(jq .window_released "$T/main.json")"
check_eq "drops on a" 0 "$(qjson show ports | jq '[.ports[] | select(.name=="a") | .drops[]] | add')"

qvctl port del x >/dev/null
check_eq "rule on removed port x is inert" true "$(qjson show flows | jq '.flows[] | select(.match=="in=x") | .inert')"
check_contains "its text still names x" "output:x" "$(qvctl show flows)"
qvctl port add x dpdk net_ring99 >/dev/null
check_eq "rule applies again when x is back" false "$(qjson show flows | jq '.flows[] | select(.match=="in=x") | .inert')"
check_eq "ports listed" "a b x" "$(qjson show ports | jq -r '[.ports[].name] | sort | join(" ")')"

# a kernel-facing net_tap port: frames the kernel sends on the tap interface reach the switch
tap=qvtap$$
qvctl port add t dpdk "net_tap0,iface=$tap" --rxq 2 --txq 2 >/dev/null
ip link show "$tap" >/dev/null 2>&1 || fail "tap interface $tap was not created"
pass "net_tap port created interface $tap"
python3 - "$tap" <<'PY'
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
frame = bytes.fromhex("020000000002" "020000000001" "88b5") + bytes(50)  # local experimental ethertype
for _ in range(5):
    s.send(frame)
PY
wait_until "5 frames from the kernel counted on t" 10 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq '.ports[] | select(.name==\"t\") | .drops[\"no-match\"]')\" -ge 5 ]"
pass "frames sent on $tap arrived on port t"
qvctl port del t >/dev/null
! ip link show "$tap" >/dev/null 2>&1 || fail "tap interface $tap still exists after port del"
pass "tap interface removed with its port"
