#!/bin/bash
# build-guest.sh - build the tiny VNF guest used by the system tests and demos: Debian's stock
# kernel + a busybox-static initramfs that bridges eth0 <-> eth1 and says so on ttyS0.
#
#   scripts/build-guest.sh [--force] [OUTDIR]     (default OUTDIR: $QV_GUEST_DIR or
#                                                  /var/cache/qwikvirt/guest)
#
# OUTDIR gets:
#   vmlinuz      the kernel linux-image-amd64 points to (apt-get download + dpkg -x: the package
#                is never installed on the host)
#   vmlinux      the same kernel as an uncompressed ELF (CONFIG_PVH=y: QEMU boots it directly,
#                skipping SeaBIOS real mode and the in-guest xz, ~3 s less per boot under TCG)
#   initrd.img   busybox + virtio_pci, virtio_net, bridge and their dependencies
#   cmdline      the kernel command line the guest needs (pci=nomsi: QEMU 7.2 + TCG +
#                vhost-user + MSI-X crashes the vCPU thread; ipv6 off: the bridge then sends
#                no packets of its own, so the tests' counters are exact)
# Cached: a second run with the same kernel package and the same script does nothing
# (--force rebuilds). Files are replaced by rename, never rewritten under a running QEMU.
# Guest command line options: qv_nics=N (default 2), qv_stats=SECONDS (print counters).
# Serial console lines: "QV-GUEST: ..." while booting, then "QV-GUEST-READY uptime=S nics=N",
# and with qv_stats "QV-GUEST-STATS eth0 rx=.. tx=.. rxdrop=.. txdrop=.. eth1 ...".
# Last line: "BUILD-GUEST: OK dir=OUTDIR kernel=VERSION [cached]" or "BUILD-GUEST: FAIL why".
set -euo pipefail

FORCE=0 OUT=
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	--force) FORCE=1 ;;
	-*) echo "build-guest.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	*) OUT=$1 ;;
	esac
	shift
done
OUT=${OUT:-${QV_GUEST_DIR:-/var/cache/qwikvirt/guest}}
BUSYBOX=${BUSYBOX:-/bin/busybox}
CMDLINE="console=ttyS0 quiet panic=-1 pci=nomsi ipv6.disable=1"
MODULES=(virtio_pci virtio_net bridge)

fail() { echo "BUILD-GUEST: FAIL $*"; trap - EXIT; exit 1; }
trap 'rc=$?; [ $rc -eq 0 ] || echo "BUILD-GUEST: FAIL (line $LINENO, rc=$rc)"' EXIT

for tool in dpkg-deb apt-get modinfo cpio gzip xz; do
	command -v $tool >/dev/null || fail "$tool missing: run scripts/setup-libvirt.sh"
done
"$BUSYBOX" --list >/dev/null 2>&1 || fail "$BUSYBOX missing: apt-get install busybox-static"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
	fail "$BUSYBOX is dynamically linked; the initramfs has no libc: apt-get install busybox-static"
fi
mkdir -p "$OUT/pkg"

# --- kernel package: the version linux-image-amd64 depends on ------------------------------------
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	awk '/Depends: linux-image-[0-9]/ && k == "" {k = $2} END {print k}')
[ -n "$kpkg" ] || fail "cannot resolve linux-image-amd64: run apt-get update"
stamp="$kpkg $(sha256sum "$0" | cut -c1-16) $(sha256sum "$BUSYBOX" | cut -c1-16)"
if [ $FORCE = 0 ] && [ "$(cat "$OUT/.stamp" 2>/dev/null)" = "$stamp" ] &&
	[ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initrd.img" ]; then
	echo "BUILD-GUEST: OK dir=$OUT kernel=${kpkg#linux-image-} cached"
	exit 0
fi

deb=$(ls "$OUT"/pkg/"${kpkg}"_*.deb /var/cache/apt/archives/"${kpkg}"_*.deb 2>/dev/null | head -1 || true)
if [ -z "$deb" ]; then
	# apt-get download drops privileges to _apt, which must be able to write here.
	chown _apt "$OUT/pkg" 2>/dev/null || true
	(cd "$OUT/pkg" && apt-get download -q "$kpkg" >/dev/null 2>&1) ||
		(cd "$OUT/pkg" && apt-get -q update >/dev/null 2>&1 && apt-get download -q "$kpkg") ||
		fail "apt-get download $kpkg"
	deb=$(ls "$OUT"/pkg/"${kpkg}"_*.deb | head -1)
fi
kx=$OUT/pkg/x-$(basename "$deb" .deb) # one unpack per kernel version
if [ ! -d "$kx/boot" ]; then
	rm -rf "$kx.tmp" && mkdir -p "$kx.tmp" && dpkg-deb -x "$deb" "$kx.tmp" && mv "$kx.tmp" "$kx"
fi
vmlinuz=$(ls "$kx"/boot/vmlinuz-* | head -1)
kver=${vmlinuz##*/vmlinuz-}
modroot=$kx/lib/modules/$kver
cp -f "$vmlinuz" "$OUT/vmlinuz.tmp" && mv -f "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"

# --- vmlinux: the ELF inside the bzImage (first compressed stream that decompresses to ELF) ------
extract() { # MAGIC(grep -P) DECOMPRESSOR...
	local off magic=$1
	shift
	# -m1: grep stops by itself, so no SIGPIPE (pipefail would make that a failure)
	off=$(LC_ALL=C grep -m1 -obUaP "$magic" "$OUT/vmlinuz" | head -1 | cut -d: -f1)
	[ -n "$off" ] || return 1
	tail -c +$((off + 1)) "$OUT/vmlinuz" | "$@" >"$OUT/vmlinux.tmp" 2>/dev/null || true
	[ "$(head -c 4 "$OUT/vmlinux.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]
}
if grep -q '^CONFIG_PVH=y' "$kx"/boot/config-* &&
	{ extract '\xfd7zXZ\x00' xz -dc --single-stream || extract '\x28\xb5\x2f\xfd' zstd -qdc ||
		extract '\x1f\x8b\x08\x00' gzip -dc; }; then
	mv -f "$OUT/vmlinux.tmp" "$OUT/vmlinux"
else
	rm -f "$OUT/vmlinux.tmp" "$OUT/vmlinux" # vmlinuz boots too, only slower
fi

# --- modules in load order (dependencies first, resolved with modinfo) --------------------------
declare -A seen=()
order=()
modpath() { find "$modroot/kernel" \( -name "$1.ko" -o -name "$1.ko.xz" -o -name "$1.ko.zst" \
	-o -name "$1.ko.gz" \) -print -quit; }
add_mod() {
	local m=$1 p dep
	[ -n "${seen[$m]:-}" ] && return 0
	seen[$m]=1
	p=$(modpath "$m")
	if [ -z "$p" ]; then
		grep -q "/$m.ko\$" "$modroot/modules.builtin" 2>/dev/null && return 0
		fail "module $m not found under $modroot"
	fi
	for dep in $(modinfo -F depends "$p" | tr ',' ' '); do add_mod "$dep"; done
	order+=("$m:$p")
}
for m in "${MODULES[@]}"; do add_mod "$m"; done

stage=$(mktemp -d "$OUT/stage.XXXXXX")
trap 'rc=$?; rm -rf "$stage"; [ $rc -eq 0 ] || echo "BUILD-GUEST: FAIL (line $LINENO, rc=$rc)"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,lib/modules,etc}
cp "$BUSYBOX" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
: >"$stage/etc/modules.order"
for e in "${order[@]}"; do
	m=${e%%:*} p=${e#*:}
	case $p in
	*.ko.xz) xz -dc "$p" >"$stage/lib/modules/$m.ko" ;;
	*.ko.zst) zstd -qdc "$p" >"$stage/lib/modules/$m.ko" ;;
	*.ko.gz) gzip -dc "$p" >"$stage/lib/modules/$m.ko" ;;
	*) cp "$p" "$stage/lib/modules/$m.ko" ;;
	esac
	echo "$m" >>"$stage/etc/modules.order"
