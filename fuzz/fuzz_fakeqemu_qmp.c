/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz_fakeqemu_qmp.c - libFuzzer target: one QMP client session per input against fakeqemu */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
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
#include <time.h>
#include <unistd.h>

#include "argv.h"
#include "fakeqemu.h"
#include "faults.h"
#include "loop.h"
#include "machine.h"
#include "monitor.h"
#include "qjson.h"
#include "qmp_dispatch.h"
#include "startup.h"

/*
 * One fakeqemu is initialised once (LLVMFuzzerInitialize) as main.c does,
 * from the command line
 *
 *   fakeqemu -S -machine pc -smp 1,maxcpus=4 -nodefaults
 *            -chardev socket,id=fuzzmon,fd=N,server=on,wait=off
 *            -mon chardev=fuzzmon,mode=control
 *
 * where N is a listening unix socket (abstract name) made here. Every input
 * is one client connection to that monitor, through the real code: the
 * monitor accepts it (monitor.c), sends the greeting, reads with recv(),
 * feeds fq_json_parser_feed_byte() one byte at a time, dispatches each
 * message with fq_qmp_handle_input() against the machine model and writes
 * the replies and events back with send(). The input is:
 *
 *   byte 0   bit 0: send {"execute": "qmp_capabilities"} first (and wait
 *            for its reply), so both negotiation states are fuzzed; the
 *            other bits are ignored
 *   rest     the bytes the client sends
 *
 * The client side runs in this process: fakeqemu's event loop (loop.c,
 * fq_loop_run()) is driven through poll(), which is wrapped at link time
 * (-Wl,--wrap=poll): each loop iteration calls client_step(), which drains
 * the replies from the client socket (non-blocking), sends more input, and,
 * when the session is over, longjmp()s out of fq_loop_run() back to
 * LLVMFuzzerTestOneInput(). fq_loop_run() keeps no state across calls but
 * its timers and watches, so it is simply entered again for the next input.
 *
 * Time is virtual: clock_gettime(CLOCK_MONOTONIC) is wrapped too
 * (-Wl,--wrap=clock_gettime), so fq_loop_now_ms() and the guest's virtual
 * clock only move when client_step() says so. When nothing can progress
 * without time (input consumed or the monitor busy, output written, no reply
 * arriving), the clock jumps to the next timer (the poll timeout fq_loop_run
 * computed), up to HORIZON_MS per input: ACPI unplug completions (20 ms),
 * powerdown, delayed replies, split and merged output, delayed events all
 * happen within the input that caused them, deterministically and without
 * sleeping. Then the client closes its socket and waits until fakeqemu has
 * seen EOF and dropped the connection (fq_monitor_disconnect()).
 *
 * What main.c provides (it is not in fakeqemu_lib) is defined here: fq_vm,
 * fq_die() (abort(): fakeqemu would exit 1 mid-session, a finding),
 * fq_vclock_ms(), fq_event(), fq_event_later() (as main.c) and
 * fq_request_exit(), which only records the request: "quit" and the guest's
 * powerdown do not end the fuzzer. Since the process "exited", the session
 * stops sending, lets the pending replies out and closes; then the run state
 * of the model is set back to paused (prelaunch if it never ran), so that
 * later inputs do not all see a shut-down VM. Everything else in the model
 * (devices, block nodes, CPUs) persists across inputs.
 *
 * Not fuzzed: x-fakeqemu-fault rules with action "exit" or "crash" would
 * _exit()/abort() in dispatch() (qmp_dispatch.c). The parser's emit
 * callback is wrapped (fuzz_emit()) and such a request is dropped before
 * dispatch, unanswered; every other request reaches fq_qmp_handle_input().
 * Fault rules are cleared after each input (fq_faults_clear()) so that one
 * input's rules do not change all later ones.
 *
 * Environment (read once): FAKEQEMU_FUZZ_MACHINE (pc, default; q35; none),
 * FAKEQEMU_FUZZ_SMP (default 1,maxcpus=4), FAKEQEMU_VERSION and
 * FAKEQEMU_GUEST as for fakeqemu itself, FAKEQEMU_VFIO_HOSTS (default
 * 0000:01:00.0,0000:02:00.0), FAKEQEMU_FUZZ_STATS=1 prints model sizes at
 * exit and every 100000 inputs, FAKEQEMU_FUZZ_TRACE=1 copies everything
 * fakeqemu sends to stderr (to read what a reproducer does).
 */

#define HORIZON_MS  10000  /* virtual time one input may advance */
#define MAX_STEPS   1500   /* loop iterations before the client gives up and closes */
#define CLOSE_STEPS 100000 /* iterations for fakeqemu to notice the close: a finding */
#define GREET_STEPS 10000  /* iterations to wait for the greeting: a finding */

