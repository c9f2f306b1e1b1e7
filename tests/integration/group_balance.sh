#!/bin/bash
# A load-balancing group (action group:A+B): each flow goes to one member, the flows spread
# over the members, and the reply of a flow (coming back through the other group, members in
# the same instance order) lands on the same instance: symmetric hashing, checked per flow.
. "$(dirname "$0")/lib.sh"

switch_start
for p in c s i0 o0 i1 o1; do qvctl port add $p vhost "$T/$p.sock" >/dev/null; done
qvctl flow add 'in=c,proto=udp actions=group:i0+i1' >/dev/null
qvctl flow add 'in=s,proto=udp actions=group:o0+o1' >/dev/null
check_contains "show flows prints the group" "group:i0+i1" "$(qvctl show flows)"

fwd=() rev=()
for i in $(seq 0 63); do
    fwd+=("ip-src=10.0.0.1,ip-dst=10.0.0.2,proto=udp,src-port=$((2000 + i)),dst-port=80")
    rev+=("ip-src=10.0.0.2,ip-dst=10.0.0.1,proto=udp,src-port=80,dst-port=$((2000 + i))")
done
$MKPCAP "$T/fwd.pcap" "${fwd[@]}" >/dev/null
$MKPCAP "$T/rev.pcap" "${rev[@]}" >/dev/null
peer_run g "$T/c.sock" "$T/s.sock" "$T/i0.sock" "$T/o0.sock" "$T/i1.sock" "$T/o1.sock" -- \
    --tx "0:$T/fwd.pcap" --tx "1:$T/rev.pcap" --rx "2:$T/i0.pcap" --rx "3:$T/o0.pcap" \
    --rx "4:$T/i1.pcap" --rx "5:$T/o1.pcap" --expect 128 --timeout 30 ||
    fail "not all 128 packets reached an instance"

flows() { tshark -r "$1" -T fields -e "$2" 2>/dev/null | sort -n | tr '\n' ' '; }
f0=$(flows "$T/i0.pcap" udp.srcport) r0=$(flows "$T/o0.pcap" udp.dstport)
f1=$(flows "$T/i1.pcap" udp.srcport) r1=$(flows "$T/o1.pcap" udp.dstport)
check_eq "instance 0: replies are exactly its flows" "$f0" "$r0"
check_eq "instance 1: replies are exactly its flows" "$f1" "$r1"
n0=$(echo "$f0" | wc -w) n1=$(echo "$f1" | wc -w)
check_eq "every flow on one instance" 64 $((n0 + n1))
[ "$n0" -ge 8 ] && [ "$n1" -ge 8 ] || fail "flows not spread: $n0 on instance 0, $n1 on instance 1"
pass "flows spread over the group: $n0 / $n1"

# a member going away: its flows move to the live member, nothing is dropped
qvctl port del i1 >/dev/null
peer_run g2 "$T/c.sock" "$T/i0.sock" -- --tx "0:$T/fwd.pcap" --rx "1:$T/i0.pcap" --expect 64 \
    --timeout 30 || fail "with i1 gone, the flows did not all go to i0"
pass "with i1 removed, all 64 flows went to i0"
