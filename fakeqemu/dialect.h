/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dialect.h - what differs between the QEMU versions fakeqemu imitates (5.2, 7.2, 10.0) */
#ifndef FQ_DIALECT_H
#define FQ_DIALECT_H

#include <stdbool.h>
#include <stddef.h>

/* struct fq_schema_entity - one query-qmp-schema entry, as text inside fq_dialect.schema. */
struct fq_schema_entity {
	const char *name;
	unsigned offset, length;
};

/**
 * struct fq_version_data - what gen_data.py embedded for one version (fakeqemu-data/V/)
 * @name:       the version, e.g. "7.2" (the directory's name)
 * @schema:     the schema entities' JSON texts, back to back
 * @entities:   their index, in QEMU's order
 * @sorted:     indexes of @entities by name
 * @nentities:  how many
 * @cpu_models: " name name ... ": query-cpu-definitions names
 * @blob:       introspect.json as read by qomdata.c, or NULL when not recorded
 * @blob_size:  its size in bytes
 */
struct fq_version_data {
	const char *name;
	const char *schema;
	const struct fq_schema_entity *entities;
	const unsigned *sorted;
	size_t nentities;
	const char *cpu_models;
	const unsigned char *blob;
	size_t blob_size;
};

/* fq_version_data - every embedded version, ended by a NULL @name (generated). */
extern const struct fq_version_data fq_version_data[];

/* struct fq_text - one of a version's error texts (behaviour.json "texts"). */
struct fq_text {
	const char *key;
	const char *text;
};

/*
 * struct fq_dialect - one imitated QEMU version, as probed from the real
 * binary: generated from fakeqemu-data/VERSION/{version,behaviour}.json.
 */
struct fq_dialect {
	const char *name; /* "5.2", "7.2", "10.0" */
	int major, minor, micro;
	const char *package;
	bool prefer_sockets;	     /* -smp: fill sockets before cores (before 6.2) */
	bool has_unplug_guest_error; /* DEVICE_UNPLUG_GUEST_ERROR exists (6.2+) */
	bool status_has_singlestep;  /* query-status reports "singlestep" (< 8.2) */
	bool events_after_reply;     /* quit/system_powerdown/system_reset: event after {} (5.2) */
	bool float_17g;		     /* doubles printed "%.17g" (6.0+), else "%f" trimmed */
	bool cpus_fast_has_arch;     /* query-cpus-fast entries have "arch" (5.2) */
	int smp_style; /* -smp: 0 = 5.2's pc_smp_parse(), else machine_parse_smp_config() */
	bool strict_device_props;    /* device_add refuses "1" for integer properties (10.0) */
	bool check_device_id;	     /* device_add ids must be identifiers (< 10.0) */
	bool repeat_unplug_ok;	     /* a repeated device_del while unplugging returns {} (5.2) */
	bool node_active;	     /* BlockDeviceInfo has "active" (10.0) */
	bool old_errors;	     /* 5.2's wording of duplicate id, enum, block errors */
	bool device_json;	     /* -device takes JSON (6.1+) */
	bool hotplug_off_in_handler; /* a hotplug=off port refuses in its handler (5.2) */
	const char *machine_suffix;  /* pc-i440fx-<suffix> */
	const struct fq_text *texts; /* sorted by key */
	size_t ntexts;
	const struct fq_version_data *data; /* the recorded self-description */
};

/* fq_dialects - every embedded version, ended by a NULL @name (generated). */
extern const struct fq_dialect fq_dialects[];

/* fq_dialect_find() - the dialect named @name, or NULL. */
const struct fq_dialect *fq_dialect_find(const char *name);

/* fq_dialect_names() - "10.0, 5.2, 7.2" (the embedded versions) for messages. */
const char *fq_dialect_names(void);

/**
 * fq_dialect_text() - one of the version's error texts (behaviour.json)
 * @d:   the dialect
 * @key: the text's key, e.g. "duplicate-id"
 *
 * Return: the text with its {placeholders}, or NULL when not listed.
 */
const char *fq_dialect_text(const struct fq_dialect *d, const char *key);

#endif
