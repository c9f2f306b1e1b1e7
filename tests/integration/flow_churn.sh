#!/bin/bash
# Rule churn on a 20,000-rule table while traffic flows: rules are added and deleted at a
# steady rate (small transactions published as deltas beside the rte_acl part, which is
# rebuilt in the background and folded in meanwhile), and every packet is classified as the
# rules in force say: each flow always has a rule sending it to b (often an older rule of the
# rte_acl part that takes over when a higher one is deleted: without the delta's copies of the
# rules a deleted one shadowed, those packets drop as no-match — checked: 2,322 drops), and a
# catch-all rule of the lowest priority sends what no other rule takes to c (no peer: counted
# port-down). So a misclassified packet is a drop; there must be none, and no loss.
. "$(dirname "$0")/lib.sh"
here=$(dirname "$0")

N=300000
FLOWS=32
switch_start
qvctl port add a vhost "$T/a.sock" >/dev/null
qvctl port add b vhost "$T/b.sock" >/dev/null
qvctl port add c vhost "$T/c.sock" >/dev/null
# 19,935 fillers that match none of the traffic (dst 10.0.0.2, UDP 1024.. -> 80), two rules per
# flow (priorities 2000 and 1000, both to b), and the catch-all
{
    for i in $(seq 0 19934); do echo "in=a,proto=udp,ip-dst=172.16.$((i / 250)).$((i % 250)) actions=drop"; done
    for p in $(seq 1024 $((1024 + FLOWS - 1))); do
        echo "in=a,proto=udp,src-port=$p,priority=2000 actions=output:b"
        echo "in=a,proto=udp,src-port=$p,priority=1000 actions=output:b"
    done
    echo "in=a,priority=0 actions=output:c"
} >"$T/table.rules"
qvctl flow add-file "$T/table.rules" >/dev/null
check_eq "rules in force" 20000 "$(qjson show flows | jq '.flows | length')"
qjson show flows | jq '{flow_rules: ([.flows[] | select(.text | test("src-port")) | {p: (.text | capture("src-port=(?<p>[0-9]+)").p), id}] | group_by(.p) | map({key: .[0].p, value: map(.id)}) | from_entries), fillers: [.flows[] | select(.text | test("172.16")) | .id]}' >"$T/state.json"

peer_bg gen "$T/a.sock" "$T/b.sock" -- --gen 0:64:$FLOWS --count $N --rate 30000 --window 256 --rx 1 \
    --expect $N --timeout 120 --json "$T/gen.json"
wait_until "traffic flowing" 30 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq '.ports[] | select(.name==\"b\") | .tx_packets')\" -gt 1000 ]"

read -r rounds folds want < <(python3 "$here/flow_churn.py" "$T/sw.sock" $FLOWS "$T/state.json" "$PEER_PID") ||
    fail "rule churn failed"
wait "$PEER_PID" || fail "peer did not receive all $N packets (see peer-gen.log)"
[ "${rounds:-0}" -ge 50 ] || fail "only ${rounds:-0} churn rounds happened under traffic"
pass "$rounds churn rounds under traffic, $folds background rebuilds folded in"
[ "${folds:-0}" -ge 1 ] || fail "no background rebuild was folded in under traffic"
check_eq "rules in force after the churn" "$want" "$(qjson show flows | jq '.flows | length')"
check_eq "packets received by the peer" $N "$(jq .rx "$T/gen.json")"
check_eq "window releases (packets given up as lost)" 0 "$(jq .window_released "$T/gen.json")"
check_eq "switch drops, all reasons (a misclassified packet is one)" 0 "$(qjson stats | jq '[.drops[]] | add')"
check_eq "b tx_packets" $N "$(port_field b tx_packets)"
