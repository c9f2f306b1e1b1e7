#!/bin/bash
# bench.sh - qwikvirt against DPDK testpmd io forwarding and OVS-DPDK on the same vhost-user
# topology, the same cores and the same generator (qv-bench), alternating over repetitions.
#
#   scripts/bench.sh [options]
#
# Topologies (--topology):
#   v2v  qv-bench port 0 -> switch port a -> switch port b -> qv-bench port 1, and back
#   pvp  qv-bench -> a -> VNF (testpmd io between two virtio-user ports v1, v2) -> b -> qv-bench:
#        every packet crosses the switch twice; the VNF stand-in runs on CPU 0 with the generator
#   pvvp qv-bench -> a -> VNF 1 (v1, v2) -> VNF 2 (w1, w2) -> b -> qv-bench: a two-hop chain,
#        every packet crosses the switch three times; both stand-ins on CPU 0
#   The VNFs are testpmd io stand-ins (--vnf testpmd, default), or real VMs (--vnf vm): the
#   bridge guest of scripts/build-guest.sh under libvirt + QEMU (qv-vmctl), vCPUs on CPU 0,
#   QEMU connecting to the switch's vhost-user sockets. Where KVM is unusable (here: TCG) a
#   guest forwards tens of kpps, so the VM figures measure the guest; --vnf vm implies
#   --method gen (the loop method's few circulating bursts die in a guest that drops some).
# Switches (--switches, default "qwikvirt testpmd ovs"), each with one forwarding core (CPU 1,
# everything else on CPU 0), started afresh for every run, stopped by PID afterwards:
#   qwikvirt  build/dataplane/qv-switchd, rules in=a actions=output:b (and back), plus filler
#             rules up to --rules that match no test packet (proto=tcp)
#   qvrules   qwikvirt with --heavy-rules wildcard rules (default 1000) and traffic of
#             --heavy-flows flows (default 10000; more than a PMD's exact-match cache holds),
#             against qwikvirt's own figure in the same run (the table's qvrules / qwikvirt)
#   qvcapture qwikvirt as above while capturing every packet in both directions on every port
#             to pcapng files (qvctl capture start): what a capture costs forwarding
#   qvgroup   qwikvirt whose forwarding rules output through a load-balancing group of one
#             member (group:b): what the Maglev pick and the flow-affinity table cost
#   qvpolice  qwikvirt with an ingress policer on every port, at a rate no test reaches
#             (1Tbit): what one rte_meter per packet costs
#   testpmd   dpdk-testpmd io forwarding between net_vhost ports: the floor (no lookup at all)
#   ovs       Debian openvswitch-switch-dpdk (ovs-vswitchd-dpdk), private db and run dir under
#             the work dir, bridge br0 (netdev), dpdkvhostuser ports, flows in_port=a,
#             actions=output:b (and back) plus the same filler rules
# Each run: throughput, then latency.
#   throughput  --method loop (default): qv-bench --mode io --tx-first 32 injects bursts that
#               circulate generator -> switch -> generator in both directions; the rate is what
#               the generator receives (as the anchors in ../shared/lab/anchors measured).
#               --method gen: qv-bench gen at max rate, both directions, counting loss.
#   cycles      the switch's busy TSC cycles per packet over the throughput phase (qvctl show
#               pmd / ovs-appctl dpif-netdev/pmd-stats-show); testpmd: its whole run
#               (--record-core-cycles)
#   latency     qv-bench gen at --lat-rate pps port 0 -> 1, 1 packet in 8 stamped: p50/p99/p99.9
# Output: one table (Mpps median/min/max, cycles/packet, latency, loss, and the ratios qwikvirt /
# testpmd and qwikvirt / ovs per repetition and their median), results.tsv, --json FILE, and a
# PNG plot of Mpps against frame size (gnuplot). Only ratios taken in the same run mean
# anything: this machine's absolute figures drift by +-30 % within minutes.
#
# Options:
#   --topology v2v|pvp|pvvp (default v2v)
#   --vnf testpmd|vm      the VNFs of pvp/pvvp (default testpmd)
#   --switches LIST       space or comma separated (default "qwikvirt testpmd ovs")
#   --reps N              repetitions, switches alternating within each (default 5)
#   --sizes LIST          frame sizes: numbers and/or imix (default "64 1518")
#   --duration S          throughput measuring time per run (default 10)
#   --warmup S            traffic before measuring (default 2)
#   --rules N             total rules in qwikvirt and OVS (default 2 = just forwarding)
#   --flows N             flows in the generated traffic (default 1)
#   --heavy-rules N       rules for qvrules (default 1000): half proto=tcp host routes, half
#                         proto=udp /24 source prefixes, none matching the test traffic
#   --heavy-flows N       flows for qvrules (default 10000)
#   --method loop|gen     throughput method (default loop)
#   --lat-rate PPS        latency phase rate, e.g. 500k; 0 = skip latency (default 500k)
#   --lat-duration S      (default 3)
#   --out DIR             results dir (default /tmp/qv-bench/DATE)
#   --json FILE           also write the summary there (default DIR/summary.json)
#   --plot FILE.png       (default DIR/rate_vs_size.png)
#   --build DIR           qwikvirt build dir (default build/, built with scripts/build.sh if
#                         qv-bench is missing)
#   -h, --help            this text
# Needs root, hugepages (scripts/setup-host.sh) and installs openvswitch-switch-dpdk and
# gnuplot-nox when missing (the package scripts are kept from starting a system OVS).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
. "$HERE/bench/lib.sh"

