/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* launch_ready.c - benchmark: time from spawning QEMU to QMP ready, library vs seed vs floor */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "qemudrv.h"

/*
 * Three ways to get from "about to start QEMU" to "QMP ready" (greeting read
 * and qmp_capabilities answered), all with the same QEMU command line:
 *
 *   library  qd_vm_start(): a listening socket handed to QEMU as fd 3, the
 *            client connected before QEMU runs; timed around the call.
 *   seed     the seed's way: QEMU creates the socket itself (-qmp unix:...);
 *            the client tries connect() every 50 ms, then reads the greeting
 *            and negotiates.
 *   floor    as seed, but trying every 1 ms: what QEMU itself allows.
 *
 * The two command lines come from qd_vm_argv() of two configs that differ
 * only in qmp_path_mode; they share the VM id and run directory, so the UUID,
 * name and paths are the same and only the QMP arguments differ.
 *
 * Each round runs the three variants once, in a shuffled order, with a
 * pause between launches. The library's QEMU is stopped with qd_vm_stop();
 * the others are killed (SIGKILL) and reaped by the benchmark.
 */

#define DEFAULT_ROUNDS	  10
#define DEFAULT_WARMUP	  1
#define DEFAULT_SETTLE_MS 100
#define SEED_POLL_US	  50000
#define FLOOR_POLL_US	  1000
#define TIMEOUT_MS	  20000
#define TARGET_NS	  2000000 /* library within 2 ms of the floor */
#define VM_ID		  "launch-ready"

enum variant {
	V_LIBRARY,
	V_SEED,
	V_FLOOR,
	V_COUNT
};

static const char *const variant_names[V_COUNT] = {"library", "seed", "floor"};

/* Milestones after t0 (ns); -1 when the variant cannot observe it. */
struct sample {
	int64_t spawned;   /* fork/posix_spawn returned */
	int64_t connected; /* connect() succeeded */
	int64_t greeting;  /* the greeting was read */
	int64_t answered;  /* the reply to qmp_capabilities was read */
	int64_t ready;	   /* the call returned: QMP ready for the caller */
	unsigned attempts; /* connect() attempts */
};

struct bench {
	const char *qemu;
	const char *kernel;
	const char *accel;
	const char *run_dir;
	int rounds;
	int warmup;
	int settle_ms;
	unsigned long seed;
	bool verbose;

	struct qd_vm *lib_vm;
	struct qd_vm *path_vm;
	char **path_argv;
	char *qmp_path;
	const char *console_path;
	char *log_path;

	int64_t lib_t0;
	int64_t lib_spawned;
	int64_t lib_greeting;
	int64_t lib_answered;

	struct sample *samples[V_COUNT];
};

/* ---- setup ------------------------------------------------------------- */

/*
 * The library's milestones come from its log messages (debug level): it
 * logs "started QEMU pid" once fork() returned, "QMP greeting" once the
 * greeting is parsed and "QMP reply to qmp_capabilities" once negotiated.
 */
static void lib_log(void *opaque, int level, const char *message)
{
	struct bench *b = opaque;
	int64_t t = now_ns() - b->lib_t0;

	if (b->lib_spawned < 0 && strncmp(message, "started QEMU pid", 16) == 0)
		b->lib_spawned = t;
	else if (b->lib_greeting < 0 && strncmp(message, "QMP greeting", 12) == 0)
		b->lib_greeting = t;
	else if (b->lib_answered < 0 && strncmp(message, "QMP reply to qmp_capabilities", 29) == 0)
		b->lib_answered = t;
	if (level <= QD_LOG_WARNING)
		fprintf(stderr, "launch-ready: library: %s\n", message);
}

static struct qd_vm *new_vm(const struct bench *b, bool path_mode)
{
	struct qd_vm_config cfg = {
	    .id = VM_ID,
	    .qemu_path = b->qemu,
	    .run_dir = b->run_dir,
	    .accel = b->accel,
	    .vcpus = 1,
	    .memory_mb = 256,
	    .kernel = b->kernel,
	    .qmp_path_mode = path_mode,
	};
	qd_error err = {0};
	struct qd_vm *vm;

