/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qjson.c - QEMU-compatible JSON: its lexer, streamer and parser, and its output format */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qjson.h"
#include "strbuf.h"

/*
 * This reproduces the observable behaviour of QEMU's qobject/json-lexer.c,
 * json-streamer.c and json-parser.c: the same token grammar (including
 * single-quoted strings), the same "stray" errors and resynchronisation
 * after a lexical error, the same limits, and the same first-error-wins
 * messages. Values are json-c objects; JSON null is NULL.
 */

#define MAX_TOKEN_SIZE	(64ULL << 20)
#define MAX_TOKEN_COUNT (2ULL << 20)
#define MAX_NESTING	(1 << 10)

enum lexer_state {
	IN_ERROR = 0, /* also JSON_ERROR */
	IN_RECOVERY,
	IN_DQ_STRING_ESCAPE,
	IN_DQ_STRING,
	IN_SQ_STRING_ESCAPE,
	IN_SQ_STRING,
	IN_ZERO,
	IN_EXP_DIGITS,
	IN_EXP_SIGN,
	IN_EXP_E,
	IN_MANTISSA,
	IN_MANTISSA_DIGITS,
	IN_DIGITS,
	IN_SIGN,
	IN_KEYWORD,
	IN_START,
};

enum token_type {
	JSON_ERROR = 0,
	JSON_LCURLY = 100,
	JSON_RCURLY,
	JSON_LSQUARE,
	JSON_RSQUARE,
	JSON_COLON,
	JSON_COMMA,
	JSON_INTEGER,
	JSON_FLOAT,
	JSON_KEYWORD,
	JSON_STRING,
};

#define LOOKAHEAD 0x80

static uint8_t lexer_table[IN_START + 1][256];

static void set_range(uint8_t *row, int lo, int hi, uint8_t v)
{
	for (int c = lo; c <= hi; c++)
		row[c] = v;
}

/* The transition table of QEMU's json-lexer.c, built once. */
static void build_lexer_table(void)
{
	uint8_t *r;

	if (lexer_table[IN_START]['{'])
		return;

	r = lexer_table[IN_RECOVERY];
	set_range(r, 0, 0x1f, IN_START | LOOKAHEAD);
	set_range(r, 0x20, 0xfd, IN_RECOVERY);
	set_range(r, 0xfe, 0xff, IN_START | LOOKAHEAD);
	r['\t'] = IN_RECOVERY;
	r['['] = r[']'] = r['{'] = r['}'] = r[':'] = r[','] = IN_START | LOOKAHEAD;

	set_range(lexer_table[IN_DQ_STRING_ESCAPE], 0x20, 0xfd, IN_DQ_STRING);
	r = lexer_table[IN_DQ_STRING];
	set_range(r, 0x20, 0xfd, IN_DQ_STRING);
	r['\\'] = IN_DQ_STRING_ESCAPE;
	r['"'] = JSON_STRING;

	set_range(lexer_table[IN_SQ_STRING_ESCAPE], 0x20, 0xfd, IN_SQ_STRING);
	r = lexer_table[IN_SQ_STRING];
	set_range(r, 0x20, 0xfd, IN_SQ_STRING);
	r['\\'] = IN_SQ_STRING_ESCAPE;
	r['\''] = JSON_STRING;

	r = lexer_table[IN_ZERO];
	set_range(r, 0, 0x7f, JSON_INTEGER | LOOKAHEAD);
	set_range(r, '0', '9', IN_ERROR);
	r['.'] = IN_MANTISSA;

	r = lexer_table[IN_EXP_DIGITS];
	set_range(r, 0, 0x7f, JSON_FLOAT | LOOKAHEAD);
	set_range(r, '0', '9', IN_EXP_DIGITS);

	set_range(lexer_table[IN_EXP_SIGN], '0', '9', IN_EXP_DIGITS);

	r = lexer_table[IN_EXP_E];
	r['-'] = r['+'] = IN_EXP_SIGN;
	set_range(r, '0', '9', IN_EXP_DIGITS);

	r = lexer_table[IN_MANTISSA_DIGITS];
	set_range(r, 0, 0x7f, JSON_FLOAT | LOOKAHEAD);
	set_range(r, '0', '9', IN_MANTISSA_DIGITS);
	r['e'] = r['E'] = IN_EXP_E;

	set_range(lexer_table[IN_MANTISSA], '0', '9', IN_MANTISSA_DIGITS);

	r = lexer_table[IN_DIGITS];
	set_range(r, 0, 0x7f, JSON_INTEGER | LOOKAHEAD);
	set_range(r, '0', '9', IN_DIGITS);
	r['e'] = r['E'] = IN_EXP_E;
	r['.'] = IN_MANTISSA;

	r = lexer_table[IN_SIGN];
	r['0'] = IN_ZERO;
	set_range(r, '1', '9', IN_DIGITS);

	r = lexer_table[IN_KEYWORD];
	set_range(r, 0, 0x7f, JSON_KEYWORD | LOOKAHEAD);
	set_range(r, 'a', 'z', IN_KEYWORD);

	r = lexer_table[IN_START];
	r['"'] = IN_DQ_STRING;
	r['\''] = IN_SQ_STRING;
	r['0'] = IN_ZERO;
	set_range(r, '1', '9', IN_DIGITS);
	r['-'] = IN_SIGN;
	r['{'] = JSON_LCURLY;
	r['}'] = JSON_RCURLY;
	r['['] = JSON_LSQUARE;
	r[']'] = JSON_RSQUARE;
	r[','] = JSON_COMMA;
	r[':'] = JSON_COLON;
	set_range(r, 'a', 'z', IN_KEYWORD);
	r[' '] = r['\t'] = r['\r'] = r['\n'] = IN_START;
}