TOPO=v2v SWITCHES="qwikvirt testpmd ovs" REPS=5 SIZES="64 1518" DUR=10 WARMUP=2 RULES=2
VNF=testpmd FLOWS=1 HEAVY_RULES=1000 HEAVY_FLOWS=10000 METHOD=loop LATRATE=500k LATDUR=3 OUT="" JSON="" PLOT="" BUILD=$SRC/build
GEN_CPU=0 PMD_CPU=1
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	--topology) TOPO=$2 ;; --switches) SWITCHES=${2//,/ } ;; --reps) REPS=$2 ;;
	--sizes) SIZES=${2//,/ } ;; --duration) DUR=$2 ;; --warmup) WARMUP=$2 ;;
	--rules) RULES=$2 ;; --flows) FLOWS=$2 ;; --method) METHOD=$2 ;;
	--heavy-rules) HEAVY_RULES=$2 ;; --heavy-flows) HEAVY_FLOWS=$2 ;; --vnf) VNF=$2 ;;
	--lat-rate) LATRATE=$2 ;; --lat-duration) LATDUR=$2 ;; --out) OUT=$2 ;;
	--json) JSON=$2 ;; --plot) PLOT=$2 ;; --build) BUILD=$2 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	[ $# -ge 2 ] || { echo "bench.sh: $1 needs a value" >&2; exit 2; }
	shift 2
done
case $TOPO in v2v | pvp | pvvp) ;; *) bl_die "--topology $TOPO: expected v2v, pvp or pvvp" ;; esac
case $METHOD in loop | gen) ;; *) bl_die "--method $METHOD: expected loop or gen" ;; esac
case $VNF in testpmd) ;; vm) METHOD=gen ;; *) bl_die "--vnf $VNF: expected testpmd or vm" ;; esac
for s in $SWITCHES; do
	case $s in qwikvirt | qvrules | qvcapture | qvgroup | qvpolice | testpmd | ovs) ;; *) bl_die "--switches: unknown '$s'" ;; esac
done
[[ $REPS =~ ^[1-9][0-9]*$ ]] || bl_die "--reps $REPS: expected a count"
for v in RULES HEAVY_RULES FLOWS HEAVY_FLOWS; do
	[[ ${!v} =~ ^[0-9]+$ ]] || bl_die "--$(echo "$v" | tr 'A-Z_' 'a-z-') ${!v}: expected a count"
done
[ "$(id -u)" = 0 ] || bl_die "run as root (hugepages, vhost-user sockets, OVS)"

OUT=${OUT:-/tmp/qv-bench/$(date +%Y%m%d-%H%M%S)}
JSON=${JSON:-$OUT/summary.json}
PLOT=${PLOT:-$OUT/rate_vs_size.png}
mkdir -p "$OUT"
BW=$(mktemp -d /tmp/qvbench.XXXXXX)   # sockets, fifos, OVS state: removed at exit
bl_init
BL_RM+=("$BW")

