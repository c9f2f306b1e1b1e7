#!/bin/bash
# VM lifecycle through control/vm (qv-vmctl): a second 'up' adopts the running domain instead of
# starting a duplicate; stop falls back to destroy after its timeout; snapshot + revert of a
# diskless VM (external memory file) and of one with a qcow2 disk (internal); a clone on the same
# base image with new MACs and sockets; traffic through a reverted VM. QEMU runs as libvirt-qemu
# and a disk is its only while the VM runs. qv-exporter, through qv-controld's vm.list, exports
# each VM's state and a CPU time counter that moves; promtool accepts the scrape.
. "$(dirname "$0")/lib.sh"

A=${VM_PREFIX}lca B=${VM_PREFIX}lcb C=${VM_PREFIX}lcc
libvirt_up
switch_start
qemu-img create -q -f qcow2 "$T/base.qcow2" 32M
qemu-img create -q -f qcow2 -F qcow2 -b "$T/base.qcow2" "$T/$B.qcow2"
for vm in "$A" "$B" "$C"; do
	for n in a b; do qvctl port add "${vm#"$VM_PREFIX"}$n" vhost "$T/$vm-$n.sock" --client >/dev/null; done
done
qvctl port add in vhost "$T/in.sock" >/dev/null
qvctl port add out vhost "$T/out.sock" >/dev/null
qvctl flow add 'in=in,proto=udp actions=output:lcaa' >/dev/null
qvctl flow add 'in=lcab,proto=udp actions=output:out' >/dev/null

SPEC_A=(--name "$A" --iface "$T/$A-a.sock" --iface "$T/$A-b.sock")
SPEC_B=(--name "$B" --iface "$T/$B-a.sock" --iface "$T/$B-b.sock" --disk "$T/$B.qcow2"
	--disk-base "$T/base.qcow2")
vm_up "$A" "${SPEC_A[@]}"
vm_up "$B" "${SPEC_B[@]}"
vm_wait_ready "$A" "$B"

# --- adopt, never duplicate ------------------------------------------------------------------
pid=$(vmctl pid "$A")
out=$(vmctl up --guest "$GUEST_DIR" --serial-log "$T/$A.serial" "${SPEC_A[@]}")
check_eq "second up of a running VM" "$A adopted" "$out"
check_eq "same QEMU after adopt" "$pid" "$(vmctl pid "$A")"
check_eq "domains named $A" 1 "$(vmctl list "$A" | grep -c "^$A ")"
check_eq "serial log path from the domain" "$T/$A.serial" "$(vmctl serial "$A")"

# --- stop: the bridge guest has no ACPI handler, so the timeout ends in destroy ---------------
out=$(vmctl stop "$A" --timeout 2)
check_eq "stop after timeout" "$A stopped (destroyed after the timeout)" "$out"
check_eq "state after stop" shutoff "$(vmctl state "$A")"
vmctl start "$A"
vm_wait_ready "$A"
wait_until "lcaa up" 90 state_is lcaa up

# --- diskless: external memory snapshot, revert = restore the memory image -------------------
vmctl snapshot "$A" s1 --dir "$T"
[ -s "$T/$A/s1.mem" ] || fail "no memory file $T/$A/s1.mem"
pass "memory snapshot of $A written ($(stat -c %s "$T/$A/s1.mem") bytes)"
check_eq "$A keeps running after its snapshot" running "$(vmctl state "$A")"
pid=$(vmctl pid "$A")
vmctl revert "$A" s1
check_eq "$A running after revert" running "$(vmctl state "$A")"
[ "$(vmctl pid "$A")" != "$pid" ] || fail "revert of $A did not restart QEMU"
wait_until "lcaa up after revert" 90 state_is lcaa up
wait_until "lcab up after revert" 90 state_is lcab up
# The restored guest resumes with the virtio rings of the snapshot while the switch has just
# reconnected: the first packets may be lost while both sides resynchronise (a slow TCG guest
# takes a while). Warm the path up, then require every packet.
peer_run rev-warmup "$T/in.sock" "$T/out.sock" -- --gen 0:64:4 --count 50 --rate 500 \
	--rx 1 --timeout 60 || true
peer_run rev "$T/in.sock" "$T/out.sock" -- --gen 0:64:4 --count 300 --rate 1000 --window 64 \
	--rx 1 --expect 300 --timeout 120 || fail "no traffic through $A after revert"
pass "300 packets through $A after its revert"
vmctl snapshot-delete "$A" s1
[ ! -e "$T/$A/s1.mem" ] || fail "snapshot-delete left $T/$A/s1.mem"
pass "snapshot s1 of $A deleted with its file"

# --- qcow2 disk: internal snapshot, libvirt revert -------------------------------------------
vmctl snapshot "$B" s1
check_contains "snapshot listed" s1 "$(virsh -q -c qemu:///system snapshot-list "$B" --name)"
vmctl revert "$B" s1
check_eq "$B running after revert" running "$(vmctl state "$B")"

# --- clone of B: new overlay on the same base, new MACs, new sockets -------------------------
out=$(vmctl clone --guest "$GUEST_DIR" --vcpu-cpuset "$VM_CPU" --emulatorpin "$VM_CPU" \
	--serial-log "$T/$B.serial" "${SPEC_B[@]}" --as "$C")
