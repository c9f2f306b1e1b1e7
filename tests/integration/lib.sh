# lib.sh - shared helpers for the integration tests (source it). Each test gets a private work
# dir, its own qv-switchd (PMD on CPU 1, everything else on CPU 0), its own DPDK file prefixes,
# and stops every process it started, by PID, whatever happens. Waits are conditions polled
# with a deadline, never fixed sleeps.
set -euo pipefail

: "${QV_BUILD:?run through meson test (QV_BUILD is the build dir)}"
QVCTL_BIN=$QV_BUILD/control/qvctl/qvctl
SWITCHD_BIN=$QV_BUILD/dataplane/qv-switchd
PEER_BIN=$QV_BUILD/tests/tools/qv-peer
MKPCAP=$QV_BUILD/tests/tools/qv-mkpcap
PMD_CPU=${QV_PMD_CPU:-1}
CTL_CPU=${QV_CTL_CPU:-0}

T=$(mktemp -d /tmp/qvtest.XXXXXX)
# the daemons' control sockets (tests/system moves them out of $T, which QEMU may write to)
CTL_DIR=$T
PIDS=()
TEST_NAME=$(basename "$0" .sh)
N_PASS=0

log() { echo "[$(date +%T)] $TEST_NAME: $*" >&2; }

# alive PID: running, not a zombie. The state is read from /proc only: bash reaps its children
# asynchronously, so a zombie seen by `kill -0` may be gone by the time its stat is read, and an
# unreadable stat means gone (reading it as "not Z" once failed a test with a stopped switch).
alive() {
    local st
    st=$(sed -n 's/^.*) \(.\).*$/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] || return 1
    [ "$st" != Z ] && [ "$st" != X ] && return 0
    # a zombie leader whose other threads have not exited (a DPDK thread blocked in a vhost-user
    # socket read, say) is still running: stop_pid must go on to SIGKILL, and wait would block
    [ "$(ls "/proc/$1/task" 2>/dev/null | wc -l)" -gt 1 ]
}

# Deadlines count wall time, not loop turns: on a loaded machine one turn of a polling loop
# can take far longer than its sleep. Times are integer microseconds of the wall clock, read
# from bash's own $EPOCHREALTIME (the same clock as `date +%s.%N`, no process per poll).
now_us() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t)); }
# deadline_in SECONDS (may have a fraction): the now_us value SECONDS from now
deadline_in() {
    local s=${1%%.*} f=${1#*.}
    [ "$f" != "$1" ] || f=0
    f=${f}000000
    echo $(($(now_us) + 10#$s * 1000000 + 10#${f:0:6}))
}
# before DEADLINE: true while the wall clock has not reached DEADLINE (from deadline_in)
before() { local t=${EPOCHREALTIME/[.,]/}; [ $((10#$t)) -lt "$1" ]; }

# thread_states PID FILE: each thread's name, state, wait channel, system call and kernel stack
# into FILE.TID, one background reader per thread: a process stuck in exit blocks /proc reads
# (issue 10's slow stand-in stops: a zombie leader whose other threads lived on for minutes),
# and a blocked reader must not block the test
thread_states() {
    local t
    for t in /proc/$1/task/*; do
        (exec >"$2.${t##*/}" 2>&1
            echo "thread ${t##*/} ($(cat "$t/comm")): state $(sed 's/^.*) \(.\).*$/\1/' "$t/stat"), wchan $(cat "$t/wchan")"
            echo "syscall: $(cat "$t/syscall")"
            cat "$t/stack") &
    done
}

# thread_states_log FILE WHAT: log WHAT, then what thread_states wrote into FILE.*
thread_states_log() {
    local f
    log "$2"
    for f in "$1".*; do
        [ -e "$f" ] && log "  $(head -c 4000 "$f")"
    done
    return 0
}

stop_pid() { # TERM, then KILL after $2 s (default 10)
    local p=$1 t=${2:-10} end slow slowed=0
    alive "$p" || return 0
    kill -TERM "$p" 2>/dev/null || true
    end=$(deadline_in "$t")
    slow=$(deadline_in 3)
    while before "$end"; do
        alive "$p" || break
        # still there 3 s after SIGTERM: what it is doing, said once it is gone
        if [ $slowed = 0 ] && ! before "$slow"; then
            slowed=1
            thread_states "$p" "$T/slow-stop-$p"
        fi
        sleep 0.1
    done
    if alive "$p"; then
        log "pid $p ($(timeout 5 cat "/proc/$p/cmdline" 2>/dev/null | tr '\0' ' ' | cut -c1-60)) ignored SIGTERM: killing it"
        kill -KILL "$p" 2>/dev/null || true
        end=$(deadline_in 5)
        while before "$end"; do alive "$p" || break; sleep 0.1; done
    fi
    [ $slowed = 0 ] || thread_states_log "$T/slow-stop-$p" "pid $p took over 3 s to stop:"
}

# reap PID: its exit status, once every thread of it is gone. A process can look dead to
# `alive` (its leader a zombie, no other thread listed) while wait still blocks on it: issue
# 10's slow stand-in stops spent a minute there, unseen by stop_pid. So a watcher says, after
# 3 s, what is left of it (a sleep here is a report's delay, not a synchronisation).
reap() {
    local p=$1 t0 w st=0
    t0=$(now_us)
    (sleep 3; [ -d "/proc/$p" ] && thread_states "$p" "$T/slow-exit-$p") &
    w=$!
    wait "$p" 2>/dev/null || st=$?
    kill "$w" 2>/dev/null || true
    wait "$w" 2>/dev/null || true
    [ $(($(now_us) - t0)) -le 3000000 ] ||
        thread_states_log "$T/slow-exit-$p" "pid $p took $((($(now_us) - t0) / 1000)) ms to be reaped after it stopped:"
    return $st
}

# On failure (a timeout of meson's included: SIGTERM), every thread's stack of each process the
# test started that is still running, before it is stopped: a hang (a peer blocked closing its
# ports, a grace period that does not end; the switch logs the RCU state itself after 2 s)
# then says where each thread was, and each thread's kernel stack (/proc/PID/task/*/stack): a
# thread stuck while its process exits (the slow VNF stand-in stops of issue 10) shows only
# there (thread_states: /proc reads of a process stuck in exit can block, and must not block
# this). Needs gdb (scripts/setup-host.sh installs it).
dump_stacks() {
    local p
    command -v gdb >/dev/null || return 0
    for p in "${PIDS[@]}"; do
        alive "$p" || continue
        thread_states "$p" "$T/stacks-$p"
        echo "---- stacks of pid $p: $(timeout 5 cat "/proc/$p/cmdline" 2>/dev/null | tr '\0' ' ' | cut -c1-100)" >&2
        timeout 60 gdb -p "$p" -batch -nx -q -ex 'thread apply all bt 12' 2>/dev/null |
            grep -E '^(Thread|#)' >&2 || true
        thread_states_log "$T/stacks-$p" "kernel stacks of pid $p's threads:"
    done
}

cleanup() {
    local rc=$? p st
    set +e
    # on failure, what the switch saw, before anything is stopped
    if [ $rc -ne 0 ] && [ -n "${SWITCH_PID:-}" ] && kill -0 "$SWITCH_PID" 2>/dev/null; then
        { qvctl show ports; qvctl show flows; qvctl show drops; } >"$T/switch-state.log" 2>&1
    fi
    [ $rc -eq 0 ] || dump_stacks
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        stop_pid "${PIDS[$i]}"
        st=0
        # never block the cleanup on a process that would not die
        alive "${PIDS[$i]}" || reap "${PIDS[$i]}" || st=$?
        # the switch must shut down cleanly on SIGTERM (exit 0), or the test fails
        if [ "${PIDS[$i]}" = "${SWITCH_PID:-}" ] && [ $st -ne 0 ] && [ $rc -eq 0 ]; then
            log "FAIL: qv-switchd exited with status $st on SIGTERM"
            rc=1
        fi
    done
    # a sanitizer report from any of our processes fails the test
    if [ $rc -eq 0 ] && grep -lE 'ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer' \
        "$T"/*.log >/dev/null 2>&1; then
        log "FAIL: sanitizer report in $(grep -lE 'AddressSanitizer|runtime error:' "$T"/*.log | tr '\n' ' ')"
        rc=1
    fi
    if [ $rc -ne 0 ]; then
        for f in "$T"/*.log; do
            [ -f "$f" ] || continue
            echo "---- $f (last 40 lines)" >&2; tail -n 40 "$f" >&2
        done
        echo "$TEST_NAME: FAILED (work dir $T kept)" >&2
    else
        rm -rf "$T"
        echo "$TEST_NAME: $N_PASS checks passed"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() { log "FAIL: $*"; exit 1; }
pass() { N_PASS=$((N_PASS + 1)); log "ok: $*"; }

check_eq() { # check_eq WHAT EXPECTED ACTUAL
    [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
    pass "$1 = $3"
}

check_contains() { # check_contains WHAT NEEDLE HAYSTACK
    case "$3" in *"$2"*) pass "$1" ;; *) fail "$1: '$2' not in: $3" ;; esac
}

# wait_until DESCRIPTION TIMEOUT_S COMMAND... : polls COMMAND until it succeeds, for at most
# TIMEOUT_S seconds of wall time (the command is tried once more at the deadline)
wait_until() {
    local what=$1 t=$2 end
    shift 2
    end=$(deadline_in "$t")
    while before "$end"; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    "$@" >/dev/null 2>&1 && return 0
    fail "timed out after ${t}s waiting for: $what"
}

# (--timeout 30 s, not qvctl's 5 s: a port del waits for a grace period of every PMD, and two
# PMDs sharing a CPU with a loaded machine's other work took 9 s once; the tests assert what
# happens, never how fast)
QVCTL_WAIT=(--timeout 30000)
qvctl() { "$QVCTL_BIN" --switch "$CTL_DIR/sw.sock" "${QVCTL_WAIT[@]}" "$@"; }
qjson() { qvctl --json "$@"; }

# port_field PORT FIELD -> value from `qvctl --json show ports`
port_field() { qjson show ports | jq -r --arg n "$1" ".ports[] | select(.name == \$n) | .$2"; }

switch_start() { # switch_start [qv-switchd options...]; pcap and capture files live in $CTL_DIR,
    # vhost-user sockets in $T (where QEMU, as libvirt-qemu, makes the system tests' VM sockets)
    # (a directory only root may write: the switch refuses a group-writable capture directory,
    # and the system tests' $T is group-writable for QEMU's sockets)
    taskset -c "$CTL_CPU" "$SWITCHD_BIN" --socket "$CTL_DIR/sw.sock" --pmd-cores "$PMD_CPU" \
        --main-core "$CTL_CPU" --file-prefix "qvt$$" --mbufs 8192 --capture-dir "$CTL_DIR" \
        --vhost-dir "${VHOST_DIR:-$T}" "$@" \
        >"$T/switch.log" 2>&1 &
    SWITCH_PID=$!
    PIDS+=("$SWITCH_PID")
    local end
    end=$(deadline_in 60)
    while before "$end"; do
        grep -q 'qv-switchd: ready' "$T/switch.log" 2>/dev/null && return 0
        alive "$SWITCH_PID" || fail "qv-switchd exited during start-up (see switch.log)"
        sleep 0.05
    done
    fail "qv-switchd not ready after 60 s"
}

switch_stop() { # stops the switch; fails the test unless it exits cleanly
    local st=0
    stop_pid "$SWITCH_PID" 20
    alive "$SWITCH_PID" && fail "qv-switchd does not stop"
    wait "$SWITCH_PID" 2>/dev/null || st=$?
    [ $st -eq 0 ] || fail "qv-switchd exited with status $st"
}

# peer_cmd NAME SOCK... -- PEER-OPTIONS : the qv-peer command line with one virtio-user port per
# socket (port 0 = first socket), confined to the control CPU.
peer_cmd() {
    local name=$1 i=0 vdevs=()
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        vdevs+=(--vdev "net_virtio_user$i,path=$1,queues=1,queue_size=1024,mac=02:00:00:00:0$i:00")
        i=$((i + 1)); shift
    done
    shift
    echo taskset -c "$CTL_CPU" "$PEER_BIN" --lcores "0@$CTL_CPU" --no-pci --in-memory \
        --single-file-segments -m 256 --file-prefix "qvp${name}$$" --log-level=user1,8 \
        "${vdevs[@]}" -- "$@"
}

peer_run() { # peer_run NAME SOCK... -- OPTS : runs to completion, output in $T/peer-NAME.log
    local name=$1
    $(peer_cmd "$@") >"$T/peer-$name.log" 2>&1
}

peer_bg() { # like peer_run, in the background; sets PEER_PID
    local name=$1
    $(peer_cmd "$@") >"$T/peer-$name.log" 2>&1 &
    PEER_PID=$!
    PIDS+=("$PEER_PID")
}

pcap_count() { # number of packets in a pcap
    tshark -r "$1" 2>/dev/null | wc -l
}

# ---- service chains: qv-controld and VNF stand-ins ----

CONTROLD_BIN=$QV_BUILD/control/controld/qv-controld

controld_start() { # controld_start [options]: state in $T/state, socket $CTL_DIR/cd.sock
    # VNFs here are testpmd stand-ins (vnf_start): --no-vms, unless CONTROLD_VMS=yes
    # (tests/system, where qv-controld launches the VNF VMs itself)
    [ "${CONTROLD_VMS:-no}" = yes ] || set -- --no-vms "$@"
    "$CONTROLD_BIN" --socket "$CTL_DIR/cd.sock" --switch "$CTL_DIR/sw.sock" --state-dir "$T/state" \
        --interval 200 "$@" >>"$T/controld.log" 2>&1 &
    CONTROLD_PID=$!
    PIDS+=("$CONTROLD_PID")
    local end ready=no
    end=$(deadline_in "${CONTROLD_READY_S:-60}")
    # ready: one more "ready" line in the log than at the last start, and the socket answers
    while before "$end"; do
        if [ "$(grep -c 'qv-controld: ready' "$T/controld.log" 2>/dev/null)" -gt "${CONTROLD_STARTS:-0}" ] &&
            qvc show controld >/dev/null 2>&1; then
            ready=yes
            break
        fi
        alive "$CONTROLD_PID" || fail "qv-controld exited during start-up (see controld.log: $(tail -n 3 "$T/controld.log" | tr '\n' ' '))"
        sleep 0.05
    done
    [ $ready = yes ] || fail "qv-controld not ready after ${CONTROLD_READY_S:-60} s (no 'ready' line, or its socket $T/cd.sock does not answer)"
    CONTROLD_STARTS=$(grep -c 'qv-controld: ready' "$T/controld.log")
}

qvc() { "$QVCTL_BIN" --switch "$CTL_DIR/sw.sock" --controld "$CTL_DIR/cd.sock" "${QVCTL_WAIT[@]}" "$@"; }

# vnf_start NAME IN_SOCK OUT_SOCK [server]: a VNF stand-in, testpmd forwarding between two
# virtio-user ports (io mode: every packet in on one goes out of the other, unchanged). With
# "server", it is the vhost-user server (the switch connects as client, as with QEMU); it
# takes the switch back after a switch restart (virtio-user reconnects from its link-state
# interrupt handler, so link-state interrupts stay on).
vnf_start() {
    local name=$1 a=$2 b=$3 srv="" lsc=--no-lsc-interrupt
    # as server it needs link-state interrupts to take a restarted switch back; as client it
    # must not have them: testpmd then hangs closing its ports once the switch is gone
    [ "${4:-}" = server ] && srv=",server=1" lsc=""
    # --no-mlockall and -m 128 (not testpmd's mlockall of -m 256): what a stand-in's exit must
    # unmap and free. Its slow exits (issue 10) were that teardown, on a shared CPU 0.
    taskset -c "$CTL_CPU" dpdk-testpmd --lcores "0@$CTL_CPU,1@$CTL_CPU" --no-pci --no-huge -m 128 \
        --file-prefix "qvvnf$name$$" --log-level=user1,8 \
        --vdev "net_virtio_user0,path=$a,queues=1,queue_size=1024$srv" \
        --vdev "net_virtio_user1,path=$b,queues=1,queue_size=1024$srv" -- \
        --forward-mode=io --auto-start --stats-period 5 --nb-cores=1 --total-num-mbufs=4096 \
        $lsc --disable-link-check --no-mlockall >"$T/vnf-$name.log" 2>&1 &
    PIDS+=($!)
    eval "VNF_PID_${name//-/_}=$!"
}

vnf_wait() { # vnf_wait NAME...: until each stand-in forwards (its ports are set up)
    local v
    for v in "$@"; do
        wait_until "VNF $v forwarding" 60 grep -q 'forwards packets on 2 streams' "$T/vnf-$v.log"
    done
}
