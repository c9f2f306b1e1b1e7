/* qwikvirt: names and help texts of the drop reasons (see qv/drop_reason.h). */
#include "qv/drop_reason.h"

const char *const qv_drop_reason_name[QV_DROP_MAX] = {
#define QV_DROP_NAME(sym, name, help) [QV_DROP_##sym] = name,
    QV_FOREACH_DROP_REASON(QV_DROP_NAME)
#undef QV_DROP_NAME
};

const char *const qv_drop_reason_help[QV_DROP_MAX] = {
#define QV_DROP_HELP(sym, name, help) [QV_DROP_##sym] = help,
    QV_FOREACH_DROP_REASON(QV_DROP_HELP)
#undef QV_DROP_HELP
};
