/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cmdline.c - validation of the options fakeqemu only checks (see cmdline.h) */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "fakeqemu.h"
#include "objects.h"
#include "numparse.h"
#include "qomdata.h"
#include "report.h"
#include "since.h"
#include "strbuf.h"

/* The recorded parameters of QemuOpts list @list: [{"name", "type", ...}], or NULL. */
static json_object *list_parameters(const char *list, json_object **owner)
{
	json_object *reply = fq_rec_parse(
	    fq_data_keyed("args:tcg:query-command-line-options {\"option\":\"%s\"}", list));
	json_object *entry = reply ? json_object_array_get_idx(reply, 0) : NULL;

	*owner = reply;
	return entry ? json_object_object_get(entry, "parameters") : NULL;
}

static bool parse_bool(const char *v)
{
	return !strcmp(v, "on") || !strcmp(v, "off");
}

/* parse_option_number(): qemu_strtou64(), so "-1" is 2^64 - 1. */
static char *check_number(const char *key, const char *val)
{
	int ret = fq_strtou64(val, &(uint64_t){0});

	if (ret == -ERANGE)
		return fq_xasprintf("Value '%s' is too large for parameter '%s'", val, key);
	if (ret)
		return fq_xasprintf("Parameter '%s' expects a number", key);
	return NULL;
}

/* parse_option_size(): qemu_strtosz(), out of range said apart. */
static char *check_size(const char *location, const char *key, const char *val)
{
	bool deprecated;
	int ret = fq_strtosz(val, &(uint64_t){0}, &deprecated);

	if (deprecated) {
		fq_report_location(location);
		fq_warn("Using a multiplier suffix on hex numbers is deprecated: %s", val);
		fq_report_location(NULL);
	}
	if (ret == -ERANGE)
		return fq_xasprintf("Value '%s' is out of range for parameter '%s'", val, key);
	if (ret)
		return fq_xasprintf("Parameter '%s' expects a non-negative number below 2^64\nOptional "
				 "suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, "
				 "peta-\nand exabytes, respectively.",
				 key);
	return NULL;
}

char *fq_cmdline_error(const char *list, const char *location, const struct fq_opts *o)
{
	json_object *owner, *params = list_parameters(list, &owner);
	size_t n = params ? json_object_array_length(params) : 0;
	char *err = NULL;

	for (size_t i = 0; n && i < o->n && !err; i++) {
		const char *key = o->items[i].key, *val = o->items[i].value, *type = NULL;

		/* QemuOpts keeps "id" apart from the description. */
		if (!strcmp(key, "id"))
			continue;
		for (size_t j = 0; j < n && !type; j++) {
			json_object *p = json_object_array_get_idx(params, j);

			if (!strcmp(json_object_get_string(json_object_object_get(p, "name")), key))
				type = json_object_get_string(json_object_object_get(p, "type"));
		}
		if (!type)
			err = fq_xasprintf("Invalid parameter '%s'", key);
		else if (!strcmp(type, "boolean") && !parse_bool(val))
			err = fq_xasprintf("Parameter '%s' expects 'on' or 'off'", key);
		else if (!strcmp(type, "number"))
			err = check_number(key, val);
		else if (!strcmp(type, "size"))
			err = check_size(location, key, val);
	}
	json_object_put(owner);
	return err;
}

void fq_cmdline_check(const char *list, const char *location, const struct fq_opts *o)
{
	char *err = fq_cmdline_error(list, location, o);

	if (err)
		fq_die("%s: %s", location, err);
}

/* ---- the options' own checks ----------------------------------------------------- */

static bool one_of(const char *v, const char *const *values)
{
	for (int i = 0; values[i]; i++)
		if (!strcmp(v, values[i]))
			return true;
	return false;
}

/* configure_rtc(): base, clock and driftfix, checked after the command line. */
static void check_rtc(const struct fq_opts *o)
{
	static const char *const clocks[] = {"host", "rt", "vm", NULL};
	static const char *const drifts[] = {"none", "slew", NULL};
	const char *base = fq_opts_get(o, "base"), *clock = fq_opts_get(o, "clock");
	const char *drift = fq_opts_get(o, "driftfix");
	int y, m, d, hh, mm, ss;

	if (base && strcmp(base, "utc") && strcmp(base, "localtime") &&
	    sscanf(base, "%d-%d-%dT%d:%d:%d", &y, &m, &d, &hh, &mm, &ss) != 6 &&
	    sscanf(base, "%d-%d-%d", &y, &m, &d) != 3)
		fq_die("invalid datetime format\nvalid formats: '2006-06-17T16:01:21' or "
		       "'2006-06-17'");
	if (clock && !one_of(clock, clocks))
		fq_die("invalid option value '%s'", clock);
	if (drift && !one_of(drift, drifts))
		fq_die("invalid option value '%s'", drift);
}

