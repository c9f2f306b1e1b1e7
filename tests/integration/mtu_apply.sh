#!/bin/bash
# mtu: in the service definition reaches the switch: a port and a VNF's interfaces get it
# when added, and an edited mtu is applied to the running ports (port.set: same port, same
# index, not re-added); a value over the limit is refused by the loader.
. "$(dirname "$0")/lib.sh"

switch_start
controld_start
write_svc() { # write_svc UPLINK_MTU VNF_MTU
    cat >"$T/svc.yaml" <<Y
switch:
  socket-dir: $T
ports:
  - {name: uplink, type: vhost, path: $T/uplink.sock, mtu: $1}
  - {name: lan, type: vhost, path: $T/lan.sock}
vnfs:
  - {name: rtr, vcpus: 1, memory: 256MiB, kernel: /boot/vmlinuz, mtu: $2}
chains:
  - name: c
    from: uplink
    hops: [rtr]
    to: lan
Y
}
write_svc 9000 9000
qvc apply "$T/svc.yaml" >/dev/null
check_eq "uplink MTU from the YAML" 9000 "$(port_field uplink mtu)"
check_eq "lan: the default" 1500 "$(port_field lan mtu)"
check_eq "the VNF's interface port" 9000 "$(port_field rtr-0-in mtu)"
idx=$(port_field uplink index)
write_svc 4000 9000
out=$(qvc apply "$T/svc.yaml")
check_contains "the plan sets the MTU, no port replaced" "set port mtu  uplink" "$out"
case "$out" in *"replace port"*) fail "a port was replaced for an MTU change: $out" ;; esac
check_eq "uplink MTU edited live" 4000 "$(port_field uplink mtu)"
check_eq "... on the same port (index)" "$idx" "$(port_field uplink index)"
write_svc 9600 9000
out=$(qvc check "$T/svc.yaml" 2>&1) && fail "mtu 9600 accepted"
check_contains "mtu over the limit refused at its line" "svc.yaml:4:76: bad 'mtu'" "$out"
