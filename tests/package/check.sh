#!/bin/bash
# qvctl check FILE, offline: every example of configs/ validates (those that need hardware too)
# and prints its plan with no daemon running; broken files exit 1 with FILE:LINE:COLUMN errors,
# and those errors are the very lines qv-controld's apply --check reports for the same file.
. "$QV_SRC/tests/integration/lib.sh"

check() { "$QVCTL_BIN" --switch "$T/none.sock" --controld "$T/none-cd.sock" "$@"; }

# ---- the examples: valid, a plan, nothing running -------------------------------------------
n=0
for f in "$QV_SRC"/configs/*.yaml; do
    out=$(check check "$f") || fail "qvctl check $f: exit $?: $out"
    check_contains "$(basename "$f"): valid" "$f: valid; the plan onto an empty switch:" "$out"
    check_contains "$(basename "$f"): a plan with rules" "add rule" "$out"
    check_contains "$(basename "$f"): says nothing changed" "change(s) planned, nothing changed" "$out"
    n=$((n + 1))
done
[ $n -ge 4 ] || fail "expected the 4 examples of configs/, found $n"
# JSON for scripts: the same plan
out=$(check --json check "$QV_SRC/configs/web.yaml")
check_eq "json: ok" true "$(jq -r .ok <<<"$out")"
check_eq "json: web.yaml's ports" "uplink0 uplink1 fw-0-in fw-0-out rtr-0-in rtr-0-out" \
    "$(jq -r '[.plan.ports_add[].name] | join(" ")' <<<"$out")"
check_eq "json: web.yaml's rules" 3 "$(jq '.plan.rules_add | length' <<<"$out")"
check_eq "json: web.yaml's VMs" "qv-fw-0 qv-rtr-0" "$(jq -r '.plan.vms_start | join(" ")' <<<"$out")"
out=$(check check "$QV_SRC/configs/vf-passthrough.yaml")
check_contains "a VF handed to a VM is shown as such" "pass VF       mirror (vf 4 of PF 0000:03:00.1, to VNF dpi's VM)" "$out"

# ---- broken files: exit 1, every error as FILE:LINE:COLUMN -----------------------------------
cat >"$T/bad.yaml" <<'Y'
ports:
  - {name: a, type: vhost, path: /run/qwikvirt/a.sock, queues: two}
vnfs:
  - {name: fw, memory: 1GB, kernel: /boot/vmlinuz}
chains:
  - {name: c, from: a, to: b, hops: [fw], hopz: []}
Y
rc=0
err=$(check check "$T/bad.yaml" 2>&1 >/dev/null) || rc=$?
check_eq "a broken file exits 1" 1 "$rc"
check_contains "bad number at its line and column" "$T/bad.yaml:2:64: bad 'queues' in port 'a': found 'two'" "$err"
check_contains "bad size" "$T/bad.yaml:4:24: bad 'memory' in VNF 'fw': found '1GB'" "$err"
check_contains "unknown port" "$T/bad.yaml:6:28: unknown port 'b' in 'to' of chain 'c' (declared: a)" "$err"
check_contains "unknown key" "$T/bad.yaml:6:43: unknown key 'hopz' in chain 'c'" "$err"
check_contains "the summary" "qvctl: $T/bad.yaml: 4 error(s); nothing was applied" "$err"
lines=$(grep -c "^$T/bad.yaml:[0-9]*:[0-9]*: " <<<"$err")
check_eq "each error on a FILE:LINE:COLUMN line" 4 "$lines"

printf 'ports:\n  - {name: a, type: vhost\n' >"$T/syntax.yaml"
rc=0
err=$(check check "$T/syntax.yaml" 2>&1 >/dev/null) || rc=$?
check_eq "a YAML syntax error exits 1" 1 "$rc"
check_contains "syntax error with its position" "$T/syntax.yaml:3:1: " "$err"

rc=0
err=$(check check "$T/missing.yaml" 2>&1) || rc=$?
check_eq "a missing file exits 1" 1 "$rc"
check_contains "a missing file is named" "cannot read $T/missing.yaml: No such file or directory" "$err"
rc=0
check check >/dev/null 2>&1 || rc=$?
check_eq "no FILE is a usage error" 2 "$rc"
rc=0
out=$(check --json check "$T/bad.yaml") || rc=$?
check_eq "json: a broken file exits 1" 1 "$rc"
check_eq "json: the errors" 4 "$(jq '.errors | length' <<<"$out")"

# ---- the same errors as apply --check ---------------------------------------------------------
# qv-controld with no switch: a file with errors is refused before the switch is asked anything
controld_start
for f in bad syntax; do
    offline=$(check check "$T/$f.yaml" 2>&1 >/dev/null | grep "^$T/$f.yaml:" || true)
    online=$(qvc apply --check "$T/$f.yaml" 2>&1 >/dev/null | grep "^$T/$f.yaml:" || true)
    [ -n "$online" ] || fail "apply --check $f.yaml reported no FILE:LINE:COL error"
    check_eq "$f.yaml: check and apply --check report the same errors" "$online" "$offline"
done
