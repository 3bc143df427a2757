/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* error.c - the caller-owned error object */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

void qd_error_clear(qd_error *err)
{
	if (!err)
		return;
	free(err->qmp_class);
	free(err->message);
	err->code = 0;
	err->qmp_class = NULL;
	err->message = NULL;
}

int qd_error_set(qd_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	if (!err)
		return code;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	qd_error_clear(err);
	err->code = code;
	err->message = msg;
	return code;
}

int qd_error_set_qmp(qd_error *err, const char *qmp_class, const char *desc)
{
	if (!err)
		return -EREMOTEIO;
	qd_error_clear(err);
	err->code = -EREMOTEIO;
	err->qmp_class = qmp_class ? strdup(qmp_class) : NULL;
	err->message = desc ? strdup(desc) : NULL;
	return -EREMOTEIO;
}

int qd_error_copy(qd_error *dst, const qd_error *src)
{
	if (!dst || dst == src)
		return src->code;
	qd_error_clear(dst);
	dst->code = src->code;
	dst->qmp_class = src->qmp_class ? strdup(src->qmp_class) : NULL;
	dst->message = src->message ? strdup(src->message) : NULL;
	return src->code;
}

int qd_error_check_timeout(qd_error *err, int timeout_ms)
{
	if (timeout_ms < 0)
		return qd_error_set(err, -EINVAL, "invalid timeout %d ms: must not be negative",
				    timeout_ms);
	return 0;
}

void qd_error_append(qd_error *err, const char *fmt, ...)
{
	va_list ap;
	char *more = NULL, *joined;

	if (!err || !err->message)
		return;
	va_start(ap, fmt);
	if (vasprintf(&more, fmt, ap) < 0)
		more = NULL;
	va_end(ap);
	if (more && asprintf(&joined, "%s%s", err->message, more) >= 0) {
		free(err->message);
		err->message = joined;
	}
	free(more);
}