static const char caps_cmd[] = "{\"execute\": \"qmp_capabilities\"}\r\n";

struct fq_vm fq_vm;

/* ---- virtual clock and the driven event loop ------------------------------------ */

int __real_clock_gettime(clockid_t clk, struct timespec *ts);
int __wrap_clock_gettime(clockid_t clk, struct timespec *ts);
int __real_poll(struct pollfd *fds, nfds_t nfds, int timeout);
int __wrap_poll(struct pollfd *fds, nfds_t nfds, int timeout);

static bool vclock_on;
static int64_t vclock_ms = 1000000;
static bool in_loop;

int __wrap_clock_gettime(clockid_t clk, struct timespec *ts)
{
	if (vclock_on && clk == CLOCK_MONOTONIC) {
		ts->tv_sec = (time_t)(vclock_ms / 1000);
		ts->tv_nsec = (long)(vclock_ms % 1000) * 1000000L;
		return 0;
	}
	return __real_clock_gettime(clk, ts);
}

enum phase {
	PH_GREETING, /* waiting for the greeting */
	PH_CAPS,     /* qmp_capabilities sent, waiting for its reply */
	PH_SEND,     /* sending the input */
	PH_SETTLE,   /* input sent: let fakeqemu finish (advancing time) */
	PH_CLOSE,    /* closed: waiting for fakeqemu to drop the connection */
};

/* struct server_snap - what of the monitor shows progress between two steps */
struct server_snap {
	int unread; /* bytes in fakeqemu's socket receive queue */
	size_t in_len, in_pos, out_len;
	bool busy, hold;
};

/* struct session - the client side of one input */
static struct session {
	jmp_buf done;
	enum phase phase;
	int fd;
	bool negotiate;
	const uint8_t *data;
	size_t len, pos;
	unsigned lines;     /* '\n'-terminated messages received */
	bool peer_closed;   /* recv() saw EOF or an error */
	unsigned steps, close_steps, idle;
	int64_t advanced;   /* virtual ms advanced in this input */
	struct server_snap snap;
} S;

static bool exit_requested;
static bool trace; /* FAKEQEMU_FUZZ_TRACE=1: copy what fakeqemu sends to stderr */

static struct {
	unsigned long inputs, filtered, exits, gave_up, drops;
	int64_t vms;
} stats;

static struct sockaddr_un listen_addr;
static socklen_t listen_addr_len;

