/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* guest.c - the test guest: build it once, choose its accelerator, talk to its console */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"
#include "proc.h"
#include "qdctl.h"
#include "scenario_ctx.h"
#include "target.h"

#define BUILD_TIMEOUT_MS     300000
#define KVM_PROBE_TIMEOUT_MS 30000
#define ALIVE_MARKER	     "QD-ALIVE"

#ifndef QDCTL_GUEST_BUILDER_INSTALLED
#define QDCTL_GUEST_BUILDER_INSTALLED "/usr/share/qemudrv/make-initramfs.sh"
#endif
#ifndef QDCTL_GUEST_BUILDER_SOURCE
#define QDCTL_GUEST_BUILDER_SOURCE ""
#endif

static const char *builder_path(void)
{
	const char *env = getenv("QDCTL_GUEST_BUILDER");

	if (env && *env)
		return env;
	if (access(QDCTL_GUEST_BUILDER_INSTALLED, R_OK) == 0)
		return QDCTL_GUEST_BUILDER_INSTALLED;
	if (*QDCTL_GUEST_BUILDER_SOURCE && access(QDCTL_GUEST_BUILDER_SOURCE, R_OK) == 0)
		return QDCTL_GUEST_BUILDER_SOURCE;
	return NULL;
}

int sc_guest_files_get(struct sc_guest_files *g)
{
	char cache[PATH_MAX], *out = NULL, *argv[4];
	const char *builder, *env = getenv("QD_GUEST_CACHE");
	int status, r;

	if (g->tried)
		return g->kernel && g->initrd ? 0 : -ENOENT;
	g->tried = true;
	if (g->kernel && g->initrd)
		return 0;
	builder = builder_path();
	if (!builder) {
		g->error = strdup("the test guest builder make-initramfs.sh is not installed "
				  "(set QDCTL_GUEST_BUILDER)");
		return -ENOENT;
	}
	if (env && *env)
		snprintf(cache, sizeof(cache), "%s", env);
	else
		snprintf(cache, sizeof(cache), "/tmp/qemudrv-guest-%d", (int)getuid());
	argv[0] = "sh";
	argv[1] = (char *)builder;
	argv[2] = cache;
	argv[3] = NULL;
	r = qdctl_run_capture(argv, BUILD_TIMEOUT_MS, &out, &status);
	if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* The builder's last line says what is missing (kernel, busybox...). */
		char *last = out ? out + strlen(out) : NULL;

		while (last && last > out && last[-1] == '\n')
			*--last = '\0';
		last = out ? strrchr(out, '\n') : NULL;
		if (asprintf(&g->error, "the test guest cannot be built: %s",
			     r < 0 ? strerror(-r)
				   : (last  ? last + 1
				      : out ? out
					    : "?")) < 0)
			g->error = NULL;
		free(out);
		return -ENOENT;
	}
	/* Two lines on stdout (kernel, initramfs); notes may precede them on stderr. */
	{
		char *lines[64];
		int n = 0;

		for (char *s = strtok(out, "\n"); s && n < 64; s = strtok(NULL, "\n"))
			lines[n++] = s;
		if (n >= 2 && lines[n - 2][0] == '/' && lines[n - 1][0] == '/') {
			g->kernel = strdup(lines[n - 2]);
			g->initrd = strdup(lines[n - 1]);
		}
	}
	free(out);
	if (!g->kernel || !g->initrd) {
		g->error = strdup("the test guest builder printed no kernel and initramfs");
		return -ENOENT;
	}
	return 0;
}

/* ---- console ------------------------------------------------------------------------- */

int sc_console_open(struct sc_console *c, const char *path, qd_error *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		return qdctl_error_set(err, -ENAMETOOLONG, "console path too long: %s", path);
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return qdctl_error_set(err, -errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int e = errno;

		close(fd);
		return qdctl_error_set(err, -e, "cannot connect to the guest console %s: %s", path,
				       strerror(e));
	}
	c->fd = fd;
	if (!c->pending)
		c->pending = json_object_new_array();
	if (!c->log)
		c->log = json_object_new_array();
	return 0;
}

void sc_console_close(struct sc_console *c)
{
	if (c->fd > 0)
		close(c->fd);
	c->fd = -1;
	c->len = 0;
}

void sc_console_free(struct sc_console *c)
{
	sc_console_close(c);
	free(c->buf);
	c->buf = NULL;
	c->cap = 0;
	json_object_put(c->pending);
	json_object_put(c->log);
	c->pending = c->log = NULL;
}

