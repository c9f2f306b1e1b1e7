#!/bin/bash
# A short V2V qv-bench run through qv-switchd (virtio-user a -> switch -> b) whose results must
# be consistent: sent = received + lost, latency percentiles ordered, valid JSON, and the bench's
# counts agree with the switch's. Never its speed: benchmarks report, they do not pass or fail.
. "$(dirname "$0")/lib.sh"
BENCH_BIN=$QV_BUILD/bench/qv-bench

bench() { # bench NAME OPTIONS... : one qv-bench run on ports a, b; output in $T/bench-NAME.log
	local name=$1
	shift
	timeout 120 taskset -c "$CTL_CPU" "$BENCH_BIN" --lcores "0@$CTL_CPU" --no-pci --in-memory \
		--single-file-segments -m 256 --file-prefix "qvb${name}$$" --log-level=user1,8 -- \
		--port "virtio:$T/a.sock" --port "virtio:$T/b.sock" --json "$T/$name.json" "$@" \
		>"$T/bench-$name.log" 2>&1
}

# check_runs FILE JQPATH : every run under JQPATH is consistent
check_runs() {
	local f=$1 sel=$2 n
	n=$(jq "[$sel] | length" "$f")
	[ "$n" -gt 0 ] || fail "$f: no runs under $sel"
	check_eq "$f: sent = received + lost in all $n runs" 0 \
		"$(jq "[$sel | select(.tx != .rx + .lost)] | length" "$f")"
	check_eq "$f: latency min <= p50 <= p90 <= p99 <= p99.9 <= max in all runs" 0 \
		"$(jq "[$sel | .latency_us | select(.samples > 0) |
			select(.min > .p50 or .p50 > .p90 or .p90 > .p99 or .p99 > .p99_9 or
				.p99_9 > .max)] | length" "$f")"
	check_eq "$f: no run without latency samples" 0 \
		"$(jq "[$sel | select(.rx > 0 and .latency_us.samples == 0)] | length" "$f")"
	check_eq "$f: the generator's load where packets moved: 0 < busy % <= 100, cycles > 0" 0 \
		"$(jq "[$sel | select(.rx > 0) | select(.gen_busy_pct <= 0 or .gen_busy_pct > 100 or
			.gen_busy_cycles_per_pkt <= 0)] | length" "$f")"
}

# (read the whole help first: grep -q closing the pipe early would SIGPIPE qv-bench, and
# pipefail would call that a failure)
help=$("$BENCH_BIN" --help)
grep -q 'RFC 2544' <<<"$help" || fail "qv-bench --help does not explain the search"
"$BENCH_BIN" -- --size 12 >/dev/null 2>&1 && fail "qv-bench accepted a 12-byte frame size"
pass "usage: --help teaches, bad sizes are refused before the EAL starts"

switch_start
qvctl port add a vhost "$T/a.sock" >/dev/null
qvctl port add b vhost "$T/b.sock" >/dev/null
qvctl flow add 'in=a actions=output:b' >/dev/null
qvctl flow add 'in=b actions=output:a' >/dev/null

# 1. Fixed rate, a size list and many flows; no warm-up so the switch saw exactly our packets.
bench fixed --size 64,1518 --flows 100 --rate 100k --duration 1 --warmup 0 --latency 4 ||
	fail "qv-bench fixed-rate run failed"
jq -e . "$T/fixed.json" >/dev/null || fail "fixed.json is not valid JSON"
pass "fixed.json is valid JSON"
check_eq "two runs, one per size" "64 1518" "$(jq -r '[.runs[].size] | join(" ")' "$T/fixed.json")"
check_runs "$T/fixed.json" '.runs[]'
sent=$(jq '[.runs[].tx] | add' "$T/fixed.json")
got=$(jq '[.runs[].rx] | add' "$T/fixed.json")
[ "$sent" -gt 0 ] || fail "nothing was sent"
# (a PMD starved by a loaded CPU may still have the last burst in its ring when qv-bench's drain
# ends: wait for the counter to get there, then compare it exactly)
wait_until "switch port a counting every packet the bench sent" 20 \
	test "$(port_field a rx_packets)" -ge "$sent"
