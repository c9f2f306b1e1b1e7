#!/bin/bash
# Port policers (dataplane/qos): traffic offered at ten times a port's policed rate is cut to
# about that rate (a generous band: the generator shares a CPU), every packet it did not let
# through counted under the drop reason 'policed' (exactly); ingress in bit/s, egress in
# packets/s; nonsense refused with the limit.
. "$(dirname "$0")/lib.sh"

switch_start
qvctl port add a vhost "$T/a.sock" >/dev/null
qvctl port add b vhost "$T/b.sock" >/dev/null
qvctl flow add 'in=a actions=output:b' >/dev/null

# refused: zero, a burst under one frame, a packets/s rate with a byte burst
out=$(qvctl port set a --police 0bit 2>&1) && fail "a zero rate was accepted"
check_contains "zero rate refused with the limit" "give 8000 to" "$out"
out=$(qvctl port set a --police 1Mbit,1000B 2>&1) && fail "a 1000-byte burst was accepted"
check_contains "burst under a frame refused with the limit" "give 1522" "$out"
out=$(qvctl port set a --police 1000pps,64KiB 2>&1) && fail "pps with a byte burst accepted"
check_contains "mixed units refused" "mixes packets and bits" "$out"

# run NAME: 10,000 packets/s of 60-byte frames for 2 s into a, counted out of b
run() {
    qvctl stats clear >/dev/null
    peer_run "$1" "$T/a.sock" "$T/b.sock" -- --gen 0:60:16 --rate 10000 --duration 2 --rx 1 \
        --json "$T/$1.json" --timeout 30 || true
    tx=$(jq .tx "$T/$1.json") rx=$(jq .rx "$T/$1.json") secs=$(jq .elapsed_s "$T/$1.json")
    log "$1: sent $tx, received $rx in ${secs}s"
}
# within PKTS_PER_S BURST_PKTS: rx about the policed rate over the run (0.4x to 2x)
within() {
    local expect
    expect=$(echo "$secs * $1 + $2" | bc)
    echo "$rx >= 0.4 * $expect && $rx <= 2 * $expect" | bc | grep -q 1 ||
        fail "$run_name: received $rx, expected about $expect (policed at $1/s)"
}

# ingress, bit/s: 480kbit/s of 60-byte frames is 1000 packets/s, a tenth of what is offered
qvctl port set a --police 480kbit,16KiB >/dev/null
check_contains "show ports shows the policer" "police ingress 480kbit burst 16384B" \
    "$(qvctl show ports)"
run_name=ingress run ingress
[ "$tx" -gt 15000 ] || fail "the generator sent only $tx packets"
within 1000 273
policed=$(port_field a 'drops.policed')
check_eq "every packet not let through is counted policed on a" $((tx - rx)) "$policed"
check_contains "show ports lists the policed drops" "policed" "$(qvctl show ports)"
pass "ingress: $rx of $tx let through at 480kbit/s, $policed policed"

# egress, packets/s, on the output port
qvctl port set a --police off >/dev/null
qvctl port set b --egress-police 1000pps,50pkt >/dev/null
run_name=egress run egress
within 1000 50
policed=$(port_field a 'drops.policed') # counted on the port the packets came in on
check_eq "egress: every packet not sent is counted policed" $((tx - rx)) "$policed"
check_eq "show ports counts b's policer's drops" "$policed" "$(port_field b 'police.egress.policed')"
pass "egress: $rx of $tx sent at 1000pps, $policed policed"
switch_stop
