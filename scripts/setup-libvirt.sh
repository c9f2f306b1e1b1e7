#!/bin/bash
# setup-libvirt.sh - libvirt + QEMU for qwikvirt's VNF VMs on a Debian 12 host without systemd:
# installs what is missing, runs QEMU as its own user, starts virtlogd and libvirtd. Idempotent.
#
#   scripts/setup-libvirt.sh [start]   install missing packages, the qwikvirt group with
#                                      libvirt-qemu in it, qemu.conf (marked block), start
#                                      virtlogd and libvirtd if not running, check
#                                      qemu:///system answers
#   scripts/setup-libvirt.sh stop      stop the daemons that a 'start' started (by pid file);
#                                      daemons found already running are never touched
#   scripts/setup-libvirt.sh status    which daemons run, and which of them were started here
#
# QEMU runs as libvirt-qemu:kvm (Debian's own), never root. It reaches the switch's vhost-user
# sockets through the qwikvirt group (libvirt-qemu is made a member; libvirt gives QEMU the
# user's supplementary groups): a socket directory QEMU creates sockets in is root:qwikvirt
# 2770, a socket the switch serves is group qwikvirt and g+rw (qv-switchd.service: Group= and
# UMask=0007), and every directory on the way is group- or world-searchable. Disks, kernels,
# initrds, serial logs and snapshot files: libvirt's dynamic_ownership chowns each to
# libvirt-qemu for the VM's lifetime and gives it back after. AppArmor: where it is active,
# libvirt's apparmor driver profiles each VM with virt-aa-helper from its XML (disks, kernel,
# serial log, vhost-user sockets are all in the XML); nothing to set here, and this script says
# which security drivers libvirt reports. There is no systemd here, so nothing starts the
# daemons; without virtlogd, 'virsh start' fails ("Failed to connect socket to
# '/run/libvirt/virtlogd-sock'"). KVM is not usable for stock guest kernels on these hosts:
# domains use type='qemu' (see ../shared/lab/vm/README.md).
# Last line: "SETUP-LIBVIRT: OK started=LIST" (LIST: daemons this run started, or "none") or
# "SETUP-LIBVIRT: FAIL reason". A caller that wants to leave the host as it found it runs
# 'stop' when LIST is not "none". Pid files of started daemons: $QV_LIBVIRT_STATE
# (default /run/qwikvirt/libvirt).
set -uo pipefail

PKGS=(qemu-system-x86 libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu
      busybox-static qemu-utils libxml2-utils xz-utils zstd kmod cpio)
QEMU_CONF=/etc/libvirt/qemu.conf
URI=qemu:///system
STATE=${QV_LIBVIRT_STATE:-/run/qwikvirt/libvirt}
MARK='# qwikvirt-begin'

fail() { echo "SETUP-LIBVIRT: FAIL $*"; exit 1; }
alive() { [ -n "${1:-}" ] && [ -d "/proc/$1" ] && grep -qx "$2" "/proc/$1/comm" 2>/dev/null; }
pid_of() { cat "$1" 2>/dev/null || true; }
# wait_for SECONDS COMMAND...: poll COMMAND until it succeeds
wait_for() {
	local t=$1 i
	shift
	for ((i = 0; i < t * 10; i++)); do "$@" && return 0; sleep 0.1; done
	return 1
}
gone() { ! alive "$1" "$2"; }

stop_started() {
	local d p
	for d in libvirtd virtlogd; do
		p=$(pid_of "$STATE/$d.pid")
		if alive "$p" "$d"; then
			kill "$p"
			wait_for 20 gone "$p" "$d" || kill -KILL "$p" 2>/dev/null
			echo "stopped $d (pid $p)"
		fi
		rm -f "$STATE/$d.pid"
	done
}

case "${1:-start}" in
-h | --help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
stop) stop_started; echo "SETUP-LIBVIRT: OK stopped"; exit 0 ;;
status)
	for d in virtlogd libvirtd; do
		p=$(pid_of "/run/$d.pid")
		if alive "$p" "$d"; then
			own=$([ "$(pid_of "$STATE/$d.pid")" = "$p" ] && echo " (started by setup-libvirt.sh)")
			echo "$d: running, pid $p$own"
		else
			echo "$d: not running"
		fi
	done
	exit 0 ;;
start) ;;
*) echo "setup-libvirt.sh: unknown command '$1' (see --help)" >&2; exit 2 ;;
esac

[ "$(id -u)" = 0 ] || fail "run as root (apt-get, /etc/libvirt, daemons)"
mkdir -p "$STATE"

# --- packages ----------------------------------------------------------------------------------
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup-libvirt: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Package postinst scripts try to start services; policy-rc.d refuses without systemd,
	# which is what we want: the daemons are started below, by us.
	apt="apt-get -o DPkg::Lock::Timeout=600 -y -q --no-install-recommends"
	log=$STATE/apt.log
	if ! $apt install "${missing[@]}" >"$log" 2>&1; then
		apt-get -o DPkg::Lock::Timeout=600 -q update >>"$log" 2>&1
		$apt install "${missing[@]}" >>"$log" 2>&1 ||
			{ tail -20 "$log"; fail "apt-get install ${missing[*]} (log $log)"; }
	fi
fi
# build-guest.sh resolves linux-image-amd64 through the package lists.
apt-cache show linux-image-amd64 >/dev/null 2>&1 || apt-get -q update >/dev/null 2>&1 || true

