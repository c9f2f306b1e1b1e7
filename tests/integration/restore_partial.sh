#!/bin/bash
# A restarted qv-switchd whose restore cannot add one port: qv-controld goes on past it, the
# other chain is restored and forwards, `qvctl show controld` names the failing port, its chain
# and the switch's reason, and once the port can be added again a later reconcile brings it
# back and show controld says the switch matches.
. "$(dirname "$0")/lib.sh"

# chain web: uplink -> fw -> lan, as chains_restart (the switch the VNF's and peer's client);
# chain bad: its ingress bin is a vhost-user server socket in $T/bad, a directory that is
# removed while the switch is down, so the restarted switch cannot listen there
mkdir "$T/bad"
cat >"$T/svc.yaml" <<Y
switch:
  socket-dir: $T
  vhost-mode: client
ports:
  - {name: uplink, type: vhost, path: $T/uplink.sock, client: true}
  - {name: lan, type: vhost, path: $T/lan.sock, client: true}
  - {name: bin, type: vhost, path: $T/bad/bin.sock, client: false}
  - {name: bout, type: vhost, path: $T/bout.sock, client: true}
vnfs:
  - {name: fw, vcpus: 1, memory: 256MiB, kernel: /boot/vmlinuz}
  - {name: fw2, vcpus: 1, memory: 256MiB, kernel: /boot/vmlinuz}
chains:
  - {name: web, from: uplink, match: {proto: udp}, hops: [fw], to: lan}
  - {name: bad, from: bin, match: {proto: udp}, hops: [fw2], to: bout}
Y
$MKPCAP "$T/in.pcap" count=300,proto=udp,flows=30 >/dev/null
vnf_start fw-0 "$T/fw-0-in.sock" "$T/fw-0-out.sock" server
switch_start
controld_start
qvc apply "$T/svc.yaml" >/dev/null
vnf_wait fw-0
n_ports() { qjson show ports | jq '.ports | length'; }
port_up() { [ "$(port_field "$1" state)" = up ]; }
check_eq "ports after the apply" 8 "$(n_ports)"
n_rules=$(qjson show flows | jq '.flows | length')

# port.add_batch, which the restore uses: a malformed batch is refused whole, naming what is
# wrong; in a good one each port stands alone (one refused, the next still added)
out=$(qvctl call port.add_batch '{"ports": []}' 2>&1) && fail "an empty batch was accepted: $out"
check_contains "an empty batch is refused" "parameter 'ports' must be an array of 1..1024" "$out"
out=$(qvctl call port.add_batch "{\"ports\": [{\"name\": \"extra\", \"type\": \"vhost\", \"path\": \"$T/extra.sock\", \"client\": true}, 5]}" 2>&1) &&
    fail "a batch with a number in it was accepted: $out"
check_contains "a batch with a number in it is refused" "ports[1] must be an object" "$out"
check_eq "... and adds nothing" 8 "$(n_ports)"
out=$(qvctl --json call port.add_batch "{\"ports\": [{\"name\": \"uplink\", \"type\": \"vhost\", \"path\": \"$T/u2.sock\", \"client\": true}, {\"name\": \"extra\", \"type\": \"vhost\", \"path\": \"$T/extra.sock\", \"client\": true}]}") ||
    fail "port.add_batch: $out"
check_eq "a batch: the refused port named" "uplink 0" "$(echo "$out" | jq -r '.failed[] | "\(.name) \(.index_in_batch)"')"
check_contains "a batch: and why" "already exists" "$(echo "$out" | jq -r '.failed[0].error')"
check_eq "a batch: the next port added" extra "$(echo "$out" | jq -r '.added[].name')"
qvctl port del extra >/dev/null || fail "port del extra"

# the switch killed, the bad chain's socket directory gone: its port cannot be added
kill -KILL "$SWITCH_PID"
gone() { ! alive "$1"; }
wait_until "the killed switch gone" 20 gone "$SWITCH_PID"
rm -rf "$T/bad"
switch_start
wait_until "controld restored what it could" 60 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq '.ports | length')\" = 7 ]"
# the bad chain's rule from bin waits for its port (the switch takes no rule naming a port
# it does not have); the others are back
n_rules_of() { qjson show flows | jq '.flows | length'; }
wait_until "controld restored the other rules" 30 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show flows | jq '.flows | length')\" = $((n_rules - 1)) ]"
check_eq "no rule from the missing port" "" "$(qjson show flows | jq -r '.flows[].text | select(startswith("in=bin,"))')"
check_eq "the failing port is the one missing" "" "$(qjson show ports | jq -r '.ports[] | select(.name == "bin") | .name')"
wait_until "fw-0 reconnected" 60 port_up fw-0-in
wait_until "fw-0 out reconnected" 60 port_up fw-0-out
peer_run good "$T/uplink.sock,server=1" "$T/lan.sock,server=1" -- --tx "0:$T/in.pcap" \
    --rx 1 --expect 300 --timeout 60 || fail "the good chain did not carry 300 packets"
pass "the good chain forwards while the other one's port cannot be added"
show=$(qvc show controld)
check_contains "show controld: not in sync" "not in sync" "$show"
check_contains "show controld names the port and its chain" "port bin (chain bad)" "$show"
check_contains "show controld gives the switch's reason (its confinement check names the missing directory)" "$T/bad does not exist" "$show"
check_eq "switch_ok in --json" false "$(qvc --json show controld | jq .switch_ok)"
check_contains "the log names it too" "port bin (chain bad)" "$(cat "$T/controld.log")"

# the directory back: a retry adds the port, and the state is clean again
mkdir "$T/bad"
wait_until "controld in sync once the port can be added" 60 bash -c "$QVCTL_BIN --controld $T/cd.sock --json show controld | jq -e .switch_ok"
check_eq "ports once the port could be added" 8 "$(n_ports)"
check_eq "its rule too" "$n_rules" "$(n_rules_of)"
check_contains "show controld after the retry" "matches it" "$(qvc show controld)"