	if (qd_vm_new(&cfg, &vm, &err) < 0)
		die("qd_vm_new: %s", err.message ? err.message : "?");
	return vm;
}

/* "unix:PATH,server=on,wait=off" after -qmp -> PATH */
static char *qmp_path_of(char **argv)
{
	for (size_t i = 0; argv[i] && argv[i + 1]; i++) {
		if (strcmp(argv[i], "-qmp") == 0 && strncmp(argv[i + 1], "unix:", 5) == 0) {
			const char *p = argv[i + 1] + 5;

			return strndup(p, strcspn(p, ","));
		}
	}
	return NULL;
}

static size_t argv_len(char **argv)
{
	size_t n = 0;

	while (argv[n])
		n++;
	return n;
}

/* Print both command lines' common part once and what differs. */
static void show_argv(char **lib, char **path)
{
	size_t nl = argv_len(lib), np = argv_len(path), pre = 0, suf = 0;

	while (pre < nl && pre < np && strcmp(lib[pre], path[pre]) == 0)
		pre++;
	while (suf < nl - pre && suf < np - pre &&
	       strcmp(lib[nl - 1 - suf], path[np - 1 - suf]) == 0)
		suf++;
	printf("command line (%zu args):", nl);
	for (size_t i = 0; i < nl; i++)
		printf(" %s", lib[i]);
	printf("\nlibrary-only args:");
	for (size_t i = pre; i < nl - suf; i++)
		printf(" %s", lib[i]);
	printf("\nseed/floor-only args:");
	for (size_t i = pre; i < np - suf; i++)
		printf(" %s", path[i]);
	printf("\n");
}

static void setup(struct bench *b)
{
	qd_error err = {0};
	char **lib_argv;

	b->lib_vm = new_vm(b, false);
	b->path_vm = new_vm(b, true);
	qd_vm_set_log(b->lib_vm, lib_log, b, QD_LOG_DEBUG);
	if (qd_vm_argv(b->lib_vm, &lib_argv, &err) < 0 ||
	    qd_vm_argv(b->path_vm, &b->path_argv, &err) < 0)
		die("qd_vm_argv: %s", err.message ? err.message : "?");
	b->qmp_path = qmp_path_of(b->path_argv);
	if (!b->qmp_path)
		die("no -qmp unix:PATH in the path-mode command line");
	b->console_path = qd_vm_console_path(b->path_vm);
	if (asprintf(&b->log_path, "%s/qemu.log", qd_vm_dir(b->path_vm)) < 0)
		die("out of memory");
	show_argv(lib_argv, b->path_argv);
	qd_argv_free(lib_argv);
}

/* ---- the variants ------------------------------------------------------ */

static void run_library(struct bench *b, struct sample *s)
{
	qd_error err = {0};
	int64_t t;

	b->lib_spawned = b->lib_greeting = b->lib_answered = -1;
	b->lib_t0 = now_ns();
	if (qd_vm_start(b->lib_vm, TIMEOUT_MS, &err) < 0)
		die("qd_vm_start: %s", err.message ? err.message : "?");
	t = now_ns();
	*s = (struct sample){
	    .spawned = b->lib_spawned,
	    .connected = -1,
	    .greeting = b->lib_greeting,
	    .answered = b->lib_answered,
	    .ready = t - b->lib_t0,
	    .attempts = 1,
	};
	if (qd_vm_stop(b->lib_vm, 5000, &err) < 0)
		die("qd_vm_stop: %s", err.message ? err.message : "?");
}

