#!/bin/bash
# Service chains end to end through qv-controld: a YAML file applied with `qvctl apply`, VNFs
# stood in by testpmd (io forwarding between their two vhost-user ports), traffic from a
# virtio-user peer: a two-hop chain, a group of two instances with symmetric balancing checked
# per flow in both directions (bidirectional chain), `show chains` counters, and a file with
# errors refused with FILE:LINE:COL messages and nothing applied.
. "$(dirname "$0")/lib.sh"

switch_start
controld_start
cat >"$T/svc.yaml" <<Y
switch:
  socket-dir: $T
ports:
  - {name: uplink, type: vhost, path: $T/uplink.sock}
  - {name: lan, type: vhost, path: $T/lan.sock}
vnfs:
  - {name: fw, instances: 2, vcpus: 1, memory: 256MiB, kernel: /boot/vmlinuz}
  - {name: rtr, vcpus: 1, memory: 256MiB, kernel: /boot/vmlinuz}
chains:
  - name: web
    from: uplink
    match: {proto: udp, dst-port: 80}
    hops: [{group: [fw], balance: symmetric}, rtr]
    to: lan
    bidirectional: true
Y
out=$(qvc apply --check "$T/svc.yaml")
check_contains "check prints the plan" "16 change(s) planned, nothing changed" "$out"
check_eq "check changed nothing" 0 "$(qjson show ports | jq '.ports | length')"
qvc apply "$T/svc.yaml" >/dev/null
check_eq "ports created" "fw-0-in fw-0-out fw-1-in fw-1-out lan rtr-0-in rtr-0-out uplink" \
    "$(qjson show ports | jq -r '[.ports[].name] | sort | join(" ")')"
check_eq "rules created" 8 "$(qjson show flows | jq '.flows | length')"
check_contains "applying again changes nothing" "nothing to change" "$(qvc apply "$T/svc.yaml")"
# switch settings the daemons take from their command lines: applied with a warning that says so
sed "s|^  socket-dir: $T|  socket-dir: $T\\n  pmd-cores: [$CTL_CPU]\\n  control-socket: /run/elsewhere.sock|" \
    "$T/svc.yaml" >"$T/svc-sw.yaml"
err=$(qvc apply --check "$T/svc-sw.yaml" 2>&1 >/dev/null) || fail "check with switch settings: $err"
check_contains "warning: PMD cores" "qvctl: warning: switch.pmd-cores is [$CTL_CPU], but qv-switchd polls on CPU(s) $PMD_CPU: restart it with --pmd-cores $CTL_CPU" "$err"
check_contains "warning: control socket" "qvctl: warning: switch.control-socket is /run/elsewhere.sock, but qv-controld drives the qv-switchd at $T/sw.sock" "$err"

for v in fw-0 fw-1 rtr-0; do vnf_start "$v" "$T/$v-in.sock" "$T/$v-out.sock"; done
vnf_wait fw-0 fw-1 rtr-0
wait_until "VNF ports up" 60 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq '[.ports[] | select(.name | test(\"-(in|out)\$\")) | select(.state == \"up\")] | length')\" = 6 ]"

# 64 flows forward (uplink -> lan) and their replies (lan -> uplink), plus packets no chain takes
fwd=() rev=()
for i in $(seq 0 63); do
    fwd+=("ip-src=10.0.0.1,ip-dst=10.0.0.2,proto=udp,src-port=$((3000 + i)),dst-port=80")
    rev+=("ip-src=10.0.0.2,ip-dst=10.0.0.1,proto=udp,src-port=80,dst-port=$((3000 + i))")