done

# --- /init: a two-port Linux bridge, "bump in the wire" -------------------------------------------
cat >"$stage/init" <<'EOF'
#!/bin/sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs dev /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
exec </dev/console >/dev/console 2>&1
echo "QV-GUEST: init uptime=$(cut -d' ' -f1 /proc/uptime)"
for m in $(cat /etc/modules.order); do
	insmod /lib/modules/$m.ko || echo "QV-GUEST: insmod $m failed"
done
NICS=2 STATS=0
for a in $(cat /proc/cmdline); do
	case $a in qv_nics=*) NICS=${a#*=} ;; qv_stats=*) STATS=${a#*=} ;; esac
done
i=0
while [ $(ls -d /sys/class/net/eth* 2>/dev/null | wc -l) -lt $NICS ]; do
	i=$((i + 1))
	[ $i -gt 600 ] && { echo "QV-GUEST-FAIL: want $NICS NICs, have $(ls /sys/class/net)"; break; }
	sleep 0.1
done
ip link set lo up
brctl addbr br0
# busybox brctl has no stp/setfd: STP off and no forwarding delay through sysfs
echo 0 >/sys/class/net/br0/bridge/stp_state
echo 0 >/sys/class/net/br0/bridge/forward_delay
n=0
while [ $n -lt $NICS ]; do
	ip link set eth$n up promisc on
	brctl addif br0 eth$n
	echo "QV-GUEST: eth$n mac=$(cat /sys/class/net/eth$n/address)"
	n=$((n + 1))
done
ip link set br0 up
echo "QV-GUEST-READY uptime=$(cut -d' ' -f1 /proc/uptime) nics=$NICS"
while [ "$STATS" != 0 ]; do
	sleep $STATS
	s= n=0
	while [ $n -lt $NICS ]; do
		d=/sys/class/net/eth$n/statistics
		s="$s eth$n rx=$(cat $d/rx_packets) tx=$(cat $d/tx_packets) rxdrop=$(cat $d/rx_dropped) txdrop=$(cat $d/tx_dropped)"
		n=$((n + 1))
	done
	echo "QV-GUEST-STATS$s"
done
while true; do sleep 3600; done
EOF
chmod 755 "$stage/init"
(cd "$stage" && find . | sort | cpio -o -H newc --quiet) | gzip -9 >"$OUT/initrd.img.tmp"
mv -f "$OUT/initrd.img.tmp" "$OUT/initrd.img"
echo "$CMDLINE" >"$OUT/cmdline"
chmod 644 "$OUT"/vmlinuz "$OUT/initrd.img" "$OUT/cmdline"
[ -f "$OUT/vmlinux" ] && chmod 644 "$OUT/vmlinux"
echo "$stamp" >"$OUT/.stamp"

echo "kernel:  $OUT/vmlinuz ($kpkg)"
[ -f "$OUT/vmlinux" ] && echo "kernel:  $OUT/vmlinux (uncompressed ELF, PVH boot)"
echo "initrd:  $OUT/initrd.img ($(stat -c %s "$OUT/initrd.img") bytes; modules:$(printf ' %s' "${order[@]%%:*}"))"
echo "BUILD-GUEST: OK dir=$OUT kernel=$kver"