/* Read until the buffer holds a complete line after @from; return its end. */
static size_t read_line(int fd, char *buf, size_t size, size_t *len, size_t from, pid_t pid)
{
	for (;;) {
		char *lf = memchr(buf + from, '\n', *len - from);
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (lf)
			return (size_t)(lf + 1 - buf);
		if (*len == size)
			die("QMP line longer than %zu bytes", size);
		if (poll(&pfd, 1, TIMEOUT_MS) == 0)
			die("no QMP data from QEMU pid %d within %d ms", (int)pid, TIMEOUT_MS);
		n = read(fd, buf + *len, size - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("reading QMP: %s", n ? strerror(errno) : "EOF (QEMU exited?)");
		*len += (size_t)n;
	}
}

static void fail_exit(const struct bench *b, pid_t pid, int status)
{
	char cmd[4200];

	fprintf(stderr, "launch-ready: QEMU pid %d ended (wait status %d) before QMP was ready\n",
		(int)pid, status);
	snprintf(cmd, sizeof(cmd), "tail -n 5 '%s' >&2", b->log_path);
	if (system(cmd) != 0)
		fprintf(stderr, "(no log)\n");
	exit(1);
}

/* seed and floor: QEMU creates the socket; connect every @poll_us until it is there. */
static void run_path(struct bench *b, long poll_us, struct sample *s)
{
	static const char caps[] = "{\"execute\":\"qmp_capabilities\"}\r\n";
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	posix_spawn_file_actions_t fa;
	char buf[8192];
	size_t len = 0, end, line;
	int64_t t0;
	pid_t pid;
	int fd, r, status;

	if (strlen(b->qmp_path) >= sizeof(addr.sun_path))
		die("socket path too long: %s", b->qmp_path);
	memcpy(addr.sun_path, b->qmp_path, strlen(b->qmp_path) + 1);
	unlink(b->qmp_path);
	unlink(b->console_path);
	/* As qd_spawn(): stdin /dev/null, stdout and stderr to the VM's log. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, b->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	memset(s, 0, sizeof(*s));

	t0 = now_ns();
	r = posix_spawn(&pid, b->path_argv[0], &fa, NULL, b->path_argv, environ);
	if (r != 0)
		die("posix_spawn %s: %s", b->path_argv[0], strerror(r));
	s->spawned = now_ns() - t0;
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket: %s", strerror(errno));
		s->attempts++;
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
			break;
		if (errno != ENOENT && errno != ECONNREFUSED)
			die("connect %s: %s", b->qmp_path, strerror(errno));
		close(fd);
		if (waitpid(pid, &status, WNOHANG) == pid)
			fail_exit(b, pid, status);
		if (now_ns() - t0 > (int64_t)TIMEOUT_MS * 1000000)
			die("QEMU created no QMP socket within %d ms", TIMEOUT_MS);
		sleep_us(poll_us);
	}
	s->connected = now_ns() - t0;
	end = read_line(fd, buf, sizeof(buf), &len, 0, pid);
	s->greeting = now_ns() - t0;
	if (!strstr(buf, "\"QMP\""))
		die("unexpected greeting: %.*s", (int)end, buf);
	if (send(fd, caps, sizeof(caps) - 1, MSG_NOSIGNAL) != (ssize_t)sizeof(caps) - 1)
		die("sending qmp_capabilities: %s", strerror(errno));
	/* The reply, skipping any event that comes first. */
	for (;;) {
		line = end;
		end = read_line(fd, buf, sizeof(buf), &len, line, pid);
		if (strncmp(buf + line, "{\"return\"", 9) == 0)
			break;
		if (strncmp(buf + line, "{\"event\"", 8) != 0)
			die("qmp_capabilities failed: %.*s", (int)(end - line), buf + line);
	}
	s->answered = s->ready = now_ns() - t0;

	close(fd);
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	posix_spawn_file_actions_destroy(&fa);
}

static void run_variant(struct bench *b, enum variant v, struct sample *s)
{
	switch (v) {
	case V_LIBRARY:
		run_library(b, s);
		break;
	case V_SEED:
		run_path(b, SEED_POLL_US, s);
		break;
	default:
		run_path(b, FLOOR_POLL_US, s);
		break;
	}
}

/* ---- statistics -------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

struct stats {
	int n;
	double median, p90, min, max, mean; /* ms */
};

