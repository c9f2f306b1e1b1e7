# scripts/bench/phases.sh - the measuring phases of one scripts/bench.sh run (sourced by it):
# throughput (loop or max-rate gen), the NDR/PDR search, latency at a fixed rate or at 10/50/90 %
# of the switch's own NDR, and the blocked time of a reconfiguration under load. Each phase
# leaves its figures in PH_* variables (JSON fragments) that one_run writes as one line.

# phase_throughput SIZE: PH_MPPS (what the generator received, Mpps) and PH_GEN (the generator's
# own load meanwhile: its busy share and busy cycles per packet, as qv-bench measured them)
phase_throughput() {
	local thr=(--size "$1" --duration "$DUR" --warmup "$WARMUP")
	PH_MPPS=null PH_GEN=null
	if [ "$METHOD" = loop ]; then
		thr+=(--mode io --tx-first 32)
	else
		thr+=(--mode gen --tx 0,1 --rx 0,1 --latency 0)
	fi
	if qvbench thr "${thr[@]}"; then
		PH_MPPS=$(jq '.runs[0].rx_pps / 1e6' "$RUNLOG.thr.json")
		PH_GEN=$(jq -c '.runs[0] | {busy_pct: .gen_busy_pct,
			cycles_per_pkt: .gen_busy_cycles_per_pkt}' "$RUNLOG.thr.json")
	else
		bl_log "throughput run failed: $RUNLOG.thr.log"
	fi
}

# phase_ndr SIZE: the no-drop and partial-drop rates, both directions at once (--tx 0,1),
# short trials (--trial) then a final trial of --duration s at the rate found. PH_NDR_PPS
# (total over both directions, 0 if none passed) and PH_NDR (the JSON of both searches with
# every trial's rate, sent, lost and phase).
phase_ndr() {
	PH_NDR_PPS=0 PH_BASE_PPS=0 PH_NDR=null
	if ! qvbench ndr --size "$1" --mode gen --tx 0,1 --rx 0,1 --latency 0 --warmup "$WARMUP" \
		--ndr --pdr "$PDR" --trial "$TRIAL" --final "$DUR" --max-trials "$MAX_TRIALS" \
		--min-sent "$MIN_SENT"; then
		bl_log "NDR search failed: $RUNLOG.ndr.log"
		return 0
	fi
	PH_NDR=$(jq -c '[.search[] | {kind, loss_ratio, mpps: (.rate_pps / 1e6), confirmed,
		trials: [.trials[] | {phase, offered_mpps: (.offered_pps / 1e6), tx, rx, lost,
			elapsed_s, pass, gen_busy_pct}]}]' "$RUNLOG.ndr.json")
	PH_NDR_PPS=$(jq '[.search[] | select(.kind == "ndr") | .rate_pps][0] // 0' "$RUNLOG.ndr.json")
	PH_BASE_PPS=$(jq --arg k "$LOAD_BASE" '[.search[] | select(.kind == $k) | .rate_pps][0] // 0' \
		"$RUNLOG.ndr.json")
}

# lat_run NAME SIZE RATE TX RX: one stamped run at RATE pps -> its latency JSON (null if failed)
lat_run() {
	if qvbench "$1" --size "$2" --mode gen --tx "$4" --rx "$5" --rate "$3" \
		--duration "$LATDUR" --warmup 0.5 --latency 8; then
		jq -c '.runs[0] | .latency_us + {loss_ratio, offered_mpps: (.offered_pps / 1e6)}' \
			"$RUNLOG.$1.json"
	else
		bl_log "latency run failed: $RUNLOG.$1.log"
		echo null
	fi
}

# phase_latency SIZE: PH_LAT, at --lat-rate one way (0 -> 1); PH_LAT_LOAD, at 10, 50 and 90 %
# of this switch's NDR of this repetition (both directions, as the NDR was measured)
phase_latency() {
	local pct
	PH_LAT=null PH_LAT_LOAD=null
	[ "$LATRATE" = 0 ] || PH_LAT=$(lat_run lat "$1" "$LATRATE" 0 1)
	[ "$METHOD" = ndr ] || return 0
	if ! [ "${PH_BASE_PPS%.*}" -gt 0 ] 2>/dev/null; then
		bl_log "no ${LOAD_BASE^^} found: no latency at load"
		return 0
	fi
	PH_LAT_LOAD={}
	for pct in $LOAD_PCTS; do
		PH_LAT_LOAD=$(jq -c --arg k "$pct" --argjson v \
			"$(lat_run "lat$pct" "$1" "$(awk -v r="$PH_BASE_PPS" -v p="$pct" 'BEGIN {printf "%d", r * p / 100}')" 0,1 0,1)" \
			'. + {($k): $v}' <<<"$PH_LAT_LOAD")
	done
}

# ---- blocked time: a reconfiguration under traffic at 90 % of NDR -------------------------------
# op_<switch>_<op>: the reconfiguration itself. rules = replace the whole table by one that
# forwards the same (fillers shifted by one); port = add a vhost-user port, then delete it.
op_qwikvirt_rules() {
	qv_table "$BW/qv/table2.txt" 1
	$QV flow replace-file "$BW/qv/table2.txt" >/dev/null
}
op_qwikvirt_port() {
	$QV port add blk vhost "$BW/qv/blk.sock" >/dev/null && $QV port del blk >/dev/null
}
op_ovs_rules() {
	ovs_table "$BW/ovs/flows2.txt" 1
	ovs-ofctl replace-flows br0 "$BW/ovs/flows2.txt"
}
op_ovs_port() {
	$VSCTL add-port br0 blk -- set Interface blk type=dpdkvhostuser && $VSCTL del-port br0 blk
}
op_none() { :; }

