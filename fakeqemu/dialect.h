/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dialect.h - what differs between the QEMU versions fakeqemu imitates (5.2, 7.2, 10.0) */
#ifndef FQ_DIALECT_H
#define FQ_DIALECT_H

#include <stdbool.h>
#include <stddef.h>

/* struct fq_dialect - one imitated QEMU version, as probed from the real binary. */
struct fq_dialect {
	const char *name; /* "5.2", "7.2", "10.0" */
	int major, minor, micro;
	const char *package;
	bool prefer_sockets;         /* -smp: fill sockets before cores (before 6.2) */
	bool has_unplug_guest_error; /* DEVICE_UNPLUG_GUEST_ERROR exists (6.2+) */
	bool status_has_singlestep;  /* query-status reports "singlestep" (< 8.2) */
	const char *schema;          /* query-qmp-schema return value, JSON text */
	size_t schema_len;
};

/* fq_dialect_find() - the dialect named @name, or NULL. */
const struct fq_dialect *fq_dialect_find(const char *name);

/* fq_dialect_names() - "5.2, 7.2, 10.0" for messages. */
const char *fq_dialect_names(void);

#endif
