#!/bin/bash
# SR-IOV VFs through qv-controld: a VF port a VNF takes with `vfs:` is no switch port; it becomes
# a <hostdev> at the VF's PCI address (read from sysfs) in the VNF's domain, shown by vm list
# and vm xml, and the VM cannot be cloned. VF settings go through netlink on the PF's netdev.
# No SR-IOV device can exist here, so the seams are the narrowest ones: sysfs is a tree under
# --sysfs-root, libvirt is its test driver (test:///default: the real libvirt API without a
# hypervisor, which could not start a VM on a fake PCI device anyway), and the PF's netdev is
# `lo`, which refuses VF settings as every device without SR-IOV does: the apply fails with
# the kernel's reason and changes nothing. apply --check writes nothing (the fake tree is
# compared before and after); a VF count that would go through 0 while a VF is in use is
# refused.
. "$(dirname "$0")/lib.sh"
CONTROLD_VMS=yes
S=$T/sys PF=0000:03:00.1 PFDIR=devices/pci0000:00/0000:03:00.1
mkdir -p "$S/bus/pci/devices" "$S/$PFDIR/net/lo"
ln -s "../../../$PFDIR" "$S/bus/pci/devices/$PF"
echo 1 >"$S/$PFDIR/numa_node" # the PF (and its VFs) on node 1 of the topology below
echo 8 >"$S/$PFDIR/sriov_totalvfs"
echo 5 >"$S/$PFDIR/sriov_numvfs"
for i in 0 1 2 3 4; do # five VFs exist: 0000:03:02.0 .. 0000:03:02.4
	mkdir -p "$S/devices/pci0000:00/0000:03:02.$i"
	ln -s "../0000:03:02.$i" "$S/$PFDIR/virtfn$i"
done
: >"$T/vmlinuz" # test driver: nothing boots it
service() { # service [EXTRA-MIRROR-KEYS]
	cat <<Y
switch: {socket-dir: $T, vhost-mode: client}
ports:
  - {name: lan, type: vhost, path: $T/lan.sock}
  - {name: wan, type: vhost, path: $T/wan.sock}
  - {name: mirror, type: vf, pf: "$PF", vf: 4${1:+, $1}}
vnfs:
  - {name: dpi, kernel: vmlinuz, memory: 64MiB, vfs: [mirror]}
chains:
  - {name: inspect, from: lan, hops: [dpi], to: wan}
Y
}
VM=qvt-dpi-0
switch_start
# two nodes of two cores: the VNF belongs on node 1, where its VF is (the switch's PMD core,
# CPU $PMD_CPU, is on node 0)
controld_start --libvirt-uri test:///default --sysfs-root "$S" --vm-prefix qvt- --images "$T" \
	--topology 'numa:2 core:2 pu:1'

# --- apply --check changes nothing: no sysfs write, no netlink request ---------------------
# VF 6 needs 7 VFs (the PF has 5, none in use: an apply would raise the count) and settings
# `lo` refuses (an apply fails on the first netlink request, so a check that sent one would too)
tree() { { find "$S" -printf '%p %y %s %T@ %l\n' | sort; cat "$S/$PFDIR/sriov_numvfs"; } | md5sum; }
service 'mac: "02:00:00:00:04:01", vlan: 200' | sed 's/vf: 4/vf: 6/' >"$T/svc-check.yaml"
before_tree=$(tree)
out=$(qvc --json apply --check "$T/svc-check.yaml") || fail "apply --check: $out"
check_eq "check: the sysfs tree is untouched (contents, sizes, mtimes)" "$before_tree" "$(tree)"
check_eq "check: sriov_numvfs still 5" 5 "$(cat "$S/$PFDIR/sriov_numvfs")"
check_contains "check: the plan says the count would be raised" \
	"port mirror: PF $PF would get 7 VFs (sriov_numvfs 5 -> 7)" "$(echo "$out" | jq -r '.plan.vfs[]')"
sed 's/vf: 6/vf: 4/' "$T/svc-check.yaml" >"$T/svc-check4.yaml"
out=$(qvc --json apply --check "$T/svc-check4.yaml") || fail "apply --check of VF settings: $out"
check_contains "check: VF settings only said, not sent (lo would refuse them)" \
	"port mirror: VF 4's settings (mac, vlan, spoof-check, trust) would be set through PF $PF's netdev lo" \
	"$(echo "$out" | jq -r '.plan.vfs[]')"
