/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* record.c - -fake-record FILE -fake-real PATH: run the real QEMU, sit on every QMP monitor, write
 * it all down */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "endpoints.h"
#include "loop.h"
#include "record.h"
#include "recording.h"
#include "standin.h"
#include "strbuf.h"

/*
 * DOC: recorder
 *
 * A client that launches "QEMU" runs fakeqemu with -fake-record (or
 * FAKEQEMU_RECORD); fakeqemu then runs the real QEMU (-fake-real or
 * FAKEQEMU_REAL) with the same arguments except its QMP monitors: each
 * one the client asked for is taken over by the recorder (it binds the
 * client's path or adopts the client's listening fd), and the real QEMU
 * gets a private socket in its place (an abstract unix socket passed as
 * fd=N, same chardev id, same wait= and pretty=), so nothing polls and
 * the client talks to the recorder exactly as it would to QEMU. Bytes go
 * through untouched, descriptors passed with SCM_RIGHTS too; every
 * message is written down as it passes. One client at a time per
 * monitor, as QEMU: a client that leaves closes the recorder's connection
 * to QEMU, and the next one gets QEMU's fresh greeting. QEMU's stdout and
 * stderr are passed on and written down; -daemonize and -pidfile are done
 * by the recorder (it is the process the client knows); signals it gets
 * go to QEMU; when QEMU ends the recorder ends the same way.
 */

#define MAX_FDS 16

struct rmon {
	struct fq_endpoint *ep;
	int index;
	int listen_fd;	/* the client's side (server endpoints) */
	int client_fd;	/* the connected client */
	int qemu_fd;	/* our connection to QEMU's monitor */
	int qemu_child; /* the fd QEMU inherits (closed after fork) */
	struct sockaddr_un qemu_addr;
	socklen_t qemu_addr_len;
	bool preconnected; /* qemu_fd opened before the client came (daemonize readiness) */
	struct strbuf to_client, to_qemu;
	int pending_fds[MAX_FDS]; /* to send to QEMU with the next bytes */
	int npending_fds;
	int fds_for_next_message;
	struct fq_splitter from_client, from_qemu;
};

static struct {
	FILE *rec;
	int64_t t0_ms;
	struct rmon *mons;
	size_t nmons;
	pid_t qemu_pid;
	int pidfd;
	int out_pipe, err_pipe;
	struct strbuf out_line, err_line;
	struct fq_standin standin;
	bool ready;
	int signal_fd;
} R;

static double now_s(void)
{
	return (double)(fq_loop_now_ms() - R.t0_ms) / 1000;
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		fq_loop_unwatch(*fd);
		close(*fd);
	}
	*fd = -1;
}

/* ---- recording what passes ------------------------------------------------------------- */

static void record_from_client(void *opaque, const char *msg, size_t len)
{
	struct rmon *m = opaque;

	fq_rec_write(R.rec, now_s(), FQ_REC_TO_QEMU, m->index, msg, len, m->fds_for_next_message,
		     0);
	m->fds_for_next_message = 0;
}

static void record_from_qemu(void *opaque, const char *msg, size_t len)
{
	struct rmon *m = opaque;
	json_object *o = json_tokener_parse(msg);
	bool event =
	    json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, "event", NULL);

	json_object_put(o);
	fq_rec_write(R.rec, now_s(), event ? FQ_REC_EVENT : FQ_REC_TO_CLIENT, m->index, msg, len, 0,
		     0);
}

/* ---- moving bytes ---------------------------------------------------------------------------- */

static void update_watches(struct rmon *m);

static void flush_to(int *fd, struct strbuf *b, struct rmon *m, bool with_fds)
{
	while (*fd >= 0 && b->len) {
		struct msghdr mh = {0};
		struct iovec iov = {.iov_base = b->buf, .iov_len = b->len};
		char cbuf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
		ssize_t n;

		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if (with_fds && m->npending_fds) {
			struct cmsghdr *c;

			mh.msg_control = cbuf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)m->npending_fds);
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)m->npending_fds);
			memcpy(CMSG_DATA(c), m->pending_fds, sizeof(int) * (size_t)m->npending_fds);
		}
		n = sendmsg(*fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			/* The other side is gone: what was queued for it goes nowhere. */
			strbuf_reset(b);
			return;
		}
		if (with_fds)
			for (; m->npending_fds > 0; m->npending_fds--)
				close(m->pending_fds[m->npending_fds - 1]);
		strbuf_consume(b, (size_t)n);
	}
}

