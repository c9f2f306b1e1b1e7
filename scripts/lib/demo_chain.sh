# shellcheck shell=bash
# demo_chain.sh - scripts/demo.sh --chain (sourced): libvirt, qv-switchd, qv-controld, then
# `qvctl apply configs/demo.yaml` (in -> fw -> out through one bridge VM), traffic from a
# virtio-user peer on in/out, the operator's views and the rate. Everything lives under
# /run/qwikvirt-demo (the paths configs/demo.yaml names) and is removed at the end.
D=/run/qwikvirt-demo
GUEST_DIR=${QV_GUEST_DIR:-/var/cache/qwikvirt/guest}
PREFIX=qvdemo- # libvirt domains of the demo: qvdemo-fw-0
VM=${PREFIX}fw-0
URI=qemu:///system

# one demo at a time: the file's socket paths and the domain names are fixed
exec 9>"$D.lock"
flock -n 9 || die "another demo.sh runs (lock $D.lock held)"
on_exit 'rm -f "$D.lock"'
our_domains() { virsh -q -c $URI list --all --name 2>/dev/null | grep "^$PREFIX" || true; }
remove_domains() {
	local d
	for d in $(our_domains); do
		virsh -q -c $URI destroy "$d" >/dev/null 2>&1
		virsh -q -c $URI undefine "$d" >/dev/null 2>&1 || echo "demo.sh: could not remove VM $d" >&2
	done
}

step "libvirt (started here when not running) and the bridge guest"
out=$(scripts/setup-libvirt.sh 2>&1) || { echo "$out" >&2; die "scripts/setup-libvirt.sh"; }
started=$(echo "$out" | sed -n 's/^SETUP-LIBVIRT: OK started=//p')
[ "$started" = none ] || on_exit 'scripts/setup-libvirt.sh stop >/dev/null'
echo "libvirt: $(echo "$out" | tail -1)"
remove_domains # what a killed earlier run left behind
rm -rf "$D"
# QEMU (libvirt-qemu, group qwikvirt: scripts/setup-libvirt.sh) creates the VM's sockets in $D:
# root:qwikvirt, setgid and sticky. The control sockets go to $D/ctl, which only root may write
# (the daemons refuse a group-writable socket directory).
mkdir -p "$D/ctl" && chgrp qwikvirt "$D" && chmod 3770 "$D" && chmod 0750 "$D/ctl" ||
	die "cannot make $D (group qwikvirt, from scripts/setup-libvirt.sh)"
on_exit 'rm -rf "$D"'
scripts/build-guest.sh "$GUEST_DIR" | tail -1
[ -x "$B/control/controld/qv-controld" ] ||
	die "$B/control/controld/qv-controld is not built (libvirt-dev and libhwloc-dev at meson setup?)"

step "starting qv-switchd (PMD on CPU 1) and qv-controld (VMs named $PREFIX...)"
# the switch's embedded default configuration (what /etc/qwikvirt/switchd.yaml holds on a host)
cat >"$D/switchd.yaml" <<Y
pmd-cores: [1]
main-core: 0
socket: $D/ctl/sw.sock
vhost-dir: $D
mbufs: 8192
file-prefix: qvdemo$$
log-level: info
Y
taskset -c 0 "$B/dataplane/qv-switchd" --config "$D/switchd.yaml" >"$D/switch.log" 2>&1 &
SW=$!
on_exit "proc_stop $SW 20"
switch_ready() { grep -q 'qv-switchd: ready' "$D/switch.log" || ! proc_alive $SW; }
wait_for 60 switch_ready && proc_alive $SW || { tail -20 "$D/switch.log"; die "qv-switchd did not start"; }
taskset -c 0 "$B/control/controld/qv-controld" --socket "$D/ctl/cd.sock" --switch "$D/ctl/sw.sock" \
	--state-dir "$D/state" --vm-prefix "$PREFIX" --images "$GUEST_DIR" --interval 1000 \
	--vm-stop-timeout 2 >"$D/controld.log" 2>&1 &
