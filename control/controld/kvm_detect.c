/* qwikvirt: the KVM probe behind qv-controld's --domain-type auto: the device must work and the
 * host must virtualise in hardware (not PVM), or stock guest kernels do not boot in time. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/controld/kvm_detect.h"

bool qv_kvm_device_works(const char *dev, char *why, size_t len)
{
	struct stat st;
	int fd = open(dev, O_RDWR | O_CLOEXEC), api;

	if (fd < 0) {
		snprintf(why, len, "cannot open %s: %s", dev, strerror(errno));
		return false;
	}
	if (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode)) {
		snprintf(why, len, "%s is not a character device", dev);
		close(fd);
		return false;
	}
	api = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	if (api != KVM_API_VERSION) {
		snprintf(why, len, "%s does not answer as KVM (KVM_GET_API_VERSION: %s)", dev,
		         api < 0 ? strerror(errno) : "not 12");
		return false;
	}
	return true;
}

static bool module_loaded(const char *sysfs_root, const char *name)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/module/%s", sysfs_root, name);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* "vmx", "svm" or NULL: the hardware virtualisation flag on the first "flags" line. */
static const char *cpu_virt_flag(const char *cpuinfo)
{
	FILE *f = fopen(cpuinfo, "r");
	const char *found = NULL;
	char line[8192];

	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) != 0 || !strchr(line, ':'))
			continue;
		for (char *tok = strtok(strchr(line, ':') + 1, " \t\n"); tok;
		     tok = strtok(NULL, " \t\n"))
			if (strcmp(tok, "vmx") == 0 || strcmp(tok, "svm") == 0)
				found = tok[0] == 'v' ? "vmx" : "svm";
		break;
	}
	fclose(f);
	return found;
}

bool qv_kvm_host_virtualises(const char *sysfs_root, const char *cpuinfo, char *why, size_t len)
{
	const char *flag;

	if (module_loaded(sysfs_root, "kvm_pvm")) {
		snprintf(
		    why, len,
		    "KVM is PVM (module kvm_pvm): it runs only PVM-enabled guest kernels, and the "
		    "VNFs' stock kernels would crawl");
		return false;
	}
	flag = cpu_virt_flag(cpuinfo);
	if (!flag) {
		snprintf(why, len,
		         "the CPU has no vmx or svm flag in %s: no hardware virtualisation (enable "
		         "VT-x/AMD-V, or nested virtualisation on a VM)",
		         cpuinfo);
		return false;
	}
	snprintf(why, len, "%s, %s",
	         module_loaded(sysfs_root, "kvm_intel") ? "kvm_intel"
	         : module_loaded(sysfs_root, "kvm_amd") ? "kvm_amd"
	                                                : "kvm",
	         flag);
	return true;
}

bool qv_kvm_usable(const struct qv_kvm_probe *p, char *why, size_t len)
{
	const char *env = getenv("QV_KVM_DEVICE");
	const char *dev = p && p->dev ? p->dev : env && *env ? env : "/dev/kvm";
	const char *sysfs = p && p->sysfs_root ? p->sysfs_root : "/sys";
	const char *cpuinfo = p && p->cpuinfo ? p->cpuinfo : "/proc/cpuinfo";
	char found[512];

	if (!qv_kvm_device_works(dev, why, len))
		return false;
	if (!qv_kvm_host_virtualises(sysfs, cpuinfo, found, sizeof(found))) {
		snprintf(why, len, "%s opens, but %s", dev, found);
		return false;
	}
	snprintf(why, len, "%s works (%s)", dev, found);
	return true;
}
