/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qmp_claims.h - which events answer the library's own hot-plug (no I/O, no locking) */
#ifndef QD_QMP_CLAIMS_H
#define QD_QMP_CLAIMS_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "qmp_events.h"

/* Recently released ids still claimed, for events that come after the record went. */
#define QD_CLAIMS_RETIRED 32
/* Claimed events kept for the library to read later (the oldest go first). */
#define QD_CLAIMS_INBOX_MAX 64

/*
 * struct qd_event_claims - the devices and vCPUs whose events are the library's
 *
 * DEVICE_DELETED, DEVICE_UNPLUG_GUEST_ERROR and ACPI_DEVICE_OST that name a
 * claimed id (by "device", or by a QOM path under /machine/peripheral/<id>)
 * are answers to the library's own hot-plug: they do not go to the
 * connection's general queue, which is the caller's. The last _OST of a vCPU
 * unplug names no device (the CPU is gone by then), so each confirmed vCPU
 * removal also claims one device-less CPU eject _OST.
 */
struct qd_event_claims {
	char **ids;
	size_t n, cap;
	char *retired[QD_CLAIMS_RETIRED];
	unsigned next_retired;
	unsigned cpu_ost_tails;
	struct qd_event_queue inbox; /* claimed DEVICE_UNPLUG_GUEST_ERROR events */
};

/* qd_claims_add() - claim @id (again is fine); -ENOMEM on failure. */
int qd_claims_add(struct qd_event_claims *c, const char *id);

/* qd_claims_release() - @id's record is gone; its late events are still claimed for a while. */
void qd_claims_release(struct qd_event_claims *c, const char *id);

/* qd_claims_expect_cpu_tail() - @delta more (or fewer) device-less CPU eject _OSTs are the
 * library's. */
void qd_claims_expect_cpu_tail(struct qd_event_claims *c, int delta);

/*
 * qd_claims_take() - whether @ev is claimed; if so it is consumed: a guest's
 * unplug refusal that no library wait @handled is kept in the inbox, anything
 * else dropped.
 */
bool qd_claims_take(struct qd_event_claims *c, json_object *ev, bool handled);

void qd_claims_clear(struct qd_event_claims *c);

/*
 * qd_event_device_id() - the device an event is about: data.device, or
 * data.info.device (ACPI_DEVICE_OST), or NULL. Borrowed from @ev.
 */
const char *qd_event_device_id(json_object *ev);

/*
 * qd_event_path_under() - whether @ev's data.path is /machine/peripheral/@id
 * (returns 2) or a part of it, /machine/peripheral/@id/... (returns 1); else 0.
 */
int qd_event_path_under(json_object *ev, const char *id);

/* qd_event_name_is() - whether @ev is the event @name. */
bool qd_event_name_is(json_object *ev, const char *name);

#endif
