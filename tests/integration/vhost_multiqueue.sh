#!/bin/bash
# Multi-queue vhost: a virtio-user peer with 4 queue pairs on two switch ports (--queues 4),
# four PMDs (time-sharing one CPU), a -> b. Every rx queue of a is polled and carries traffic;
# then the peer's b disables two of its pairs (reconfigured to 2 queues: virtio's
# VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, i.e. SET_VRING_ENABLE 0 for vrings 4..7), and the PMDs that
# sent into those pairs move to the two left: nothing is lost, nothing dropped, and
# qvctl show port b says which pairs the guest has enabled.
. "$(dirname "$0")/lib.sh"

switch_start --pmd-cores "$PMD_CPU,$PMD_CPU,$PMD_CPU,$PMD_CPU"
for p in a b; do qvctl port add $p vhost "$T/$p.sock" --queues 4 >/dev/null; done
qvctl flow add 'in=a actions=output:b' >/dev/null
qvctl flow add 'in=b actions=output:a' >/dev/null

# One peer process, ports 0 (a) and 1 (b), 4 queue pairs each: port 0 sends bursts on its 4
# tx queues in turn (64 flows), port 1 counts. After the first 30,000 packets, port 1 goes
# to 2 queues and the peer waits for $T/resume (virtio-user does not wait for the switch to
# process SET_VRING_ENABLE: packets it sent before would go to pairs it no longer polls);
# 60,000 in all must come back.
mq_peer() {
    taskset -c "$CTL_CPU" "$PEER_BIN" --lcores "0@$CTL_CPU" --no-pci --in-memory \
        --single-file-segments -m 256 --file-prefix "qvpmq$$" --log-level=user1,8 \
        --vdev "net_virtio_user0,path=$T/a.sock,queues=4,cq=1,queue_size=1024,mac=02:00:00:00:0a:00" \
        --vdev "net_virtio_user1,path=$T/b.sock,queues=4,cq=1,queue_size=1024,mac=02:00:00:00:0b:00" \
        -- --queues 4 "$@"
}
rxq_field() { # rxq_field PORT QUEUE FIELD: from show pmd
    qjson show pmd | jq -r --arg p "$1" --argjson q "$2" \
        "[.pmds[].rxqs[] | select(.port == \$p and .queue == \$q) | .$3] | add // 0"
}
queue_on() { # queue_on PORT QUEUE DIR(rx|tx): the guest enabled it (show port NAME)
    qjson show port "$1" | jq -r --argjson q "$2" ".queues[] | select(.queue == \$q) | .$3_enabled"
}

mq_peer --gen 0:64:64 --count 60000 --rate 20000 --window 256 --rx 1 --expect 60000 \
    --requeue 1:30000:2 --requeue-wait "$T/resume" --timeout 50 --json "$T/mq.json" >"$T/peer-mq.log" 2>&1 &
PEER=$!
PIDS+=("$PEER")

# Before the requeue: 4 polled rx queues on a, spread over the 4 PMDs, all carrying traffic.
check_eq "rx queues of a in show pmd" 4 \
    "$(qjson show pmd | jq '[.pmds[].rxqs[] | select(.port == "a")] | length')"
check_eq "PMDs polling a" 4 \
    "$(qjson show pmd | jq '[.pmds[] | select(any(.rxqs[]; .port == "a"))] | length')"
all_a_queues_busy() { # one call: the four queues of a each with packets
    [ "$(qjson show pmd | jq '[.pmds[].rxqs[] | select(.port == "a" and .packets > 0)] | length')" = 4 ]
}
wait_until "all 4 rx queues of a carry traffic" 30 all_a_queues_busy
pass "a's 4 rx queues are polled by 4 PMDs and all carry traffic"

b_pair2_off() { [ "$(queue_on b 2 tx)" = false ]; }
wait_until "b's pairs 2 and 3 disabled by the guest" 40 b_pair2_off
check_eq "b pair 3 tx after the requeue" false "$(queue_on b 3 tx)"
check_eq "b pair 3 rx after the requeue" false "$(queue_on b 3 rx)"
check_eq "b pair 1 tx after the requeue" true "$(queue_on b 1 tx)"
touch "$T/resume"

qvctl show port b >"$T/show-port-b.txt"
grep -q "queue 0: rx enabled, tx enabled" "$T/show-port-b.txt" || fail "show port b: $(cat "$T/show-port-b.txt")"
grep -q "queue 2: rx disabled, tx disabled" "$T/show-port-b.txt" || fail "show port b: $(cat "$T/show-port-b.txt")"
grep -q "tx good_packets" "$T/show-port-b.txt" || fail "show port b has no per-virtqueue counters"
pass "show port b: pairs 2 and 3 disabled by the guest, per-virtqueue counters"

wait "$PEER" || fail "the peer lost packets across the requeue (see peer-mq.log)"
check_eq "packets back on b" 60000 "$(jq .rx "$T/mq.json")"
check_eq "drops on a and b" 0 \
    "$(qjson show ports | jq '[.ports[] | select(.name=="a" or .name=="b") | .drops[]] | add')"
grep -q "sent, 0 in flight, going from 4 to 2 queues" "$T/peer-mq.log" || fail "the peer did not requeue (see peer-mq.log)"
pass "b went from 4 to 2 queue pairs under traffic: 60,000 of 60,000 arrived, none dropped"

switch_stop
pass "qv-switchd stopped cleanly"
