#!/bin/bash
# vhost teardown under traffic: two PMDs time-share one CPU (so a PMD is often preempted in
# the middle of an rte_vhost call), two vhost ports carry paced traffic both ways, and a
# third port's peer connects, sends and disconnects again and again. The steady traffic
# loses nothing, the switch survives, and its teardown check (QV_VHOST_TEARDOWN_CHECK: PMD
# calls into rte_vhost during which destroy_device returned) counts none. Then the third
# port's peer resets its device again and again while the switch sends into it at full rate.
. "$(dirname "$0")/lib.sh"

CYCLES=${QV_CHURN_CYCLES:-100}
export QV_VHOST_TEARDOWN_CHECK=1
switch_start --pmd-cores "$PMD_CPU,$PMD_CPU"
for p in a b c; do qvctl port add $p vhost "$T/$p.sock" >/dev/null; done
qvctl flow add 'in=a actions=output:b' >/dev/null
qvctl flow add 'in=b actions=output:a' >/dev/null
qvctl flow add 'in=c actions=output:c' >/dev/null # the churned port: PMD rx and tx on it
check_eq "teardown check on" 0 "$(port_field c late_vhost_calls)"
[ -z "${QV_VHOST_TEARDOWN_CHECK_SPIN_US:-}" ] ||
    check_eq "PMDs held in the check's reads (us)" "$QV_VHOST_TEARDOWN_CHECK_SPIN_US" \
        "$(port_field c teardown_check_spin_us)"
state_is() { [ "$(port_field "$1" state)" = "$2" ]; }

# a <-> b: paced runs of 50,000 packets each way, one after the other until the churn is
# over; each run must get every packet back.
steady_loop() {
    local k=0
    while [ ! -e "$T/churn.done" ]; do
        k=$((k + 1))
        peer_run "steady$k" "$T/a.sock" "$T/b.sock" -- --gen 0:64:16 --gen 1:64:16 \
            --count 50000 --rate 20000 --window 256 --rx 0 --rx 1 --expect 100000 \
            --timeout 60 --json "$T/steady$k.json" || { echo "$k" >"$T/steady.failed"; return 1; }
        echo "$k" >"$T/steady.runs"
    done
}
steady_loop &
STEADY=$!
PIDS+=("$STEADY")
wait_until "a and b up" 30 state_is b up

# c: a peer that connects, sends 200 packets (looped back to it), and goes, CYCLES times
churn_peer() {
    taskset -c "$CTL_CPU" "$PEER_BIN" --lcores "0@$CTL_CPU" --no-pci --in-memory \
        --single-file-segments -m 64 --file-prefix "qvpchurn$$" --log-level=user1,8 \
        --vdev "net_virtio_user0,path=$T/c.sock,queues=1,queue_size=1024,mac=02:00:00:00:0c:00" \
        -- --gen 0:64:4 --count 200 --rate 20000 --settle 0 --linger 20 --timeout 20
}
for ((i = 1; i <= CYCLES; i++)); do
    alive "$SWITCH_PID" || fail "qv-switchd died during churn cycle $i (see switch.log)"
    [ -e "$T/steady.failed" ] && break
    churn_peer >"$T/peer-churn.log" 2>&1 ||
        fail "churn cycle $i: the peer on c did not run (see peer-churn.log)"
done
pass "$CYCLES connect/disconnect cycles on c"

# c again, now a guest driver that resets its device again and again (virtio-user stop/start:
# SET_VRING_ENABLE 0 and GET_VRING_BASE, i.e. destroy_device, then SET_FEATURES, SET_MEM_TABLE
# and the vrings, messages rte_vhost handles holding every vring lock) while the switch sends
# into c as fast as d's peer can feed it, so a PMD is often inside rte_vhost_enqueue_burst,
# or spinning on a vring lock there, when a message comes. A grace period waited for with
# those locks held would never end: the peer would hang in a stop, and the switch with it.
RESTARTS=${QV_CHURN_RESTARTS:-200}
qvctl port add d vhost "$T/d.sock" >/dev/null
qvctl flow add 'in=d actions=output:c' >/dev/null
peer_bg restart "$T/c.sock" -- --rx 0 --restart "0:10:$RESTARTS" --linger 500 --timeout 600 \
    --json "$T/restart.json"
RESTART_PID=$PEER_PID
wait_until "c up for the restarting peer" 30 state_is c up
gone0=$(port_field c destroyed_devices)
peer_bg flood "$T/d.sock" -- --gen 0:64:16 --duration 0
FLOOD_PID=$PEER_PID
restart_done() { ! alive "$RESTART_PID"; }
for ((i = 0; i < 300 * 20; i++)); do
    restart_done && break
    alive "$SWITCH_PID" || fail "qv-switchd died while the peer on c restarted its device"
    sleep 0.05
done
if ! restart_done; then
    grep -A12 'grace period has lasted' "$T/switch.log" | head -40 >&2
    fail "the peer on c did not finish $RESTARTS device restarts in 300 s (a restart hangs: see peer-restart.log and switch.log)"
fi
wait "$RESTART_PID" || fail "the restarting peer on c failed (see peer-restart.log)"
stop_pid "$FLOOD_PID" 10
check_eq "device restarts done by the peer on c" "$RESTARTS" "$(jq '.ports[0].restarts' "$T/restart.json")"
gone=$(($(port_field c destroyed_devices) - gone0))
[ "$gone" -ge "$RESTARTS" ] || fail "only $gone devices on c were destroyed in $RESTARTS restarts: the peer did not reset its device (see peer-restart.log)"
rx=$(jq .rx "$T/restart.json")
[ "$rx" -gt 0 ] || fail "nothing forwarded d -> c arrived between the restarts (see peer-restart.log)"
pass "$RESTARTS device restarts on c ($gone devices destroyed) with d -> c at full rate ($rx packets arrived between them)"

touch "$T/churn.done"
wait "$STEADY" || fail "steady run $(cat "$T/steady.failed") a <-> b lost packets (see peer-steady$(cat "$T/steady.failed").log)"
runs=$(cat "$T/steady.runs" 2>/dev/null || echo 0)
[ "$runs" -ge 1 ] || fail "no steady a <-> b run completed during the churn"
pass "$runs steady runs of 100,000 packets a <-> b during the churn, none lost"
alive "$SWITCH_PID" || fail "qv-switchd died"
wait_until "c down after the last restart" 20 state_is c down
check_eq "PMD calls into rte_vhost for a destroyed device" 0 "$(port_field c late_vhost_calls)"
check_eq "drops on a and b" 0 \
    "$(qjson show ports | jq '[.ports[] | select(.name=="a" or .name=="b") | .drops[]] | add')"
switch_stop
pass "qv-switchd stopped cleanly"
