#!/bin/bash
# Drops the NIC counts itself, seen where the switch's own are: an af_xdp port on a veth whose
# rx the PMD stops polling (admin down) while a network namespace floods it. The kernel runs
# out of fill-ring buffers and drops (XDP_STATISTICS rx_dropped: the ethdev's imissed); the
# loss shows as nic-missed in show drops, show ports and telemetry, one count everywhere, the
# device's rx_missed_errors xstat and the kernel's own rx_dropped of the veth; and every frame
# that reached the veth is either received by the switch or counted there.
. "$(dirname "$0")/lib.sh"
for tool in ip python3; do
    command -v $tool >/dev/null || fail "$tool is needed (Debian: iproute2 python3)"
done

ns=qvnsn_$$ v=qvvn_$$
# (deleting the namespace deletes the veth pair; the rest must not stop the switch's cleanup)
trap 'st=$?; set +e; ip netns del "$ns" 2>/dev/null; ip link del "$v" 2>/dev/null; (exit $st); cleanup' EXIT
ip netns add "$ns"
ip link add "$v" type veth peer name eth0 netns "$ns"
ip link set "$v" up
# no IPv6 in the namespace: its router solicitations would add frames while counts are compared
ip netns exec "$ns" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
ip netns exec "$ns" ip link set eth0 up

switch_start
qvctl port add x1 af_xdp "$v" >/dev/null
check_eq "x1 up" up "$(port_field x1 state)"
total_missed() { qjson show drops | jq '.drops["nic-missed"]'; }
check_eq "nothing missed before the flood" 0 "$(total_missed)"

# the PMD stops polling x1; the kernel keeps placing frames in its socket's rings until the
# buffers the PMD gave it (its fill ring) are used up, then drops and counts the rest
qvctl port set x1 --down >/dev/null
grep -q "port x1: admin down: not polled, output counted as port-down (qvctl port set x1 --up)" \
    "$T/switch.log" || fail "no 'admin down' line for x1 in the log"
pass "admin down logged, with how to undo it"
kstat() { cat "/sys/class/net/$v/statistics/$1"; }
k_rx0=$(kstat rx_packets) k_drop0=$(kstat rx_dropped) sw_rx0=$(port_field x1 rx_packets)
N=6000
ip netns exec "$ns" python3 - "$N" <<'PY' || fail "the flood from the namespace failed"
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
frame = bytes.fromhex("020000000002" "020000000001" "88b5") + bytes(50)
for _ in range(int(sys.argv[1])):
    s.send(frame)
PY
wait_until "nic-missed counted" 20 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show drops | jq '.drops[\"nic-missed\"]')\" -gt 0 ]"
missed=$(total_missed)
pass "frames the kernel could not hand to unpolled x1 counted as nic-missed ($missed of $N)"
check_eq "show port x1: nic-missed" "$missed" "$(port_field x1 'drops["nic-missed"]')"
check_eq "show drops = the sum over the ports" "$missed" \
    "$(qjson show ports | jq '[.ports[].drops["nic-missed"]] | add')"
check_contains "show drops names the reason" "nic-missed" "$(qvctl show drops)"
check_eq "the device's own xstat rx_missed_errors" "$missed" "$(port_field x1 'xstats.rx_missed_errors')"
check_eq "the kernel's rx_dropped of $v" "$missed" "$(($(kstat rx_dropped) - k_drop0))"

tel() { echo "$1" | python3 /usr/bin/dpdk-telemetry.py -f "qvt$$" 2>/dev/null | tail -n 1; }
check_eq "telemetry /qv/drops nic_missed" "$missed" "$(tel /qv/drops | jq '."/qv/drops".nic_missed')"
check_eq "telemetry /qv/ports x1 drops_nic_missed" "$missed" \
    "$(tel /qv/ports | jq '."/qv/ports".x1.drops_nic_missed')"
check_eq "telemetry /qv/xstats x1 rx_missed_errors" "$missed" \
    "$(tel /qv/xstats | jq '."/qv/xstats".x1.rx_missed_errors')"

# polled again: what waited in the rings is received, and every frame that reached the veth
# is accounted for, received or missed
qvctl port set x1 --up >/dev/null
accounted() {
    [ $(($(port_field x1 rx_packets) - sw_rx0 + $(total_missed))) -eq $(($(kstat rx_packets) - k_rx0)) ]
}
wait_until "every frame that reached $v received by x1 or counted as nic-missed" 20 accounted
pass "received $(($(port_field x1 rx_packets) - sw_rx0)) + missed $(total_missed) = $(($(kstat rx_packets) - k_rx0)) frames on $v"
[ "$(($(kstat rx_packets) - k_rx0))" -ge "$N" ] || fail "fewer frames reached $v than were sent"
