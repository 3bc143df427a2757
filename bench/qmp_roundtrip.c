/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qmp_roundtrip.c - benchmark: QMP round trip of libqemudrv vs a minimal raw client */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "qemudrv.h"

/*
 * Both clients talk to the same QEMU over the same socket path, one after
 * the other (QEMU serves one client per monitor). Each round connects,
 * warms the connection up, measures, and closes; the order of the two
 * clients alternates from round to round so drift hits both alike.
 */

#define DEFAULT_ROUNDS	   5
#define DEFAULT_ITERATIONS 2000
#define DEFAULT_WARMUP	   1000
#define ROUND_WARMUP	   100
#define TIMEOUT_MS	   5000
#define TARGET_RATIO	   1.05

enum client {
	CLIENT_LIBRARY,
	CLIENT_MINIMAL,
	CLIENT_COUNT
};

static const char *const client_names[CLIENT_COUNT] = {"library", "minimal"};

/* ---- the library client ------------------------------------------------ */

/**
 * lib_connect() - connect and negotiate with libqemudrv
 * @path: QMP socket path
 *
 * Return: the negotiated connection; exits on failure.
 */
static struct qd_qmp *lib_connect(const char *path)
{
	qd_error err = {0};
	struct qd_qmp *q;

	if (qd_qmp_connect(path, NULL, TIMEOUT_MS, &q, &err) < 0)
		die("library: connecting to %s: %s", path, err.message ? err.message : "?");
	return q;
}

/**
 * lib_query() - one query-status round trip through libqemudrv
 * @q: the connection
 *
 * The result is released inside, as a caller would. Exits on failure.
 */
static void lib_query(struct qd_qmp *q)
{
	qd_error err = {0};
	json_object *result;

	if (qd_qmp_execute(q, "query-status", NULL, TIMEOUT_MS, &result, &err) < 0)
		die("library: query-status: %s", err.message ? err.message : "?");
	json_object_put(result);
}

/* ---- the minimal client ------------------------------------------------ */

/**
 * struct raw_conn - a bare QMP connection: a socket and a line buffer
 * @fd:    connected blocking unix socket
 * @start: offset of the first unconsumed byte in @buf
 * @len:   offset one past the last byte read into @buf
 * @buf:   bytes read from QEMU
 */
struct raw_conn {
	int fd;
	size_t start;
	size_t len;
	char buf[16384];
};

/**
 * raw_read_line() - return the next "\r\n"-terminated line from QEMU
 * @c:      the connection
 * @length: receives the line's length without the "\r\n"
 *
 * The line stays valid until the next call. Exits on EOF or error.
 *
 * Return: pointer to the line's first byte (not NUL-terminated).
 */
static const char *raw_read_line(struct raw_conn *c, size_t *length)
{
	size_t scanned = c->start;

	for (;;) {
		char *line = c->buf + c->start;
		char *lf = memchr(c->buf + scanned, '\n', c->len - scanned);

		if (lf && lf > line && lf[-1] == '\r') {
			*length = (size_t)(lf - 1 - line);
			c->start = (size_t)(lf + 1 - c->buf);
			return line;
		}
		scanned = c->len;
		if (c->start == c->len) {
			c->start = c->len = scanned = 0;
		} else if (c->len == sizeof(c->buf)) {
			if (c->start == 0)
				die("minimal: QMP line longer than %zu bytes", sizeof(c->buf));
			memmove(c->buf, c->buf + c->start, c->len - c->start);
			c->len -= c->start;
			scanned -= c->start;
			c->start = 0;
		}
		ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("minimal: reading QMP socket: %s", n ? strerror(errno) : "EOF");
		c->len += (size_t)n;
	}
}

/**
 * raw_write() - write a whole buffer to QEMU
 * @c:   the connection
 * @buf: bytes to write
 * @len: their count
 *
 * Exits on error.
 */
static void raw_write(struct raw_conn *c, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("minimal: writing QMP socket: %s", strerror(errno));
		buf += n;
		len -= (size_t)n;
	}
}

/**
 * raw_read_reply() - read lines up to the reply, skipping events
 * @c:  the connection
 * @id: the id the reply must carry, or 0 for none
 *
 * Exits unless the reply is a "return" carrying @id.
 */
static void raw_read_reply(struct raw_conn *c, unsigned int id)
{
	static const char ret[] = "{\"return\"";
	const char *line;
	size_t len;

	do
		line = raw_read_line(c, &len);
	while (len > 9 && memcmp(line, "{\"event\"", 8) == 0);
	if (len < sizeof(ret) - 1 || memcmp(line, ret, sizeof(ret) - 1) != 0)
		die("minimal: unexpected QMP reply: %.*s", (int)len, line);
	if (id) {
		char tail[32];
		int n = snprintf(tail, sizeof(tail), "\"id\": %u}", id);

		if ((size_t)n > len || memcmp(line + len - (size_t)n, tail, (size_t)n) != 0)
			die("minimal: reply without id %u: %.*s", id, (int)len, line);
	}
}

