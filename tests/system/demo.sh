#!/bin/bash
# The README's first command works: scripts/demo.sh --quick (built tree, one VM, 2 s of traffic)
# applies configs/demo.yaml, carries packets through the firewall VM, shows the operator's
# views, and leaves nothing behind (no demo domain, no run directory, exit 0).
set -euo pipefail
: "${QV_BUILD:?run through meson test}" "${QV_SRC:?run through meson test}"
out=$(mktemp /tmp/qvdemo-test.XXXXXX)
trap 'rm -f "$out"' EXIT
fail() { echo "demo: FAIL: $*" >&2; tail -40 "$out" >&2; exit 1; }
check() { grep -q -- "$2" "$out" || fail "$1: '$2' not in the demo's output"; echo "demo: ok: $1"; }

"$QV_SRC/scripts/demo.sh" --quick >"$out" 2>&1 || fail "scripts/demo.sh --quick exited $?"
check "the file applied, VM started" "VM qvdemo-fw-0          started"
check "show chains: the hops" "chain demo: in -> fw -> out"
check "vm list: the VM running" "qvdemo-fw-0  running"
check "show placement: the PMD core" "PMD CPUs: 1"
check "the rate line" "kpps through the chain"
grep -- '== rate:' "$out" # the figure, for the CI log (a TCG guest: tens of kpps at most)
left=$(virsh -q -c qemu:///system list --all --name 2>/dev/null | grep -c '^qvdemo-' || true)
[ "$left" = 0 ] || fail "$left demo domain(s) left behind"
[ ! -e /run/qwikvirt-demo ] || fail "/run/qwikvirt-demo left behind"
echo "demo: nothing left behind"
