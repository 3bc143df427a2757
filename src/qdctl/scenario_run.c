/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* scenario_run.c - run a scenario on one target: set-up, the steps, checks, clean-up */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devices.h"
#include "proc.h"
#include "qdctl.h"
#include "scenario_run.h"

#define STOP_TIMEOUT_MS 10000
#define QEMU_LOG_LINES	40
#define GUEST_PARAMS	"console=hvc0 qd.console=hvc0"
#define MAX_ID_LEN	24

static const char *const fakeqemu_vars[] = {
    "FAKEQEMU_VERSION", "FAKEQEMU_GUEST", "FAKEQEMU_FAULTS",	 "FAKEQEMU_REPLAY",
    "FAKEQEMU_RECORD",	"FAKEQEMU_REAL",  "FAKEQEMU_VFIO_HOSTS", NULL,
};

/* ---- the library's log: the step's QMP excerpt ----------------------------------------- */

void sc_ctx_log(struct sc_ctx *ctx, const char *prefix, const char *text)
{
	char *line;

	if (!ctx->qmp_log)
		return;
	if (asprintf(&line, "%+6lldms %s%s", (long long)(qdctl_now_ms() - ctx->t0_ms), prefix,
		     text) < 0)
		return;
	json_object_array_add(ctx->qmp_log, json_object_new_string(line));
	if (ctx->opts->verbose)
		fprintf(stderr, "    %s\n", line);
	free(line);
}

static void on_log(void *opaque, int level, const char *message)
{
	struct sc_ctx *ctx = opaque;
	const char *rest;

	if (!strncmp(message, "QMP send: ", 10)) {
		sc_ctx_log(ctx, "> ", message + 10);
	} else if (!strncmp(message, "QMP reply to ", 13) && (rest = strstr(message, ": "))) {
		sc_ctx_log(ctx, "< ", rest + 2);
	} else if (level <= QD_LOG_INFO) {
		sc_ctx_log(ctx, "# ", message);
	}
}

/* ---- helpers the ops use --------------------------------------------------------------- */

int sc_ctx_new_vm(struct sc_ctx *ctx, qd_error *err)
{
	int r;

	if (!ctx->cfg_loaded) {
		r = qd_vm_config_from_json(ctx->cfg_json, &ctx->cfg, err);
		if (r < 0)
			return r;
		ctx->cfg_loaded = true;
	}
	r = qd_vm_new(&ctx->cfg, &ctx->vm, err);
	if (r < 0)
		return r;
	qd_vm_set_log(ctx->vm, on_log, ctx, QD_LOG_DEBUG);
	if (qd_vm_pid(ctx->vm) > 0)
		ctx->qemu_pid = qd_vm_pid(ctx->vm);
	sc_ctx_note_pid(ctx, ctx->qemu_pid);
	return 0;
}

bool sc_ctx_qemu_running(struct sc_ctx *ctx)
{
	siginfo_t info = {0};

	if (ctx->qemu_pid <= 0)
		return false;
	if (waitid(P_PID, (id_t)ctx->qemu_pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0) {
		/* Reaped already (the library stopped it), or not our child. */
		if (errno == ECHILD && kill(ctx->qemu_pid, 0) == 0)
			return true;
		if (!ctx->qemu_exit)
			ctx->qemu_exit = strdup("ended");
		return false;
	}
	if (info.si_pid != ctx->qemu_pid)
		return true;
	if (!ctx->qemu_exit) {
		if (info.si_code == CLD_EXITED) {
			if (asprintf(&ctx->qemu_exit, "exited with status %d", info.si_status) < 0)
				ctx->qemu_exit = NULL;
		} else if (asprintf(&ctx->qemu_exit, "died of signal %d (SIG%s)", info.si_status,
				    sigabbrev_np(info.si_status) ? sigabbrev_np(info.si_status)
								 : "?") < 0) {
			ctx->qemu_exit = NULL;
		}
	}
	return false;
}

bool sc_ctx_qemu_wait_gone(struct sc_ctx *ctx, int timeout_ms)
{
	int fd = ctx->qemu_pid > 0 ? qdctl_pidfd_open(ctx->qemu_pid) : -1;

	if (fd >= 0) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		while (poll(&p, 1, timeout_ms) < 0 && errno == EINTR)
			;
		close(fd);
	}
	return !sc_ctx_qemu_running(ctx);
}

