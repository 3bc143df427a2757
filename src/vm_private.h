/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vm_private.h - the VM handle, shared by the facade and the hot-plug code */
#ifndef QD_VM_PRIVATE_H
#define QD_VM_PRIVATE_H

#include <pthread.h>
#include <stdbool.h>

#include "launch.h"
#include "log.h"
#include "qemudrv.h"
#include "state.h"

struct qd_vm {
	pthread_mutex_t lock;	 /* serialises every call on the VM */
	struct qd_vm_config cfg; /* resolved; strings owned via @strings */
	char **strings;
	size_t nstrings;
	struct qd_logger log;
	bool nested;
	char *dir;
	char *state_path;
	char *log_path;
	char *pidfile;
	char *qmp_path;
	char *console_path;
	struct qd_state st;
	struct qd_process proc;
	struct qd_qmp *qmp;
};

#endif
