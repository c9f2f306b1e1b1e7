#!/bin/bash
# Jumbo frames end to end between vhost-user ports: virtio-user peers (mergeable rx buffers)
# send 9014 B frames (9000 B IP packets) through a rule that pushes a VLAN tag, and back
# through a plain one. They arrive counted and byte-exact (the peer's pcap against the
# switch's own capture of what it received); a frame above the output port's MTU is counted
# as mtu-exceeded, never as bad-header. The MTU a guest's device negotiated is shown with its
# port.
. "$(dirname "$0")/lib.sh"
here=$(dirname "$0")
tocap() { tshark -r "$1" -F pcap -w "$2" 2>/dev/null; } # pcapng -> pcap, for the comparisons

switch_start
qvctl port add a vhost "$T/a.sock" --mtu 9000 >/dev/null
qvctl port add b vhost "$T/b.sock" --mtu 9000 >/dev/null
check_eq "vhost port MTU" 9000 "$(port_field a mtu)"
out=$(qvctl port set a --mtu 9500 2>&1) && fail "MTU 9500 accepted"
check_contains "MTU over the switch's limit refused, naming it" "68..9194" "$out"
qvctl flow add 'in=a actions=push-vlan:100,output:b' >/dev/null
qvctl flow add 'in=b actions=output:a' >/dev/null
qvctl capture start a --dir rx --file "$T/a-rx.pcapng" >/dev/null
qvctl capture start b --dir tx --file "$T/b-tx.pcapng" >/dev/null
qvctl capture start a --dir tx --file "$T/a-tx.pcapng" >/dev/null

peer_run big "$T/a.sock" "$T/b.sock" -- --gen 0:9014:8 --gen 1:9014:8 --count 200 --rate 4000 \
    --rx 0:"$T/got-a.pcap" --rx 1:"$T/got-b.pcap" --expect 400 --timeout 60 --json "$T/big.json" ||
    fail "the jumbo run failed (see peer-big.log)"
check_eq "frames delivered" 400 "$(jq .rx "$T/big.json")"
check_eq "a -> b (tagged) tx" 200 "$(port_field b tx_packets)"
check_eq "b -> a tx" 200 "$(port_field a tx_packets)"
check_eq "bytes a -> b" $((200 * 9018)) "$(port_field b tx_bytes)"
check_eq "no drops" 0 "$(qjson show ports | jq '[.ports[].drops[]] | add')"
for id in $(qjson capture list | jq -r '.captures[] | select(.state == "running") | .id'); do
    qvctl capture stop "$id" >/dev/null
done
tocap "$T/a-rx.pcapng" "$T/a-rx.pcap"
tocap "$T/b-tx.pcapng" "$T/b-tx.pcap"
tocap "$T/a-tx.pcapng" "$T/a-tx.pcap"
out=$(python3 "$here/jumbo_compare.py" "$T/a-rx.pcap" "$T/got-b.pcap" 100) || fail "a -> b: $out"
pass "a -> b: $out"
out=$(python3 "$here/pcap_compare.py" "$T/got-b.pcap" "$T/b-tx.pcap") || fail "b's capture: $out"
pass "what b's peer got = the switch's capture of b tx: $out"
out=$(python3 "$here/pcap_compare.py" "$T/got-a.pcap" "$T/a-tx.pcap") || fail "a's capture: $out"
pass "what a's peer got = the switch's capture of a tx: $out"

# b's MTU lowered: a's 9000 B packets (9004 with their tag) no longer fit
qvctl port set b --mtu 8000 >/dev/null
check_eq "b MTU now" 8000 "$(port_field b mtu)"
peer_run over "$T/a.sock" "$T/b.sock" -- --gen 0:9014:8 --count 50 --rate 4000 --rx 1 \
    --linger 500 --timeout 30 --json "$T/over.json" || true
check_eq "frames over b's MTU counted as mtu-exceeded" 50 "$(port_field a 'drops["mtu-exceeded"]')"
check_eq "... not as bad-header" 0 "$(port_field a 'drops["bad-header"]')"
check_eq "b sent none of them" 200 "$(port_field b tx_packets)"

# The MTU a guest's device negotiated (VIRTIO_NET_F_MTU, QEMU's host_mtu=) is shown with the
# port. A virtio-user peer negotiates none (it never sends one); a front-end that does what
# QEMU does with host_mtu=9000 does.
qvctl port add g vhost "$T/g.sock" --mtu 9000 >/dev/null
check_eq "no guest: no guest MTU" 0 "$(port_field g guest_mtu)"
python3 "$here/vhost_mtu_frontend.py" "$T/g.sock" 9000 "$T/g.stop" >"$T/frontend.log" 2>&1 &
PIDS+=($!)
wait_until "g up with the front-end" 60 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq -r '.ports[] | select(.name==\"g\") | .state')\" = up ]"
check_eq "the guest's negotiated MTU in port.list" 9000 "$(port_field g guest_mtu)"
check_contains "... and in show port g" "guest_mtu      9000" "$(qvctl show port g)"
touch "$T/g.stop"
wait_until "g down once the front-end left" 20 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq -r '.ports[] | select(.name==\"g\") | .state')\" = down ]"
check_eq "no guest MTU once it left" 0 "$(port_field g guest_mtu)"
peer_bg vu "$T/g.sock" -- --rx 0 --timeout 120
wait_until "g up with a virtio-user peer" 60 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq -r '.ports[] | select(.name==\"g\") | .state')\" = up ]"
check_eq "virtio-user negotiates no MTU" 0 "$(port_field g guest_mtu)"
