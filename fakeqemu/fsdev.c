/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fsdev.c - -fsdev: the 9p filesystem backends virtio-9p devices name by id */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "cmdline.h"
#include "fakeqemu.h"
#include "fsdev.h"
#include "opts.h"
#include "since.h"

struct queued {
	char *location, *text;
	struct queued *next;
};
static struct queued *queue;

void fq_fsdev_option(const char *arg)
{
	struct queued *q = calloc(1, sizeof(*q)), **pp;
	struct fq_opts o;
	const char *id;

	if (!q)
		abort();
	if (asprintf(&q->location, "-fsdev %s", arg) < 0)
		abort();
	q->text = strdup(arg);
	fq_opts_parse_noisily(q->location, arg, "fsdriver", &o);
	fq_cmdline_check("fsdev", q->location, &o);
	id = fq_opts_get(&o, "id");
	for (struct queued *p = queue; p && id; p = p->next) {
		struct fq_opts other;
		const char *oid;
		bool dup;

		fq_opts_parse(p->text, "fsdriver", &other);
		oid = fq_opts_get(&other, "id");
		dup = oid && !strcmp(oid, id);
		fq_opts_free(&other);
		if (dup)
			fq_die("%s: Duplicate ID '%s' for fsdev", q->location, id);
	}
	fq_opts_free(&o);
	for (pp = &queue; *pp; pp = &(*pp)->next)
		;
	*pp = q;
}

/* qemu_fsdev_add(): the driver, then what it needs; the path is only checked by the device. */
static void fsdev_create(const struct queued *q)
{
	static const char *const models[] = {"passthrough", "mapped-xattr", "mapped-file",
					     "none",	    "mapped",	    NULL};
	struct fq_opts o;
	const char *id, *driver, *model;
	bool known = false;

	fq_opts_parse(q->text, "fsdriver", &o);
	id = fq_opts_get(&o, "id");
	driver = fq_opts_get(&o, "fsdriver");
	if (!id)
		fq_die("%s: fsdev: No id specified", q->location);
	/* The proxy driver went in 9.2. */
	if (driver && (!strcmp(driver, "local") || !strcmp(driver, "synth") ||
		       (!strcmp(driver, "proxy") && !fq_since(9, 2))))
		known = true;
	if (!known)
		fq_die("%s: fsdev: fsdriver %s not found", q->location, driver ? driver : "(null)");
	if (!strcmp(driver, "local")) {
		model = fq_opts_get(&o, "security_model");
		if (!model)
			fq_die("%s: security_model property not set\nValid options are: "
			       "security_model=[passthrough|mapped-xattr|mapped-file|none]",
			       q->location);
		for (int i = 0; models[i] && known; i++)
			known = strcmp(models[i], model) != 0;
		if (known)
			fq_die("%s: invalid security_model property '%s'\nValid options are: "
			       "security_model=[passthrough|mapped-xattr|mapped-file|none]",
			       q->location, model);
		if (!fq_opts_get(&o, "path"))
			fq_die("%s: path property not set", q->location);
	}
	fq_backend_add(FQ_BACKEND_FSDEV, id, driver, NULL);
	fq_opts_free(&o);
}

void fq_fsdevs_create(void)
{
	for (struct queued *q = queue; q; q = q->next)
		fsdev_create(q);
}
