/* qwikvirt: SR-IOV virtual functions: created through sysfs on the physical function (PF),
 * configured (MAC, VLAN, spoof check, trust) through rtnetlink on the PF's netdev. */
#ifndef QV_SRIOV_H
#define QV_SRIOV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QV_PCI_LEN 16    /* "0000:03:00.1" + NUL, with room */
#define QV_IFNAME_LEN 16 /* IFNAMSIZ */

struct qv_sriov_pf;

/* Tests play the kernel: called after each write to sriov_numvfs, where the kernel would have
 * created or removed the virtfnN links before the write returned. */
typedef int (*qv_sriov_kernel_hook)(const struct qv_sriov_pf *pf, unsigned numvfs, void *arg);

struct qv_sriov_pf {
	char pci[QV_PCI_LEN];       /* "0000:03:00.1" */
	char dir[512];              /* the device's sysfs directory, links resolved */
	char netdev[QV_IFNAME_LEN]; /* "eth3"; "" when the PF has no netdev (not on its driver) */
	unsigned total_vfs;         /* sriov_totalvfs */
	unsigned num_vfs;           /* sriov_numvfs, as last read */
	qv_sriov_kernel_hook hook;  /* NULL outside tests */
	void *hook_arg;
};

struct qv_sriov_vf {
	unsigned index;       /* VF number on the PF: virtfnN, "vf N" in `ip link` */
	char pci[QV_PCI_LEN]; /* what the switch (DPDK port) or libvirt (hostdev) takes */
};

/* Opens the PF at PCI address `pci` ("0000:03:00.1"; "03:00.1" means domain 0000) under
 * sysfs_root (NULL: /sys): reads its VF counts and netdev name. Fails when the device does
 * not exist or cannot do SR-IOV. */
int qv_sriov_pf_open(const char *sysfs_root, const char *pci, struct qv_sriov_pf *pf, char *err,
                     size_t errlen);

/* The PF's current VFs (virtfn0 .. virtfn{num_vfs-1}) into vfs[max]; *n set to how many.
 * Fails when a link the count promises is missing. */
int qv_sriov_list(struct qv_sriov_pf *pf, struct qv_sriov_vf *vfs, size_t max, size_t *n, char *err,
                  size_t errlen);

/* Makes the PF have exactly `numvfs` VFs: nothing when it has them already, else writes 0
 * first when another non-zero count is set (the kernel refuses to change it directly: EBUSY),
 * then numvfs; checks every virtfn link appeared. numvfs 0 removes all VFs. The way through 0
 * is refused (nothing written) while any current VF is bound to a driver: it would be lost. */
int qv_sriov_set_numvfs(struct qv_sriov_pf *pf, unsigned numvfs, char *err, size_t errlen);

/* 1 with the driver's name ("vfio-pci", "iavf") when VF `index` is bound to one, else 0. */
int qv_sriov_vf_driver(const struct qv_sriov_pf *pf, unsigned index, char *driver, size_t len);

/* The PCI address of VF `index`, which must exist. */
int qv_sriov_vf_pci(const struct qv_sriov_pf *pf, unsigned index, char pci[QV_PCI_LEN], char *err,
                    size_t errlen);

/* VF settings applied through the PF's netdev; a field left at its "keep" value is not sent. */
#define QV_VF_KEEP (-1)
struct qv_sriov_vf_config {
	bool set_mac;
	uint8_t mac[6];
	int vlan;     /* 0: no VLAN, 1..4094: tagged by the PF, QV_VF_KEEP */
	int qos;      /* 802.1p priority 0..7 with vlan; QV_VF_KEEP means 0 */
	int spoofchk; /* 0 / 1 / QV_VF_KEEP */
	int trust;    /* 0 / 1 / QV_VF_KEEP */
};

/* Applies cfg to VF `vf` of the PF whose netdev is `pf_netdev` (pf_pci only names it in
 * errors; may be NULL). One rtnetlink request per setting, so an error names the setting the
 * device refused, with the kernel's errno text ("Operation not supported" where the driver
 * has no such VF operation, as on every non-SR-IOV device). */
int qv_sriov_vf_configure(const char *pf_netdev, const char *pf_pci, unsigned vf,
                          const struct qv_sriov_vf_config *cfg, char *err, size_t errlen);

#endif