CD=$!
# qv-controld leaves its VMs running on exit (a restarted daemon adopts them): the demo's VM
# goes after it, before the switch
on_exit remove_domains
on_exit "proc_stop $CD"
cd_ready() { grep -q 'qv-controld: ready' "$D/controld.log" || ! proc_alive $CD; }
wait_for 30 cd_ready && proc_alive $CD || { tail -20 "$D/controld.log"; die "qv-controld did not start"; }
grep -h 'warning' "$D/controld.log" || true
qvc() { "$qvctl_bin" --switch "$D/ctl/sw.sock" --controld "$D/ctl/cd.sock" "$@"; }

step "qvctl apply configs/demo.yaml"
qvc apply configs/demo.yaml || die "apply configs/demo.yaml failed"
serial=$D/state/vms/$VM.serial
booted() { grep -aq 'QV-GUEST-READY' "$serial"; }
port_up() { [ "$(qvc --json show ports | jq -r --arg n "$1" '.ports[] | select(.name == $n) | .state')" = up ]; }
wait_for 180 booted || die "VM $VM did not boot in 180 s: $(tail -c 400 "$serial" 2>/dev/null)"
echo "VM $VM booted: $(grep -a 'QV-GUEST-READY' "$serial" | tr -d '\r' | head -1)"
for p in fw-0-in fw-0-out; do wait_for 60 port_up $p || die "port $p is not up"; done

peer() { # peer NAME PEER-OPTIONS...: qv-peer on in (port 0) and out (port 1), CPU 0
	local name=$1
	shift
	taskset -c 0 "$B/tests/tools/qv-peer" --lcores 0@0 --no-pci --in-memory \
		--single-file-segments -m 256 --file-prefix "qvdemopeer$name$$" --log-level=user1,8 \
		--vdev "net_virtio_user0,path=$D/in.sock,queue_size=1024,mac=02:00:00:00:00:01" \
		--vdev "net_virtio_user1,path=$D/out.sock,queue_size=1024,mac=02:00:00:00:00:02" \
		-- "$@" >"$D/peer-$name.log" 2>&1
}
# a guest whose link just came up drops what arrives while its bridge is being set up: a
# trickle until packets come out of the chain, then the counters start from zero; a trickle
# whose packets are not out in 3 s lost them (a ready chain takes milliseconds): the next one
# goes
ready=no
for i in $(seq 60); do
	peer ready$i --gen 0:64:4 --count 20 --rate 200 --rx 1 --expect 20 --timeout 3 &&
		{ ready=yes; break; }
done
[ $ready = yes ] || die "no packet came through the chain in -> fw -> out (see $D/peer-ready*.log)"
qvc stats clear >/dev/null

step "traffic: ${SIZE}-byte UDP frames, 16 flows, in -> fw -> out for ${DUR}s (256 in flight)"
peer run --gen "0:$SIZE:16" --rx 1 --window 256 --duration "$DUR" --json "$D/peer.json" ||
	{ tail -5 "$D/peer-run.log"; die "the traffic peer failed"; }
step "qvctl show chains"
qvc show chains
step "qvctl vm list"
qvc vm list
step "qvctl show placement"
qvc show placement
step "qv-switchd's log: port and flow-table events"
grep -E 'qv-switchd: (port|flow-table)' "$D/switch.log" | tail -n 12
rx=$(jq .rx "$D/peer.json")
[ "$rx" -gt 0 ] || die "the chain carried no traffic: 0 of $(jq .tx "$D/peer.json") packets came out"
jq -r '"== rate: \(.rx_pps / 1000 | round) kpps through the chain (\(.rx) of \(.tx) packets out in \(.elapsed_s * 100 | round / 100) s; the VM is software-emulated: the rate is the guest'"'"'s, not the switch'"'"'s)"' "$D/peer.json"