static void harness_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void harness_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_fakeqemu_qmp: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* drain() - read everything fakeqemu sent; returns true if anything came. */
static bool drain(void)
{
	char buf[65536];
	bool got = false;

	if (S.fd < 0)
		return false;
	for (;;) {
		ssize_t n = recv(S.fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0) {
			got = true;
			if (trace)
				fwrite(buf, 1, (size_t)n, stderr);
			for (ssize_t i = 0; i < n; i++)
				S.lines += buf[i] == '\n';
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			S.peer_closed = true;
		if (n < 0 && errno == EINTR)
			continue;
		return got;
	}
}

/* send_some() - send what the socket takes; returns true if anything went. */
static bool send_some(const void *p, size_t len, size_t *pos)
{
	ssize_t n = send(S.fd, (const char *)p + *pos, len - *pos, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n > 0) {
		*pos += (size_t)n;
		return true;
	}
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		S.peer_closed = true;
	return false;
}

static struct server_snap snapshot(const struct fq_monitor *m)
{
	struct server_snap s = {0};

	if (m->client_fd >= 0 && ioctl(m->client_fd, FIONREAD, &s.unread) < 0)
		s.unread = -1;
	s.in_len = m->in.len;
	s.in_pos = m->in_pos;
	s.out_len = m->out.len;
	s.busy = m->busy;
	s.hold = m->hold_output;
	return s;
}

/*
 * settle() - nothing moved for two steps: advance virtual time to the next
 * timer, or end the session. @timeout is fq_loop_run()'s poll timeout:
 * -1 no timer, 0 a timer is due now, else ms to the next one (capped at 60 s).
 */
static void settle(int timeout)
{
	if (timeout == 0)
		return; /* a timer runs in the next iteration */
	/* After quit the process would be gone: its timers never fire. */
	if (timeout > 0 && !exit_requested && S.advanced + timeout <= HORIZON_MS) {
		vclock_ms += timeout;
		S.advanced += timeout;
		stats.vms += timeout;
		S.idle = 0;
		return;
	}
	S.phase = PH_CLOSE;
}

/* client_step() - one iteration of fakeqemu's loop: the client's turn. */
static void client_step(int timeout)
{
	struct fq_monitor *m = fq_monitors;
	struct server_snap snap;
	bool progress;

	S.steps++;
	progress = drain();
	switch (S.phase) {
	case PH_GREETING:
		if (S.lines >= 1) {
			S.phase = S.negotiate ? PH_CAPS : PH_SEND;
			if (S.negotiate) {
				size_t pos = 0;

				/* 34 bytes into an empty socket: one send. */
				if (!send_some(caps_cmd, sizeof(caps_cmd) - 1, &pos) ||
				    pos != sizeof(caps_cmd) - 1)
					harness_fail("cannot send qmp_capabilities");
			}
		} else if (S.peer_closed || S.steps > GREET_STEPS) {
			harness_fail("no greeting from fakeqemu after %u steps%s", S.steps,
				     S.peer_closed ? " (connection closed)" : "");
		}
		return;
	case PH_CAPS:
		if (S.lines >= 2)
			S.phase = PH_SEND;
		else if (S.peer_closed || S.steps > GREET_STEPS)
			harness_fail("no reply to qmp_capabilities after %u steps", S.steps);
		return;
	case PH_SEND:
	case PH_SETTLE:
		if (S.peer_closed || m->client_fd < 0) {
			stats.drops++;
			S.phase = PH_CLOSE;
			break;
		}
		if (S.phase == PH_SEND) {
			if (exit_requested)
				S.phase = PH_SETTLE; /* the process is exiting: send no more */
			else if (send_some(S.data, S.len, &S.pos))
				progress = true;
			if (S.pos == S.len)
				S.phase = PH_SETTLE;
		}
		snap = snapshot(m);
		if (!progress && !memcmp(&snap, &S.snap, sizeof(snap)))
			S.idle++;
		else
			S.idle = 0;
		S.snap = snap;
		if (S.idle >= 2)
			settle(timeout);
		if (S.steps > MAX_STEPS) {
			stats.gave_up++;
			S.phase = PH_CLOSE;
		}
		if (S.phase != PH_CLOSE)
			return;
		break;
	case PH_CLOSE:
		break;
	}

	/* PH_CLOSE */
	if (S.fd >= 0) {
		close(S.fd);
		S.fd = -1;
	}
	if (m->client_fd < 0)
		longjmp(S.done, 1);
	if (++S.close_steps > CLOSE_STEPS)
		harness_fail("fakeqemu did not notice the client closing after %u steps",
			     S.close_steps);
}

int __wrap_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	if (!in_loop)
		return __real_poll(fds, nfds, timeout);
	client_step(timeout);
	/* Never block: the client is this thread. */
	return __real_poll(fds, nfds, 0);
}

/* ---- what main.c provides ------------------------------------------------------- */

void fq_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", fq_vm.cfg.progname ? fq_vm.cfg.progname : "fakeqemu");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	/* fakeqemu would exit(1) here, in the middle of a session. */
	abort();
}

void fq_request_exit(int status)
{
	/* main.c: exit once the reply is out. Here: the session ends instead. */
	(void)status;
	exit_requested = true;
}

/* ---- the emit callback: everything but fatal fault rules is dispatched ------------ */

/* A request that would add an x-fakeqemu-fault rule whose action kills the process. */
static bool fatal_fault_rule(json_object *req)
{
	json_object *args, *rule, *action;
	const char *a;

	if (!json_object_is_type(req, json_type_object) ||
	    !json_object_object_get_ex(req, "arguments", &args) ||
	    !json_object_is_type(args, json_type_object) ||
	    !json_object_object_get_ex(args, "rule", &rule) ||
	    !json_object_is_type(rule, json_type_object) ||
	    !json_object_object_get_ex(rule, "action", &action) ||
	    !json_object_is_type(action, json_type_string))
		return false;
	a = json_object_get_string(action);
	return !strcmp(a, "exit") || !strcmp(a, "crash");
}

static void fuzz_emit(void *opaque, json_object *value, bool is_null, const char *error)
{
	if (value && fatal_fault_rule(value)) {
		stats.filtered++;
		json_object_put(value);
		return;
	}
	fq_qmp_handle_input(opaque, value, is_null, error);
}

/* ---- set-up and per input ------------------------------------------------------- */

static void print_stats(void)
{
	size_t devices = 0, buses = 0, nodes = 0;

	for (const struct fq_device *d = fq_vm.devices; d; d = d->next)
		devices++;
	for (const struct fq_pci_bus *b = fq_vm.pci_buses; b; b = b->next)
		buses++;
	for (const struct fq_block_node *b = fq_vm.nodes; b; b = b->next)
		nodes++;
	fprintf(stderr,
		"fuzz_fakeqemu_qmp: %lu inputs, %lu fatal fault rules dropped, %lu exits, "
		"%lu connections dropped by fakeqemu, %lu sessions cut at %d steps, %lld virtual ms; "
		"model: %zu devices, %zu PCI buses, %zu block nodes, run state %d\n",
		stats.inputs, stats.filtered, stats.exits, stats.drops, stats.gave_up, MAX_STEPS,
		(long long)stats.vms, devices, buses, nodes, (int)fq_vm.state);
}

