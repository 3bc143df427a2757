/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vm.c - the VM facade: create, start, wait for QMP, pause, resume, status, stop, destroy */
#include <errno.h>
#include <fcntl.h>
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
#include "qmp_client.h"
#include "qmp_commands.h"
#include "state.h"
#include "vm_dir.h"
#include "vm_private.h"

/*
 * DOC: what is durable
 *
 * The state file holds two kinds of record. The UUID and the bridges outlive
 * QEMU: they are written with fsync (file and directory), with a copy in an
 * extended attribute of the VM directory, when they change, which is when the
 * VM is created and when a start applies a new bridge count. Everything else
 * describes the running QEMU (its pid, the hot-plugged vCPUs and devices, the
 * intents before a step whose outcome may be lost) and dies with it on a power
 * loss, so it is written without waiting for the disk, and never so that a
 * reader or a process crash could see half of it (state_file.c: a page
 * overwritten in place, or a new file put in the old one's place). After a
 * power loss the file is some version since the last durable one, or empty or
 * torn, in which case qd_vm_new() rebuilds it from the durable copy; the next
 * start forgets the rest. Not paying an fsync, nor a new file, per hot-plug
 * step is what keeps hot-plug fast on a disk-backed run directory.
 */

/* The path-based launch mode polls for QEMU's socket this often, as the seed did. */
#define PATH_MODE_POLL_MS 50
/* After a failed handshake, how long to wait for QEMU's exit status (within the deadline). */
#define EXIT_STATUS_WAIT_MS 1000

static int min_int(int a, int b)
{
	return a < b ? a : b;
}

static char *keep(struct qd_vm *vm, const char *s, int *failed)
{
	char **p, *copy;

	if (!s)
		return NULL;
	p = realloc(vm->strings, (vm->nstrings + 1) * sizeof(char *));
	copy = p ? strdup(s) : NULL;
	if (p)
		vm->strings = p;
	if (!copy) {
		*failed = -ENOMEM;
		return NULL;
	}
	p[vm->nstrings++] = copy;
	return copy;
}

/* A deep copy of @in whose strings belong to @vm. */
static int copy_config(struct qd_vm *vm, const struct qd_vm_config *in)
{
	struct qd_device *devs = NULL;
	int failed = 0;

	vm->cfg = *in;
	vm->cfg.devices = NULL;
#define KEEP(f) vm->cfg.f = keep(vm, in->f, &failed)
	KEEP(id);
	KEEP(name);
	KEEP(qemu_path);
	KEEP(run_dir);
	KEEP(machine_options);
	KEEP(accel);
	KEEP(cpu_model);
	KEEP(cpu_features);
	KEEP(kernel);
	KEEP(initrd);
	KEEP(image);
	KEEP(kernel_params);
	KEEP(firmware);
	KEEP(cpuinfo_path);
	KEEP(meminfo_path);
#undef KEEP
	if (in->ndevices) {
		devs = calloc(in->ndevices, sizeof(*devs));
		if (!devs)
			return -ENOMEM;
		for (size_t i = 0; i < in->ndevices; i++) {
			const struct qd_device *d = &in->devices[i];

			devs[i] = *d;
			devs[i].id = keep(vm, d->id, &failed);
			devs[i].path = keep(vm, d->path, &failed);
			devs[i].tag = keep(vm, d->tag, &failed);
			devs[i].ifname = keep(vm, d->ifname, &failed);
			devs[i].mac = keep(vm, d->mac, &failed);
			devs[i].format = keep(vm, d->format, &failed);
			devs[i].bdf = keep(vm, d->bdf, &failed);
		}
	}
	vm->cfg.devices = devs;
	return failed;
}

/* The socket paths (the QMP one carries the UUID), shortened to fit if need be. */
static int init_paths(struct qd_vm *vm, qd_error *err)
{
	_cleanup_free_ char *qmp_name = NULL;
	int shortened, r;

	if (asprintf(&vm->log_path, "%s/" QD_LOG_FILE, vm->dir) < 0 ||
	    asprintf(&vm->pidfile, "%s/" QD_PID_FILE, vm->dir) < 0 ||
	    asprintf(&qmp_name, "qmp-%s", vm->st.uuid) < 0)
		return qd_error_set(err, -ENOMEM, "out of memory");
	r = qd_socket_path(vm->dir, qmp_name, &vm->qmp_path, &shortened, err);
	if (r < 0)
		return r;
	if (shortened)
		qd_log(&vm->log, QD_LOG_WARNING, "shortening QMP socket name %s to %s", qmp_name,
		       strrchr(vm->qmp_path, '/') + 1);
	return qd_socket_path(vm->dir, "console.sock", &vm->console_path, &shortened, err);
}

