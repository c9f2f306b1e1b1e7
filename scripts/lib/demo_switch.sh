# shellcheck shell=bash
# demo_switch.sh - scripts/demo.sh --switch-only (sourced): qv-switchd alone with two vhost-user
# ports and a rule each way (the embedded start-up file below), traffic both ways from one
# virtio-user peer (the stand-in for two VMs), then show ports/flows/pmd/drops and the rate.
W=$(mktemp -d /tmp/qwikvirt-demo.XXXXXX)
on_exit rm -rf "$W"

# The embedded configuration: JSON-RPC requests qv-switchd runs at start (--startup).
cat >"$W/startup.jsonl" <<CONF
{"jsonrpc":"2.0","id":1,"method":"port.add","params":{"name":"vm1","type":"vhost","path":"$W/vm1.sock"}}
{"jsonrpc":"2.0","id":2,"method":"port.add","params":{"name":"vm2","type":"vhost","path":"$W/vm2.sock"}}
{"jsonrpc":"2.0","id":3,"method":"flow.add","params":{"flow":"in=vm1,eth-type=ipv4 actions=output:vm2"}}
{"jsonrpc":"2.0","id":4,"method":"flow.add","params":{"flow":"in=vm2,eth-type=ipv4 actions=output:vm1"}}
CONF

step "starting qv-switchd (PMD on CPU 1, control socket $W/sw.sock)"
taskset -c 0 "$B/dataplane/qv-switchd" --socket "$W/sw.sock" --pmd-cores 1 --main-core 0 \
	--file-prefix "qvdemo$$" --startup "$W/startup.jsonl" >"$W/switch.log" 2>&1 &
SW=$!
on_exit proc_stop $SW 20
switch_ready() { grep -q 'qv-switchd: ready' "$W/switch.log" || ! proc_alive $SW; }
wait_for 60 switch_ready && proc_alive $SW || { tail -20 "$W/switch.log"; die "qv-switchd did not start"; }
qvctl() { "$qvctl_bin" --switch "$W/sw.sock" "$@"; }

step "traffic: ${SIZE}-byte UDP frames, 64 flows each way, vm1 <-> vm2 for ${DUR}s"
taskset -c 0 "$B/tests/tools/qv-peer" --lcores 0@0 --no-pci --in-memory --single-file-segments \
	-m 256 --file-prefix "qvdemopeer$$" --log-level=user1,8 \
	--vdev "net_virtio_user0,path=$W/vm1.sock,queue_size=1024" \
	--vdev "net_virtio_user1,path=$W/vm2.sock,queue_size=1024" -- \
	--gen "0:$SIZE:64" --gen "1:$SIZE:64" --gen-mac 02:00:00:00:00:01,02:00:00:00:00:02 \
	--rx 0 --rx 1 --duration "$DUR" --stats 1 --json "$W/peer.json" 2>"$W/peer.log" &
PEER=$!
on_exit proc_stop $PEER
# a look at the ports while the traffic runs (a demo may sleep; the tests never do)
sleep $((DUR > 2 ? DUR - 1 : 1))
step "qvctl show ports (during the run)"
qvctl show ports
wait $PEER || { tail -20 "$W/peer.log"; die "the traffic peer failed"; }
step "qvctl show flows"
qvctl show flows
step "qvctl show pmd"
qvctl show pmd
step "qvctl show drops"
qvctl show drops
[ "$(jq .rx "$W/peer.json")" -gt 0 ] || die "no packet came back through the switch"
jq -r '"== rate: \(.rx_pps / 1e6 * 1000 | round / 1000) Mpps forwarded (both directions, \(.rx) packets in \(.elapsed_s * 100 | round / 100) s)"' "$W/peer.json"