# --- the qwikvirt group, libvirt-qemu in it ----------------------------------------------------
# The package's postinst does the same. A system group like the package's; it is left in place
# by 'stop' (the package and other checkouts' tests use it too).
QEMU_USER=libvirt-qemu QEMU_GROUP=kvm GROUP=qwikvirt
getent passwd $QEMU_USER >/dev/null || fail "no user $QEMU_USER: is libvirt-daemon-driver-qemu installed?"
getent group $GROUP >/dev/null || groupadd --system $GROUP ||
	fail "groupadd --system $GROUP failed"
changed=0
if ! id -nG $QEMU_USER | tr ' ' '\n' | grep -qx $GROUP; then
	usermod -a -G $GROUP $QEMU_USER || fail "usermod -a -G $GROUP $QEMU_USER failed"
	changed=1 # libvirtd reads the user's groups when it starts
fi

# --- qemu.conf: QEMU as libvirt-qemu:kvm, libvirt chowns its files -------------------------------
# The marked block is rewritten when it differs (an earlier version of this script set root).
# libvirt takes the FIRST 'user ='/'group =' in the file: those outside the block (another
# set-up's, such as ../shared/lab/vm/setup.sh's root) are commented out, and said so.
[ -f "$QEMU_CONF" ] || fail "$QEMU_CONF missing: is libvirt-daemon-driver-qemu installed?"
block=$(printf '%s (scripts/setup-libvirt.sh: QEMU as its own user; sockets through group %s)\n' \
	"$MARK" $GROUP
	printf 'user = "%s"\ngroup = "%s"\ndynamic_ownership = 1\n# qwikvirt-end\n' \
		$QEMU_USER $QEMU_GROUP)
rest=$(sed "/^$MARK/,/^# qwikvirt-end/d" "$QEMU_CONF")
cur=$(sed -n "/^$MARK/,/^# qwikvirt-end/p" "$QEMU_CONF")
others=$(grep -nE '^[[:space:]]*(user|group|dynamic_ownership)[[:space:]]*=' <<<"$rest" || true)
if [ "$cur" != "$block" ] || [ -n "$others" ]; then
	[ -f "$QEMU_CONF.qwikvirt-orig" ] || cp -p "$QEMU_CONF" "$QEMU_CONF.qwikvirt-orig"
	[ -z "$others" ] || echo "setup-libvirt: commenting out in $QEMU_CONF: $(tr "\n" ";" <<<"$others")"
	{
		sed -E 's/^([[:space:]]*(user|group|dynamic_ownership)[[:space:]]*=)/#qwikvirt-disabled: \1/' \
			<<<"$rest"
		printf '\n%s\n' "$block"
	} >"$QEMU_CONF.tmp" && chmod --reference="$QEMU_CONF" "$QEMU_CONF.tmp" &&
		mv -f "$QEMU_CONF.tmp" "$QEMU_CONF" || fail "cannot rewrite $QEMU_CONF"
	changed=1
fi

# --- daemons (no systemd: started by hand, daemonised) -----------------------------------------
started=()
vl=$(pid_of /run/virtlogd.pid)
if ! alive "$vl" virtlogd; then
	virtlogd -d || fail "virtlogd -d did not start (see /var/log/libvirt)"
	wait_for 10 eval 'vl=$(pid_of /run/virtlogd.pid); alive "$vl" virtlogd' ||
		fail "virtlogd did not write /run/virtlogd.pid within 10 s"
	echo "$vl" >"$STATE/virtlogd.pid"
	started+=(virtlogd)
fi
lv=$(pid_of /run/libvirtd.pid)
if alive "$lv" libvirtd && [ $changed = 1 ]; then
	# libvirtd reads qemu.conf only at start; running domains survive a libvirtd restart.
	echo "setup-libvirt: restarting libvirtd (pid $lv) to load qemu.conf"
	kill "$lv"
	wait_for 20 gone "$lv" libvirtd || fail "libvirtd (pid $lv) did not exit on SIGTERM"
fi
if ! alive "$lv" libvirtd; then
	libvirtd -d || fail "libvirtd -d did not start (see /var/log/libvirt)"
	wait_for 20 eval 'lv=$(pid_of /run/libvirtd.pid); alive "$lv" libvirtd && [ -S /run/libvirt/libvirt-sock ]' ||
		fail "libvirtd did not open /run/libvirt/libvirt-sock within 20 s"
	echo "$lv" >"$STATE/libvirtd.pid"
	started+=(libvirtd)
fi
wait_for 20 eval "virsh -c $URI version >/dev/null 2>&1" ||
	fail "virsh -c $URI version does not answer (libvirtd pid $lv)"

# the security drivers libvirt uses: dac always; apparmor (virt-aa-helper profiles) or selinux
# where the host has them active
secmodels=$(virsh -c $URI capabilities 2>/dev/null | awk '/<secmodel>/ { s = 1 }
	s && /<model>/ { gsub(/.*<model>|<\/model>.*/, ""); printf "%s ", $0 } /<\/secmodel>/ { s = 0 }')
echo "setup-libvirt: QEMU runs as $QEMU_USER:$QEMU_GROUP (+ group $GROUP); security drivers: ${secmodels:-unknown}"
list=$(IFS=,; echo "${started[*]:-}")
echo "setup-libvirt: libvirtd pid $lv, virtlogd pid $vl, uri $URI"
echo "SETUP-LIBVIRT: OK started=${list:-none}"