/* First use: a UUID and the bridges, saved durably before anything runs. */
static int create_state(struct qd_vm *vm, qd_error *err)
{
	uuid_t u;
	int r;

	uuid_generate(u);
	uuid_unparse_lower(u, vm->st.uuid);
	if (qd_state_set_bridges(&vm->st, vm->cfg.bridges) < 0)
		return qd_error_set(err, -ENOMEM, "out of memory");
	r = qd_state_create_at(vm->dirfd, QD_STATE_FILE, vm->state_path, &vm->st, err);
	if (r == -EEXIST) {
		/* Another process created it first: that one is the VM. */
		qd_state_clear(&vm->st);
		r = qd_state_load_at(vm->dirfd, QD_STATE_FILE, vm->state_path, &vm->st, err);
	}
	return r;
}

/*
 * A state file that a power loss emptied or tore (saved without fsync) is no
 * corruption: what it said about the running QEMU died with that QEMU, and
 * the UUID and bridges are in the durable copy. So an unreadable file that is
 * empty, or that was written before this boot, is rebuilt from the copy, but
 * only when no QEMU of that UUID runs: otherwise its records are truly lost
 * and the file is left for someone to look at. Anything else stays an error.
 */
static int recover_torn_state(struct qd_vm *vm, int r, qd_error *err)
{
	struct qd_state copy = {0};
	qd_error ignored = {0};

	if (!(qd_state_file_torn(vm->dirfd, QD_STATE_FILE) ||
	      qd_state_file_predates_boot(vm->dirfd, QD_STATE_FILE)) ||
	    qd_state_load_durable_copy(vm->dirfd, &copy, &ignored) < 0 ||
	    qd_qemu_of_uuid_runs(copy.uuid)) {
		qd_error_clear(&ignored);
		qd_state_clear(&copy);
		return r;
	}
	qd_state_clear(&vm->st);
	vm->st = copy;
	if (asprintf(&vm->notice,
		     "state file %s was empty or torn (a power loss before its data reached the "
		     "disk): the UUID and bridges were recovered from the durable copy",
		     vm->state_path) < 0)
		vm->notice = NULL;
	qd_error_clear(err);
	return qd_state_save_at(vm->dirfd, QD_STATE_FILE, vm->state_path, &vm->st, true, err);
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
	qd_process_reap_released();
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
	vm->dirfd = -1;
	vm->nested = host.nested;
	if (copy_config(vm, &resolved) < 0) {
		qd_vm_free(vm);
		return qd_error_set(err, -ENOMEM, "out of memory");
	}
	if (asprintf(&vm->dir, "%s/%s", vm->cfg.run_dir, vm->cfg.id) < 0 ||
	    asprintf(&vm->state_path, "%s/" QD_STATE_FILE, vm->dir) < 0) {
		qd_vm_free(vm);
		return qd_error_set(err, -ENOMEM, "out of memory");
	}
	r = qd_vm_dir_open(vm->cfg.run_dir, vm->cfg.id, &vm->dirfd, err);
	if (r == 0) {
		r = qd_state_load_at(vm->dirfd, QD_STATE_FILE, vm->state_path, &vm->st, err);
		if (r == -ENOENT)
			r = create_state(vm, err);
		if (r == -EBADMSG)
			r = recover_torn_state(vm, r, err);
	}
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
	pthread_mutex_lock(&vm->lock);
	vm->log.fn = fn;
	vm->log.opaque = opaque;
	vm->log.max_level = level;
	/* The connection logs on its own: it must hear of the change too. */
	if (vm->qmp)
		qd_qmp_set_log(vm->qmp, fn, opaque, level);
	if (vm->notice && fn) {
		qd_log(&vm->log, QD_LOG_WARNING, "%s", vm->notice);
		free(vm->notice);
		vm->notice = NULL;
	}
	pthread_mutex_unlock(&vm->lock);
}

