/* qwikvirt: the sysfs side of SR-IOV: a PF's VF counts, its virtfnN links to the VFs' PCI
 * devices and its netdev, under a configurable root so tests run on a fake tree. */
#include "control/sriov/sriov.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/pci.h"

/* "0000:03:00.1" from itself or "03:00.1"; false when it is not a PCI address. */
static bool norm_pci(const char *in, char out[QV_PCI_LEN])
{
	struct qv_pci_addr a;

	_Static_assert(QV_PCI_LEN >= QV_PCI_TEXT_SIZE, "QV_PCI_LEN holds a canonical address");
	if (!qv_pci_parse(in, &a))
		return false;
	qv_pci_format(&a, out);
	return true;
}

/* Reads an unsigned from DIR/FILE; -1 with errno set (ENOENT: no such file). */
static int read_uint(const char *dir, const char *file, unsigned *v)
{
	char path[600];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	n = fscanf(f, "%u", v);
	fclose(f);
	if (n != 1) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Writes "N\n" to DIR/FILE; the kernel's verdict comes back as write()'s errno. */
static int write_uint(const char *dir, const char *file, unsigned v)
{
	char path[600], buf[16];
	int fd, len = snprintf(buf, sizeof(buf), "%u\n", v), e;
	ssize_t w;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -1;
	w = write(fd, buf, (size_t)len);
	e = errno;
	if (close(fd) < 0 && w == len)
		return -1;
	errno = e;
	return w == len ? 0 : -1;
}

/* The first (by name) entry of DIR/net: the PF's netdev. */
static void find_netdev(struct qv_sriov_pf *pf)
{
	char path[600];
	struct dirent **names;
	int n;

	pf->netdev[0] = '\0';
	snprintf(path, sizeof(path), "%s/net", pf->dir);
	n = scandir(path, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]->d_name);

		/* Interface names are at most IFNAMSIZ - 1 long: a longer entry is not a netdev. */
		if (pf->netdev[0] == '\0' && names[i]->d_name[0] != '.' && len < sizeof(pf->netdev))
			memcpy(pf->netdev, names[i]->d_name, len + 1);
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

int qv_sriov_pf_open(const char *sysfs_root, const char *pci, struct qv_sriov_pf *pf, char *err,
                     size_t errlen)
{
	const char *root = sysfs_root ? sysfs_root : "/sys";
	char path[600], *real;

	memset(pf, 0, sizeof(*pf));
	if (pci == NULL || !norm_pci(pci, pf->pci)) {
		snprintf(err, errlen, "PF '%s': not a PCI address; write it as 0000:03:00.1",
		         pci ? pci : "(none)");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", root, pf->pci);
	real = realpath(path, NULL);
	if (real == NULL || strlen(real) >= sizeof(pf->dir)) {
		snprintf(err, errlen,
		         "PF %s: no such PCI device (%s: %s); check the address with "
		         "`lspci -D`",
		         pf->pci, path, real ? "path too long" : strerror(errno));
		free(real);
		return -1;
	}
	strcpy(pf->dir, real);
	free(real);
	if (read_uint(pf->dir, "sriov_totalvfs", &pf->total_vfs) < 0) {
		snprintf(err, errlen,
		         "PF %s: cannot do SR-IOV (%s/sriov_totalvfs: %s); use a NIC "
		         "whose driver and firmware have SR-IOV enabled",
		         pf->pci, pf->dir, strerror(errno));
		return -1;
	}
	if (read_uint(pf->dir, "sriov_numvfs", &pf->num_vfs) < 0) {
		snprintf(err, errlen, "PF %s: cannot read %s/sriov_numvfs: %s", pf->pci, pf->dir,
		         strerror(errno));
		return -1;
	}
	find_netdev(pf);
	return 0;
}

int qv_sriov_vf_pci(const struct qv_sriov_pf *pf, unsigned index, char pci[QV_PCI_LEN], char *err,
                    size_t errlen)
{
	char path[600], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/virtfn%u", pf->dir, index);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		snprintf(err, errlen, "PF %s: VF %u has no link %s: %s (the PF has %u VFs)",
		         pf->pci, index, path, strerror(errno), pf->num_vfs);
		return -1;
	}
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (!norm_pci(base, pci)) {
		snprintf(err, errlen, "PF %s: %s points to '%s', not a PCI device", pf->pci, path,
		         target);
		return -1;
	}
	return 0;
}