char *sc_ctx_image(struct sc_ctx *ctx, const char *id, unsigned size_mb, qd_error *err)
{
	char *path;
	int fd;

	if (asprintf(&path, "%s/img-%s.img", ctx->workdir, id) < 0) {
		qdctl_error_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)(size_mb ? size_mb : 8) << 20) < 0) {
		qdctl_error_set(err, -errno, "cannot create disk image %s: %s", path,
				strerror(errno));
		if (fd >= 0)
			close(fd);
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}

/* ---- set-up -------------------------------------------------------------------------------- */

static void set_default(json_object *cfg, const char *key, json_object *value)
{
	if (json_object_object_get_ex(cfg, key, NULL))
		json_object_put(value);
	else
		json_object_object_add(cfg, key, value);
}

static char *vm_id(const char *name)
{
	char *id = strndup(name, MAX_ID_LEN);

	for (char *p = id; p && *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && *p != '-' && *p != '_' && *p != '.')
			*p = '-';
	if (id && !((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z')))
		id[0] = 'v';
	return id;
}

/* The run's VM configuration: the scenario's, plus what the runner decides. */
static int build_config(struct sc_ctx *ctx, char **why)
{
	const struct scenario *sc = ctx->sc;
	const struct sc_target *t = ctx->target;
	bool guest = sc->level == SC_LEVEL_GUEST && !t->fake;
	json_object *cfg = NULL, *v;
	char *id;

	if (sc->vm)
		json_object_deep_copy(sc->vm, &cfg, NULL);
	else
		cfg = json_object_new_object();
	id = vm_id(sc->name);
	set_default(cfg, "id", json_object_new_string(id));
	free(id);
	json_object_object_add(cfg, "run_dir", json_object_new_string(ctx->workdir));
	json_object_object_add(cfg, "qemu", json_object_new_string(t->path));
	if (t->machine)
		set_default(cfg, "machine", json_object_new_string(t->machine));
	set_default(cfg, "vcpus", json_object_new_int(1));
	set_default(cfg, "max_vcpus", json_object_new_int(4));
	set_default(cfg, "memory_mb", json_object_new_int(guest ? 512 : 256));
	set_default(cfg, "accel",
		    json_object_new_string(
			sc->level == SC_LEVEL_GUEST && t->guest_accel ? t->guest_accel : t->accel));
	if (guest) {
		const char *params = NULL;
		char *joined;

		set_default(cfg, "kernel", json_object_new_string(ctx->opts->guest->kernel));
		set_default(cfg, "initrd", json_object_new_string(ctx->opts->guest->initrd));
		/* The console settings come first: the scenario's parameters win. */
		if (json_object_object_get_ex(cfg, "kernel_params", &v))
			params = json_object_get_string(v);
		if (asprintf(&joined, "%s%s%s", GUEST_PARAMS, params ? " " : "",
			     params ? params : "") < 0) {
			json_object_put(cfg);
			return -ENOMEM;
		}
		json_object_object_add(cfg, "kernel_params", json_object_new_string(joined));
		free(joined);
	} else if (!json_object_object_get_ex(cfg, "kernel", NULL)) {
		char *k = qdctl_halt_kernel(ctx->workdir);

		if (!k) {
			json_object_put(cfg);
			*why = strdup("cannot write the halt kernel");
			return -EIO;
		}
		json_object_object_add(cfg, "kernel", json_object_new_string(k));
		free(k);
	}
	ctx->cfg_json = cfg;
	return 0;
}

/* FAKEQEMU_* for fakeqemu (none for real QEMU: they would only confuse a wrapper). */
static int set_environment(struct sc_ctx *ctx, char **why)
{
	const struct scenario *sc = ctx->sc;
	const struct sc_target *t = ctx->target;

	for (const char *const *v = fakeqemu_vars; *v; v++)
		unsetenv(*v);
	if (!t->fake)
		return 0;
	if (t->fake_version || sc->fake_version)
		setenv("FAKEQEMU_VERSION", t->fake_version ? t->fake_version : sc->fake_version, 1);
	setenv("FAKEQEMU_GUEST",
	       sc->fake_guest ? sc->fake_guest
			      : (sc->level == SC_LEVEL_GUEST ? "cooperative" : "absent"),
	       1);
	if (sc->fake_faults) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/faults.json", ctx->workdir);
		if (json_object_to_file_ext(path, sc->fake_faults, JSON_C_TO_STRING_PRETTY) < 0) {
			if (asprintf(why, "cannot write %s: %s", path, json_util_get_last_err()) <
			    0)
				*why = NULL;
			return -EIO;
		}
		setenv("FAKEQEMU_FAULTS", path, 1);
	}
	if (sc->vfio_hosts) {
		size_t n = json_object_array_length(sc->vfio_hosts), len = 1;
		char *hosts;

		for (size_t i = 0; i < n; i++)
			len += strlen(json_object_get_string(
				   json_object_array_get_idx(sc->vfio_hosts, i))) +
			       1;
		hosts = calloc(1, len);
		if (!hosts)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			if (i)
				strcat(hosts, ",");
			strcat(hosts, json_object_get_string(
					  json_object_array_get_idx(sc->vfio_hosts, i)));
		}
		setenv("FAKEQEMU_VFIO_HOSTS", hosts, 1);
		free(hosts);
	}
	return 0;
}

static void clear_environment(void)
{
	for (const char *const *v = fakeqemu_vars; *v; v++)
		unsetenv(*v);
}

/* Why @sc cannot run on @t, or NULL (may be static text or malloc'd into *@owned). */
static const char *not_applicable(const struct scenario *sc, struct sc_target *t,
				  const struct sc_run_options *opts, char **owned)
{
	json_object *m;

	*owned = NULL;
	if (t->machine && sc->vm && json_object_object_get_ex(sc->vm, "machine", &m) &&
	    strcmp(json_object_get_string(m), t->machine)) {
		if (asprintf(owned, "the scenario is for machine %s, this column is %s",
			     json_object_get_string(m), t->machine) < 0)
			*owned = NULL;
		return *owned;
	}
	if (sc->fake_only && !t->fake) {
		if (asprintf(owned, "only fakeqemu can run it: %s",
			     sc->fake_only_reason ? sc->fake_only_reason : "?") < 0)
			*owned = NULL;
		return *owned;
	}
	if (sc->needs_kvm && !sc_kvm_usable())
		return "it needs KVM and /dev/kvm cannot be opened";
	if (sc->needs_taps && !qdctl_taps_usable())
		return "it needs tap devices, and qdctl cannot create one here (no /dev/net/tun, "
		       "or "
		       "no CAP_NET_ADMIN)";
	if (sc->level == SC_LEVEL_GUEST && t->fake)
		sc_guest_choose_accel(t, opts);
	if (sc->level == SC_LEVEL_GUEST && !t->fake) {
		if (sc_guest_files_get(opts->guest) < 0) {
			if (!t->guest_unavailable && opts->guest->error)
				t->guest_unavailable = strdup(opts->guest->error);
			return opts->guest->error ? opts->guest->error : "no test guest";
		}
		sc_guest_choose_accel(t, opts);
	}
	return NULL;
}

/* ---- observing a step ----------------------------------------------------------------------- */

/* Whether @n is the pid of a QEMU this run started. */
static bool known_pid(struct sc_ctx *ctx, long long n)
{
	for (size_t i = 0; ctx->pids && i < json_object_array_length(ctx->pids); i++)
		if (json_object_get_int64(json_object_array_get_idx(ctx->pids, i)) == n)
			return true;
	return false;
}

/*
 * Run-specific text (the run directory, QEMU's pids) written as @WORK@ and
 * @PID@, so that results compare across runs and QEMUs.
 */
static json_object *normalized_string(struct sc_ctx *ctx, const char *s)
{
	size_t wl = strlen(ctx->workdir), len = 0;
	const char *start = s;
	char *out = NULL;
	json_object *o;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return json_object_new_string(s);
	while (*s) {
		if (!strncmp(s, ctx->workdir, wl)) {
			fputs("@WORK@", f);
			s += wl;
		} else if (*s >= '0' && *s <= '9' && (s == start || s[-1] < '0' || s[-1] > '9')) {
			const char *e = s;

			while (*e >= '0' && *e <= '9')
				e++;
			if (known_pid(ctx, strtoll(s, NULL, 10)))
				fputs("@PID@", f);
			else
				fwrite(s, 1, (size_t)(e - s), f);
			s = e;
		} else {
			fputc(*s++, f);
		}
	}
	fclose(f);
	o = json_object_new_string(out ? out : "");
	free(out);
	return o;
}

/* A deep copy of @v with every string normalized. */
static json_object *normalized(struct sc_ctx *ctx, json_object *v)
{
	json_object *o;

	switch (json_object_get_type(v)) {
	case json_type_string:
		return normalized_string(ctx, json_object_get_string(v));
	case json_type_object:
		o = json_object_new_object();
		json_object_object_foreach(v, key, m)
		    json_object_object_add(o, key, normalized(ctx, m));
		return o;
	case json_type_array:
		o = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(v); i++)
			json_object_array_add(o, normalized(ctx, json_object_array_get_idx(v, i)));
		return o;
	default:
		return json_object_get(v);
	}
}

