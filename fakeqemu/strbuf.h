/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* strbuf.h - a growable byte buffer, always NUL-terminated */
#ifndef FQ_STRBUF_H
#define FQ_STRBUF_H

#include <stddef.h>

/* struct strbuf - zero-initialised is an empty buffer. */
struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
};

void strbuf_add(struct strbuf *b, const void *data, size_t len);
void strbuf_addc(struct strbuf *b, char c);
void strbuf_adds(struct strbuf *b, const char *s);
void strbuf_addf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* strbuf_str() - the contents as a C string ("" when empty). */
const char *strbuf_str(const struct strbuf *b);
/* strbuf_dup() - a malloc'd copy of the contents. */
char *strbuf_dup(const struct strbuf *b);
/* strbuf_steal() - hand the buffer over (never NULL) and reset. */
char *strbuf_steal(struct strbuf *b);
/* strbuf_consume() - drop the first @n bytes. */
void strbuf_consume(struct strbuf *b, size_t n);
void strbuf_reset(struct strbuf *b);

/* fq_xasprintf() - asprintf() into a new string; aborts when out of memory. */
char *fq_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void strbuf_free(struct strbuf *b);

#endif
