#!/bin/bash
# 256 vhost-user ports on one switch (past the old 64-port table), each with a virtio-user peer
# at once (eight peer processes of 32 ethdevs, DPDK's limit per process here): every port is
# listed and up in `qvctl show ports` and DPDK telemetry, an idle port's memory is reported,
# and traffic on a sample of ports spread over the whole index range goes to the right port.
. "$(dirname "$0")/lib.sh"
# this machine is loaded: a port change waits for the PMD's grace periods, give it time
qvctl() { "$QVCTL_BIN" --switch "$T/sw.sock" --timeout 120000 "$@"; }

N=256
PER_PEER=32

# peer_vdevs FIRST COUNT QSIZE: the --vdev arguments of ports vFIRST.. (MACs from the index)
peer_vdevs() {
    local i
    for ((i = 0; i < $2; i++)); do
        printf -- '--vdev net_virtio_user%d,path=%s/v%d.sock,queues=1,queue_size=%d,mac=02:00:00:00:%02x:%02x ' \
            "$i" "$T" $(($1 + i)) "$3" $((($1 + i) >> 8)) $((($1 + i) & 255))
    done
}

# peer_start NAME FIRST COUNT QSIZE -- OPTS: a peer on ports vFIRST..vFIRST+COUNT-1, small
# pool and memory (--in-memory, -m 64), in the background (PEER_PID)
peer_start() {
    local name=$1 first=$2 count=$3 qsize=$4
    shift 5
    # shellcheck disable=SC2046 # the vdev list is split on purpose
    taskset -c "$CTL_CPU" "$PEER_BIN" --lcores "0@$CTL_CPU" --no-pci --in-memory \
        --single-file-segments -m 64 --file-prefix "qvp${name}$$" --log-level=user1,8 \
        $(peer_vdevs "$first" "$count" "$qsize") -- "$@" >"$T/peer-$name.log" 2>&1 &
    PEER_PID=$!
    PIDS+=("$PEER_PID")
}

# the first 192 ports from the start-up file (quick on a loaded machine: no PMD to wait for
# yet), the last 64 added at run time
STARTUP=192
{
    echo "ports:"
    for ((i = 0; i < STARTUP; i++)); do echo "  - {name: v$i, type: vhost, path: $T/v$i.sock}"; done
} >"$T/switchd.yaml"
switch_start --config "$T/switchd.yaml"
for ((i = STARTUP; i < N; i++)); do
    qvctl port add "v$i" vhost "$T/v$i.sock" >/dev/null || fail "port add v$i"
done
ports_json() { qjson show ports; }
check_eq "ports listed" $N "$(ports_json | jq '.ports | length')"
check_eq "port indexes distinct, past 64" "$N true" \
    "$(ports_json | jq -r '[.ports[].index] | "\(unique | length) \(max >= 255)"')"
mem=$(qjson show port v200 | jq '.memory')
idle_bytes=$(jq '.total_bytes' <<<"$mem")
log "memory of an idle vhost port (v200): $(jq -c . <<<"$mem")"
check_eq "an idle port's memory is reported" true \
    "$(jq '.switch_bytes > 0 and .open_bytes > 0 and .total_bytes == .switch_bytes + .open_bytes' <<<"$mem")"
check_contains "show port NAME prints it" "total_bytes" "$(qvctl show port v200)"

# every port with a peer at once: 8 processes x 32 virtio-user ports, receiving until stopped
PEERS=()
for ((p = 0; p < N / PER_PEER; p++)); do
    peer_start "idle$p" $((p * PER_PEER)) $PER_PEER 64 -- --rx 0 --duration 0 --wait-link 120
    PEERS+=("$PEER_PID")
done
n_up() { ports_json | jq '[.ports[] | select(.state == "up")] | length'; }
# wait_n_up COUNT DEADLINE_S: a deadline in seconds of wall time (each poll takes a while)
wait_n_up() {
    local end=$((SECONDS + $2)) n
    while n=$(n_up) && [ "$n" != "$1" ]; do
        [ $SECONDS -lt $end ] || fail "timed out after $2 s waiting for $1 ports up ($n are)"
        for pid in "${PEERS[@]}"; do alive "$pid" || fail "peer $pid exited (see peer-idle*.log)"; done
        sleep 0.5
    done
}
wait_n_up $N 240
check_eq "ports up" $N "$(n_up)"
check_eq "show ports: a row per port" $N "$(qvctl show ports | grep -cE '^ *v[0-9]+ ')"
tel() { echo "$1" | python3 /usr/bin/dpdk-telemetry.py -f "qvt$$" 2>/dev/null | tail -n 1; }
# /qv/ports holds what fits DPDK's 16 kB answer; /qv/port_list pages every name
names=() off=0
while [ "$off" -ge 0 ]; do
    page=$(tel "/qv/port_list,$off" | jq -c '."/qv/port_list"')
    mapfile -t -O "${#names[@]}" names < <(jq -r '.names[]' <<<"$page")
    off=$(jq '.next_offset' <<<"$page")