void sc_ctx_note_pid(struct sc_ctx *ctx, int pid)
{
	if (pid <= 0 || known_pid(ctx, pid))
		return;
	if (!ctx->pids)
		ctx->pids = json_object_new_array();
	json_object_array_add(ctx->pids, json_object_new_int(pid));
}

static json_object *observed_of(struct sc_ctx *ctx, int rc, const qd_error *err,
				json_object *result)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(rc == 0));
	if (rc < 0) {
		json_object *e = json_object_new_object();
		const char *name = sc_errno_name(-rc);

		json_object_object_add(e, "errno", json_object_new_string(name ? name : "?"));
		if (err->qmp_class)
			json_object_object_add(e, "class", json_object_new_string(err->qmp_class));
		json_object_object_add(e, "message",
				       normalized_string(ctx, err->message ? err->message : ""));
		json_object_object_add(o, "error", e);
	}
	json_object_object_foreach(result, key, v)
	    json_object_object_add(o, key, normalized(ctx, v));
	return o;
}

static json_object *step_event_names(struct sc_ctx *ctx, size_t from)
{
	json_object *names = json_object_new_array();

	for (size_t i = from; i < json_object_array_length(ctx->events); i++) {
		json_object *n;

		if (json_object_object_get_ex(json_object_array_get_idx(ctx->events, i), "event",
					      &n))
			json_object_array_add(names, json_object_get(n));
	}
	return names;
}

