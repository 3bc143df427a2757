/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vm_attach.c - one owner per VM: the owner lock, adopting a running QEMU, reconnecting QMP */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "hotplug.h"
#include "vm_dir.h"

struct qd_qmp_options qd_vm_qmp_options(const struct qd_vm *vm)
{
	return (struct qd_qmp_options){
	    .log_fn = vm->log.fn,
	    .log_opaque = vm->log.opaque,
	    .log_level = vm->log.max_level,
	};
}

/* Whether /proc/@pid/cmdline has "-uuid" followed by @uuid: the pid is still our QEMU. */
static bool process_is_vm(int pid, const char *uuid)
{
	char path[64], buf[16384];
	ssize_t n, off = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	while (off < (ssize_t)sizeof(buf) - 1 &&
	       (n = read(fd, buf + off, sizeof(buf) - 1 - (size_t)off)) > 0)
		off += n;
	close(fd);
	buf[off] = '\0';
	for (ssize_t i = 0; i < off;) {
		const char *arg = buf + i;
		size_t len = strlen(arg);

		if (!strcmp(arg, "-uuid") && i + (ssize_t)len + 1 < off)
			return !strcmp(arg + len + 1, uuid);
		i += (ssize_t)len + 1;
	}
	return false;
}

bool qd_qemu_of_uuid_runs(const char *uuid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	bool found = false;

	if (!d)
		return true; /* cannot tell: assume the worst */
	while (!found && (e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		found = process_is_vm((int)pid, uuid);
	}
	closedir(d);
	return found;
}

int qd_recorded_qemu(const struct qd_state *st)
{
	return st->qemu_pid > 0 && process_is_vm(st->qemu_pid, st->uuid) ? st->qemu_pid : 0;
}

/* A state reloaded under the lock may name another VM (deleted and made again). */
static int adopt_loaded_state(struct qd_vm *vm, struct qd_state *fresh, qd_error *err)
{
	if (strcmp(fresh->uuid, vm->st.uuid) != 0) {
		qd_state_clear(fresh);
		return qd_error_set(err, -ESTALE,
				    "VM %s was deleted and created again by another handle (its "
				    "UUID changed): open it anew",
				    vm->cfg.id);
	}
	qd_state_clear(&vm->st);
	vm->st = *fresh;
	return 0;
}

int qd_vm_take_ownership(struct qd_vm *vm, qd_error *err)
{
	struct qd_state fresh;
	int r;

	if (vm->owner)
		return 0;
	r = qd_vm_dir_lock(vm->dirfd);
	if (r == -EBUSY)
		return qd_error_set(err, -EBUSY,
				    "VM %s is in use by another qemudrv handle (in this process or "
				    "another) that owns its QEMU",
				    vm->cfg.id);
	if (r < 0)
		return qd_error_set(err, r, "cannot lock %s: %s", vm->dir, strerror(-r));
	r = qd_state_load_at(vm->dirfd, QD_STATE_FILE, vm->state_path, &fresh, err);
	if (r == -ENOENT)
		r = qd_error_set(err, -ENOENT, "VM %s was deleted (%s is gone)", vm->cfg.id,
				 vm->state_path);
	if (r == 0)
		r = adopt_loaded_state(vm, &fresh, err);
	if (r < 0) {
		qd_vm_dir_unlock(vm->dirfd);
		return r;
	}
	vm->owner = true;
	/* Only owners write the state: a temporary file of a dead owner is garbage. */
	qd_state_remove_temps(vm->dirfd, QD_STATE_FILE, false);
	return 0;
}

void qd_vm_release_ownership(struct qd_vm *vm)
{
	if (!vm->owner)
		return;
	qd_vm_dir_unlock(vm->dirfd);
	vm->owner = false;
}

int qd_vm_save(struct qd_vm *vm, qd_error *err)
{
	return qd_state_save_at(vm->dirfd, QD_STATE_FILE, vm->state_path, &vm->st, false, err);
}

static void unlink_socket(struct qd_vm *vm, const char *path)
{
	const char *name = strrchr(path, '/');

	unlinkat(vm->dirfd, name ? name + 1 : path, 0);
}

void qd_vm_qemu_gone(struct qd_vm *vm)
{
	qd_error ignored = {0};

	qd_qmp_free(vm->qmp);
	vm->qmp = NULL;
	if (vm->proc.pid > 0 && !vm->proc.exited)
		qd_process_wait(&vm->proc, 0);
	qd_process_close(&vm->proc);
	vm->proc.pid = -1;
	if (vm->owner) {
		/* What the state says about that QEMU died with it. */
		qd_state_forget_qemu(&vm->st);
		if (qd_vm_save(vm, &ignored) < 0)
			qd_log(&vm->log, QD_LOG_WARNING, "%s", ignored.message);
		qd_error_clear(&ignored);
		unlink_socket(vm, vm->qmp_path);
		unlink_socket(vm, vm->console_path);
	}
	qd_vm_release_ownership(vm);
}

/* The QEMU's exit, in words, with its last lines of output. */
static int exited_error(struct qd_vm *vm, int pid, qd_error *err)
{
	_cleanup_free_ char *how = qd_describe_exit(vm->proc.status);
	_cleanup_free_ char *tail = qd_log_tail(vm->dirfd, QD_LOG_FILE, 3);

	return qd_error_set(err, -ESRCH, "VM %s: QEMU (pid %d) %s%s%s", vm->cfg.id, pid,
			    vm->proc.is_child && how ? how : "exited", tail && *tail ? ": " : "",
			    tail ? tail : "");
}

void qd_vm_claim_recorded(struct qd_vm *vm)
{
	for (size_t i = 0; i < vm->st.ndevices; i++)
		qd_hp_claim(vm, vm->st.devices[i].id);
	for (size_t i = 0; i < vm->st.nvcpus; i++)
		qd_hp_claim(vm, vm->st.vcpus[i].id);
}

/* Connect QMP to the QEMU this handle runs. */
static int reconnect(struct qd_vm *vm, int timeout_ms, qd_error *err)
{
	struct qd_qmp_options opts = qd_vm_qmp_options(vm);
	struct qd_qmp *q = NULL;
	int r;

	r = qd_qmp_connect(vm->qmp_path, &opts, timeout_ms, &q, err);
	if (r < 0)
		return r;
	if (vm->qmp)
		qd_log(&vm->log, QD_LOG_INFO, "VM %s: QMP connection reconnected", vm->cfg.id);
	qd_qmp_free(vm->qmp);
	vm->qmp = q;
	qd_vm_claim_recorded(vm);
	return 0;
}

/* Take over the QEMU the state records (left running by another handle). */
static int adopt(struct qd_vm *vm, int timeout_ms, qd_error *err)
{
	int pid, r;

	r = qd_vm_take_ownership(vm, err);
	if (r < 0)
		return r;
	pid = qd_recorded_qemu(&vm->st);
	if (!pid) {
		qd_vm_release_ownership(vm);
		return qd_error_set(err, -ENOTCONN, "VM %s is not running", vm->cfg.id);
	}
	r = qd_process_adopt(pid, &vm->proc, err);
	if (r == 0)
		r = reconnect(vm, timeout_ms, err);
	if (r < 0) {
		qd_process_release(&vm->proc);
		vm->proc.pid = -1;
		qd_vm_release_ownership(vm);
		return r;
	}
	qd_log(&vm->log, QD_LOG_INFO, "VM %s: adopted QEMU pid %d", vm->cfg.id, pid);
	if (!qd_state_bridges_are(&vm->st, vm->cfg.bridges))
		qd_log(
		    &vm->log, QD_LOG_WARNING,
		    "VM %s: the configuration asks for %u PCI bridges; the running QEMU has %zu, "
		    "which hot-plug uses until the next start",
		    vm->cfg.id, vm->cfg.bridges, vm->st.nbridges);
	return 0;
}

int qd_vm_connect(struct qd_vm *vm, int timeout_ms, qd_error *err)
{
	int r = qd_error_check_timeout(err, timeout_ms);

	if (r < 0)
		return r;
	if (vm->destroyed)
		return qd_error_set(err, -ENOENT, "VM %s was destroyed", vm->cfg.id);
	if (vm->proc.pid <= 0)
		return adopt(vm, timeout_ms, err);
	if (qd_process_poll_exit(&vm->proc)) {
		int pid = vm->proc.pid;

		r = exited_error(vm, pid, err);
		qd_vm_qemu_gone(vm);
		return r;
	}
	if (vm->qmp && !qd_qmp_broken(vm->qmp, NULL))
		return 0;
	return reconnect(vm, timeout_ms, err);
}

int qd_vm_attach(struct qd_vm *vm, int timeout_ms, qd_error *err)
{
	int r;

	pthread_mutex_lock(&vm->lock);
	qd_process_reap_released();
	r = qd_vm_connect(vm, timeout_ms, err);
	if (r == -ENOTCONN)
		r = qd_error_set(err, -ESRCH, "VM %s has no running QEMU (state pid %d)",
				 vm->cfg.id, vm->st.qemu_pid);
	pthread_mutex_unlock(&vm->lock);
	return r;
}