/**
 * raw_connect() - connect, read the greeting, negotiate capabilities
 * @c:    the connection to fill
 * @path: QMP socket path
 *
 * Exits on failure.
 */
static void raw_connect(struct raw_conn *c, const char *path)
{
	static const char caps[] = "{\"execute\":\"qmp_capabilities\"}";
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	const char *line;
	size_t len;

	if (strlen(path) >= sizeof(addr.sun_path))
		die("minimal: socket path too long: %s", path);
	strcpy(addr.sun_path, path);
	c->start = c->len = 0;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("minimal: socket: %s", strerror(errno));
	if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("minimal: connecting to %s: %s", path, strerror(errno));
	line = raw_read_line(c, &len);
	if (len < 7 || memcmp(line, "{\"QMP\"", 6) != 0)
		die("minimal: unexpected greeting: %.*s", (int)len, line);
	raw_write(c, caps, sizeof(caps) - 1);
	raw_read_reply(c, 0);
}

/**
 * raw_query() - one query-status round trip over the raw socket
 * @c:  the connection
 * @id: the command's id
 */
static void raw_query(struct raw_conn *c, unsigned int id)
{
	char cmd[64];
	int n = snprintf(cmd, sizeof(cmd), "{\"execute\":\"query-status\",\"id\":%u}", id);

	raw_write(c, cmd, (size_t)n);
	raw_read_reply(c, id);
}

/* ---- measurement ------------------------------------------------------- */

/**
 * run_session() - one connection: connect, warm up, measure, close
 * @who:     which client
 * @path:    QMP socket path
 * @warmup:  round trips done before measuring
 * @count:   round trips measured
 * @samples: receives @count durations in nanoseconds (may be NULL if @count is 0)
 */
static void run_session(enum client who, const char *path, unsigned int warmup, unsigned int count,
			int64_t *samples)
{
	if (who == CLIENT_LIBRARY) {
		struct qd_qmp *q = lib_connect(path);

		for (unsigned int i = 0; i < warmup; i++)
			lib_query(q);
		for (unsigned int i = 0; i < count; i++) {
			int64_t t0 = now_ns();

			lib_query(q);
			samples[i] = now_ns() - t0;
		}
		qd_qmp_free(q);
	} else {
		static struct raw_conn c;
		unsigned int id = 1;

		raw_connect(&c, path);
		for (unsigned int i = 0; i < warmup; i++)
			raw_query(&c, id++);
		for (unsigned int i = 0; i < count; i++) {
			int64_t t0 = now_ns();

			raw_query(&c, id++);
			samples[i] = now_ns() - t0;
		}
		close(c.fd);
	}
}

/**
 * cmp_i64() - qsort comparator for int64_t
 * @a: first element
 * @b: second element
 *
 * Return: <0, 0 or >0 as *@a is below, equal to or above *@b.
 */
static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/**
 * struct stats - summary of a set of durations, in nanoseconds
 * @median: middle value (mean of the two middle values for an even count)
 * @p99:    99th percentile, nearest rank
 * @min:    fastest
 * @mean:   arithmetic mean
 */
struct stats {
	double median;
	double p99;
	double min;
	double mean;
};

/**
 * summarise() - sort @v in place and compute its statistics
 * @v: durations
 * @n: their count, > 0
 *
 * Return: the summary.
 */
static struct stats summarise(int64_t *v, size_t n)
{
	struct stats s;
	size_t rank = (n * 99 + 99) / 100; /* ceil(0.99 n), 1-based */
	double sum = 0;

	qsort(v, n, sizeof(*v), cmp_i64);
	for (size_t i = 0; i < n; i++)
		sum += (double)v[i];
	s.median = n % 2 ? (double)v[n / 2] : ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2;
	s.p99 = (double)v[rank - 1];
	s.min = (double)v[0];
	s.mean = sum / (double)n;
	return s;
}

/**
 * parse_uint() - parse a positive decimal option value
 * @opt:  the option's name, for the error message
 * @text: the value
 *
 * Return: the value; exits when it is not a number in 1..1000000.
 */
static unsigned int parse_uint(const char *opt, const char *text)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || end == text || *end || v < 1 || v > 1000000)
		die("%s: expected a number from 1 to 1000000, got '%s'", opt, text);
	return (unsigned int)v;
}

/**
 * usage() - print the command line synopsis and exit
 * @status: exit status
 */
