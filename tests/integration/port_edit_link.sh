#!/bin/bash
# A live edit of a vhost port (port.set mbufs, which stops polling the port, waits for a
# grace period and swaps its pool) while its guest comes and goes: the port's state is the
# device's, never the one the edit saw when it began. An edit used to take `up` down for its
# duration and store the old value back after, so a guest that connected during an edit
# left the port down for good (its traffic counted port-down), and one that left showed the
# port up with no device. Here the edits run back to back over one connection, so nearly
# every connect and every kill of the peer lands inside one; 10 rounds.
. "$(dirname "$0")/lib.sh"

switch_start
qvctl port add a vhost "$T/a.sock" >/dev/null
check_eq "a is down with no guest" down "$(port_field a state)"

python3 - "$CTL_DIR/sw.sock" "$T/edits.stop" >"$T/edits.log" 2>&1 <<'PY' &
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
f = s.makefile("rwb")
n = 0
while not os.path.exists(sys.argv[2]):
    params = {"name": "a", "mbufs": "64" if n % 2 else "0"}
    f.write((json.dumps({"jsonrpc": "2.0", "id": n, "method": "port.set",
                         "params": params}) + "\n").encode())
    f.flush()
    r = json.loads(f.readline())
    if "error" in r:
        print("edit", n, "failed:", r["error"], flush=True)
        sys.exit(1)
    n += 1
print(n, "edits", flush=True)
PY
EDIT_PID=$!
PIDS+=("$EDIT_PID")
edits_running() { alive "$EDIT_PID" || fail "the edits stopped: $(cat "$T/edits.log")"; }
state_is() { edits_running; [ "$(port_field a state)" = "$1" ]; }

for round in $(seq 1 10); do
    peer_bg "r$round" "$T/a.sock" -- --rx 0 --linger 600000 --timeout 700
    wait_until "round $round: a up once its guest connected, edits going on" 30 state_is up
    kill -9 "$PEER_PID"
    wait "$PEER_PID" 2>/dev/null || true # killed: 137
    wait_until "round $round: a down once its guest was killed, edits going on" 30 state_is down
done
touch "$T/edits.stop"
wait "$EDIT_PID" || fail "the edits failed: $(cat "$T/edits.log")"
pass "10 connects and kills of a's guest during $(cut -d' ' -f1 "$T/edits.log") back-to-back edits: a's state followed its guest each time"
switch_stop
pass "qv-switchd stopped cleanly"