struct token {
	int type;
	char *str; /* NUL-terminated; may hold NUL bytes before len */
	size_t len;
};

struct fq_json_parser {
	fq_json_emit_fn emit;
	void *opaque;
	/* lexer */
	int state;
	struct strbuf token;
	/* streamer */
	int brace_count;
	int bracket_count;
	struct token *tokens;
	size_t ntokens, cap;
	size_t token_size;
};

struct fq_json_parser *fq_json_parser_new(fq_json_emit_fn emit, void *opaque)
{
	struct fq_json_parser *p = calloc(1, sizeof(*p));

	if (!p)
		abort();
	build_lexer_table();
	p->emit = emit;
	p->opaque = opaque;
	p->state = IN_START;
	return p;
}

static void free_tokens(struct fq_json_parser *p)
{
	for (size_t i = 0; i < p->ntokens; i++)
		free(p->tokens[i].str);
	p->ntokens = 0;
	p->token_size = 0;
	p->brace_count = 0;
	p->bracket_count = 0;
}

void fq_json_parser_reset(struct fq_json_parser *p)
{
	free_tokens(p);
	strbuf_reset(&p->token);
	p->state = IN_START;
}

void fq_json_parser_free(struct fq_json_parser *p)
{
	if (!p)
		return;
	free_tokens(p);
	free(p->tokens);
	strbuf_free(&p->token);
	free(p);
}

/* ---- parser (json-parser.c) ------------------------------------------- */

struct parse_ctx {
	struct token *tokens;
	size_t n, pos;
	char *err; /* first error wins */
};

static void parse_error(struct parse_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void parse_error(struct parse_ctx *c, const char *fmt, ...)
{
	char message[1024];
	va_list ap;

	if (c->err)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (asprintf(&c->err, "JSON parse error, %s", message) < 0)
		abort();
}

static struct token *peek(struct parse_ctx *c)
{
	return c->pos < c->n ? &c->tokens[c->pos] : NULL;
}

static struct token *pop(struct parse_ctx *c)
{
	return c->pos < c->n ? &c->tokens[c->pos++] : NULL;
}

static json_object *parse_value(struct parse_ctx *c);

/* util/unicode.c is_valid_codepoint() */
static bool valid_codepoint(int cp)
{
	if ((unsigned)cp > 0x10FFFFu)
		return false;
	if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE)
		return false;
	if (cp >= 0xD800 && cp <= 0xDFFF)
		return false;
	return true;
}