static int build_argv(struct qd_vm *vm, const struct qd_state *st, const char *qemu, int qmp_fd,
		      char ***out, qd_error *err)
{
	struct qd_launch_params lp = {
	    .qemu = qemu,
	    .uuid = vm->st.uuid,
	    .state = st,
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
	struct qd_state bridges = {0};
	int r;

	*out = NULL;
	r = qd_qemu_binary(vm->cfg.qemu_path, &qemu, err);
	if (r < 0)
		return r;
	/* The bridges a start would give QEMU: the configuration's. */
	if (qd_state_set_bridges(&bridges, vm->cfg.bridges) < 0)
		return qd_error_set(err, -ENOMEM, "out of memory");
	pthread_mutex_lock(&vm->lock);
	r = build_argv(vm, &bridges, qemu, vm->cfg.qmp_path_mode ? -1 : qd_launch_qmp_child_fd(),
		       out, err);
	pthread_mutex_unlock(&vm->lock);
	qd_state_clear(&bridges);
	return r;
}

/* QEMU died before QMP was ready: its own words go into the error. */
static int early_exit_error(struct qd_vm *vm, qd_error *err)
{
	_cleanup_free_ char *how = qd_describe_exit(vm->proc.status);
	_cleanup_free_ char *tail = qd_log_tail(vm->dirfd, QD_LOG_FILE, 5);

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
			     vm->proc.pidfd >= 0 ? left : min_int(left, PATH_MODE_POLL_MS));

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
		poll(NULL, 0, min_int(qd_deadline_left_ms(deadline), PATH_MODE_POLL_MS));
	}
}

/* -daemonize: the process we ran exits once QEMU is up; follow the real one. */
static int follow_daemon(struct qd_vm *vm, int64_t deadline, qd_error *err)
{
	char buf[32] = "";
	int pid = -1, fd, r;
	ssize_t n;

	r = qd_process_wait(&vm->proc, qd_deadline_left_ms(deadline));
	if (r < 0)
		return qd_error_set(err, -ETIMEDOUT, "QEMU did not daemonize in time");
	if (!WIFEXITED(vm->proc.status) || WEXITSTATUS(vm->proc.status) != 0)
		return early_exit_error(vm, err);
	qd_process_close(&vm->proc);
	fd = qd_vm_dir_open_file(vm->dirfd, QD_PID_FILE, O_RDONLY, 0);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n > 0)
		buf[n] = '\0';
	if (n <= 0 || sscanf(buf, "%d", &pid) != 1 || pid <= 0)
		return qd_error_set(err, -EPROTO, "QEMU daemonized but its pidfile %s is unusable",
				    vm->pidfile);
	return qd_process_adopt(pid, &vm->proc, err);
}

/* A new QEMU has none of the last one's hot-plugged vCPUs and devices. */
static void forget_hotplugged(struct qd_vm *vm)
{
	if (vm->st.nvcpus || vm->st.ndevices)
		qd_log(&vm->log, QD_LOG_INFO,
		       "new QEMU: forgetting %zu hot-plugged vCPUs and %zu devices of the last one",
		       vm->st.nvcpus, vm->st.ndevices);
	qd_state_forget_qemu(&vm->st);
}

/* A start builds the bridges the configuration asks for; saying so when that changes them. */
static int apply_bridges(struct qd_vm *vm, qd_error *err)
{
	struct qd_state copy = {0};

	if (qd_state_bridges_are(&vm->st, vm->cfg.bridges)) {
		/* A VM made before there was a durable copy gets one now. */
		if (qd_state_load_durable_copy(vm->dirfd, &copy, NULL) != -ENODATA) {
			qd_state_clear(&copy);
			return 0;
		}
		return qd_state_save_at(vm->dirfd, QD_STATE_FILE, vm->state_path, &vm->st, true,
					err);
	}
	qd_log(&vm->log, QD_LOG_WARNING,
	       "VM %s: the configuration asks for %u PCI bridges where the last QEMU had %zu: "
	       "this QEMU gets %u",
	       vm->cfg.id, vm->cfg.bridges, vm->st.nbridges, vm->cfg.bridges);
	if (qd_state_set_bridges(&vm->st, vm->cfg.bridges) < 0)
		return qd_error_set(err, -ENOMEM, "out of memory");
	/* Bridges outlive QEMU: durable. */
	return qd_state_save_at(vm->dirfd, QD_STATE_FILE, vm->state_path, &vm->st, true, err);
}

