#!/bin/bash
# A saved desired state that no longer loads (edited by hand, or a key this version refuses)
# stops qv-controld at start with every error at its position and the way out, and changes
# nothing: the file stays as it was, the switch keeps its ports. With the service file copied
# over it (the way out the error gives), the daemon starts from that, takes nothing off the
# switch (the last apply's journal may still be there: it is stopped right after the apply),
# and the same file applies again with nothing to change.
. "$(dirname "$0")/lib.sh"

switch_start
controld_start
cat >"$T/svc.yaml" <<Y
switch: {socket-dir: $T}
ports:
  - {name: lan, type: vhost, path: $T/lan.sock, mtu: 1500}
  - {name: wan, type: vhost, path: $T/wan.sock}
vnfs:
  - {name: rtr, vcpus: 1, memory: 256MiB, kernel: /boot/vmlinuz}
chains:
  - {name: c, from: lan, hops: [rtr], to: wan}
Y
out=$(qvc apply "$T/svc.yaml") || fail "apply: $out"
ports=$(qjson show ports | jq -r '[.ports[].name] | sort | join(" ")')
check_eq "the service's ports are on the switch" "lan rtr-0-in rtr-0-out wan" "$ports"
stop_pid "$CONTROLD_PID"

# the saved copy, as a newer hand would leave it: an MTU no version takes
sed -i 's/mtu: 1500/mtu: 99999/' "$T/state/desired.yaml"
grep -q 'mtu: 99999' "$T/state/desired.yaml" || fail "desired.yaml has no mtu to break: $(cat "$T/state/desired.yaml")"
cp "$T/state/desired.yaml" "$T/desired.orig"
st=0
out=$("$CONTROLD_BIN" --no-vms --socket "$CTL_DIR/cd.sock" --switch "$CTL_DIR/sw.sock" \
	--state-dir "$T/state" --interval 200 2>&1 </dev/null) || st=$?
log "qv-controld: $out"
[ $st -ne 0 ] || fail "qv-controld started on a desired state that does not load"
check_contains "the error names the state file and the file it is a copy of" \
	"$T/state/desired.yaml (the copy of $T/svc.yaml applied last) does not load, nothing was applied" "$out"
check_contains "... where (the line in the file as applied)" "the first error: $T/svc.yaml:3:" "$out"
check_contains "... what is wrong" \
	"bad 'mtu' in port 'lan': found '99999', expected a number 68..9194" "$out"
check_contains "... and the way out" \
	"fix it, or copy the service file over it (cp FILE $T/state/desired.yaml" "$out"
cmp -s "$T/desired.orig" "$T/state/desired.yaml" || fail "desired.yaml was changed"
check_eq "the switch kept its ports" "$ports" \
	"$(qjson show ports | jq -r '[.ports[].name] | sort | join(" ")')"

cp "$T/svc.yaml" "$T/state/desired.yaml"
controld_start
# the apply is answered after the start's reconcile (journal undo included) has run
out=$(qvc apply "$T/svc.yaml") || fail "apply again: $out"
check_contains "the same file applies with nothing to change" "nothing to change" "$out"
case "$(cat "$T/controld.log")" in *"taken off the switch"*) fail "the restart took ports off: $(tail -n 3 "$T/controld.log")" ;; esac
check_eq "the switch still has its ports" "$ports" \
	"$(qjson show ports | jq -r '[.ports[].name] | sort | join(" ")')"
