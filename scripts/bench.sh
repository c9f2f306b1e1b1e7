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
#   phy  kernel-facing ports: the switch's a and b are af_packet ports on one end of two veth
#        pairs, qv-bench sends and receives with af_packet on the other ends. Every switch uses
#        DPDK's net_af_packet with the same rings (qwikvirt's af_packet port sizes: 2048 B
#        frames, 10 KiB at MTU 9000; 512 per ring) on the same veths, so the kernel's share,
#        most of the cost here, is the same for all three: what differs is the switch's own.
#        No NIC is involved; it is the path to a container or a host interface. Sizes up to
#        1518 B (DPDK 22.11's net_af_packet refuses testpmd and OVS a larger MTU).
#   The VNFs are testpmd io stand-ins (--vnf testpmd, default), or real VMs (--vnf vm): the
#   bridge guest of scripts/build-guest.sh under libvirt + QEMU (qv-vmctl), vCPUs on CPU 0,
#   QEMU connecting to the switch's vhost-user sockets. Where KVM is unusable (here: TCG) a
#   guest forwards tens of kpps, so the VM figures measure the guest; --vnf vm implies
#   --method gen (the loop method's few circulating bursts die in a guest that drops some).
# Switches (--switches, default "qwikvirt testpmd ovs"), each with one forwarding core (CPU 1,
# everything else on CPU 0), started afresh for every run, stopped by PID afterwards:
#   qwikvirt  build/dataplane/qv-switchd, rules in=a actions=output:b (and back), plus filler
#             rules up to --rules that match no test packet (proto=tcp); its vhost ports
#             without rte_vhost's per-virtqueue counters (qvctl port add --no-vring-stats:
#             its own port and queue counters count; testpmd's net_vhost cannot shed them)
#             unless --vring-stats
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
# Frame sizes count the 4-byte FCS (RFC 2544): 1518 is a full 1500-byte IP packet, 9018 a
# 9000-byte one (the switches' ports then get MTU 9000).
# Each run: throughput (or the NDR/PDR search), then latency, then (--blocked) blocked time.
#   throughput  --method loop (default): qv-bench --mode io --tx-first 32 injects bursts that
#               circulate generator -> switch -> generator in both directions; the rate is what
#               the generator receives (as the anchors in ../shared/lab/anchors measured).
#               --method gen: qv-bench gen at max rate, both directions, counting loss.
#   ndr         --method ndr: RFC 2544 searches for the no-drop rate (NDR, 0 loss) and the
#               partial-drop rate (PDR, loss <= --pdr), both directions at once: a max-rate
#               trial for the ceiling, bisection with --trial s trials, then a final trial of
#               --duration s at the rate found (stepping down if it loses). Every trial is in
#               the JSON. The table's Mpps is then the NDR; the NDR table's gen % is the
#               generator's busy share in the trial that set it (near 100 %: the generator's
#               limit, not the switch's)
#   cycles      the switch's busy TSC cycles per packet over the throughput phase (qvctl show
#               pmd / ovs-appctl dpif-netdev/pmd-stats-show); testpmd: its whole run
#               (--record-core-cycles)
#   generator   qv-bench's own load over the throughput phase (the table's gen %): the share of
#               its time spent in loop iterations that moved a packet, and those cycles per
#               packet received. The loop method's rate is the loop's: where the generator is as
#               busy as the switch, each waits on the other and the rate is not the switch's alone
#   latency     qv-bench gen at --lat-rate pps port 0 -> 1, 1 packet in 8 stamped: p50/p99/p99.9;
#               with --method ndr also at 10, 50 and 90 % of each switch's own NDR of that
#               repetition (--load-pcts), both directions: p50/p90/p99/p99.9
#   blocked     --blocked (needs --method ndr; qwikvirt and ovs): at 90 % of NDR, a run of
#               --blocked-duration s during which the switch is reconfigured 1.5 s in: the
#               whole rule table replaced by an equivalent one (qvctl flow replace-file /
#               ovs-ofctl replace-flows), a vhost-user port added then deleted (qvctl port
#               add+del / ovs-vsctl add-port+del-port), qwikvirt only: a chain edited and
#               applied through qv-controld (new ports and rules; the measured traffic is not
#               in that chain), and for reference no change at all.
#               Blocked time = lost packets / offered rate, in ms (CSIT's definition)
# Matrix (--matrix): {--matrix-rules} x {--matrix-flows} at 64 B, max-rate Mpps both directions
#   for qwikvirt and OVS with the same wildcard rules (1 = just the forwarding rules), each
#   cell also as a ratio to qwikvirt's own 1-rule 1-flow figure.
# Output: tables (Mpps median/min/max, cycles/packet, latency, NDR/PDR, latency at load,
# blocked time, the matrix, and the ratios qwikvirt / testpmd and qwikvirt / ovs per repetition
# and their median) in summary.txt, every run as a JSON line in results.jsonl (matrix.jsonl),
# the machine and command in machine.json, --json FILE, and a PNG (gnuplot): Mpps per size
# (IMIX included) per switch, NDR, latency percentiles at load, the matrix. --publish NAME
# copies all of it to bench/results/NAME/. Only ratios taken in the same run mean anything:
# this machine's absolute figures drift by +-30 % within minutes.
#
# Options:
#   --topology v2v|pvp|pvvp|phy (default v2v)
#   --vnf testpmd|vm      the VNFs of pvp/pvvp (default testpmd)
#   --packed              the generator's virtio-user ports offer packed virtqueues
#                         (packed_vq=1; every switch takes them: rte_vhost and OVS support
#                         them); default split, as QEMU gives a guest's virtio-net
#   --vring-stats         qwikvirt's vhost ports keep rte_vhost's per-virtqueue counters
#                         (qvctl port add's default; 2 to 5 % slower at 64 B)
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
#   --method loop|gen|ndr throughput method (default loop)
#   --pdr RATIO           PDR loss bound (default 0.005 = 0.5 %)
#   --trial S             seconds per search trial (default 1)
#   --max-trials N        bisection trials per search (default 10)
#   --min-sent F          a trial must send F x the offered packets (default 0.99; lower only
#                         to test the tooling on a loaded machine)
#   --load-pcts LIST      latency loads in % of NDR (default "10 50 90")
#   --load-base ndr|pdr   what those loads and the blocked-time load are a share of
#                         (default ndr; pdr where no rate is loss-free, a loaded machine)
#   --blocked             measure the blocked time of reconfigurations (with --method ndr)
#   --blocked-duration S  length of each blocked-time run (default 6)
#   --blocked-sizes LIST  the sizes of --sizes to measure blocked time at (default: all of
#                         them; one is enough for most comparisons: CSIT uses 64 B)
#   --matrix              also the rules x flows matrix (--reps 0: only the matrix)
#   --matrix-rules LIST   (default "1 10 100 1000")
#   --matrix-flows LIST   (default "1 100 10000 100000")
#   --matrix-reps N       (default 1)
#   --publish NAME        copy the results to bench/results/NAME (a published run)
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
PDR=0.005 LOAD_BASE=ndr TRIAL=1 MAX_TRIALS=10 MIN_SENT=0.99 LOAD_PCTS="10 50 90" BLOCKED=no BLOCKED_DUR=6 BLOCKED_SIZES="" MATRIX=no
MATRIX_RULES="1 10 100 1000" MATRIX_FLOWS="1 100 10000 100000" MATRIX_REPS=1 PUBLISH="" PACKED=no VRING_STATS=no
# the command as typed, quoted so that it can be run again from machine.json (--sizes 64\ imix)
CMDLINE="scripts/bench.sh$([ $# -eq 0 ] || printf ' %q' "$@")"
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
	--pdr) PDR=$2 ;; --load-base) LOAD_BASE=$2 ;; --trial) TRIAL=$2 ;; --max-trials) MAX_TRIALS=$2 ;; --min-sent) MIN_SENT=$2 ;;
	--load-pcts) LOAD_PCTS=${2//,/ } ;; --blocked-duration) BLOCKED_DUR=$2 ;;
	--blocked-sizes) BLOCKED_SIZES=${2//,/ } ;;
	--matrix-rules) MATRIX_RULES=${2//,/ } ;; --matrix-flows) MATRIX_FLOWS=${2//,/ } ;;
	--matrix-reps) MATRIX_REPS=$2 ;; --publish) PUBLISH=$2 ;;
	--blocked) BLOCKED=yes; shift; continue ;;
	--matrix) MATRIX=yes; shift; continue ;;
	--packed) PACKED=yes; shift; continue ;;
	--vring-stats) VRING_STATS=yes; shift; continue ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	[ $# -ge 2 ] || { echo "bench.sh: $1 needs a value" >&2; exit 2; }
	shift 2
done
case $TOPO in v2v | pvp | pvvp | phy) ;; *) bl_die "--topology $TOPO: expected v2v, pvp, pvvp or phy" ;; esac
[ "$TOPO" != phy ] || [ "$VNF" = testpmd ] || bl_die "--topology phy has no VNF (--vnf is for pvp and pvvp)"
# DPDK 22.11's net_af_packet reports a 1518 B max frame whatever its rings hold: testpmd
# (--max-pkt-len) and OVS (mtu_request) are refused MTU 9000 on it, so no jumbo size is fair
# here (qwikvirt sizes its af_packet rings itself: tests/integration/phy_veth.sh)
if [ "$TOPO" = phy ]; then
	for v in $SIZES; do
		[ "$v" = imix ] || [ "$v" -le 1518 ] || bl_die "--topology phy: size $v over 1518 B (net_af_packet's max frame for testpmd and OVS)"
	done
