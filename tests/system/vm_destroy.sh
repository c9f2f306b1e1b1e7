#!/bin/bash
# One VNF VM destroyed under traffic: the other chain keeps forwarding, the dead hop's packets
# are counted as port-down drops, and once the VM is started again its chain carries traffic.
. "$(dirname "$0")/lib.sh"

FW1=${VM_PREFIX}fw1 FW2=${VM_PREFIX}fw2
libvirt_up
switch_start
for p in fw1a fw1b fw2a fw2b; do qvctl port add $p vhost "$T/$p.sock" --client >/dev/null; done
for p in ina outa inb outb; do qvctl port add $p vhost "$T/$p.sock" >/dev/null; done
qvctl flow add 'in=ina,proto=udp actions=output:fw1a' >/dev/null
qvctl flow add 'in=fw1b,proto=udp actions=output:outa' >/dev/null
qvctl flow add 'in=inb,proto=udp actions=output:fw2a' >/dev/null
qvctl flow add 'in=fw2b,proto=udp actions=output:outb' >/dev/null
vm_up "$FW1" --iface "$T/fw1a.sock" --iface "$T/fw1b.sock"
vm_up "$FW2" --iface "$T/fw2a.sock" --iface "$T/fw2b.sock"
vm_wait_ready "$FW1" "$FW2"
for p in fw1a fw1b fw2a fw2b; do wait_until "port $p up" 60 state_is $p up; done

peer_bg a "$T/ina.sock" "$T/outa.sock" -- --gen 0:64:4 --duration 0 --rate 300 --window 64 \
	--rx 1 --json "$T/a.json"
PEER_A=$PEER_PID
peer_bg b "$T/inb.sock" "$T/outb.sock" -- --gen 0:64:4 --duration 0 --rate 300 --window 64 \
	--rx 1 --json "$T/b.json"
PEER_B=$PEER_PID
wait_until "chain a forwarding" 120 port_ge outa tx_packets 200
wait_until "chain b forwarding" 120 port_ge outb tx_packets 200
pass "both chains forward"

vmctl destroy "$FW1"
check_eq "$FW1 after destroy" shutoff "$(vmctl state "$FW1")"
wait_until "fw1a down after $FW1 died" 30 state_is fw1a down
pass "the switch saw $FW1's ports go down"
b0=$(port_field outb tx_packets)
wait_until "chain b still forwarding" 120 port_ge outb tx_packets $((b0 + 300))
pass "chain b forwarded $(($(port_field outb tx_packets) - b0)) more packets with $FW1 dead"
wait_until "port-down drops on ina" 60 eval '[ "$(port_drop ina port-down)" -gt 0 ]'
pass "chain a's packets are dropped as port-down ($(port_drop ina port-down) so far)"
check_eq "$FW2 untouched" running "$(vmctl state "$FW2")"

# the dead hop comes back: same definition, same sockets, the switch reconnects
a0=$(port_field outa tx_packets)
vmctl start "$FW1"
vm_wait_ready "$FW1"
wait_until "fw1a up again" 90 state_is fw1a up
wait_until "chain a forwarding again" 120 port_ge outa tx_packets $((a0 + 200))
pass "chain a forwards again after $FW1 restarted"
for p in "$PEER_A" "$PEER_B"; do stop_pid "$p"; wait "$p" 2>/dev/null || true; done
