#!/bin/bash
# scripts/bench.sh end to end, tiny: qwikvirt, testpmd and OVS-DPDK, an NDR/PDR search, latency
# at load, blocked time, a 2x2 rules x flows matrix, a published copy. It checks that the
# tooling is consistent, never how fast anything is: every switch produced a row, every
# search's trials add up (sent = received + lost) and start with the ceiling, percentiles are
# ordered at every load, blocked time is lost / offered, the matrix is complete, the picture and
# the machine description exist. (--load-base pdr with a 50 % loss bound and --min-sent 0.2:
# on a loaded machine no rate may be loss-free, or the generator may fall behind the rate it
# offers, and the phases after the search must still run.)
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$T/bench
PUB=published
PUBDIR=$T/results/$PUB
export QV_BENCH_RESULTS=$T/results # --publish writes here, not into the source tree

out=$("$SRC/scripts/bench.sh" --method fast 2>&1) && fail "bench.sh accepted --method fast"
check_contains "a bad --method is refused with the choices" "expected loop, gen or ndr" "$out"
out=$("$SRC/scripts/bench.sh" --blocked 2>&1) && fail "bench.sh accepted --blocked without ndr"
check_contains "--blocked without --method ndr is refused" "needs --method ndr" "$out"
out=$("$SRC/scripts/bench.sh" --method ndr --blocked --sizes "64 imix" --blocked-sizes 1518 2>&1) &&
	fail "bench.sh accepted a blocked-time size outside --sizes"
check_contains "a --blocked-sizes size outside --sizes is refused" \
	"--blocked-sizes: 1518 is not one of --sizes (64 imix)" "$out"
out=$("$SRC/scripts/bench.sh" --method ndr --blocked-sizes 64 2>&1) &&
	fail "bench.sh accepted --blocked-sizes without --blocked"
check_contains "--blocked-sizes without --blocked is refused" "--blocked-sizes needs --blocked" "$out"

log "running scripts/bench.sh (about two minutes)"
timeout 900 taskset -c "$CTL_CPU" "$SRC/scripts/bench.sh" --build "$QV_BUILD" \
	--switches "qwikvirt testpmd ovs" --reps 1 --sizes "64 imix" --duration 1 --warmup 0.3 \
	--method ndr --pdr 0.5 --load-base pdr --min-sent 0.2 --trial 0.3 --max-trials 3 --lat-duration 0.5 \
	--load-pcts "10 50" --blocked --blocked-duration 3 --blocked-sizes 64 --matrix --matrix-rules "1 10" \
	--matrix-flows "1 100" --out "$OUT" --publish "$PUB" >"$T/bench.log" 2>&1 ||
	fail "scripts/bench.sh failed (see bench.log)"
pass "scripts/bench.sh ran"

R=$OUT/results.jsonl
check_eq "one result line per size and switch" \
	"64:ovs 64:qwikvirt 64:testpmd imix:ovs imix:qwikvirt imix:testpmd" \
	"$(jq -rs 'map("\(.size):\(.switch)") | sort | join(" ")' "$R")"
check_eq "every run searched NDR then PDR" 0 \
	"$(jq -s '[.[] | select([.search[]?.kind] != ["ndr", "pdr"])] | length' "$R")"
check_eq "every search starts with its ceiling trial" 0 \
	"$(jq -s '[.[].search[] | select(.trials[0].phase != "ceiling")] | length' "$R")"
check_eq "every trial: sent = received + lost" 0 \
	"$(jq -s '[.[].search[].trials[] | select(.tx != .rx + .lost)] | length' "$R")"
check_eq "every trial that sent: the generator's load, 0 < busy % <= 100" 0 \
	"$(jq -s '[.[].search[].trials[] | select(.tx > 0) |
		select((.gen_busy_pct // 0) <= 0 or .gen_busy_pct > 100)] | length' "$R")"
check_eq "a search's rate is one of its passing trials' rates" 0 \
	"$(jq -s '[.[].search[] | select(.mpps > 0) | . as $s |
		select([.trials[] | select(.pass and .offered_mpps == $s.mpps)] | length == 0)] |
		length' "$R")"
check_eq "latency at 10 and 50 % of PDR, in every run" 0 \
	"$(jq -s '[.[] | select((.latency_at_load // {} | keys) != ["10", "50"])] | length' "$R")"
check_eq "percentiles ordered at every load" 0 \
	"$(jq -s '[.[].latency_at_load[] | select(.samples > 0) |
		select(.min > .p50 or .p50 > .p90 or .p90 > .p99 or .p99 > .p99_9 or
			.p99_9 > .max)] | length' "$R")"
check_eq "blocked time for qwikvirt (none, rules, port, chain) and ovs (none, rules, port) only, at 64 B only (--blocked-sizes)" \
	"64:ovs:none,port,rules 64:qwikvirt:chain,none,port,rules" \
	"$(jq -rs '[.[] | select(.blocked) | "\(.size):\(.switch):\(.blocked | keys | join(","))"] |
		unique | join(" ")' "$R")"