/* The machine type an alias ("pc") resolves to on this QEMU, once per target. */
static void learn_machine(struct sc_ctx *ctx)
{
	const char *alias = ctx->cfg.machine == QD_MACHINE_Q35 ? "q35" : "pc";
	json_object *ret = NULL;
	struct qd_qmp *q = ctx->vm ? qd_vm_qmp(ctx->vm) : NULL;

	json_object *log = ctx->qmp_log;
	int r;

	if (!q || json_object_object_get_ex(ctx->target->machines, alias, NULL))
		return;
	ctx->qmp_log = NULL; /* not part of the step */
	r = qd_qmp_execute(q, "query-machines", NULL, STOP_TIMEOUT_MS, &ret, NULL);
	ctx->qmp_log = log;
	if (r < 0)
		return;
	for (size_t i = 0; i < json_object_array_length(ret); i++) {
		json_object *m = json_object_array_get_idx(ret, i), *a, *n;

		if (json_object_object_get_ex(m, "alias", &a) &&
		    !strcmp(json_object_get_string(a), alias) &&
		    json_object_object_get_ex(m, "name", &n))
			json_object_object_add(ctx->target->machines, alias, json_object_get(n));
	}
	json_object_put(ret);
}

static void progress(const struct sc_run_options *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void progress(const struct sc_run_options *o, const char *fmt, ...)
{
	va_list ap;

	if (!o->progress)
		return;
	va_start(ap, fmt);
	vfprintf(o->progress, fmt, ap);
	va_end(ap);
	fflush(o->progress);
}

static const char *short_error(int rc)
{
	const char *n = sc_errno_name(-rc);

	return n ? n : "error";
}

/* Run one step; its record is appended to @steps. Return: 0 passed or skipped, -1 failed. */
static int run_step(struct sc_ctx *ctx, const struct sc_step *s, json_object *steps)
{
	json_object *rec = json_object_new_object(), *result, *failures, *observed;
	char *label = sc_step_label(s);
	qd_error err = {0};
	int64_t t0 = qdctl_now_ms();
	size_t first_event;
	int rc;

	json_object_object_add(rec, "index", json_object_new_int((int)s->index));
	json_object_object_add(rec, "op", json_object_new_string(s->op->name));
	json_object_object_add(rec, "label", json_object_new_string(label));
	json_object_array_add(steps, rec);
	if ((s->op->flags & SC_OP_CONSOLE) && ctx->target->fake) {
		progress(ctx->opts, "  [%2zu/%zu] %-34s skip (fakeqemu runs no guest)\n", s->index,
			 ctx->sc->nsteps, label);
		json_object_object_add(rec, "outcome", json_object_new_string("skip"));
		json_object_object_add(
		    rec, "reason", json_object_new_string("fakeqemu runs no guest: no console"));
		free(label);
		return 0;
	}
	ctx->timeout_ms = s->timeout_ms >= 0 ? s->timeout_ms : ctx->sc->timeout_ms;
	sc_ctx_drain_events(ctx); /* events from before the step are not its own */
	ctx->step_index = (int)s->index;
	ctx->qmp_log = json_object_new_array();
	first_event = ctx->step_events = json_object_array_length(ctx->events);
	result = json_object_new_object();
	/* These may close the connection the watches are on. */
	if (!strcmp(s->op->name, "start") || !strcmp(s->op->name, "stop") ||
	    !strcmp(s->op->name, "restart"))
		sc_events_release(ctx);
	rc = s->op->run(ctx, s, result, &err);
	sc_events_arm(ctx);
	sc_ctx_drain_events(ctx);
	observed = observed_of(ctx, rc, &err, result);
	failures = json_object_new_array();
	sc_check_expect(ctx, s, rc, &err, observed, failures);
	if (rc == 0 && !strcmp(s->op->name, "start"))
		learn_machine(ctx);
	json_object_object_add(
	    rec, "outcome",
	    json_object_new_string(json_object_array_length(failures) ? "fail" : "pass"));
	json_object_object_add(rec, "duration_ms", json_object_new_int64(qdctl_now_ms() - t0));
	json_object_object_add(rec, "observed", observed);
	json_object_object_add(rec, "events", step_event_names(ctx, first_event));
	json_object_object_add(rec, "failures", json_object_get(failures));
	json_object_object_add(rec, "qmp", ctx->qmp_log);
	ctx->qmp_log = NULL;
	progress(ctx->opts, "  [%2zu/%zu] %-34s %s%s%s %5lld ms\n", s->index, ctx->sc->nsteps,
		 label, json_object_array_length(failures) ? "FAIL" : "ok", rc < 0 ? " " : "",
		 rc < 0 ? short_error(rc) : "", (long long)(qdctl_now_ms() - t0));
	for (size_t i = 0; i < json_object_array_length(failures); i++)
		progress(ctx->opts, "           ! %s\n",
			 json_object_get_string(json_object_array_get_idx(failures, i)));
	rc = json_object_array_length(failures) ? -1 : 0;
	json_object_put(failures);
	json_object_put(result);
	qd_error_clear(&err);
	free(label);
	return rc;
}

/* The last lines of QEMU's log, for a failed run. */
static json_object *qemu_log_tail(struct sc_ctx *ctx)
{
	char path[PATH_MAX], *lines[QEMU_LOG_LINES] = {0}, *line = NULL;
	size_t cap = 0, n = 0;
	json_object *arr = json_object_new_array();
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/qemu.log", ctx->cfg.run_dir, ctx->cfg.id);
	f = fopen(path, "r");
	if (!f)
		return arr;
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		free(lines[n % QEMU_LOG_LINES]);
		lines[n % QEMU_LOG_LINES] = strdup(line);
		n++;
	}
	fclose(f);
	free(line);
	for (size_t i = n > QEMU_LOG_LINES ? n - QEMU_LOG_LINES : 0; i < n; i++) {
		json_object_array_add(arr, json_object_new_string(lines[i % QEMU_LOG_LINES]
								      ? lines[i % QEMU_LOG_LINES]
								      : ""));
	}
	for (size_t i = 0; i < QEMU_LOG_LINES; i++)
		free(lines[i]);
	return arr;
}