/* Read what is there (waiting up to @wait_ms); split into lines. 0, -ETIMEDOUT, -ECONNRESET. */
static int console_fill(struct sc_console *c, int wait_ms)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	ssize_t n;
	int r;

	if (c->fd < 0)
		return -ECONNRESET;
	r = poll(&p, 1, wait_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	if (r == 0)
		return -ETIMEDOUT;
	if (c->len + 4096 > c->cap) {
		char *nb = realloc(c->buf, c->cap ? c->cap * 2 : 8192);

		if (!nb)
			return -ENOMEM;
		c->buf = nb;
		c->cap = c->cap ? c->cap * 2 : 8192;
	}
	n = read(c->fd, c->buf + c->len, c->cap - c->len);
	if (n <= 0)
		return n < 0 && errno == EINTR ? 0 : -ECONNRESET;
	c->len += (size_t)n;
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		size_t linelen;

		if (!nl)
			break;
		linelen = (size_t)(nl - c->buf);
		while (linelen && (c->buf[linelen - 1] == '\r'))
			linelen--;
		json_object *s = json_object_new_string_len(c->buf, (int)linelen);

		json_object_array_add(c->pending, json_object_get(s));
		json_object_array_add(c->log, s);
		c->len -= (size_t)(nl + 1 - c->buf);
		memmove(c->buf, nl + 1, c->len);
	}
	return 0;
}

/*
 * Take the oldest pending line that matches @re (new ref), or NULL. Only that
 * line is taken: each line satisfies one wait, as each event does one
 * wait-event, and marker lines printed during a command stay for later waits.
 */
static json_object *take_match(struct sc_console *c, const regex_t *re)
{
	size_t n = json_object_array_length(c->pending);

	for (size_t i = 0; i < n; i++) {
		json_object *l = json_object_array_get_idx(c->pending, i);

		if (regexec(re, json_object_get_string(l), 0, NULL, 0) == 0) {
			json_object *keep = json_object_get(l);

			json_object_array_del_idx(c->pending, i, 1);
			return keep;
		}
	}
	return NULL;
}

/* Marker lines ("QD-BLOCK-ADD vda", "QD-DONE-3 0") are the guest's, not a command's output. */
static bool is_marker(const char *line)
{
	return !strncmp(line, "QD-", 3);
}

int sc_console_wait(struct sc_console *c, const regex_t *re, int timeout_ms, char **line,
		    qd_error *err)
{
	int64_t deadline = qdctl_now_ms() + timeout_ms;

	if (line)
		*line = NULL;
	for (;;) {
		json_object *m = take_match(c, re);
		int64_t left;
		int r;

		if (m) {
			if (line)
				*line = strdup(json_object_get_string(m));
			json_object_put(m);
			return 0;
		}
		left = deadline - qdctl_now_ms();
		if (left <= 0)
			return qdctl_error_set(err, -ETIMEDOUT,
					       "the guest console printed no matching line within "
					       "%d ms",
					       timeout_ms);
		r = console_fill(c, (int)left);
		if (r == -ECONNRESET)
			return qdctl_error_set(err, r, "the guest console closed");
		if (r < 0 && r != -ETIMEDOUT)
			return qdctl_error_set(err, r, "reading the guest console: %s",
					       strerror(-r));
	}
}

/* Forget the oldest pending line equal to @line. */
static void drop_pending(struct sc_console *c, const char *line)
{
	for (size_t i = 0; i < json_object_array_length(c->pending); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(c->pending, i)),
			    line)) {
			json_object_array_del_idx(c->pending, i, 1);
			return;
		}
}

