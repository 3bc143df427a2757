/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vm.c - the VM facade: create, start, wait for QMP, pause, resume, status, stop */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "argv.h"
#include "cleanup.h"
#include "config.h"
#include "deadline.h"
#include "error.h"
#include "host.h"
#include "launch.h"
#include "log.h"
#include "state.h"
#include "vm_private.h"

/* The first root-bus slot the bridges take (kata's bridgePCIStartAddr). */
#define BRIDGE_FIRST_ADDR 2
/* The path-based mode polls for QEMU's socket this often, as the seed did. */
#define PATH_MODE_POLL_MS 50

static char *keep(struct qd_vm *vm, const char *s)
{
	char **p;

	if (!s)
		return NULL;
	p = realloc(vm->strings, (vm->nstrings + 1) * sizeof(char *));
	if (!p)
		return NULL;
	vm->strings = p;
	p[vm->nstrings] = strdup(s);
	return p[vm->nstrings++];
}

/* A deep copy of @in whose strings belong to @vm. */
static int copy_config(struct qd_vm *vm, const struct qd_vm_config *in)
{
	struct qd_device *devs = NULL;

	vm->cfg = *in;
#define K(f) vm->cfg.f = keep(vm, in->f)
	K(id);
	K(name);
	K(qemu_path);
	K(run_dir);
	K(machine_options);
	K(accel);
	K(cpu_model);
	K(cpu_features);
	K(kernel);
	K(initrd);
	K(image);
	K(kernel_params);
	K(firmware);
	K(cpuinfo_path);
	K(meminfo_path);
#undef K
	if (in->ndevices) {
		devs = calloc(in->ndevices, sizeof(*devs));
		if (!devs)
			return -ENOMEM;
		for (size_t i = 0; i < in->ndevices; i++) {
			const struct qd_device *d = &in->devices[i];

			devs[i] = *d;
			devs[i].id = keep(vm, d->id);
			devs[i].path = keep(vm, d->path);
			devs[i].tag = keep(vm, d->tag);
			devs[i].ifname = keep(vm, d->ifname);
			devs[i].mac = keep(vm, d->mac);
			devs[i].format = keep(vm, d->format);
			devs[i].bdf = keep(vm, d->bdf);
		}
	}
	vm->cfg.devices = devs;
	return 0;
}

static int init_paths(struct qd_vm *vm, qd_error *err)
{
	_cleanup_free_ char *qmp_name = NULL;
	int shortened, r;

	if (asprintf(&vm->dir, "%s/%s", vm->cfg.run_dir, vm->cfg.id) < 0 ||
	    asprintf(&vm->state_path, "%s/state.json", vm->dir) < 0 ||
	    asprintf(&vm->log_path, "%s/qemu.log", vm->dir) < 0 ||
	    asprintf(&vm->pidfile, "%s/qemu.pid", vm->dir) < 0)
		return qd_error_set(err, -ENOMEM, "out of memory");
	r = qd_mkdir_private(vm->dir, err);
	if (r < 0)
		return r;
	if (asprintf(&qmp_name, "qmp-%s", vm->st.uuid) < 0)
		return qd_error_set(err, -ENOMEM, "out of memory");
	r = qd_socket_path(vm->dir, qmp_name, &vm->qmp_path, &shortened, err);
	if (r < 0)
		return r;
	if (shortened)
		qd_log(&vm->log, QD_LOG_WARNING, "shortening QMP socket name %s to %s", qmp_name,
		       strrchr(vm->qmp_path, '/') + 1);
	return qd_socket_path(vm->dir, "console.sock", &vm->console_path, &shortened, err);
}

/* First use: a UUID and the bridges, saved before anything runs. */
static int create_state(struct qd_vm *vm, qd_error *err)
{
	uuid_t u;

	uuid_generate(u);
	uuid_unparse_lower(u, vm->st.uuid);
	for (unsigned i = 0; i < vm->cfg.bridges; i++) {
		char id[32];

		snprintf(id, sizeof(id), "pci-bridge-%u", i);
		if (qd_state_add_bridge(&vm->st, id, BRIDGE_FIRST_ADDR + (int)i, (int)i + 1) < 0)
			return qd_error_set(err, -ENOMEM, "out of memory");
	}
	return qd_state_save(vm->state_path, &vm->st, err);
}