/* The guest console's last lines, for a failed guest-level run. */
static json_object *console_tail(const struct sc_console *c)
{
	size_t n = json_object_array_length(c->log);
	json_object *arr = json_object_new_array();

	for (size_t i = n > QEMU_LOG_LINES ? n - QEMU_LOG_LINES : 0; i < n; i++)
		json_object_array_add(arr, json_object_get(json_object_array_get_idx(c->log, i)));
	return arr;
}

static void remove_tree(const char *dir)
{
	char *argv[] = {"rm", "-rf", (char *)dir, NULL}, *out = NULL;
	int status;

	qdctl_run_capture(argv, 60000, &out, &status);
	free(out);
}

static const char *qd_json_str(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static void add_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, value ? json_object_new_string(value) : NULL);
}

static json_object *result_head(const char *name, const char *path, const char *target_id)
{
	json_object *res = json_object_new_object();

	add_str(res, "scenario", name);
	add_str(res, "file", path);
	add_str(res, "target", target_id);
	return res;
}

json_object *sc_invalid_result(const char *path, const char *message, const char *target_id)
{
	const char *slash = strrchr(path, '/');
	char *name = strdup(slash ? slash + 1 : path);
	json_object *res;

	if (name && strlen(name) > 5 && !strcmp(name + strlen(name) - 5, ".json"))
		name[strlen(name) - 5] = '\0';
	res = result_head(name, path, target_id);
	add_str(res, "outcome", "error");
	add_str(res, "reason", message);
	json_object_object_add(res, "steps", json_object_new_array());
	free(name);
	return res;
}

