# shellcheck shell=bash
# proc.sh - process helpers for scripts that start daemons and must stop exactly what they
# started (source it): waits on a condition with a deadline, stops by PID (TERM, then KILL).
# Used by scripts/demo.sh and its parts; the test suites keep their own in tests/*/lib.sh.

# proc_alive PID: running and not a zombie (state read from /proc: bash reaps asynchronously)
proc_alive() {
	local st
	st=$(sed -n 's/^.*) \(.\).*$/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# proc_stop PID [SECONDS]: SIGTERM, then SIGKILL after SECONDS (default 10); reaps it
proc_stop() {
	local p=$1 t=${2:-10} i
	if proc_alive "$p"; then
		kill -TERM "$p" 2>/dev/null
		for ((i = 0; i < t * 10; i++)); do proc_alive "$p" || break; sleep 0.1; done
		if proc_alive "$p"; then
			echo "pid $p ignored SIGTERM for ${t}s: killing it" >&2
			kill -KILL "$p" 2>/dev/null
		fi
	fi
	wait "$p" 2>/dev/null
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds; 1 on timeout
wait_for() {
	local t=$1 i
	shift
	for ((i = 0; i < t * 10; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}
