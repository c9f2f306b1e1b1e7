#!/bin/bash
# chaos.sh - how qwikvirt recovers from crashes under continuous traffic (a measurement, like
# bench.sh: it prints figures, it does not pass or fail on timing).
#
#   scripts/chaos.sh [--vnf peer|vm] [--kills N] [--rate PPS] [--out DIR] [--build DIR]
#
# Two chains a (up0 -> VNF fa -> lan0) and b (up1 -> VNF fb -> lan1), applied by qv-controld
# from a YAML file; qv-peer sends UDP with sequence numbers into up0 and up1 and captures what
# arrives on lan0 and lan1. The VNFs are vhost-user servers, the switch their reconnecting
# client, as with QEMU: --vnf peer (default) testpmd io stand-ins between two virtio-user server
# ports; --vnf vm real VMs (the bridge guest of scripts/build-guest.sh) that qv-controld
# launches through libvirt (TCG here: tens of seconds to boot, tens of kpps).
# qv-switchd and qv-controld each run under a supervisor that starts them again the moment they
# exit (systemd's Restart=always without delay).
#   1. kill -9 qv-switchd, --kills times (default 5): per port (lan0, lan1) the time from the kill
#      to the first packet forwarded again and the packets lost (sequence numbers); whether a
#      VNF restarted (stand-in PID, QEMU PID: none may). Per kill, and as medians, where the
#      time went, from the logs' timestamps (ms): restart (the supervisor), exec (loader, DPDK
#      constructors), plugins (DPDK's driver plugins, bus scan), eal (rest of rte_eal_init:
#      memory, and a 100 ms TSC calibration sleep on CPUs without CPUID leaf 0x15, such as
#      AMD), init (the switch's own set-up), notice (qv-controld sees it back), restore (ports
#      and rules on the switch), vhost (the clients reconnected), traffic (first packet); see
#      scripts/bench/recovery.py. qv-controld's log says how its restore split ("restored in").
#   2. kill -9 qv-controld in the middle of an apply (a file that replaces chain b's rules and
#      adds a chain): does it converge on restart (the switch ends up exactly as the desired
#      state it restored), how long it takes, and what each chain lost meanwhile.
#   3. VNF fb destroyed under traffic (stand-in killed, or virsh destroy): chain a's loss,
#      counted (it must be 0), and chain b's.
# Last line: recovery_s=X, of phase 1: per kill the slowest port, median over the kills.
# One PMD on CPU 1, everything else on CPU 0; the VNFs and the traffic peer run at nice 10 so
# that a restarting switch (on the same CPU here) is not starved by their busy polling. Every
# process it starts is stopped by PID on exit. Needs root; builds qwikvirt (scripts/build.sh)
# when build/ is missing and allocates hugepages (scripts/setup-host.sh) when short.
#
# Options:
#   --vnf peer|vm   the VNFs (default peer)
#   --kills N       switch kills in phase 1 (default 5)
#   --rate PPS      packets/s per chain (default 5000; 2000 with --vnf vm): the VNFs and
#                   the peer share CPU 0, and at much more their rings overflow while they
#                   wait for the CPU, which would hide the losses this is about
#   --gap S         traffic between two kills once every port is up again (default 2)
#   --out DIR       logs, pcaps and results (default /tmp/qv-chaos/DATE)
#   --build DIR     qwikvirt build dir (default build/)
#   -h, --help      this text
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
. "$HERE/bench/lib.sh"

VNF=peer KILLS=5 RATE="" GAP=2 OUT="" BUILD=$SRC/build LIBVIRT_STOP=""
GEN_CPU=0 PMD_CPU=1
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	--vnf) VNF=$2 ;; --kills) KILLS=$2 ;; --rate) RATE=$2 ;; --gap) GAP=$2 ;;
	--out) OUT=$2 ;; --build) BUILD=$2 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "chaos.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift 2