/* util/unicode.c mod_utf8_codepoint(): one code point from @s, at most @n bytes. */
int fq_mod_utf8_codepoint(const char *s, size_t n, const char **end);

int fq_mod_utf8_codepoint(const char *s, size_t n, const char **end)
{
	static const int min_cp[5] = {0x80, 0x800, 0x10000, 0x200000, 0x4000000};
	const unsigned char *p = (const unsigned char *)s;
	unsigned byte, mask, len, i;
	int cp;

	if (n == 0 || *s == 0) {
		*end = s;
		return -1;
	}
	byte = *p++;
	if (byte < 0x80) {
		cp = (int)byte;
	} else if (byte >= 0xFE) {
		cp = -1;
	} else if ((byte & 0x40) == 0) {
		cp = -1;
	} else {
		len = 0;
		for (mask = 0x80; byte & mask; mask >>= 1)
			len++;
		cp = (int)(byte & (mask - 1));
		for (i = 1; i < len; i++) {
			byte = i < n ? *p : 0;
			if ((byte & 0xC0) != 0x80) {
				cp = -1;
				goto out;
			}
			p++;
			cp <<= 6;
			cp |= (int)(byte & 0x3F);
		}
		if (!valid_codepoint(cp))
			cp = -1;
		else if (cp < min_cp[len - 2] && !(cp == 0 && len == 2))
			cp = -1;
	}
out:
	*end = (const char *)p;
	return cp;
}

