#!/bin/bash
# demo.sh - the whole product on one host: builds, starts libvirt, qv-switchd and qv-controld,
# applies configs/demo.yaml (a chain in -> fw -> out through one firewall VM, the tiny bridge
# guest), pushes UDP traffic through it from a virtio-user peer, shows the chain, the VM, the
# placement and the rate, and stops everything it started. Exits non-zero if no packet crossed.
#
#   scripts/demo.sh [--chain]      the whole product (default; a few minutes on a fresh host)
#   scripts/demo.sh --switch-only  the switch alone: two vhost-user ports, a rule each way
#   options: --duration S (traffic, default 5)  --size BYTES (default 64)
#            --no-setup (no apt, hugepages, build)  --quick (--no-setup --duration 2, build dir
#            $QV_BUILD if set: what the system test runs)
#
# Fresh Debian 12, as root. Layout on a 2-CPU host: qv-switchd's PMD busy-polls CPU 1; the VM
# (software-emulated here: /dev/kvm cannot run stock kernels), the peer and the control
# threads share CPU 0, so the chain forwards tens of kpps: that is the guest, not the switch.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC"
. scripts/lib/proc.sh

MODE=chain DUR=5 SIZE=64 SETUP=1 B=build
while [ $# -gt 0 ]; do
	case $1 in
	--chain) MODE=chain ;;
	--switch-only) MODE=switch ;;
	--duration) DUR=${2:?--duration needs seconds}; shift ;;
	--size) SIZE=${2:?--size needs a frame size}; shift ;;
	--no-setup) SETUP=0 ;;
	--quick) SETUP=0 DUR=2 B=${QV_BUILD:-build} ;;
	-h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "demo.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (hugepages, libvirt, /run)" >&2; exit 1; }

# What was started is undone in reverse order, whatever happens (on_exit CMD...).
UNDO=()
on_exit() { UNDO+=("$*"); }
undo_all() {
	local rc=$? i
	set +e
	for ((i = ${#UNDO[@]} - 1; i >= 0; i--)); do eval "${UNDO[$i]}"; done
	exit $rc
}
trap undo_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
die() { echo "demo.sh: FAIL: $*" >&2; exit 1; }
step() { echo; echo "== $*"; }

if [ $SETUP = 1 ]; then
	step "host set-up (packages, hugepages) and build"
	scripts/setup-host.sh
	scripts/build.sh "$B" >/dev/null
fi
for p in dataplane/qv-switchd control/qvctl/qvctl tests/tools/qv-peer; do
	[ -x "$B/$p" ] || die "$B/$p is not built (scripts/build.sh, or leave out --no-setup)"
done
qvctl_bin=$B/control/qvctl/qvctl

case $MODE in
switch) . scripts/lib/demo_switch.sh ;;
chain) . scripts/lib/demo_chain.sh ;;
esac
step "stopping everything the demo started"
