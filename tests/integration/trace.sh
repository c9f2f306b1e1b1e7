#!/bin/bash
# `qvctl trace`: what the switch did with the next packets of a port — the exact-match cache
# hit or the classifier, the rule matched, the outputs, and each drop reason it can be made
# to produce here (no-match, rule-drop, bad-header, port-down, loop, tx-full).
. "$(dirname "$0")/lib.sh"

switch_start
for p in a b c; do qvctl port add $p vhost "$T/$p.sock" >/dev/null; done
qvctl flow add 'in=a,proto=udp,dst-port=80 actions=output:b' >/dev/null
qvctl flow add 'in=a,proto=udp,dst-port=9 actions=drop' >/dev/null
qvctl flow add 'in=a,proto=udp,dst-port=7 actions=output:c' >/dev/null

# trace_run NAME COUNT PCAP : arm a trace of COUNT packets on a, send PCAP from a (b drains),
# print the trace
trace_run() {
    local name=$1 count=$2 pcap=$3
    qvctl trace a --count "$count" --timeout 30 >"$T/trace-$name.out" 2>&1 &
    local tp=$!
    wait_until "trace armed" 10 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json call trace.show | jq .want)\" = $count ]"
    peer_run "$name" "$T/a.sock" "$T/b.sock" -- --tx "0:$pcap" --rx 1 --timeout 30 >/dev/null ||
        true
    wait "$tp" || fail "qvctl trace failed: $(cat "$T/trace-$name.out")"
    cat "$T/trace-$name.out"
}

$MKPCAP "$T/flow.pcap" count=64,proto=udp,dst-port=80 >/dev/null
out=$(trace_run hit 64 "$T/flow.pcap")
check_eq "64 packets traced" 64 "$(grep -c '^packet ' <<<"$out")"
check_contains "first packets: classifier, rule named" "lookup: classifier: rule 1: in=a,proto=udp,dst-port=80 actions=output:b" "$out"
check_contains "later packets: cache hit" "lookup: exact-match cache hit: rule 1" "$out"
check_contains "output shown" "output: b" "$out"
check_contains "key shown" "ipv4 10.0.0.1 -> 10.0.0.2 proto 17 ports 1024 -> 80" "$out"

$MKPCAP "$T/drops.pcap" count=1,proto=tcp,dst-port=443 count=1,proto=udp,dst-port=9 \
    count=1,bad=trunc-ip count=1,proto=udp,dst-port=7 >/dev/null
out=$(trace_run drops 4 "$T/drops.pcap")
check_contains "no-match" "drop: no-match (no rule matched" "$out"
check_contains "rule-drop" "drop: rule-drop" "$out"
check_contains "bad-header" "parse: malformed header" "$out"
check_contains "bad-header reason" "drop: bad-header" "$out"
check_contains "port-down (c has no guest)" "output: c: dropped, port-down" "$out"
check_eq "JSON view lists the reasons" "no-match rule-drop bad-header" \
    "$(qjson call trace.show | jq -r '[.records[].drop | select(. != null)] | join(" ")')"

# loop: a learns X, then a packet to X comes back in on a
qvctl port set a --default l2 >/dev/null
X=02:00:00:00:aa:01 Y=02:00:00:00:bb:02
$MKPCAP "$T/loop.pcap" count=1,eth-src=$X,eth-dst=$Y,proto=tcp count=1,eth-src=$Y,eth-dst=$X,proto=tcp >/dev/null
out=$(trace_run loop 2 "$T/loop.pcap")
check_contains "unknown destination floods" "port default l2: flood" "$out"
check_contains "loop" "drop: loop" "$out"
qvctl port set a --default drop >/dev/null

# tx-full: b's guest stops reading (SIGSTOP), its ring fills, then trace
peer_bg sink "$T/b.sock" -- --rx 0 --duration 0
SINK=$PEER_PID
wait_until "b up" 20 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq -r '.ports[] | select(.name==\"b\") | .state')\" = up ]"
kill -STOP "$SINK"
$MKPCAP "$T/many.pcap" count=2000,proto=udp,dst-port=80 >/dev/null
$(peer_cmd fill "$T/a.sock" -- --tx "0:$T/many.pcap" --timeout 30) >"$T/peer-fill.log" 2>&1 ||
    fail "could not send the packets that fill b's ring"
wait_until "b's ring full (tx-full drops counted)" 10 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json stats | jq '.drops[\"tx-full\"]')\" -gt 0 ]"
qvctl trace a --count 50 --timeout 30 >"$T/trace-full.out" 2>&1 &
tp=$!
wait_until "trace armed" 10 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json call trace.show | jq .want)\" = 50 ]"
$(peer_cmd more "$T/a.sock" -- --tx "0:$T/flow.pcap" --timeout 30) >"$T/peer-more.log" 2>&1 ||
    fail "could not send while b is full"
wait "$tp" || fail "qvctl trace failed"
kill -CONT "$SINK"
check_contains "tx-full" "output: b: dropped, tx-full" "$(cat "$T/trace-full.out")"
