#!/bin/bash
# The operator's VM commands through qv-controld (qvctl vm ...), on a VNF VM it launched from
# the file: stop (and it stays stopped across applies, and across a vms.json that had to be
# set aside), start, restart, snapshot + revert with
# traffic after, clone + delete (new MACs, new switch ports), then the VNF's instance count
# raised by apply (instance 1 is a clone of instance 0; the hop balances over both, both carry
# traffic) and lowered again (instance 1's VM and ports go, the chain keeps forwarding).
. "$(dirname "$0")/lib.sh"
P=$VM_PREFIX
FW0=${P}fw-0 FW1=${P}fw-1 FWC=${P}fwc
controld_vms
VMS+=("$FW0" "$FW1" "$FWC") # removed by sys_cleanup whatever happens
readies() { grep -ac 'QV-GUEST-READY' "$(serial "$1")" 2>/dev/null || true; }
booted_n() { [ "$(readies "$1")" -ge "$2" ]; } # booted_n VM N: its serial log has N ready lines
vm_state() { vm_field "$1" state; }
vm_pid() { vm_field "$1" pid; }
macs() { qvc vm xml "$1" | sed -n "s/.*<mac address='\([^']*\)'.*/\1/p" | tr '\n' ' '; }
has_port() { qjson show ports | jq -e --arg n "$1" 'any(.ports[]; .name == $n)' >/dev/null; }

kernel=$(guest_kernel)
service() { # service INSTANCES [MEMORY]
	cat <<Y
switch: {socket-dir: $T, vhost-mode: client}
ports:
  - {name: in, type: vhost, path: $T/in.sock}
  - {name: out, type: vhost, path: $T/out.sock}
vnfs:
  - {name: fw, vcpus: 1, memory: ${2:-256MiB}, kernel: $kernel, initrd: initrd.img, instances: $1,
     cmdline: "$(cat "$GUEST_DIR/cmdline")"}
chains:
  - {name: web, from: in, match: {proto: udp}, hops: [fw], to: out}
Y
}
traffic() { # traffic NAME N [FLOWS]: N packets in -> fw -> out, every one delivered
	peer_run "$1" "$T/in.sock" "$T/out.sock" -- --gen "0:64:${3:-4}" --count "$2" --rate 2000 \
		--window 64 --rx 1 --expect "$2" --timeout 120 --json "$T/$1.json" ||
		fail "$1: the chain did not deliver $2 packets (see peer-$1.log)"
	pass "$1: $2 packets through the chain"
}
fw_up() { # fw_up VM READIES: booted that many times, its ports up, the path through it warm
	wait_until "$1 boot #$2" "$BOOT_TIMEOUT" booted_n "$1" "$2"
	wait_until "$1 ports up" 60 bash -c "[ \"\$($QVCTL_BIN --switch $CTL_DIR/sw.sock --json show ports |
		jq -r '[.ports[] | select(.name | startswith(\"${1#"$P"}-\")) | .state] | unique | join(\",\")')\" = up ]"
}

libvirt_up
switch_start
cd_start
service 1 >"$T/svc.yaml"
out=$(qvc apply "$T/svc.yaml") || fail "apply: $out"
check_contains "apply started $FW0" "VM $FW0" "$out"
fw_up "$FW0" 1
path_ready "$T/in.sock" "$T/out.sock"
traffic first 300

# --- stop: graceful (or destroyed after 2 s), held across applies -------------------------
out=$(qvc vm stop "$FW0" 2>&1) || fail "vm stop: $out"
check_contains "vm stop says what it did" "VM $FW0:" "$out"
check_eq "stopped" shutoff "$(vm_state "$FW0")"
check_eq "vm list: held" true "$(vm_field "$FW0" held)"
qvc apply "$T/svc.yaml" >/dev/null || fail "re-apply failed"
check_eq "an apply does not start a held VM" shutoff "$(vm_state "$FW0")"
check_contains "vm list marks it" "shutoff (held)" "$(qvc vm list)"

# --- the hold outlives a vms.json that has to be set aside: the mark in the libvirt domain ---
stop_pid "$CONTROLD_PID"
printf '{"managed": ["%s"], "held": [' "$FW0" >"$T/state/vms.json"
cd_start
out=$(qvc apply "$T/svc.yaml") || fail "apply with vms.json set aside: $out"
check_contains "vms.json set aside, and said so" "vms.json: unreadable" "$(qvc show controld)"
check_eq "an apply after that does not start the held VM" shutoff "$(vm_state "$FW0")"
check_eq "vm list: still held" true "$(vm_field "$FW0" held)"
check_eq "the new vms.json has the hold again, and the VM as managed" "true true" \
	"$(jq -r --arg n "$FW0" '"\(any(.held[]; . == $n)) \(any(.managed[]; . == $n))"' "$T/state/vms.json")"