static bool want_stats;

static void at_exit_stats(void)
{
	if (want_stats)
		print_stats();
}

/* A listening unix socket with an autobound abstract name, as -chardev fd=N wants it. */
static int make_listener(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(sa_family_t)) < 0 || listen(fd, 4) < 0)
		harness_fail("listening socket: %s", strerror(errno));
	listen_addr_len = sizeof(listen_addr);
	if (getsockname(fd, (struct sockaddr *)&listen_addr, &listen_addr_len) < 0)
		harness_fail("getsockname: %s", strerror(errno));
	return fd;
}

static int connect_client(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&listen_addr, listen_addr_len) < 0)
		harness_fail("connecting to fakeqemu: %s", strerror(errno));
	return fd;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *machine = getenv("FAKEQEMU_FUZZ_MACHINE");
	const char *smp = getenv("FAKEQEMU_FUZZ_SMP");
	char chardev[96];
	static char *args[16];
	int n = 0, lfd;
	struct fq_monitor *m;

	(void)argc;
	(void)argv;
	want_stats = getenv("FAKEQEMU_FUZZ_STATS") && *getenv("FAKEQEMU_FUZZ_STATS") == '1';
	trace = getenv("FAKEQEMU_FUZZ_TRACE") && *getenv("FAKEQEMU_FUZZ_TRACE") == '1';
	/* A fault file could hold exit/crash rules; replay replaces the model. */
	unsetenv("FAKEQEMU_FAULTS");
	unsetenv("FAKEQEMU_REPLAY");
	setenv("FAKEQEMU_VFIO_HOSTS", "0000:01:00.0,0000:02:00.0", 0);
	signal(SIGPIPE, SIG_IGN);

	lfd = make_listener();
	snprintf(chardev, sizeof(chardev), "socket,id=fuzzmon,fd=%d,server=on,wait=off", lfd);
	args[n++] = strdup("fakeqemu");
	args[n++] = strdup("-S");
	args[n++] = strdup("-machine");
	args[n++] = strdup(machine && *machine ? machine : "pc");
	args[n++] = strdup("-smp");
	args[n++] = strdup(smp && *smp ? smp : "1,maxcpus=4");
	args[n++] = strdup("-nodefaults");
	args[n++] = strdup("-chardev");
	args[n++] = strdup(chardev);
	args[n++] = strdup("-mon");
	args[n++] = strdup("chardev=fuzzmon,mode=control");
	args[n] = NULL;

	vclock_on = true;
	/* main() without the signalfd, the pidfile and daemonizing. */
	fq_vm.run_started_ms = -1;
	fq_parse_argv(n, args, &fq_vm.cfg);
	fq_json_float_17g = fq_vm.cfg.dialect->float_17g;
	fq_startup_create();
	fq_machine_start();

	m = fq_monitors;
	if (!m || m->next || !m->parser)
		harness_fail("expected exactly one QMP monitor");
	fq_json_parser_free(m->parser);
	m->parser = fq_json_parser_new(fuzz_emit, m);
	atexit(at_exit_stats);
	/* args stay allocated: fq_vm.cfg.progname points into args[0]. */
	return 0;
}

/* The process exited (quit, guest powerdown): the next "process" starts paused. */
static void restart_after_exit(void)
{
	if (fq_vm.state == FQ_RUNNING || fq_vm.run_started_ms >= 0)
		fq_vm.vclock_base_ms = fq_vclock_ms();
	fq_vm.run_started_ms = -1;
	fq_vm.state = fq_vm.ever_ran ? FQ_PAUSED : FQ_PRELAUNCH;
	exit_requested = false;
	stats.exits++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	memset(&S, 0, sizeof(S));
	S.negotiate = size > 0 && (data[0] & 1);
	S.data = size > 0 ? data + 1 : data;
	S.len = size > 0 ? size - 1 : 0;
	S.phase = PH_GREETING;
	S.fd = connect_client();

	in_loop = true;
	if (setjmp(S.done) == 0) {
		fq_loop_run();
		harness_fail("fq_loop_run() returned");
	}
	in_loop = false;

	fq_faults_clear();
	if (exit_requested)
		restart_after_exit();
	if (++stats.inputs % 100000 == 0 && want_stats)
		print_stats();
	return 0;
}