/* @v is sorted in place; p90 is the nearest rank. */
static struct stats stats_of(int64_t *v, int n)
{
	struct stats st = {.n = n};
	double sum = 0;

	if (n == 0)
		return st;
	qsort(v, (size_t)n, sizeof(*v), cmp_i64);
	for (int i = 0; i < n; i++)
		sum += (double)v[i];
	st.median = n % 2 ? (double)v[n / 2] : ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2;
	st.median /= 1e6;
	st.p90 = (double)v[(9 * n + 9) / 10 - 1] / 1e6;
	st.min = (double)v[0] / 1e6;
	st.max = (double)v[n - 1] / 1e6;
	st.mean = sum / n / 1e6;
	return st;
}

/* Statistics of one milestone of a variant; n = 0 when it was not observed. */
static struct stats milestone(const struct bench *b, enum variant v, size_t offset)
{
	int64_t *vals = calloc((size_t)b->rounds, sizeof(*vals));
	struct stats st;
	int n = 0;

	if (!vals)
		die("out of memory");
	for (int r = 0; r < b->rounds; r++) {
		int64_t x = *(const int64_t *)((const char *)&b->samples[v][r] + offset);

		if (x >= 0)
			vals[n++] = x;
	}
	st = stats_of(vals, n);
	free(vals);
	return st;
}

/* Median over rounds of (a - b) of the ready times. */
static double paired_median(const struct bench *b, enum variant x, enum variant y)
{
	int64_t *d = calloc((size_t)b->rounds, sizeof(*d));
	struct stats st;

	if (!d)
		die("out of memory");
	for (int r = 0; r < b->rounds; r++)
		d[r] = b->samples[x][r].ready - b->samples[y][r].ready;
	st = stats_of(d, b->rounds);
	free(d);
	return st.median;
}

