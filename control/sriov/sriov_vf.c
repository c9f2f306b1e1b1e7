/* qwikvirt: VF settings (MAC, VLAN, spoof check, trust) through rtnetlink on the PF's netdev,
 * with libnl-route's rtnl_link_vf API; one request per setting so an error names the setting. */
#include "control/sriov/sriov.h"

#include <errno.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/sriov.h>
#include <stdio.h>
#include <string.h>

struct vf_req {
	struct nl_sock *sk;
	struct rtnl_link *pf;
	int kerr; /* the kernel's errno from the last NLMSG_ERROR; libnl maps it to NLE_* */
	const char *netdev, *pci;
	unsigned vf;
};

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	(void)who;
	((struct vf_req *)arg)->kerr = -e->error;
	return NL_STOP;
}

/* "PF eth3 (0000:03:00.1)" or "PF eth3". */
static void pf_name(const struct vf_req *r, char *buf, size_t len)
{
	snprintf(buf, len, "PF %s%s%s%s", r->netdev, r->pci ? " (" : "", r->pci ? r->pci : "",
	         r->pci ? ")" : "");
}

static const char *hint(int e)
{
	switch (e) {
	case EOPNOTSUPP:
		return "the PF's driver cannot do this for VFs: is it an SR-IOV NIC on its own "
		       "kernel driver?";
	case EINVAL:
		return "the VF may not exist (create it through sriov_numvfs first) or the value "
		       "is "
		       "out of the device's range";
	case EPERM:
	case EACCES:
		return "run as root (CAP_NET_ADMIN)";
	default:
		return "see dmesg for the driver's reason";
	}
}

/* Sends one VF change; `what` names it in the error ("MAC 02:00:00:00:00:01"). */
static int send_vf(struct vf_req *r, struct rtnl_link_vf *vf, const char *what, char *err,
                   size_t errlen)
{
	struct rtnl_link *chg = rtnl_link_alloc();
	char name[64];
	int rc;

	pf_name(r, name, sizeof(name));
	if (chg == NULL || rtnl_link_vf_add(chg, vf) < 0) {
		rtnl_link_put(chg);
		snprintf(err, errlen, "%s VF %u: setting %s: out of memory", name, r->vf, what);
		return -1;
	}
	r->kerr = 0;
	rc = rtnl_link_change(r->sk, r->pf, chg, 0);
	rtnl_link_put(chg);
	if (rc >= 0)
		return 0;
	if (r->kerr != 0)
		snprintf(err, errlen, "%s VF %u: setting %s failed: %s (errno %d); %s", name, r->vf,
		         what, strerror(r->kerr), r->kerr, hint(r->kerr));
	else
		snprintf(err, errlen, "%s VF %u: setting %s failed: %s (netlink)", name, r->vf,
		         what, nl_geterror(rc));
	return -1;
}

static int set_mac(struct vf_req *r, const uint8_t mac[6], char *err, size_t errlen)
{
	struct rtnl_link_vf *vf = rtnl_link_vf_alloc();
	struct nl_addr *a = nl_addr_build(AF_LLC, mac, 6);
	char what[32];
	int rc = -1;

	snprintf(what, sizeof(what), "MAC %02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
	         mac[3], mac[4], mac[5]);
	if (vf != NULL && a != NULL) {
		rtnl_link_vf_set_index(vf, r->vf);
		rtnl_link_vf_set_addr(vf, a);
		rc = send_vf(r, vf, what, err, errlen);
	} else {
		snprintf(err, errlen, "VF %u: setting %s: out of memory", r->vf, what);
	}
	nl_addr_put(a);
	rtnl_link_vf_put(vf);
	return rc;
}

static int set_vlan(struct vf_req *r, int vlan, int qos, char *err, size_t errlen)
{
	struct rtnl_link_vf *vf = rtnl_link_vf_alloc();
	nl_vf_vlans_t *vl = NULL;
	char what[32];
	int rc = -1;

	snprintf(what, sizeof(what), "VLAN %d qos %d", vlan, qos);
	if (vf != NULL && rtnl_link_vf_vlan_alloc(&vl, 1) == 0) {
		/* One 802.1Q VLAN: libnl sends the classic IFLA_VF_VLAN every driver knows. */
		vl->vlans[0].vf_vlan = (uint32_t)vlan;
		vl->vlans[0].vf_vlan_qos = (uint32_t)qos;
		vl->vlans[0].vf_vlan_proto = ETH_P_8021Q;
		rtnl_link_vf_set_index(vf, r->vf);
		rtnl_link_vf_set_vlans(vf, vl);
		rc = send_vf(r, vf, what, err, errlen);
	} else {
		snprintf(err, errlen, "VF %u: setting %s: out of memory", r->vf, what);
	}
	rtnl_link_vf_vlan_put(vl);
	rtnl_link_vf_put(vf);
	return rc;
}