static int console_send(struct sc_console *c, const char *text, qd_error *err)
{
	size_t len = strlen(text), off = 0;

	while (off < len) {
		ssize_t n = send(c->fd, text + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return qdctl_error_set(err, -errno, "writing to the guest console: %s",
					       strerror(errno));
		off += (size_t)n;
	}
	return 0;
}

int sc_console_run(struct sc_console *c, const char *command, int timeout_ms, char **output,
		   int *status, qd_error *err)
{
	char marker[64], *line = NULL, *cmd;
	int64_t deadline = qdctl_now_ms() + timeout_ms;
	size_t start;
	regex_t re;
	int r;

	*output = NULL;
	*status = -1;
	snprintf(marker, sizeof(marker), "^QD-DONE-%d [0-9]+$", ++c->seq);
	if (regcomp(&re, marker, REG_EXTENDED | REG_NOSUB) != 0)
		return qdctl_error_set(err, -EINVAL, "bad marker");
	/* The guest's init evals one line at a time; a subshell keeps its shell safe. */
	if (strchr(command, '\n')) {
		regfree(&re);
		return qdctl_error_set(err, -EINVAL, "a guest command is one line");
	}
	if (asprintf(&cmd, "( %s ) 2>&1; echo \"QD-DONE-%d $?\"\n", command, c->seq) < 0) {
		regfree(&re);
		return -ENOMEM;
	}
	/* Output lines are those between now and the marker. */
	start = json_object_array_length(c->log);
	r = console_send(c, cmd, err);
	free(cmd);
	if (r == 0)
		r = sc_console_wait(c, &re, (int)(deadline - qdctl_now_ms()), &line, err);
	regfree(&re);
	if (r < 0)
		return r;
	{
		size_t end = json_object_array_length(c->log), cap = 1, len = 0;
		char *out;

		for (size_t i = start; i < end; i++)
			cap +=
			    strlen(json_object_get_string(json_object_array_get_idx(c->log, i))) +
			    1;
		out = calloc(1, cap);
		for (size_t i = start; out && i < end; i++) {
			const char *l =
			    json_object_get_string(json_object_array_get_idx(c->log, i));

			if (!strcmp(l, line))
				break;
			if (is_marker(l))
				continue;
			len += (size_t)sprintf(out + len, "%s%s", len ? "\n" : "", l);
			/* Taken as output: not left for a later guest-wait. */
			drop_pending(c, l);
		}
		*output = out;
	}
	*status = atoi(strchr(line, ' ') + 1);
	free(line);
	return 0;
}

int sc_console_boot_wait(struct sc_console *c, int timeout_ms, qd_error *err)
{
	regex_t re;
	int r;

	/* QEMU buffers this until the guest's shell reads the console: no race with the boot. */
	r = console_send(c, "echo " ALIVE_MARKER "\n", err);
	if (r < 0)
		return r;
	regcomp(&re, "^" ALIVE_MARKER "$", REG_EXTENDED | REG_NOSUB);
	r = sc_console_wait(c, &re, timeout_ms, NULL, err);
	regfree(&re);
	if (r == -ETIMEDOUT)
		qdctl_error_set(err, r, "the test guest did not come up within %d ms", timeout_ms);
	return r;
}

/* ---- accelerator ------------------------------------------------------------------------ */

/* Boot the test guest under KVM; 0 when its shell answered in time. */
static int probe_kvm(struct sc_target *t, const struct sc_run_options *opts, char **why)
{
	char dir[PATH_MAX], *kernel_params = "console=hvc0 qd.console=hvc0";
	struct qd_vm_config cfg = {0};
	struct sc_console con = {.fd = -1};
	struct qd_vm *vm = NULL;
	qd_error err = {0};
	int r;

	snprintf(dir, sizeof(dir), "%s/qdctl-kvm-probe-XXXXXX", opts->work_base);
	if (!mkdtemp(dir)) {
		*why = strdup("cannot create a directory for the KVM probe");
		return -errno;
	}
	cfg.id = "kvm-probe";
	cfg.qemu_path = t->path;
	cfg.run_dir = dir;
	cfg.accel = "kvm";
	cfg.vcpus = 1;
	cfg.max_vcpus = 1;
	cfg.memory_mb = 256;
	cfg.kernel = opts->guest->kernel;
	cfg.initrd = opts->guest->initrd;
	cfg.kernel_params = kernel_params;
	r = qd_vm_new(&cfg, &vm, &err);
	if (r == 0)
		r = qd_vm_start(vm, 30000, &err);
	if (r == 0)
		r = sc_console_open(&con, qd_vm_console_path(vm), &err);
	if (r == 0)
		r = sc_console_boot_wait(&con, KVM_PROBE_TIMEOUT_MS, &err);
	if (r < 0 && asprintf(why, "%s", err.message ? err.message : strerror(-r)) < 0)
		*why = NULL;
	sc_console_free(&con);
	if (vm) {
		qd_error ignored = {0};

		qd_vm_stop(vm, 5000, &ignored);
		qd_error_clear(&ignored);
		qd_vm_free(vm);
	}
	qd_error_clear(&err);
	{
		char *argv[] = {"rm", "-rf", dir, NULL}, *out = NULL;
		int status;

		qdctl_run_capture(argv, 30000, &out, &status);
		free(out);
	}
	return r;
}

void sc_guest_choose_accel(struct sc_target *t, const struct sc_run_options *opts)
{
	const char *want = opts->guest_accel ? opts->guest_accel : "auto";
	char *why = NULL;
	struct stat st;

	if (t->guest_probed)
		return;
	t->guest_probed = true;
	if (t->fake) {
		if (!t->guest_unavailable)
			t->guest_unavailable =
			    strdup("fakeqemu runs no guest OS: its cooperative guest model answers "
				   "unplugs, console steps are skipped");
		return;
	}
	if (!strcmp(want, "kvm") || !strcmp(want, "tcg")) {
		t->guest_accel = strdup(want);
		t->guest_accel_reason = strdup("chosen with --guest-accel");
		return;
	}
	if (!sc_kvm_usable()) {
		t->guest_accel = strdup("tcg");
		t->guest_accel_reason = strdup("/dev/kvm cannot be opened");
		return;
	}
	if (stat("/sys/module/kvm_pvm", &st) == 0) {
		t->guest_accel = strdup("tcg");
		t->guest_accel_reason = strdup(
		    "this host's KVM is kvm_pvm (a paravirtual nested hypervisor): QEMU runs "
		    "under it, but ordinary guests hang right after the boot loader");
		return;
	}
	if (probe_kvm(t, opts, &why) == 0) {
		t->guest_accel = strdup("kvm");
		t->guest_accel_reason = strdup("the test guest boots under KVM here");
	} else {
		t->guest_accel = strdup("tcg");
		if (asprintf(&t->guest_accel_reason,
			     "the test guest did not boot under KVM (%s): guests run under TCG",
			     why ? why : "?") < 0)
			t->guest_accel_reason = NULL;
	}
	free(why);
}