/* -boot: the devices a PC can boot from, and strict (a machine property since 7.0). */
static void check_boot(const char *location, const struct fq_opts *o)
{
	const char *order = fq_opts_get(o, "order"), *once = fq_opts_get(o, "once");
	const char *strict = fq_opts_get(o, "strict");

	if (strict && !parse_bool(strict)) {
		if (fq_since(7, 0))
			fq_die("Parameter 'boot.strict' expects 'on' or 'off'");
		fq_die("%s: Parameter 'strict' expects 'on' or 'off'", location);
	}
	for (const char *s = order; s && *s; s++)
		if (*s < 'a' || *s > 'p')
			fq_die("Invalid boot device '%c'", *s);
	for (const char *s = once; s && *s; s++)
		if (*s < 'a' || *s > 'p')
			fq_die("Invalid boot device '%c'", *s);
}

/* -overcommit mem-lock: a boolean until 9.x made it on/off/on-fault. */
static void check_overcommit(const struct fq_opts *o, const char *location)
{
	static const char *const modes[] = {"on", "off", "on-fault", NULL};
	const char *lock = fq_opts_get(o, "mem-lock");

	if (lock && fq_since(9, 2) && !one_of(lock, modes))
		fq_die("%s: parameter 'mem-lock' expects one of 'on', 'off', 'on-fault'", location);
}

static void check_smbios(const char *location, const struct fq_opts *o)
{
	static const char *const types[] = {"0", "1",  "2",  "3",  "4", "8",
					    "9", "11", "17", "41", NULL};
	const char *type = fq_opts_get(o, "type");

	if (type && !one_of(type, types))
		fq_die("%s: Don't know how to build fields for SMBIOS type %s", location, type);
}

/* The QemuOpts list of an option, where the names differ. */
static const char *list_of(const char *name)
{
	if (!strcmp(name, "boot"))
		return "boot-opts";
	return name;
}

/* The implied key of an option's first element. */
static const char *implied_of(const char *name)
{
	static const struct {
		const char *option, *key;
	} implied[] = {{"name", "guest"},  {"boot", "order"},	{"sandbox", "enable"},
		       {"smbios", "type"}, {"icount", "shift"}, {"numa", "type"},
		       {"iscsi", NULL},	   {"msg", NULL},	{"overcommit", NULL},
		       {"rtc", NULL},	   {"fw_cfg", NULL},	{"action", NULL}};

	for (size_t i = 0; i < sizeof(implied) / sizeof(implied[0]); i++)
		if (!strcmp(implied[i].option, name))
			return implied[i].key;
	return NULL;
}

bool fq_cmdline_option(const char *name, const char *arg)
{
	static const char *const checked[] = {"msg",   "overcommit", "sandbox", "boot",
					      "rtc",   "smbios",     "icount",	"fw_cfg",
					      "iscsi", "action",     "numa",	NULL};
	struct fq_opts o;
	char *location;

	if (!one_of(name, checked) && strcmp(name, "realtime"))
		return false;
	if (asprintf(&location, "-%s %s", name, arg) < 0)
		abort();
	if (!strcmp(name, "realtime")) {
		/* Only versions that still have -realtime get here. */
		fq_report_location(location);
		if (strstr(arg, "mlock"))
			fq_warn("'-realtime mlock=...' is deprecated, please use '-overcommit "
				"mem-lock=...' instead");
		fq_report_location(NULL);
		free(location);
		return true;
	}
	fq_report_location(location);
	fq_opts_parse_noisily(location, arg, implied_of(name), &o);
	if (strcmp(name, "boot") || !fq_since(7, 0))
		fq_cmdline_check(list_of(name), location, &o);
	if (!strcmp(name, "rtc"))
		check_rtc(&o);
	else if (!strcmp(name, "boot"))
		check_boot(location, &o);
	else if (!strcmp(name, "overcommit"))
		check_overcommit(&o, location);
	else if (!strcmp(name, "smbios"))
		check_smbios(location, &o);
	else if (!strcmp(name, "msg"))
		fq_msg_timestamp = fq_opts_get_bool(&o, "timestamp", fq_msg_timestamp) == 1;
	else if (!strcmp(name, "numa") && fq_opts_get(&o, "memdev") &&
		 (!fq_opts_get(&o, "type") || !strcmp(fq_opts_get(&o, "type"), "node")))
		fq_objects_numa_memdev(fq_opts_get(&o, "memdev"));
	fq_report_location(NULL);
	fq_opts_free(&o);
	free(location);
	return true;
}