held_mark() { virsh_q metadata "$FW0" https://qwikvirt.invalid/vm/held/1 --config 2>/dev/null; }
check_contains "the mark in the domain's definition" "<held" "$(held_mark)"

# --- start, restart ----------------------------------------------------------------------
out=$(qvc vm start "$FW0" 2>&1) || fail "vm start: $out"
check_eq "started" running "$(vm_state "$FW0")"
check_eq "vm start ended the hold in the domain's definition too" "" "$(held_mark)"
fw_up "$FW0" 2
path_ready "$T/in.sock" "$T/out.sock"
traffic after-start 300
pid=$(vm_pid "$FW0")
out=$(qvc vm restart "$FW0" 2>&1) || fail "vm restart: $out"
check_eq "restarted" running "$(vm_state "$FW0")"
[ "$(vm_pid "$FW0")" != "$pid" ] || fail "vm restart kept QEMU $pid"
pass "vm restart: a new QEMU ($pid -> $(vm_pid "$FW0"))"
fw_up "$FW0" 3
path_ready "$T/in.sock" "$T/out.sock"
traffic after-restart 300

# --- snapshot + revert ---------------------------------------------------------------------
out=$(qvc vm snapshot "$FW0" s1) || fail "vm snapshot: $out"
check_contains "vm snapshot" "VM $FW0: snapshot s1" "$out"
check_eq "running after its snapshot" running "$(vm_state "$FW0")"
pid=$(vm_pid "$FW0")
out=$(qvc vm revert "$FW0" s1) || fail "vm revert: $out"
check_contains "vm revert" "VM $FW0: reverted to s1" "$out"
check_eq "running after revert" running "$(vm_state "$FW0")"
[ "$(vm_pid "$FW0")" != "$pid" ] || fail "revert of $FW0 did not restore a new QEMU"
out=$(qvc vm revert "$FW0" nosuch 2>&1) && fail "revert to a missing snapshot succeeded"
check_contains "revert to a missing snapshot: the error names it" "nosuch" "$out"
fw_up "$FW0" 3 # restored memory: no new boot
path_ready "$T/in.sock" "$T/out.sock"
traffic after-revert 300

# --- clone + delete --------------------------------------------------------------------------
out=$(qvc vm clone "$FW0" "$FWC") || fail "vm clone: $out"
check_contains "vm clone" "VM $FWC cloned from $FW0" "$out"
check_eq "the clone runs" running "$(vm_state "$FWC")"
for p in fwc-in fwc-out; do has_port $p || fail "no switch port $p for the clone"; done
pass "the clone has switch ports fwc-in, fwc-out"
[ "$(macs "$FWC")" != "$(macs "$FW0")" ] || fail "the clone has $FW0's MACs: $(macs "$FWC")"
pass "the clone's MACs differ ($(macs "$FWC"))"
check_contains "the clone serves its own socket" "path='$T/fwc-in.sock' mode='server'" "$(qvc vm xml "$FWC")"
check_eq "vm list: origin clone" clone "$(vm_field "$FWC" origin)"
out=$(qvc vm delete "$FW0" 2>&1) && fail "vm delete of a file's VM succeeded"
check_contains "an instance of the file is not deleted by hand" "remove the VNF" "$out"
qvc vm delete "$FWC" >/dev/null || fail "vm delete of the clone failed"
check_eq "the clone is gone" absent "$(vmctl state "$FWC" 2>&1)"
for p in fwc-in fwc-out; do ! has_port $p || fail "switch port $p outlived the clone"; done
pass "the clone's ports went with it"

# --- instances raised by apply: instance 1 is a clone of 0, the hop balances over both ------
service 2 >"$T/svc.yaml"
out=$(qvc apply "$T/svc.yaml") || fail "apply instances: 2: $out"
check_contains "apply started $FW1" "VM $FW1" "$out"
check_contains "the hop balances over both" "group:fw-0-in+fw-1-in" "$(qvctl show flows)"
check_eq "$FW0 untouched" running "$(vm_state "$FW0")"
[ "$(macs "$FW1")" != "$(macs "$FW0")" ] || fail "instance 1 has instance 0's MACs"
pass "instance 1 has its own MACs ($(macs "$FW1"))"
fw_up "$FW1" 1
path_ready "$T/in.sock" "$T/out.sock"
traffic two-instances 1000 64
for i in 0 1; do
	n=$(port_field fw-$i-in tx_packets)
	[ "$n" -gt 0 ] || fail "instance $i got no packet of 64 flows"
	pass "instance $i carried $n of the 1000 packets"
done

# --- lowered again: instance 1's VM and ports go, the chain keeps forwarding; a new memory
# size is reported for the running instance 0, which keeps running until it is restarted ----
pid=$(vm_pid "$FW0")
service 1 320MiB >"$T/svc.yaml"
out=$(qvc apply "$T/svc.yaml") || fail "apply instances: 1: $out"
check_contains "apply removed $FW1" "VM $FW1" "$out"
check_contains "apply says $FW0 runs with the old size" \
	"VM $FW0 runs with 1 vCPU(s) and 256 MiB, the file says 1 and 320 MiB: qvctl vm restart $FW0 applies it" "$out"
check_eq "$FW0 not restarted by the apply" "$pid" "$(vm_pid "$FW0")"
check_eq "$FW1 is no domain any more" absent "$(vmctl state "$FW1" 2>&1)"
for p in fw-1-in fw-1-out; do ! has_port $p || fail "switch port $p outlived instance 1"; done
check_contains "the hop is instance 0 alone" "output:fw-0-in" "$(qvctl show flows)"
traffic one-instance-again 300 64
qvc vm restart "$FW0" >/dev/null || fail "vm restart of $FW0 failed"
check_eq "vm restart applied the file's memory" 320 "$(vm_field "$FW0" memory_mib)"
fw_up "$FW0" 4
path_ready "$T/in.sock" "$T/out.sock"
traffic after-resize 300
check_eq "only one instance VM left" 1 "$(virsh_q list --all --name | grep -c "^$P")"
