/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* strbuf.c - a growable byte buffer, always NUL-terminated */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

static void grow(struct strbuf *b, size_t extra)
{
	size_t need = b->len + extra + 1, cap = b->cap ? b->cap : 64;

	if (need <= b->cap)
		return;
	while (cap < need)
		cap *= 2;
	b->buf = realloc(b->buf, cap);
	if (!b->buf)
		abort();
	b->cap = cap;
}

void strbuf_add(struct strbuf *b, const void *data, size_t len)
{
	grow(b, len);
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
}

void strbuf_addc(struct strbuf *b, char c)
{
	strbuf_add(b, &c, 1);
}

void strbuf_adds(struct strbuf *b, const char *s)
{
	strbuf_add(b, s, strlen(s));
}

void strbuf_addf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

const char *strbuf_str(const struct strbuf *b)
{
	return b->buf ? b->buf : "";
}

char *strbuf_dup(const struct strbuf *b)
{
	char *s = malloc(b->len + 1);

	if (!s)
		abort();
	if (b->len)
		memcpy(s, b->buf, b->len);
	s[b->len] = '\0';
	return s;
}

char *strbuf_steal(struct strbuf *b)
{
	char *s = b->buf;

	if (!s) {
		s = calloc(1, 1);
		if (!s)
			abort();
	}
	b->buf = NULL;
	b->len = b->cap = 0;
	return s;
}

void strbuf_consume(struct strbuf *b, size_t n)
{
	if (n >= b->len) {
		strbuf_reset(b);
		return;
	}
	memmove(b->buf, b->buf + n, b->len - n);
	b->len -= n;
	b->buf[b->len] = '\0';
}

void strbuf_reset(struct strbuf *b)
{
	b->len = 0;
	if (b->buf)
		b->buf[0] = '\0';
}

void strbuf_free(struct strbuf *b)
{
	free(b->buf);
	b->buf = NULL;
	b->len = b->cap = 0;
}

char *fq_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}
