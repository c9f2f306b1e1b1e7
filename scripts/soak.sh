#!/bin/bash
# soak.sh - N minutes of full-rate traffic through a chain while its rules are replaced and its
# VNF's port flaps, watching for leaks (a measurement: it prints figures, not pass/fail).
#
#   scripts/soak.sh [--minutes N] [--rate PPS] [--churn S] [--sample S] [--out DIR] [--build DIR]
#
# qv-peer -> up -> v-in -> VNF stand-in (testpmd io, vhost-user server; the switch its client)
# -> v-out -> lan -> qv-peer. Every --churn seconds the rule up -> v-in is replaced (a new rule
# with another match that also carries the traffic is added, the old one deleted) and the VNF's
# port v-in flaps (qvctl port set v-in --down, then --up). Every --sample seconds: the switch's
# RSS, the mbufs in use in its packet-buffer pools (qvctl show pmd's pools) and every counter
# (qvctl --json stats), into samples.tsv.
# At the end it prints whether RSS and mbufs in use stayed flat, whether the counters only went
# up, and whether every packet is accounted for: sent = received + drops the switch counted (by
# reason) + drops the VNF counted (testpmd TX-dropped). "every packet accounted: NO" is printed
# loudly and the exit status is then 3; otherwise 0, unless the script itself fails (cannot
# build, start or reach something: 1). Timing never fails it.
# One PMD on CPU 1, everything else on CPU 0; every process is stopped by PID on exit. Needs root;
# builds qwikvirt (scripts/build.sh) when build/ is missing and allocates hugepages
# (scripts/setup-host.sh) when short. --minutes 1 takes about 80 s in all (CI).
#
# Options:
#   --minutes N   traffic time (default 10)
#   --rate PPS    packets/s offered (default 0 = as fast as the peer sends)
#   --churn S     seconds between rule replacements + port flaps (default 3)
#   --sample S    seconds between samples (default 5)
#   --out DIR     logs, samples.tsv, summary.txt (default /tmp/qv-soak/DATE)
#   --build DIR   qwikvirt build dir (default build/)
#   -h, --help    this text
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
. "$HERE/bench/lib.sh"

MINUTES=10 RATE=0 CHURN=3 SAMPLE=5 OUT="" BUILD=$SRC/build
GEN_CPU=0 PMD_CPU=1
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	--minutes) MINUTES=$2 ;; --rate) RATE=$2 ;; --churn) CHURN=$2 ;; --sample) SAMPLE=$2 ;;
	--out) OUT=$2 ;; --build) BUILD=$2 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "soak.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift 2
done
for v in MINUTES RATE CHURN SAMPLE; do
	[[ ${!v} =~ ^[0-9]+$ ]] || bl_die "--${v,,} ${!v}: expected a whole number"
done
[ "$MINUTES" -gt 0 ] && [ "$CHURN" -gt 0 ] && [ "$SAMPLE" -gt 0 ] || bl_die "--minutes, --churn and --sample must be > 0"
[ "$(id -u)" = 0 ] || bl_die "run as root (hugepages, vhost-user sockets)"

