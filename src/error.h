/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* error.h - filling struct qd_error from inside the library */
#ifndef QD_ERROR_H
#define QD_ERROR_H

#include "qemudrv.h"

/*
 * qd_error_set() - fill @err (if not NULL) with @code and a formatted message.
 * Return: @code, so callers can write `return qd_error_set(err, -EINVAL, ...)`.
 */
int qd_error_set(qd_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* qd_error_set_qmp() - fill @err with a QMP error: class and desc verbatim. */
int qd_error_set_qmp(qd_error *err, const char *qmp_class, const char *desc);

/* qd_error_copy() - deep-copy @src into @dst (if not NULL); returns src->code. */
int qd_error_copy(qd_error *dst, const qd_error *src);

/* qd_error_append() - add formatted text to the end of @err's message (none: nothing). */
void qd_error_append(qd_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* qd_error_check_timeout() - -EINVAL with a clear message for a negative timeout. */
int qd_error_check_timeout(qd_error *err, int timeout_ms);

#endif
