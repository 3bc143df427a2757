/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* opts.c - QemuOpts-style "key=value,key=value" parsing, with ",," escapes */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeqemu.h"
#include "opts.h"
#include "since.h"
#include "strbuf.h"

static void opts_add(struct fq_opts *o, const char *key, const char *value)
{
	o->items = realloc(o->items, (o->n + 1) * sizeof(*o->items));
	if (!o->items)
		abort();
	o->items[o->n].key = strdup(key);
	o->items[o->n].value = strdup(value);
	o->n++;
}

/* Read up to an unescaped ',' (and '=' when @stop_at_eq), unescaping ",,". */
static const char *get_token(const char *p, bool stop_at_eq, struct strbuf *out)
{
	strbuf_reset(out);
	while (*p) {
		if (*p == ',') {
			if (p[1] != ',')
				break;
			p++;
		} else if (stop_at_eq && *p == '=') {
			break;
		}
		strbuf_addc(out, *p++);
	}
	return p;
}

/* get_opt_name_value(): a key without '=' is a short-form boolean, "noX" meaning X=off. */
static int parse(const char *text, const char *implied_key, struct fq_opts *out,
		 const char *warn_location)
{
	struct strbuf key = {0}, value = {0};
	const char *p = text;
	bool first = true;

	memset(out, 0, sizeof(*out));
	while (*p) {
		/* A name ends at the first '=' or ',' (",," does not escape in names). */
		size_t len = strcspn(p, "=,");

		if (p[len] != '=' && first && implied_key) {
			/* The implied first key takes the whole value, ",," escapes included. */
			p = get_token(p, false, &value);
			opts_add(out, implied_key, strbuf_str(&value));
			first = false;
			if (*p == ',')
				p++;
			continue;
		}
		strbuf_reset(&key);
		for (size_t i = 0; i < len; i++)
			strbuf_addc(&key, p[i]);
		p += len;
		if (*p == '=') {
			p = get_token(p + 1, false, &value);
			opts_add(out, strbuf_str(&key), strbuf_str(&value));
		} else if (key.len) {
			/* Bare "flag" means flag=on, "noflag" means flag=off. */
			bool no = strncmp(strbuf_str(&key), "no", 2) == 0 && key.len > 2;
			const char *name = strbuf_str(&key) + (no ? 2 : 0);

			opts_add(out, name, no ? "off" : "on");
			if (warn_location && strcmp(name, "help") && strcmp(name, "?")) {
				fprintf(stderr,
					"%s: %s: warning: short-form boolean option '%s' "
					"deprecated\n",
					fq_vm.cfg.progname, warn_location, strbuf_str(&key));
				if (!strcmp(name, "delay"))
					fprintf(stderr, "Please use nodelay=%s instead\n",
						no ? "on" : "off");
				else
					fprintf(stderr, "Please use %s=%s instead\n", name,
						no ? "off" : "on");
			}
		}
		first = false;
		if (*p == ',')
			p++;
	}
	strbuf_free(&key);
	strbuf_free(&value);
	return 0;
}

int fq_opts_parse(const char *text, const char *implied_key, struct fq_opts *out)
{
	return parse(text, implied_key, out, NULL);
}

void fq_opts_parse_noisily(const char *location, const char *text, const char *implied_key,
			   struct fq_opts *out)
{
	/* The warning came with QEMU 6.0's deprecation of short-form booleans. */
	parse(text, implied_key, out, fq_since(6, 0) ? location : NULL);
}

const char *fq_opts_get(const struct fq_opts *o, const char *key)
{
	/* The last occurrence wins, as in QemuOpts. */
	for (size_t i = o->n; i-- > 0;)
		if (strcmp(o->items[i].key, key) == 0)
			return o->items[i].value;
	return NULL;
}

int fq_opts_get_bool(const struct fq_opts *o, const char *key, bool def)
{
	const char *v = fq_opts_get(o, key);

	if (!v)
		return def;
	if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "y"))
		return 1;
	if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "n"))
		return 0;
	return -EINVAL;
}

int fq_opts_get_uint(const struct fq_opts *o, const char *key, unsigned long long *out)
{
	const char *v = fq_opts_get(o, key);
	char *end;

	if (!v)
		return -ENOENT;
	errno = 0;
	*out = strtoull(v, &end, 0);
	if (errno || end == v || *end || *v == '-')
		return -EINVAL;
	return 0;
}

void fq_opts_free(struct fq_opts *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free(o->items[i].key);
		free(o->items[i].value);
	}
	free(o->items);
	memset(o, 0, sizeof(*o));
}

bool fq_id_wellformed(const char *id)
{
	/* fakeqemu never sets a locale: isalpha() is ASCII's, like qemu_isalpha(). */
	if (!isalpha((unsigned char)id[0]))
		return false;
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-._", *p))
			return false;
	return true;
}