/*
 * Whether a QEMU of this VM runs already, asked before the owner lock is
 * taken: the state file as it is on disk now (another process may have
 * started one since this handle read it).
 */
static int running_elsewhere(struct qd_vm *vm)
{
	struct qd_state now;
	int pid;

	if (qd_state_load_at(vm->dirfd, QD_STATE_FILE, vm->state_path, &now, NULL) < 0)
		return 0;
	pid = qd_recorded_qemu(&now);
	qd_state_clear(&now);
	return pid;
}

/* Before a start: nothing of this VM runs, and this handle owns it. */
static int claim_for_start(struct qd_vm *vm, qd_error *err)
{
	int pid, r;

	if (vm->proc.pid > 0 && !qd_process_poll_exit(&vm->proc))
		return qd_error_set(err, -EALREADY, "VM %s is already running (pid %d)", vm->cfg.id,
				    (int)vm->proc.pid);
	if (vm->proc.pid > 0)
		qd_vm_qemu_gone(vm);
	pid = vm->owner ? 0 : running_elsewhere(vm);
	if (pid)
		return qd_error_set(err, -EALREADY,
				    "VM %s is already running (QEMU pid %d, started by another "
				    "handle; qd_vm_attach() takes it over)",
				    vm->cfg.id, pid);
	r = qd_vm_take_ownership(vm, err);
	if (r < 0)
		return r;
	pid = qd_recorded_qemu(&vm->st);
	if (pid) {
		qd_vm_release_ownership(vm);
		return qd_error_set(err, -EALREADY,
				    "VM %s is already running (QEMU pid %d, started by another "
				    "handle; qd_vm_attach() takes it over)",
				    vm->cfg.id, pid);
	}
	return 0;
}

/* A fresh log for this QEMU: a new file, never one that was put there. */
static int open_log(struct qd_vm *vm, int *out, qd_error *err)
{
	int fd;

	if (unlinkat(vm->dirfd, QD_LOG_FILE, 0) < 0 && errno != ENOENT)
		return qd_error_set(err, -errno, "cannot replace QEMU log %s: %s", vm->log_path,
				    strerror(errno));
	fd = qd_vm_dir_open_file(vm->dirfd, QD_LOG_FILE, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return qd_error_set(err, fd, "cannot create QEMU log %s: %s", vm->log_path,
				    strerror(-fd));
	*out = fd;
	return 0;
}

int qd_vm_start(struct qd_vm *vm, int timeout_ms, qd_error *err)
{
	_cleanup_free_ char *qemu = NULL;
	_cleanup_close_ int listen_fd = -1, client_fd = -1, logfd = -1;
	struct qd_qmp_options opts;
	bool made_socket = false;
	char **argv = NULL;
	int64_t deadline;
	int r;

	r = qd_error_check_timeout(err, timeout_ms);
	if (r < 0)
		return r;
	deadline = qd_deadline_after_ms(timeout_ms);
	pthread_mutex_lock(&vm->lock);
	qd_process_reap_released();
	if (vm->destroyed) {
		r = qd_error_set(err, -ENOENT, "VM %s was destroyed", vm->cfg.id);
		goto out;
	}
	r = claim_for_start(vm, err);
	if (r < 0)
		goto out;
	opts = qd_vm_qmp_options(vm);
	qd_qmp_free(vm->qmp);
	vm->qmp = NULL;
	r = qd_qemu_binary(vm->cfg.qemu_path, &qemu, err);
	if (r == 0)
		r = apply_bridges(vm, err);
	if (r == 0)
		r = open_log(vm, &logfd, err);
	if (r < 0)
		goto release;
	if (!vm->cfg.qmp_path_mode) {
		/* Listening before QEMU starts: we connect at once, no polling. */
		r = qd_listen_unix(vm->qmp_path, &listen_fd, err);
		if (r < 0)
			goto release;
		made_socket = true;
		r = qd_connect_unix(vm->qmp_path, &client_fd, err);
		if (r < 0) {
			r = qd_error_set(err, r, "cannot connect to %s: %s", vm->qmp_path,
					 strerror(-r));
			goto release;
		}
	} else {
		unlink(vm->qmp_path);
		made_socket = true;
	}
	unlink(vm->console_path);
	forget_hotplugged(vm);
	r = build_argv(vm, &vm->st, qemu, listen_fd >= 0 ? qd_launch_qmp_child_fd() : -1, &argv,
		       err);
	if (r < 0)
		goto release;
	if (vm->nested)
		qd_log(&vm->log, QD_LOG_INFO,
		       "host is a VM (hypervisor flag): nesting workarounds applied (-cpu host "
		       "gets -arch-capabilities,pmu=off; virtio devices disable-modern=true)");
	r = qd_spawn(argv, listen_fd, logfd, &vm->proc, err);
	qd_argv_free(argv);
	if (r < 0)
		goto release;
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
	/* Saved while QEMU boots, so the write overlaps its start-up. */
	vm->st.qemu_pid = (int)vm->proc.pid;
	r = qd_vm_save(vm, err);
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
		/* QEMU closed the socket: it is exiting; say why if it did (within the deadline).
		 */
		if (qd_process_wait(&vm->proc, min_int(qd_deadline_left_ms(deadline),
						       EXIT_STATUS_WAIT_MS)) == 0 &&
		    vm->proc.exited)
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
		qd_vm_save(vm, &ignored);
		qd_error_clear(&ignored);
	}
release:
	/* Only what this call made: a live QEMU's socket is never removed here. */
	if (made_socket)
		unlink(vm->qmp_path);
	qd_vm_release_ownership(vm);
out:
	pthread_mutex_unlock(&vm->lock);
	return r;
}