bl_install openvswitch-switch-dpdk gnuplot-nox
GUEST_DIR=${QV_GUEST_DIR:-/var/cache/qwikvirt/guest}
VMCTL=$BUILD/control/vm/qv-vmctl
if [ "$VNF" = vm ] && [ "$TOPO" != v2v ]; then
	[ -x "$VMCTL" ] || bl_die "$VMCTL missing: build qwikvirt with libvirt-dev installed"
	out=$("$SRC/scripts/setup-libvirt.sh" 2>&1) || bl_die "setup-libvirt.sh: $out"
	started=$(echo "$out" | sed -n 's/^SETUP-LIBVIRT: OK started=//p')
	BL_HOOKS+=("vm_cleanup") # before libvirt goes
	[ "$started" = none ] || BL_HOOKS+=("'$SRC/scripts/setup-libvirt.sh' stop")
	"$SRC/scripts/build-guest.sh" "$GUEST_DIR" >&2 || bl_die "build-guest.sh failed"
fi
OVS_VSWITCHD=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
if [ ! -x "$BUILD/bench/qv-bench" ] || [ ! -x "$BUILD/dataplane/qv-switchd" ]; then
	bl_log "building qwikvirt into $BUILD"
	if [ -x "$SRC/scripts/build.sh" ] && [ "$BUILD" = "$SRC/build" ]; then
		"$SRC/scripts/build.sh" >&2
	else
		[ -d "$BUILD" ] || meson setup "$BUILD" "$SRC" >&2
		ninja -C "$BUILD" >&2
	fi
fi
QVB=$BUILD/bench/qv-bench SWITCHD=$BUILD/dataplane/qv-switchd QVCTL_BIN=$BUILD/control/qvctl/qvctl
free=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
[ "$free" -ge 600 ] || bl_die "only $free free 2 MB hugepages (need ~600): scripts/setup-host.sh"

# Topology: the switch's ports and the pairs it forwards between (both directions).
case $TOPO in
v2v) SWPORTS="a b" PAIRS="a:b" ;;
pvp) SWPORTS="a v1 v2 b" PAIRS="a:v1 v2:b" ;;
pvvp) SWPORTS="a v1 v2 w1 w2 b" PAIRS="a:v1 v2:w1 w2:b" ;;
esac
# Per run: the rules a switch gets and the flows the generator sends (qvrules: the heavy ones).
RUN_RULES=$RULES RUN_FLOWS=$FLOWS

# filler I: rule I (from 2 on) of the fillers, matching no test packet (UDP from 10.0.0.0/8):
# "tcp HOST PORT" or "udp PREFIX/24 PORT", written by each switch in its own syntax
filler() {
	local i=$1
	if ((i % 2)); then
		echo "udp 172.$((16 + i / 65536 % 16)).$((i / 256 % 256)).0/24 $((2000 + i % 50000))"
	else
		echo "tcp 192.168.$((i / 250 % 250)).$((i % 250 + 1))/32 $((1000 + i % 60000))"
	fi
}

