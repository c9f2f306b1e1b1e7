#!/bin/bash
# Consistent, flow-affine groups (dataplane/lb): 10,000 flows over a group (both directions,
# checked per flow); adding a member moves no established flow (new flows reach it); taking
# one member down moves only its flows, to the survivors; both directions stay together. Two
# PMDs, the two directions received by different ones: each has its own affinity table.
. "$(dirname "$0")/lib.sh"
FI="python3 $(dirname "$0")/flow_instances.py"
N=10000

switch_start --pmd-cores "$PMD_CPU,$PMD_CPU"
for p in c s i0 o0 i1 o1 i2 o2; do qvctl port add $p vhost "$T/$p.sock" >/dev/null; done
pmd_of() { qjson show pmd | jq -r --arg p "$1" '.pmds | to_entries[] | select(any(.value.rxqs[]; .port == $p)) | .key'; }
[ "$(pmd_of c)" != "$(pmd_of s)" ] || fail "c and s are polled by the same PMD: $(qvctl show pmd)"
group() { # group MEMBERS...: the rules c -> group of i*, s -> group of o* (same order)
    local fwd=() rev=() m
    for m in "$@"; do fwd+=("i$m") rev+=("o$m"); done
    qvctl flow del --all >/dev/null
    qvctl flow add "in=c,proto=udp actions=group:$(IFS=+; echo "${fwd[*]}")" >/dev/null
    qvctl flow add "in=s,proto=udp actions=group:$(IFS=+; echo "${rev[*]}")" >/dev/null
}
# round NAME FWD REV EXPECT: sends both pcaps through the group, maps flows to instances
round() {
    local name=$1 rx=() k=0 p
    for p in i0 o0 i1 o1 i2 o2; do rx+=(--rx "$((k + 2)):$T/$name-$p.pcap"); k=$((k + 1)); done
    peer_run "$name" "$T/c.sock" "$T/s.sock" "$T/i0.sock" "$T/o0.sock" "$T/i1.sock" \
        "$T/o1.sock" "$T/i2.sock" "$T/o2.sock" -- --tx "0:$2" --tx "1:$3" "${rx[@]}" \
        --expect "$4" --window 200 --timeout 40 ||
        fail "$name: not all $4 packets reached an instance (see peer-$name.log)"
    $FI map "$T/$name.json" "0:$T/$name-i0.pcap:$T/$name-o0.pcap" \
        "1:$T/$name-i1.pcap:$T/$name-o1.pcap" "2:$T/$name-i2.pcap:$T/$name-o2.pcap" \
        >"$T/$name.map" || fail "$name: $(cat "$T/$name.map")"
    log "$name: $(head -1 "$T/$name.map")"
}
moved() { $FI moved "$T/$1.json" "$T/$2.json"; }
# peer_run with rx rings of 256 (lib.sh's 1024 times 8 ports would take all of qv-peer's
# 8192 mbufs, leaving none to send)
peer_run() {
    local name=$1
    $(peer_cmd "$@" | sed 's/queue_size=1024/queue_size=256/g') >"$T/peer-$name.log" 2>&1
}

$FI gen "$T/fwd.pcap" 10.0.0.1 10.0.0.2 $N
$FI gen "$T/rev.pcap" 10.0.0.1 10.0.0.2 $N reverse
$FI gen "$T/new-fwd.pcap" 10.0.1.1 10.0.0.2 $N
$FI gen "$T/new-rev.pcap" 10.0.1.1 10.0.0.2 $N reverse

group 0 1
round two "$T/fwd.pcap" "$T/rev.pcap" $((2 * N))
pass "2 members: $N flows, both directions of each on one instance"

group 0 1 2
round three "$T/fwd.pcap" "$T/rev.pcap" $((2 * N))
m=$(moved two three)
check_eq "adding a member moves no established flow" "moved 0 of $N" "$(echo "$m" | head -1)"
shown=$(qjson show groups)
flows=$(echo "$shown" | jq '[.groups[] | select(.text | contains("in=c")) | .members[].flows] | add')
check_eq "show groups counts the group's $N flows" "$N" "$flows"
check_contains "show groups lists the new member" "i2" "$(qvctl show groups)"

# one member down (both its ports, as when its VM goes): only its flows move
qvctl port set i1 --down >/dev/null
qvctl port set o1 --down >/dev/null
round down "$T/fwd.pcap" "$T/rev.pcap" $((2 * N))
m=$(moved three down)
on1=$(jq '[.[] | select(. == "1")] | length' "$T/three.json")
check_eq "taking a member down moves its $on1 flows, and only those" \
    "moved $on1 of $N|from 0 0|from 1 $on1" "$(echo "$m" | tr '\n' '|' | sed 's/|$//')"
[ "$on1" -gt 0 ] || fail "member 1 had no flows to move"
pass "the failed member's flows went to the survivors: $(head -1 "$T/down.map")"

# new flows reach the member added last, by its share of the table
qvctl port set i1 --up >/dev/null
qvctl port set o1 --up >/dev/null
round new "$T/new-fwd.pcap" "$T/new-rev.pcap" $((2 * N))
on2=$(jq '[.[] | select(. == "2")] | length' "$T/new.json")
[ "$on2" -gt $((N / 5)) ] || fail "new flows did not reach the added member: $on2 of $N"
pass "new flows reach the added member: $on2 of $N, both directions together"
log "$(qvctl show groups)"
switch_stop
