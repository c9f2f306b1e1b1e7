#!/bin/bash
# The helpers every test relies on fail when they should: controld_start when qv-controld exits
# during start-up or never answers (instead of going on with no daemon), wait_until after its
# timeout in wall time however slow the condition is to evaluate (not after a number of turns).
. "$(dirname "$0")/lib.sh"

# helper_fails WHAT CMD...: CMD (a helper, run in a subshell: its fail exits that shell only)
# must fail, and its message is kept in $T/helper.out
helper_fails() {
	local what=$1
	shift
	if ("$@") >"$T/helper.out" 2>&1; then
		fail "$what: the helper went on: $(cat "$T/helper.out")"
	fi
	pass "$what: $(grep -o 'FAIL: .*' "$T/helper.out" | head -1)"
}

# --- wait_until counts wall time ---------------------------------------------------------
# a condition that takes 0.3 s to say no: 2 s of waiting is a handful of tries (the turn-counting
# version made 40 of them, 12 s)
slow_no() { echo x >>"$T/tries"; sleep 0.3; false; }
: >"$T/tries"
helper_fails "wait_until gives up" wait_until "a condition that never holds" 2 slow_no
check_contains "and says what it waited for" "timed out after 2s waiting for: a condition that never holds" "$(cat "$T/helper.out")"
tries=$(wc -l <"$T/tries")
[ "$tries" -lt 20 ] || fail "wait_until tried $tries times in 2 s of a 0.3 s condition: it counts turns, not time"
pass "wait_until stopped at its deadline ($tries tries of a 0.3 s condition in 2 s)"
wait_until "a condition that holds" 5 true
pass "wait_until returns as soon as the condition holds"

# --- controld_start fails when the daemon never gets ready ---------------------------------
# stand-ins for qv-controld: one that dies at once, one that lives but never answers (it
# writes its pid so that it is stopped here: the subshell's PIDS are lost with it)
cat >"$T/dies" <<'S'
#!/bin/sh
echo "qv-controld: error: something is wrong" >&2
exit 1
S
cat >"$T/mute" <<S
#!/bin/sh
echo \$\$ >"$T/mute.pid"
echo "qv-controld: ready: socket $T/cd.sock (not really)"
exec sleep 600
S
chmod +x "$T/dies" "$T/mute"
helper_fails "controld_start of a daemon that exits" env CONTROLD_BIN="$T/dies" bash -c \
	". '$(dirname "$0")/lib.sh'; CONTROLD_BIN='$T/dies'; controld_start"
check_contains "the failure says it exited" "qv-controld exited during start-up" "$(cat "$T/helper.out")"
CONTROLD_READY_S=3 helper_fails "controld_start of a daemon that never answers" bash -c \
	". '$(dirname "$0")/lib.sh'; CONTROLD_BIN='$T/mute'; controld_start"
[ -s "$T/mute.pid" ] && PIDS+=("$(cat "$T/mute.pid")")
check_contains "the failure says it is not ready" "qv-controld not ready after 3 s" "$(cat "$T/helper.out")"