int qd_vm_new(const struct qd_vm_config *cfg, struct qd_vm **out, qd_error *err)
{
	struct qd_host_facts host = {.ncpus = qd_host_ncpus()};
	struct qd_vm_config resolved;
	struct qd_vm *vm;
	int r;

	*out = NULL;
	if (!cfg)
		return qd_error_set(err, -EINVAL, "no configuration");
	r = qd_host_mem_mb(cfg->meminfo_path, &host.mem_mb, err);
	if (r < 0)
		return r;
	if (!cfg->disable_nesting_checks) {
		r = qd_host_is_nested(cfg->cpuinfo_path, err);
		if (r < 0)
			return r;
		host.nested = r == 1;
	}
	r = qd_config_resolve(cfg, &host, &resolved, err);
	if (r < 0)
		return r;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return qd_error_set(err, -ENOMEM, "out of memory");
	pthread_mutex_init(&vm->lock, NULL);
	vm->log.max_level = QD_LOG_WARNING;
	vm->proc.pid = -1;
	vm->proc.pidfd = -1;
	vm->nested = host.nested;
	if (copy_config(vm, &resolved) < 0) {
		qd_vm_free(vm);
		return qd_error_set(err, -ENOMEM, "out of memory");
	}
	/* The directory first (the state lives in it), then paths that need the UUID. */
	if (asprintf(&vm->dir, "%s/%s", vm->cfg.run_dir, vm->cfg.id) < 0 ||
	    asprintf(&vm->state_path, "%s/state.json", vm->dir) < 0) {
		qd_vm_free(vm);
		return qd_error_set(err, -ENOMEM, "out of memory");
	}
	r = qd_mkdir_private(vm->dir, err);
	if (r == 0) {
		r = qd_state_load(vm->state_path, &vm->st, err);
		if (r == -ENOENT)
			r = create_state(vm, err);
	}
	free(vm->dir);
	free(vm->state_path);
	vm->dir = vm->state_path = NULL;
	if (r == 0)
		r = init_paths(vm, err);
	if (r < 0) {
		qd_vm_free(vm);
		return r;
	}
	*out = vm;
	return 0;
}

void qd_vm_set_log(struct qd_vm *vm, qd_log_fn fn, void *opaque, int level)
{
	vm->log.fn = fn;
	vm->log.opaque = opaque;
	vm->log.max_level = level;
}

static int build_argv(struct qd_vm *vm, const char *qemu, int qmp_fd, char ***out, qd_error *err)
{
	struct qd_launch_params lp = {
	    .qemu = qemu,
	    .uuid = vm->st.uuid,
	    .state = &vm->st,
	    .qmp_path = vm->qmp_path,
	    .qmp_fd = qmp_fd,
	    .console_path = vm->console_path,
	    .pidfile = vm->pidfile,
	    .nested = vm->nested,
	};

	return qd_build_argv(&vm->cfg, &lp, out, err);
}

int qd_vm_argv(struct qd_vm *vm, char ***out, qd_error *err)
{
	_cleanup_free_ char *qemu = NULL;
	int r;

	r = qd_qemu_binary(vm->cfg.qemu_path, &qemu, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&vm->lock);
	r = build_argv(vm, qemu, vm->cfg.qmp_path_mode ? -1 : qd_launch_qmp_child_fd(), out, err);
	pthread_mutex_unlock(&vm->lock);
	return r;
}

/* QEMU died before QMP was ready: its own words go into the error. */
static int early_exit_error(struct qd_vm *vm, qd_error *err)
{
	_cleanup_free_ char *how = qd_describe_exit(vm->proc.status);
	_cleanup_free_ char *tail = qd_log_tail(vm->log_path, 5);

	return qd_error_set(err, -ECHILD, "QEMU %s before QMP was ready: %s", how ? how : "exited",
			    tail && *tail ? tail : "(no output)");
}

static void kill_and_reap(struct qd_vm *vm)
{
	if (vm->proc.pid > 0 && !vm->proc.exited) {
		kill(vm->proc.pid, SIGKILL);
		qd_process_wait(&vm->proc, 5000);
	}
	qd_process_close(&vm->proc);
	vm->proc.pid = -1;
}