check_eq "switch port a received what the bench sent" "$sent" "$(port_field a rx_packets)"
b_tx=$(port_field b tx_packets)
[ "$got" -le "$b_tx" ] || fail "bench received $got packets but the switch sent only $b_tx on b"
pass "bench received ($got) <= switch sent on b ($b_tx)"
# a 1518-byte frame (FCS included) holds a 1500-byte IP packet: the MTU-1500 ports forward it
check_eq "no frame of the 1518 B run dropped as mtu-exceeded" 0 \
	"$(port_field a 'drops["mtu-exceeded"] // 0')"
[ "$(jq '.runs[1].rx' "$T/fixed.json")" -gt 0 ] || fail "no 1518-byte frame came back"
pass "1518-byte frames forwarded at MTU 1500"
grep -qE '^64 .* \| ' "$T/bench-fixed.log" || fail "no final table row for 64 B"
pass "final table printed"

# 2. IMIX at max rate in both directions, then a short NDR + PDR search.
bench imix --size imix --tx 0,1 --rx 0,1 --duration 1 --warmup 0.2 || fail "imix run failed"
check_runs "$T/imix.json" '.runs[]'
check_eq "imix run labelled" imix "$(jq -r '.runs[0].label' "$T/imix.json")"
bench search --size 64 --ndr --pdr 0.01 --trial 0.3 --max-trials 4 --final 0.6 --warmup 0.2 ||
	fail "search run failed"
check_eq "two searches (ndr, pdr)" "ndr pdr" "$(jq -r '[.search[].kind] | join(" ")' "$T/search.json")"
check_runs "$T/search.json" '.search[].trials[]'
check_eq "a search's best trial passed and ran at its rate" 0 \
	"$(jq '[.search[] | select(.best != null) | select(.best.pass != true or
		.best.offered_pps != .rate_pps)] | length' "$T/search.json")"
check_eq "searches ran 1..8 trials (max-rate ceiling + at most 4 + at most 3 final)" 0 \
	"$(jq '[.search[] | .trials | length | select(. < 1 or . > 8)] | length' "$T/search.json")"
check_eq "each search starts with its ceiling trial" "ceiling ceiling" \
	"$(jq -r '[.search[].trials[0].phase] | join(" ")' "$T/search.json")"
check_eq "a confirmed rate is that of a passing final trial of --final s" 0 \
	"$(jq '[.search[] | select(.confirmed) | select(.best.phase != "final" or
		.best.elapsed_s < 0.5)] | length' "$T/search.json")"
check_eq "final trials come last, after every bisection trial" 0 \
	"$(jq '[.search[] | [.trials[].phase] | select(index("final") != null) |
		select(.[index("final"):] | any(. != "final"))] | length' "$T/search.json")"

# 3. --packed: the generator's virtio-user ports offer packed virtqueues and the switch takes
# them; show ports says which layout the connected guest negotiated (virtio_ring)
ring_is() { [ "$(port_field a virtio_ring)" = "$1" ]; }
ring_run() { # ring_run NAME EXPECTED [--packed]: a 3 s run, the ring type of port a during it
    local name=$1 want=$2
    shift 2
    bench "$name" "$@" --size 64 --rate 100k --duration 3 --warmup 0 &
    local bp=$!
    wait_until "port a's guest on $want rings while $name runs" 60 ring_is "$want"
    wait $bp || fail "the $name run failed"
    check_runs "$T/$name.json" '.runs[]'
    [ "$(jq '.runs[0].rx' "$T/$name.json")" -gt 0 ] || fail "nothing came back over $want rings"
    pass "$name: $want rings, packets through"
}
ring_run split split
ring_run packed packed --packed
wait_until "no guest on port a: no ring type" 30 ring_is ""
pass "virtio_ring empty once the guest is gone"
