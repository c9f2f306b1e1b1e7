#!/bin/bash
# RSS: a net_tap port with 4 rx queues carries 64 flows that the kernel sends on its tap
# interface (the tun driver picks a queue per flow hash); every rx queue shows packets in
# `show pmd`. A live edit to 2 queues keeps the port working. Bad requests (a queue count or
# an MTU beyond the device, several queues on a device without RSS) are refused with the
# device's own limit in the message, and change nothing. A net_null port shows the RETA the
# switch wrote over its rx queues, before and after a live edit.
. "$(dirname "$0")/lib.sh"
tap=qvrss$$

send_flows() { # send_flows IFACE FLOWS PER_FLOW: UDP frames, one source port per flow
    python3 - "$@" <<'PY'
import socket, struct, sys
iface, flows, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xffff)
    return ~(t + (t >> 16)) & 0xffff
for _ in range(per):
    for f in range(flows):
        payload = bytes(18)
        udp = struct.pack("!HHHH", 10000 + f, 4789, 8 + len(payload), 0) + payload
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), f, 0, 64, 17, 0,
                         bytes([10, 9, f, 1]), bytes([10, 8, 0, 2]))
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        s.send(bytes.fromhex("020000000002020000000001") + b"\x08\x00" + ip + udp)
PY
}
rxq_packets() { # rxq_packets PORT: packets per rx queue, in queue order
    qjson show pmd | jq -r --arg p "$1" '[.pmds[].rxqs[] | select(.port == $p)] | sort_by(.queue) | map(.packets) | join(" ")'
}

switch_start
qvctl port add t dpdk "net_tap0,iface=$tap" --rxq 4 --txq 4 >/dev/null
check_eq "t has 4 rx queues" 4 "$(port_field t rxq)"
[ "$(port_field t rss_hf)" -gt 0 ] || fail "no RSS hash functions configured on t"
pass "RSS configured on t (rss_hf $(port_field t rss_hf))"
qvctl show port t >"$T/show-port.txt"
check_contains "show port NAME lists the RSS setting" "rss_hf" "$(cat "$T/show-port.txt")"
wait_until "tap interface $tap up" 10 bash -c "ip link show $tap | grep -q 'state UP\|UP,'"
send_flows "$tap" 64 10
wait_until "640 frames on t" 20 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq '.ports[] | select(.name==\"t\") | .rx_packets')\" -ge 640 ]"
per=$(rxq_packets t)
log "packets per rx queue of t: $per"
n_busy=0
for n in $per; do [ "$n" -gt 0 ] && n_busy=$((n_busy + 1)); done
check_eq "rx queues of t that carried packets (of 4)" 4 "$n_busy"
[ "$(port_field t 'xstats | length')" -gt 0 ] || fail "no extended counters of the device in show ports"
check_contains "show port NAME lists the device's xstats" "rx_q0_packets" "$(qvctl show port t)"

# bad requests: each names the device's limit, and nothing changes
out=$(qvctl port set t --rxq 8 --txq 8 2>&1) && fail "8 queues accepted on $tap (made with 4)"
check_contains "more queues than the tap has refused" "port t" "$out"
check_eq "... and t keeps its 4" 4 "$(port_field t rxq)"
out=$(qvctl port add r dpdk net_ring0 --rxq 2 2>&1) && fail "2 rx queues on net_ring accepted"
check_contains "several rx queues on a device without RSS refused" "has no RSS" "$out"
$MKPCAP "$T/a.pcap" count=1 >/dev/null
out=$(qvctl port add pc dpdk "net_pcap7,rx_pcap=$T/a.pcap,tx_iface=lo" --rxq 2 --txq 1 2>&1) &&
    fail "2 rx queues on a one-queue net_pcap accepted"
check_contains "queue count beyond the device, with its limit" "supports at most 1 rx" "$out"
check_eq "no port left behind by refused adds" "t" "$(qjson show ports | jq -r '[.ports[].name] | join(" ")')"
out=$(qvctl port add k af_packet lo 2>&1) || fail "af_packet on lo: $out"
out=$(qvctl port set k --mtu 9000 2>&1) && fail "MTU 9000 accepted on an af_packet port opened at 1500"
check_contains "an MTU the device cannot take, with its limit" "takes an MTU of" "$out"
check_eq "... and its MTU is unchanged" 1500 "$(port_field k mtu)"
qvctl port del k >/dev/null

# RETA: the switch writes the device's table round-robin over the rx queues (net_null has a
# table of 128 and, left to itself, keeps every entry on queue 0); a live edit rewrites it
qvctl port add nl dpdk "net_null0,no-rx=1" --rxq 4 --txq 1 >/dev/null
check_eq "RETA of nl spread over its 4 rx queues" "q0:32 q1:32 q2:32 q3:32" "$(port_field nl reta)"
check_contains "show port NAME shows the RETA" "q0:32 q1:32 q2:32 q3:32" "$(qvctl show port nl)"
qvctl port set nl --rxq 2 >/dev/null
check_eq "RETA of nl after a live edit to 2 rx queues" "q0:64 q1:64" "$(port_field nl reta)"
qvctl port del nl >/dev/null

# live edits of t while vhost traffic a -> b flows: the other ports lose nothing
qvctl port add a vhost "$T/a.sock" >/dev/null
qvctl port add b vhost "$T/b.sock" >/dev/null
qvctl flow add 'in=a actions=output:b' >/dev/null
peer_bg ab "$T/a.sock" "$T/b.sock" -- --gen 0:64:16 --count 100000 --rate 20000 --window 256 \
    --rx 1 --expect 100000 --timeout 90 --json "$T/ab.json"
wait_until "a -> b flowing" 30 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq '.ports[] | select(.name==\"b\") | .tx_packets')\" -gt 1000 ]"
edits=0
while alive "$PEER_PID" && [ $edits -lt 20 ]; do
    qvctl port set t --rxq 2 --txq 2 >/dev/null
    qvctl port set t --rxq 4 --txq 4 --mtu 1400 >/dev/null
    qvctl port set t --mtu 1500 >/dev/null
    edits=$((edits + 1))
done
[ $edits -ge 2 ] || fail "only $edits rounds of edits happened under traffic"
pass "$edits rounds of queue and MTU edits of t under traffic"
wait "$PEER_PID" || fail "a -> b lost packets while t was edited (see peer-ab.log)"
check_eq "a -> b packets delivered" 100000 "$(jq .rx "$T/ab.json")"
check_eq "drops on a" 0 "$(qjson show ports | jq '[.ports[] | select(.name=="a") | .drops[]] | add')"

# live edit: 4 -> 2 rx queues on the running port; traffic still spreads over both
qvctl port set t --rxq 2 --txq 2 >/dev/null
check_eq "t now has 2 rx queues" 2 "$(port_field t rxq)"
before=$(port_field t rx_packets)
send_flows "$tap" 64 5
wait_until "320 more frames on t" 20 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq '.ports[] | select(.name==\"t\") | .rx_packets')\" -ge $((before + 320)) ]"
per=$(rxq_packets t)
log "packets per rx queue of t after the edit: $per"
check_eq "rx queues listed for t" 2 "$(echo $per | wc -w)"
for n in $per; do [ "$n" -gt 0 ] || fail "an rx queue of t carried nothing after the edit: $per"; done
pass "both rx queues busy after the live edit"