/* Wait until QMP has data or QEMU exits; the QMP handshake follows. */
static int wait_qmp_or_exit(struct qd_vm *vm, int qmp_fd, int64_t deadline, qd_error *err,
			    int timeout_ms)
{
	for (;;) {
		struct pollfd pfd[2] = {
		    {.fd = qmp_fd, .events = POLLIN},
		    {.fd = vm->proc.pidfd, .events = POLLIN},
		};
		int left = qd_deadline_left_ms(deadline);
		int r = poll(pfd, vm->proc.pidfd >= 0 ? 2 : 1,
			     vm->proc.pidfd >= 0 || left < PATH_MODE_POLL_MS ? left
									     : PATH_MODE_POLL_MS);

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 && vm->proc.pidfd < 0 && qd_process_poll_exit(&vm->proc))
			return early_exit_error(vm, err);
		if (r < 0)
			return qd_error_set(err, -errno, "poll: %s", strerror(errno));
		if (pfd[0].revents)
			return 0; /* the greeting (or EOF, which the handshake reports) */
		if (r > 0 && pfd[1].revents) {
			qd_process_wait(&vm->proc, 0);
			return early_exit_error(vm, err);
		}
		if (qd_deadline_left_ms(deadline) == 0)
			return qd_error_set(err, -ETIMEDOUT,
					    "QEMU did not answer on QMP within %d ms (it is still "
					    "running; killed)",
					    timeout_ms);
	}
}

/* The seed's way: QEMU creates the socket; connect every 50 ms until it is there. */
static int connect_path_mode(struct qd_vm *vm, int64_t deadline, int *fd, qd_error *err,
			     int timeout_ms)
{
	for (;;) {
		int r = qd_connect_unix(vm->qmp_path, fd, err);

		if (r == 0)
			return 0;
		if (r != -ENOENT && r != -ECONNREFUSED)
			return qd_error_set(err, r, "cannot connect to %s: %s", vm->qmp_path,
					    strerror(-r));
		if (qd_process_wait(&vm->proc, 0) == 0 && vm->proc.exited)
			return early_exit_error(vm, err);
		if (qd_deadline_left_ms(deadline) == 0)
			return qd_error_set(err, -ETIMEDOUT,
					    "QEMU did not create its QMP socket within %d ms",
					    timeout_ms);
		poll(NULL, 0, PATH_MODE_POLL_MS);
	}
}

/* -daemonize: the process we ran exits once QEMU is up; follow the real one. */
static int follow_daemon(struct qd_vm *vm, int64_t deadline, qd_error *err)
{
	FILE *f;
	int pid = -1, r;

	r = qd_process_wait(&vm->proc, qd_deadline_left_ms(deadline));
	if (r < 0)
		return qd_error_set(err, -ETIMEDOUT, "QEMU did not daemonize in time");
	if (!WIFEXITED(vm->proc.status) || WEXITSTATUS(vm->proc.status) != 0)
		return early_exit_error(vm, err);
	qd_process_close(&vm->proc);
	f = fopen(vm->pidfile, "r");
	if (!f || fscanf(f, "%d", &pid) != 1 || pid <= 0) {
		if (f)
			fclose(f);
		return qd_error_set(err, -EPROTO, "QEMU daemonized but its pidfile %s is unusable",
				    vm->pidfile);
	}
	fclose(f);
	return qd_process_adopt(pid, &vm->proc, err);
}

/* A new QEMU has none of the last one's hot-plugged vCPUs and devices. */
static void forget_hotplugged(struct qd_vm *vm)
{
	if (vm->st.nvcpus || vm->st.ndevices)
		qd_log(&vm->log, QD_LOG_INFO,
		       "new QEMU: forgetting %zu hot-plugged vCPUs and %zu devices of the last one",
		       vm->st.nvcpus, vm->st.ndevices);
	while (vm->st.nvcpus)
		qd_state_remove_vcpu(&vm->st, vm->st.vcpus[0].id);
	while (vm->st.ndevices)
		qd_state_remove_device(&vm->st, vm->st.devices[0].id);
	for (size_t i = 0; i < vm->st.nbridges; i++)
		for (int s = 0; s < QD_BRIDGE_SLOTS; s++) {
			free(vm->st.bridges[i].slots[s]);
			vm->st.bridges[i].slots[s] = NULL;
		}
}