static void client_gone(struct rmon *m, bool by_qemu);

static void on_qemu(void *opaque, int fd, short revents)
{
	struct rmon *m = opaque;
	char buf[65536];
	ssize_t n;

	(void)fd;
	if (revents & POLLOUT)
		flush_to(&m->qemu_fd, &m->to_qemu, m, true);
	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		n = recv(m->qemu_fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			client_gone(m, true);
			return;
		}
		if (n > 0) {
			fq_splitter_feed(&m->from_qemu, buf, (size_t)n, record_from_qemu, m);
			strbuf_add(&m->to_client, buf, (size_t)n);
			flush_to(&m->client_fd, &m->to_client, m, false);
		}
	}
	update_watches(m);
}

static void on_client(void *opaque, int fd, short revents)
{
	struct rmon *m = opaque;
	char buf[65536];
	int fds[MAX_FDS], nfds;
	ssize_t n;

	(void)fd;
	if (revents & POLLOUT)
		flush_to(&m->client_fd, &m->to_client, m, false);
	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		n = fq_recv_with_fds(m->client_fd, buf, sizeof(buf), fds, MAX_FDS - m->npending_fds,
				     &nfds);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			client_gone(m, false);
			return;
		}
		/* Passed on to QEMU with the bytes they came with. */
		for (int i = 0; i < nfds; i++)
			m->pending_fds[m->npending_fds++] = fds[i];
		m->fds_for_next_message += nfds;
		if (n > 0) {
			fq_splitter_feed(&m->from_client, buf, (size_t)n, record_from_client, m);
			strbuf_add(&m->to_qemu, buf, (size_t)n);
			flush_to(&m->qemu_fd, &m->to_qemu, m, true);
		}
	}
	update_watches(m);
}

static void on_listen(void *opaque, int fd, short revents);

static void update_watches(struct rmon *m)
{
	if (m->client_fd >= 0)
		fq_loop_watch(m->client_fd, POLLIN | (m->to_client.len ? POLLOUT : 0), on_client,
			      m);
	if (m->qemu_fd >= 0)
		fq_loop_watch(m->qemu_fd, POLLIN | (m->to_qemu.len ? POLLOUT : 0), on_qemu, m);
}

/* The connection ends (either side): QEMU sees its client leave, the client sees EOF. */
static void client_gone(struct rmon *m, bool by_qemu)
{
	fq_splitter_flush(&m->from_client, record_from_client, m);
	fq_splitter_flush(&m->from_qemu, record_from_qemu, m);
	if (by_qemu && m->client_fd >= 0) {
		/* What QEMU said last still reaches the client. */
		fcntl(m->client_fd, F_SETFL, fcntl(m->client_fd, F_GETFL) & ~O_NONBLOCK);
		flush_to(&m->client_fd, &m->to_client, m, false);
	}
	fq_rec_write(R.rec, now_s(), by_qemu ? FQ_REC_CLOSE_QEMU : FQ_REC_CLOSE_CLIENT, m->index,
		     NULL, 0, 0, 0);
	close_fd(&m->client_fd);
	close_fd(&m->qemu_fd);
	strbuf_reset(&m->to_client);
	strbuf_reset(&m->to_qemu);
	for (; m->npending_fds > 0; m->npending_fds--)
		close(m->pending_fds[m->npending_fds - 1]);
	m->fds_for_next_message = 0;
	m->preconnected = false;
	if (m->listen_fd >= 0)
		fq_loop_watch(m->listen_fd, POLLIN, on_listen, m);
}

