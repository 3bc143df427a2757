/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* replay_subst.c - what changed between the recorded command line and this one (paths, uuids) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay_subst.h"

/*
 * A client run again uses fresh directories and ids: the recording's
 * "-uuid 170d..." is "-uuid 9a3c..." now, and "/tmp/govmm-123/disk0.img"
 * in a blockdev-add is "/tmp/govmm-456/disk0.img". Each argument that
 * differs gives a substitution: a path by the directory where it first
 * differs, anything else (long enough to be an id) whole. Recorded requests
 * are compared, and recorded replies and events sent, with them applied.
 */

#define MIN_TOKEN 6
#define MAX_SUBST 64

static const char seps[] = ",=:";

static void add(struct fq_subst *s, const char *from, size_t flen, const char *to, size_t tlen)
{
	if (!flen || s->n == MAX_SUBST || (flen == tlen && !memcmp(from, to, flen)))
		return;
	for (size_t i = 0; i < s->n; i++)
		if (strlen(s->from[i]) == flen && !memcmp(s->from[i], from, flen))
			return; /* the first pairing wins */
	if (!s->from) {
		s->from = calloc(MAX_SUBST, sizeof(char *));
		s->to = calloc(MAX_SUBST, sizeof(char *));
		if (!s->from || !s->to)
			return;
	}
	s->from[s->n] = strndup(from, flen);
	s->to[s->n] = strndup(to, tlen);
	s->n++;
}

/* Two differing tokens of an argument: a path cut at the directory that differs. */
static void pair_tokens(struct fq_subst *s, const char *a, size_t alen, const char *b, size_t blen)
{
	size_t p = 0, ea, eb;

	if (alen == blen && !memcmp(a, b, alen))
		return;
	if (!memchr(a, '/', alen) || !memchr(b, '/', blen)) {
		if (alen >= MIN_TOKEN && blen >= MIN_TOKEN)
			add(s, a, alen, b, blen);
		return;
	}
	while (p < alen && p < blen && a[p] == b[p])
		p++;
	/* Back to the start of the differing segment, on to its end. */
	while (p > 0 && a[p - 1] != '/')
		p--;
	for (ea = p; ea < alen && a[ea] != '/'; ea++)
		;
	for (eb = p; eb < blen && b[eb] != '/'; eb++)
		;
	if (ea > p && eb > p)
		add(s, a, ea, b, eb);
}

void fq_subst_from_argv(struct fq_subst *s, char **recorded, size_t nrec, char **now, size_t nnow)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < nrec && i < nnow; i++) {
		const char *a = recorded[i], *b = now[i];

		while (*a && *b) {
			size_t la = strcspn(a, seps), lb = strcspn(b, seps);

			pair_tokens(s, a, la, b, lb);
			a += la + (a[la] ? 1 : 0);
			b += lb + (b[lb] ? 1 : 0);
		}
	}
}

char *fq_subst_apply(const struct fq_subst *s, const char *text, size_t len, size_t *out_len)
{
	char *out = NULL;
	size_t olen = 0;
	FILE *f = open_memstream(&out, &olen);

	if (!f)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t k = 0;

		for (; k < s->n; k++) {
			size_t fl = strlen(s->from[k]);

			if (fl <= len - i && !memcmp(text + i, s->from[k], fl)) {
				fputs(s->to[k], f);
				i += fl;
				break;
			}
		}
		if (k == s->n)
			fputc(text[i++], f);
	}
	fclose(f);
	if (out_len)
		*out_len = olen;
	return out;
}

void fq_subst_free(struct fq_subst *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->from[i]);
		free(s->to[i]);
	}
	free(s->from);
	free(s->to);
	memset(s, 0, sizeof(*s));
}