# chain: qv-controld (no VMs: the VNF ports are vhost-user ports nobody serves) applies an
# edited service definition: chain 'edit' gets another match and a second VNF hop, i.e. new
# ports and rules through the same path an operator's `qvctl apply` takes. The generator's
# traffic a <-> b belongs to no chain: what it loses is what the change costs the traffic the
# change does not touch, which must be nothing.
chain_yaml() { # chain_yaml FILE PORT EXTRA(yes|no)
	cat >"$1" <<Y
switch:
  socket-dir: $BW/qv
ports:
  - {name: ua, type: vhost, path: $BW/qv/ua.sock}
  - {name: ub, type: vhost, path: $BW/qv/ub.sock}
vnfs:
  - {name: fw, vcpus: 1, memory: 256MiB, kernel: /boot/vmlinuz}
$([ "$3" = yes ] && echo "  - {name: ids, vcpus: 1, memory: 256MiB, kernel: /boot/vmlinuz}")
chains:
  - name: edit
    from: ua
    match: {proto: tcp, dst-port: $2}
    hops: [$([ "$3" = yes ] && echo "fw, ids" || echo fw)]
    to: ub
Y
}
pre_qwikvirt_chain() {
	local cd=$BW/qv/cd
	mkdir -p "$cd"
	taskset -c "$GEN_CPU" "$BUILD/control/controld/qv-controld" --socket "$cd/cd.sock" \
		--switch "$BW/qv/sw.sock" --state-dir "$cd/state" --no-vms --interval 1000 \
		>"$RUNLOG.controld" 2>&1 &
	CD_PID=$!
	BL_PIDS+=("$CD_PID")
	bl_wait "qv-controld ready" 60 grep -q 'qv-controld: ready' "$RUNLOG.controld"
	QVC="$QV --controld $cd/cd.sock"
	chain_yaml "$cd/svc.yaml" 8080 no
	$QVC apply "$cd/svc.yaml" >/dev/null
	chain_yaml "$cd/svc.yaml" 8081 yes
}
op_qwikvirt_chain() {
	$QVC apply "$BW/qv/cd/svc.yaml" >/dev/null &&
		$QV --json show ports | jq -e '.ports[] | select(.name == "ids-0-in")' >/dev/null
}
post_qwikvirt_chain() { bl_stop_pid "$CD_PID" 20; bl_forget "$CD_PID"; }

# phase_blocked SIZE SWITCH: PH_BLOCKED = {op: {lost, offered_mpps, blocked_ms, op_s}} for
# none (the same run without a change: what the load itself loses), rules, port and (qwikvirt)
# chain; pre_/post_<switch>_<op>, where defined, run before and after the measured run. Blocked
# time is CSIT's: packets lost / offered rate. The change starts 1 s into the measured part.
phase_blocked() {
	local size=$1 sw=$2 op fn rate t0 t1 pid rc
	PH_BLOCKED=null
	[ "$BLOCKED" = yes ] && [ "$METHOD" = ndr ] || return 0
	[[ " $BLOCKED_SIZES " == *" $size "* ]] || return 0
	case $sw in qwikvirt | ovs) ;; *) return 0 ;; esac
	if ! [ "${PH_BASE_PPS%.*}" -gt 0 ] 2>/dev/null; then
		bl_log "no ${LOAD_BASE^^} found: no blocked-time measurement"
		return 0
	fi
	rate=$(awk -v r="$PH_BASE_PPS" 'BEGIN {printf "%d", r * 0.9}')
	PH_BLOCKED={}
	for op in none rules port chain; do
		fn=op_${sw}_$op
		[ "$op" = none ] && fn=op_none
		declare -F "$fn" >/dev/null || continue
		! declare -F "pre_${sw}_$op" >/dev/null || "pre_${sw}_$op"
		qvbench "blk-$op" --size "$size" --mode gen --tx 0,1 --rx 0,1 --rate "$rate" \
			--duration "$BLOCKED_DUR" --warmup 0.5 --latency 0 &
		pid=$!
		# (a measurement schedule, not a synchronisation: the change lands inside the run)
		sleep 1.5
		t0=$(date +%s.%N)
		$fn >>"$RUNLOG.blk-$op.op" 2>&1 || bl_log "$sw: $op change failed: $RUNLOG.blk-$op.op"
		t1=$(date +%s.%N)
		rc=0
		wait "$pid" || rc=$?
		! declare -F "post_${sw}_$op" >/dev/null || "post_${sw}_$op"
		if [ $rc -ne 0 ]; then
			bl_log "blocked-time run ($op) failed: $RUNLOG.blk-$op.log"
			continue
		fi
		PH_BLOCKED=$(jq -c --arg op "$op" --argjson s "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", b - a}')" \
			--slurpfile r "$RUNLOG.blk-$op.json" '. + {($op): ($r[0].runs[0] | {lost, tx,
				offered_mpps: (.offered_pps / 1e6),
				blocked_ms: (if .offered_pps > 0 then .lost / .offered_pps * 1000 else null end),
				op_s: $s})}' <<<"$PH_BLOCKED")
	done
}