OUT=${OUT:-/tmp/qv-soak/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
BW=$(mktemp -d /tmp/qvsoak.XXXXXX)
bl_init
BL_RM+=("$BW")
bl_need_qwikvirt "$SRC" "$BUILD"
bl_need_hugepages "$SRC" 300
SWITCHD=$BUILD/dataplane/qv-switchd QVCTL_BIN=$BUILD/control/qvctl/qvctl PEER=$BUILD/tests/tools/qv-peer
QV="$QVCTL_BIN --switch $BW/sw.sock"
PREFIX="qvsk$$"
DUR=$((MINUTES * 60))
bl_log "$MINUTES min at ${RATE/#0/full} rate, churn every ${CHURN}s, samples every ${SAMPLE}s, results in $OUT"

# ---- the switch, the chain, the VNF stand-in, the traffic --------------------------------------
taskset -c "$GEN_CPU" "$SWITCHD" --socket "$BW/sw.sock" --pmd-cores "$PMD_CPU" \
	--main-core "$GEN_CPU" --file-prefix "$PREFIX" --mbufs 16384 >"$OUT/switch.log" 2>&1 &
SW_PID=$!
BL_PIDS+=("$SW_PID")
bl_wait "qv-switchd ready" 60 grep -q 'qv-switchd: ready' "$OUT/switch.log"
$QV port add up vhost "$BW/up.sock" >/dev/null
$QV port add lan vhost "$BW/lan.sock" >/dev/null
$QV port add v-in vhost "$BW/v-in.sock" --client >/dev/null
$QV port add v-out vhost "$BW/v-out.sock" --client >/dev/null
$QV flow add 'in=v-out actions=output:lan' >/dev/null
RULES=("in=up,proto=udp actions=output:v-in" "in=up,proto=udp,dst-port=80 actions=output:v-in")
rule_add() { $QV flow add "$1" | awk '/^flow [0-9]+ added/ {print $2}'; } # -> its id
rule=$(rule_add "${RULES[0]}")
# not niced here: a VNF starved by other busy processes on CPU 0 would still hold packets in its
# rings when the run ends, and they would look lost
BL_VNF_NICE=0 bl_vnf_standin vnf "$BW/v-in.sock" "$BW/v-out.sock" "$OUT/vnf.log"
VNF_PID=$TP_PID
port_up() { [ "$($QV --json show ports | jq -r --arg n "$1" '.ports[] | select(.name == $n) | .state')" = up ]; }
vnf_up() { port_up v-in && port_up v-out; }
bl_wait "the VNF's ports up" 60 vnf_up
# and forwarding: what the switch sends it before is not in its counters
bl_wait "the VNF forwarding" 60 grep -q 'Press enter to exit' "$OUT/vnf.log"

taskset -c "$GEN_CPU" "$PEER" --lcores "0@$GEN_CPU" --no-pci --in-memory \
	--single-file-segments -m 256 --file-prefix "${PREFIX}p" --log-level=user1,8 \
	--vdev "net_virtio_user0,path=$BW/up.sock,queues=1,queue_size=1024" \
	--vdev "net_virtio_user1,path=$BW/lan.sock,queues=1,queue_size=1024" -- \
	--gen 0:64:64 --duration "$DUR" --rate "$RATE" --rx 1 --stats "$SAMPLE" --linger 1000 \
	--json "$OUT/peer.json" >"$OUT/peer.log" 2>&1 &
PEER_PID=$!
BL_PIDS+=("$PEER_PID")
bl_wait "traffic through the chain" 60 grep -q 'rx-pps [1-9]' "$OUT/peer.log"

# ---- samples and churn while the peer runs -----------------------------------------------------
# mbufs in use, summed over the switch's packet-buffer pools (shared and ports' own) as
# qvctl show pmd gives them (rte_mempool_in_use_count: handed out, not in the pool or a
# per-lcore cache). DPDK 22.11's telemetry /mempool/info has no free count.
mbufs_in_use() {
	$QV --json show pmd | jq '[.pools[]?.in_use] | add // empty' 2>/dev/null || true
}
POOLS=$($QV --json show pmd | jq -r '[.pools[]? | "\(.name) (\(.size))"] | join(", ")')
[ -n "$POOLS" ] || bl_die "qvctl show pmd lists no packet-buffer pool"
bl_log "packet-buffer pools of the switch: $POOLS (mbufs in use: $(mbufs_in_use))"
sample() { # time rss_kB mbufs_in_use counters-json
	local st
	st=$($QV --json stats | jq -c '{drops: .drops, ports: [.ports[]? | {name, rx_packets, tx_packets}]}' 2>/dev/null || echo null)
	printf '%s\t%s\t%s\t%s\n' "$(date +%s.%N)" "$(awk '/^VmRSS/ {print $2}' "/proc/$SW_PID/status")" \
		"$(mbufs_in_use)" "$st" >>"$OUT/samples.tsv"
}
printf 'time\trss_kb\tmbufs_in_use\tcounters\n' >"$OUT/samples.tsv"
cur=0 churns=0 next_churn=$(($(date +%s) + CHURN)) next_sample=0
while bl_alive "$PEER_PID"; do
	now=$(date +%s)
	if [ "$now" -ge "$next_sample" ]; then
		sample
		next_sample=$((now + SAMPLE))
	fi
	if [ "$now" -ge "$next_churn" ]; then
		# the replacement first, then the old rule: no packet may fall between them
		cur=$((1 - cur))
		new=$(rule_add "${RULES[$cur]}")
		[ -n "$new" ] || bl_die "adding rule '${RULES[$cur]}' failed"
		$QV flow del "$rule" >/dev/null
		rule=$new
		$QV port set v-in --down >/dev/null
		sleep 0.3
		$QV port set v-in --up >/dev/null
		churns=$((churns + 1))
		next_churn=$((now + CHURN))
	fi
	sleep 0.2
done
wait "$PEER_PID" || bl_log "qv-peer exited with status $? (see $OUT/peer.log)"
bl_forget "$PEER_PID"
# the chain drained: the switch holds no packet any more (its pools' mbufs in use back to 0,
# within 10 s: a packet counted on its rx port but neither sent nor dropped yet; two 10-minute
# runs before the pending-output list in pmd.c ended with 21 and 7 such packets held for good,
# lost from a tx buffer no flush knew of), and what it sent into the VNF has come back out of
# it (or stays put for 3 s: then the VNF holds or lost it, and the accounting shows it)
for ((i = 0; i < 100; i++)); do
	[ "$(mbufs_in_use)" = 0 ] && break
	sleep 0.1
done
[ "$(mbufs_in_use)" = 0 ] || bl_log "the switch still holds $(mbufs_in_use) mbufs 10 s after the traffic stopped"
last=-1
for ((i = 0; i < 30; i++)); do
	now_rx=$($QV --json stats | jq '[.ports[] | select(.name == "v-out") | .rx_packets][0]')
	[ "$now_rx" = "$last" ] && [ "$(mbufs_in_use)" = 0 ] && break
	last=$now_rx
	sleep 0.1
done
sample
bl_stop_pid "$VNF_PID" 20 # prints its forwarding statistics
bl_forget "$VNF_PID"

# ---- the report --------------------------------------------------------------------------------
$QV --json stats >"$OUT/final-stats.json"
sent=$(jq '.ports[0].tx' "$OUT/peer.json")
received=$(jq '.ports[1].rx' "$OUT/peer.json")
sw_drops=$($QV --json stats | jq '[.drops[]] | add')
sw_by_reason=$($QV --json stats | jq -r '.drops | to_entries | map(select(.value > 0) | "\(.key) \(.value)") | join(", ")')
# testpmd's accumulated block: "TX-packets: N  TX-dropped: M  TX-total: T"
vnf_drops=$(awk '/Accumulated forward statistics/ {a = 1} a && /TX-dropped/ {print $4; exit}' "$OUT/vnf.log")
vnf_rx_drops=$(awk '/Accumulated forward statistics/ {a = 1} a && /RX-dropped/ {print $4; exit}' "$OUT/vnf.log")
vnf_rx=$(awk '/Accumulated forward statistics/ {a = 1} a && /RX-packets/ {print $2; exit}' "$OUT/vnf.log")
vnf_tx=$(awk '/Accumulated forward statistics/ {a = 1} a && /TX-packets/ {print $2; exit}' "$OUT/vnf.log")
sw() { jq --arg n "$1" ".ports[] | select(.name == \$n) | .$2" "$OUT/final-stats.json"; }
sw_port_drops() { jq --arg n "$1" '[.ports[] | select(.name == $n) | .drops // {} | .[]] | add // 0' "$OUT/final-stats.json"; }
[ -n "$vnf_drops" ] || bl_die "no forwarding statistics from the VNF stand-in in $OUT/vnf.log"
python3 - "$OUT/samples.tsv" "$SAMPLE" >"$OUT/flat.txt" <<'PY'
import json, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]).readlines()[1:]]
rows = [(float(t), int(r), int(m) if m.isdigit() else None, json.loads(c)) for t, r, m, c in rows]
# the first samples are warm-up (pools and caches filling): flat is judged on the rest
body = rows[2:] if len(rows) > 4 else rows
third = max(1, len(body) // 3)
def verdict(name, vals, slack, unit):
    first, last = vals[:third], vals[-third:]
    flat = max(last) <= max(first) + slack
    print("%s flat: %s (first %d %s, last %d %s, min %d, max %d over %d samples; slack %d)" % (
        name, "yes" if flat else "NO", vals[0], unit, vals[-1], unit, min(vals), max(vals),
        len(vals), slack))
verdict("RSS", [r for _, r, _, _ in body], 2048, "kB")
if all(m is not None for _, _, m, _ in body):
    verdict("mbufs in use", [m for _, _, m, _ in body], 1024, "mbufs")
else:
    print("mbufs in use: n/a (some samples had no figure from qvctl show pmd)")
def flat_counters(c):
    out = {}
    for k, v in (c or {}).get("drops", {}).items():
        out["drop " + k] = v
    for p in (c or {}).get("ports", []):
        out[p["name"] + " rx"] = p["rx_packets"]
        out[p["name"] + " tx"] = p["tx_packets"]
    return out
seq = [flat_counters(c) for _, _, _, c in rows]
back = [k for a, b in zip(seq, seq[1:]) for k in a if k in b and b[k] < a[k]]
print("counters only went up: %s%s" % ("yes" if not back else "NO",
      "" if not back else " (went back: %s)" % ", ".join(sorted(set(back)))))
fwd = [(b.get("lan tx", 0) - a.get("lan tx", 0)) / (tb - ta)
       for (ta, _, _, _), (tb, _, _, _), a, b in zip(rows, rows[1:], seq, seq[1:]) if tb > ta]
if fwd:
    fwd.sort()
    print("forwarded to lan per sample: min %.0f, median %.0f, max %.0f pps" % (
        fwd[0], fwd[len(fwd) // 2], fwd[-1]))
PY
accounted=$((received + sw_drops + vnf_drops + vnf_rx_drops))
{
	echo "== soak.sh: $MINUTES min, ${RATE/#0/full} rate, $churns rule replacements + port flaps =="
	cat "$OUT/flat.txt"
	echo "sent $sent, received $received, switch drops $sw_drops ($sw_by_reason), VNF drops $((vnf_drops + vnf_rx_drops))"
	echo "hop by hop: peer tx $sent -> up rx $(sw up rx_packets) (drops there $(sw_port_drops up)) -> v-in tx" \
		"$(sw v-in tx_packets) -> VNF rx ${vnf_rx:-?} tx ${vnf_tx:-?} -> v-out rx $(sw v-out rx_packets)" \
		"(drops there $(sw_port_drops v-out)) -> lan tx $(sw lan tx_packets) -> peer rx $received"
	if [ "$sent" = "$accounted" ]; then
		echo "every packet accounted: yes (sent $sent = received + counted drops $accounted)"
	else
		echo "!!! every packet accounted: NO: sent $sent, received + counted drops $accounted," \
			"$((sent - accounted)) packet(s) unaccounted !!!"
	fi
} | tee "$OUT/summary.txt"
[ "$sent" = "$accounted" ] || exit 3
