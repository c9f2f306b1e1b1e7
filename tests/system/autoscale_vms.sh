#!/bin/bash
# Instances that follow load with real VMs: a bridge-guest VNF with instances {min: 1, max: 2}
# and the measured pps signal (the switch's counters of its ports, not a seam). Traffic over
# scale-out's threshold makes qv-controld start instance 1 (a clone of instance 0: a second
# libvirt domain) and put its ports in the group; every packet of that traffic, which goes on
# until the join is done, arrives. When the traffic stops, instance 1 drains (it has no
# established flow) and its VM is removed.
. "$(dirname "$0")/lib.sh"

P=$VM_PREFIX
FW0=${P}fw-0 FW1=${P}fw-1
controld_vms
VMS+=("$FW0" "$FW1")
booted() { grep -aq 'QV-GUEST-READY' "$(serial "$1")" 2>/dev/null; }
scaling() { qvc --json show scaling | jq -r ".vnfs[0].$1"; }

libvirt_up
# the VNF sockets in a directory QEMU may write whether libvirt runs it as root or as
# libvirt-qemu:kvm (a host whose qemu.conf says so), while qv-switchd's own socket directory
# stays writable by root only (it refuses one that is not)
chmod 0711 "$T"
mkdir "$T/vnf"
chgrp kvm "$T/vnf" && chmod 0770 "$T/vnf"
switch_start
controld_start --vm-prefix "$VM_PREFIX" --vm-stop-timeout 2 --images "$GUEST_DIR" --interval 1000
cat >"$T/svc.yaml" <<Y
switch:
  socket-dir: $T/vnf
  vhost-mode: client
ports:
  - {name: in, type: vhost, path: $T/in.sock}
  - {name: out, type: vhost, path: $T/out.sock}
vnfs:
  - name: fw
    vcpus: 1
    memory: 256MiB
    kernel: $(guest_kernel)
    initrd: initrd.img
    cmdline: "$(cat "$GUEST_DIR/cmdline")"
    instances:
      min: 1
      max: 2
      scale-out: {pps: 500pps, for: 2s}
      scale-in: {pps: 100pps, for: 3s}
      cooldown: 5s
      drain: 30s
chains:
  - {name: web, from: in, match: {proto: udp}, hops: [fw], to: out}
Y
out=$(qvc apply "$T/svc.yaml") || fail "apply: $out"
check_contains "apply started $FW0" "VM $FW0" "$out"
wait_until "$FW0 prints its ready line" "$BOOT_TIMEOUT" booted "$FW0"
for p in fw-0-in fw-0-out; do wait_until "port $p up" 60 state_is $p up; done
path_ready "$T/in.sock" "$T/out.sock"
check_eq "one instance before the load" 1 "$(scaling current)"

# 2000 pps into one instance (over 500pps for 2 s), kept on until instance 1 has joined and
# 4,000 more packets came in after that (--stop-file; at most 5 minutes of it)
peer_bg load "$T/in.sock" "$T/out.sock" -- --gen 0:64:64 --count 600000 --rate 2000 --window 256 \
    --rx 1 --linger 5000 --stop-file "$T/load.stop" --timeout 400 --json "$T/load.json"
LOAD_PID=$PEER_PID
wait_until "scale-out to 2 on the measured load" 120 bash -c "[ \"\$($QVCTL_BIN --controld $CTL_DIR/cd.sock --json show scaling | jq '.vnfs[0].current')\" = 2 ]"
check_contains "the decision names the measured signal" \
    "scaling VNF fw: scale-out: load" "$(cat "$T/controld.log")"
check_contains "the signal is the switch's counters" "packets sent to its 1 instance(s)' ports" \
    "$(grep 'scale-out: load' "$T/controld.log")"
wait_until "$FW1 (a clone of instance 0) running" 120 bash -c "virsh -q -c qemu:///system list --name | grep -qx '$FW1'"
wait_until "$FW1 prints its ready line" "$BOOT_TIMEOUT" booted "$FW1"
for p in fw-1-in fw-1-out; do wait_until "port $p up" 120 state_is $p up; done
check_contains "show groups: instance 1 joined" "fw-1-in" "$(qvctl show groups)"
more=$(($(port_field in rx_packets) + 4000))
wait_until "4,000 more packets of the load after the join" 60 port_ge in rx_packets "$more"
touch "$T/load.stop"
wait "$LOAD_PID" || fail "the load failed while instance 1 joined (see peer-load.log)"
check_eq "every packet of the load arrived" "$(jq .tx "$T/load.json")" "$(jq .rx "$T/load.json")"
pass "the load: $(jq .tx "$T/load.json") packets"

# no traffic: under 100pps for 3 s, after the cool-down: instance 1 drains (no flow of its
# own: the load's flows stayed on instance 0) and its VM goes
wait_until "$FW1 removed after the drain" 180 bash -c "[ \"\$($QVCTL_BIN --controld $CTL_DIR/cd.sock --json show scaling | jq '.vnfs[0].current')\" = 1 ] && ! virsh -q -c qemu:///system list --all --name | grep -qx '$FW1'"
check_contains "the scale-in is logged" "scaling VNF fw: scale-in: load" "$(cat "$T/controld.log")"
check_contains "the removal is logged" "scaling VNF fw: drained: instances 1..1 removed" \
    "$(cat "$T/controld.log")"
check_eq "$FW0 still running" running "$(vm_field "$FW0" state)"
peer_run after "$T/in.sock" "$T/out.sock" -- --gen 0:64:4 --count 200 --rate 2000 --window 64 \
    --rx 1 --expect 200 --timeout 120 --json "$T/after.json" ||
    fail "after the scale-in, in -> fw-0 -> out did not deliver 200 packets (see peer-after.log)"
check_eq "traffic through the one instance left" 200 "$(jq .rx "$T/after.json")"