VMS+=("$C")
check_eq "clone" "$C started disk=$T/$C.qcow2" "$out"
check_contains "clone overlay backed by the base" "backing file: $T/base.qcow2" \
	"$(qemu-img info -U "$T/$C.qcow2")"
xb=$(vmctl xml-of "$B") xc=$(vmctl xml-of "$C")
check_contains "clone socket" "path='$T/$C-a.sock'" "$xc"
macb=$(echo "$xb" | grep -o "mac address='[^']*'" | head -1)
macc=$(echo "$xc" | grep -o "mac address='[^']*'" | head -1)
[ -n "$macc" ] && [ "$macb" != "$macc" ] || fail "clone kept MAC $macb"
pass "clone has its own MACs ($macc)"
vm_wait_ready "$C"
wait_until "clone's port lcca up" 90 state_is lcca up

# --- QEMU as its own user; libvirt lends it the disk for the VM's lifetime -------------------
pid=$(vmctl pid "$C")
check_eq "$C QEMU runs as" libvirt-qemu "$(ps -o user:32= -p "$pid")"
check_eq "$B's overlay is QEMU's while $B runs" libvirt-qemu "$(stat -c %U "$T/$B.qcow2")"

# --- qv-exporter: VM state and CPU time from qv-controld's vm.list --------------------------
# qv-controld lists the domains with its prefix even when no service file names them (it
# manages none of them, so it leaves them alone); no switch for it: it has nothing to program.
command -v promtool >/dev/null ||
	fail "promtool missing: apt-get install -y prometheus (scripts/setup-host.sh installs it)"
CONTROLD_VMS=yes controld_start --vm-prefix "$VM_PREFIX" --images "$GUEST_DIR" --interval 1000 \
	--switch "$T/no-switch.sock"
"$QV_BUILD/control/exporter/qv-exporter" --listen 127.0.0.1:0 --switch "$CTL_DIR/sw.sock" \
	--controld "$CTL_DIR/cd.sock" --timeout 10000 >"$T/exporter.log" 2>&1 &
PIDS+=($!)
wait_until "qv-exporter ready" 30 grep -q 'qv-exporter: ready' "$T/exporter.log"
ADDR=$(sed -n 's|.*listening on http://\([^/]*\)/metrics.*|\1|p' "$T/exporter.log")
scrape() { curl -sS --fail --max-time 30 "http://$ADDR/metrics" >"$1"; }
value() { awk -v s="$2" '$1 == s {print $2}' "$1"; } # value FILE SERIES
gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }
scrape "$T/m1.txt" || fail "scrape of http://$ADDR/metrics failed"
promtool check metrics <"$T/m1.txt" >"$T/promtool1.log" 2>&1 ||
	fail "promtool check metrics: $(cat "$T/promtool1.log")"
pass "promtool check metrics passes on a scrape with VMs"
check_eq "qv_up controld" 1 "$(value "$T/m1.txt" 'qv_up{daemon="controld"}')"
check_eq "qv_vm_state of $A: running" 1 "$(value "$T/m1.txt" "qv_vm_state{vm=\"$A\",state=\"running\"}")"
check_eq "qv_vm_state of $A: not shutoff" 0 "$(value "$T/m1.txt" "qv_vm_state{vm=\"$A\",state=\"shutoff\"}")"
cpu1=$(value "$T/m1.txt" "qv_vm_cpu_seconds_total{vm=\"$A\"}")
vcpu1=$(value "$T/m1.txt" "qv_vm_vcpu_seconds_total{vm=\"$A\"}")
gt "${cpu1:-0}" 0 || fail "qv_vm_cpu_seconds_total{vm=\"$A\"} is '$cpu1': $(grep cpu_seconds "$T/m1.txt")"
gt "${vcpu1:-0}" 0 || fail "qv_vm_vcpu_seconds_total{vm=\"$A\"} is '$vcpu1'"
pass "$A has used ${cpu1} s of CPU, ${vcpu1} s in its vCPUs"
# a running TCG guest keeps using CPU: a later scrape must show more
cpu_moved() { scrape "$T/m2.txt" && gt "$(value "$T/m2.txt" "qv_vm_cpu_seconds_total{vm=\"$A\"}")" "$cpu1"; }
wait_until "qv_vm_cpu_seconds_total of $A beyond $cpu1" 90 cpu_moved
promtool check metrics <"$T/m2.txt" >"$T/promtool2.log" 2>&1 ||
	fail "promtool check metrics (2nd scrape): $(cat "$T/promtool2.log")"
pass "$A's CPU time counter moved between scrapes ($cpu1 -> $(value "$T/m2.txt" "qv_vm_cpu_seconds_total{vm=\"$A\"}"))"

# --- the disk goes back to root when the VM stops ---------------------------------------------
vmctl destroy "$B" >/dev/null
check_eq "$B's overlay back to root once $B is off" root "$(stat -c %U "$T/$B.qcow2")"
scrape "$T/m3.txt" || fail "scrape after destroying $B failed"
check_eq "qv_vm_state of $B after destroy: shutoff" 1 \
	"$(value "$T/m3.txt" "qv_vm_state{vm=\"$B\",state=\"shutoff\"}")"
