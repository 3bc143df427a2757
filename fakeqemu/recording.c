/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* recording.c - the recording file of -fake-record: write it, read it back, split QMP streams */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "recording.h"

/* ---- payloads ------------------------------------------------------------------------------ */

static bool valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3;
		else
			return false;
		if (i + k >= n)
			return false;
		for (size_t j = 1; j <= k; j++)
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
		i += k + 1;
	}
	return true;
}

/* A message goes verbatim when it is one plain line that cannot be taken for a keyword. */
static bool plain_text(const char *s, size_t n)
{
	if (!n || !valid_utf8((const unsigned char *)s, n))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return strncmp(s, "raw ", 4) && strncmp(s, "hex ", 4) && strncmp(s, "fds=", 4) &&
	       s[0] != ' ' && s[n - 1] != ' ';
}

static void write_json_string(FILE *f, const char *s, size_t n)
{
	json_object *o = json_object_new_string_len(s, (int)n);

	fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE),
	      f);
	json_object_put(o);
}

static void write_payload(FILE *f, const char *s, size_t n)
{
	if (plain_text(s, n)) {
		fwrite(s, 1, n, f);
	} else if (valid_utf8((const unsigned char *)s, n)) {
		fputs("raw ", f);
		write_json_string(f, s, n);
	} else {
		fputs("hex ", f);
		for (size_t i = 0; i < n; i++)
			fprintf(f, "%02x", (unsigned char)s[i]);
	}
}

/* ---- writing ------------------------------------------------------------------------------- */

