#!/bin/bash
# rule-scale.sh - how qwikvirt's flow table scales (issue 16): the time to apply 1,000 / 10,000
# / 100,000 rules in one transaction (qvctl flow replace-file), the latency of one more rule at
# each size (request to reply through one JSON-RPC connection, the switch's own work apart from
# the grace period it waits for, and a whole `qvctl flow add` process), the time until a
# packet of a flow matches a rule just added, and the forwarding rate with 100,000 rules and
# 100,000 flows next to the 1-rule, 1-flow figure. With --ovs, OVS-DPDK (Debian's
# openvswitch-switch-dpdk, started privately as scripts/bench.sh does) applies the same rule
# sets with ovs-ofctl in the same run. Figures, not assertions: it never fails on a number.
#
# usage: scripts/rule-scale.sh [--sizes "1000 10000 100000"] [--ovs] [--duration S]
#                              [--out DIR] [--no-traffic]
# Needs root (hugepages), a build in build/ (or QV_BUILD), CPU 1 for the PMD and CPU 0 for the
# rest (PMD_CPU, GEN_CPU to change). Writes DIR/results.txt (default /tmp/qv-rule-scale/DATE).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/bench/lib.sh"

SIZES="1000 10000 100000" OVS=0 DUR=5 TRAFFIC=1
OUT=/tmp/qv-rule-scale/$(date +%Y%m%d-%H%M%S)
while [ $# -gt 0 ]; do
	case $1 in
	--sizes) SIZES=$2; shift 2 ;;
	--ovs) OVS=1; shift ;;
	--duration) DUR=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--no-traffic) TRAFFIC=0; shift ;;
	-h | --help) sed -n '2,14p' "$0"; exit 0 ;;
	*) bl_die "unknown option $1 (see --help)" ;;
	esac
done
BUILD=${QV_BUILD:-$HERE/../build}
SWITCHD=$BUILD/dataplane/qv-switchd QVCTL_BIN=$BUILD/control/qvctl/qvctl QVB=$BUILD/bench/qv-bench
PMD_CPU=${PMD_CPU:-1} GEN_CPU=${GEN_CPU:-0}
[ -x "$SWITCHD" ] && [ -x "$QVB" ] || bl_die "build first: meson setup build && ninja -C build"
[ "$(id -u)" = 0 ] || bl_die "run as root (hugepages, vhost-user sockets)"
bl_init
BW=$(mktemp -d /tmp/qvrs.XXXXXX)
BL_RM+=("$BW")
mkdir -p "$OUT"
RES=$OUT/results.txt
: >"$RES"
say() { echo "$*" | tee -a "$RES"; }

# rules_file N FILE: N host routes to b, one per qv-bench flow (dst 10.128.0.1 + i)
rules_file() {
	python3 - "$1" >"$2" <<'EOF'
import sys
for i in range(int(sys.argv[1])):
    a = 0x0a800001 + i
    print("in=a,proto=udp,ip-dst=%d.%d.%d.%d actions=output:b" % (a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255))
EOF
}

# The one-more-rule probe: K rules added one at a time over one connection (flow.apply of one
# rule each, 20 ms apart); prints "p50 max" of the reply time, of the switch's own work
# (apply_ms - grace_ms) and of the grace period, in ms; each added rule is deleted again.
cat >"$BW/one_more.py" <<'EOF'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(sys.argv[1]); f = s.makefile("rwb")
def call(m, p):
    f.write(json.dumps({"jsonrpc": "2.0", "id": 1, "method": m, "params": p}).encode() + b"\n"); f.flush()
    r = json.loads(f.readline())
    if "error" in r: sys.exit("%s: %s" % (m, r["error"]["message"]))
    return r["result"]
