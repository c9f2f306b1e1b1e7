# shellcheck shell=bash
# lib.sh - helpers for the system tests (source it): real VNF VMs through libvirt + QEMU on a
# real qv-switchd. Builds on tests/integration/lib.sh (work dir, switch, qv-peer, cleanup by PID);
# adds libvirt set-up and VMs that are destroyed and undefined whatever happens.
: "${QV_BUILD:?run through meson test (QV_BUILD is the build dir)}"
SYS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_DIR=$(cd "$SYS_DIR/../.." && pwd)
. "$SRC_DIR/tests/integration/lib.sh"
# QEMU runs as libvirt-qemu (scripts/setup-libvirt.sh) and creates the VMs' sockets in $T, which
# libvirt_up makes root:qwikvirt 3770; the control sockets, in a directory nobody else may
# write to (qv-switchd and qv-controld refuse any other), move to $T/ctl.
CTL_DIR=$T/ctl
mkdir -m 0750 "$CTL_DIR"

VMCTL_BIN=$QV_BUILD/control/vm/qv-vmctl
GUEST_DIR=${QV_GUEST_DIR:-/var/cache/qwikvirt/guest}
BOOT_TIMEOUT=${QV_BOOT_TIMEOUT:-150} # TCG guests on a shared 2-CPU box: be patient
VM_CPU=${QV_VM_CPU:-$CTL_CPU}         # vCPUs and emulator threads stay off the PMD core
VMS=()
LIBVIRT_STARTED=none
# unique per run: domains are host-wide, several checkouts may test at once
VM_PREFIX="qvs$$-"

vmctl() { "$VMCTL_BIN" "$@"; }