static void report(const struct bench *b)
{
	struct stats ready[V_COUNT];
	double lib_floor, seed_floor;

	printf("\nQMP ready after spawn, %d rounds (ms):\n\n", b->rounds);
	printf("| variant | median | p90    | min    | max    | mean   |\n");
	printf("|---------|-------:|-------:|-------:|-------:|-------:|\n");
	for (int v = 0; v < V_COUNT; v++) {
		ready[v] = milestone(b, v, offsetof(struct sample, ready));
		printf("| %-7s | %6.2f | %6.2f | %6.2f | %6.2f | %6.2f |\n", variant_names[v],
		       ready[v].median, ready[v].p90, ready[v].min, ready[v].max, ready[v].mean);
	}

	printf("\nmilestones, median ms after t0 (- = not observable; tries = connect() "
	       "attempts per launch):\n\n");
	printf("| variant | spawned | connected | greeting | answered | ready  | tries |\n");
	printf("|---------|--------:|----------:|---------:|---------:|-------:|------:|\n");
	for (int v = 0; v < V_COUNT; v++) {
		struct stats sp = milestone(b, v, offsetof(struct sample, spawned));
		struct stats co = milestone(b, v, offsetof(struct sample, connected));
		struct stats gr = milestone(b, v, offsetof(struct sample, greeting));
		struct stats an = milestone(b, v, offsetof(struct sample, answered));
		unsigned tries = 0;
		char s1[16] = "-", s2[16] = "-", s3[16] = "-", s4[16] = "-";

		for (int r = 0; r < b->rounds; r++)
			tries += b->samples[v][r].attempts;
		if (sp.n)
			snprintf(s1, sizeof(s1), "%.3f", sp.median);
		if (co.n)
			snprintf(s2, sizeof(s2), "%.2f", co.median);
		if (gr.n)
			snprintf(s3, sizeof(s3), "%.2f", gr.median);
		if (an.n)
			snprintf(s4, sizeof(s4), "%.2f", an.median);
		printf("| %-7s | %7s | %9s | %8s | %8s | %6.2f | %5.1f |\n", variant_names[v], s1,
		       s2, s3, s4, ready[v].median, (double)tries / b->rounds);
	}

	lib_floor = ready[V_LIBRARY].median - ready[V_FLOOR].median;
	seed_floor = ready[V_SEED].median - ready[V_FLOOR].median;
	printf("\ndifferences of the medians (ms):\n");
	printf("  library - floor = %+7.2f   (paired per round: %+7.2f; mins: %+7.2f)\n", lib_floor,
	       paired_median(b, V_LIBRARY, V_FLOOR), ready[V_LIBRARY].min - ready[V_FLOOR].min);
	printf("  seed    - floor = %+7.2f   (paired per round: %+7.2f; mins: %+7.2f)\n",
	       seed_floor, paired_median(b, V_SEED, V_FLOOR),
	       ready[V_SEED].min - ready[V_FLOOR].min);
	printf("  library - seed  = %+7.2f\n", ready[V_LIBRARY].median - ready[V_SEED].median);
	{
		struct stats lsp = milestone(b, V_LIBRARY, offsetof(struct sample, spawned));
		struct stats fsp = milestone(b, V_FLOOR, offsetof(struct sample, spawned));
		int64_t *tail = calloc((size_t)b->rounds, sizeof(*tail));
		struct stats lt;
		int n = 0;

		if (!tail)
			die("out of memory");
		for (int r = 0; r < b->rounds; r++)
			if (b->samples[V_LIBRARY][r].answered >= 0)
				tail[n++] = b->samples[V_LIBRARY][r].ready -
					    b->samples[V_LIBRARY][r].answered;
		lt = stats_of(tail, n);
		free(tail);
		printf("library's own costs (medians, ms):\n");
		printf("  start of call -> fork returned: %.3f   (floor: posix_spawn returned "
		       "%.3f)\n",
		       lsp.median, fsp.median);
		if (n)
			printf("  qmp_capabilities answered -> qd_vm_start returned: %.3f "
			       "(min %.3f, max %.3f)\n",
			       lt.median, lt.min, lt.max);
	}
	printf("target: library within %.1f ms of the floor: %s\n", TARGET_NS / 1e6,
	       lib_floor <= TARGET_NS / 1e6 ? "met" : "NOT met");
}

/* One line per launch for -v; "-" for what the variant cannot observe. */
static void print_sample(int round, enum variant v, const struct sample *s)
{
	const int64_t vals[] = {s->spawned, s->connected, s->greeting, s->answered};
	const char *const names[] = {"spawned", "connected", "greeting", "answered"};

	printf("round %2d %-7s ready %8.3f ms (", round, variant_names[v], s->ready / 1e6);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		if (vals[i] >= 0)
			printf("%s %.3f, ", names[i], vals[i] / 1e6);
		else
			printf("%s -, ", names[i]);
	}
	printf("tries %u)\n", s->attempts);
}

/* ---- main -------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static unsigned long next_rand(unsigned long *x)
{
	/* xorshift64 */
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void usage(int status) __attribute__((noreturn));

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: launch-ready [-r ROUNDS] [-w WARMUP] [-p SETTLE_MS] [-s SEED] [-q QEMU]\n"
		"                    [-k KERNEL] [-a kvm|tcg] [-d RUN_DIR] [-v]\n"
		"  -r ROUNDS    measured rounds, each runs all variants once (default %d)\n"
		"  -w WARMUP    unmeasured rounds first (default %d)\n"
		"  -p SETTLE_MS pause after each launch (default %d)\n"
		"  -s SEED      seed of the per-round shuffle (default: from the clock)\n"
		"  -q QEMU      QEMU binary (default /usr/bin/qemu-system-x86_64)\n"
		"  -k KERNEL    guest kernel (default: the last /boot/vmlinuz-*)\n"
		"  -a ACCEL     kvm or tcg (default: kvm if /dev/kvm is usable)\n"
		"  -d RUN_DIR   run directory (default: a fresh one under $TMPDIR, removed after)\n"
		"  -v           print every sample\n",
		DEFAULT_ROUNDS, DEFAULT_WARMUP, DEFAULT_SETTLE_MS);
	exit(status);
}

