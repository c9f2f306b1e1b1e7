#!/bin/bash
# bandwidth: in a service definition reaches the switch's policers through qv-controld: a
# port's and a VNF's (its interfaces'), changed by a new apply, removed when the file drops
# it, and restored by reconciliation when someone turns one off behind qv-controld's back.
. "$(dirname "$0")/lib.sh"

switch_start
controld_start
write_svc() { # write_svc UPLINK-BANDWIDTH-LINE
    cat >"$T/svc.yaml" <<Y
switch:
  socket-dir: $T
ports:
  - name: uplink
    type: vhost
    path: $T/uplink.sock
$1
  - {name: lan, type: vhost, path: $T/lan.sock}
vnfs:
  - name: fw
    vcpus: 1
    memory: 256MiB
    kernel: /boot/vmlinuz
    bandwidth: {rate: 500Mbit, burst: 64KiB}
    interfaces: [{name: in, bandwidth: {egress: {rate: 10kpps, burst: 64pkt}}}, out]
chains:
  - {name: web, from: uplink, match: {proto: tcp}, hops: [fw], to: lan}
Y
}
pol() { qjson show ports | jq -c --arg n "$1" '.ports[] | select(.name == $n) | .police // {}'; }

write_svc "    bandwidth: 2Gbit"
qvc apply "$T/svc.yaml" >/dev/null
check_eq "uplink: 2Gbit each way" '["bit",2000000000,"bit",2000000000]' \
    "$(pol uplink | jq -c '[.ingress.unit, .ingress.rate, .egress.unit, .egress.rate]')"
check_eq "fw's out: the VNF's 500Mbit, 64KiB burst" '[500000000,65536,500000000]' \
    "$(pol fw-0-out | jq -c '[.ingress.rate, .ingress.burst, .egress.rate]')"
check_eq "fw's in: its own egress 10kpps only" '{"egress":["packet",10000,64]}' \
    "$(pol fw-0-in | jq -c 'map_values([.unit, .rate, .burst])')"
check_contains "show ports prints the policers" "police egress 10kpps burst 64pkt" \
    "$(qvctl show ports)"

write_svc "    bandwidth: {ingress: {rate: 1Gbit, burst: 128KiB, peak: 2Gbit}}"
plan=$(qvc --json apply --check "$T/svc.yaml")
check_eq "plan: the uplink's two policers change, nothing else" "uplink/ingress uplink/egress" \
    "$(jq -r '[.plan.police[] | "\(.name)/\(.dir)"] | join(" ")' <<<"$plan")"
qvc apply "$T/svc.yaml" >/dev/null
check_eq "uplink: trTCM ingress, no egress" '["trtcm",1000000000,131072,2000000000,null]' \
    "$(pol uplink | jq -c '[.ingress.mode, .ingress.rate, .ingress.burst, .ingress.peak_rate, .egress]')"

write_svc ""
qvc apply "$T/svc.yaml" >/dev/null
check_eq "uplink: no policer once the file drops it" '{}' "$(pol uplink)"

# behind qv-controld's back: reconciliation puts it back
qvctl port set fw-0-out --police off >/dev/null
wait_until "fw-0-out's ingress policer restored" 20 \
    bash -c "$QVCTL_BIN --switch $T/sw.sock --json show ports | jq -e '.ports[] | select(.name == \"fw-0-out\") | .police.ingress.rate == 500000000'"
pass "reconciliation restored fw-0-out's policer"

# nonsense is refused before anything changes, with the file position
write_svc "    bandwidth: {rate: 1Gbit, burst: 100B}"
out=$(qvc apply "$T/svc.yaml" 2>&1) && fail "a 100-byte burst was applied"
check_contains "bad burst refused at its line and column" "svc.yaml:7:37: bad 'burst'" "$out"
check_contains "with the limit" "at least 1522B" "$out"
