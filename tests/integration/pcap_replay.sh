#!/bin/bash
# A prepared pcap replayed through net_pcap ports: each output pcap must equal, packet by
# packet and byte for byte, the expected pcap built beside it (VLAN popped / pushed where the
# rule says so); malformed and unmatched packets are dropped and counted under their reason.
. "$(dirname "$0")/lib.sh"
here=$(dirname "$0")

# input: 20 VLAN-100 UDP, 30 IPv4 to 10.1.x.x, 15 IPv6, 10 to nowhere, 4 truncated, and
# jumbo frames (read into chained mbufs): 5 QinQ of 9018 B, 5 IPv6 with 3 extension headers
$MKPCAP "$T/in.pcap" count=20,vlan=100,size=68,proto=udp,dst-port=80,flows=20 \
    count=30,ip-dst=10.1.2.3,proto=tcp,dst-port=443,flows=30 \
    count=15,ip-src=2001:db8::1,ip-dst=2001:db8::2,proto=udp,dst-port=53,size=90 \
    count=10,ip-dst=192.0.2.1,proto=udp \
    count=4,bad=trunc-ip \
    count=5,qinq=300,vlan=301,size=9018,proto=udp,dst-port=4789,flows=5 \
    count=5,ip-src=2001:db8::7,ip-dst=2001:db8::8,ipv6-ext=3,proto=tcp,dst-port=179,size=9000 \
    >/dev/null
# what each output must receive
$MKPCAP "$T/want1.pcap" count=20,size=64,proto=udp,dst-port=80,flows=20 >/dev/null
$MKPCAP "$T/want2.pcap" count=30,vlan=200,size=68,ip-dst=10.1.2.3,proto=tcp,dst-port=443,flows=30 >/dev/null
$MKPCAP "$T/want3.pcap" count=15,ip-src=2001:db8::1,ip-dst=2001:db8::2,proto=udp,dst-port=53,size=90 >/dev/null
$MKPCAP "$T/want4.pcap" count=5,vlan=301,size=9014,proto=udp,dst-port=4789,flows=5 >/dev/null
$MKPCAP "$T/want5.pcap" count=5,vlan=400,ip-src=2001:db8::7,ip-dst=2001:db8::8,ipv6-ext=3,proto=tcp,dst-port=179,size=9004 >/dev/null

switch_start
qvctl port add in dpdk "net_pcap0,rx_pcap=$T/in.pcap" --down >/dev/null
for i in 1 2 3; do qvctl port add "o$i" dpdk "net_pcap$i,tx_pcap=$T/got$i.pcap" >/dev/null; done
for i in 4 5; do qvctl port add "o$i" dpdk "net_pcap$i,tx_pcap=$T/got$i.pcap" --mtu 9000 >/dev/null; done
qvctl flow add 'in=in,vlan=100 actions=pop-vlan,output:o1' >/dev/null
qvctl flow add 'in=in,ip-dst=10.1.0.0/16 actions=push-vlan:200,output:o2' >/dev/null
qvctl flow add 'in=in,eth-type=ipv6 actions=output:o3' >/dev/null
qvctl flow add 'in=in,vlan=300 actions=pop-vlan,output:o4' >/dev/null
qvctl flow add 'in=in,ip-dst=2001:db8::8,proto=tcp,dst-port=179,priority=40000 actions=push-vlan:400,output:o5' >/dev/null
qvctl port set in --up >/dev/null

wait_until "all 89 packets read from in.pcap" 30 \
    bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq '.ports[] | select(.name==\"in\") | .rx_packets')\" = 89 ]"
check_eq "o1 tx" 20 "$(port_field o1 tx_packets)"
check_eq "o2 tx" 30 "$(port_field o2 tx_packets)"
check_eq "o3 tx" 15 "$(port_field o3 tx_packets)"
check_eq "o4 tx (QinQ jumbo, outer tag popped)" 5 "$(port_field o4 tx_packets)"
check_eq "o5 tx (IPv6 jumbo with extension headers, tagged)" 5 "$(port_field o5 tx_packets)"
check_eq "no-match drops" 10 "$(port_field in 'drops["no-match"]')"
check_eq "bad-header drops" 4 "$(port_field in 'drops["bad-header"]')"
# removing the ports closes (and so completes) their pcap files
for i in 1 2 3 4 5; do qvctl port del "o$i" >/dev/null; done
for i in 1 2 3 4 5; do
    out=$(python3 "$here/pcap_compare.py" "$T/got$i.pcap" "$T/want$i.pcap") || fail "o$i: $out"
    pass "o$i output equals want$i.pcap: $out"
done
