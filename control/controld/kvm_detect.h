/* qwikvirt: does /dev/kvm run stock guest kernels? qv-controld's --domain-type auto picks
 * libvirt domain type kvm when it does and qemu (software emulation, TCG) when it does not. */
#ifndef QV_KVM_DETECT_H
#define QV_KVM_DETECT_H

#include <stdbool.h>
#include <stddef.h>

/* Where the probe looks: the real host's paths by default (NULL members), a fake tree in tests. */
struct qv_kvm_probe {
	const char *dev;        /* the KVM device; NULL: $QV_KVM_DEVICE, else /dev/kvm */
	const char *sysfs_root; /* loaded modules under SYSFS_ROOT/module; NULL: /sys */
	const char *cpuinfo;    /* CPU flags; NULL: /proc/cpuinfo */
};

/* The device opens read-write and answers KVM_GET_API_VERSION with 12. false with why. */
bool qv_kvm_device_works(const char *dev, char *why, size_t len);

/* The KVM behind the device is hardware virtualisation: the CPU has vmx or svm and the module
 * is not kvm_pvm (PVM: software nested virtualisation that runs only PVM-enabled guest
 * kernels; a stock Debian kernel crawls under it, see scripts/build-guest.sh). false with why;
 * true with what was found ("kvm_intel, vmx"). */
bool qv_kvm_host_virtualises(const char *sysfs_root, const char *cpuinfo, char *why, size_t len);

/* Both: true when domain type kvm can boot the VNFs' stock kernels. why says what was found
 * either way, for the daemon's log line. */
bool qv_kvm_usable(const struct qv_kvm_probe *p, char *why, size_t len);

#endif
