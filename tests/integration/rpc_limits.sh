#!/bin/bash
# No one client can hold the control plane: idle connections (80 of root's, then 80 of a
# member's, of which it keeps 16) leave root and members served; a client that sends half a
# line is closed after the line timeout; one that never reads its answers is closed and does
# not stall the others; a second daemon on the same socket is refused by the lock; idle
# connections are closed by the server at the idle timeout (--rpc-idle-timeout 12 here, not
# the default minute: long enough for the member's 16 to still be open when its 17th is tried).
. "$(dirname "$0")/lib.sh"
here=$(dirname "$0")
. "$here/rpc_users.sh"

switch_start --rpc-idle-timeout 12
qvctl port add a vhost "$T/a.sock" >/dev/null
mctl() { as qvtest-member "$QVCTL_BIN" --switch "$T/sw.sock" "$@"; }
answers() { # answers WHO: qvctl show ports as root or as the member lists port a
    local out
    if [ "$1" = root ]; then out=$(qjson show ports 2>&1); else out=$(mctl --json show ports 2>&1); fi
    [ "$(echo "$out" | jq -r '.ports[].name' 2>/dev/null)" = a ] && return 0
    echo "$out" >&2
    return 1
}
status_is() { grep -q "$2" "$1" 2>/dev/null; }

# ---- 80 idle connections of root's: root and members still served ----
python3 "$here/rpc_clients.py" hold "$T/sw.sock" 80 "$T/hold-root.status" &
HOLD_ROOT=$!
PIDS+=("$HOLD_ROOT")
wait_until "root's 80 connections answered" 60 status_is "$T/hold-root.status" '^held'
check_eq "root holds 80 idle connections (none refused)" "held 80 refused 0 unanswered 0" \
    "$(head -1 "$T/hold-root.status")"
answers root || fail "root not served with 80 idle connections open"
answers member || fail "a member not served with 80 idle connections of root's open"
pass "root and a member served next to 80 idle connections"
# root's 80 stay open, idle, through the rest: the server closes them at the idle timeout

# ---- 80 of a member's: it keeps 16, the rest are refused at accept; root still served ----
install -d -o qvtest-member -m 0700 "$T/member" # where the member's client writes its status
# setpriv itself, not the `as` function: $! must be the client (setpriv execs it), not a
# subshell whose death would leave the client holding its connections
setpriv --reuid=qvtest-member --regid=qvtest-member --init-groups -- \
    "$SYS_PY" "$here/rpc_clients.py" hold "$T/sw.sock" 80 "$T/member/hold.status" &
HOLD=$!
PIDS+=("$HOLD")
wait_until "the member's 80 connections answered or refused" 60 status_is "$T/member/hold.status" '^held'
check_eq "a member keeps 16 connections, 64 refused at accept" "held 16 refused 64 unanswered 0" \
    "$(head -1 "$T/member/hold.status")"
check_contains "the refusal names the cap" "already has 16 connections" "$(cat "$T/member/hold.status")"
answers root || fail "root not served while a member holds its 16 connections"
pass "root served while a member holds 16 idle connections"
out=$(mctl show ports 2>&1) && fail "the member's 17th connection was served: $out"
check_contains "the member's own 17th is refused" "at most 16 per user" "$out"
stop_pid "$HOLD"
wait_until "the member served again once its connections are closed" 30 answers member
pass "the member served again"

# ---- half a request line, then nothing: closed after the line timeout ----
python3 "$here/rpc_clients.py" halfline "$T/sw.sock" >"$T/halfline.out" 2>&1 &
HALF=$!
PIDS+=("$HALF")
answers root || fail "root not served while a half-line client is connected"
wait_until "the half-line client closed by the server" 60 status_is "$T/halfline.out" '^closed'
check_contains "it was told why" "no complete request line within 5 s" "$(cat "$T/halfline.out")"

# ---- a client that sends requests and never reads the answers ----
python3 "$here/rpc_clients.py" flood "$T/sw.sock" "$T/flood.status" &
FLOOD=$!
PIDS+=("$FLOOD")
wait_until "the flood under way" 60 test -s "$T/flood.status"
answers root || fail "root not served while a client floods without reading"
answers member || fail "a member not served while a client floods without reading"
wait_until "the non-reading client closed by the server" 120 status_is "$T/flood.status" '^closed'
pass "the non-reading client was closed"
answers root || fail "root not served after the flood"
check_eq "the switch is still running" yes "$(alive "$SWITCH_PID" && echo yes)"

# ---- a second daemon on the same socket: refused by the lock, even with the file gone ----
controld_start
mv "$T/cd.sock" "$T/cd.sock.moved" # the connect probe would find nothing: only the lock stops it
rc=0
"$CONTROLD_BIN" --no-vms --socket "$T/cd.sock" --switch "$T/sw.sock" --state-dir "$T/state2" \
    >"$T/controld-second.log" 2>&1 || rc=$?
check_eq "a second qv-controld on the same socket exits with status" 1 "$rc"
check_contains "  ... naming the lock and its holder" \
    "another server is running on $T/cd.sock (pid $CONTROLD_PID holds the lock $T/cd.sock.lock)" \
    "$(cat "$T/controld-second.log")"
[ ! -e "$T/cd.sock" ] || fail "the refused qv-controld created $T/cd.sock"
mv "$T/cd.sock.moved" "$T/cd.sock"
qvc --json show controld >/dev/null || fail "the first qv-controld no longer answers"
pass "the first qv-controld still answers"
rc=0
taskset -c "$CTL_CPU" "$SWITCHD_BIN" --socket "$T/sw.sock" --pmd-cores "$PMD_CPU" --main-core "$CTL_CPU" \
    --file-prefix "qvt2$$" --no-huge --mem 256 --mbufs 2048 >"$T/switch-second.log" 2>&1 || rc=$?
check_eq "a second qv-switchd on the same socket exits with status" 1 "$rc"
check_contains "  ... naming the lock and its holder" \
    "another server is running on $T/sw.sock (pid $SWITCH_PID holds the lock" "$(cat "$T/switch-second.log")"
answers root || fail "the first qv-switchd no longer answers"
pass "the first qv-switchd still answers"

# ---- root's 80 idle connections, untouched since the start: closed by the idle timeout ----
wait_until "root's idle connections closed by the server (12 s idle timeout)" 120 \
    status_is "$T/hold-root.status" '^all 80 closed by the server'
pass "80 idle connections closed by the server"