/* util/unicode.c mod_utf8_encode() */
static int mod_utf8_encode(char buf[5], int cp)
{
	if (!valid_codepoint(cp))
		return -1;
	if (cp > 0 && cp <= 0x7F) {
		buf[0] = (char)cp;
		buf[1] = 0;
		return 1;
	}
	if (cp <= 0x7FF) {
		buf[0] = (char)(0xC0 | (cp >> 6));
		buf[1] = (char)(0x80 | (cp & 0x3F));
		buf[2] = 0;
		return 2;
	}
	if (cp <= 0xFFFF) {
		buf[0] = (char)(0xE0 | (cp >> 12));
		buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		buf[2] = (char)(0x80 | (cp & 0x3F));
		buf[3] = 0;
		return 3;
	}
	buf[0] = (char)(0xF0 | (cp >> 18));
	buf[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	buf[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	buf[3] = (char)(0x80 | (cp & 0x3F));
	buf[4] = 0;
	return 4;
}

static int cvt4hex(const char *s)
{
	int cp = 0;

	for (int i = 0; i < 4; i++) {
		cp <<= 4;
		if (s[i] >= '0' && s[i] <= '9')
			cp |= s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			cp |= 10 + s[i] - 'a';
		else if (s[i] >= 'A' && s[i] <= 'F')
			cp |= 10 + s[i] - 'A';
		else
			return -1;
	}
	return cp;
}

static json_object *parse_string(struct parse_ctx *c, const struct token *t)
{
	const char *ptr = t->str, *beg, *end;
	const char *limit = t->str + t->len;
	struct strbuf out = {0};
	char quote = *ptr++, utf8[5];
	int cp, trailing;
	json_object *o;

	while (ptr < limit && *ptr != quote) {
		switch (*ptr) {
		case '\\':
			beg = ptr++;
			switch (*ptr++) {
			case '"':
				strbuf_addc(&out, '"');
				break;
			case '\'':
				strbuf_addc(&out, '\'');
				break;
			case '\\':
				strbuf_addc(&out, '\\');
				break;
			case '/':
				strbuf_addc(&out, '/');
				break;
			case 'b':
				strbuf_addc(&out, '\b');
				break;
			case 'f':
				strbuf_addc(&out, '\f');
				break;
			case 'n':
				strbuf_addc(&out, '\n');
				break;
			case 'r':
				strbuf_addc(&out, '\r');
				break;
			case 't':
				strbuf_addc(&out, '\t');
				break;
			case 'u':
				cp = limit - ptr >= 4 ? cvt4hex(ptr) : -1;
				ptr += 4;
				if (cp >= 0xD800 && cp <= 0xDBFF && limit - ptr >= 2 &&
				    ptr[0] == '\\' && ptr[1] == 'u') {
					cp = 0x10000 + ((cp & 0x3FF) << 10);
					trailing = limit - ptr >= 6 ? cvt4hex(ptr + 2) : -1;
					if (trailing >= 0xDC00 && trailing <= 0xDFFF) {
						cp |= trailing & 0x3FF;
						ptr += 6;
					} else {
						cp = -1;
					}
				}
				if (mod_utf8_encode(utf8, cp) < 0) {
					int shown = (int)(ptr - beg);
					int avail = (int)strnlen(beg, (size_t)(limit - beg));

					parse_error(c, "%.*s is not a valid Unicode character",
						    shown < avail ? shown : avail, beg);
					goto fail;
				}
				strbuf_adds(&out, utf8);
				break;
			default:
				parse_error(c, "invalid escape sequence in string");
				goto fail;
			}
			break;
		default:
			cp = fq_mod_utf8_codepoint(ptr, 6, &end);
			if (cp < 0) {
				parse_error(c, "invalid UTF-8 sequence in string");
				goto fail;
			}
			ptr = end;
			mod_utf8_encode(utf8, cp);
			strbuf_adds(&out, utf8);
		}
	}
	o = json_object_new_string_len(out.buf ? out.buf : "", (int)out.len);
	strbuf_free(&out);
	return o;
fail:
	strbuf_free(&out);
	return NULL;
}

static json_object *parse_literal(struct parse_ctx *c)
{
	struct token *t = pop(c);
	char *endp;

	if (t->type == JSON_STRING)
		return parse_string(c, t);
	if (t->type == JSON_INTEGER) {
		long long v;
		unsigned long long u;

		errno = 0;
		v = strtoll(t->str, &endp, 10);
		if (errno == 0)
			return json_object_new_int64(v);
		if (t->str[0] != '-') {
			errno = 0;
			u = strtoull(t->str, &endp, 10);
			if (errno == 0)
				return json_object_new_uint64(u);
		}
	}
	return json_object_new_double(strtod(t->str, NULL));
}

static json_object *parse_keyword(struct parse_ctx *c)
{
	struct token *t = pop(c);

	if (strcmp(t->str, "true") == 0)
		return json_object_new_boolean(1);
	if (strcmp(t->str, "false") == 0)
		return json_object_new_boolean(0);
	if (strcmp(t->str, "null") == 0)
		return NULL;
	parse_error(c, "invalid keyword '%s'", t->str);
	return NULL;
}

static int parse_pair(struct parse_ctx *c, json_object *dict)
{
	json_object *key, *value;
	struct token *t;

	if (!peek(c)) {
		parse_error(c, "premature EOI");
		return -1;
	}
	key = parse_value(c);
	if (c->err || !json_object_is_type(key, json_type_string)) {
		parse_error(c, "key is not a string in object");
		json_object_put(key);
		return -1;
	}
	t = pop(c);
	if (!t) {
		parse_error(c, "premature EOI");
		goto fail;
	}
	if (t->type != JSON_COLON) {
		parse_error(c, "missing : in object pair");
		goto fail;
	}
	value = parse_value(c);
	if (c->err) {
		parse_error(c, "Missing value in dict");
		goto fail;
	}
	if (json_object_object_get_ex(dict, json_object_get_string(key), NULL)) {
		parse_error(c, "duplicate key");
		json_object_put(value);
		goto fail;
	}
	json_object_object_add(dict, json_object_get_string(key), value);
	json_object_put(key);
	return 0;
fail:
	json_object_put(key);
	return -1;
}

static json_object *parse_object(struct parse_ctx *c)
{
	json_object *dict = json_object_new_object();
	struct token *t;

	pop(c); /* { */
	t = peek(c);
	if (!t) {
		parse_error(c, "premature EOI");
		goto fail;
	}
	if (t->type == JSON_RCURLY) {
		pop(c);
		return dict;
	}
	if (parse_pair(c, dict) < 0)
		goto fail;
	t = pop(c);
	if (!t) {
		parse_error(c, "premature EOI");
		goto fail;
	}
	while (t->type != JSON_RCURLY) {
		if (t->type != JSON_COMMA) {
			parse_error(c, "expected separator in dict");
			goto fail;
		}
		if (parse_pair(c, dict) < 0)
			goto fail;
		t = pop(c);
		if (!t) {
			parse_error(c, "premature EOI");
			goto fail;
		}
	}
	return dict;
fail:
	json_object_put(dict);
	return NULL;
}

static json_object *parse_array(struct parse_ctx *c)
{
	json_object *list = json_object_new_array(), *obj;
	struct token *t;

	pop(c); /* [ */
	t = peek(c);
	if (!t) {
		parse_error(c, "premature EOI");
		goto fail;
	}
	if (t->type == JSON_RSQUARE) {
		pop(c);
		return list;
	}
	obj = parse_value(c);
	if (c->err) {
		parse_error(c, "expecting value");
		goto fail;
	}
	json_object_array_add(list, obj);
	t = pop(c);
	if (!t) {
		parse_error(c, "premature EOI");
		goto fail;
	}
	while (t->type != JSON_RSQUARE) {
		if (t->type != JSON_COMMA) {
			parse_error(c, "expected separator in list");
			goto fail;
		}
		obj = parse_value(c);
		if (c->err) {
			parse_error(c, "expecting value");
			goto fail;
		}
		json_object_array_add(list, obj);
		t = pop(c);
		if (!t) {
			parse_error(c, "premature EOI");
			goto fail;
		}
	}
	return list;
fail:
	json_object_put(list);
	return NULL;
}

static json_object *parse_value(struct parse_ctx *c)
{
	struct token *t = peek(c);

	if (!t) {
		parse_error(c, "premature EOI");
		return NULL;
	}
	switch (t->type) {
	case JSON_LCURLY:
		return parse_object(c);
	case JSON_LSQUARE:
		return parse_array(c);
	case JSON_INTEGER:
	case JSON_FLOAT:
	case JSON_STRING:
		return parse_literal(c);
	case JSON_KEYWORD:
		return parse_keyword(c);
	default:
		parse_error(c, "expecting value");
		return NULL;
	}
}

/* ---- streamer (json-streamer.c) --------------------------------------- */

static void emit_error(struct fq_json_parser *p, const char *msg)
{
	free_tokens(p);
	p->emit(p->opaque, NULL, false, msg);
}

static void process_token(struct fq_json_parser *p, int type)
{
	struct parse_ctx ctx = {0};
	json_object *value;
	char *msg;

	switch (type) {
	case JSON_LCURLY:
		p->brace_count++;
		break;
	case JSON_RCURLY:
		p->brace_count--;
		break;
	case JSON_LSQUARE:
		p->bracket_count++;
		break;
	case JSON_RSQUARE:
		p->bracket_count--;
		break;
	case JSON_ERROR:
		/* "%s" of the token: it stops at a NUL byte, as QEMU's does. */
		if (asprintf(&msg, "JSON parse error, stray '%s'", strbuf_str(&p->token)) < 0)
			abort();
		emit_error(p, msg);
		free(msg);
		return;
	default:
		break;
	}
	if (p->token_size + p->token.len + 1 > MAX_TOKEN_SIZE) {
		emit_error(p, "JSON token size limit exceeded");
		return;
	}
	if (p->ntokens + 1 > MAX_TOKEN_COUNT) {
		emit_error(p, "JSON token count limit exceeded");
		return;
	}
	if (p->bracket_count + p->brace_count > MAX_NESTING) {
		emit_error(p, "JSON nesting depth limit exceeded");
		return;
	}
	if (p->ntokens == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->tokens = realloc(p->tokens, p->cap * sizeof(*p->tokens));
		if (!p->tokens)
			abort();
	}
	p->tokens[p->ntokens++] = (struct token){
	    .type = type,
	    .str = strbuf_dup(&p->token),
	    .len = p->token.len,
	};
	p->token_size += p->token.len;
	if ((p->brace_count > 0 || p->bracket_count > 0) && p->brace_count >= 0 &&
	    p->bracket_count >= 0)
		return;

	ctx.tokens = p->tokens;
	ctx.n = p->ntokens;
	value = parse_value(&ctx);
	free_tokens(p);
	if (ctx.err) {
		json_object_put(value);
		p->emit(p->opaque, NULL, false, ctx.err);
		free(ctx.err);
		return;
	}
	p->emit(p->opaque, value, value == NULL, NULL);
}

void fq_json_parser_feed_byte(struct fq_json_parser *p, unsigned char ch)
{
	bool consumed = false;

	while (!consumed) {
		int next = lexer_table[p->state][ch];

		consumed = !(next & LOOKAHEAD);
		next &= ~LOOKAHEAD;
		if (consumed)
			strbuf_addc(&p->token, (char)ch);

		switch (next) {
		case JSON_LCURLY:
		case JSON_RCURLY:
		case JSON_LSQUARE:
		case JSON_RSQUARE:
		case JSON_COLON:
		case JSON_COMMA:
		case JSON_INTEGER:
		case JSON_FLOAT:
		case JSON_KEYWORD:
		case JSON_STRING:
			process_token(p, next);
			/* fall through */
		case IN_START:
			strbuf_reset(&p->token);
			next = IN_START;
			break;
		case JSON_ERROR:
			process_token(p, JSON_ERROR);
			next = IN_RECOVERY;
			/* fall through */
		case IN_RECOVERY:
			strbuf_reset(&p->token);
			break;
		default:
			break;
		}
		p->state = next;
	}
	if (p->token.len > MAX_TOKEN_SIZE) {
		process_token(p, p->state);
		strbuf_reset(&p->token);
		p->state = IN_START;
	}
}

/* ---- output (qjson.c to_json) ----------------------------------------- */

bool fq_json_float_17g = true;

static void free_raw(json_object *o, void *userdata)
{
	(void)o;
	free(userdata);
}

void fq_json_set_raw(json_object *o, char *text)
{
	json_object_set_userdata(o, text, free_raw);
}

unsigned fq_qdict_bucket(const char *key)
{
	uint32_t value = 0x238F13AFu * (uint32_t)strlen(key);

	for (unsigned i = 0; key[i]; i++)
		value = value + ((uint32_t)(unsigned char)key[i] << (i * 5 % 24));
	return (1103515243u * value + 12345u) % 512u;
}

static void to_json_str(struct strbuf *b, const char *s, size_t len)
{
	const char *ptr = s, *end, *limit = s + len;

	strbuf_addc(b, '"');
	while (ptr < limit && *ptr) {
		int cp = fq_mod_utf8_codepoint(ptr, 6, &end);

		switch (cp) {
		case '"':
			strbuf_adds(b, "\\\"");
			break;
		case '\\':
			strbuf_adds(b, "\\\\");
			break;
		case '\b':
			strbuf_adds(b, "\\b");
			break;
		case '\f':
			strbuf_adds(b, "\\f");
			break;
		case '\n':
			strbuf_adds(b, "\\n");
			break;
		case '\r':
			strbuf_adds(b, "\\r");
			break;
		case '\t':
			strbuf_adds(b, "\\t");
			break;
		default:
			if (cp < 0)
				cp = 0xFFFD;
			if (cp > 0xFFFF)
				strbuf_addf(b, "\\u%04X\\u%04X", 0xD800 + ((cp - 0x10000) >> 10),
					    0xDC00 + ((cp - 0x10000) & 0x3FF));
			else if (cp < 0x20 || cp >= 0x7F)
				strbuf_addf(b, "\\u%04X", cp);
			else
				strbuf_addc(b, (char)cp);
		}
		ptr = end;
	}
	strbuf_addc(b, '"');
}

struct dict_entry {
	const char *key;
	unsigned bucket;
	size_t index;
};

/* QDict iterates buckets in order, newest entry first within a bucket. */
static int qdict_order(const void *a, const void *b)
{
	const struct dict_entry *x = a, *y = b;

	if (x->bucket != y->bucket)
		return x->bucket < y->bucket ? -1 : 1;
	return x->index > y->index ? -1 : 1;
}

const char **fq_qdict_keys(json_object *o, size_t *n)
{
	size_t len = (size_t)json_object_object_length(o), i = 0;
	struct dict_entry *e = calloc(len ? len : 1, sizeof(*e));
	const char **keys = calloc(len ? len : 1, sizeof(*keys));

	if (!e || !keys)
		abort();
	json_object_object_foreach(o, key, val)
	{
		(void)val;
		e[i] = (struct dict_entry){key, fq_qdict_bucket(key), i};
		i++;
	}
	qsort(e, len, sizeof(*e), qdict_order);
	for (i = 0; i < len; i++)
		keys[i] = e[i].key;
	free(e);
	*n = len;
	return keys;
}

/* json-writer.c's pretty_newline(): a new line indented to the container depth. */
static void newline(struct strbuf *b, bool pretty, int depth)
{
	if (pretty)
		strbuf_addf(b, "\n%*s", depth * 4, "");
}

static void to_json(struct strbuf *b, json_object *o, bool pretty, int depth)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		strbuf_adds(b, "null");
		break;
	case json_type_boolean:
		strbuf_adds(b, json_object_get_boolean(o) ? "true" : "false");
		break;
	case json_type_int: {
		int64_t v = json_object_get_int64(o);

		if (v == INT64_MAX && json_object_get_uint64(o) > (uint64_t)INT64_MAX)
			strbuf_addf(b, "%" PRIu64, json_object_get_uint64(o));
		else
			strbuf_addf(b, "%" PRId64, v);
		break;
	}
	case json_type_double:
		if (fq_json_float_17g) {
			strbuf_addf(b, "%.17g", json_object_get_double(o));
		} else {
			/* QEMU < 6.0: "%f", then trailing zeros and the dot dropped. */
			struct strbuf t = {0};
			size_t len;

			strbuf_addf(&t, "%f", json_object_get_double(o));
			len = t.len;
			while (len > 0 && t.buf[len - 1] == '0')
				len--;
			if (len && t.buf[len - 1] == '.')
				len--;
			strbuf_add(b, t.buf, len);
			strbuf_free(&t);
		}
		break;
	case json_type_string:
		if (json_object_get_userdata(o))
			strbuf_adds(b, json_object_get_userdata(o)); /* fq_json_set_raw() */
		else
			to_json_str(b, json_object_get_string(o),
				    (size_t)json_object_get_string_len(o));
		break;
	case json_type_array: {
		size_t n = json_object_array_length(o);

		strbuf_addc(b, '[');
		for (size_t i = 0; i < n; i++) {
			if (i)
				strbuf_adds(b, pretty ? "," : ", ");
			newline(b, pretty, depth + 1);
			to_json(b, json_object_array_get_idx(o, i), pretty, depth + 1);
		}
		newline(b, pretty, depth);
		strbuf_addc(b, ']');
		break;
	}
	case json_type_object: {
		size_t n;
		const char **keys = fq_qdict_keys(o, &n);

		strbuf_addc(b, '{');
		for (size_t i = 0; i < n; i++) {
			if (i)
				strbuf_adds(b, pretty ? "," : ", ");
			newline(b, pretty, depth + 1);
			to_json_str(b, keys[i], strlen(keys[i]));
			strbuf_adds(b, ": ");
			to_json(b, json_object_object_get(o, keys[i]), pretty, depth + 1);
		}
		newline(b, pretty, depth);
		strbuf_addc(b, '}');
		free(keys);
		break;
	}
	}
}

char *fq_json_to_qemu_string(json_object *o)
{
	struct strbuf b = {0};

	to_json(&b, o, false, 0);
	return strbuf_steal(&b);
}

char *fq_json_to_qemu_pretty(json_object *o)
{
	struct strbuf b = {0};

	to_json(&b, o, true, 0);
	return strbuf_steal(&b);
}