static int set_flag(struct vf_req *r, bool trust, int on, char *err, size_t errlen)
{
	struct rtnl_link_vf *vf = rtnl_link_vf_alloc();
	char what[32];
	int rc;

	snprintf(what, sizeof(what), "%s %s", trust ? "trust" : "spoof check", on ? "on" : "off");
	if (vf == NULL) {
		snprintf(err, errlen, "VF %u: setting %s: out of memory", r->vf, what);
		return -1;
	}
	rtnl_link_vf_set_index(vf, r->vf);
	if (trust)
		rtnl_link_vf_set_trust(vf, (uint32_t)on);
	else
		rtnl_link_vf_set_spoofchk(vf, (uint32_t)on);
	rc = send_vf(r, vf, what, err, errlen);
	rtnl_link_vf_put(vf);
	return rc;
}

static int check(const struct qv_sriov_vf_config *c, const char *pf, unsigned vf, char *err,
                 size_t errlen)
{
	const char *bad = NULL;

	if (c->set_mac && (c->mac[0] & 1))
		bad = "MAC is a multicast address: give a unicast one";
	else if (c->vlan != QV_VF_KEEP && (c->vlan < 0 || c->vlan > 4094))
		bad = "vlan must be 0 (none) to 4094";
	else if (c->qos != QV_VF_KEEP && (c->qos < 0 || c->qos > 7))
		bad = "qos must be 0 to 7";
	else if (c->spoofchk < QV_VF_KEEP || c->spoofchk > 1 || c->trust < QV_VF_KEEP ||
	         c->trust > 1)
		bad = "spoofchk and trust are 0 or 1";
	if (bad != NULL)
		snprintf(err, errlen, "PF %s VF %u: %s", pf, vf, bad);
	return bad ? -1 : 0;
}

static int apply(struct vf_req *r, const struct qv_sriov_vf_config *c, char *err, size_t errlen)
{
	if (c->set_mac && set_mac(r, c->mac, err, errlen) < 0)
		return -1;
	if (c->vlan != QV_VF_KEEP &&
	    set_vlan(r, c->vlan, c->qos == QV_VF_KEEP ? 0 : c->qos, err, errlen) < 0)
		return -1;
	if (c->spoofchk != QV_VF_KEEP && set_flag(r, false, c->spoofchk, err, errlen) < 0)
		return -1;
	if (c->trust != QV_VF_KEEP && set_flag(r, true, c->trust, err, errlen) < 0)
		return -1;
	return 0;
}

int qv_sriov_vf_configure(const char *pf_netdev, const char *pf_pci, unsigned vf,
                          const struct qv_sriov_vf_config *cfg, char *err, size_t errlen)
{
	struct vf_req r = {.netdev = pf_netdev ? pf_netdev : "", .pci = pf_pci, .vf = vf};
	char name[64];
	unsigned ifindex;
	int rc = -1;

	pf_name(&r, name, sizeof(name));
	if (check(cfg, name + 3, vf, err, errlen) < 0)
		return -1;
	ifindex = r.netdev[0] ? if_nametoindex(r.netdev) : 0;
	if (ifindex == 0) {
		snprintf(err, errlen,
		         "%s: no network device named '%s' (%s); the PF must be on its "
		         "kernel driver (not vfio-pci) to configure VF %u",
		         name, r.netdev, strerror(r.netdev[0] ? errno : ENODEV), vf);
		return -1;
	}
	r.sk = nl_socket_alloc();
	if (r.sk == NULL) {
		snprintf(err, errlen, "%s VF %u: out of memory", name, vf);
		return -1;
	}
	nl_socket_modify_err_cb(r.sk, NL_CB_CUSTOM, on_error, &r);
	if ((rc = nl_connect(r.sk, NETLINK_ROUTE)) < 0 ||
	    (rc = rtnl_link_get_kernel(r.sk, (int)ifindex, NULL, &r.pf)) < 0) {
		snprintf(err, errlen, "%s VF %u: rtnetlink: %s", name, vf, nl_geterror(rc));
		rc = -1;
	} else {
		rc = apply(&r, cfg, err, errlen);
	}
	rtnl_link_put(r.pf);
	nl_socket_free(r.sk);
	return rc;
}