static int connect_qemu(struct rmon *m)
{
	int fd;

	if (!m->ep->server)
		return m->qemu_fd; /* the socketpair end, connected from the start */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&m->qemu_addr, m->qemu_addr_len) < 0) {
		close(fd);
		fd = -1;
	}
	if (fd >= 0)
		fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static void start_session(struct rmon *m, int client)
{
	m->client_fd = client;
	fcntl(client, F_SETFL, O_NONBLOCK);
	fq_rec_write(R.rec, now_s(), FQ_REC_CONNECT, m->index, NULL, 0, 0, 0);
	if (!m->preconnected)
		m->qemu_fd = connect_qemu(m);
	if (m->qemu_fd < 0) {
		/* QEMU's monitor is gone (it is exiting): the client sees EOF, as with QEMU. */
		client_gone(m, true);
		return;
	}
	/* A greeting read early (daemonize readiness) is written down and passed on now. */
	if (m->preconnected && m->to_client.len)
		fq_splitter_feed(&m->from_qemu, m->to_client.buf, m->to_client.len,
				 record_from_qemu, m);
	m->preconnected = false;
	flush_to(&m->client_fd, &m->to_client, m, false);
	update_watches(m);
}

static void on_listen(void *opaque, int fd, short revents)
{
	struct rmon *m = opaque;
	int client;

	(void)revents;
	client = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (client < 0)
		return;
	/* One client at a time, as QEMU: the next waits in the backlog. */
	fq_loop_unwatch(fd);
	start_session(m, client);
}

/* ---- QEMU's output and end ------------------------------------------------------------------- */

static void output_lines(struct strbuf *line, const char *buf, size_t n, enum fq_rec_kind kind)
{
	for (size_t i = 0; i < n; i++) {
		strbuf_addc(line, buf[i]);
		if (buf[i] == '\n') {
			fq_rec_write(R.rec, now_s(), kind, -1, line->buf, line->len, 0, 0);
			strbuf_reset(line);
		}
	}
}

static void on_output(void *opaque, int fd, short revents)
{
	bool err = opaque != NULL;
	char buf[8192];
	ssize_t n = read(fd, buf, sizeof(buf));

	(void)revents;
	if (n <= 0) {
		struct strbuf *line = err ? &R.err_line : &R.out_line;

		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			if (line->len)
				fq_rec_write(R.rec, now_s(), err ? FQ_REC_STDERR : FQ_REC_STDOUT,
					     -1, line->buf, line->len, 0, 0);
			strbuf_reset(line);
			fq_loop_unwatch(fd);
			close(fd);
			*(err ? &R.err_pipe : &R.out_pipe) = -1;
		}
		return;
	}
	/* Passed on as QEMU would print it (nowhere once daemonized). */
	if (write(err ? STDERR_FILENO : STDOUT_FILENO, buf, (size_t)n) != n) {
		/* The client stopped reading our output: keep recording. */
	}
	output_lines(err ? &R.err_line : &R.out_line, buf, (size_t)n,
		     err ? FQ_REC_STDERR : FQ_REC_STDOUT);
}

static void drain_output(void)
{
	while (R.out_pipe >= 0)
		on_output(NULL, R.out_pipe, POLLIN);
	while (R.err_pipe >= 0)
		on_output((void *)1, R.err_pipe, POLLIN);
}

static void on_qemu_exit(void *opaque, int fd, short revents)
{
	int status = 0, signo = 0;

	(void)opaque;
	(void)revents;
	if (waitpid(R.qemu_pid, &status, WNOHANG) != R.qemu_pid)
		return;
	fq_loop_unwatch(fd);
	/* Blocking now: everything QEMU wrote before it ended is passed on. */
	for (size_t i = 0; i < R.nmons; i++) {
		struct rmon *m = &R.mons[i];

		if (m->qemu_fd >= 0) {
			fcntl(m->qemu_fd, F_SETFL, fcntl(m->qemu_fd, F_GETFL) & ~O_NONBLOCK);
			for (;;) {
				char buf[65536];
				ssize_t n = recv(m->qemu_fd, buf, sizeof(buf), MSG_DONTWAIT);

				if (n <= 0)
					break;
				fq_splitter_feed(&m->from_qemu, buf, (size_t)n, record_from_qemu,
						 m);
				strbuf_add(&m->to_client, buf, (size_t)n);
			}
			if (m->client_fd >= 0)
				client_gone(m, true);
		}
	}
	drain_output();
	if (WIFSIGNALED(status)) {
		signo = WTERMSIG(status);
		fq_rec_write(R.rec, now_s(), FQ_REC_KILLED, -1, NULL, 0, 0, signo);
	} else {
		status = WEXITSTATUS(status);
		fq_rec_write(R.rec, now_s(), FQ_REC_EXIT, -1, NULL, 0, 0, status);
	}
	fclose(R.rec);
	R.rec = NULL;
	/* QEMU unlinks its monitor sockets at exit: so does its stand-in. */
	for (size_t i = 0; i < R.nmons; i++)
		if (R.mons[i].ep->server && R.mons[i].ep->path)
			unlink(R.mons[i].ep->path);
	if (!R.ready)
		fq_standin_failed(&R.standin, signo ? 1 : status);
	fq_standin_end(&R.standin, status, signo);
}