done
check_eq "telemetry /qv/port_list: every port once" "$N $N" \
    "$(printf '%s\n' "${names[@]}" | sort -u | wc -l) $(tel /qv/port_list | jq '."/qv/port_list".total')"
check_eq "telemetry /qv/port,v255: up" up "$(tel /qv/port,v255 | jq -r '."/qv/port".v255.state')"
for pid in "${PEERS[@]}"; do stop_pid "$pid"; done
PEERS=()
wait_n_up 0 120

# Traffic on a sample: input -> output pairs across the index range (each its own UDP port),
# one peer holding the sixteen sockets (all distinct: a socket takes one peer).
SAMPLE_IN=(0 3 63 64 100 127 200 254)
SAMPLE_OUT=(255 128 65 62 201 5 17 1)
socks=()
for ((k = 0; k < ${#SAMPLE_IN[@]}; k++)); do
    qvctl flow add "in=v${SAMPLE_IN[$k]},proto=udp,dst-port=$((5000 + k)) actions=output:v${SAMPLE_OUT[$k]}" >/dev/null
    $MKPCAP "$T/in$k.pcap" "count=50,proto=udp,dst-port=$((5000 + k)),flows=5,seq" >/dev/null
done
args=()
vdevs=()
for ((k = 0; k < ${#SAMPLE_IN[@]}; k++)); do
    i=${SAMPLE_IN[$k]} o=${SAMPLE_OUT[$k]}
    vdevs+=(--vdev "net_virtio_user$((2 * k)),path=$T/v$i.sock,queues=1,queue_size=256,mac=02:00:00:01:00:$(printf %02x $((2 * k)))")
    vdevs+=(--vdev "net_virtio_user$((2 * k + 1)),path=$T/v$o.sock,queues=1,queue_size=256,mac=02:00:00:01:00:$(printf %02x $((2 * k + 1)))")
    args+=(--tx "$((2 * k)):$T/in$k.pcap" --rx "$((2 * k + 1)):$T/out$k.pcap")
done
taskset -c "$CTL_CPU" "$PEER_BIN" --lcores "0@$CTL_CPU" --no-pci --in-memory \
    --single-file-segments -m 64 --file-prefix "qvpsample$$" --log-level=user1,8 "${vdevs[@]}" \
    -- "${args[@]}" --expect $((50 * ${#SAMPLE_IN[@]})) --timeout 90 --wait-link 60 \
    --json "$T/sample.json" >"$T/peer-sample.log" 2>&1 || fail "the sample peer did not get its packets back"
for ((k = 0; k < ${#SAMPLE_IN[@]}; k++)); do
    check_eq "v${SAMPLE_IN[$k]} -> v${SAMPLE_OUT[$k]}: its 50 packets, only those" "50 50" \
        "$(pcap_count "$T/out$k.pcap") $(tshark -r "$T/out$k.pcap" -Y "udp.dstport == $((5000 + k))" | wc -l)"
done
check_eq "the inputs got nothing back" 0 \
    "$(jq '[.ports[] | select(.port % 2 == 0) | .rx] | add' "$T/sample.json")"
check_eq "switch tx counters: 50 on each output, none elsewhere" \
    "$(printf 'v%s=50\n' "${SAMPLE_OUT[@]}" | sort -t v -k 2 -n | paste -sd' ')" \
    "$(ports_json | jq -r '[.ports[] | select(.tx_packets > 0)] | sort_by(.name | ltrimstr("v") | tonumber) | map("\(.name)=\(.tx_packets)") | join(" ")')"
check_eq "no drops on any port" 0 "$(ports_json | jq '[.ports[].drops[]] | add')"
log "memory of an idle vhost port: $idle_bytes bytes (switch state + heap taken by its open)"
switch_stop
