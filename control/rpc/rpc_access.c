/* qwikvirt: who may call which control method: the decision from a peer's uid and groups.
 * Pure functions (no I/O) so the model is unit-tested on its own; the server feeds them. */
#include <unistd.h>

#include "control/rpc/rpc.h"

static bool in_group(const struct qv_rpc_peer *peer, gid_t gid)
{
	if (gid == QV_RPC_NO_GROUP)
		return false;
	if (peer->gid == gid)
		return true;
	/* Supplementary groups count as much as the primary one: `usermod -aG qwikvirt alice`
	 * is how an operator grants access, and leaves alice's primary group alone. */
	for (size_t i = 0; i < peer->n_groups; i++)
		if (peer->groups[i] == gid)
			return true;
	return false;
}

enum qv_rpc_role qv_rpc_peer_role(const struct qv_rpc_policy *policy,
                                  const struct qv_rpc_peer *peer)
{
	/* The daemon's own uid can ptrace it or edit its state files anyway: refusing it would
	 * protect nothing (and it is how a daemon run by a developer is driven). */
	if (peer->uid == 0 || peer->uid == policy->owner_uid)
		return QV_RPC_ROLE_ADMIN;
	if (in_group(peer, policy->admin_gid))
		return QV_RPC_ROLE_ADMIN;
	if (in_group(peer, policy->read_gid))
		return QV_RPC_ROLE_READER;
	return QV_RPC_ROLE_NONE;
}

bool qv_rpc_role_allows(enum qv_rpc_role role, enum qv_rpc_access access)
{
	switch (role) {
	case QV_RPC_ROLE_ADMIN:
		return true;
	case QV_RPC_ROLE_READER:
		return access == QV_RPC_READ;
	case QV_RPC_ROLE_NONE:
		break;
	}
	return false;
}

bool qv_rpc_peer_allowed(const struct qv_rpc_policy *policy, const struct qv_rpc_peer *peer,
                         enum qv_rpc_access access)
{
	return qv_rpc_role_allows(qv_rpc_peer_role(policy, peer), access);
}

/* The caller of the handler running on this thread (dispatch sets it around the call). */
static _Thread_local const struct qv_rpc_caller *current_caller;

const struct qv_rpc_caller *qv_rpc_caller_swap(const struct qv_rpc_caller *caller)
{
	const struct qv_rpc_caller *prev = current_caller;

	current_caller = caller;
	return prev;
}

const struct qv_rpc_caller *qv_rpc_current_caller(void)
{
	return current_caller;
}

bool qv_rpc_caller_is_admin(const struct qv_rpc_caller *caller)
{
	return caller == NULL || caller->role == QV_RPC_ROLE_ADMIN;
}

uid_t qv_rpc_caller_uid(const struct qv_rpc_caller *caller)
{
	return caller ? caller->uid : geteuid();
}