int qv_sriov_list(struct qv_sriov_pf *pf, struct qv_sriov_vf *vfs, size_t max, size_t *n, char *err,
                  size_t errlen)
{
	*n = 0;
	if (read_uint(pf->dir, "sriov_numvfs", &pf->num_vfs) < 0) {
		snprintf(err, errlen, "PF %s: cannot read %s/sriov_numvfs: %s", pf->pci, pf->dir,
		         strerror(errno));
		return -1;
	}
	if (pf->num_vfs > max) {
		snprintf(err, errlen, "PF %s has %u VFs, more than the %zu asked for", pf->pci,
		         pf->num_vfs, max);
		return -1;
	}
	for (unsigned i = 0; i < pf->num_vfs; i++) {
		vfs[i].index = i;
		if (qv_sriov_vf_pci(pf, i, vfs[i].pci, err, errlen) < 0)
			return -1;
	}
	*n = pf->num_vfs;
	return 0;
}

/* One write to sriov_numvfs, with the kernel's refusal explained. */
static int write_numvfs(struct qv_sriov_pf *pf, unsigned numvfs, char *err, size_t errlen)
{
	unsigned now;

	if (write_uint(pf->dir, "sriov_numvfs", numvfs) < 0) {
		snprintf(err, errlen, "PF %s: writing %u to %s/sriov_numvfs failed: %s; %s",
		         pf->pci, numvfs, pf->dir, strerror(errno),
		         errno == EBUSY ? "VFs are in use (bound to a driver or a VM): release them"
		         : errno == EACCES ? "run as root"
		                           : "the driver refused: see dmesg");
		return -1;
	}
	if (pf->hook != NULL && pf->hook(pf, numvfs, pf->hook_arg) < 0) {
		snprintf(err, errlen, "PF %s: test kernel hook failed for %u VFs", pf->pci, numvfs);
		return -1;
	}
	if (read_uint(pf->dir, "sriov_numvfs", &now) < 0 || now != numvfs) {
		snprintf(err, errlen,
		         "PF %s: sriov_numvfs does not read %u after writing it; the "
		         "driver did not create the VFs: see dmesg",
		         pf->pci, numvfs);
		return -1;
	}
	pf->num_vfs = now;
	return 0;
}

int qv_sriov_vf_driver(const struct qv_sriov_pf *pf, unsigned index, char *driver, size_t len)
{
	char path[600], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/virtfn%u/driver", pf->dir, index);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	base = strrchr(target, '/');
	snprintf(driver, len, "%s", base ? base + 1 : target);
	return 1;
}

/* Going from one non-zero count to another removes every VF first: refused while any of them
 * is bound to a driver (a VM's vfio-pci, DPDK, a kernel netdev), which would lose it. */
static int check_reset_safe(const struct qv_sriov_pf *pf, unsigned numvfs, char *err, size_t errlen)
{
	char driver[64], pci[QV_PCI_LEN];

	for (unsigned i = 0; i < pf->num_vfs; i++) {
		if (!qv_sriov_vf_driver(pf, i, driver, sizeof(driver)))
			continue;
		if (qv_sriov_vf_pci(pf, i, pci, err, errlen) < 0)
			snprintf(pci, sizeof(pci), "?");
		snprintf(err, errlen,
		         "PF %s: going from %u to %u VFs means removing all %u first (the kernel "
		         "changes sriov_numvfs only through 0), and VF %u (%s) is in use, bound to "
		         "%s: release the PF's VFs first, or use a VF below %u",
		         pf->pci, pf->num_vfs, numvfs, pf->num_vfs, i, pci, driver, pf->num_vfs);
		return -1;
	}
	return 0;
}

int qv_sriov_set_numvfs(struct qv_sriov_pf *pf, unsigned numvfs, char *err, size_t errlen)
{
	char pci[QV_PCI_LEN];

	if (read_uint(pf->dir, "sriov_numvfs", &pf->num_vfs) < 0) {
		snprintf(err, errlen, "PF %s: cannot read %s/sriov_numvfs: %s", pf->pci, pf->dir,
		         strerror(errno));
		return -1;
	}
	if (numvfs > pf->total_vfs) {
		snprintf(err, errlen,
		         "PF %s supports at most %u VFs (sriov_totalvfs), %u asked: "
		         "ask for %u or fewer",
		         pf->pci, pf->total_vfs, numvfs, pf->total_vfs);
		return -1;
	}
	if (pf->num_vfs != numvfs) {
		/* The kernel only changes the count from 0: going 4 -> 8 is 4 -> 0 -> 8, which
		 * only VFs nobody uses may go through. */
		if (pf->num_vfs != 0 && numvfs != 0 &&
		    (check_reset_safe(pf, numvfs, err, errlen) < 0 ||
		     write_numvfs(pf, 0, err, errlen) < 0))
			return -1;
		if (write_numvfs(pf, numvfs, err, errlen) < 0)
			return -1;
	}
	for (unsigned i = 0; i < numvfs; i++)
		if (qv_sriov_vf_pci(pf, i, pci, err, errlen) < 0)
			return -1;
	return 0;
}