rt, work, grace = [], [], []
for k in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    r = call("flow.apply", {"add": ["in=a,proto=tcp,ip-dst=11.0.%d.%d actions=output:b" % (k // 250, k % 250 + 1)]})
    rt.append((time.perf_counter() - t0) * 1e3); work.append(r["apply_ms"] - r["grace_ms"]); grace.append(r["grace_ms"])
    call("flow.del", {"id": r["first_id"]})
    time.sleep(0.02)
q = lambda v: "%.3f %.3f" % (sorted(v)[len(v) // 2], max(v))
print(q(rt), q(work), q(grace))
EOF

# First packet: traffic of one flow that no rule matches (10.128.0.1: the table lacks its rule,
# so it is dropped as no-match) runs; its rule is added; the time from the request to the
# first packet counted at b (polled every 1 ms).
cat >"$BW/first_packet.py" <<'EOF'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(sys.argv[1]); f = s.makefile("rwb")
def call(m, p=None):
    f.write(json.dumps({"jsonrpc": "2.0", "id": 1, "method": m, "params": p or {}}).encode() + b"\n"); f.flush()
    r = json.loads(f.readline())
    if "error" in r: sys.exit("%s: %s" % (m, r["error"]["message"]))
    return r["result"]
def btx(): return [p["tx_packets"] for p in call("port.list")["ports"] if p["name"] == "b"][0]
out = []
for k in range(5):
    time.sleep(0.3)
    base = btx(); t0 = time.perf_counter()
    r = call("flow.apply", {"add": ["in=a,proto=udp,ip-dst=10.128.0.1 actions=output:b"]})
    while btx() == base and time.perf_counter() - t0 < 5: time.sleep(0.001)
    out.append((time.perf_counter() - t0) * 1e3)
    call("flow.del", {"id": r["first_id"]})
print("%.2f %.2f" % (sorted(out)[2], max(out)))
EOF

qv_start() {
	taskset -c "$GEN_CPU" "$SWITCHD" --socket "$BW/sw.sock" --pmd-cores "$PMD_CPU" \
		--main-core "$GEN_CPU" --file-prefix "qvrs$$" >"$OUT/switch.log" 2>&1 &
	SW_PID=$!
	BL_PIDS+=("$SW_PID")
	bl_wait "qv-switchd ready" 60 grep -q 'qv-switchd: ready' "$OUT/switch.log"
	QV="$QVCTL_BIN --switch $BW/sw.sock --timeout 600000"
	$QV port add a vhost "$BW/a.sock" >/dev/null && $QV port add b vhost "$BW/b.sock" >/dev/null
}

# qvbench NAME FLOWS [OPTIONS]: qv-bench gen a -> b, JSON in $OUT/NAME.json; prints Mpps
qvbench() {
	local name=$1 flows=$2
	shift 2
	timeout $((120 + DUR * 4)) taskset -c "$GEN_CPU" "$QVB" --lcores "0@$GEN_CPU" --no-pci \
		--in-memory --single-file-segments --file-prefix "qvrsgen$$" --log-level=user1,8 -- \
		--port "virtio:$BW/a.sock" --port "virtio:$BW/b.sock" --tx 0 --rx 1 --flows "$flows" \
		--duration "$DUR" --warmup 2 --latency 0 --quiet --json "$OUT/$name.json" "$@" \
		>"$OUT/$name.log" 2>&1 &
	local pid=$! rc=0
	BL_PIDS+=("$pid")
	wait "$pid" || rc=$?
	bl_forget "$pid"
	[ $rc -eq 0 ] && jq -r '.runs[0].rx_pps / 1e6 | . * 1000 | round / 1000' "$OUT/$name.json" || echo NaN
}

# wait_acl: until the background build has replaced a tuple space part by rte_acl and folded
# the delta in; leaves flow.summary in $sum
wait_acl() {
	local t0=$SECONDS
	until sum=$($QV call flow.summary) && [ "$(echo "$sum" | jq -r .acl.kind)" = rte_acl ] &&
		[ "$(echo "$sum" | jq .delta.added)" = 0 ]; do
		sleep 0.05
		[ $((SECONDS - t0)) -lt 600 ] || bl_die "no rte_acl part after 600 s"
	done
}

lookups() { $QV --json show pmd | jq -r '.pmds[0].lookups | "same-key \(.same_key), emc \(.emc_hit), classifier \(.classifier)"'; }

qv_start
say "qwikvirt rule scale, $(date -u +%FT%TZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
say ""
say "size     apply(s)  in force as  rte_acl after(s)  rte_acl build(s)  rte_acl MiB  one more: reply p50/max ms  work p50/max ms  grace p50/max ms  qvctl flow add ms"
for n in $SIZES; do
	rules_file "$n" "$BW/r$n.txt"
	t0=$(date +%s.%N)
	$QV flow replace-file "$BW/r$n.txt" >/dev/null || bl_die "replace-file of $n rules failed"
	t1=$(date +%s.%N)
	kind=$($QV call flow.summary | jq -r '.acl.kind | split(" ")[0]')
	wait_acl
	t2=$(date +%s.%N)
	read -r r50 rmax w50 wmax g50 gmax < <(python3 "$BW/one_more.py" "$BW/sw.sock" 20)
	c0=$(date +%s.%N)
	id=$($QV --json flow add 'in=a,proto=tcp,ip-dst=11.1.0.1 actions=output:b' | jq .id)
	c1=$(date +%s.%N)
	$QV flow del "$id" >/dev/null
	printf -v line "%-8s %-9.3f %-12s %-17.3f %-17.3f %-12.1f %-27s %-16s %-17s %.2f" "$n" \
		"$(echo "$t1 - $t0" | bc)" "$kind" "$(echo "$t2 - $t1" | bc)" \
		"$(echo "$sum" | jq .acl.build_s)" \
		"$(echo "$sum" | jq '.acl.bytes / 1048576')" "$r50 / $rmax" "$w50 / $wmax" \
		"$g50 / $gmax" "$(echo "($c1 - $c0) * 1000" | bc)"
	say "$line"
done
say ""
say "apply: the whole qvctl flow replace-file (staged over 64 KiB requests, checked, built, published:"
say "the rules are in force when it returns). in force as: the part that took them at once (a"
say "tuple space part over 1,024 changes); rte_acl after: until the background build's rte_acl part"
say "was folded in (its own build time, under the control thread's load, next). one more: flow.apply"
say "of one rule at that size once rte_acl holds the table (a delta beside it); work = the switch's"
say "own time, grace = waiting for the PMD's quiescent point (the PMD CPU's scheduling)."

if [ "$TRAFFIC" = 1 ]; then
	say ""
	big=${SIZES##* }
	tail -n +2 "$BW/r$big.txt" >"$BW/r$big-first.txt"
	$QV flow replace-file "$BW/r$big-first.txt" >/dev/null
	wait_acl
	# first packet after a rule is added: one unmatched flow (10.128.0.1) at 100 kpps
	timeout 60 taskset -c "$GEN_CPU" "$QVB" --lcores "0@$GEN_CPU" --no-pci --in-memory \
		--single-file-segments --file-prefix "qvrsfp$$" --log-level=user1,8 -- \
		--port "virtio:$BW/a.sock" --port "virtio:$BW/b.sock" --tx 0 --flows 1 \
		--mode txonly --rate 100000 --duration 30 --warmup 0 --latency 0 --quiet \
		>"$OUT/first.log" 2>&1 &
	FP=$!
	BL_PIDS+=("$FP")
	sleep 3 # the generator's ports come up (a figure, not a test: a fixed wait is fine here)
	say "first packet matching a new rule at $big rules (request to counted at b, p50/max of 5): $(python3 "$BW/first_packet.py" "$BW/sw.sock") ms"
	bl_stop_pid "$FP"
	bl_forget "$FP"
	say ""
	say "forwarding, 64-byte frames a -> b at the highest rate the port takes, $DUR s, rte_acl part"
say "built (lookups: how each packet's rule was found; the exact-match cache holds 131,072 keys):"
	echo "in=a actions=output:b" >"$BW/one.txt"
	$QV flow replace-file "$BW/one.txt" >/dev/null
	$QV stats clear >/dev/null
	say "  1 rule, 1 flow:                 $(qvbench one 1) Mpps ($(lookups))"
	$QV flow replace-file "$BW/r$big.txt" >/dev/null
	wait_acl
	$QV stats clear >/dev/null
	say "  $big rules, $big flows:       $(qvbench many "$big") Mpps ($(lookups))"
fi
bl_stop_pid "$SW_PID" 20
bl_forget "$SW_PID"

if [ "$OVS" = 1 ]; then
	bl_ovs_start "$BW/ovs" "qvrsovs$$" "$BW/ovs.log"
	$VSCTL add-port br0 a -- set Interface a type=dpdkvhostuser ofport_request=1
	$VSCTL add-port br0 b -- set Interface b type=dpdkvhostuser ofport_request=2
	say ""
	say "OVS-DPDK $("$OVS_VSWITCHD" --version | head -1 | awk '{print $NF}'), same run, same rules (ovs-ofctl)"
	say "size     add-flows(s)  one more: ovs-ofctl add-flow ms (process start included)"
	for n in $SIZES; do
		sed -e 's/^in=a,proto=udp,ip-dst=\([0-9.]*\) actions=output:b$/priority=100,udp,in_port=1,nw_dst=\1,actions=output:2/' \
			"$BW/r$n.txt" >"$BW/o$n.txt"
		ovs-ofctl del-flows br0
		t0=$(date +%s.%N)
		ovs-ofctl add-flows br0 "$BW/o$n.txt"
		t1=$(date +%s.%N)
		c0=$(date +%s.%N)
		ovs-ofctl add-flow br0 "priority=100,tcp,in_port=1,nw_dst=11.1.0.1,actions=output:2"
		c1=$(date +%s.%N)
		ovs-ofctl del-flows --strict br0 "priority=100,tcp,in_port=1,nw_dst=11.1.0.1"
		printf -v line "%-8s %-13.3f %.2f" "$n" "$(echo "$t1 - $t0" | bc)" "$(echo "($c1 - $c0) * 1000" | bc)"
		say "$line"
	done
fi
say ""
say "results: $RES"