done
case $VNF in peer | vm) ;; *) bl_die "--vnf $VNF: expected peer or vm" ;; esac
RATE=${RATE:-$([ "$VNF" = vm ] && echo 2000 || echo 5000)}
for v in KILLS RATE GAP; do
	[[ ${!v} =~ ^[0-9]+$ ]] && [ "${!v}" -gt 0 ] || bl_die "--${v,,} ${!v}: expected a count > 0"
done
[ "$(id -u)" = 0 ] || bl_die "run as root (hugepages, vhost-user sockets, libvirt)"

OUT=${OUT:-/tmp/qv-chaos/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
BW=$(mktemp -d /tmp/qvchaos.XXXXXX) # vhost-user sockets, state, fifos: removed at exit
CTL=$BW/ctl # the daemons' control sockets (and capture files): root's alone, as the switch wants
mkdir -m 0700 "$CTL"
bl_init
BL_RM+=("$BW")
bl_need_qwikvirt "$SRC" "$BUILD"
bl_need_hugepages "$SRC" 300
SWITCHD=$BUILD/dataplane/qv-switchd CONTROLD=$BUILD/control/controld/qv-controld
QVCTL_BIN=$BUILD/control/qvctl/qvctl PEER=$BUILD/tests/tools/qv-peer VMCTL=$BUILD/control/vm/qv-vmctl
QV="$QVCTL_BIN --switch $CTL/sw.sock --controld $CTL/cd.sock"
GUEST_DIR=${QV_GUEST_DIR:-/var/cache/qwikvirt/guest}
VM_PREFIX="qvch$$-"
bl_log "VNFs: $VNF, $KILLS kills, $RATE pps per chain, results in $OUT"

# ---- VNFs and the service file -----------------------------------------------------------------
CD_VM_OPTS=(--no-vms)
if [ "$VNF" = vm ]; then
	[ -x "$VMCTL" ] || bl_die "$VMCTL missing: build qwikvirt with libvirt-dev installed"
	out=$("$SRC/scripts/setup-libvirt.sh" 2>&1) || bl_die "setup-libvirt.sh: $out"
	started=$(echo "$out" | sed -n 's/^SETUP-LIBVIRT: OK started=//p')
	# stopped last: after qv-controld (which would restart the VMs) and the VMs
	[ "$started" = none ] || LIBVIRT_STOP="'$SRC/scripts/setup-libvirt.sh' stop"
	# QEMU runs as libvirt-qemu and makes the VMs' vhost-user sockets in $BW: the qwikvirt
	# group (libvirt-qemu is a member) may write there; setgid so what is made there is the
	# group's, sticky so QEMU may remove only its own (as tests/system/lib.sh's libvirt_up)
	chgrp qwikvirt "$BW" && chmod 3770 "$BW" || bl_die "cannot give $BW to group qwikvirt"
	"$SRC/scripts/build-guest.sh" "$GUEST_DIR" >&2 || bl_die "build-guest.sh failed"
	CD_VM_OPTS=(--vm-prefix "$VM_PREFIX" --vm-stop-timeout 2 --images "$GUEST_DIR")
	KERNEL=vmlinuz
	[ -f "$GUEST_DIR/vmlinux" ] && KERNEL=vmlinux
	VNF_BOOT="kernel: $KERNEL, initrd: initrd.img, cmdline: \"$(cat "$GUEST_DIR/cmdline")\""
else
	VNF_BOOT="kernel: /boot/vmlinuz" # never booted: --no-vms, the stand-ins take the sockets
fi
service() { # service B-MATCH [c]: the service file, with a chain c through a VNF fc if c
	local ports="up0 lan0 up1 lan1" vnfs="fa fb" c="" p v
	[ -z "${2:-}" ] || {
		ports+=" up2 lan2" vnfs+=" fc"
		c="  - {name: c, from: up2, match: {proto: udp}, hops: [fc], to: lan2}"
	}
	echo "switch: {socket-dir: $BW, vhost-mode: client}"
	echo "ports:"
	for p in $ports; do echo "  - {name: $p, type: vhost, path: $BW/$p.sock, client: true}"; done
	echo "vnfs:"
	for v in $vnfs; do echo "  - {name: $v, vcpus: 1, memory: 256MiB, $VNF_BOOT}"; done
	echo "chains:"
	echo "  - {name: a, from: up0, match: {proto: udp}, hops: [fa], to: lan0}"
	echo "  - {name: b, from: up1, match: {$1}, hops: [fb], to: lan1}"
	[ -z "$c" ] || echo "$c"
}
service "proto: udp" >"$BW/svc1.yaml"
# the apply that phase 2 interrupts: chain b's rules replaced, a chain c added (with --vnf vm, a
# third VM launched: an apply long enough to be killed in the middle of)
service "proto: udp, dst-port: 80" c >"$BW/svc2.yaml"

VNF_PIDS=() # peer mode: the stand-ins' PIDs
standins_start() {
	local v
	for v in fa fb; do
		bl_vnf_standin "$v" "$BW/$v-0-in.sock" "$BW/$v-0-out.sock" "$OUT/vnf-$v.log"
		VNF_PIDS+=("$TP_PID")
		eval "VNF_PID_$v=$TP_PID"
	done
}
vm_cleanup() {
	local v
	for v in fa fb fc; do
		"$VMCTL" state "${VM_PREFIX}$v-0" >/dev/null 2>&1 || continue
		"$VMCTL" undefine "${VM_PREFIX}$v-0" >>"$OUT/vm-cleanup.log" 2>&1 ||
			bl_log "could not remove VM ${VM_PREFIX}$v-0 (see $OUT/vm-cleanup.log)" 2>&1 | tee -a "$OUT/vm-cleanup.log" >&2
	done
}
# what would say a VNF restarted: the stand-ins' PIDs, or the QEMU PIDs of the domains
vnf_identity() {
	local v
	if [ "$VNF" = peer ]; then
		for v in "${VNF_PIDS[@]}"; do bl_alive "$v" && echo "$v" || echo "dead:$v"; done
	else
		for v in fa fb; do
			cat "/run/libvirt/qemu/${VM_PREFIX}$v-0.pid" 2>/dev/null || echo "none:$v"
		done
	fi | tr '\n' ' '
}

# ---- the daemons, supervised -------------------------------------------------------------------
bl_supervise "$BW/switch.pid" "$OUT/switch.log" taskset -c "$GEN_CPU" "$SWITCHD" \
	--socket "$CTL/sw.sock" --pmd-cores "$PMD_CPU" --main-core "$GEN_CPU" \
	--file-prefix "qvch$$" --mbufs 16384 --vhost-dir "$BW" --capture-dir "$CTL"
bl_wait "qv-switchd ready" 60 grep -q 'qv-switchd: ready' "$OUT/switch.log"
bl_supervise "$BW/controld.pid" "$OUT/controld.log" taskset -c "$GEN_CPU" "$CONTROLD" \
	--socket "$CTL/cd.sock" --switch "$CTL/sw.sock" --state-dir "$BW/state" "${CD_VM_OPTS[@]}"
if [ "$VNF" = vm ]; then
	BL_HOOKS+=("vm_cleanup") # after qv-controld stopped: it would restart them
	[ -z "${LIBVIRT_STOP:-}" ] || BL_HOOKS+=("$LIBVIRT_STOP")
fi
bl_wait "qv-controld ready" 30 grep -q 'qv-controld: ready' "$OUT/controld.log"
[ "$VNF" = peer ] && standins_start
$QV apply "$BW/svc1.yaml" >"$OUT/apply1.log" || bl_die "apply of the service failed: $OUT/apply1.log"

n_ready() { grep -c "$2" "$1" 2>/dev/null || true; }
ports_up() { # [REGEX]: every port of the switch (whose name matches) up
	[ "$($QVCTL_BIN --switch "$CTL/sw.sock" --json show ports 2>/dev/null | jq --arg re "${1:-.}" \
		'[.ports[] | select((.name | test($re)) and .state != "up")] | length' 2>/dev/null)" = 0 ]
}
if [ "$VNF" = vm ]; then
	for v in fa fb; do
		bl_wait "VM $v booted" 300 grep -aq QV-GUEST-READY "$BW/state/vms/${VM_PREFIX}$v-0.serial"
	done
fi

# traffic: qv-peer, vhost-user server of up0 lan0 up1 lan1 (ports 0..3), sending on 0 and 2
PEER_N=0
peer_start() { # peer_start NAME OPTIONS...: sets PEER_PID, log $OUT/peer-NAME.log
	local name=$1 i=0 p vd=()
	shift
	for p in up0 lan0 up1 lan1; do
		vd+=(--vdev "net_virtio_user$i,path=$BW/$p.sock,queues=1,queue_size=1024,server=1,mac=02:00:00:00:0$i:00")
		i=$((i + 1))
	done
	PEER_N=$((PEER_N + 1))
	nice -n 10 taskset -c "$GEN_CPU" "$PEER" --lcores "0@$GEN_CPU" --no-pci --in-memory \
		--single-file-segments -m 256 --file-prefix "qvchp$$-$PEER_N" --log-level=user1,8 "${vd[@]}" \
		-- --gen 0:64:16 --gen 2:64:16 --rate $((2 * RATE)) --reconnect --wait-link 60 \
		--stats 1 "$@" >"$OUT/peer-$name.log" 2>&1 &
	PEER_PID=$!
	BL_PIDS+=("$PEER_PID")
}
flowing() { # both chains delivered in the last stats line of peer log $1
	tail -n 1 "$1" | awk '/^qv-peer: / {for (i = 1; i <= NF; i++) if ($i == "rx-pps") r[n++] = $(i + 1)}
		END {exit !(r[1] > 0 && r[3] > 0)}'
}
peer_stop() { # SIGINT: the peer closes its pcaps and prints its summary
	kill -INT "$PEER_PID" 2>/dev/null || true
	local i
	for ((i = 0; i < 100; i++)); do bl_alive "$PEER_PID" || break; sleep 0.1; done
	bl_stop_pid "$PEER_PID" 5
	bl_forget "$PEER_PID"
}
peer_wait() { # for a --duration run to end by itself
	local i
	for ((i = 0; i < 1200; i++)); do bl_alive "$PEER_PID" || break; sleep 0.1; done
	bl_stop_pid "$PEER_PID" 5
	bl_forget "$PEER_PID"
}
# chain_loss PHASE FROM CHAIN: "LOST/EXPECTED" packets of chain a (lan0) or b (lan1) after
# epoch time FROM (traffic established), from the sequence numbers the sink captured
chain_loss() {
	python3 "$HERE/bench/recovery.py" --loss-from "$2" x="$OUT/$1-lan$([ "$3" = a ] && echo 0 || echo 1).pcap" |
		awk '{print $2}'
}

# timeline KILL-TIME READIES RESTORES WHAT: when the restarted switch's ready line and
# qv-controld's restore line first appeared (log greps every 20 ms: light, the switch restarts on
# this CPU), then waits, polling gently at nice 19, until every port is up again
timeline() {
	local t0=$1 r=$2 c=$3 i now ready="" restored=""
	for ((i = 0; i < 3000; i++)); do
		now=$(date +%s.%N)
		[ -n "$ready" ] || [ "$(n_ready "$OUT/switch.log" 'qv-switchd: ready')" -le "$r" ] ||
			ready=$(echo "$now - $t0" | bc)
		[ -n "$restored" ] || [ "$(n_ready "$OUT/controld.log" 'to restore')" -le "$c" ] ||
			restored=$(echo "$now - $t0" | bc)
		[ -n "$ready" ] && [ -n "$restored" ] && break
		sleep 0.02
	done
	[ -n "$restored" ] || bl_die "$4: the switch was not restored within 60 s of the kill"
	for ((i = 0; i < 300; i++)); do nice -n 19 bash -c "$(declare -f ports_up); QVCTL_BIN=$QVCTL_BIN CTL=$CTL ports_up" && break; sleep 0.2; done
	bl_log "$4: switch ready +${ready} s, qv-controld restoring +${restored} s (seen in their logs)"
}

# ---- 1. kill -9 qv-switchd under traffic -------------------------------------------------------
peer_start kills --duration 0 --rx "1:$OUT/lan0.pcap" --rx "3:$OUT/lan1.pcap"
bl_wait "traffic through both chains" 120 flowing "$OUT/peer-kills.log"
vnfs_before=$(vnf_identity)
: >"$OUT/kills.txt"
for ((k = 1; k <= KILLS; k++)); do
	bl_wait "every switch port up before kill $k" 60 ports_up
	sleep "$GAP" # steady traffic before the kill
	old=$(bl_supervised "$BW/switch.pid")
	readies=$(n_ready "$OUT/switch.log" 'qv-switchd: ready')
	restores=$(n_ready "$OUT/controld.log" 'to restore')
	t=$(date +%s.%N)
	kill -KILL "$old"
	echo "$t" >>"$OUT/kills.txt"
	timeline "$t" "$readies" "$restores" "kill $k"
done
sleep "$GAP"
peer_stop
vnfs_after=$(vnf_identity)
python3 "$HERE/bench/recovery.py" --kills "$OUT/kills.txt" --logs "$OUT" lan0="$OUT/lan0.pcap" \
	lan1="$OUT/lan1.pcap" >"$OUT/recovery.txt"
restarted="none"
[ "$vnfs_before" = "$vnfs_after" ] || restarted="YES: before [$vnfs_before] after [$vnfs_after]"

# ---- 2. kill -9 qv-controld in the middle of an apply ------------------------------------------
flows() { $QVCTL_BIN --switch "$CTL/sw.sock" --json show flows | jq -c '[.flows[].text] | sort'; }
portnames() { $QVCTL_BIN --switch "$CTL/sw.sock" --json show ports | jq -c '[.ports[].name] | sort'; }
synced() { $QV --json show controld | jq -e .switch_ok; }
# the switch for each file, and how long a clean apply of svc2 takes
F1=$(flows) P1=$(portnames)
t=$(date +%s%N)
$QV apply "$BW/svc2.yaml" >"$OUT/apply2.log" || bl_die "apply of svc2 failed: $OUT/apply2.log"
apply_ms=$((($(date +%s%N) - t) / 1000000))
F2=$(flows) P2=$(portnames)
$QV apply "$BW/svc1.yaml" >>"$OUT/apply2.log" || bl_die "apply of svc1 back failed"
bl_wait "the VNF ports up before phase 2" 60 ports_up '^f[ab]-' 
peer_start apply --duration 6 --rx "1:$OUT/apply-lan0.pcap" --rx "3:$OUT/apply-lan1.pcap"
bl_wait "traffic through both chains (phase 2)" 60 flowing "$OUT/peer-apply.log"
t_apply_from=$(date +%s.%N)
# the kill lands at half the clean apply's time; if the apply was already done, the next try
# comes sooner (svc1 applied back first), up to 4 tries
delay_ms=$((apply_ms / 2)) ap_rc=0
for ((try = 1; try <= 4; try++)); do
	old=$(bl_supervised "$BW/controld.pid")
	readies=$(n_ready "$OUT/controld.log" 'qv-controld: ready')
	$QV apply "$BW/svc2.yaml" >"$OUT/apply-killed.log" 2>&1 &
	ap=$!
	BL_PIDS+=("$ap")
	sleep "$(echo "scale=3; $delay_ms / 1000" | bc)"
	t=$(date +%s.%N)
	kill -KILL "$old"
	ap_rc=0
	wait "$ap" || ap_rc=$?
	bl_forget "$ap"
	[ $ap_rc -ne 0 ] || [ $try = 4 ] && break
	bl_wait "qv-controld restarted (try $try)" 30 \
		bash -c "[ \$(grep -c 'qv-controld: ready' '$OUT/controld.log') -gt $readies ]"
	bl_wait "qv-controld in sync (try $try)" 60 synced
	$QV apply "$BW/svc1.yaml" >>"$OUT/apply2.log" 2>&1 || bl_die "apply of svc1 back failed"
	delay_ms=$((delay_ms / 2))
done
bl_wait "qv-controld restarted" 30 \
	bash -c "[ \$(grep -c 'qv-controld: ready' '$OUT/controld.log') -gt $readies ]"
bl_wait "qv-controld in sync with the switch after its restart" 60 synced
converge_s=$(echo "$(date +%s.%N) - $t" | bc)
restored=$(grep 'qv-controld: ready' "$OUT/controld.log" | tail -n 1 | sed -n 's/.*restored //p')
FA=$(flows) PA=$(portnames)
matches=no
case $restored in
*svc1.yaml) [ "$FA" = "$F1" ] && [ "$PA" = "$P1" ] && matches=yes ;;
*svc2.yaml) [ "$FA" = "$F2" ] && [ "$PA" = "$P2" ] && matches=yes ;;
esac
peer_wait
mid="no (the apply had finished: qvctl exit 0)"
[ $ap_rc -ne 0 ] && mid="yes, $delay_ms ms into it, try $try (qvctl apply: $(tail -n 1 "$OUT/apply-killed.log"))"
$QV apply "$BW/svc1.yaml" >>"$OUT/apply2.log" 2>&1 || true

