#!/bin/bash
# Instances that follow load (qv-controld's scaling.c, dataplane/lb's drain): a VNF with
# instances {min: 1, max: 2} and its load through the seam (--load-signal-dir) goes 1 -> 2 -> 1:
# the clone's ports join the group (show groups) and take new flows while no established flow
# moves, then on low load the instance drains (no new flows, its own stay) and is removed once
# its flows are idle. Every flow's packets arrive in every round (counted per flow, both
# directions, as group_affinity does). Then the count by hand, across a restart and an apply.
# One qv-peer per round stands in for the client, the server and every instance port.
. "$(dirname "$0")/lib.sh"
FI="python3 $(dirname "$0")/flow_instances.py"
N=1000

# --group-idle 10: a drained instance's flows idle for 10 s, not the default minute (longer
# than any gap between two rounds of one flow set here, which must keep their members)
switch_start --group-idle 10
mkdir "$T/load"
echo 0 >"$T/load/fw"
controld_start --load-signal-dir "$T/load"
check_eq "show groups: the flow idle time is --group-idle's" 10 "$(qjson show groups | jq .idle_timeout_s)"
svc() { # svc FILE SCALE-IN-THRESHOLD
    cat >"$1" <<Y
switch:
  socket-dir: $T
ports:
  - {name: c, type: vhost, path: $T/c.sock}
  - {name: s, type: vhost, path: $T/s.sock}
vnfs:
  - name: fw
    vcpus: 1
    memory: 256MiB
    kernel: /boot/vmlinuz
    instances:
      min: 1
      max: 2
      scale-out: {pps: 100kpps, for: 1s}
      scale-in: {pps: $2, for: 1s}
      cooldown: 2s
      drain: 10m
chains:
  - {name: web, from: c, match: {proto: udp}, hops: [fw], to: s, bidirectional: true}
Y
}
svc "$T/svc.yaml" 10kpps
qvc apply "$T/svc.yaml" >/dev/null
check_contains "a VNF that scales is a group even alone" "actions=group:fw-0-in" \
    "$(qjson show flows | jq -r '.flows[].text')"
scaling() { qvc --json show scaling | jq -r ".vnfs[0].$1"; }
check_eq "show scaling: one instance (1..2)" "1 1 2" "$(scaling current) $(scaling min) $(scaling max)"

# round NAME FWD REV EXPECT INSTANCES: both pcaps through the chain; which instance each flow
# reached, from what each instance port received
round() {
    local name=$1 socks=("$T/c.sock" "$T/s.sock") rx=() maps=() k
    for ((k = 0; k < $5; k++)); do
        socks+=("$T/fw-$k-in.sock" "$T/fw-$k-out.sock")
        rx+=(--rx "$((2 * k + 2)):$T/$name-i$k.pcap" --rx "$((2 * k + 3)):$T/$name-o$k.pcap")
        maps+=("$k:$T/$name-i$k.pcap:$T/$name-o$k.pcap")
    done
    # rx rings of 256: qv-peer's 8192 mbufs are shared by all its ports
    $(peer_cmd "$name" "${socks[@]}" -- --tx "0:$2" --tx "1:$3" "${rx[@]}" --expect "$4" \
        --window 200 --timeout 60 | sed 's/queue_size=1024/queue_size=256/g') \
        >"$T/peer-$name.log" 2>&1 ||
        fail "$name: not all $4 packets reached an instance (lost: see peer-$name.log)"
    $FI map "$T/$name.json" "${maps[@]}" >"$T/$name.map" || fail "$name: $(cat "$T/$name.map")"
    log "$name: $(head -1 "$T/$name.map")"
}
moved() { $FI moved "$T/$1.json" "$T/$2.json" | head -1; }
on() { jq "[.[] | select(. == \"$2\")] | length" "$T/$1.json"; }
$FI gen "$T/a-fwd.pcap" 10.0.0.1 10.0.0.2 $N
$FI gen "$T/a-rev.pcap" 10.0.0.1 10.0.0.2 $N reverse
$FI gen "$T/b-fwd.pcap" 10.0.1.1 10.0.0.2 $N
$FI gen "$T/b-rev.pcap" 10.0.1.1 10.0.0.2 $N reverse
$FI gen "$T/c-fwd.pcap" 10.0.2.1 10.0.0.2 $N
$FI gen "$T/c-rev.pcap" 10.0.2.1 10.0.0.2 $N reverse

round one "$T/a-fwd.pcap" "$T/a-rev.pcap" $((2 * N)) 1
check_eq "one instance: every flow on fw-0" $N "$(on one 0)"

# load over scale-out's threshold: a second instance
echo 500kpps >"$T/load/fw"
wait_until "scale-out to 2 instances" 60 bash -c "[ \"\$($QVCTL_BIN --controld $T/cd.sock --json show scaling | jq '.vnfs[0].current')\" = 2 ]"
echo 50kpps >"$T/load/fw" # between the thresholds: nothing more happens
check_contains "the decision is logged: VNF, signal, threshold, why" \
    "scaling VNF fw: scale-out: load 500kpps over scale-out's 100kpps for 1s: 1 -> 2 (signal: $T/load/fw" \
    "$(cat "$T/controld.log")"
