# scripts/bench/lib.sh - helpers for scripts/bench.sh (source it): processes recorded by PID and
# stopped on any exit, waits polled with deadlines, package installation, testpmd and OVS start.
BL_PIDS=()    # processes we started, stopped in reverse order on exit
BL_HOOKS=()   # commands run first on exit (graceful OVS shutdown)
BL_FDS=()     # fifo write ends holding a testpmd's stdin open
BL_RM=()      # paths removed last

bl_log() { echo "[$(date +%T)] bench: $*" >&2; }
bl_die() { bl_log "ERROR: $*"; exit 1; }
# alive PID: running, not a zombie. The state is read from /proc only: bash reaps its children
# asynchronously, so a zombie seen by `kill -0` may be gone by the time its stat is read, and an
# unreadable stat means gone (reading it as "not Z" once failed a test with a stopped switch).
bl_alive() {
	local st
	st=$(sed -n 's/^.*) \(.\).*$/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] || return 1
	[ "$st" != Z ] && [ "$st" != X ] && return 0
	# a zombie leader whose other threads have not exited (a DPDK thread blocked in a vhost-user
	# socket read, say) is still running: stop_pid must go on to SIGKILL, and wait would block
	[ "$(ls "/proc/$1/task" 2>/dev/null | wc -l)" -gt 1 ]
}

bl_stop_pid() { # TERM, wait up to $2 s (default 10), then KILL. Only PIDs we started.
	local p=$1 t=${2:-10} i
	bl_alive "$p" || return 0
	kill -TERM "$p" 2>/dev/null
	for ((i = 0; i < t * 10; i++)); do bl_alive "$p" || return 0; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null
	for ((i = 0; i < 30; i++)); do bl_alive "$p" || return 0; sleep 0.1; done
}

bl_cleanup() {
	local rc=$? i h fd
	set +e
	trap - EXIT INT TERM
	for h in "${BL_HOOKS[@]}"; do eval "$h" >/dev/null 2>&1; done
	for ((i = ${#BL_PIDS[@]} - 1; i >= 0; i--)); do bl_stop_pid "${BL_PIDS[$i]}"; done
	for fd in "${BL_FDS[@]}"; do eval "exec $fd>&-" 2>/dev/null; done
	for h in "${BL_RM[@]}"; do rm -rf "$h"; done
	exit $rc
}

bl_init() {
	trap bl_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap '' PIPE
}

# bl_wait WHAT TIMEOUT_S COMMAND... : poll COMMAND until it succeeds
bl_wait() {
	local what=$1 t=$2 i
	shift 2
	for ((i = 0; i < t * 20; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	bl_die "timed out after ${t}s waiting for $what"
}

bl_forget() { # drop a stopped PID from the list
	local p=$1 i
	for i in "${!BL_PIDS[@]}"; do [ "${BL_PIDS[$i]}" = "$p" ] && unset 'BL_PIDS[i]'; done
	BL_PIDS=("${BL_PIDS[@]}")
}

# Installs the Debian packages only the benchmark needs, when missing. The package scripts must
# not start a system-wide OVS (it would take hugepages and CPUs): policy-rc.d refuses them.
bl_install() {
	local missing=() p tmp_policy=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || bl_die "missing packages ${missing[*]}: run as root to install them"
	bl_log "installing ${missing[*]}"
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
		tmp_policy=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >&2 && apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
	local rc=$?
	[ -n "$tmp_policy" ] && rm -f /usr/sbin/policy-rc.d
	[ $rc -eq 0 ] || bl_die "apt-get install ${missing[*]} failed"
}

# bl_testpmd_start LOG ARGS... : a non-interactive testpmd (forwarding starts at once) whose
# stdin is a fifo we hold open: it runs until SIGTERM, then prints its forwarding statistics.
bl_testpmd_start() {
	local log=$1 fifo fd
	shift
	fifo=$(mktemp -u "$BW/tp.fifo.XXXX")
	mkfifo "$fifo"
	exec {fd}<>"$fifo"
	BL_FDS+=("$fd")
	stdbuf -oL -eL "$@" <"$fifo" >"$log" 2>&1 &
	TP_PID=$!
	BL_PIDS+=("$TP_PID")
}

# ---- for chaos.sh and soak.sh ------------------------------------------------------------------
# bl_need_qwikvirt SRC BUILD: builds qwikvirt (scripts/build.sh) when a program is missing
bl_need_qwikvirt() {
	local src=$1 build=$2 b
	for b in dataplane/qv-switchd control/controld/qv-controld control/qvctl/qvctl \
		tests/tools/qv-peer; do
		[ -x "$build/$b" ] && continue
		bl_log "building qwikvirt into $build ($b missing)"
		if [ "$build" = "$src/build" ]; then
			"$src/scripts/build.sh" >&2 || bl_die "scripts/build.sh failed"
		else
			{ [ -d "$build" ] || meson setup "$build" "$src"; } >&2 && ninja -C "$build" >&2 ||
				bl_die "building into $build failed"
		fi
		return 0
	done
}

# bl_need_hugepages SRC N: scripts/setup-host.sh when fewer than N 2 MB hugepages are free
bl_need_hugepages() {
	local free
	free=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
	[ "${free:-0}" -ge "$2" ] && return 0
	bl_log "only ${free:-0} free hugepages (need $2): running scripts/setup-host.sh"
	"$1/scripts/setup-host.sh" --hugepages $(($(cat /proc/sys/vm/nr_hugepages) + $2)) >&2 ||
		bl_die "scripts/setup-host.sh failed"
	free=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
	[ "${free:-0}" -ge "$2" ] || bl_die "only ${free:-0} free 2 MB hugepages, need $2"
}

# bl_supervise PIDFILE LOG COMMAND...: runs COMMAND and starts it again the moment it exits, as
# systemd's Restart=always with no delay; PIDFILE holds the running instance's PID and each start
# appends "START <epoch.ns> <pid>" to LOG.events. Stopped (supervisor, then the instance, by PID)
# on exit; bl_supervised PIDFILE prints the current PID.
bl_supervise() {
	local pidfile=$1 log=$2
	shift 2
	(
		child=""
		trap '[ -z "$child" ] || kill -TERM "$child" 2>/dev/null; exit 0' TERM
		while [ ! -e "$pidfile.stop" ]; do
			"$@" >>"$log" 2>&1 &
			child=$!
			echo "$child" >"$pidfile.new" && mv "$pidfile.new" "$pidfile"
			echo "START $(date +%s.%N) $child" >>"$log.events"
			wait "$child" || true
		done
	) 2>>"$log" & # bash's "Killed" notices go to the log too
	BL_PIDS+=("$!")
	BL_HOOKS+=("bl_supervise_stop '$pidfile' $!")
	bl_wait "the first start of $1" 10 test -s "$pidfile"
}
bl_supervised() { cat "$1"; }
bl_supervise_stop() { # PIDFILE SUPERVISOR-PID: no restart, then the instance stopped cleanly
	touch "$1.stop"
	[ -s "$1" ] && bl_stop_pid "$(cat "$1")" 20
	bl_stop_pid "$2" 5
}

# bl_vnf_standin NAME IN-SOCK OUT-SOCK LOG: a VNF stand-in as QEMU would be one: testpmd io
# between two virtio-user ports in server mode (the switch connects as client and reconnects).
# Link-state interrupts on: that is how its virtio-user ports accept a restarted switch. On CPU
# GEN_CPU at nice ${BL_VNF_NICE:-10}, so a restarting switch is not starved by its busy polling.
# --no-mlockall and -m 128, as the tests' stand-ins (tests/integration/lib.sh vnf_start): with
# testpmd's default mlockall of -m 256 each held 377 MB locked, which its exit had to free on the
# shared CPU (issue 10's slow stops). Sets TP_PID.
bl_vnf_standin() {
	bl_testpmd_start "$4" nice -n "${BL_VNF_NICE:-10}" taskset -c "$GEN_CPU" dpdk-testpmd \
		--lcores "0@$GEN_CPU,1@$GEN_CPU" --file-prefix "qvv$1$$" --no-pci --no-huge -m 128 \
		--log-level=user1,8 \
		--vdev "net_virtio_user0,path=$2,queues=1,queue_size=1024,server=1" \
		--vdev "net_virtio_user1,path=$3,queues=1,queue_size=1024,server=1" -- \
		--forward-mode=io --nb-cores=1 --total-num-mbufs=8192 --rxd=1024 --txd=1024 \
		--disable-link-check --no-mlockall
}

# bl_telemetry PREFIX COMMAND: one DPDK telemetry query of the process with --file-prefix PREFIX
bl_telemetry() {
	echo "$2" | python3 /usr/bin/dpdk-telemetry.py -f "$1" 2>/dev/null | tail -n 1
}

# bl_veths PREFIX PORT...: for each PORT a veth pair PREFIX<PORT> (IF_<PORT>, the switch's end)
# and PREFIX<PORT>g (GIF_<PORT>, the generator's), up, IPv6 off (no router solicitations or
# other frames of the kernel's own among the measured ones) and no address; deleted at exit.
bl_veths() {
	local pre=$1 p a g i
	shift
	for p in "$@"; do
		a=$pre$p g=$pre${p}g
		ip link add "$a" type veth peer name "$g" || bl_die "cannot create veth pair $a/$g"
		BL_HOOKS+=("ip link del $a")
		for i in "$a" "$g"; do
			sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1" >/dev/null || true
			ip link set "$i" mtu 9000 up || bl_die "cannot bring $i up at MTU 9000"
		done
		printf -v "IF_$p" %s "$a"
		printf -v "GIF_$p" %s "$g"
	done
}
# bl_afp_devargs NAME IFACE: net_af_packet devargs with qwikvirt's af_packet rings for the run's
# MTU (pmd-glue/kernel_port.c: 2048 B frames, 10 KiB at MTU 9000, two per block, 512 of them)
bl_afp_devargs() {
	local fs=2048
	[ -z "${RUN_MTU:-}" ] || fs=10240
	echo "net_af_packet_$1,iface=$2,qpairs=1,framesz=$fs,blocksz=$((2 * fs)),framecnt=512"
}

# bl_ovs_start DIR FILE-PREFIX LOG: a private OVS-DPDK (ovsdb-server and ovs-vswitchd-dpdk, db,
# run and log dirs under DIR, removed first), DPDK lcores on GEN_CPU and its PMD on PMD_CPU,
# bridge br0 (netdev) without ports. Sets OVS_RUNDIR, VSCTL, APPCTL, OVS_PID; bl_ovs_stop (a
# cleanup hook too) stops both daemons.
OVS_VSWITCHD=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
bl_ovs_start() {
	local o=$1 prefix=$2 log=$3
	[ -x "$OVS_VSWITCHD" ] || bl_die "$OVS_VSWITCHD missing (apt-get install openvswitch-switch-dpdk)"
	rm -rf "$o"
	export OVS_RUNDIR=$o/run OVS_DBDIR=$o/db OVS_LOGDIR=$o/log
	mkdir -p "$OVS_RUNDIR" "$OVS_DBDIR" "$OVS_LOGDIR"
	VSCTL="ovs-vsctl --db=unix:$OVS_RUNDIR/db.sock --timeout=60"
	APPCTL="ovs-appctl -t $OVS_RUNDIR/ovs-vswitchd.ctl"
	ovsdb-tool create "$OVS_DBDIR/conf.db" /usr/share/openvswitch/vswitch.ovsschema
	ovsdb-server "$OVS_DBDIR/conf.db" --remote="punix:$OVS_RUNDIR/db.sock" \
		--pidfile="$OVS_RUNDIR/ovsdb-server.pid" --unixctl="$OVS_RUNDIR/ovsdb-server.ctl" \
		--log-file="$OVS_LOGDIR/ovsdb-server.log" --detach 2>>"$log"
	BL_PIDS+=("$(cat "$OVS_RUNDIR/ovsdb-server.pid")")
	[[ " ${BL_HOOKS[*]} " == *" bl_ovs_stop "* ]] || BL_HOOKS+=("bl_ovs_stop")
	$VSCTL --no-wait init
	# socket-limit 2048: OVS sizes its shared mempool by halving from 262,144 mbufs until one
	# fits, which at MTU 9000 (about 10 KB each) under a 1024 MB limit left too little for
	# rte_vhost's own allocations: "failed to allocate memory for vq internal data" on
	# SET_VRING_NUM, the generator's connection closed (the 9018 B runs of 2026-12-01). At
	# MTU 1500 the pool is the same as under 1024.
	$VSCTL --no-wait set Open_vSwitch . other_config:dpdk-init=true \
		other_config:dpdk-socket-mem=512 other_config:dpdk-socket-limit=2048 \
		other_config:dpdk-lcore-mask="$(printf 0x%x $((1 << GEN_CPU)))" \
		other_config:pmd-cpu-mask="$(printf 0x%x $((1 << PMD_CPU)))" \
		other_config:dpdk-extra="--file-prefix=$prefix --no-pci"
	# taskset: main, handler, revalidator and DPDK control threads on the generator's CPU;
	# the PMD thread still goes to PMD_CPU through pmd-cpu-mask
	taskset -c "$GEN_CPU" "$OVS_VSWITCHD" "unix:$OVS_RUNDIR/db.sock" \
		--pidfile="$OVS_RUNDIR/ovs-vswitchd.pid" --unixctl="$OVS_RUNDIR/ovs-vswitchd.ctl" \
		--log-file="$OVS_LOGDIR/ovs-vswitchd.log" --detach 2>>"$log"
	OVS_PID=$(cat "$OVS_RUNDIR/ovs-vswitchd.pid")
	BL_PIDS+=("$OVS_PID")
	[ "$($VSCTL get Open_vSwitch . dpdk_initialized)" = true ] ||
		bl_die "DPDK not initialized in OVS: see $OVS_LOGDIR/ovs-vswitchd.log"
	$VSCTL add-br br0 -- set bridge br0 datapath_type=netdev
}
bl_ovs_stop() {
	local d p
	for d in ovs-vswitchd ovsdb-server; do
		[ -f "$OVS_RUNDIR/$d.pid" ] || continue
		p=$(cat "$OVS_RUNDIR/$d.pid")
		timeout 10 ovs-appctl -t "$OVS_RUNDIR/$d.ctl" exit >/dev/null 2>&1 || true
		bl_stop_pid "$p" 10
		rm -f "$OVS_RUNDIR/$d.pid"
	done
}
