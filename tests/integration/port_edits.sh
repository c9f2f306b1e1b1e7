#!/bin/bash
# Port edits in the service file reach the switch instead of being ignored: `default` and a
# dpdk port's `queues` are set live (port.set: same port, same index, not re-added); a vhost
# port's `queues` (negotiated with its peer, not live) re-add the port with the new count, and so
# does `vring-stats` (rte_vhost's per-virtqueue counters are chosen when the socket is set up),
# on a vhost port of `ports:` and on every interface port of a VNF.
. "$(dirname "$0")/lib.sh"

switch_start
controld_start
write_svc() { # write_svc NULL_QUEUES NULL_DEFAULT VHOST_QUEUES [VHOST_VRING_STATS VNF_VRING_STATS]
	cat >"$T/svc.yaml" <<Y
switch:
  socket-dir: $T
ports:
  - {name: nul, type: vdev, devargs: "net_null0", queues: $1, default: $2}
  - {name: vh, type: vhost, path: $T/vh.sock, queues: $3${4:+, vring-stats: $4}}
vnfs:
  - {name: rtr, vcpus: 1, memory: 256MiB, kernel: /boot/vmlinuz${5:+, vring-stats: $5}}
chains:
  - {name: c, from: nul, hops: [rtr], to: vh}
Y
}
write_svc 1 drop 1
out=$(qvc apply "$T/svc.yaml") || fail "apply: $out"
check_eq "nul: 1 rx queue" 1 "$(port_field nul rxq)"
check_eq "nul: default drop" drop "$(port_field nul default)"
check_eq "vh: 1 queue pair" 1 "$(port_field vh rxq)"
idx=$(port_field nul index)

write_svc 2 l2 1
out=$(qvc apply "$T/svc.yaml") || fail "apply of the edits: $out"
log "plan: $out"
check_contains "the plan sets them live" "set port default,rxq,txq nul" "$out"
case "$out" in *"replace port"*) fail "a port was replaced for a live edit: $out" ;; esac
check_eq "nul: 2 rx queues now" 2 "$(port_field nul rxq)"
check_eq "nul: 2 tx queues now" 2 "$(port_field nul txq)"
check_eq "nul: default l2 now" l2 "$(port_field nul default)"
check_eq "... on the same port (index)" "$idx" "$(port_field nul index)"
out=$(qvc apply "$T/svc.yaml") || fail "apply again: $out"
check_contains "applied again: nothing left to change" "nothing to change" "$out"

write_svc 2 l2 2
out=$(qvc apply "$T/svc.yaml") || fail "apply of vhost queues: $out"
check_contains "a vhost port's queue count re-adds it" "replace port  vh" "$out"
check_eq "vh: 2 queue pairs now" 2 "$(port_field vh rxq)"
check_eq "the reconcile leaves it so" 0 "$(qvc --json apply --check "$T/svc.yaml" | jq '[.plan.ports_set[], .plan.ports_replace[]] | length')"

# vring-stats: the counters are on by default; off re-adds the port without them
check_eq "vh: rte_vhost's vring counters on by default" true "$(port_field vh vring_stats)"
vnf_ports=$(qjson show ports | jq -r '.ports[] | select(.name | startswith("rtr")) | .name' | sort)
[ -n "$vnf_ports" ] || fail "the VNF's interface ports are not on the switch"
for p in $vnf_ports; do
	check_eq "$p: vring counters on by default" true "$(port_field "$p" vring_stats)"
done
write_svc 2 l2 2 false false
out=$(qvc apply "$T/svc.yaml") || fail "apply of vring-stats: false: $out"
log "plan: $out"
check_contains "vring-stats re-adds the vhost port" "replace port  vh" "$out"
check_eq "vh: without vring counters now" false "$(port_field vh vring_stats)"
check_eq "vh: still 2 queue pairs" 2 "$(port_field vh rxq)"
for p in $vnf_ports; do
	check_contains "vring-stats re-adds the VNF's port $p" "$p" "$out"
	check_eq "$p: without vring counters now" false "$(port_field "$p" vring_stats)"
done
check_eq "nul: untouched (same index)" "$idx" "$(port_field nul index)"
out=$(qvc apply "$T/svc.yaml") || fail "apply again: $out"
check_contains "applied again: nothing left to change" "nothing to change" "$out"
write_svc 2 l2 2 true
out=$(qvc apply "$T/svc.yaml") || fail "apply of vring-stats: true: $out"
check_eq "vh: vring counters back" true "$(port_field vh vring_stats)"
for p in $vnf_ports; do
	check_eq "$p: vring counters back (the key left out)" true "$(port_field "$p" vring_stats)"
done
