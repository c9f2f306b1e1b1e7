#!/bin/bash
# vhost_churn with the teardown check's spin (QV_VHOST_TEARDOWN_CHECK_SPIN_US: every PMD call
# into rte_vhost waits after it reads the vid, and again before the call). A PMD held between
# those reads while a device is destroyed and the next one published is then the common case,
# not a one-in-many-runs preemption: the check must count no late call for it (before
# vhost/vhost_port.c read gone_seq after the vid, it counted some in every run), while a destroy
# that did not wait for the PMDs would be counted at once. Few connect cycles: the restarts
# are the point.
export QV_VHOST_TEARDOWN_CHECK_SPIN_US=${QV_VHOST_TEARDOWN_CHECK_SPIN_US:-20}
export QV_CHURN_CYCLES=2
. "$(dirname "$0")/vhost_churn.sh"