check_contains "show scaling gives the decision and why" "scale-out's 100kpps for 1s: 1 -> 2" \
    "$(qvc show scaling)"
wait_until "the clone's ports in the switch" 30 bash -c "$QVCTL_BIN --switch $T/sw.sock show ports | grep -q fw-1-out"
check_contains "show groups: the clone joined the group" "fw-1-in" "$(qvctl show groups)"
check_contains "the rule balances over both" "actions=group:fw-0-in+fw-1-in" "$(qjson show flows | jq -r '.flows[].text')"

round two "$T/a-fwd.pcap" "$T/a-rev.pcap" $((2 * N)) 2
check_eq "scale-out moves no established flow" "moved 0 of $N" "$(moved one two)"
round newb "$T/b-fwd.pcap" "$T/b-rev.pcap" $((2 * N)) 2
b1=$(on newb 1)
[ "$b1" -gt $((N / 5)) ] || fail "new flows did not reach the new instance: $b1 of $N"
pass "new flows reach the new instance: $b1 of $N"

# low load: the second instance drains
echo 1kpps >"$T/load/fw"
wait_until "scale-in starts a drain" 60 bash -c "[ \"\$($QVCTL_BIN --controld $T/cd.sock --json show scaling | jq '.vnfs[0].target')\" = 1 ]"
echo 50kpps >"$T/load/fw"
check_contains "the scale-in is logged" "scaling VNF fw: scale-in: load 1kpps under scale-in's 10kpps for 1s: 2 -> 1" \
    "$(cat "$T/controld.log")"
check_contains "show scaling: draining" "draining: instances 1..1 take no new flows" "$(qvc show scaling)"
wait_until "the switch drains fw-1" 30 bash -c "$QVCTL_BIN --switch $T/sw.sock --json show ports | jq -e '.ports[] | select(.name == \"fw-1-in\") | .draining' >/dev/null"
check_eq "show groups: fw-1 draining" "draining" \
    "$(qjson show groups | jq -r '[.groups[].members[] | select(.port == "fw-1-in") | if .draining then "draining" else "no" end] | unique | join(",")')"
round drain-a "$T/a-fwd.pcap" "$T/a-rev.pcap" $((2 * N)) 2
round drain-b "$T/b-fwd.pcap" "$T/b-rev.pcap" $((2 * N)) 2
check_eq "draining: established flows stay (fw-0's)" "moved 0 of $N" "$(moved two drain-a)"
check_eq "draining: established flows stay (fw-1's too)" "moved 0 of $N" "$(moved newb drain-b)"
round drain-c "$T/c-fwd.pcap" "$T/c-rev.pcap" $((2 * N)) 2
check_eq "draining: no new flow goes to fw-1" "0 $N" "$(on drain-c 1) $(on drain-c 0)"

# its flows go idle (10 s without a packet: --group-idle): drained, then removed
# (a positive condition: a switch too busy to answer is not a port gone)
wait_until "fw-1 removed after its flows went idle" 200 bash -c "set -o pipefail; $QVCTL_BIN --switch $T/sw.sock --json show ports | jq -e '.ports | length > 0 and all(.name != \"fw-1-in\")'"
# (logged once the switch has taken the ports off)
wait_until "the removal logged" 30 grep -q "scaling VNF fw: drained: instances 1..1 removed, no established flow left; 1 running" "$T/controld.log"
pass "the removal is logged: no established flow left"
check_eq "show scaling: one instance again" "1 1" "$(scaling current) $(scaling target)"
check_eq "the rule is back to one member" true \
    "$(qjson show flows | jq 'any(.flows[]; .text | endswith("in=c,proto=udp,priority=1000 actions=group:fw-0-in"))')"
round after "$T/a-fwd.pcap" "$T/a-rev.pcap" $((2 * N)) 1
check_eq "after the drain: every flow on fw-0, none lost" $N "$(on after 0)"

# by hand; the count survives a restart of qv-controld, and apply keeps it
out=$(qvc vnf scale fw 2)
check_contains "vnf scale" "fw: 2 instance(s)" "$out"
check_contains "manual change logged" "scaling VNF fw: manual: qvctl vnf scale fw 2: 1 -> 2" "$(cat "$T/controld.log")"
stop_pid "$CONTROLD_PID"
controld_start --load-signal-dir "$T/load"
check_eq "the scaled count survives a restart" 2 "$(scaling current)"
check_contains "apply of the same file keeps it" "nothing to change" "$(qvc apply "$T/svc.yaml")"
err=$(qvc vnf scale fw 3 2>&1) && fail "vnf scale past max accepted: $err"
check_contains "past max refused" "VNF 'fw' runs 1..2 instances (its min..max): 3 is outside" "$err"
svc "$T/bad.yaml" 100kpps
err=$(qvc apply "$T/bad.yaml" 2>&1) && fail "a scale-in threshold at scale-out's accepted"
check_contains "bad thresholds refused at FILE:LINE:COL" "bad.yaml:15:17: bad 'scale-in' in the instances of VNF 'fw': its threshold (100kpps) must be below scale-out's (100kpps)" "$err"
check_eq "and nothing changed" 2 "$(scaling current)"
switch_stop