static void on_signal(void *opaque, int fd, short revents)
{
	struct signalfd_siginfo si;

	(void)opaque;
	(void)revents;
	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	fq_rec_write(R.rec, now_s(), FQ_REC_SIGNAL, -1, NULL, 0, 0, (int)si.ssi_signo);
	kill(R.qemu_pid, (int)si.ssi_signo);
}

/* ---- the real QEMU's command line ------------------------------------------------------------ */

static bool is_opt(const char *arg, const char *name)
{
	if (arg[0] != '-')
		return false;
	arg += arg[1] == '-' ? 2 : 1;
	return !strcmp(arg, name);
}

static bool fake_opt(const char *arg)
{
	return arg[0] == '-' && !strncmp(arg + (arg[1] == '-' ? 2 : 1), "fake-", 5);
}

/* The client's arguments without ours (-fake-*): what the recording keeps. */
static char **client_args(int argc, char **argv, int *n)
{
	char **out = calloc((size_t)argc + 1, sizeof(char *));

	*n = 0;
	for (int i = 1; out && i < argc; i++) {
		if (fake_opt(argv[i])) {
			i++;
			continue;
		}
		out[(*n)++] = argv[i];
	}
	return out;
}

/* A private socket for QEMU's side of monitor @m; its argument for QEMU's -chardev. */
static char *qemu_side(struct rmon *m, int nth)
{
	char *arg = NULL;

	if (m->ep->server) {
		int fd = socket(AF_UNIX, SOCK_STREAM, 0); /* inherited by QEMU */

		memset(&m->qemu_addr, 0, sizeof(m->qemu_addr));
		m->qemu_addr.sun_family = AF_UNIX;
		/* An abstract address: nothing on the file system to clean up or collide with. */
		snprintf(m->qemu_addr.sun_path + 1, sizeof(m->qemu_addr.sun_path) - 1,
			 "fakeqemu-record-%d-%d", (int)getpid(), nth);
		m->qemu_addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
					       strlen(m->qemu_addr.sun_path + 1));
		if (fd < 0 || bind(fd, (struct sockaddr *)&m->qemu_addr, m->qemu_addr_len) < 0 ||
		    listen(fd, 1) < 0) {
			fprintf(stderr, "fakeqemu: -fake-record: socket for %s: %s\n", m->ep->label,
				strerror(errno));
			exit(1);
		}
		m->qemu_child = fd;
		if (asprintf(&arg, "socket,id=%s,fd=%d,server=on,wait=%s", m->ep->chardev_id, fd,
			     m->ep->wait ? "on" : "off") < 0)
			arg = NULL;
	} else {
		int pair[2];

		/* QEMU connects out: it gets one end of a connected pair, we the other. */
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0) {
			fprintf(stderr, "fakeqemu: -fake-record: socketpair: %s\n",
				strerror(errno));
			exit(1);
		}
		fcntl(pair[0], F_SETFD, FD_CLOEXEC);
		fcntl(pair[0], F_SETFL, O_NONBLOCK);
		m->qemu_fd = pair[0];
		m->qemu_child = pair[1];
		if (asprintf(&arg, "socket,id=%s,fd=%d", m->ep->chardev_id, pair[1]) < 0)
			arg = NULL;
	}
	if (!arg)
		abort();
	return arg;
}