fi
case $METHOD in loop | gen | ndr) ;; *) bl_die "--method $METHOD: expected loop, gen or ndr" ;; esac
[ "$BLOCKED" = no ] || [ "$METHOD" = ndr ] || bl_die "--blocked needs --method ndr (the load is 90 % of NDR)"
[ -z "$BLOCKED_SIZES" ] || [ "$BLOCKED" = yes ] || bl_die "--blocked-sizes needs --blocked"
for v in $BLOCKED_SIZES; do
	[[ " $SIZES " == *" $v "* ]] || bl_die "--blocked-sizes: $v is not one of --sizes ($SIZES)"
done
BLOCKED_SIZES=${BLOCKED_SIZES:-$SIZES}
case $LOAD_BASE in ndr | pdr) ;; *) bl_die "--load-base $LOAD_BASE: expected ndr or pdr" ;; esac
[[ $PDR =~ ^0?\.[0-9]+$ ]] || bl_die "--pdr $PDR: expected a loss ratio such as 0.005"
[[ $TRIAL =~ ^[0-9]+(\.[0-9]+)?$ ]] || bl_die "--trial $TRIAL: expected seconds"
[[ $BLOCKED_DUR =~ ^[0-9]+$ ]] && [ "$BLOCKED_DUR" -ge 3 ] || bl_die "--blocked-duration $BLOCKED_DUR: expected whole seconds >= 3"
[[ $PUBLISH =~ ^[A-Za-z0-9._-]*$ ]] || bl_die "--publish $PUBLISH: expected a name of letters, digits, . _ -"
for v in $LOAD_PCTS; do [[ $v =~ ^[0-9]+$ ]] && [ "$v" -ge 1 ] && [ "$v" -le 100 ] || bl_die "--load-pcts: '$v' is not a percentage 1..100"; done
for v in $MATRIX_RULES $MATRIX_FLOWS $MATRIX_REPS $MAX_TRIALS; do [[ $v =~ ^[1-9][0-9]*$ ]] || bl_die "matrix/trial counts: '$v' is not a count"; done
case $VNF in testpmd) ;; vm) METHOD=gen ;; *) bl_die "--vnf $VNF: expected testpmd or vm" ;; esac
for s in $SWITCHES; do
	case $s in qwikvirt | qvrules | qvcapture | qvgroup | qvpolice | testpmd | ovs) ;; *) bl_die "--switches: unknown '$s'" ;; esac
