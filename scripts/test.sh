#!/bin/bash
# test.sh - the README's test command: set up the host (packages, hugepages), build, and run
# the unit, integration, system and package suites with `meson test` (system: real VMs through
# libvirt and QEMU; scripts/setup-libvirt.sh starts the daemons it needs; package: the Debian
# package built, installed and purged on this host). With --sanitize, the unit
# and integration suites run again on a build with AddressSanitizer +
# UndefinedBehaviorSanitizer; any finding fails.
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
meson test -C build "${SUITES[@]}" --print-errorlogs "$@"

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
