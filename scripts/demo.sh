#!/bin/bash
# demo.sh - see qwikvirt switch packets: installs what is missing (Debian 12, root), allocates
# hugepages, builds, starts qv-switchd with two vhost-user ports and a rule each way (the
# embedded configuration below), pushes real traffic through it from a virtio-user peer (the
# stand-in for two VMs) for DURATION seconds, shows `qvctl show ports/flows/pmd` and the rate,
# and stops everything it started.
#
#   scripts/demo.sh [--duration S] [--size BYTES] [--no-setup]
#
# Layout on a 2-CPU host: qv-switchd's PMD busy-polls CPU 1; the peer, the control thread and
# everything else share CPU 0.
set -euo pipefail
cd "$(dirname "$0")/.."

DUR=5 SIZE=64 SETUP=1
while [ $# -gt 0 ]; do
    case $1 in
    --duration) DUR=$2; shift ;;
    --size) SIZE=$2; shift ;;
    --no-setup) SETUP=0 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done

if [ $SETUP = 1 ]; then
    scripts/setup-host.sh
    scripts/build.sh build >/dev/null
fi
B=build
W=$(mktemp -d /tmp/qwikvirt-demo.XXXXXX)
PIDS=()
cleanup() {
    set +e
    for p in "${PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    wait 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The embedded configuration: JSON-RPC requests qv-switchd runs at start (--startup).
cat >"$W/startup.jsonl" <<CONF
{"jsonrpc":"2.0","id":1,"method":"port.add","params":{"name":"vm1","type":"vhost","path":"$W/vm1.sock"}}
{"jsonrpc":"2.0","id":2,"method":"port.add","params":{"name":"vm2","type":"vhost","path":"$W/vm2.sock"}}
{"jsonrpc":"2.0","id":3,"method":"flow.add","params":{"flow":"in=vm1,eth-type=ipv4 actions=output:vm2"}}
{"jsonrpc":"2.0","id":4,"method":"flow.add","params":{"flow":"in=vm2,eth-type=ipv4 actions=output:vm1"}}
CONF

echo "== starting qv-switchd (PMD on CPU 1, control socket $W/sw.sock)"
taskset -c 0 "$B/dataplane/qv-switchd" --socket "$W/sw.sock" --pmd-cores 1 --main-core 0 \
    --file-prefix "qvdemo$$" --startup "$W/startup.jsonl" >"$W/switch.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 600); do
    grep -q 'qv-switchd: ready' "$W/switch.log" && break
    kill -0 "${PIDS[0]}" 2>/dev/null || { tail -20 "$W/switch.log"; exit 1; }
    sleep 0.1
done
grep -q 'qv-switchd: ready' "$W/switch.log" || { tail -20 "$W/switch.log"; exit 1; }
qvctl() { "$B/control/qvctl/qvctl" --switch "$W/sw.sock" "$@"; }

echo "== traffic: ${SIZE}-byte UDP frames, 64 flows each way, vm1 <-> vm2 for ${DUR}s"
taskset -c 0 "$B/tests/tools/qv-peer" --lcores 0@0 --no-pci --in-memory --single-file-segments \
    -m 256 --file-prefix "qvdemopeer$$" --log-level=user1,8 \
    --vdev "net_virtio_user0,path=$W/vm1.sock,queue_size=1024" \
    --vdev "net_virtio_user1,path=$W/vm2.sock,queue_size=1024" -- \
    --gen "0:$SIZE:64" --gen "1:$SIZE:64" --gen-mac 02:00:00:00:00:01,02:00:00:00:00:02 \
    --rx 0 --rx 1 --duration "$DUR" --stats 1 --json "$W/peer.json" 2>"$W/peer.log" &
PEER=$!
PIDS+=($PEER)
# a look at the ports while the traffic runs (a demo may sleep; the tests never do)
sleep $(( DUR > 2 ? DUR - 1 : 1 ))
echo
echo "== qvctl show ports (during the run)"
qvctl show ports
echo
wait $PEER || { tail -20 "$W/peer.log"; exit 1; }
echo
echo "== qvctl show flows"
qvctl show flows
echo
echo "== qvctl show pmd"
qvctl show pmd
echo
echo "== qvctl show drops"
qvctl show drops
echo
jq -r '"== rate: \(.rx_pps / 1e6 * 1000 | round / 1000) Mpps forwarded (both directions, \(.rx) packets in \(.elapsed_s * 100 | round / 100) s)"' "$W/peer.json"
echo "== stopping"