check_eq "check: nothing applied" "none yet" "$(qvc show controld | sed -n 's/^desired state: \(none yet\).*/\1/p')"
check_eq "check: the tree is still untouched" "$before_tree" "$(tree)"

service >"$T/svc.yaml"
out=$(qvc apply "$T/svc.yaml") || fail "apply: $out"
check_contains "apply started the VNF's VM" "VM $VM" "$out"
xml=$(qvc vm xml "$VM") || fail "vm xml: $xml"
check_contains "the VF is a hostdev of the domain" "<hostdev mode='subsystem' type='pci' managed='yes'>" "$xml"
check_contains "at VF 4's PCI address (sysfs virtfn4)" \
	"<address domain='0x0000' bus='0x03' slot='0x02' function='0x4'/>" "$xml"
check_contains "memory on the VF's node" "<memory mode='strict' nodeset='1'/>" "$xml"
check_contains "vCPU on a core of node 1" "<vcpupin vcpu='0' cpuset='2'/>" "$xml"
check_contains "show placement says where the VF is" "NIC mirror ($PF): node 1, from $S/bus/pci/devices/$PF/numa_node" "$(qvc show placement)"
check_eq "vm list: the VM's host devices" '["0000:03:02.4"]' "$(qvc --json vm list | jq -c --arg n "$VM" '.vms[] | select(.name == $n) | .hostdevs')"
check_contains "vm list shows the VF" "dpi, VF 0000:03:02.4" "$(qvc vm list)"
ports=$(qjson show ports | jq -r '[.ports[].name] | sort | join(" ")')
check_eq "the switch got the VNF's vhost ports, not the VF" "dpi-0-in dpi-0-out lan wan" "$ports"
check_eq "no VF was created: five were there" 5 "$(cat "$S/$PFDIR/sriov_numvfs")"
out=$(qvc vm clone "$VM" qvt-dpi-copy 2>&1) && fail "a VM with a VF was cloned: $out"
check_contains "clone refused" "has VF 0000:03:02.4 as a host device: a VF goes to one VM" "$out"

# --- VF settings the device cannot take: a clear error, nothing applied --------------------
flows=$(qjson show flows | jq -c '[.flows[].text] | sort')
service 'mac: "02:00:00:00:04:01", vlan: 200' >"$T/svc2.yaml"
out=$(qvc apply "$T/svc2.yaml" 2>&1) && fail "apply of VF settings on lo succeeded: $out"
log "error: $out"
check_contains "the error names the port, PF, VF and setting" \
	"port mirror: PF lo ($PF) VF 4: setting MAC 02:00:00:00:04:01 failed: " "$out"
check_eq "rules unchanged" "$flows" "$(qjson show flows | jq -c '[.flows[].text] | sort')"
check_contains "the applied file is still the first" "svc.yaml" "$(qvc show controld)"

# --- a VF the PF does not have yet, while another is in use: refused, count kept ------------
# 5 -> 7 VFs goes through 0 (the kernel's only way), which would take VF 4 from the running VM
sed 's/vf: 4/vf: 6/' "$T/svc.yaml" >"$T/svc3.yaml"
before_tree=$(tree)
out=$(qvc apply --check "$T/svc3.yaml" 2>&1) && fail "apply --check of a VF count reset while VF 4 is in use passed: $out"
check_contains "check refuses the reset too" "VF 4 is in use by port mirror of the applied service" "$out"
out=$(qvc apply "$T/svc3.yaml" 2>&1) && fail "apply of a VF count reset while VF 4 is in use succeeded: $out"
log "error: $out"
check_contains "the error names the port, VF, PF and why" \
	"port mirror: VF 6 of PF $PF needs 7 VFs and the PF has 5: the kernel changes the count only through 0, which would remove every VF, and VF 4 is in use by port mirror of the applied service" "$out"
check_eq "sriov_numvfs kept at 5 (never reset to 0 and back)" 5 "$(cat "$S/$PFDIR/sriov_numvfs")"
check_eq "the sysfs tree is untouched" "$before_tree" "$(tree)"
check_contains "the VM keeps its VF" "function='0x4'" "$(qvc vm xml "$VM")"
controld_stop_clean() { stop_pid "$CONTROLD_PID"; wait "$CONTROLD_PID" || fail "qv-controld exited with $?"; }
controld_stop_clean
switch_stop