done
$MKPCAP "$T/fwd.pcap" "${fwd[@]}" count=10,proto=udp,dst-port=53 >/dev/null
$MKPCAP "$T/rev.pcap" "${rev[@]}" >/dev/null
# which instance each flow crosses: the switch's own capture on the instances' ports
qvc capture start fw-0-in --dir tx --file "$T/fw0-fwd.pcapng" >/dev/null
qvc capture start fw-0-out --dir tx --file "$T/fw0-rev.pcapng" >/dev/null
qvc capture start fw-1-in --dir tx --file "$T/fw1-fwd.pcapng" >/dev/null
qvc capture start fw-1-out --dir tx --file "$T/fw1-rev.pcapng" >/dev/null
peer_run e2e "$T/uplink.sock" "$T/lan.sock" -- --tx "0:$T/fwd.pcap" --tx "1:$T/rev.pcap" \
    --rx "0:$T/at-uplink.pcap" --rx "1:$T/at-lan.pcap" --expect 128 --timeout 60 ||
    fail "not every flow made it through the chain (see peer-e2e.log)"
check_eq "forward flows arrived on lan" 64 "$(tshark -r "$T/at-lan.pcap" -Y 'udp.dstport == 80' 2>/dev/null | wc -l)"
check_eq "replies arrived on uplink" 64 "$(tshark -r "$T/at-uplink.pcap" -Y 'udp.srcport == 80' 2>/dev/null | wc -l)"
for id in $(qjson capture list | jq -r '.captures[] | select(.state == "running") | .id'); do
    qvc capture stop "$id" >/dev/null
done
flows() { tshark -r "$1" -T fields -e "$2" 2>/dev/null | sort -n | tr '\n' ' '; }
f0=$(flows "$T/fw0-fwd.pcapng" udp.srcport) r0=$(flows "$T/fw0-rev.pcapng" udp.dstport)
f1=$(flows "$T/fw1-fwd.pcapng" udp.srcport) r1=$(flows "$T/fw1-rev.pcapng" udp.dstport)
check_eq "fw-0: replies are exactly its flows" "$f0" "$r0"
check_eq "fw-1: replies are exactly its flows" "$f1" "$r1"
n0=$(wc -w <<<"$f0") n1=$(wc -w <<<"$f1")
check_eq "each flow through exactly one instance" 64 $((n0 + n1))
[ "$n0" -gt 0 ] && [ "$n1" -gt 0 ] || fail "flows not spread: $n0 / $n1"
pass "flows spread over the group: $n0 / $n1"
check_eq "packets no chain takes: dropped as no-match on uplink" 10 \
    "$(port_field uplink 'drops["no-match"]')"

chains=$(qvc --json show chains)
check_eq "show chains: hops" "uplink fw rtr lan" "$(jq -r '[.chains[0].hops[].hop] | join(" ")' <<<"$chains")"
check_eq "show chains: rtr-0-in carried both directions" 128 \
    "$(jq '[.chains[0].hops[2].ports[] | select(.port == "rtr-0-in") | .tx_packets + .rx_packets] | add' <<<"$chains")"
check_eq "show chains: rule hits (3 rules on each flow's way, each way)" $((64 * 3 * 2)) \
    "$(jq '.chains[0].hits' <<<"$chains")"
check_eq "show chains: the group's 64 flows over fw-0-in and fw-1-in (flow affinity)" 64 \
    "$(jq '[.chains[0].hops[1].ports[] | select(.port | test("-in$")) | .flows] | add' <<<"$chains")"
check_contains "show chains (table)" "chain web: uplink -> fw (group) -> rtr -> lan, bidirectional" "$(qvc show chains)"

# a file with errors: all reported, nothing applied
before=$(qjson show flows | jq -c '[.flows[].text]')
sed 's/hops:/hopz:/; s/to: lan/to: lann/' "$T/svc.yaml" >"$T/bad.yaml"
rc=0
out=$(qvc apply "$T/bad.yaml" 2>&1) || rc=$?
check_eq "bad file: exit status" 1 "$rc"
check_contains "unknown key with line:column" "$T/bad.yaml:13:5: unknown key 'hopz' in chain 'web'" "$out"
check_contains "undefined port reported too" "unknown port 'lann'" "$out"
check_contains "nothing applied" "nothing was applied" "$out"
check_eq "rules unchanged" "$before" "$(qjson show flows | jq -c '[.flows[].text]')"
