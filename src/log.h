/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* log.h - routing library messages to the caller's log callback */
#ifndef QD_LOG_H
#define QD_LOG_H

#include <stdbool.h>

#include "qemudrv.h"

/* struct qd_logger - where a handle's messages go; silent when fn is NULL. */
struct qd_logger {
	qd_log_fn fn;
	void *opaque;
	int max_level;
};

/* qd_log_enabled() - whether a message at @level would be delivered (skip costly formatting). */
static inline bool qd_log_enabled(const struct qd_logger *log, int level)
{
	return log && log->fn && level <= log->max_level;
}

/* qd_log() - format and deliver one message if @level passes the filter. */
void qd_log(const struct qd_logger *log, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
