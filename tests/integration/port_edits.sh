#!/bin/bash
# Port edits in the service file reach the switch instead of being ignored: `default` and a
# dpdk port's `queues` are set live (port.set: same port, same index, not re-added); a vhost
# port's `queues` (negotiated with its peer, not live) re-add the port with the new count.
. "$(dirname "$0")/lib.sh"

switch_start
controld_start
write_svc() { # write_svc NULL_QUEUES NULL_DEFAULT VHOST_QUEUES
	cat >"$T/svc.yaml" <<Y
switch:
  socket-dir: $T
ports:
  - {name: nul, type: vdev, devargs: "net_null0", queues: $1, default: $2}
  - {name: vh, type: vhost, path: $T/vh.sock, queues: $3}
vnfs:
  - {name: rtr, vcpus: 1, memory: 256MiB, kernel: /boot/vmlinuz}
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
