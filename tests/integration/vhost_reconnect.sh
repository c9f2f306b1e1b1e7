#!/bin/bash
# vhost-user peers that go away and come back: the port goes down cleanly and up again, traffic
# resumes, and a second chain keeps forwarding without losing a packet meanwhile. The switch
# as vhost-user client (QEMU as server) reconnects by itself when the server restarts.
. "$(dirname "$0")/lib.sh"

switch_start
for p in a b c d; do qvctl port add $p vhost "$T/$p.sock" >/dev/null; done
qvctl port add e vhost "$T/e.sock" --client >/dev/null
qvctl port add f vhost "$T/f.sock" >/dev/null
qvctl flow add 'in=a actions=output:b' >/dev/null
qvctl flow add 'in=c actions=output:d' >/dev/null
qvctl flow add 'in=e actions=output:f' >/dev/null
$MKPCAP "$T/in.pcap" count=500,seq >/dev/null
state_is() { [ "$(port_field "$1" state)" = "$2" ]; }

check_eq "a down before any peer" down "$(port_field a state)"
check_eq "client port e down while its server is absent" down "$(port_field e state)"

# the bystander chain c -> d runs paced traffic through the whole exercise
peer_bg bystander "$T/c.sock" "$T/d.sock" -- --gen 0:64:16 --count 300000 --rate 50000 \
    --window 256 --rx 1 --expect 300000 --timeout 90 --json "$T/bystander.json"
BYSTANDER=$PEER_PID
wait_until "c up" 30 state_is c up

for round in 1 2 3; do
    peer_run "ab$round" "$T/a.sock" "$T/b.sock" -- --tx "0:$T/in.pcap" --rx 1 --expect 500 \
        --timeout 30 || fail "round $round: a -> b did not deliver 500 packets"
    pass "round $round: 500 packets a -> b"
    wait_until "a down after peer $round left" 20 state_is a down
    wait_until "b down after peer $round left" 20 state_is b down
    pass "round $round: a and b went down when the peer left"
    kill -0 "$BYSTANDER" 2>/dev/null || break
done
check_eq "a rx over three peers" 1500 "$(port_field a rx_packets)"

# switch as client: the peer is the vhost-user server on e.sock, started after the port
for round in 1 2; do
    peer_run "ef$round" "$T/e.sock,server=1" "$T/f.sock" -- --tx "0:$T/in.pcap" --rx 1 \
        --expect 500 --timeout 40 || fail "client round $round: e -> f did not deliver"
    pass "client round $round: switch (re)connected to the server, 500 packets e -> f"
    wait_until "e down after its server left" 20 state_is e down
done

wait "$BYSTANDER" || fail "bystander chain c -> d lost packets (see peer-bystander.log)"
check_eq "bystander packets delivered" 300000 "$(jq .rx "$T/bystander.json")"
check_eq "bystander window releases" 0 "$(jq .window_released "$T/bystander.json")"
check_eq "drops on c" 0 "$(qjson show ports | jq '[.ports[] | select(.name=="c") | .drops[]] | add')"