static int simple_command(struct qd_vm *vm, const char *cmd, int timeout_ms, qd_error *err)
{
	int r;

	pthread_mutex_lock(&vm->lock);
	r = qd_vm_connect(vm, timeout_ms, err);
	if (r == 0)
		r = qd_qmpc_simple(vm->qmp, cmd, timeout_ms, NULL, err);
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
	r = qd_vm_connect(vm, timeout_ms, err);
	if (r == 0)
		r = qd_qmpc_simple(vm->qmp, "query-status", timeout_ms, &ret, err);
	pthread_mutex_unlock(&vm->lock);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(ret, "status", &status))
		return qd_error_set(err, -EPROTO, "query-status returned no status");
	*out = strdup(json_object_get_string(status));
	return *out ? 0 : qd_error_set(err, -ENOMEM, "out of memory");
}

/* quit, then SIGTERM, then SIGKILL, each given @timeout_ms. */
static int terminate(struct qd_vm *vm, int timeout_ms, qd_error *err)
{
	if (vm->qmp) {
		qd_error ignored = {0};

		/* QEMU may have just died: a failing quit is not an error. */
		if (qd_qmpc_simple(vm->qmp, "quit", timeout_ms, NULL, &ignored) < 0)
			qd_log(&vm->log, QD_LOG_INFO, "quit: %s", ignored.message);
		qd_error_clear(&ignored);
	}
	if (qd_process_wait(&vm->proc, timeout_ms) == 0)
		return 0;
	qd_log(&vm->log, QD_LOG_WARNING, "QEMU pid %d ignored quit: SIGTERM", (int)vm->proc.pid);
	kill(vm->proc.pid, SIGTERM);
	if (qd_process_wait(&vm->proc, timeout_ms) == 0)
		return 0;
	qd_log(&vm->log, QD_LOG_WARNING, "QEMU pid %d ignored SIGTERM: SIGKILL", (int)vm->proc.pid);
	kill(vm->proc.pid, SIGKILL);
	if (qd_process_wait(&vm->proc, timeout_ms) == 0)
		return 0;
	return qd_error_set(err, -ETIMEDOUT, "QEMU pid %d did not die after SIGKILL",
			    (int)vm->proc.pid);
}