/* The known issue of @sc that matches this run, or NULL. */
static json_object *known_issue(const struct scenario *sc, const struct sc_target *t,
				const char *accel, const char *outcome)
{
	for (size_t i = 0; sc->known && i < json_object_array_length(sc->known); i++) {
		json_object *k = json_object_array_get_idx(sc->known, i), *v;
		bool fake = json_object_object_get_ex(k, "fake", &v) && json_object_get_boolean(v);

		if (fake != t->fake ||
		    fnmatch(json_object_get_string(json_object_object_get(k, "qemu")), t->version,
			    0) != 0)
			continue;
		if (json_object_object_get_ex(k, "accel", &v) &&
		    strcmp(json_object_get_string(v), accel))
			continue;
		if (outcome && json_object_object_get_ex(k, "outcome", &v) &&
		    strcmp(json_object_get_string(v), outcome))
			continue;
		return k;
	}
	return NULL;
}

json_object *sc_run(const struct scenario *sc, struct sc_target *t,
		    const struct sc_run_options *opts)
{
	struct sc_ctx ctx = {.sc = sc, .target = t, .opts = opts, .console = {.fd = -1}};
	json_object *res = result_head(sc->name, sc->path, t->id), *steps = json_object_new_array();
	const char *na, *outcome = "pass";
	char *owned = NULL, *why = NULL, dir[PATH_MAX];
	qd_error err = {0};
	json_object *known = NULL;
	int failed_step = 0;

	ctx.t0_ms = qdctl_now_ms();
	add_str(res, "description", sc->description);
	add_str(res, "level", sc->level == SC_LEVEL_GUEST ? "guest" : "qemu");
	json_object_object_add(res, "tags", json_object_get(sc->tags));
	json_object_object_add(res, "steps", steps);
	progress(opts, "=== %s (%s level) on %s%s%s\n", sc->name,
		 sc->level == SC_LEVEL_GUEST ? "guest" : "QEMU", t->label,
		 sc->description ? ": " : "", sc->description ? sc->description : "");
	na = not_applicable(sc, t, opts, &owned);
	if (na) {
		progress(opts, "--- SKIP %s: %s\n", sc->name, na);
		add_str(res, "outcome", "skip");
		add_str(res, "reason", na);
		free(owned);
		return res;
	}
	if (sc->level == SC_LEVEL_GUEST && !t->fake)
		add_str(res, "accel", t->guest_accel);
	snprintf(dir, sizeof(dir), "%s/qdctl-sc-XXXXXX", opts->work_base);
	if (!mkdtemp(dir)) {
		add_str(res, "outcome", "error");
		add_str(res, "reason", "cannot create a run directory");
		return res;
	}
	ctx.workdir = strdup(dir);
	ctx.events = json_object_new_array();
	sc_events_init(&ctx);
	if (build_config(&ctx, &why) < 0 || set_environment(&ctx, &why) < 0 ||
	    sc_ctx_new_vm(&ctx, &err) < 0) {
		char *m = why ? why : err.message;

		if (asprintf(&owned, "cannot set up the VM: %s",
			     m ? (strncmp(m, "config: ", 8) ? m : m + 8) : "?") < 0)
			owned = NULL;
		outcome = "error";
		add_str(res, "reason", owned);
		progress(opts, "--- ERROR %s: %s\n", sc->name, owned ? owned : "");
		goto out;
	}
	for (size_t i = 0; i < sc->nsteps; i++) {
		if (run_step(&ctx, &sc->steps[i], steps) < 0) {
			failed_step = (int)i + 1;
			outcome = "fail";
			break;
		}
	}
	for (size_t i = (size_t)failed_step; failed_step && i < sc->nsteps; i++) {
		json_object *rec = json_object_new_object();
		char *label = sc_step_label(&sc->steps[i]);

		json_object_object_add(rec, "index", json_object_new_int((int)i + 1));
		json_object_object_add(rec, "op", json_object_new_string(sc->steps[i].op->name));
		json_object_object_add(rec, "label", json_object_new_string(label));
		json_object_object_add(rec, "outcome", json_object_new_string("not-run"));
		json_object_array_add(steps, rec);
		free(label);
	}
	/* A lost connection: give a dying QEMU a moment to be seen dead. */
	if (failed_step && ctx.vm && qd_vm_qmp(ctx.vm) && qd_qmp_broken(qd_vm_qmp(ctx.vm), NULL))
		sc_ctx_qemu_wait_gone(&ctx, 2000);
	/* A failure with QEMU dead by a signal nobody sent is a crash: a finding of its own. */
	if (failed_step && !sc_ctx_qemu_running(&ctx) && ctx.qemu_exit &&
	    strstr(ctx.qemu_exit, "signal") && !ctx.expect_qemu_gone && !sc->fake_faults) {
		outcome = "crash";
		if (asprintf(&owned, "QEMU %s during step %d", ctx.qemu_exit, failed_step) < 0)
			owned = NULL;
		add_str(res, "reason", owned);
	} else if (failed_step) {
		json_object *rec = json_object_array_get_idx(steps, (size_t)failed_step - 1), *f;

		json_object_object_get_ex(rec, "failures", &f);
		if (asprintf(&owned, "step %d (%s): %s", failed_step,
			     json_object_get_string(json_object_object_get(rec, "label")),
			     json_object_get_string(json_object_array_get_idx(f, 0))) < 0)
			owned = NULL;
		add_str(res, "reason", owned);
	}
	{
		const char *accel = ctx.cfg_loaded && ctx.cfg.accel ? ctx.cfg.accel : t->accel;
		bool passed = !strcmp(outcome, "pass");

		known = known_issue(sc, t, accel, passed ? NULL : outcome);
		if (known)
			add_str(res, passed ? "known_not_reproduced" : "known",
				qd_json_str(known, "reason"));
	}
	if (strcmp(outcome, "pass")) {
		json_object_object_add(res, "qemu_log", qemu_log_tail(&ctx));
		if (ctx.console.log)
			json_object_object_add(res, "console", console_tail(&ctx.console));
	}
	if (strcmp(outcome, "pass") && ctx.qemu_exit)
		add_str(res, "qemu_exit", ctx.qemu_exit);
	progress(opts, "--- %s %s (%zu steps, %lld ms)%s%s%s%s%s\n",
		 !strcmp(outcome, "pass")    ? "PASS"
		 : !strcmp(outcome, "crash") ? "CRASH"
					     : "FAIL",
		 sc->name, sc->nsteps, (long long)(qdctl_now_ms() - ctx.t0_ms),
		 strcmp(outcome, "pass") && owned ? ": " : "",
		 strcmp(outcome, "pass") && owned ? owned : "",
		 known ? (strcmp(outcome, "pass") ? " [known issue: "
						  : " [known issue did not "
						    "reproduce: ")
		       : "",
		 known ? qd_json_str(known, "reason") : "", known ? "]" : "");
out:
	if (ctx.watch_names)
		sc_events_free(&ctx);
	if (ctx.vm && sc_ctx_qemu_running(&ctx)) {
		qd_error ignored = {0};

		qd_vm_stop(ctx.vm, STOP_TIMEOUT_MS, &ignored);
		qd_error_clear(&ignored);
	}
	sc_console_free(&ctx.console);
	qd_vm_free(ctx.vm);
	if (ctx.cfg_loaded)
		qd_vm_config_clear(&ctx.cfg);
	json_object_put(ctx.cfg_json);
	json_object_put(ctx.events);
	json_object_put(ctx.pids);
	clear_environment();
	add_str(res, "outcome", outcome);
	json_object_object_add(res, "duration_ms",
			       json_object_new_int64(qdctl_now_ms() - ctx.t0_ms));
	if (opts->keep) {
		add_str(res, "workdir", ctx.workdir);
		progress(opts, "    (run directory kept: %s)\n", ctx.workdir);
	} else {
		remove_tree(ctx.workdir);
	}
	free(ctx.workdir);
	free(ctx.qemu_exit);
	free(owned);
	free(why);
	qd_error_clear(&err);
	return res;
}