FILE *fq_rec_writer_open(const char *path, const char *real, int argc, char **argv)
{
	FILE *f = fopen(path, "we");
	json_object *args;

	if (!f)
		return NULL;
	/* Line-buffered: a session that ends in a crash keeps every line before it. */
	setvbuf(f, NULL, _IOLBF, 0);
	args = json_object_new_array();
	for (int i = 0; i < argc; i++)
		json_object_array_add(args, json_object_new_string(argv[i]));
	fprintf(f,
		"%s\n"
		"# Recorded by fakeqemu -fake-record: QEMU's argv, every QMP monitor both ways\n"
		"# (> from the client, < and event from QEMU), QEMU's output, signals and exit.\n"
		"# TIME is seconds since QEMU started. '#' lines are comments: edit or trim\n"
		"# freely, then replay with: fakeqemu -fake-replay THIS-FILE (same argv).\n"
		"real ",
		FQ_REC_MAGIC);
	write_json_string(f, real, strlen(real));
	fprintf(f, "\nargv %s\n",
		json_object_to_json_string_ext(args, JSON_C_TO_STRING_SPACED |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(args);
	return f;
}

void fq_rec_write_monitor(FILE *f, int index, const char *how)
{
	fprintf(f, "monitor m%d %s\n", index, how);
}

void fq_rec_write(FILE *f, double t, enum fq_rec_kind kind, int monitor, const char *data,
		  size_t len, int nfds, int number)
{
	if (!f)
		return;
	fprintf(f, "%.3f ", t);
	if (monitor >= 0)
		fprintf(f, "m%d ", monitor);
	switch (kind) {
	case FQ_REC_CONNECT:
		fputs("connect", f);
		break;
	case FQ_REC_CLOSE_CLIENT:
		fputs("close client", f);
		break;
	case FQ_REC_CLOSE_QEMU:
		fputs("close qemu", f);
		break;
	case FQ_REC_TO_QEMU:
		fputs("> ", f);
		if (nfds)
			fprintf(f, "fds=%d ", nfds);
		write_payload(f, data, len);
		break;
	case FQ_REC_TO_CLIENT:
		fputs("< ", f);
		write_payload(f, data, len);
		break;
	case FQ_REC_EVENT:
		fputs("event ", f);
		write_payload(f, data, len);
		break;
	case FQ_REC_STDOUT:
	case FQ_REC_STDERR:
		fputs(kind == FQ_REC_STDOUT ? "stdout " : "stderr ", f);
		write_json_string(f, data, len);
		break;
	case FQ_REC_SIGNAL:
		fprintf(f, "signal %s", sigabbrev_np(number) ? sigabbrev_np(number) : "?");
		break;
	case FQ_REC_EXIT:
		fprintf(f, "exit %d", number);
		break;
	case FQ_REC_KILLED:
		fprintf(f, "killed %s", sigabbrev_np(number) ? sigabbrev_np(number) : "?");
		break;
	}
	fputc('\n', f);
}

/* ---- reading ------------------------------------------------------------------------------- */

struct reader {
	const char *path;
	int line;
	char *err;
};

static int bad(struct reader *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct reader *rd, const char *fmt, ...)
{
	char *msg;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (asprintf(&rd->err, "%s:%d: %s", rd->path, rd->line, msg ? msg : "?") < 0)
		rd->err = NULL;
	free(msg);
	return -1;
}

static int signal_number(const char *name)
{
	for (int s = 1; s < NSIG; s++)
		if (sigabbrev_np(s) && !strcmp(sigabbrev_np(s), name))
			return s;
	return 0;
}

/* A JSON string (the whole of @text): its bytes into @out/@len. */
static int json_string(struct reader *rd, const char *text, char **out, size_t *len)
{
	json_object *o = json_tokener_parse(text);

	if (!json_object_is_type(o, json_type_string)) {
		json_object_put(o);
		return bad(rd, "expected a JSON string, got: %.60s", text);
	}
	*len = (size_t)json_object_get_string_len(o);
	*out = malloc(*len + 1);
	if (*out) {
		memcpy(*out, json_object_get_string(o), *len);
		(*out)[*len] = '\0';
	}
	json_object_put(o);
	return *out ? 0 : bad(rd, "out of memory");
}

static int payload(struct reader *rd, const char *text, char **out, size_t *len)
{
	if (!strncmp(text, "raw ", 4))
		return json_string(rd, text + 4, out, len);
	if (!strncmp(text, "hex ", 4)) {
		size_t n = strlen(text + 4);

		if (n % 2)
			return bad(rd, "hex payload of odd length");
		*out = malloc(n / 2 + 1);
		if (!*out)
			return bad(rd, "out of memory");
		for (size_t i = 0; i < n / 2; i++) {
			unsigned v;

			if (sscanf(text + 4 + 2 * i, "%2x", &v) != 1) {
				free(*out);
				return bad(rd, "bad hex payload");
			}
			(*out)[i] = (char)v;
		}
		*len = n / 2;
		(*out)[*len] = '\0';
		return 0;
	}
	if (!*text)
		return bad(rd, "a message is missing");
	*out = strdup(text);
	*len = strlen(text);
	return 0;
}

static int timed_line(struct reader *rd, struct fq_recording *r, char *text)
{
	struct fq_rec_item it = {.monitor = -1, .line = rd->line};
	char *rest, *word;
	struct fq_rec_item *items;

	it.t = strtod(text, &rest);
	if (rest == text || *rest != ' ' || it.t < 0)
		return bad(rd, "a line starts with its time in seconds (or is a header)");
	rest++;
	if (rest[0] == 'm' && rest[1] >= '0' && rest[1] <= '9') {
		it.monitor = (int)strtol(rest + 1, &word, 10);
		if (*word != ' ' || (size_t)it.monitor >= r->nmonitors)
			return bad(rd, "monitor m%d is not declared by a 'monitor' line",
				   it.monitor);
		rest = word + 1;
		if (!strcmp(rest, "connect")) {
			it.kind = FQ_REC_CONNECT;
		} else if (!strcmp(rest, "close client")) {
			it.kind = FQ_REC_CLOSE_CLIENT;
		} else if (!strcmp(rest, "close qemu")) {
			it.kind = FQ_REC_CLOSE_QEMU;
		} else if (!strncmp(rest, "> ", 2)) {
			it.kind = FQ_REC_TO_QEMU;
			rest += 2;
			if (!strncmp(rest, "fds=", 4)) {
				it.nfds = (int)strtol(rest + 4, &word, 10);
				if (*word != ' ' || it.nfds < 1)
					return bad(rd, "fds=N needs a count and then the message");
				rest = word + 1;
			}
			if (payload(rd, rest, &it.data, &it.len) < 0)
				return -1;
		} else if (!strncmp(rest, "< ", 2) || !strncmp(rest, "event ", 6)) {
			it.kind = rest[0] == '<' ? FQ_REC_TO_CLIENT : FQ_REC_EVENT;
			if (payload(rd, rest + (rest[0] == '<' ? 2 : 6), &it.data, &it.len) < 0)
				return -1;
		} else {
			return bad(rd,
				   "expected connect, close client, close qemu, >, < or event "
				   "after the monitor, got: %.40s",
				   rest);
		}
	} else if (!strncmp(rest, "stdout ", 7) || !strncmp(rest, "stderr ", 7)) {
		it.kind = rest[3] == 'o' ? FQ_REC_STDOUT : FQ_REC_STDERR;
		if (json_string(rd, rest + 7, &it.data, &it.len) < 0)
			return -1;
	} else if (!strncmp(rest, "signal ", 7) || !strncmp(rest, "killed ", 7)) {
		it.kind = rest[0] == 's' ? FQ_REC_SIGNAL : FQ_REC_KILLED;
		it.number = signal_number(rest + 7);
		if (!it.number)
			return bad(rd, "unknown signal '%s'", rest + 7);
	} else if (!strncmp(rest, "exit ", 5)) {
		it.kind = FQ_REC_EXIT;
		it.number = (int)strtol(rest + 5, &word, 10);
		if (*word || word == rest + 5)
			return bad(rd, "exit needs a status");
	} else {
		return bad(rd, "unknown line: %.40s", rest);
	}
	items = realloc(r->items, (r->nitems + 1) * sizeof(*items));
	if (!items) {
		free(it.data);
		return bad(rd, "out of memory");
	}
	r->items = items;
	r->items[r->nitems++] = it;
	return 0;
}

static int header_line(struct reader *rd, struct fq_recording *r, char *text)
{
	if (!strncmp(text, "real ", 5)) {
		size_t len;

		free(r->real);
		return json_string(rd, text + 5, &r->real, &len);
	}
	if (!strncmp(text, "argv ", 5)) {
		json_object *a = json_tokener_parse(text + 5);

		if (!json_object_is_type(a, json_type_array)) {
			json_object_put(a);
			return bad(rd, "argv must be a JSON array of strings");
		}
		r->argc = json_object_array_length(a);
		r->argv = calloc(r->argc + 1, sizeof(char *));
		for (size_t i = 0; r->argv && i < r->argc; i++)
			r->argv[i] =
			    strdup(json_object_get_string(json_object_array_get_idx(a, i)));
		json_object_put(a);
		return r->argv ? 0 : bad(rd, "out of memory");
	}
	if (!strncmp(text, "monitor m", 9)) {
		char *end, **m;
		long n = strtol(text + 9, &end, 10);

		if (*end != ' ' || n != (long)r->nmonitors)
			return bad(rd, "monitors are declared in order: expected m%zu",
				   r->nmonitors);
		m = realloc(r->monitors, (r->nmonitors + 1) * sizeof(char *));
		if (!m)
			return bad(rd, "out of memory");
		r->monitors = m;
		r->monitors[r->nmonitors++] = strdup(end + 1);
		return 0;
	}
	return bad(rd, "unknown header line: %.40s", text);
}

bool fq_recording_is(const char *path)
{
	char line[64] = "";
	FILE *f = fopen(path, "r");
	bool yes;

	if (!f)
		return false;
	yes = fgets(line, sizeof(line), f) && !strncmp(line, FQ_REC_MAGIC, strlen(FQ_REC_MAGIC));
	fclose(f);
	return yes;
}

int fq_recording_load(const char *path, struct fq_recording *r, char **err)
{
	struct reader rd = {.path = path};
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f = fopen(path, "r");
	int rc = 0;

	memset(r, 0, sizeof(*r));
	*err = NULL;
	if (!f) {
		if (asprintf(err, "%s: cannot open: %s", path, strerror(errno)) < 0)
			*err = NULL;
		return -1;
	}
	r->path = strdup(path);
	while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
		rd.line++;
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (rd.line == 1) {
			if (strcmp(line, FQ_REC_MAGIC))
				rc = bad(&rd, "not a fakeqemu recording (the first line is '%s')",
					 FQ_REC_MAGIC);
			continue;
		}
		if (!n || line[0] == '#')
			continue;
		rc = (line[0] >= '0' && line[0] <= '9') ? timed_line(&rd, r, line)
							: header_line(&rd, r, line);
	}
	free(line);
	fclose(f);
	if (rc == 0 && rd.line == 0)
		rc = bad(&rd, "empty file");
	if (rc == 0 && !r->argv)
		rc = bad(&rd, "no argv line");
	if (rc < 0) {
		*err = rd.err;
		fq_recording_free(r);
		return -1;
	}
	return 0;
}

void fq_recording_free(struct fq_recording *r)
{
	for (size_t i = 0; i < r->nitems; i++)
		free(r->items[i].data);
	free(r->items);
	for (size_t i = 0; r->argv && i < r->argc; i++)
		free(r->argv[i]);
	free(r->argv);
	for (size_t i = 0; i < r->nmonitors; i++)
		free(r->monitors[i]);
	free(r->monitors);
	free(r->real);
	free(r->path);
	memset(r, 0, sizeof(*r));
}

/* ---- splitting --------------------------------------------------------------------------------
 */

static void keep(struct fq_splitter *s, char c)
{
	if (s->len + 1 >= s->cap) {
		char *nb = realloc(s->buf, s->cap ? s->cap * 2 : 4096);

		if (!nb)
			abort();
		s->buf = nb;
		s->cap = s->cap ? s->cap * 2 : 4096;
	}
	s->buf[s->len++] = c;
}

static void emit_now(struct fq_splitter *s, void (*emit)(void *, const char *, size_t),
		     void *opaque)
{
	if (s->len) {
		s->buf[s->len] = '\0';
		emit(opaque, s->buf, s->len);
	}
	s->len = 0;
	s->depth = 0;
	s->quote = 0;
	s->escape = false;
	s->junk = false;
}

void fq_splitter_feed(struct fq_splitter *s, const char *bytes, size_t n,
		      void (*emit)(void *opaque, const char *msg, size_t len), void *opaque)
{
	for (size_t i = 0; i < n; i++) {
		char c = bytes[i];

		if (s->junk) {
			/* Outside any message: up to a newline, or a new message. */
			if (c == '{' || c == '[') {
				emit_now(s, emit, opaque);
			} else {
				if (c == '\n')
					emit_now(s, emit, opaque);
				else
					keep(s, c);
				continue;
			}
		}
		if (!s->len && !s->depth) {
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
				continue;
			if (c != '{' && c != '[') {
				s->junk = true;
				keep(s, c);
				continue;
			}
		}
		keep(s, c);
		if (s->quote) {
			if (s->escape)
				s->escape = false;
			else if (c == '\\')
				s->escape = true;
			else if (c == s->quote)
				s->quote = 0;
			continue;
		}
		if (c == '"' || c == '\'')
			s->quote = c;
		else if (c == '{' || c == '[')
			s->depth++;
		else if ((c == '}' || c == ']') && --s->depth <= 0)
			emit_now(s, emit, opaque);
	}
}

void fq_splitter_flush(struct fq_splitter *s,
		       void (*emit)(void *opaque, const char *msg, size_t len), void *opaque)
{
	emit_now(s, emit, opaque);
}

void fq_splitter_free(struct fq_splitter *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}