check_eq "blocked ms = lost / offered rate" 0 \
	"$(jq -s '[.[].blocked // {} | .[] | select(.offered_mpps > 0) |
		select(((.lost / (.offered_mpps * 1e6) * 1000) - .blocked_ms) | fabs > 1e-6)] |
		length' "$R")"
grep -q 'change failed' "$T/bench.log" && fail "a reconfiguration failed: $(grep 'change failed' "$T/bench.log")"
pass "every reconfiguration succeeded (the chain edit added its second VNF's ports)"
check_eq "the matrix: 2 rules x 2 flows x 2 switches" 8 "$(jq -s length "$OUT/matrix.jsonl")"
S=$OUT/summary.json
check_eq "summary: every NDR found has the generator's load in its trial" 0 \
	"$(jq '[.ndr[] | select(.ndr_mpps > 0) |
		select((.generator_busy_pct_at_ndr // 0) <= 0)] | length' "$S")"
check_eq "summary: a result row per size and switch" 6 "$(jq '.results | length' "$S")"
check_eq "summary: the matrix has 4 cells, each with both switches" 4 \
	"$(jq '[.matrix[] | select(.qwikvirt and .ovs)] | length' "$S")"
check_eq "summary: each matrix cell relative to its switch's 1x1" 1 \
	"$(jq '[.matrix[] | select(.rules == 1 and .flows == 1) | .qwikvirt.of_1x1] | .[0] // 0' "$S")"
grep -q '^Blocked time' "$OUT/summary.txt" || fail "summary.txt has no blocked-time table"
grep -q '^Rules x flows' "$OUT/summary.txt" || fail "summary.txt has no matrix table"
pass "summary.txt has the blocked-time and matrix tables"
check_eq "machine.json names the CPU, kernel, DPDK, OVS and the command" 0 \
	"$(jq '[.cpu, .kernel, .dpdk, .ovs, .command] | map(select(. == null or . == "")) | length' \
		"$OUT/machine.json")"
check_contains "machine.json keeps the command quoted, as it can be run again" \
	'--sizes 64\ imix' "$(jq -r .command "$OUT/machine.json")"
[ "$(head -c 8 "$OUT/rate_vs_size.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
	fail "no PNG plot"
pass "the plot is a PNG"
check_eq "published copy" "machine.json matrix.jsonl rate_vs_size.png results.jsonl summary.json summary.txt" \
	"$(ls "$PUBDIR" | sort | tr '\n' ' ' | sed 's/ $//')"
bw=$(sed -n 's/.*work dir \(\/tmp\/qvbench\.[A-Za-z0-9]*\).*/\1/p' "$T/bench.log" | head -n 1)
[ -n "$bw" ] || fail "bench.sh did not name its work dir"
check_eq "no switch, testpmd, OVS or generator of the run left running" "" \
	"$(pgrep -af -- "$bw" || true)"
[ ! -e "$bw" ] || fail "bench.sh left its work dir $bw"
pass "bench.sh removed its work dir"

# ---- --topology phy: af_packet on veth pairs, for every switch ----
out=$("$SRC/scripts/bench.sh" --topology phy --sizes 9018 2>&1) && fail "bench.sh accepted phy at 9018 B"
check_contains "phy refuses a jumbo size, saying why" "net_af_packet's max frame" "$out"
timeout 600 taskset -c "$CTL_CPU" "$SRC/scripts/bench.sh" --build "$QV_BUILD" --topology phy \
	--switches "qwikvirt testpmd ovs" --reps 1 --sizes 64 --duration 1 --warmup 0.3 \
	--lat-duration 0.5 --out "$T/phy" >"$T/bench-phy.log" 2>&1 ||
	fail "bench.sh --topology phy failed (see bench-phy.log)"
check_eq "phy: a result per switch, each with a rate" "ovs qwikvirt testpmd" \
	"$(jq -rs 'map(select(.mpps > 0) | .switch) | sort | join(" ")' "$T/phy/results.jsonl")"
check_eq "phy: the generator's load in every run (0 < busy % <= 100) and in the summary" \
	"3 3" "$(jq -s '[.[] | select(.generator.busy_pct > 0 and .generator.busy_pct <= 100 and
		.generator.cycles_per_pkt > 0)] | length' "$T/phy/results.jsonl") $(jq \
		'[.results[] | select(.generator_busy_pct > 0)] | length' "$T/phy/summary.json")"
check_eq "phy: the topology in the summary" phy "$(jq -r .meta.topology "$T/phy/summary.json")"
check_eq "phy: its veth pairs (qvbPIDa, qvbPIDag, ...) removed" 0 \
	"$(ip -br link | grep -cE '^qvb[0-9]+[ab]g?(@|[[:space:]])' || true)"