sys_cleanup() {
	local rc=$? i
	set +e
	for ((i = ${#VMS[@]} - 1; i >= 0; i--)); do
		vmctl undefine "${VMS[$i]}" >/dev/null 2>&1 || log "could not remove VM ${VMS[$i]}"
	done
	if [ "$LIBVIRT_STARTED" != none ]; then
		"$SRC_DIR/scripts/setup-libvirt.sh" stop >/dev/null 2>&1
	fi
	(exit $rc)
	cleanup
}
trap sys_cleanup EXIT

# libvirt_up: packages, daemons and the guest image; stops what it started at the end
libvirt_up() {
	local out
	out=$("$SRC_DIR/scripts/setup-libvirt.sh" 2>&1) || { echo "$out" >&2; fail "setup-libvirt.sh"; }
	LIBVIRT_STARTED=$(echo "$out" | sed -n 's/^SETUP-LIBVIRT: OK started=//p')
	# setgid: what is made in $T is group qwikvirt, so QEMU may read it; sticky: QEMU may
	# remove only its own sockets
	chgrp qwikvirt "$T" && chmod 3770 "$T" || fail "cannot give $T to group qwikvirt"
	out=$("$SRC_DIR/scripts/build-guest.sh" "$GUEST_DIR" 2>&1) ||
		{ echo "$out" >&2; fail "build-guest.sh"; }
	[ -x "$VMCTL_BIN" ] || fail "$VMCTL_BIN missing: was libvirt-dev there at meson setup?"
}

# vm_up NAME [qv-vmctl spec options...]: defines + starts a diskless bridge guest pinned to
# VM_CPU, serial log $T/NAME.serial. NICs come from the --iface options.
vm_up() {
	local name=$1
	shift
	VMS+=("$name")
	vmctl up --name "$name" --guest "$GUEST_DIR" --vcpu-cpuset "$VM_CPU" \
		--emulatorpin "$VM_CPU" --numa-node 0 --serial-log "$T/$name.serial" "$@" \
		>>"$T/vmctl.log" 2>&1 || { tail -3 "$T/vmctl.log" >&2; fail "VM $name did not start"; }
}

vm_booted() { grep -aq 'QV-GUEST-READY' "$T/$1.serial" 2>/dev/null; }
vm_running() { [ "$(vmctl state "$1" 2>/dev/null)" = running ]; }

vm_wait_ready() { # vm_wait_ready NAME...: all of them print their ready line
	local n end
	for n in "$@"; do
		end=$(deadline_in "$BOOT_TIMEOUT")
		while before "$end"; do
			vm_booted "$n" && break
			vm_running "$n" || fail "VM $n is $(vmctl state "$n" 2>&1) before booting" \
				"(/var/log/libvirt/qemu/$n.log: $(tail -2 "/var/log/libvirt/qemu/$n.log" 2>/dev/null))"
			sleep 0.1
		done
		vm_booted "$n" || fail "VM $n: no QV-GUEST-READY after ${BOOT_TIMEOUT}s: $(tail -c 600 "$T/$n.serial" 2>/dev/null)"
		pass "VM $n booted ($(grep -a 'QV-GUEST-READY' "$T/$n.serial" | tr -d '\r' | head -1))"
	done
}

port_drop() { # port_drop PORT REASON -> drops on PORT under REASON (0 when none)
	qjson show ports | jq -r --arg n "$1" --arg r "$2" \
		'.ports[] | select(.name == $n) | (.drops[$r] // 0)'
}
port_ge() { [ "$(port_field "$1" "$2")" -ge "$3" ]; } # port_ge PORT FIELD N
state_is() { [ "$(port_field "$1" state)" = "$2" ]; }

# path_ready IN_SOCK OUT_SOCK: sends a trickle until packets come out of the chain, then zeroes
# the switch's counters. A guest whose link just came up drops what arrives while its bridge
# is still being set up; the tests then measure a chain that is ready. Each trickle waits 3 s
# for its 20 packets, which cross a ready chain in milliseconds: a packet not out by then was
# taken to be dropped (a guest still setting up drops, it does not hold), and waiting 15 s for
# it (as this did) cost each boot of a controld-launched VM 15 s. A packet held longer than
# 3 s would come out after the counters were zeroed and spoil a test's exact count.
path_ready() {
	local i end
	end=$(deadline_in "$BOOT_TIMEOUT")
	for ((i = 1; ; i++)); do
		peer_run "ready$i" "$1" "$2" -- --gen 0:64:4 --count 20 --rate 200 --rx 1 --expect 20 \
			--timeout 3 >/dev/null 2>&1 && break
		before "$end" || fail "no packet came through the chain in ${BOOT_TIMEOUT}s ($i trickles; see $T/peer-ready$i.log)"
	done
	qvctl stats clear >/dev/null
}

# --- tests where qv-controld launches the VMs itself ------------------------------------------
# controld_vms: from here on qv-controld (cd_start) manages VMs named $VM_PREFIX...; at exit it is
# stopped before sys_cleanup removes them, or it would start them again behind its back.
controld_vms() {
	CONTROLD_VMS=yes
	trap controld_vms_cleanup EXIT
}
controld_vms_cleanup() {
	local rc=$?
	set +e
	[ -z "${CONTROLD_PID:-}" ] || stop_pid "$CONTROLD_PID"
	(exit $rc)
	sys_cleanup
}
# --interval 1000: TCG guests share CPU 0 with everything; no need to poll libvirt 5x a second
cd_start() {
	controld_start --vm-prefix "$VM_PREFIX" --vm-stop-timeout 2 --images "$GUEST_DIR" --interval 1000
}
virsh_q() { virsh -q -c qemu:///system "$@"; }
serial() { echo "$T/state/vms/$1.serial"; } # serial VM: its serial log, kept by qv-controld
vm_field() { qvc --json vm list | jq -r --arg n "$1" ".vms[] | select(.name == \$n) | .$2"; }
# the bridge guest's kernel, as a path relative to --images (build-guest.sh makes one of them)
guest_kernel() { if [ -f "$GUEST_DIR/vmlinux" ]; then echo vmlinux; else echo vmlinuz; fi; }

# two_fw_chain: the switch side of in -> fw1 -> fw2 -> out for two bridge VMs, as a control
# daemon would program it: the VMs' sockets fw1a/fw1b/fw2a/fw2b served by QEMU (the switch
# reconnects), in and out served by the switch for a qv-peer.
two_fw_chain() {
	local p
	for p in fw1a fw1b fw2a fw2b; do
		qvctl port add $p vhost "$T/$p.sock" --client >/dev/null
	done
	qvctl port add in vhost "$T/in.sock" >/dev/null
	qvctl port add out vhost "$T/out.sock" >/dev/null
	qvctl flow add 'in=in,proto=udp actions=output:fw1a' >/dev/null
	qvctl flow add 'in=fw1b,proto=udp actions=output:fw2a' >/dev/null
	qvctl flow add 'in=fw2b,proto=udp actions=output:out' >/dev/null
}
