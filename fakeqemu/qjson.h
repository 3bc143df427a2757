/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qjson.h - QEMU-compatible JSON: its lexer, streamer and parser, and its output format */
#ifndef FQ_QJSON_H
#define FQ_QJSON_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/*
 * fq_json_emit_fn - receives each top-level value the streamer completes:
 * either @value (ownership passes) or @error (a "JSON parse error, ..."
 * message, valid during the call), never both.
 */
typedef void (*fq_json_emit_fn)(void *opaque, json_object *value, bool is_null, const char *error);

struct fq_json_parser;

/* fq_json_parser_new() - a streaming parser that behaves like QEMU's json-streamer. */
struct fq_json_parser *fq_json_parser_new(fq_json_emit_fn emit, void *opaque);

/* fq_json_parser_free() - free it; pending tokens are discarded. */
void fq_json_parser_free(struct fq_json_parser *p);

/* fq_json_parser_reset() - discard a half-received message (connection closed). */
void fq_json_parser_reset(struct fq_json_parser *p);

/*
 * fq_json_parser_feed_byte() - feed one byte. QEMU's QMP monitor reads one
 * byte at a time, so callers can stop feeding (suspend) after any emit.
 */
void fq_json_parser_feed_byte(struct fq_json_parser *p, unsigned char c);

/*
 * fq_json_to_qemu_string() - serialise @o exactly as QEMU's qobject_to_json():
 * ", " and ": " separators, members in QDict hash order, ASCII with \uXXXX
 * escapes, doubles as %.17g. @o NULL is JSON null. Returns malloc'd text.
 */
char *fq_json_to_qemu_string(json_object *o);

/* fq_json_to_qemu_pretty() - as fq_json_to_qemu_string() with qobject_to_json_pretty()'s layout. */
char *fq_json_to_qemu_pretty(json_object *o);

/*
 * fq_json_set_raw() - make string @o serialise as @text (malloc'd, taken),
 * already QEMU-formatted JSON: for replies too big to hold as a tree.
 */
void fq_json_set_raw(json_object *o, char *text);

/* fq_json_float_17g - print doubles as "%.17g" (QEMU 6.0+); else 5.2's trimmed "%f". */
extern bool fq_json_float_17g;

/* fq_qdict_bucket() - QEMU's QDict bucket for @key (tdb_hash % 512). */
unsigned fq_qdict_bucket(const char *key);

/**
 * fq_qdict_keys() - the keys of @o in the order QEMU's QDict iterates them
 * (buckets in order, the newest entry first within one), as its JSON output
 * and its visitors see them
 * @o: an object, its keys inserted in input order
 * @n: receives their number
 *
 * Return: a malloc'd array of @o's key strings (borrowed from @o).
 */
const char **fq_qdict_keys(json_object *o, size_t *n);

#endif