int qd_vm_start(struct qd_vm *vm, int timeout_ms, qd_error *err)
{
	_cleanup_free_ char *qemu = NULL;
	_cleanup_close_ int listen_fd = -1, client_fd = -1;
	struct qd_qmp_options opts = {
	    .log_fn = vm->log.fn,
	    .log_opaque = vm->log.opaque,
	    .log_level = vm->log.max_level,
	};
	char **argv = NULL;
	int64_t deadline;
	int r;

	r = qd_error_check_timeout(err, timeout_ms);
	if (r < 0)
		return r;
	deadline = qd_deadline_after_ms(timeout_ms);
	pthread_mutex_lock(&vm->lock);
	if (vm->proc.pid > 0 && !qd_process_poll_exit(&vm->proc)) {
		r = qd_error_set(err, -EALREADY, "VM %s is already running (pid %d)", vm->cfg.id,
				 (int)vm->proc.pid);
		goto out;
	}
	qd_qmp_free(vm->qmp);
	vm->qmp = NULL;
	r = qd_qemu_binary(vm->cfg.qemu_path, &qemu, err);
	if (r < 0)
		goto out;
	if (!vm->cfg.qmp_path_mode) {
		/* Listening before QEMU starts: we connect at once, no polling. */
		r = qd_listen_unix(vm->qmp_path, &listen_fd, err);
		if (r < 0)
			goto out;
		r = qd_connect_unix(vm->qmp_path, &client_fd, err);
		if (r < 0) {
			r = qd_error_set(err, r, "cannot connect to %s: %s", vm->qmp_path,
					 strerror(-r));
			goto out;
		}
	} else {
		unlink(vm->qmp_path);
	}
	unlink(vm->console_path);
	forget_hotplugged(vm);
	r = build_argv(vm, qemu, listen_fd >= 0 ? qd_launch_qmp_child_fd() : -1, &argv, err);
	if (r < 0)
		goto out;
	if (vm->nested)
		qd_log(&vm->log, QD_LOG_INFO,
		       "host is a VM (hypervisor flag): nesting workarounds applied (-cpu host "
		       "gets -arch-capabilities,pmu=off; virtio devices disable-modern=true)");
	r = qd_spawn(argv, listen_fd, vm->log_path, &vm->proc, err);
	qd_argv_free(argv);
	if (r < 0)
		goto out;
	/* QEMU holds the listener now: if it dies, our queued connection sees EOF. */
	if (listen_fd >= 0) {
		close(listen_fd);
		listen_fd = -1;
	}
	qd_log(&vm->log, QD_LOG_INFO, "started QEMU pid %d for VM %s", (int)vm->proc.pid,
	       vm->cfg.id);
	if (vm->cfg.daemonize) {
		r = follow_daemon(vm, deadline, err);
		if (r < 0)
			goto fail;
	}
	/* Saved while QEMU boots, so the fsyncs overlap its start-up. */
	vm->st.qemu_pid = (int)vm->proc.pid;
	r = qd_state_save_quick(vm->state_path, &vm->st, err);
	if (r < 0)
		goto fail;
	if (vm->cfg.qmp_path_mode) {
		r = connect_path_mode(vm, deadline, &client_fd, err, timeout_ms);
		if (r < 0)
			goto fail;
	}
	r = wait_qmp_or_exit(vm, client_fd, deadline, err, timeout_ms);
	if (r < 0)
		goto fail;
	r = qd_qmp_open_fd(steal_fd(&client_fd), &opts, &vm->qmp, err);
	if (r == 0)
		r = qd_qmp_handshake(vm->qmp, qd_deadline_left_ms(deadline), err);
	if (r < 0) {
		/* QEMU closed the socket: it is exiting; say why if it did. */
		if (qd_process_wait(&vm->proc, 1000) == 0 && vm->proc.exited)
			r = early_exit_error(vm, err);
		goto fail;
	}
	r = 0;
	goto out;
fail:
	qd_qmp_free(vm->qmp);
	vm->qmp = NULL;
	kill_and_reap(vm);
	if (vm->st.qemu_pid) {
		qd_error ignored = {0};

		vm->st.qemu_pid = 0;
		qd_state_save(vm->state_path, &vm->st, &ignored);
		qd_error_clear(&ignored);
	}
out:
	if (!vm->cfg.qmp_path_mode && r < 0)
		unlink(vm->qmp_path);
	pthread_mutex_unlock(&vm->lock);
	return r;
}

static int need_qmp(struct qd_vm *vm, qd_error *err)
{
	if (!vm->qmp)
		return qd_error_set(err, -ENOTCONN, "VM %s is not running", vm->cfg.id);
	return 0;
}

static int simple_command(struct qd_vm *vm, const char *cmd, int timeout_ms, qd_error *err)
{
	int r;

	pthread_mutex_lock(&vm->lock);
	r = need_qmp(vm, err);
	if (r == 0)
		r = qd_qmp_execute(vm->qmp, cmd, NULL, timeout_ms, NULL, err);
	pthread_mutex_unlock(&vm->lock);
	return r;
}