static char **real_argv(int argc, char **argv, const char *real)
{
	char **out = calloc((size_t)argc * 2 + 8, sizeof(char *));
	int n = 0;

	if (!out)
		abort();
	out[n++] = (char *)real;
	for (int i = 1; i < argc; i++) {
		struct rmon *m = NULL;

		for (size_t k = 0; k < R.nmons; k++)
			if (R.mons[k].ep->opt_index == i)
				m = &R.mons[k];
		if (fake_opt(argv[i]) || is_opt(argv[i], "pidfile")) {
			i++;
			continue;
		}
		if (is_opt(argv[i], "daemonize"))
			continue;
		if (m && m->ep->mon_index < 0) {
			/* -qmp PATH: a chardev of the same id and a -mon, on our socket. */
			char *mon;

			out[n++] = "-chardev";
			out[n++] = qemu_side(m, (int)(m - R.mons));
			if (asprintf(&mon, "chardev=%s,mode=control%s", m->ep->chardev_id,
				     m->ep->pretty ? ",pretty=on" : "") < 0)
				abort();
			out[n++] = "-mon";
			out[n++] = mon;
			i++;
			continue;
		}
		if (m) {
			out[n++] = argv[i];
			out[n++] = qemu_side(m, (int)(m - R.mons));
			i++;
			continue;
		}
		out[n++] = argv[i];
	}
	out[n] = NULL;
	return out;
}

