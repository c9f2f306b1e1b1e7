#!/bin/bash
# A hung libvirtd (SIGSTOP) does not stop qv-controld from restoring a restarted qv-switchd:
# with one VNF VM applied, libvirtd is stopped while qv-controld waits on it, the switch is
# killed (-9) and started again, and its ports and rules come back while libvirtd is still
# stopped (keepalive closes the dead connection). After SIGCONT qv-controld connects again.
. "$(dirname "$0")/lib.sh"

P=$VM_PREFIX
FW=${P}fw-0
controld_vms
VMS+=("$FW")
LV_PID=
# libvirtd is host-wide: whatever happens, it runs again before the VMs are removed
lv_cont_cleanup() {
	local rc=$?
	set +e
	[ -z "$LV_PID" ] || kill -CONT "$LV_PID" 2>/dev/null
	(exit $rc)
	controld_vms_cleanup
}
trap lv_cont_cleanup EXIT

cd_synced() { [ "$(qvc --json show controld | jq -r '.switch_ok and .vm_error == ""')" = true ]; }
port_names() { qjson show ports | jq -c '[.ports[].name] | sort'; }
flow_texts() { qjson show flows | jq -c '[.flows[].text] | sort'; }
stopped() { [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = T ]; }
# a request of qv-controld's sits unread in a libvirtd socket: qv-controld is waiting on it
cd_waits_on_libvirtd() {
	local mine
	mine=$(ss -xpn | awk -v p="pid=$CONTROLD_PID," 'index($0, p) {print $6}' | sort -u)
	[ -n "$mine" ] && ss -xpn | awk -v p="pid=$LV_PID," -v mine=" $(echo "$mine" | tr '\n' ' ')" \
		'index($0, p) && $3 > 0 && index(mine, " " $8 " ") {found = 1} END {exit !found}'
}
vm_listed() { [ "$(vm_field "$FW" state 2>/dev/null)" = running ]; }

cat >"$T/svc.yaml" <<Y
switch:
  socket-dir: $T
  vhost-mode: client
ports:
  - {name: in, type: vhost, path: $T/in.sock}
  - {name: out, type: vhost, path: $T/out.sock}
vnfs:
  - {name: fw, vcpus: 1, memory: 256MiB, kernel: $(guest_kernel), initrd: initrd.img,
     cmdline: "$(cat "$GUEST_DIR/cmdline")"}
chains:
  - {name: web, from: in, match: {proto: udp}, hops: [fw], to: out}
Y

libvirt_up
switch_start # (vhost sockets in $T, where QEMU (libvirt-qemu) makes the VMs' sockets)
cd_start
out=$(qvc apply "$T/svc.yaml") || fail "apply: $out"
check_contains "apply started $FW" "VM $FW" "$out"
wait_until "qv-controld in sync with the switch and libvirt" 120 cd_synced
ports_before=$(port_names) flows_before=$(flow_texts)
check_eq "four ports before" 4 "$(echo "$ports_before" | jq length)"
[ "$(echo "$flows_before" | jq length)" -gt 0 ] || fail "no rules before the restart"
qemu_pid=$(vmctl pid "$FW")

# --- libvirtd hangs, then the switch restarts -------------------------------------------
LV_PID=$(cat /run/libvirtd.pid) || fail "no /run/libvirtd.pid"
kill -STOP "$LV_PID"
wait_until "libvirtd stopped" 10 stopped "$LV_PID"
# its next reconcile (every second) asks libvirt for the VM's state and waits for the answer
wait_until "qv-controld waits on the stopped libvirtd" 30 cd_waits_on_libvirtd
pass "qv-controld sent libvirtd a request it cannot answer"
kill -KILL "$SWITCH_PID"
gone() { ! alive "$1"; }
wait_until "the killed switch gone" 20 gone "$SWITCH_PID"
switch_start # (vhost sockets in $T, where QEMU (libvirt-qemu) makes the VMs' sockets)
wait_until "qv-controld restored the switch's ports with libvirtd stopped" 90 \
	eval '[ "$(port_names)" = "$ports_before" ]'
wait_until "qv-controld restored the switch's rules with libvirtd stopped" 30 \
	eval '[ "$(flow_texts)" = "$flows_before" ]'
stopped "$LV_PID" || fail "libvirtd was not stopped the whole time"
pass "ports and rules restored while libvirtd is stopped"
out=$(qvc --json show controld) || fail "show controld does not answer while libvirtd is stopped"
check_contains "show controld: the VM error names libvirt" "libvirt" "$(echo "$out" | jq -r .vm_error)"

# --- libvirtd answers again: qv-controld connects anew ----------------------------------
kill -CONT "$LV_PID"
LV_PID=
wait_until "vm list answers again after SIGCONT" 90 vm_listed
check_eq "the VM kept its QEMU process" "$qemu_pid" "$(vmctl pid "$FW")"
wait_until "qv-controld in sync again" 60 cd_synced