# ---- 3. a VNF destroyed under traffic ----------------------------------------------------------
bl_wait "the VNF ports up before phase 3" 60 ports_up '^f[ab]-' 
peer_start destroy --duration 6 --rx "1:$OUT/destroy-lan0.pcap" --rx "3:$OUT/destroy-lan1.pcap"
bl_wait "traffic through both chains (phase 3)" 60 flowing "$OUT/peer-destroy.log"
t_destroy_from=$(date +%s.%N)
sleep 1
if [ "$VNF" = peer ]; then
	kill -KILL "$VNF_PID_fb" # at once, no clean-up: a VM that dies
else
	virsh -q -c qemu:///system destroy "${VM_PREFIX}fb-0" >/dev/null
fi
peer_wait
$QVCTL_BIN --switch "$CTL/sw.sock" show ports >"$OUT/switch-ports.txt" 2>&1 || true
$QVCTL_BIN --switch "$CTL/sw.sock" show drops >>"$OUT/switch-ports.txt" 2>&1 || true

# ---- report ------------------------------------------------------------------------------------
{
	echo "== chaos.sh: VNFs $VNF, $RATE pps per chain, $KILLS kills of qv-switchd =="
	grep -v '^recovery_s=' "$OUT/recovery.txt"
	echo "VNF restarts over the switch kills: $restarted"
	echo "qv-controld kill -9 during an apply (clean apply: ${apply_ms} ms): killed mid-apply: $mid;"
	echo "  back and in sync ${converge_s} s after the kill, restored ${restored:-nothing};" \
		"switch exactly as that state: $matches;" \
		"lost: chain a $(chain_loss apply "$t_apply_from" a), chain b $(chain_loss apply "$t_apply_from" b)"
	la=$(chain_loss destroy "$t_destroy_from" a)
	echo "VNF fb destroyed under traffic: chain a lost ${la} (must be 0)," \
		"chain b lost $(chain_loss destroy "$t_destroy_from" b) (its VNF is gone)"
	[ "${la%%/*}" = 0 ] || echo "!!! chain a LOST PACKETS when another chain's VNF died !!!"
	grep '^recovery_s=' "$OUT/recovery.txt"
} | tee "$OUT/summary.txt"