int qd_vm_pause(struct qd_vm *vm, int timeout_ms, qd_error *err)
{
	return simple_command(vm, "stop", timeout_ms, err);
}

int qd_vm_resume(struct qd_vm *vm, int timeout_ms, qd_error *err)
{
	return simple_command(vm, "cont", timeout_ms, err);
}

int qd_vm_status(struct qd_vm *vm, int timeout_ms, char **out, qd_error *err)
{
	_cleanup_json_ json_object *ret = NULL;
	json_object *status;
	int r;

	*out = NULL;
	pthread_mutex_lock(&vm->lock);
	r = need_qmp(vm, err);
	if (r == 0)
		r = qd_qmp_execute(vm->qmp, "query-status", NULL, timeout_ms, &ret, err);
	pthread_mutex_unlock(&vm->lock);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(ret, "status", &status))
		return qd_error_set(err, -EPROTO, "query-status returned no status");
	*out = strdup(json_object_get_string(status));
	return *out ? 0 : qd_error_set(err, -ENOMEM, "out of memory");
}

int qd_vm_stop(struct qd_vm *vm, int timeout_ms, qd_error *err)
{
	int r;

	r = qd_error_check_timeout(err, timeout_ms);
	if (r < 0)
		return r;
	pthread_mutex_lock(&vm->lock);
	if (vm->proc.pid <= 0) {
		pthread_mutex_unlock(&vm->lock);
		return 0;
	}
	if (!qd_process_poll_exit(&vm->proc) && vm->qmp) {
		qd_error ignored = {0};

		/* QEMU may have just died: a failing quit is not an error. */
		if (qd_qmp_execute(vm->qmp, "quit", NULL, timeout_ms, NULL, &ignored) < 0)
			qd_log(&vm->log, QD_LOG_INFO, "quit: %s", ignored.message);
		qd_error_clear(&ignored);
	}
	if (qd_process_wait(&vm->proc, timeout_ms) < 0) {
		qd_log(&vm->log, QD_LOG_WARNING, "QEMU pid %d ignored quit: SIGTERM",
		       (int)vm->proc.pid);
		kill(vm->proc.pid, SIGTERM);
		if (qd_process_wait(&vm->proc, timeout_ms) < 0) {
			qd_log(&vm->log, QD_LOG_WARNING, "QEMU pid %d ignored SIGTERM: SIGKILL",
			       (int)vm->proc.pid);
			kill(vm->proc.pid, SIGKILL);
			r = qd_process_wait(&vm->proc, timeout_ms);
			if (r < 0)
				r = qd_error_set(err, r, "QEMU pid %d did not die after SIGKILL",
						 (int)vm->proc.pid);
		}
	}
	qd_qmp_free(vm->qmp);
	vm->qmp = NULL;
	if (r == 0) {
		qd_error ignored = {0};

		qd_process_close(&vm->proc);
		vm->proc.pid = -1;
		vm->st.qemu_pid = 0;
		if (qd_state_save(vm->state_path, &vm->st, &ignored) < 0)
			qd_log(&vm->log, QD_LOG_WARNING, "%s", ignored.message);
		qd_error_clear(&ignored);
		unlink(vm->qmp_path);
		unlink(vm->console_path);
	}
	pthread_mutex_unlock(&vm->lock);
	return r;
}

struct qd_qmp *qd_vm_qmp(struct qd_vm *vm)
{
	return vm->qmp;
}

int qd_vm_pid(struct qd_vm *vm)
{
	return vm->proc.pid > 0 && !vm->proc.exited ? (int)vm->proc.pid : -1;
}

const char *qd_vm_uuid(struct qd_vm *vm)
{
	return vm->st.uuid;
}

const char *qd_vm_dir(struct qd_vm *vm)
{
	return vm->dir;
}

const char *qd_vm_console_path(struct qd_vm *vm)
{
	return vm->console_path;
}

void qd_vm_free(struct qd_vm *vm)
{
	if (!vm)
		return;
	qd_qmp_free(vm->qmp);
	qd_process_close(&vm->proc);
	qd_state_clear(&vm->st);
	free((void *)vm->cfg.devices);
	for (size_t i = 0; i < vm->nstrings; i++)
		free(vm->strings[i]);
	free(vm->strings);
	free(vm->dir);
	free(vm->state_path);
	free(vm->log_path);
	free(vm->pidfile);
	free(vm->qmp_path);
	free(vm->console_path);
	pthread_mutex_destroy(&vm->lock);
	free(vm);
}