/* stop's part, lock held: whatever QEMU of this VM runs is stopped, or an error says why not. */
static int stop_locked(struct qd_vm *vm, int timeout_ms, qd_error *err)
{
	int r;

	if (vm->destroyed)
		return 0;
	if (vm->proc.pid <= 0) {
		qd_error why = {0};

		/* Not ours: adopt the QEMU the state records, if one runs. */
		r = qd_vm_connect(vm, timeout_ms, &why);
		if (r == -ENOTCONN) {
			qd_error_clear(&why);
			return 0; /* nothing runs */
		}
		if (r < 0 && vm->proc.pid <= 0) {
			qd_error_clear(err);
			*err = why;
			return r;
		}
		/* Adopted, but QMP failed: the signals still work. */
		qd_error_clear(&why);
	} else if (!qd_process_poll_exit(&vm->proc) && (!vm->qmp || qd_qmp_broken(vm->qmp, NULL))) {
		qd_error ignored = {0};

		/* A broken connection is mended so that quit can be tried first. */
		qd_vm_connect(vm, timeout_ms, &ignored);
		qd_error_clear(&ignored);
	}
	if (vm->proc.pid > 0 && !vm->proc.exited) {
		r = terminate(vm, timeout_ms, err);
		if (r < 0)
			return r;
	}
	qd_vm_qemu_gone(vm);
	return 0;
}

int qd_vm_stop(struct qd_vm *vm, int timeout_ms, qd_error *err)
{
	qd_error local = {0};
	int r;

	r = qd_error_check_timeout(err, timeout_ms);
	if (r < 0)
		return r;
	pthread_mutex_lock(&vm->lock);
	r = stop_locked(vm, timeout_ms, err ? err : &local);
	pthread_mutex_unlock(&vm->lock);
	qd_error_clear(&local);
	return r;
}

int qd_vm_destroy(struct qd_vm *vm, int timeout_ms, qd_error *err)
{
	qd_error local = {0};
	const char *sockets[3];
	int r;

	r = qd_error_check_timeout(err, timeout_ms);
	if (r < 0)
		return r;
	if (!err)
		err = &local;
	pthread_mutex_lock(&vm->lock);
	if (vm->destroyed) {
		pthread_mutex_unlock(&vm->lock);
		return 0;
	}
	r = stop_locked(vm, timeout_ms, err);
	/* Nobody else may be using it while its files go. */
	if (r == 0)
		r = qd_vm_take_ownership(vm, err);
	if (r == -ENOENT) {
		/* An earlier destroy got as far as the state file: the lock is enough. */
		qd_error_clear(err);
		r = qd_vm_dir_lock(vm->dirfd);
		if (r == 0)
			vm->owner = true;
		else
			r = qd_error_set(err, r, "VM %s is in use by another qemudrv handle",
					 vm->cfg.id);
	}
	if (r == 0) {
		sockets[0] = strrchr(vm->qmp_path, '/') + 1;
		sockets[1] = strrchr(vm->console_path, '/') + 1;
		sockets[2] = NULL;
		qd_state_remove_temps(vm->dirfd, QD_STATE_FILE, true);
		r = qd_vm_dir_remove(vm->cfg.run_dir, vm->cfg.id, vm->dirfd, sockets, err);
		if (r == 0)
			vm->destroyed = true;
		qd_vm_release_ownership(vm);
	}
	pthread_mutex_unlock(&vm->lock);
	qd_error_clear(&local);
	return r;
}

struct qd_qmp *qd_vm_qmp(struct qd_vm *vm)
{
	struct qd_qmp *q;

	pthread_mutex_lock(&vm->lock);
	q = vm->qmp;
	pthread_mutex_unlock(&vm->lock);
	return q;
}

int qd_vm_pid(struct qd_vm *vm)
{
	int pid = -1;

	pthread_mutex_lock(&vm->lock);
	if (vm->proc.pid > 0) {
		/* Checked now: a QEMU that exited has no pid any more. */
		if (!qd_process_poll_exit(&vm->proc))
			pid = (int)vm->proc.pid;
	} else if (!vm->destroyed) {
		int recorded = qd_recorded_qemu(&vm->st);

		pid = recorded ? recorded : -1;
	}
	pthread_mutex_unlock(&vm->lock);
	return pid;
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
	/* A QEMU left running is still reaped when it exits. */
	qd_process_release(&vm->proc);
	qd_process_reap_released();
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
	free(vm->notice);
	if (vm->dirfd >= 0)
		close(vm->dirfd); /* releases the owner lock */
	pthread_mutex_destroy(&vm->lock);
	free(vm);
}
