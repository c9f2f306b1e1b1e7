#!/bin/bash
# Two PMD threads (time-sharing one CPU here; on real hosts one core each): rx queues are
# spread over both, two PMDs transmit into the same single-queue vhost port under its lock,
# and RCU table updates wait for both. Nothing is lost.
. "$(dirname "$0")/lib.sh"

switch_start --pmd-cores "$PMD_CPU,$PMD_CPU"
for p in a b c; do qvctl port add $p vhost "$T/$p.sock" >/dev/null; done
check_eq "two PMDs" 2 "$(qjson show pmd | jq '.pmds | length')"
check_eq "rx queues spread 2 + 1" "1 2" "$(qjson show pmd | jq -r '[.pmds[].rxqs | length] | sort | join(" ")')"
# a and c are polled by different PMDs; both send to b
pmd_of() { qjson show pmd | jq -r --arg p "$1" '.pmds | to_entries[] | select(any(.value.rxqs[]; .port == $p)) | .key'; }
[ "$(pmd_of a)" != "$(pmd_of c)" ] || { qvctl port del b >/dev/null; qvctl port add b vhost "$T/b.sock" >/dev/null; }
[ "$(pmd_of a)" != "$(pmd_of c)" ] || fail "a and c landed on the same PMD"
pass "a and c on different PMDs"
qvctl flow add 'in=a actions=output:b' >/dev/null
qvctl flow add 'in=c actions=output:b' >/dev/null

peer_bg two "$T/a.sock" "$T/b.sock" "$T/c.sock" -- --gen 0:64:32 --gen 2:64:32 --count 100000 \
    --rate 40000 --window 200 --rx 1 --expect 200000 --timeout 120 --json "$T/two.json"
wait_until "traffic flowing" 30 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq '.ports[] | select(.name==\"b\") | .tx_packets')\" -gt 1000 ]"
updates=$(python3 "$(dirname "$0")/rule_churn.py" "$T/sw.sock" 1 "$PEER_PID") || fail "rule churn: $updates"
wait "$PEER_PID" || fail "packets lost with two PMDs sharing b's queue (see peer-two.log)"
pass "$updates table updates with two PMDs online"
check_eq "b received both streams" 200000 "$(jq .rx "$T/two.json")"
check_eq "drops" 0 "$(qjson stats | jq '[.drops[]] | add')"
check_eq "both PMDs forwarded" true "$(qjson show pmd | jq '[.pmds[].packets > 0] | all')"
