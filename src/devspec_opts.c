/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* devspec_opts.c - a device's dictionaries as command-line option values ("a=b,c.d=e") */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devspec.h"

/*
 * QEMU reads -device, -netdev, -object, -chardev and -fsdev as QemuOpts and
 * -blockdev as keyval: both are "key=value,..." with ",," for a comma in a
 * value, and both take the first value without its key for the option's
 * implied key (the driver, the netdev type, the object type, the chardev
 * backend, the fsdev driver; -blockdev has none). keyval spells a nested
 * dictionary as dotted keys ("file.filename=..."), and both read on/off for
 * a boolean. That one form works on every QEMU version, where JSON is taken
 * only by some options of some versions.
 */

static const struct {
	const char *option;
	const char *implied;
} kinds[] = {
    [QD_PART_BLOCKDEV] = {"-blockdev", NULL},	[QD_PART_NETDEV] = {"-netdev", "type"},
    [QD_PART_OBJECT] = {"-object", "qom-type"}, [QD_PART_CHARDEV] = {"-chardev", "backend"},
    [QD_PART_FSDEV] = {"-fsdev", "fsdriver"},	[QD_PART_DEVICE] = {"-device", "driver"},
};

const char *qd_part_option(enum qd_part_kind kind)
{
	return kinds[kind].option;
}

/* A growing string; @failed once an allocation failed. */
struct text {
	char *s;
	size_t len, cap;
	bool failed;
};

static void add(struct text *t, const char *s, size_t n)
{
	if (t->failed)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = (t->len + n + 1) * 2;
		char *p = realloc(t->s, cap);

		if (!p) {
			t->failed = true;
			return;
		}
		t->s = p;
		t->cap = cap;
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void add_str(struct text *t, const char *s)
{
	add(t, s, strlen(s));
}

char *qd_escape_opt(const char *value)
{
	size_t n = 0;
	char *out, *o;

	for (const char *p = value; *p; p++)
		n += *p == ',' ? 2 : 1;
	out = malloc(n + 1);
	if (!out)
		return NULL;
	o = out;
	for (const char *p = value; *p; p++) {
		*o++ = *p;
		if (*p == ',')
			*o++ = ',';
	}
	*o = '\0';
	return out;
}

/* A value with every ',' doubled. */
static void add_escaped(struct text *t, const char *v)
{
	char *e = qd_escape_opt(v);

	if (!e) {
		t->failed = true;
		return;
	}
	add_str(t, e);
	free(e);
}

static void add_value(struct text *t, json_object *v)
{
	char num[32];

	switch (json_object_get_type(v)) {
	case json_type_boolean:
		add_str(t, json_object_get_boolean(v) ? "on" : "off");
		break;
	case json_type_int:
		snprintf(num, sizeof(num), "%lld", (long long)json_object_get_int64(v));
		add_str(t, num);
		break;
	default:
		add_escaped(t, json_object_get_string(v));
		break;
	}
}

static void add_members(struct text *t, json_object *o, const char *prefix, const char *implied)
{
	json_object_object_foreach(o, key, val)
	{
		if (implied && !strcmp(key, implied))
			continue;
		if (json_object_is_type(val, json_type_object)) {
			char *nested;

			if (asprintf(&nested, "%s%s.", prefix, key) < 0) {
				t->failed = true;
				return;
			}
			add_members(t, val, nested, NULL);
			free(nested);
			continue;
		}
		if (t->len)
			add_str(t, ",");
		add_str(t, prefix);
		add_str(t, key);
		add_str(t, "=");
		add_value(t, val);
	}
}

char *qd_part_to_opts(const struct qd_part *p)
{
	const char *implied = kinds[p->kind].implied;
	struct text t = {0};
	json_object *first;

	add(&t, "", 0);
	if (implied && json_object_object_get_ex(p->props, implied, &first))
		add_value(&t, first);
	add_members(&t, p->props, "", implied);
	if (t.failed) {
		free(t.s);
		return NULL;
	}
	return t.s;
}
