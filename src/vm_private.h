/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vm_private.h - the VM handle, shared by the facade, attach and the hot-plug code */
#ifndef QD_VM_PRIVATE_H
#define QD_VM_PRIVATE_H

#include <pthread.h>
#include <stdbool.h>

#include "launch.h"
#include "log.h"
#include "qemudrv.h"
#include "state.h"

/*
 * DOC: who may drive a VM's QEMU
 *
 * One QEMU per VM, across processes: the handle that runs or adopted the
 * VM's QEMU holds the owner lock (flock on the VM directory, @dirfd) until
 * the QEMU is gone or the handle is freed. Another handle, in this process or
 * another, is refused with -EBUSY while it is held; once it is released (a
 * qdctl that started QEMU and exited), the next handle that needs QEMU adopts
 * it implicitly (qd_vm_connect()). Taking the lock reloads the state file,
 * since the last owner may have changed it.
 */
struct qd_vm {
	pthread_mutex_t lock;	 /* serialises every call on the VM */
	struct qd_vm_config cfg; /* resolved; strings owned via @strings */
	char **strings;
	size_t nstrings;
	struct qd_logger log;
	bool nested;
	char *dir;	  /* <run_dir>/<id>, for messages and socket paths */
	char *state_path; /* for messages */
	char *log_path;	  /* for messages */
	char *pidfile;	  /* QEMU's -pidfile (daemonize) */
	char *qmp_path;
	char *console_path;
	int dirfd;	/* the VM directory, checked once and used for every file */
	bool owner;	/* holds the owner lock */
	bool destroyed; /* qd_vm_destroy() removed it */
	char *notice;	/* said once a logger is set (qd_vm_new() has none yet) */
	struct qd_state st;
	struct qd_process proc;
	struct qd_qmp *qmp;
};

/*
 * qd_vm_connect() - make sure @vm talks to its running QEMU (lock held)
 *
 * Reconnects a broken QMP connection to this handle's QEMU, or adopts the
 * QEMU the state records when another handle left it running (taking the
 * owner lock, reloading the state). Finds out when QEMU has exited: then the
 * process is reaped, the state forgets it, and the call fails.
 *
 * Return: 0; -ENOTCONN (nothing is running); -ESRCH (this handle's QEMU
 * exited); -EBUSY (another handle owns it); -ENOENT (destroyed); or the
 * connection's errno.
 */
int qd_vm_connect(struct qd_vm *vm, int timeout_ms, qd_error *err);

/* qd_vm_save() - write the state atomically (not synced: see DOC in vm.c). */
int qd_vm_save(struct qd_vm *vm, qd_error *err);

/*
 * qd_vm_take_ownership() - the owner lock, the state reloaded under it and
 * stale temporary files removed. Return: 0, -EBUSY, or a load error.
 */
int qd_vm_take_ownership(struct qd_vm *vm, qd_error *err);

/* qd_vm_release_ownership() - let another handle take the VM. */
void qd_vm_release_ownership(struct qd_vm *vm);

/*
 * qd_recorded_qemu() - the pid @st records when that process is still the
 * VM's QEMU (its command line carries the VM's -uuid), else 0.
 */
int qd_recorded_qemu(const struct qd_state *st);

/* qd_qemu_of_uuid_runs() - whether any process is a QEMU with "-uuid @uuid" (a /proc scan). */
bool qd_qemu_of_uuid_runs(const char *uuid);

/*
 * qd_vm_qemu_gone() - QEMU exited (or was stopped): reap it, drop the
 * connection, forget what died with it (pid, hot-plugged vCPUs and
 * devices), remove its sockets and release the owner lock.
 */
void qd_vm_qemu_gone(struct qd_vm *vm);

/* qd_vm_claim_recorded() - claim the events of every recorded device and vCPU on a new connection.
 */
void qd_vm_claim_recorded(struct qd_vm *vm);

/* qd_vm_qmp_options() - the options for a connection of @vm (its logger). */
struct qd_qmp_options qd_vm_qmp_options(const struct qd_vm *vm);

#endif