static int parse_int(const char *s, int min)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < min || v > 100000)
		usage(2);
	return (int)v;
}

int main(int argc, char **argv)
{
	struct bench b = {
	    .qemu = "/usr/bin/qemu-system-x86_64",
	    .rounds = DEFAULT_ROUNDS,
	    .warmup = DEFAULT_WARMUP,
	    .settle_ms = DEFAULT_SETTLE_MS,
	    .seed = (unsigned long)now_ns() | 1,
	};
	char tmpl[4096];
	bool own_dir = false;
	int opt;

	while ((opt = getopt(argc, argv, "r:w:p:s:q:k:a:d:vh")) != -1) {
		switch (opt) {
		case 'r':
			b.rounds = parse_int(optarg, 1);
			break;
		case 'w':
			b.warmup = parse_int(optarg, 0);
			break;
		case 'p':
			b.settle_ms = parse_int(optarg, 0);
			break;
		case 's':
			b.seed = strtoul(optarg, NULL, 0) | 1;
			break;
		case 'q':
			b.qemu = optarg;
			break;
		case 'k':
			b.kernel = optarg;
			break;
		case 'a':
			b.accel = optarg;
			break;
		case 'd':
			b.run_dir = optarg;
			break;
		case 'v':
			b.verbose = true;
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (!b.kernel && !(b.kernel = find_kernel()))
		die("no /boot/vmlinuz-*: give a kernel with -k");
	if (!b.accel)
		b.accel = kvm_usable() ? "kvm" : "tcg";
	if (!b.run_dir) {
		const char *t = getenv("TMPDIR");

		snprintf(tmpl, sizeof(tmpl), "%s/qd-launch.XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(tmpl))
			die("mkdtemp %s: %s", tmpl, strerror(errno));
		b.run_dir = tmpl;
		own_dir = true;
	}
	for (int v = 0; v < V_COUNT; v++)
		if (!(b.samples[v] = calloc((size_t)b.rounds, sizeof(struct sample))))
			die("out of memory");

	printf("launch-ready: qemu %s, kernel %s, accel %s, 256 MiB, 1 vCPU\n", b.qemu, b.kernel,
	       b.accel);
	printf("rounds %d (+%d warm-up), settle %d ms, shuffle seed %lu\n", b.rounds, b.warmup,
	       b.settle_ms, b.seed);
	setup(&b);
	fflush(stdout);

	for (int r = -b.warmup; r < b.rounds; r++) {
		enum variant order[V_COUNT] = {V_LIBRARY, V_SEED, V_FLOOR};

		for (int i = V_COUNT - 1; i > 0; i--) {
			int j = (int)(next_rand(&b.seed) % (unsigned long)(i + 1));
			enum variant t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		for (int i = 0; i < V_COUNT; i++) {
			struct sample s;

			run_variant(&b, order[i], &s);
			if (r >= 0)
				b.samples[order[i]][r] = s;
			if (b.verbose)
				print_sample(r, order[i], &s);
			sleep_us((long)b.settle_ms * 1000);
		}
	}
	report(&b);

	qd_vm_free(b.lib_vm);
	qd_vm_free(b.path_vm);
	qd_argv_free(b.path_argv);
	free(b.qmp_path);
	free(b.log_path);
	for (int v = 0; v < V_COUNT; v++)
		free(b.samples[v]);
	if (own_dir)
		nftw(tmpl, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
