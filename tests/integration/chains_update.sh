#!/bin/bash
# An edited service definition applied under traffic: only what differs changes (the plan
# says so, the untouched chain's rules keep their ids), and the untouched chain loses no
# packet while the edited chain's rules and a new VNF's ports come and go.
. "$(dirname "$0")/lib.sh"

switch_start
controld_start
write_svc() { # write_svc EDIT_PORT EXTRA_VNF(yes|no)
    cat >"$T/svc.yaml" <<Y
switch:
  socket-dir: $T
ports:
  - {name: uplink, type: vhost, path: $T/uplink.sock}
  - {name: lan, type: vhost, path: $T/lan.sock}
vnfs:
  - {name: rtr, vcpus: 1, memory: 256MiB, kernel: /boot/vmlinuz}
  - {name: fw, vcpus: 1, memory: 256MiB, kernel: /boot/vmlinuz}
$([ "$2" = yes ] && echo "  - {name: ids, vcpus: 1, memory: 256MiB, kernel: /boot/vmlinuz}")
chains:
  - name: keep
    from: uplink
    match: {proto: udp, dst-port: 80}
    hops: [rtr]
    to: lan
  - name: edit
    from: uplink
    match: {proto: tcp, dst-port: $1}
    hops: [$([ "$2" = yes ] && echo "fw, ids" || echo fw)]
    to: lan
Y
}
write_svc 8080 no
qvc apply "$T/svc.yaml" >/dev/null
keep_ids() { qjson show flows | jq -c '[.flows[] | select(.match | test("dst-port=80,")) | .id]'; }
ids_before=$(keep_ids)
vnf_start rtr-0 "$T/rtr-0-in.sock" "$T/rtr-0-out.sock"
vnf_start fw-0 "$T/fw-0-in.sock" "$T/fw-0-out.sock"
vnf_wait rtr-0 fw-0

# the untouched chain 'keep' (UDP/80) carries paced traffic with a bounded window
peer_bg keep "$T/uplink.sock" "$T/lan.sock" -- --gen 0:64:64 --count 150000 --rate 25000 \
    --window 256 --rx 1 --expect 150000 --timeout 120 --json "$T/keep.json"
wait_until "traffic on chain keep" 60 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq '.ports[] | select(.name==\"lan\") | .tx_packets')\" -gt 1000 ]"

write_svc 8081 yes
plan=$(qvc --json apply --check "$T/svc.yaml")
check_eq "plan: ports to add" "ids-0-in ids-0-out" "$(jq -r '[.plan.ports_add[].name] | sort | join(" ")' <<<"$plan")"
check_eq "plan: rules to add / delete (only chain edit's)" "3 2" \
    "$(jq -r '"\(.plan.rules_add | length) \(.plan.rules_del | length)"' <<<"$plan")"
check_eq "plan touches no rule of chain keep" 0 \
    "$(jq '[.plan.rules_add[], .plan.rules_del[].text] | map(select(test("dst-port=80,"))) | length' <<<"$plan")"
edits=0
while kill -0 "$PEER_PID" 2>/dev/null && [ $edits -lt 6 ]; do
    qvc apply "$T/svc.yaml" >/dev/null        # 8081 with ids
    write_svc 8080 no
    qvc apply "$T/svc.yaml" >/dev/null        # back
    write_svc 8081 yes
    edits=$((edits + 1))
done
[ $edits -ge 1 ] || fail "no edit happened under traffic"
pass "$edits edit round trips applied under traffic"
wait "$PEER_PID" || fail "chain keep lost packets during the edits (see peer-keep.log)"
check_eq "chain keep: packets delivered" 150000 "$(jq .rx "$T/keep.json")"
check_eq "chain keep: window releases" 0 "$(jq .window_released "$T/keep.json")"
check_eq "chain keep: its rules kept their ids" "$ids_before" "$(keep_ids)"
qvc apply "$T/svc.yaml" >/dev/null
check_eq "after the last apply: chain edit matches 8081" 3 \
    "$(qjson show flows | jq '[.flows[] | select(.match | test("dst-port=8081"))] | length')"
check_eq "the ids ports exist" 2 "$(qjson show ports | jq '[.ports[] | select(.name | startswith("ids-"))] | length')"