static void usage(int status) __attribute__((noreturn));

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: qmp-roundtrip [-r ROUNDS] [-n ITERATIONS] [-w WARMUP] QMP_SOCKET\n"
		"  -r ROUNDS      rounds, each measuring both clients (default %d)\n"
		"  -n ITERATIONS  query-status round trips per client per round (default %d)\n"
		"  -w WARMUP      round trips per client before the first round (default %d)\n",
		DEFAULT_ROUNDS, DEFAULT_ITERATIONS, DEFAULT_WARMUP);
	exit(status);
}

int main(int argc, char **argv)
{
	unsigned int rounds = DEFAULT_ROUNDS, iterations = DEFAULT_ITERATIONS;
	unsigned int warmup = DEFAULT_WARMUP;
	struct qd_qemu_version ver = {0};
	char package[128] = "";
	int64_t *all[CLIENT_COUNT];
	struct stats total[CLIENT_COUNT];
	const char *path;
	int64_t t_start;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			usage(0);
		if (i + 1 >= argc)
			usage(2);
		if (strcmp(argv[i], "-r") == 0)
			rounds = parse_uint("-r", argv[++i]);
		else if (strcmp(argv[i], "-n") == 0)
			iterations = parse_uint("-n", argv[++i]);
		else if (strcmp(argv[i], "-w") == 0)
			warmup = parse_uint("-w", argv[++i]);
		else
			usage(2);
	}
	if (i != argc - 1)
		usage(2);
	path = argv[i];

	for (int c = 0; c < CLIENT_COUNT; c++) {
		all[c] = calloc((size_t)rounds * iterations, sizeof(int64_t));
		if (!all[c])
			die("out of memory");
	}

	t_start = now_ns();
	{
		struct qd_qmp *q = lib_connect(path);

		if (qd_qmp_get_version(q, &ver) == 0 && ver.package)
			snprintf(package, sizeof(package), "%s", ver.package);
		qd_qmp_free(q);
	}
	printf("qmp-roundtrip: QEMU %d.%d.%d (%s), query-status, %u rounds x %u iterations "
	       "per client, warm-up %u + %u per session\n",
	       ver.major, ver.minor, ver.micro, package, rounds, iterations, warmup, ROUND_WARMUP);
	run_session(CLIENT_LIBRARY, path, warmup, 0, NULL);
	run_session(CLIENT_MINIMAL, path, warmup, 0, NULL);

	printf("%-6s %-8s %12s %12s\n", "round", "order", "library_us", "minimal_us");
	for (unsigned int r = 0; r < rounds; r++) {
		enum client first = r % 2 ? CLIENT_MINIMAL : CLIENT_LIBRARY;
		enum client order[2] = {first,
					first == CLIENT_LIBRARY ? CLIENT_MINIMAL : CLIENT_LIBRARY};
		struct stats s[CLIENT_COUNT];

		for (int k = 0; k < 2; k++)
			run_session(order[k], path, ROUND_WARMUP, iterations,
				    all[order[k]] + (size_t)r * iterations);
		for (int c = 0; c < CLIENT_COUNT; c++) {
			int64_t *copy = malloc(iterations * sizeof(int64_t));

			if (!copy)
				die("out of memory");
			memcpy(copy, all[c] + (size_t)r * iterations, iterations * sizeof(int64_t));
			s[c] = summarise(copy, iterations);
			free(copy);
		}
		printf("%-6u %-8s %12.1f %12.1f   (medians)\n", r + 1,
		       first == CLIENT_LIBRARY ? "lib,min" : "min,lib",
		       s[CLIENT_LIBRARY].median / 1e3, s[CLIENT_MINIMAL].median / 1e3);
	}

	printf("\n%-8s %10s %10s %10s %10s %8s\n", "client", "median_us", "p99_us", "mean_us",
	       "min_us", "samples");
	for (int c = 0; c < CLIENT_COUNT; c++) {
		total[c] = summarise(all[c], (size_t)rounds * iterations);
		printf("%-8s %10.1f %10.1f %10.1f %10.1f %8u\n", client_names[c],
		       total[c].median / 1e3, total[c].p99 / 1e3, total[c].mean / 1e3,
		       total[c].min / 1e3, rounds * iterations);
		free(all[c]);
	}
	double ratio = total[CLIENT_LIBRARY].median / total[CLIENT_MINIMAL].median;
	printf("\nratio library/minimal (medians): %.3f  (library adds %+.1f us, %+.1f%%; "
	       "target <= %.2f: %s)\n",
	       ratio, (total[CLIENT_LIBRARY].median - total[CLIENT_MINIMAL].median) / 1e3,
	       (ratio - 1) * 100, TARGET_RATIO, ratio <= TARGET_RATIO ? "met" : "NOT met");
	printf("wall time %.1f s\n", (double)(now_ns() - t_start) / 1e9);
	return 0;
}
