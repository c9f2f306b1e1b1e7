#!/bin/bash
# qv-switchd restarted under traffic: two VNF VMs in a chain keep running (same QEMU
# processes), the new switch reconnects to their sockets (QEMU is the vhost-user server, the
# switch the client) and to the traffic peer, and packets flow end to end again.
. "$(dirname "$0")/lib.sh"

FW1=${VM_PREFIX}fw1 FW2=${VM_PREFIX}fw2

libvirt_up
switch_start
two_fw_chain # what a control daemon replays into a fresh switch
vm_up "$FW1" --iface "$T/fw1a.sock" --iface "$T/fw1b.sock"
vm_up "$FW2" --iface "$T/fw2a.sock" --iface "$T/fw2b.sock"
vm_wait_ready "$FW1" "$FW2"
for p in fw1a fw1b fw2a fw2b; do wait_until "port $p up" 60 state_is $p up; done

peer_bg flow "$T/in.sock" "$T/out.sock" -- --gen 0:64:4 --duration 0 --rate 500 --window 64 \
	--rx 1 --json "$T/flow.json"
FLOW=$PEER_PID
wait_until "traffic through both VMs before the restart" 120 port_ge out tx_packets 300
pass "traffic flows through $FW1 and $FW2 ($(port_field out tx_packets) packets out)"

pid1=$(vmctl pid "$FW1") pid2=$(vmctl pid "$FW2")
switch_stop
pass "qv-switchd stopped under traffic"
check_eq "$FW1 still running without the switch" running "$(vmctl state "$FW1")"
check_eq "$FW2 still running without the switch" running "$(vmctl state "$FW2")"
stop_pid "$FLOW"
wait "$FLOW" 2>/dev/null || true

switch_start
two_fw_chain
for p in fw1a fw1b fw2a fw2b; do wait_until "port $p up again" 90 state_is $p up; done
pass "the new switch reconnected to both VMs' sockets"
check_eq "$FW1 is the same QEMU process" "$pid1" "$(vmctl pid "$FW1")"
check_eq "$FW2 is the same QEMU process" "$pid2" "$(vmctl pid "$FW2")"
peer_run after "$T/in.sock" "$T/out.sock" -- --gen 0:64:4 --count 1000 --rate 1000 --window 64 \
	--rx 1 --expect 1000 --timeout 120 --json "$T/after.json" ||
	fail "no traffic through the VMs after the switch restart (see peer-after.log)"
check_eq "packets through both VMs after the restart" 1000 "$(jq .rx "$T/after.json")"
check_eq "out tx on the new switch" 1000 "$(port_field out tx_packets)"
