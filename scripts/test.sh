#!/bin/bash
# test.sh - the README's test command: set up the host (packages, hugepages), build, and run
# the unit, integration, system and package suites with `meson test` (system: real VMs through
# libvirt and QEMU, whose daemons scripts/setup-libvirt.sh starts once for the suite and which
# are stopped after it; package: the Debian package built, installed and purged on this host).
# With --sanitize, the unit and integration suites run again on a build with AddressSanitizer
# + UndefinedBehaviorSanitizer; any finding fails.
#
#   scripts/test.sh [--sanitize] [--suite unit|integration|system|package] [meson test args...]
set -euo pipefail
cd "$(dirname "$0")/.."

SANITIZE=0 SUITES=()
while [ $# -gt 0 ]; do
    case $1 in
    --sanitize) SANITIZE=1 ;;
    --suite) SUITES+=(--suite "$2"); shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) break ;;
    esac
    shift
done
# package: the Debian package, built, linted, installed and purged on this host (a minute or two)
[ ${#SUITES[@]} -gt 0 ] || SUITES=(--suite unit --suite integration --suite system --suite package)

scripts/setup-host.sh
scripts/build.sh build
# The system suite's VMs need libvirtd and virtlogd. Each system test starts them when they are
# not running and stops what it started (some 4 s, libvirtd's exit, per test); started here
# once, they serve the whole suite and are stopped at the end. Their pid files go to a
# directory of this run's, as the package test's purge removes /run/qwikvirt.
libvirt_state=
libvirt_stop() {
    [ -n "$libvirt_state" ] || return 0
    QV_LIBVIRT_STATE=$libvirt_state scripts/setup-libvirt.sh stop >/dev/null
    rm -rf "$libvirt_state"
    libvirt_state=
}
if [[ " ${SUITES[*]} " == *" system "* ]]; then
    libvirt_state=$(mktemp -d /tmp/qv-test-libvirt.XXXXXX)
    trap libvirt_stop EXIT
    out=$(QV_LIBVIRT_STATE=$libvirt_state scripts/setup-libvirt.sh 2>&1) ||
        { echo "$out" >&2; echo "test.sh: scripts/setup-libvirt.sh failed" >&2; exit 1; }
fi
meson test -C build "${SUITES[@]}" --print-errorlogs "$@"
libvirt_stop

if [ $SANITIZE = 1 ]; then
    scripts/build.sh build-asan -Dsanitize=true
    # The dataplane and control code under the sanitizers (the VMs of the system suite would
    # add only minutes). DPDK keeps its memory until exit by design: leaks are not findings.
    # vhost_churn starts a peer process per cycle: fewer cycles under the sanitizers' slower start.
    QV_CHURN_CYCLES=60 \
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        meson test -C build-asan --suite unit --suite integration --no-suite no-sanitize \
        --print-errorlogs "$@"
fi
