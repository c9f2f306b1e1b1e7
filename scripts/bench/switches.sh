# scripts/bench/switches.sh - the switches under test for scripts/bench.sh (sourced by it): start,
# clear, cycles, RSS and stop for qwikvirt and its variants, testpmd and OVS-DPDK; the VNF
# stand-ins of pvp/pvvp; qv-bench on the generator's CPU. Reads bench.sh's settings.

# filler I: sets F_PROTO F_PFX F_PORT for filler rule I, matching no test packet (the test
# traffic is UDP from 10.0.0.0/8): "tcp HOST PORT" or "udp PREFIX/24 PORT", which each switch
# writes in its own syntax (no subshell: a table of 100,000 rules is written in seconds)
filler() {
	local i=$1
	if ((i % 2)); then
		F_PROTO=udp F_PFX=172.$((16 + i / 65536 % 16)).$((i / 256 % 256)).0/24 F_PORT=$((2000 + i % 50000))
	else
		F_PROTO=tcp F_PFX=192.168.$((i / 250 % 250)).$((i % 250 + 1))/32 F_PORT=$((1000 + i % 60000))
	fi
}

# qv_table FILE SHIFT: qwikvirt's whole table of RUN_RULES rules, qvctl flow add-file syntax:
# the forwarding pairs, then fillers SHIFT, SHIFT+1, ... (SHIFT 1: a different table that
# forwards the same, for the blocked-time measurement)
qv_table() {
	local pr a b i=0
	for pr in $PAIRS; do
		a=${pr%:*} b=${pr#*:}
		echo "in=$a actions=output:$b"
		echo "in=$b actions=output:$a"
		i=$((i + 2))
	done >"$1"
	for ((; i < RUN_RULES; i++)); do
		filler $((i + $2))
		if [ "$F_PROTO" = tcp ]; then
			echo "in=a,proto=tcp,ip-dst=$F_PFX,dst-port=$F_PORT actions=drop"
		else
			echo "in=a,proto=udp,ip-src=$F_PFX,dst-port=$F_PORT actions=drop"
		fi
	done >>"$1"
}

# ovs_table FILE SHIFT: the same table as ovs-ofctl flows (OFP_<port> set by sw_start_ovs)
ovs_table() {
	local pr a b i=0
	for pr in $PAIRS; do
		a=OFP_${pr%:*} b=OFP_${pr#*:}
		echo "priority=100,in_port=${!a},actions=output:${!b}"
		echo "priority=100,in_port=${!b},actions=output:${!a}"
		i=$((i + 2))
	done >"$1"
	for ((; i < RUN_RULES; i++)); do
		filler $((i + $2))
		if [ "$F_PROTO" = tcp ]; then
			echo "priority=200,tcp,in_port=$OFP_a,nw_dst=${F_PFX%/32},tp_dst=$F_PORT,actions=drop"
		else
			echo "priority=200,udp,in_port=$OFP_a,nw_src=$F_PFX,tp_dst=$F_PORT,actions=drop"
		fi
	done >>"$1"
}

# ---- one switch under test: start / cycles / stop ---------------------------------------------
# sw_start NAME sets SOCK_<port> for every switch port and SW_PID.
sw_start_qwikvirt() {
	local sd=$BW/qv p
	mkdir -p "$sd"
	taskset -c "$GEN_CPU" "$SWITCHD" --socket "$sd/sw.sock" --pmd-cores "$PMD_CPU" \
		--main-core "$GEN_CPU" --file-prefix "qvbsw$$" >"$RUNLOG.switch" 2>&1 &
	SW_PID=$!
	BL_PIDS+=("$SW_PID")
	bl_wait "qv-switchd ready" 60 grep -q 'qv-switchd: ready' "$RUNLOG.switch"
	QV="$QVCTL_BIN --switch $sd/sw.sock"
	for p in $SWPORTS; do
		if [ "$TOPO" = phy ]; then
			local ifv=IF_$p
			$QV port add "$p" af_packet "${!ifv}" ${RUN_MTU:+--mtu $RUN_MTU} >/dev/null
			continue
		fi
		$QV port add "$p" vhost "$sd/$p.sock" ${RUN_MTU:+--mtu $RUN_MTU} \
			$([ "$VRING_STATS" = yes ] || echo --no-vring-stats) >/dev/null
		printf -v "SOCK_$p" %s "$sd/$p.sock"
	done
	# the whole table in one transaction (qvctl flow add-file), as an operator would load it;
	# the fillers sit in the classifier and match no test packet
	qv_table "$sd/table.txt" 0
	$QV flow add-file "$sd/table.txt" >/dev/null
}
# qwikvirt with many wildcard rules and many flows (RUN_RULES, RUN_FLOWS set by one_run)
sw_start_qvrules() { sw_start_qwikvirt; }
sw_clear_qvrules() { sw_clear_qwikvirt; }
sw_cycles_qvrules() { sw_cycles_qwikvirt; }
sw_rss_qvrules() { sw_rss_qwikvirt; }
sw_stop_qvrules() { sw_stop_qwikvirt; }
sw_clear_qwikvirt() { $QV stats clear >/dev/null; }
sw_cycles_qwikvirt() { $QV --json show pmd | jq '.pmds[0].cycles_per_packet'; }
sw_rss_qwikvirt() { awk '/^VmRSS/ {print $2}' "/proc/$SW_PID/status"; }
sw_stop_qwikvirt() { bl_stop_pid "$SW_PID" 20; bl_forget "$SW_PID"; }

# qwikvirt with a capture of everything (rx and tx) on every port, files in the switch's
# capture directory (its default: capture/ beside the socket)
sw_start_qvcapture() {
	local p
	sw_start_qwikvirt
	for p in $SWPORTS; do
		$QV capture start "$p" --dir both --force --file "cap-$p.pcapng" >/dev/null
	done
}
sw_clear_qvcapture() { sw_clear_qwikvirt; }
sw_cycles_qvcapture() { sw_cycles_qwikvirt; }
sw_rss_qvcapture() { sw_rss_qwikvirt; }
sw_stop_qvcapture() { sw_stop_qwikvirt; rm -f "$BW"/qv/capture/cap-*.pcapng*; }

# qwikvirt forwarding through one-member groups: rules above the plain ones take the packets
sw_start_qvgroup() {
	local pr a b
	sw_start_qwikvirt
	for pr in $PAIRS; do
		a=${pr%:*} b=${pr#*:}
		$QV flow add "in=$a,priority=40000 actions=group:$b" >/dev/null
		$QV flow add "in=$b,priority=40000 actions=group:$a" >/dev/null
	done
}
sw_clear_qvgroup() { sw_clear_qwikvirt; }
sw_cycles_qvgroup() { sw_cycles_qwikvirt; }
sw_rss_qvgroup() { sw_rss_qwikvirt; }
sw_stop_qvgroup() { sw_stop_qwikvirt; }

# qwikvirt with an ingress policer on every port that never drops (1Tbit/s, 64MiB burst)
sw_start_qvpolice() {
	local p
	sw_start_qwikvirt
	for p in $SWPORTS; do $QV port set "$p" --police 1Tbit,64MiB >/dev/null; done
}
sw_clear_qvpolice() { sw_clear_qwikvirt; }
sw_cycles_qvpolice() { sw_cycles_qwikvirt; }
sw_rss_qvpolice() { sw_rss_qwikvirt; }
sw_stop_qvpolice() { sw_stop_qwikvirt; }

sw_start_testpmd() {
	local sd=$BW/tp p n=0 vd=()
	mkdir -p "$sd"
	rm -f "$sd"/*.sock
	# testpmd io pairs port 2k with 2k+1: list the ports pair by pair
	for p in $(echo "$PAIRS" | tr ': ' '  '); do
		if [ "$TOPO" = phy ]; then
			local ifv=IF_$p
			vd+=(--vdev "$(bl_afp_devargs "$p" "${!ifv}")")
			continue
		fi
		vd+=(--vdev "net_vhost$n,iface=$sd/$p.sock,queues=1")
		printf -v "SOCK_$p" %s "$sd/$p.sock"
		n=$((n + 1))
	done
	bl_testpmd_start "$RUNLOG.switch" dpdk-testpmd --lcores "0@$GEN_CPU,1@$PMD_CPU" \
		--file-prefix "qvbtp$$" --no-pci --in-memory --log-level=user1,8 "${vd[@]}" -- \
		--forward-mode=io --nb-cores=1 --total-num-mbufs=16384 --record-core-cycles \
		${RUN_MTU:+--mbuf-size=10240 --max-pkt-len=$((RUN_MTU + 18))} \
		--no-lsc-interrupt --no-rmv-interrupt --disable-link-check
	SW_PID=$TP_PID
	[ "$TOPO" = phy ] && bl_wait "testpmd forwarding" 60 grep -q 'Press enter to exit' "$RUNLOG.switch"
	[ "$TOPO" = phy ] || for p in $SWPORTS; do bl_wait "testpmd socket $p" 60 test -S "$sd/$p.sock"; done
}
sw_clear_testpmd() { :; }
sw_cycles_testpmd() { echo "${TP_CYC:-null}"; }
sw_rss_testpmd() { awk '/^VmRSS/ {print $2}' "/proc/$SW_PID/status"; }
sw_stop_testpmd() {
	bl_stop_pid "$SW_PID" 20
	bl_forget "$SW_PID"
	# printed on exit: "CPU cycles/packet=162.34 (busy cycles=..."
	TP_CYC=$(sed -n 's/.*CPU cycles\/packet=\([0-9.]*\).*/\1/p' "$RUNLOG.switch" | tail -n 1)
}

sw_start_ovs() {
	local p n=1
	bl_ovs_start "$BW/ovs" "qvbovs$$" "$RUNLOG.switch"
	SW_PID=$OVS_PID
	for p in $SWPORTS; do
		if [ "$TOPO" = phy ]; then
			local ifv=IF_$p
			$VSCTL add-port br0 "$p" -- set Interface "$p" type=dpdk ofport_request=$n \
				options:dpdk-devargs="$(bl_afp_devargs "$p" "${!ifv}")" \
				${RUN_MTU:+mtu_request=$RUN_MTU}
		else
			$VSCTL add-port br0 "$p" -- set Interface "$p" type=dpdkvhostuser ofport_request=$n \
				${RUN_MTU:+mtu_request=$RUN_MTU}
			printf -v "SOCK_$p" %s "$OVS_RUNDIR/$p"
		fi
		printf -v "OFP_$p" %s "$n"
		n=$((n + 1))
	done
	ovs_table "$BW/ovs/flows.txt" 0
	ovs-ofctl del-flows br0
	ovs-ofctl add-flows br0 "$BW/ovs/flows.txt"
	[ "$TOPO" = phy ] || for p in $SWPORTS; do bl_wait "OVS socket $p" 60 test -S "$OVS_RUNDIR/$p"; done
}
sw_clear_ovs() { $APPCTL dpif-netdev/pmd-stats-clear >/dev/null; }
sw_cycles_ovs() {
	$APPCTL dpif-netdev/pmd-stats-show | awk '/^pmd thread/ {p=1} /^main thread/ {p=0}
		p && /avg processing cycles per packet:/ {v=$6} END {print (v == "" ? "null" : v)}'
}
sw_rss_ovs() { awk '/^VmRSS/ {print $2}' "/proc/$SW_PID/status"; }
sw_stop_ovs() {
	bl_ovs_stop
	bl_forget "$SW_PID"
	# OVS's own log (vhost-user and netdev_dpdk messages): its stderr says little
	cp "$OVS_LOGDIR/ovs-vswitchd.log" "$RUNLOG.ovs-vswitchd.log" 2>/dev/null || true
}

# ---- the VNF stand-ins for pvp/pvvp: testpmd io between two virtio-user ports on CPU 0 -------
VNF_PIDS=()
vnf_one() { # vnf_one NAME IN-SOCK OUT-SOCK
	bl_testpmd_start "$RUNLOG.$1" taskset -c "$GEN_CPU" dpdk-testpmd --lcores "0@$GEN_CPU,1@$GEN_CPU" \
		--file-prefix "qvb$1$$" --no-pci --in-memory --single-file-segments --log-level=user1,8 \
		--vdev "net_virtio_user0,path=$2,queues=1,queue_size=1024" \
		--vdev "net_virtio_user1,path=$3,queues=1,queue_size=1024" -- \
		--forward-mode=io --nb-cores=1 --total-num-mbufs=16384 --rxd=1024 --txd=1024 \
		--no-lsc-interrupt --no-rmv-interrupt --disable-link-check
	VNF_PIDS+=("$TP_PID")
	bl_wait "VNF $1 forwarding" 60 grep -q 'Press enter to exit' "$RUNLOG.$1"
}
# a real VM: the bridge guest, QEMU the vhost-user client of the switch's sockets
VNF_VMS=()
vm_one() { # vm_one NAME IN-SOCK OUT-SOCK
	local vm=qvb$$-$1 i
	VNF_VMS+=("$vm")
	"$VMCTL" up --name "$vm" --guest "$GUEST_DIR" --vcpu-cpuset "$GEN_CPU" \
		--emulatorpin "$GEN_CPU" --serial-log "$RUNLOG.$1.serial" \
		--iface "$2,client" --iface "$3,client" >"$RUNLOG.$1" 2>&1 || bl_die "VM $vm: $(tail -2 "$RUNLOG.$1")"
	for ((i = 0; i < 1500; i++)); do
		grep -aq QV-GUEST-READY "$RUNLOG.$1.serial" 2>/dev/null && return 0
		sleep 0.1
	done
	bl_die "VM $vm did not boot in 150 s: $RUNLOG.$1.serial"
}
vm_cleanup() {
	local vm
	for vm in "${VNF_VMS[@]}"; do "$VMCTL" undefine "$vm" >/dev/null 2>&1; done
	VNF_VMS=()
}
vnf_start() {
	local one=vnf_one
	[ "$VNF" = vm ] && one=vm_one
	VNF_PIDS=()
	case $TOPO in
	pvp) $one vnf "$SOCK_v1" "$SOCK_v2" ;;
	pvvp) $one vnf1 "$SOCK_v1" "$SOCK_v2" && $one vnf2 "$SOCK_w1" "$SOCK_w2" ;;
	esac
}
vnf_stop() {
	local p
	for p in "${VNF_PIDS[@]}"; do bl_stop_pid "$p" 20; bl_forget "$p"; done
	VNF_PIDS=()
	vm_cleanup
}

# ---- qv-bench on the generator's CPU -----------------------------------------------------------
qvbench() { # qvbench NAME OPTIONS... -> JSON in $RUNLOG.NAME.json
	local name=$1 GEN_PORTS
	shift
	# its ports 0 and 1: virtio-user on the switch's a and b, or (phy) af_packet on the veths
	if [ "$TOPO" = phy ]; then
		GEN_PORTS=(--vdev "$(bl_afp_devargs ga "$GIF_a")" --vdev "$(bl_afp_devargs gb "$GIF_b")" --)
	else
		GEN_PORTS=(-- --port "virtio:$SOCK_a" --port "virtio:$SOCK_b")
		[ "$PACKED" = no ] || GEN_PORTS+=(--packed)
	fi
	timeout $((60 + ${DUR%.*} * 4)) taskset -c "$GEN_CPU" "$QVB" --lcores "0@$GEN_CPU" --no-pci \
		--in-memory --single-file-segments --file-prefix "qvbgen$$" --log-level=user1,8 \
		"${GEN_PORTS[@]}" --flows "$RUN_FLOWS" --quiet \
		--json "$RUNLOG.$name.json" "$@" >"$RUNLOG.$name.log" 2>&1 &
	local pid=$!
	BL_PIDS+=("$pid")
	local rc=0
	wait "$pid" || rc=$?
	bl_forget "$pid"
	return $rc
}

