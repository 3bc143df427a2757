/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qmp_dispatch.h - QMP request handling as QEMU's monitor/qmp.c and qapi/qmp-dispatch.c */
#ifndef FQ_QMP_DISPATCH_H
#define FQ_QMP_DISPATCH_H

#include <stdbool.h>

#include <json-c/json.h>

struct fq_monitor;

/* struct fq_reply - a command's outcome: a return value or an error. */
struct fq_reply {
	json_object *ret; /* NULL means {} */
	char *err_class;  /* set on error */
	char *err_desc;
	bool deferred; /* the handler will call fq_qmp_complete() later */
};

/* fq_reply_error() - fail with @cls ("GenericError", ...) and a formatted desc. */
void fq_reply_error(struct fq_reply *r, const char *cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* fq_error_response() - {"error": {"class", "desc"}} built as QEMU builds it. */
json_object *fq_error_response(const char *cls, const char *desc);

/* fq_qmp_greeting() - {"QMP": {"version": ..., "capabilities": [...]}}. */
json_object *fq_qmp_greeting(void);

/* fq_qmp_handle_input() - the JSON parser's emit callback for a monitor. */
void fq_qmp_handle_input(void *opaque, json_object *value, bool is_null, const char *error);

/* fq_qmp_connection_closed() - forget requests in flight on @m. */
void fq_qmp_connection_closed(struct fq_monitor *m);

/* fq_qmp_current_monitor() - the monitor whose command is executing, or NULL. */
struct fq_monitor *fq_qmp_current_monitor(void);

#endif