static void spawn_qemu(char **args)
{
	int out[2], err[2];
	sigset_t none;

	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		fprintf(stderr, "fakeqemu: pipe: %s\n", strerror(errno));
		exit(1);
	}
	R.qemu_pid = fork();
	if (R.qemu_pid < 0) {
		fprintf(stderr, "fakeqemu: fork: %s\n", strerror(errno));
		exit(1);
	}
	if (R.qemu_pid == 0) {
		/* If the recorder is killed outright, QEMU goes with it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* The real QEMU is not to record (or replay) again, were it fakeqemu. */
		unsetenv("FAKEQEMU_RECORD");
		unsetenv("FAKEQEMU_REAL");
		unsetenv("FAKEQEMU_REPLAY");
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		execv(args[0], args);
		fprintf(stderr, "fakeqemu: -fake-real %s: cannot run it: %s\n", args[0],
			strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	R.out_pipe = out[0];
	R.err_pipe = err[0];
	fcntl(R.out_pipe, F_SETFL, O_NONBLOCK);
	fcntl(R.err_pipe, F_SETFL, O_NONBLOCK);
	for (size_t i = 0; i < R.nmons; i++)
		if (R.mons[i].qemu_child >= 0)
			close(R.mons[i].qemu_child);
	R.pidfd = (int)syscall(SYS_pidfd_open, R.qemu_pid, 0);
}

/*
 * With -daemonize the client waits for our parent to exit: we are "up" once
 * QEMU is (its first monitor answers with a greeting), or QEMU failed.
 */
static void wait_ready(void)
{
	struct rmon *m = NULL;
	int64_t deadline = fq_loop_now_ms() + 60000;

	for (size_t i = 0; i < R.nmons && !m; i++)
		if (R.mons[i].ep->server && !R.mons[i].ep->wait)
			m = &R.mons[i];
	if (!R.standin.daemonize || !m)
		return;
	m->qemu_fd = connect_qemu(m);
	/* The greeting is one line: QEMU is up once it came. */
	while (m->qemu_fd >= 0 && fq_loop_now_ms() < deadline &&
	       !(m->to_client.len && memchr(m->to_client.buf, '\n', m->to_client.len))) {
		struct pollfd p[2] = {{.fd = m->qemu_fd, .events = POLLIN},
				      {.fd = R.pidfd, .events = POLLIN}};
		char buf[4096];
		ssize_t n;

		if (poll(p, 2, (int)(deadline - fq_loop_now_ms())) <= 0 || (p[1].revents & POLLIN))
			break;
		n = recv(m->qemu_fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			break;
		strbuf_add(&m->to_client, buf, (size_t)n);
	}
	m->preconnected = m->qemu_fd >= 0;
}

int fq_record_main(int argc, char **argv, const char *record_path, const char *real)
{
	struct fq_endpoint *eps = NULL;
	size_t neps = 0;
	char *err = NULL, **args, **kept;
	int nkept;

	R.t0_ms = fq_loop_now_ms();
	R.out_pipe = R.err_pipe = R.pidfd = -1;
	if (fq_endpoints_find(argc, argv, &eps, &neps, &err) < 0) {
		fprintf(stderr, "fakeqemu: -fake-record: %s\n", err ? err : "bad command line");
		return 1;
	}
	if (err) {
		fprintf(stderr,
			"fakeqemu: -fake-record: warning: %s (left to QEMU, not recorded)\n", err);
		free(err);
	}
	R.nmons = neps;
	R.mons = calloc(neps ? neps : 1, sizeof(*R.mons));
	for (size_t i = 0; i < neps; i++) {
		R.mons[i] = (struct rmon){.ep = &eps[i],
					  .index = (int)i,
					  .listen_fd = -1,
					  .client_fd = -1,
					  .qemu_fd = -1,
					  .qemu_child = -1};
	}
	kept = client_args(argc, argv, &nkept);
	R.rec = fq_rec_writer_open(record_path, real, nkept, kept);
	free(kept);
	if (!R.rec) {
		fprintf(stderr, "fakeqemu: -fake-record %s: cannot create: %s\n", record_path,
			strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < neps; i++)
		fq_rec_write_monitor(R.rec, (int)i, eps[i].how);
	fq_standin_options(argc, argv, &R.standin);
	fq_standin_daemonize(&R.standin);
	/* The client's side first: it may connect as soon as we are up. */
	for (size_t i = 0; i < neps; i++) {
		if (!eps[i].server)
			continue;
		R.mons[i].listen_fd = fq_endpoint_listen(&eps[i], &err);
		if (R.mons[i].listen_fd < 0) {
			fprintf(stderr, "fakeqemu: %s: %s\n", eps[i].how,
				err ? err : "cannot listen");
			fq_standin_failed(&R.standin, 1);
			return 1;
		}
	}
	args = real_argv(argc, argv, real);
	R.signal_fd = fq_standin_signals();
	spawn_qemu(args);
	fq_standin_pidfile(&R.standin);
	/* Client-mode monitors: QEMU connects out at start, so we connect to the client now. */
	for (size_t i = 0; i < neps; i++) {
		if (eps[i].server)
			continue;
		int fd = fq_endpoint_connect_client(&eps[i], &err);

		if (fd < 0) {
			fprintf(stderr, "fakeqemu: %s: %s\n", eps[i].how,
				err ? err : "cannot connect");
			free(err);
			err = NULL;
			continue;
		}
		R.mons[i].preconnected = true;
		start_session(&R.mons[i], fd);
	}
	wait_ready();
	fq_loop_watch(R.pidfd, POLLIN, on_qemu_exit, NULL);
	fq_loop_watch(R.out_pipe, POLLIN, on_output, NULL);
	fq_loop_watch(R.err_pipe, POLLIN, on_output, (void *)1);
	fq_loop_watch(R.signal_fd, POLLIN, on_signal, NULL);
	for (size_t i = 0; i < neps; i++)
		if (R.mons[i].listen_fd >= 0)
			fq_loop_watch(R.mons[i].listen_fd, POLLIN, on_listen, &R.mons[i]);
	R.ready = true;
	fq_standin_ready(&R.standin);
	return fq_loop_run();
}

bool fq_record_requested(int argc, char **argv, const char **record_path, const char **real)
{
	*record_path = getenv("FAKEQEMU_RECORD");
	*real = getenv("FAKEQEMU_REAL");
	if (*record_path && !**record_path)
		*record_path = NULL;
	if (*real && !**real)
		*real = NULL;
	for (int i = 1; i + 1 < argc; i++) {
		if (is_opt(argv[i], "fake-record"))
			*record_path = argv[++i];
		else if (is_opt(argv[i], "fake-real"))
			*real = argv[++i];
	}
	if (*record_path && !*real) {
		fprintf(stderr, "fakeqemu: -fake-record needs the real QEMU: -fake-real PATH (or "
				"FAKEQEMU_REAL)\n");
		exit(1);
	}
	return *record_path != NULL;
}
