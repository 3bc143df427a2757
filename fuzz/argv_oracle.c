/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* argv_oracle.c - fuzz oracle: values substituted into a QEMU command line change no structure */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv_oracle.h"

/* Options whose argument QEMU reads as "key=value,..." with ",," for a comma (QemuOpts, keyval). */
static const char *const opts_options[] = {
    "-name",   "-machine",    "-chardev", "-mon",    "-m",    "-device",
    "-fsdev",  "-netdev",     "-drive",	  "-object", "-numa", "-rtc",
    "-global", "-overcommit", "-smp",	  "-qmp",    NULL,
};

const char *oracle_marker(struct oracle_values *v, const char *fuzzed)
{
	static char markers[ORACLE_MAX_VALUES][8];

	if (v->n == ORACLE_MAX_VALUES)
		abort(); /* the harness asks for too many */
	snprintf(markers[v->n], sizeof(markers[0]), "Z%02zuZ", v->n);
	v->value[v->n] = fuzzed;
	return markers[v->n++];
}

static void finding(const char *what, const char *fuzzed, const char *marked)
{
	fprintf(stderr, "argv oracle: %s\n  fuzzed: %s\n  marked: %s\n", what,
		fuzzed ? fuzzed : "(none)", marked ? marked : "(none)");
	abort();
}

/* @marked with every marker replaced by its fuzzed text (malloc'd). */
static char *expand(const char *marked, const struct oracle_values *v)
{
	size_t cap = strlen(marked) + 1, len = 0;
	char *out;

	for (size_t i = 0; i < v->n; i++)
		cap += strlen(v->value[i]) * 4; /* generous: a value may appear a few times */
	out = malloc(cap);
	if (!out)
		abort();
	for (const char *p = marked; *p;) {
		unsigned k;

		if (p[0] == 'Z' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9' &&
		    p[3] == 'Z' &&
		    (k = (unsigned)(p[1] - '0') * 10 + (unsigned)(p[2] - '0')) < v->n) {
			size_t n = strlen(v->value[k]);

			if (len + n + 1 > cap) {
				cap = (len + n + 1) * 2;
				out = realloc(out, cap);
				if (!out)
					abort();
			}
			memcpy(out + len, v->value[k], n);
			len += n;
			p += 4;
			continue;
		}
		if (len + 2 > cap) {
			cap *= 2;
			out = realloc(out, cap);
			if (!out)
				abort();
		}
		out[len++] = *p++;
	}
	out[len] = '\0';
	return out;
}

/* struct piece - one "key=value" (or bare value) of an option string, unescaped. */
struct piece {
	char *key; /* NULL for a bare (implied) value */
	char *value;
};

/* Split @s as QemuOpts does: ',' separates, ",," is a comma. */
static size_t split_opts(const char *s, struct piece **out)
{
	size_t n = 0, cap = 4;
	struct piece *p = malloc(cap * sizeof(*p));

	if (!p)
		abort();
	for (;;) {
		size_t len = strlen(s);
		char *tok = malloc(len + 1), *eq;
		size_t t = 0;

		if (!tok)
			abort();
		while (*s) {
			if (s[0] == ',' && s[1] == ',') {
				tok[t++] = ',';
				s += 2;
			} else if (*s == ',') {
				break;
			} else {
				tok[t++] = *s++;
			}
		}
		tok[t] = '\0';
		if (n == cap) {
			cap *= 2;
			p = realloc(p, cap * sizeof(*p));
			if (!p)
				abort();
		}
		eq = strchr(tok, '=');
		if (eq) {
			*eq = '\0';
			p[n].key = tok;
			p[n].value = strdup(eq + 1);
		} else {
			p[n].key = NULL;
			p[n].value = tok;
		}
		n++;
		if (*s != ',')
			break;
		s++;
	}
	*out = p;
	return n;
}

/* Split @s at every ',' (QEMU's -cpu: the model, then features; no escape). */
static size_t split_plain(const char *s, struct piece **out)
{
	size_t n = 1, i = 0;
	struct piece *p;

	for (const char *c = s; *c; c++)
		n += *c == ',';
	p = calloc(n, sizeof(*p));
	if (!p)
		abort();
	for (const char *start = s;; i++) {
		const char *comma = strchr(start, ',');
		size_t len = comma ? (size_t)(comma - start) : strlen(start);

		p[i].value = strndup(start, len);
		if (!comma)
			break;
		start = comma + 1;
	}
	*out = p;
	return n;
}

static void free_pieces(struct piece *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i].key) {
			free(p[i].key); /* value is separate */
			free(p[i].value);
		} else {
			free(p[i].value);
		}
	}
	free(p);
}

static bool is_opts_option(const char *opt)
{
	for (int i = 0; opts_options[i]; i++)
		if (!strcmp(opts_options[i], opt))
			return true;
	return false;
}

static void compare_pieces(const char *fuzzed, const char *marked, const struct oracle_values *v,
			   size_t (*split)(const char *, struct piece **))
{
	struct piece *pf, *pm;
	size_t nf = split(fuzzed, &pf), nm = split(marked, &pm);

	if (nf != nm)
		finding("a value changed the number of options", fuzzed, marked);
	for (size_t i = 0; i < nm; i++) {
		char *want;

		if ((pf[i].key == NULL) != (pm[i].key == NULL) ||
		    (pm[i].key && strcmp(pf[i].key, pm[i].key)))
			finding("a value changed an option's key", fuzzed, marked);
		/* Text that is the same in both runs (no marker in it) needs no expanding. */
		if (strcmp(pf[i].value, pm[i].value)) {
			want = expand(pm[i].value, v);
			if (strcmp(want, pf[i].value))
				finding("an option's value is not the value given", fuzzed, marked);
			free(want);
		}
	}
	free_pieces(pf, nf);
	free_pieces(pm, nm);
}

void oracle_compare(char **fuzzed, char **marked, const struct oracle_values *v)
{
	size_t i;

	for (i = 0; fuzzed[i] && marked[i]; i++) {
		const char *prev = i ? marked[i - 1] : "";

		if (strcmp(prev, "-cpu") == 0) {
			compare_pieces(fuzzed[i], marked[i], v, split_plain);
		} else if (is_opts_option(prev)) {
			compare_pieces(fuzzed[i], marked[i], v, split_opts);
		} else if (strcmp(fuzzed[i], marked[i])) {
			char *want = expand(marked[i], v);

			if (strcmp(want, fuzzed[i]))
				finding("an argument is not the value given", fuzzed[i], marked[i]);
			free(want);
		}
	}
	if (fuzzed[i] || marked[i])
		finding("a value changed the number of arguments", fuzzed[i], marked[i]);
}