done
[[ $REPS =~ ^[0-9]+$ ]] || bl_die "--reps $REPS: expected a count"
[ "$REPS" -gt 0 ] || [ "$MATRIX" = yes ] || bl_die "--reps 0 measures nothing without --matrix"
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
v2v | phy) SWPORTS="a b" PAIRS="a:b" ;;
pvp) SWPORTS="a v1 v2 b" PAIRS="a:v1 v2:b" ;;
pvvp) SWPORTS="a v1 v2 w1 w2 b" PAIRS="a:v1 v2:w1 w2:b" ;;
esac
# phy: veth pairs IF_<port> (the switch's end) <-> GIF_<port> (the generator's), removed at exit
[ "$TOPO" != phy ] || bl_veths "qvb$$" $SWPORTS
# Per run: the rules a switch gets and the flows the generator sends (qvrules: the heavy ones).
RUN_RULES=$RULES RUN_FLOWS=$FLOWS

. "$HERE/bench/switches.sh"

. "$HERE/bench/phases.sh"

# one_run REP SIZE SWITCH: a fresh switch, its phases, one JSON line in results.jsonl
one_run() {
	local rep=$1 size=$2 sw=$3 cyc=null rss=null
	RUNLOG=$OUT/logs/r${rep}_${size}_$sw
	RUN_RULES=$RULES RUN_FLOWS=$FLOWS RUN_MTU=""
	[ "$sw" = qvrules ] && RUN_RULES=$HEAVY_RULES RUN_FLOWS=$HEAVY_FLOWS
	# frames over 1518 B (FCS included): every switch's ports at MTU 9000
	[[ $size =~ ^[0-9]+$ ]] && [ "$size" -gt 1518 ] && RUN_MTU=9000
	sw_start_$sw
	vnf_start
	sw_clear_$sw
	PH_NDR=null PH_NDR_PPS=0 PH_MPPS=null PH_GEN=null
	if [ "$METHOD" = ndr ]; then
		phase_ndr "$size"
		PH_MPPS=$(awk -v r="$PH_NDR_PPS" 'BEGIN {printf "%.4f", r / 1e6}')
	else
		phase_throughput "$size"
	fi
	[ "$sw" != testpmd ] && cyc=$(sw_cycles_$sw)
	rss=$(sw_rss_$sw)
	phase_latency "$size"
	phase_blocked "$size" "$sw"
	vnf_stop
	sw_stop_$sw
	[ "$sw" = testpmd ] && cyc=${TP_CYC:-null}
	jq -nc --arg t "$(date +%T)" --argjson rep "$rep" --arg size "$size" --arg sw "$sw" \
		--argjson mpps "${PH_MPPS:-null}" --argjson cyc "${cyc:-null}" --argjson rss "${rss:-null}" \
		--argjson lat "$PH_LAT" --argjson ndr "$PH_NDR" --argjson load "$PH_LAT_LOAD" \
		--argjson blk "$PH_BLOCKED" --argjson gen "$PH_GEN" '{time: $t, rep: $rep, size: $size,
			switch: $sw, mpps: $mpps, cycles_per_pkt: $cyc, generator: $gen, rss_kb: $rss,
			latency: $lat, search: $ndr,
			latency_at_load: $load, blocked: $blk}' >>"$OUT/results.jsonl"
	bl_log "rep $rep, $size, $sw: $(tail -n 1 "$OUT/results.jsonl" | jq -r '"\(.mpps // "-") Mpps, \(.cycles_per_pkt // "-") cycles/packet"')"
}

