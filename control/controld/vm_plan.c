/* qwikvirt: what an apply would do to the VMs (for `qvctl apply --check` and the apply's
 * report): VMs to start, VMs to remove. */
#include <stdio.h>
#include <string.h>

#include "control/controld/controld.h"
#include "control/vm/vm_lifecycle.h"

static bool has(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) if (s && json_is_string(v) &&
	                                  strcmp(json_string_value(v), s) == 0) return true;
	return false;
}

json_t *qv_vms_plan(struct qv_controld *c, const struct qv_model *m)
{
	json_t *want = json_array(), *start = json_array(), *rm = json_array(), *v;
	struct qv_vm_conn *lv;
	char err[512], name[QV_VM_NAME_MAX * 2];
	size_t i;

	for (i = 0; i < m->n_vnfs; i++)
		for (unsigned k = 0; k < m->vnfs[i].instances; k++) {
			snprintf(name, sizeof(name), "%s%s-%u", c->vm.prefix, m->vnfs[i].name, k);
			json_array_append_new(want, json_string(name));
		}
	json_array_foreach(json_object_get(qv_vmstate(c), "clones"), i,
	                   v) if (qv_clone_name(v) &&
	                          has(want, json_string_value(json_object_get(v, "source"))))
	    json_array_append_new(want, json_string(qv_clone_name(v)));
	lv = qv_cd_lv(c, err, sizeof(err));
	json_array_foreach(want, i, v)
	{
		enum qv_vm_state st = QV_VM_ABSENT;
		struct qv_vm_err e;

		if (lv)
			qv_vm_get_state(lv, json_string_value(v), &st, &e);
		if (st != QV_VM_RUNNING && st != QV_VM_PAUSED &&
		    !qv_cd_held(c, json_string_value(v)))
			json_array_append(start, v);
	}
	/* clones are only removed by vm.delete, even when their source leaves the file */
	json_array_foreach(json_object_get(qv_vmstate(c), "managed"), i,
	                   v) if (json_is_string(v) && !has(want, json_string_value(v)) &&
	                          !qv_cd_clone_entry(c, json_string_value(v)))
	    json_array_append(rm, v);
	json_decref(want);
	return json_pack("{s:o, s:o}", "vms_start", start, "vms_remove", rm);
}
