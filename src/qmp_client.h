/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qmp_client.h - what the library itself uses of a QMP connection beyond the public API */
#ifndef QD_QMP_CLIENT_H
#define QD_QMP_CLIENT_H

#include <stdbool.h>

#include "qemudrv.h"

/* qd_qmp_set_log() - route the connection's messages elsewhere from now on. */
void qd_qmp_set_log(struct qd_qmp *q, qd_log_fn fn, void *opaque, int level);

/*
 * qd_qmp_event_pred - chooses the events of a watch; called with the
 * connection's lock held, from whichever thread reads: it must only look at
 * @ev and its own @arg (which must stay valid and unchanged while armed).
 */
typedef bool (*qd_qmp_event_pred)(json_object *ev, void *arg);

/* qd_qmp_watch_new_pred() - qd_qmp_watch_new() with events chosen by @pred. */
int qd_qmp_watch_new_pred(struct qd_qmp *q, qd_qmp_event_pred pred, void *arg,
			  struct qd_qmp_watch **out, qd_error *err);

/*
 * qd_qmp_claim() - the hot-plug events of device or vCPU @id are the
 * library's: they skip the general queue (watches still see them). See
 * struct qd_event_claims. -ENOMEM on failure.
 */
int qd_qmp_claim(struct qd_qmp *q, const char *id);

/* qd_qmp_unclaim() - @id is no longer plugged (its late events stay claimed a while). */
void qd_qmp_unclaim(struct qd_qmp *q, const char *id);

/*
 * qd_qmp_claim_cpu_tail() - a vCPU unplug is requested (@delta 1): its last
 * _OST, which names no device, is claimed; -1 takes that back when the
 * unplug did not happen.
 */
void qd_qmp_claim_cpu_tail(struct qd_qmp *q, int delta);

/*
 * qd_qmp_take_refusal() - the oldest claimed DEVICE_UNPLUG_GUEST_ERROR that
 * no wait consumed (it came after the removal gave up), or NULL.
 */
json_object *qd_qmp_take_refusal(struct qd_qmp *q);

#endif