# ---- the rules x flows matrix: max-rate Mpps at 64 B for qwikvirt and OVS with the same rules -
run_matrix() {
	local r f sw
	for ((rep = 1; rep <= MATRIX_REPS; rep++)); do
		for r in $MATRIX_RULES; do
			for f in $MATRIX_FLOWS; do
				for sw in qwikvirt ovs; do
					[[ " $SWITCHES " == *" $sw "* ]] || continue
					RUNLOG=$OUT/logs/m${rep}_${r}x${f}_$sw
					# 1 rule = just the forwarding rules (one per direction)
					RUN_RULES=$((r < 2 ? 2 : r)) RUN_FLOWS=$f RUN_MTU=
					sw_start_$sw
					sw_clear_$sw
					local save=$METHOD
					METHOD=gen
					phase_throughput 64
					METHOD=$save
					jq -nc --argjson rep "$rep" --argjson rules "$r" --argjson flows "$f" \
						--arg sw "$sw" --argjson mpps "${PH_MPPS:-null}" \
						--argjson cyc "$(sw_cycles_$sw)" '{rep: $rep, rules: $rules,
						flows: $flows, switch: $sw, mpps: $mpps, cycles_per_pkt: $cyc}' \
						>>"$OUT/matrix.jsonl"
					sw_stop_$sw
					bl_log "matrix $r rules x $f flows, $sw: ${PH_MPPS:-?} Mpps"
				done
			done
		done
	done
}

