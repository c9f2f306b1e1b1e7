#!/bin/bash
# Either daemon restarted: qv-switchd comes back empty (stopped, or killed with -9) and
# qv-controld restores its ports and rules by itself, at once (it watches the switch's socket;
# the VNFs, vhost-user servers as QEMU would be, are reconnected by the switch's client ports)
# and traffic flows again; qv-controld restarted finds its desired
# state on disk and changes nothing on a switch that already matches.
. "$(dirname "$0")/lib.sh"

cat >"$T/svc.yaml" <<Y
switch:
  socket-dir: $T
  vhost-mode: client
ports:
  - {name: uplink, type: vhost, path: $T/uplink.sock, client: true}
  - {name: lan, type: vhost, path: $T/lan.sock, client: true}
vnfs:
  - {name: fw, vcpus: 1, memory: 256MiB, kernel: /boot/vmlinuz}
chains:
  - name: web
    from: uplink
    match: {proto: udp}
    hops: [fw]
    to: lan
    bidirectional: true
Y
$MKPCAP "$T/in.pcap" count=300,proto=udp,flows=30 >/dev/null
vnf_start fw-0 "$T/fw-0-in.sock" "$T/fw-0-out.sock" server
switch_start
controld_start
qvc apply "$T/svc.yaml" >/dev/null
vnf_wait fw-0
ports_up() { [ "$($QVCTL_BIN --switch "$T/sw.sock" --json show ports | jq '[.ports[] | select(.state == "up")] | length')" = "$1" ]; }
traffic() { # traffic NAME: the peer is the vhost-user server of uplink and lan
    peer_run "$1" "$T/uplink.sock,server=1" "$T/lan.sock,server=1" -- --tx "0:$T/in.pcap" \
        --rx 1 --expect 300 --timeout 60 || fail "$1: the chain did not carry 300 packets"
    pass "$1: 300 packets through the chain"
}
wait_until "fw-0 ports up" 60 ports_up 2
traffic before

flows_before=$(qjson show flows | jq -c '[.flows[].text] | sort')
switch_stop
switch_start
wait_until "controld restored the switch's rules" 60 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show flows | jq '.flows | length')\" = 4 ]"
check_eq "rules after the switch restart" "$flows_before" "$(qjson show flows | jq -c '[.flows[].text] | sort')"
check_contains "controld says what it restored" "to restore" "$(cat "$T/controld.log")"
wait_until "fw-0 reconnected" 60 ports_up 2
traffic after-switch-restart

ids_before=$(qjson show flows | jq -c '[.flows[].id]')
stop_pid "$CONTROLD_PID"
controld_start
check_contains "controld restored its desired state" "restored $T/svc.yaml" "$(grep 'ready' "$T/controld.log" | tail -n 1)"
wait_until "controld in sync with the switch" 20 bash -c "$QVCTL_BIN --controld $T/cd.sock --json show controld | jq -e .switch_ok"
check_contains "show controld" "matches it" "$(qvc show controld)"
check_contains "nothing to change after its restart" "nothing to change" "$(qvc apply "$T/svc.yaml")"
check_eq "no rule added twice, none replaced" "$ids_before" "$(qjson show flows | jq -c '[.flows[].id]')"
check_eq "show chains works after the restart" "web" "$(qvc --json show chains | jq -r '.chains[0].name')"
traffic after-controld-restart

# kill -9 of the switch while qv-controld checks it only every 10 minutes: qv-controld watches
# the switch's socket, sees it go and come back, and restores ports and rules then, not at its
# next interval
stop_pid "$CONTROLD_PID"
controld_start --interval 600000
wait_until "controld in sync with the switch" 20 bash -c "$QVCTL_BIN --controld $T/cd.sock --json show controld | jq -e .switch_ok"
gone() { ! alive "$1"; }
kill -KILL "$SWITCH_PID"
wait_until "the killed switch gone" 20 gone "$SWITCH_PID"
wait_until "controld noticed the switch went away" 10 grep -q 'went away' "$T/controld.log"
switch_start
wait_until "controld restored the rules without waiting for its interval" 30 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show flows | jq '.flows | length')\" = 4 ]"
check_eq "rules after kill -9 of the switch" "$flows_before" "$(qjson show flows | jq -c '[.flows[].text] | sort')"
check_contains "controld says the switch is back" "is back: reconciling now" "$(cat "$T/controld.log")"
wait_until "fw-0 reconnected after the kill" 60 ports_up 2
traffic after-switch-kill
