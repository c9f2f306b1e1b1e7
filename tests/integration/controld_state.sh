#!/bin/bash
# qv-controld's data safety with VMs (libvirt's test driver, test:///default: the real libvirt
# API, no hypervisor): boot files only from the images directory (/etc/passwd as a kernel, a
# symbolic link out of it: refused at their YAML position, nothing started); a vms.json that
# cannot be read is set aside, reported, never emptied; a clone entry without a name is named
# and removes nothing; a clone whose source left the file is kept with its disk, reported, and
# only vm delete removes it.
. "$(dirname "$0")/lib.sh"
CONTROLD_VMS=yes
IMG=$T/images
mkdir -p "$IMG" "$T/state"
qemu-img create -q -f qcow2 "$IMG/fw.qcow2" 16M
: >"$IMG/vmlinuz"
ln -s /etc/passwd "$IMG/escape"
service() { # service VNF-LINE
	cat <<Y
switch: {socket-dir: $T}
ports:
  - {name: lan, type: vhost, path: $T/lan.sock}
  - {name: wan, type: vhost, path: $T/wan.sock}
vnfs:
  - $1
chains:
  - {name: c, from: lan, hops: [$(echo "$1" | sed 's/.*name: \([a-z]*\).*/\1/')], to: wan}
Y
}
start() {
	controld_start --libvirt-uri test:///default --vm-prefix qvt- --images "$IMG" \
		--topology 'numa:1 core:4 pu:1'
}
vms() { qvc --json vm list | jq -r '[.vms[].name] | sort | join(" ")'; }

# --- a vms.json that cannot be read: kept aside, reported, not replaced -----------------------
printf '{"managed": ["qvt-fw-0"], "clones": [' >"$T/state/vms.json"
cp "$T/state/vms.json" "$T/vms.orig"
switch_start
start
out=$(qvc show controld)
check_contains "show controld names the bad file and why" "$T/state/vms.json: unreadable (" "$out"
bad=$(ls "$T/state/" | grep '^vms.json.bad-' || true)
[ -n "$bad" ] || fail "no vms.json.bad-* kept: $(ls "$T/state")"
check_contains "and where it was kept" "kept as $T/state/$bad" "$out"
check_eq "the bad file is kept as it was" "$(cat "$T/vms.orig")" "$(cat "$T/state/$bad")"
check_contains "the log says it too" "vms.json: unreadable" "$(cat "$T/controld.log")"

# --- boot files outside the images directory: refused at their position, nothing started ----
service '{name: fw, memory: 64MiB, kernel: /etc/passwd}' >"$T/bad1.yaml"
out=$(qvc apply "$T/bad1.yaml" 2>&1) && fail "a kernel /etc/passwd was applied: $out"
log "error: $out"
check_contains "/etc/passwd as kernel: refused at its position" \
	"$T/bad1.yaml:6:39: VNF 'fw' kernel '/etc/passwd': /etc/passwd is outside the images directory $IMG (--images)" "$out"
service '{name: fw, memory: 64MiB, kernel: escape, initrd: ../../../etc/hostname}' >"$T/bad2.yaml"
out=$(qvc apply "$T/bad2.yaml" 2>&1) && fail "a kernel linked out of the images directory was applied: $out"
log "error: $out"
check_contains "a symbolic link out of it: refused" \
	"$T/bad2.yaml:6:39: VNF 'fw' kernel 'escape': $IMG/escape, that is /etc/passwd, is outside the images directory" "$out"
check_contains "'..' out of it: refused too" "VNF 'fw' initrd '../../../etc/hostname':" "$out"
check_eq "nothing applied" "none yet" "$(qvc show controld | sed -n 's/^desired state: \(none yet\).*/\1/p')"
check_eq "no VM defined" "" "$(vms)"
check_eq "no switch port added" "" "$(qjson show ports | jq -r '[.ports[].name] | join(" ")')"

# --- a clone whose source leaves the file: kept with its disk, reported -----------------------
service '{name: fw, memory: 64MiB, image: fw.qcow2}' >"$T/svc.yaml"
out=$(qvc apply "$T/svc.yaml") || fail "apply: $out"
check_contains "the VNF's VM started" "VM qvt-fw-0" "$out"
out=$(qvc vm clone qvt-fw-0 qvt-fw-copy 2>&1) || fail "vm clone: $out"
[ -f "$T/state/vms/qvt-fw-copy.qcow2" ] || fail "the clone has no overlay"
out=$(qvc vm clone qvt-fw-0 'qvt-../../escape' 2>&1) && fail "a clone named with '/' was made: $out"
check_contains "a clone name with '/' is refused" "VM name 'qvt-../../escape' has '/'" "$out"
[ ! -e "$T/escape.qcow2" ] && [ ! -e "$T/state/escape.qcow2" ] || fail "an overlay was made out of state/vms"
pass "and no overlay made for it"
service '{name: dpi, memory: 64MiB, kernel: vmlinuz}' >"$T/svc2.yaml"
out=$(qvc apply "$T/svc2.yaml" 2>&1) || true
log "apply: $out"
check_contains "the apply says the clone cannot be rebuilt and is kept" \
	"clone qvt-fw-copy of qvt-fw-0 cannot be rebuilt (its source VM qvt-fw-0 is no longer one of $T/svc2.yaml's VMs): kept as it is, with its disk; qvctl vm delete qvt-fw-copy removes it" "$out"
check_eq "the old VNF's VM went, the clone stayed" "qvt-dpi-0 qvt-fw-copy" "$(vms)"
[ -f "$T/state/vms/qvt-fw-copy.qcow2" ] || fail "the clone's disk was removed"
pass "the clone's disk is kept"
check_contains "show controld's VM error says so too" "clone qvt-fw-copy of qvt-fw-0 cannot be rebuilt" \
	"$(qvc --json show controld | jq -r .vm_error)"
out=$(qvc vm delete qvt-fw-copy 2>&1) || fail "vm delete of the kept clone: $out"
check_eq "vm delete removed it" "qvt-dpi-0" "$(vms)"
[ ! -e "$T/state/vms/qvt-fw-copy.qcow2" ] || fail "vm delete left the clone's disk"
check_eq "and its entry" 0 "$(jq '.clones | length' "$T/state/vms.json")"

# --- a clone entry without a name: named, kept, and no VM is removed ------------------------
stop_pid "$CONTROLD_PID"
jq '.clones += [{"source": "qvt-dpi-0", "ports": []}] | .managed += ["qvt-gone-0"]' \
	"$T/state/vms.json" >"$T/vms.new" && mv "$T/vms.new" "$T/state/vms.json"
start
out=$(qvc show controld)
check_contains "show controld names the entry and what it lacks" \
	"$T/state/vms.json: clones[0] {\"source\":\"qvt-dpi-0\",\"ports\":[]} has no 'name' (a string): entry kept but not used; no VM is removed until it is fixed" "$out"
wait_until "the reconcile ran over the VMs" 30 sh -c "$QVCTL_BIN --controld $T/cd.sock --json show controld | jq -r .vm_error | grep -q qvt-gone-0"
check_contains "a VM no longer wanted is not removed, and why" \
	"VM qvt-gone-0 is no longer wanted but is not removed: $T/state/vms.json has a clone entry without a name" \
	"$(qvc --json show controld | jq -r .vm_error)"
alive "$CONTROLD_PID" || fail "qv-controld died on the entry"
check_eq "the entry is still in vms.json" '"qvt-dpi-0"' "$(jq -c '.clones[0].source' "$T/state/vms.json")"
stop_pid "$CONTROLD_PID"
switch_stop
