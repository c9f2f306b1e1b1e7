#!/bin/bash
# A chain of two VNF VMs (bridge guests under libvirt + QEMU) on qv-switchd: traffic from a
# qv-peer goes in -> fw1 -> fw2 -> out, every hop's counters add up, and the placement asked
# for (vCPUs, emulator, memory on node 0, off the PMD core) shows in the XML and in virsh, and
# QEMU runs as libvirt-qemu, not root.
. "$(dirname "$0")/lib.sh"

N=2000
FW1=${VM_PREFIX}fw1 FW2=${VM_PREFIX}fw2
libvirt_up
switch_start
# QEMU is the vhost-user server, the switch the reconnecting client (DESIGN: either restarts)
two_fw_chain

vm_up "$FW1" --iface "$T/fw1a.sock" --iface "$T/fw1b.sock"
vm_up "$FW2" --iface "$T/fw2a.sock" --iface "$T/fw2b.sock"
vm_wait_ready "$FW1" "$FW2"
for p in fw1a fw1b fw2a fw2b; do wait_until "port $p up" 60 state_is $p up; done
pass "the switch reached all four VM sockets"

# --- placement: in the domain XML libvirt keeps, in virsh, and on the QEMU threads -----------
for vm in "$FW1" "$FW2"; do
	xml=$(vmctl xml-of "$vm")
	check_contains "$vm XML vcpupin" "<vcpupin vcpu='0' cpuset='$VM_CPU'/>" "$xml"
	check_contains "$vm XML emulatorpin" "<emulatorpin cpuset='$VM_CPU'/>" "$xml"
	check_contains "$vm XML numatune" "<memory mode='strict' nodeset='0'/>" "$xml"
	check_contains "$vm XML memfd" "<source type='memfd'/>" "$xml"
	check_contains "$vm XML QEMU is the vhost-user server" "path='$T/${vm#"$VM_PREFIX"}a.sock' mode='server'" "$xml"
	check_eq "$vm virsh vcpupin" "0 $VM_CPU" \
		"$(virsh -q -c qemu:///system vcpupin "$vm" | awk '{print $1, $2}')"
	check_eq "$vm virsh emulatorpin" "$VM_CPU" \
		"$(virsh -q -c qemu:///system emulatorpin "$vm" | awk 'NF {v = $NF} END {print v}')"
	pid=$(vmctl pid "$vm")
	check_eq "$vm QEMU main thread affinity" "$VM_CPU" "$(taskset -pc "$pid" | sed 's/.*: //')"
	# QEMU is not root: Debian's libvirt-qemu (scripts/setup-libvirt.sh), reaching the sockets
	# in $T through its supplementary group qwikvirt
	check_eq "$vm QEMU runs as" libvirt-qemu "$(ps -o user:32= -p "$pid")"
	check_contains "$vm QEMU is in group qwikvirt" qwikvirt "$(ps -o supgrp:256= -p "$pid")"
done

# --- traffic end to end, paced well below what two TCG guests forward ------------------------
path_ready "$T/in.sock" "$T/out.sock"
peer_run chain "$T/in.sock" "$T/out.sock" -- --gen 0:64:4 --count $N --rate 2000 --window 128 \
	--rx 1 --expect $N --timeout 120 --json "$T/chain.json" ||
	fail "in -> fw1 -> fw2 -> out did not deliver $N packets (see peer-chain.log)"
check_eq "packets received by the peer" $N "$(jq .rx "$T/chain.json")"
check_eq "in rx" $N "$(port_field in rx_packets)"
check_eq "fw1a tx (into fw1)" $N "$(port_field fw1a tx_packets)"
# What a guest sends on its own (QEMU's announce frames, never UDP) reaches no rule: it is
# dropped as no-match at the VM's port, so rx there = forwarded + no-match drops.
for p in fw1b fw2b; do
	check_eq "$p rx (out of the VM) less the guest's own no-match frames" $N \
		"$(($(port_field $p rx_packets) - $(port_drop $p no-match)))"
done
check_eq "fw2a tx (into fw2)" $N "$(port_field fw2a tx_packets)"
check_eq "out tx" $N "$(port_field out tx_packets)"
check_eq "drops other than the guests' no-match frames" 0 \
	"$(qjson show ports | jq '[.ports[].drops | to_entries[] | select(.key != "no-match") | .value] | add // 0')"
check_eq "no-match drops on the switch-facing ports" 0 \
	"$(($(port_drop in no-match) + $(port_drop out no-match)))"
