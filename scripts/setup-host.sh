#!/bin/bash
# setup-host.sh - prepare a Debian 12 machine for qwikvirt: install the build and test
# dependencies from Debian's archive (only what is missing), allocate 2 MB hugepages and mount
# hugetlbfs. Idempotent; never lowers a hugepage count already set. Needs root.
#
#   scripts/setup-host.sh [--hugepages N]     (default 1024 x 2 MB = 2 GiB)
set -euo pipefail

PAGES=1024
case "${1:-}" in
--hugepages) PAGES=${2:?--hugepages needs a number} ;;
-h|--help) sed -n '2,6p' "$0"; exit 0 ;;
"") ;;
*) echo "setup-host.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
esac

PKGS=(build-essential meson ninja-build pkg-config dpdk dpdk-dev libdpdk-dev
      libjansson-dev libyaml-dev libpcap-dev libcunit1-dev libhwloc-dev libvirt-dev
      libnl-route-3-dev tshark jq python3 iproute2 bc libvirt-clients libxml2-utils
      clang-format prometheus curl
      # the Debian package and what runs as a service: build, lint, man pages, unit checks
      debhelper dpkg-dev fakeroot lintian help2man pandoc man-db systemd adduser
      # Linux peers in network namespaces (tests/integration/phy_veth.sh)
      iputils-ping ethtool netcat-openbsd
      # a failed or hung test's stacks (tests/integration/lib.sh dump_stacks)
      gdb
      # scripts/fuzz.sh: clang, libFuzzer's runtime (libclang-rt-14-dev), and libxml2 for the
      # domain_xml target's well-formedness check
      clang libclang-rt-14-dev libxml2-dev
      # scripts/bench.sh's comparison switch and plot (tests/integration/bench_tooling.sh)
      openvswitch-switch-dpdk gnuplot-nox
      # qemu-img, for the integration suite's VM disks (tests/integration/controld_state.sh);
      # the system suite's QEMU and libvirt come with scripts/setup-libvirt.sh
      qemu-utils)

[ "$(id -u)" = 0 ] || { echo "setup-host.sh: run as root (apt-get, hugepages)" >&2; exit 1; }

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup-host: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # no package script may start a system-wide service (OVS would take hugepages and CPUs)
    policy=""
    [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d &&
        chmod +x /usr/sbin/policy-rc.d && policy=1; }
    rc=0
    { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } || rc=$?
    [ -z "$policy" ] || rm -f /usr/sbin/policy-rc.d
    [ $rc -eq 0 ] || { echo "setup-host.sh: apt-get install ${missing[*]} failed" >&2; exit 1; }
fi

# Hugepages: DPDK's memory. Raise to PAGES if fewer are configured.
have=$(cat /proc/sys/vm/nr_hugepages)
if [ "$have" -lt "$PAGES" ]; then
    echo "$PAGES" > /proc/sys/vm/nr_hugepages || true
fi
if ! awk '$3 == "hugetlbfs" {found=1} END {exit !found}' /proc/mounts; then
    mkdir -p /dev/hugepages
    mount -t hugetlbfs none /dev/hugepages
fi
free=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
echo "setup-host: hugepages total=$(cat /proc/sys/vm/nr_hugepages) free=$free (2 MB)"
if [ "$free" -lt 512 ]; then
    echo "setup-host: warning: fewer than 512 free hugepages; tests may fail to start DPDK" >&2
fi
