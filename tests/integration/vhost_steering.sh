#!/bin/bash
# Traffic from a real virtio-user peer steered by rules between three vhost-user ports:
# packets land on the port their rule names, with the right headers (VLAN pushed/popped), and
# the counters seen through `qvctl --json` agree: port rx/tx, rule hits, drops by reason. A
# port with more queue pairs than its guest enables still delivers everything.
. "$(dirname "$0")/lib.sh"

switch_start
qvctl port add a vhost "$T/a.sock" >/dev/null
# b has 2 queue pairs but its guest (the peer) enables one: both tx queues share a virtqueue
qvctl port add b vhost "$T/b.sock" --queues 2 >/dev/null
qvctl port add c vhost "$T/c.sock" >/dev/null
qvctl flow add 'in=a,proto=udp,dst-port=80 actions=output:b' >/dev/null
qvctl flow add 'in=a,proto=udp,dst-port=53 actions=push-vlan:42,output:c' >/dev/null
qvctl flow add 'in=a,ip-dst=10.9.0.0/16,priority=40000 actions=drop' >/dev/null
qvctl flow add 'in=a,vlan=7 actions=pop-vlan,output:b,output:c' >/dev/null

$MKPCAP "$T/in.pcap" count=100,proto=udp,dst-port=80,flows=10,seq \
    count=50,proto=udp,dst-port=53,seq \
    count=30,proto=udp,dst-port=443,seq \
    count=20,ip-dst=10.9.1.1,proto=udp,dst-port=80,seq \
    count=10,vlan=7,proto=tcp,dst-port=22,seq \
    count=5,bad=trunc-ip >/dev/null
# b gets 100 (port 80) + 10 (vlan 7, popped); c gets 50 (port 53, tagged 42) + 10 (vlan 7)
peer_run s "$T/a.sock" "$T/b.sock" "$T/c.sock" -- --tx "0:$T/in.pcap" --rx "1:$T/b.pcap" \
    --rx "2:$T/c.pcap" --expect 170 --timeout 30 --json "$T/s.json" || fail "peer did not get 170 packets"

check_eq "packets on b" 110 "$(pcap_count "$T/b.pcap")"
check_eq "packets on c" 60 "$(pcap_count "$T/c.pcap")"
check_eq "b: UDP/80 packets" 100 "$(tshark -r "$T/b.pcap" -Y 'udp.dstport == 80 && !vlan' | wc -l)"
check_eq "b: TCP/22 arrived untagged" 10 "$(tshark -r "$T/b.pcap" -Y 'tcp.dstport == 22 && !vlan' | wc -l)"
check_eq "c: DNS packets tagged 42" 50 "$(tshark -r "$T/c.pcap" -Y 'vlan.id == 42 && udp.dstport == 53' | wc -l)"
check_eq "c: TCP/22 untagged" 10 "$(tshark -r "$T/c.pcap" -Y 'tcp.dstport == 22 && !vlan' | wc -l)"
check_eq "nothing came back on a" 0 "$(jq '.ports[0].rx' "$T/s.json")"

check_eq "a rx_packets" 215 "$(port_field a rx_packets)"
check_eq "b tx_packets" 110 "$(port_field b tx_packets)"
check_eq "c tx_packets" 60 "$(port_field c tx_packets)"
check_eq "a drops no-match" 30 "$(port_field a 'drops["no-match"]')"
check_eq "a drops rule-drop" 20 "$(port_field a 'drops["rule-drop"]')"
check_eq "a drops bad-header" 5 "$(port_field a 'drops["bad-header"]')"
check_eq "total drops by reason" '{"no-match":30,"rule-drop":20,"bad-header":5}' \
    "$(qjson stats | jq -c '.drops | with_entries(select(.value > 0))')"
check_eq "rule hits" "100 50 20 10" "$(qjson show flows | jq -r '[.flows[].hits] | join(" ")')"
check_contains "show pmd reports cycles per packet" "cycles/packet" "$(qvctl show pmd)"
pmd_pkts=$(qjson show pmd | jq '.pmds[0].packets')
check_eq "PMD packets = packets received" 215 "$pmd_pkts"
check_eq "PMD cycles/packet > 0" true "$(qjson show pmd | jq '.pmds[0].cycles_per_packet > 0')"
# every packet that parsed (215 - 5 truncated) was looked up once: reused, cached or classified;
# each of the 14 distinct keys at least once by the classifier
check_eq "lookups = packets parsed" 210 "$(qjson show pmd | jq '.pmds[0].lookups | .same_key + .emc_hit + .classifier')"
check_eq "every distinct key classified" true "$(qjson show pmd | jq '.pmds[0].lookups.classifier >= 14')"
check_contains "show pmd explains the lookups" "rule lookups:" "$(qvctl show pmd)"
qvctl stats clear >/dev/null
check_eq "stats clear zeroes the lookups" 0 "$(qjson show pmd | jq '.pmds[0].lookups | .same_key + .emc_hit + .classifier')"