# ---- the machine and the command, kept with the figures -------------------------------------
write_meta() {
	jq -n --arg cmd "$CMDLINE" --arg date "$(date -u +%FT%TZ)" \
		--arg cpu "$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)" \
		--arg ncpu "$(nproc)" --arg kernel "$(uname -r)" \
		--arg dpdk "$(pkg-config --modversion libdpdk 2>/dev/null || echo unknown)" \
		--arg ovs "$("$OVS_VSWITCHD" --version 2>/dev/null | head -n 1 || echo unknown)" \
		--arg qv "$(git -C "$SRC" describe --always --dirty 2>/dev/null || echo unknown)" \
		--arg load0 "$LOAD_START" --arg load1 "$(cut -d' ' -f1-3 /proc/loadavg)" \
		'{command: $cmd, date: $date, cpu: $cpu, cpus: $ncpu, kernel: $kernel, dpdk: $dpdk,
		  ovs: $ovs, qwikvirt: $qv, load_average_start: $load0, load_average_end: $load1}' \
		>"$OUT/machine.json"
}

mkdir -p "$OUT/logs"
: >"$OUT/results.jsonl"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
bl_log "topology $TOPO, switches: $SWITCHES, sizes: $SIZES, $REPS reps, ${DUR}s, method $METHOD, results in $OUT, work dir $BW"
if [ "$REPS" -gt 0 ]; then
	for ((rep = 1; rep <= REPS; rep++)); do
		for size in $SIZES; do
			for sw in $SWITCHES; do one_run "$rep" "$size" "$sw"; done
		done
	done
fi
[ "$MATRIX" = no ] || run_matrix
write_meta

python3 "$HERE/bench/summary.py" --results "$OUT/results.jsonl" --matrix "$OUT/matrix.jsonl" \
	--machine "$OUT/machine.json" --json "$JSON" --plot-dir "$OUT" \
	--meta "topology=$TOPO" "method=$METHOD" "reps=$REPS" "duration_s=$DUR" "rules=$RULES" \
	"flows=$FLOWS" "vnf=$VNF" "packed=$PACKED" "vring_stats=$VRING_STATS" "heavy_rules=$HEAVY_RULES" "heavy_flows=$HEAVY_FLOWS" \
	"lat_rate=$LATRATE" "pdr=$PDR" "trial_s=$TRIAL" "load_base=$LOAD_BASE" "min_sent=$MIN_SENT" \
	"blocked_sizes=$([ "$BLOCKED" = no ] || echo "${BLOCKED_SIZES// /,}")" | tee "$OUT/summary.txt"
gnuplot -e "dir='$OUT'; outfile='$PLOT'; topo='$TOPO'; pcts='$LOAD_PCTS %'; base='${LOAD_BASE^^}'" "$HERE/bench/plot.gp" 2>"$OUT/gnuplot.log" &&
	echo "plot: $PLOT" || bl_log "gnuplot failed: $OUT/gnuplot.log"
if [ -n "$PUBLISH" ]; then
	pub=${QV_BENCH_RESULTS:-$SRC/bench/results}/$PUBLISH
	mkdir -p "$pub"
	cp "$OUT/summary.txt" "$JSON" "$OUT/results.jsonl" "$OUT/machine.json" "$pub/"
	[ ! -s "$OUT/matrix.jsonl" ] || cp "$OUT/matrix.jsonl" "$pub/"
	[ ! -f "$PLOT" ] || cp "$PLOT" "$pub/"
	echo "published: $pub"
fi
echo "results: $OUT (summary.txt, results.jsonl, machine.json, logs/); json: $JSON"