# ---- one switch under test: start / cycles / stop ---------------------------------------------
# sw_start NAME sets SOCK_<port> for every switch port and SW_PID.
sw_start_qwikvirt() {
	local sd=$BW/qv p pr i=0 a b
	mkdir -p "$sd"
	taskset -c "$GEN_CPU" "$SWITCHD" --socket "$sd/sw.sock" --pmd-cores "$PMD_CPU" \
		--main-core "$GEN_CPU" --file-prefix "qvbsw$$" >"$RUNLOG.switch" 2>&1 &
	SW_PID=$!
	BL_PIDS+=("$SW_PID")
	bl_wait "qv-switchd ready" 60 grep -q 'qv-switchd: ready' "$RUNLOG.switch"
	QV="$QVCTL_BIN --switch $sd/sw.sock"
	for p in $SWPORTS; do
		$QV port add "$p" vhost "$sd/$p.sock" >/dev/null
		printf -v "SOCK_$p" %s "$sd/$p.sock"
	done
	for pr in $PAIRS; do
		a=${pr%:*} b=${pr#*:}
		$QV flow add "in=$a actions=output:$b" >/dev/null
		$QV flow add "in=$b actions=output:$a" >/dev/null
		i=$((i + 2))
	done
	# Filler rules, in the classifier, matching no test packet: one RPC connection for all
	local proto pfx port
	for ((; i < RUN_RULES; i++)); do
		read -r proto pfx port < <(filler $i)
		if [ "$proto" = tcp ]; then
			echo "in=a,proto=tcp,ip-dst=$pfx,dst-port=$port actions=drop"
		else
			echo "in=a,proto=udp,ip-src=$pfx,dst-port=$port actions=drop"
		fi
	done >"$sd/filler.txt"
	[ ! -s "$sd/filler.txt" ] || python3 "$HERE/bench/flows_add.py" "$sd/sw.sock" "$sd/filler.txt"
}
# qwikvirt with many wildcard rules and many flows (RUN_RULES, RUN_FLOWS set by one_run)
sw_start_qvrules() { sw_start_qwikvirt; }
sw_clear_qvrules() { sw_clear_qwikvirt; }
sw_cycles_qvrules() { sw_cycles_qwikvirt; }
sw_rss_qvrules() { sw_rss_qwikvirt; }
sw_stop_qvrules() { sw_stop_qwikvirt; }
sw_clear_qwikvirt() { $QV stats clear >/dev/null; }
sw_cycles_qwikvirt() { $QV --json show pmd | jq '.pmds[0].cycles_per_packet'; }
sw_rss_qwikvirt() { awk '/^VmRSS/ {print $2}' "/proc/$SW_PID/status"; }
sw_stop_qwikvirt() { bl_stop_pid "$SW_PID" 20; bl_forget "$SW_PID"; }

# qwikvirt with a capture of everything (rx and tx) on every port, files in the run's dir
sw_start_qvcapture() {
	local p
	sw_start_qwikvirt
	for p in $SWPORTS; do
		$QV capture start "$p" --dir both --force --file "cap-$p.pcapng" >/dev/null
	done
}
sw_clear_qvcapture() { sw_clear_qwikvirt; }
sw_cycles_qvcapture() { sw_cycles_qwikvirt; }
sw_rss_qvcapture() { sw_rss_qwikvirt; }
sw_stop_qvcapture() { sw_stop_qwikvirt; rm -f "$BW"/qv/capture/cap-*.pcapng*; }

# qwikvirt forwarding through one-member groups: rules above the plain ones take the packets
sw_start_qvgroup() {
	local pr a b
	sw_start_qwikvirt
	for pr in $PAIRS; do
		a=${pr%:*} b=${pr#*:}
		$QV flow add "in=$a,priority=40000 actions=group:$b" >/dev/null
		$QV flow add "in=$b,priority=40000 actions=group:$a" >/dev/null
	done
}
sw_clear_qvgroup() { sw_clear_qwikvirt; }
sw_cycles_qvgroup() { sw_cycles_qwikvirt; }
sw_rss_qvgroup() { sw_rss_qwikvirt; }
sw_stop_qvgroup() { sw_stop_qwikvirt; }

# qwikvirt with an ingress policer on every port that never drops (1Tbit/s, 64MiB burst)
sw_start_qvpolice() {
	local p
	sw_start_qwikvirt
	for p in $SWPORTS; do $QV port set "$p" --police 1Tbit,64MiB >/dev/null; done
}
sw_clear_qvpolice() { sw_clear_qwikvirt; }
sw_cycles_qvpolice() { sw_cycles_qwikvirt; }
sw_rss_qvpolice() { sw_rss_qwikvirt; }
sw_stop_qvpolice() { sw_stop_qwikvirt; }

sw_start_testpmd() {
	local sd=$BW/tp p n=0 vd=()
	mkdir -p "$sd"
	rm -f "$sd"/*.sock
	# testpmd io pairs port 2k with 2k+1: list the ports pair by pair
	for p in $(echo "$PAIRS" | tr ': ' '  '); do
		vd+=(--vdev "net_vhost$n,iface=$sd/$p.sock,queues=1")
		printf -v "SOCK_$p" %s "$sd/$p.sock"
		n=$((n + 1))
	done
	bl_testpmd_start "$RUNLOG.switch" dpdk-testpmd --lcores "0@$GEN_CPU,1@$PMD_CPU" \
		--file-prefix "qvbtp$$" --no-pci --in-memory --log-level=user1,8 "${vd[@]}" -- \
		--forward-mode=io --nb-cores=1 --total-num-mbufs=16384 --record-core-cycles \
		--no-lsc-interrupt --no-rmv-interrupt --disable-link-check
	SW_PID=$TP_PID
	for p in $SWPORTS; do bl_wait "testpmd socket $p" 60 test -S "$sd/$p.sock"; done
}
sw_clear_testpmd() { :; }
sw_cycles_testpmd() { echo "${TP_CYC:-null}"; }
sw_rss_testpmd() { awk '/^VmRSS/ {print $2}' "/proc/$SW_PID/status"; }
sw_stop_testpmd() {
	bl_stop_pid "$SW_PID" 20
	bl_forget "$SW_PID"
	# printed on exit: "CPU cycles/packet=162.34 (busy cycles=..."
	TP_CYC=$(sed -n 's/.*CPU cycles\/packet=\([0-9.]*\).*/\1/p' "$RUNLOG.switch" | tail -n 1)
}

ovs_stop() {
	local d p
	for d in ovs-vswitchd ovsdb-server; do
		[ -f "$OVS_RUNDIR/$d.pid" ] || continue
		p=$(cat "$OVS_RUNDIR/$d.pid")
		timeout 10 ovs-appctl -t "$OVS_RUNDIR/$d.ctl" exit >/dev/null 2>&1 || true
		bl_stop_pid "$p" 10
		rm -f "$OVS_RUNDIR/$d.pid"
	done
}
sw_start_ovs() {
	local o=$BW/ovs p pr i=0 n=1 a b
	rm -rf "$o"
	export OVS_RUNDIR=$o/run OVS_DBDIR=$o/db OVS_LOGDIR=$o/log
	mkdir -p "$OVS_RUNDIR" "$OVS_DBDIR" "$OVS_LOGDIR"
	VSCTL="ovs-vsctl --db=unix:$OVS_RUNDIR/db.sock --timeout=60"
	APPCTL="ovs-appctl -t $OVS_RUNDIR/ovs-vswitchd.ctl"
	ovsdb-tool create "$OVS_DBDIR/conf.db" /usr/share/openvswitch/vswitch.ovsschema
	ovsdb-server "$OVS_DBDIR/conf.db" --remote="punix:$OVS_RUNDIR/db.sock" \
		--pidfile="$OVS_RUNDIR/ovsdb-server.pid" --unixctl="$OVS_RUNDIR/ovsdb-server.ctl" \
		--log-file="$OVS_LOGDIR/ovsdb-server.log" --detach 2>>"$RUNLOG.switch"
	BL_PIDS+=("$(cat "$OVS_RUNDIR/ovsdb-server.pid")")
	[[ " ${BL_HOOKS[*]} " == *" ovs_stop "* ]] || BL_HOOKS+=("ovs_stop")
	$VSCTL --no-wait init
	$VSCTL --no-wait set Open_vSwitch . other_config:dpdk-init=true \
		other_config:dpdk-socket-mem=512 other_config:dpdk-socket-limit=1024 \
		other_config:dpdk-lcore-mask="$(printf 0x%x $((1 << GEN_CPU)))" \
		other_config:pmd-cpu-mask="$(printf 0x%x $((1 << PMD_CPU)))" \
		other_config:dpdk-extra="--file-prefix=qvbovs$$ --no-pci"
	# taskset: main, handler, revalidator and DPDK control threads on the generator's CPU;
	# the PMD thread still goes to PMD_CPU through pmd-cpu-mask
	taskset -c "$GEN_CPU" "$OVS_VSWITCHD" "unix:$OVS_RUNDIR/db.sock" \
		--pidfile="$OVS_RUNDIR/ovs-vswitchd.pid" --unixctl="$OVS_RUNDIR/ovs-vswitchd.ctl" \
		--log-file="$OVS_LOGDIR/ovs-vswitchd.log" --detach 2>>"$RUNLOG.switch"
	SW_PID=$(cat "$OVS_RUNDIR/ovs-vswitchd.pid")
	BL_PIDS+=("$SW_PID")
	[ "$($VSCTL get Open_vSwitch . dpdk_initialized)" = true ] ||
		bl_die "DPDK not initialized in OVS: see $OVS_LOGDIR/ovs-vswitchd.log"
	$VSCTL add-br br0 -- set bridge br0 datapath_type=netdev
	for p in $SWPORTS; do
		$VSCTL add-port br0 "$p" -- set Interface "$p" type=dpdkvhostuser ofport_request=$n
		printf -v "OFP_$p" %s "$n"
		printf -v "SOCK_$p" %s "$OVS_RUNDIR/$p"
		n=$((n + 1))
	done
	{
		for pr in $PAIRS; do
			a=OFP_${pr%:*} b=OFP_${pr#*:}
			echo "priority=100,in_port=${!a},actions=output:${!b}"
			echo "priority=100,in_port=${!b},actions=output:${!a}"
			i=$((i + 2))
		done
		local proto pfx port
		for ((; i < RUN_RULES; i++)); do
			read -r proto pfx port < <(filler $i)
			if [ "$proto" = tcp ]; then
				echo "priority=200,tcp,in_port=$OFP_a,nw_dst=${pfx%/32},tp_dst=$port,actions=drop"
			else
				echo "priority=200,udp,in_port=$OFP_a,nw_src=$pfx,tp_dst=$port,actions=drop"
			fi
		done
	} >"$o/flows.txt"
	ovs-ofctl del-flows br0
	ovs-ofctl add-flows br0 "$o/flows.txt"
	for p in $SWPORTS; do bl_wait "OVS socket $p" 60 test -S "$OVS_RUNDIR/$p"; done
}
sw_clear_ovs() { $APPCTL dpif-netdev/pmd-stats-clear >/dev/null; }
sw_cycles_ovs() {
	$APPCTL dpif-netdev/pmd-stats-show | awk '/^pmd thread/ {p=1} /^main thread/ {p=0}
		p && /avg processing cycles per packet:/ {v=$6} END {print (v == "" ? "null" : v)}'
}
sw_rss_ovs() { awk '/^VmRSS/ {print $2}' "/proc/$SW_PID/status"; }
sw_stop_ovs() { ovs_stop; bl_forget "$SW_PID"; }

# ---- the VNF stand-ins for pvp/pvvp: testpmd io between two virtio-user ports on CPU 0 -------
VNF_PIDS=()
vnf_one() { # vnf_one NAME IN-SOCK OUT-SOCK
	bl_testpmd_start "$RUNLOG.$1" taskset -c "$GEN_CPU" dpdk-testpmd --lcores "0@$GEN_CPU,1@$GEN_CPU" \
		--file-prefix "qvb$1$$" --no-pci --in-memory --single-file-segments --log-level=user1,8 \
		--vdev "net_virtio_user0,path=$2,queues=1,queue_size=1024" \
		--vdev "net_virtio_user1,path=$3,queues=1,queue_size=1024" -- \
		--forward-mode=io --nb-cores=1 --total-num-mbufs=16384 --rxd=1024 --txd=1024 \
		--no-lsc-interrupt --no-rmv-interrupt --disable-link-check
	VNF_PIDS+=("$TP_PID")
	bl_wait "VNF $1 forwarding" 60 grep -q 'Press enter to exit' "$RUNLOG.$1"
}
# a real VM: the bridge guest, QEMU the vhost-user client of the switch's sockets
VNF_VMS=()
vm_one() { # vm_one NAME IN-SOCK OUT-SOCK
	local vm=qvb$$-$1 i
	VNF_VMS+=("$vm")
	"$VMCTL" up --name "$vm" --guest "$GUEST_DIR" --vcpu-cpuset "$GEN_CPU" \
		--emulatorpin "$GEN_CPU" --serial-log "$RUNLOG.$1.serial" \
		--iface "$2,client" --iface "$3,client" >"$RUNLOG.$1" 2>&1 || bl_die "VM $vm: $(tail -2 "$RUNLOG.$1")"
	for ((i = 0; i < 1500; i++)); do
		grep -aq QV-GUEST-READY "$RUNLOG.$1.serial" 2>/dev/null && return 0
		sleep 0.1
	done
	bl_die "VM $vm did not boot in 150 s: $RUNLOG.$1.serial"
}
vm_cleanup() {
	local vm
	for vm in "${VNF_VMS[@]}"; do "$VMCTL" undefine "$vm" >/dev/null 2>&1; done
	VNF_VMS=()
}
vnf_start() {
	local one=vnf_one
	[ "$VNF" = vm ] && one=vm_one
	VNF_PIDS=()
	case $TOPO in
	pvp) $one vnf "$SOCK_v1" "$SOCK_v2" ;;
	pvvp) $one vnf1 "$SOCK_v1" "$SOCK_v2" && $one vnf2 "$SOCK_w1" "$SOCK_w2" ;;
	esac
}
vnf_stop() {
	local p
	for p in "${VNF_PIDS[@]}"; do bl_stop_pid "$p" 20; bl_forget "$p"; done
	VNF_PIDS=()
	vm_cleanup
}

# ---- qv-bench on the generator's CPU -----------------------------------------------------------
qvbench() { # qvbench NAME OPTIONS... -> JSON in $RUNLOG.NAME.json
	local name=$1
	shift
	timeout $((60 + ${DUR%.*} * 4)) taskset -c "$GEN_CPU" "$QVB" --lcores "0@$GEN_CPU" --no-pci \
		--in-memory --single-file-segments --file-prefix "qvbgen$$" --log-level=user1,8 -- \
		--port "virtio:$SOCK_a" --port "virtio:$SOCK_b" --flows "$RUN_FLOWS" --quiet \
		--json "$RUNLOG.$name.json" "$@" >"$RUNLOG.$name.log" 2>&1 &
	local pid=$!
	BL_PIDS+=("$pid")
	local rc=0
	wait "$pid" || rc=$?
	bl_forget "$pid"
	return $rc
}

one_run() { # one_run REP SIZE SWITCH -> appends a row to results.tsv
	local rep=$1 size=$2 sw=$3 mpps=NaN cyc=null p50=null p99=null p999=null loss=null rss=null
	RUNLOG=$OUT/logs/r${rep}_${size}_$sw
	RUN_RULES=$RULES RUN_FLOWS=$FLOWS
	[ "$sw" = qvrules ] && RUN_RULES=$HEAVY_RULES RUN_FLOWS=$HEAVY_FLOWS
	sw_start_$sw
	vnf_start
	sw_clear_$sw
	local thr=(--size "$size" --duration "$DUR" --warmup "$WARMUP")
	if [ "$METHOD" = loop ]; then
		thr+=(--mode io --tx-first 32)
	else
		thr+=(--mode gen --tx 0,1 --rx 0,1 --latency 0)
	fi
	if qvbench thr "${thr[@]}"; then
		mpps=$(jq '.runs[0].rx_pps / 1e6' "$RUNLOG.thr.json")
	else
		bl_log "throughput run failed: $RUNLOG.thr.log"
	fi
	[ "$sw" != testpmd ] && cyc=$(sw_cycles_$sw)
	rss=$(sw_rss_$sw)
	if [ "$LATRATE" != 0 ]; then
		if qvbench lat --size "$size" --mode gen --tx 0 --rx 1 --rate "$LATRATE" \
			--duration "$LATDUR" --warmup 0.5 --latency 8; then
			read -r p50 p99 p999 loss < <(jq -r '.runs[0] | [.latency_us.p50, .latency_us.p99,
				.latency_us.p99_9, .loss_ratio] | map(tostring) | join(" ")' "$RUNLOG.lat.json")
		else
			bl_log "latency run failed: $RUNLOG.lat.log"
		fi
	fi
	vnf_stop
	sw_stop_$sw
	[ "$sw" = testpmd ] && cyc=${TP_CYC:-null}
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date +%T)" "$rep" "$size" "$sw" \
		"$mpps" "${cyc:-null}" "$p50" "$p99" "$p999" "$loss" "${rss:-null}" | tee -a "$OUT/results.tsv" >&2
}

