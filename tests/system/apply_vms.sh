#!/bin/bash
# qvctl apply launches the VNF VMs: a file with two VNFs in a chain becomes two libvirt domains
# started by qv-controld after their vhost-user ports exist; traffic crosses the chain with
# counters at every hop; vm list / show placement show them; a restarted qv-controld adopts the
# running QEMUs (no duplicate); a VNF removed from the file loses its VM; nothing is left.
. "$(dirname "$0")/lib.sh"

N=2000
P=$VM_PREFIX # domains are PREFIXfw1-0, PREFIXfw2-0
FW1=${P}fw1-0 FW2=${P}fw2-0
controld_vms
VMS+=("$FW1" "$FW2") # removed by sys_cleanup whatever happens
cd_synced() { [ "$(qvc --json show controld | jq -r '.switch_ok and .vm_error == ""')" = true ]; }
our_domains() { virsh_q list --all --name | grep -c "^$P" || true; }
booted() { grep -aq 'QV-GUEST-READY' "$(serial "$1")" 2>/dev/null; }

kernel=$(guest_kernel)
vnf() { # vnf NAME: a bridge guest, paths relative to --images
	echo "  - {name: $1, vcpus: 1, memory: 256MiB, kernel: $kernel, initrd: initrd.img," \
		"cmdline: \"$(cat "$GUEST_DIR/cmdline")\"}"
}
service() { # service HOP...: the file with those VNFs as the chain's hops
	cat <<Y
switch:
  socket-dir: $T
  vhost-mode: client
ports:
  - {name: in, type: vhost, path: $T/in.sock}
  - {name: out, type: vhost, path: $T/out.sock}
vnfs:$([ $# -gt 0 ] || echo " []")
$(for h in "$@"; do vnf "$h"; done)
chains:
  - {name: web, from: in, match: {proto: udp}, hops: [$(IFS=,; echo "$*")], to: out}
Y
}

libvirt_up
switch_start
cd_start

# --- apply: ports, rules, then the two VMs -----------------------------------------------
service fw1 fw2 >"$T/svc.yaml"
out=$(qvc apply --check "$T/svc.yaml")
check_contains "check plans VM $FW1" "start VM      $FW1" "$out"
check_eq "check started nothing" 0 "$(our_domains)"
out=$(qvc apply "$T/svc.yaml") || fail "apply: $out"
check_contains "apply started $FW1" "VM $FW1" "$out"
check_contains "apply started $FW2" "VM $FW2" "$out"
check_eq "virsh list: both VMs running" "$FW1 $FW2" \
	"$(virsh_q list --name | grep "^$P" | sort | tr '\n' ' ' | sed 's/ $//')"
for vm in "$FW1" "$FW2"; do
	wait_until "$vm prints its ready line" "$BOOT_TIMEOUT" booted "$vm"
done
pass "both guests booted"
for p in fw1-0-in fw1-0-out fw2-0-in fw2-0-out; do wait_until "port $p up" 60 state_is $p up; done
pass "the switch reached the four VM sockets (QEMU is the server)"
xml=$(virsh_q dumpxml "$FW1")
check_contains "$FW1: QEMU serves the fw1-0-in socket" "path='$T/fw1-0-in.sock' mode='server'" "$xml"

# --- traffic end to end, counters at every hop ------------------------------------------
path_ready "$T/in.sock" "$T/out.sock"
peer_run chain "$T/in.sock" "$T/out.sock" -- --gen 0:64:4 --count $N --rate 2000 --window 128 \
	--rx 1 --expect $N --timeout 120 --json "$T/chain.json" ||
	fail "in -> fw1 -> fw2 -> out did not deliver $N packets (see peer-chain.log)"
check_eq "packets received by the peer" $N "$(jq .rx "$T/chain.json")"
check_eq "in rx" $N "$(port_field in rx_packets)"
check_eq "fw1-0-in tx (into fw1)" $N "$(port_field fw1-0-in tx_packets)"
for p in fw1-0-out fw2-0-out; do # less what the guest sends by itself (no-match drops)
	check_eq "$p rx (out of the VM)" $N "$(($(port_field $p rx_packets) - $(port_drop $p no-match)))"
done
check_eq "fw2-0-in tx (into fw2)" $N "$(port_field fw2-0-in tx_packets)"
check_eq "out tx" $N "$(port_field out tx_packets)"
chains=$(qvc show chains)
check_contains "show chains: the hops" "chain web: in -> fw1 -> fw2 -> out" "$chains"

# --- what the operator sees --------------------------------------------------------------
list=$(qvc vm list)
check_contains "vm list: $FW1" "$FW1" "$list"
check_eq "vm list: both running" "running running" \
	"$(vm_field "$FW1" state) $(vm_field "$FW2" state)"
check_eq "vm list: vcpus and memory" "1 256" "$(vm_field "$FW1" vcpus) $(vm_field "$FW1" memory_mib)"
check_eq "vm list: serial log" "$(serial "$FW1")" "$(vm_field "$FW1" serial_log)"
check_eq "vm list: vCPU 0 pinned off the PMD core" "0:$VM_CPU" "$(vm_field "$FW1" vcpupin)"
check_eq "virsh vcpupin agrees" "0 $VM_CPU" "$(virsh_q vcpupin "$FW1" | awk '{print $1, $2}')"
check_contains "vm console: the guest's ready line" "QV-GUEST-READY" "$(qvc vm console "$FW1")"
place=$(qvc show placement)
check_contains "show placement: the PMD core" "PMD CPUs: $PMD_CPU" "$place"
check_contains "show placement: $FW2 explained" "$FW2" "$place"
out=$(qvc vm start "${P}nosuch" 2>&1) && fail "vm start of an unknown VM succeeded"
check_contains "unknown VM: the error names it" "${P}nosuch is not one of qv-controld's VMs" "$out"

# --- qv-controld restarted: the running VMs are adopted, not started again ----------------
pid1=$(vmctl pid "$FW1") pid2=$(vmctl pid "$FW2")
stop_pid "$CONTROLD_PID"
wait "$CONTROLD_PID" 2>/dev/null || fail "qv-controld did not exit cleanly on SIGTERM"
cd_start
wait_until "restarted qv-controld reconciled" 60 cd_synced
check_eq "same QEMU processes after the restart" "$pid1 $pid2" "$(vmctl pid "$FW1") $(vmctl pid "$FW2")"
check_eq "no duplicate domains" 2 "$(our_domains)"
check_contains "nothing to change after the restart" "nothing to change" "$(qvc apply "$T/svc.yaml")"
check_eq "still the same QEMU processes" "$pid1 $pid2" "$(vmctl pid "$FW1") $(vmctl pid "$FW2")"

# --- fw2 leaves the file: its VM goes, fw1 keeps running and forwarding --------------------
service fw1 >"$T/svc.yaml"
out=$(qvc apply "$T/svc.yaml") || fail "apply without fw2: $out"
check_contains "apply removed $FW2" "VM $FW2" "$out"
check_eq "$FW2 is no domain any more" absent "$(vmctl state "$FW2" 2>&1)"
[ ! -e "$(serial "$FW2")" ] || fail "$FW2's serial log is still there"
check_eq "$FW1 untouched" "$pid1" "$(vmctl pid "$FW1")"
peer_run short "$T/in.sock" "$T/out.sock" -- --gen 0:64:4 --count 200 --rate 2000 --window 64 \
	--rx 1 --expect 200 --timeout 120 --json "$T/short.json" ||
	fail "in -> fw1 -> out did not deliver 200 packets (see peer-short.log)"
check_eq "packets through the shorter chain" 200 "$(jq .rx "$T/short.json")"

# --- no VNFs left: every domain destroyed and undefined -----------------------------------
service >"$T/svc.yaml"
qvc apply "$T/svc.yaml" >/dev/null || fail "apply without VNFs failed"
check_eq "no domain of this test left" 0 "$(our_domains)"