mkdir -p "$OUT/logs"
printf 'time\trep\tsize\tswitch\tmpps\tcycles_per_pkt\tlat_p50_us\tlat_p99_us\tlat_p999_us\tlat_loss\trss_kb\n' >"$OUT/results.tsv"
bl_log "topology $TOPO, switches: $SWITCHES, sizes: $SIZES, $REPS reps, ${DUR}s, method $METHOD, results in $OUT"
for ((rep = 1; rep <= REPS; rep++)); do
	for size in $SIZES; do
		for sw in $SWITCHES; do one_run "$rep" "$size" "$sw"; done
	done
done

python3 "$HERE/bench/summary.py" --tsv "$OUT/results.tsv" --json "$JSON" --plot-data "$OUT/plot.dat" \
	--meta "topology=$TOPO" "method=$METHOD" "reps=$REPS" "duration_s=$DUR" "rules=$RULES" \
	"flows=$FLOWS" "vnf=$VNF" "heavy_rules=$HEAVY_RULES" "heavy_flows=$HEAVY_FLOWS" "lat_rate=$LATRATE" | tee "$OUT/summary.txt"
if [ -s "$OUT/plot.dat" ]; then
	ncols=$(head -n 1 "$OUT/plot.dat" | wc -w)
	gnuplot -e "datafile='$OUT/plot.dat'; outfile='$PLOT'; topo='$TOPO'; ncols=$((ncols - 1))" \
		"$HERE/bench/plot.gp" && echo "plot: $PLOT"
fi
echo "results: $OUT (results.tsv, summary.txt, logs/); json: $JSON"
