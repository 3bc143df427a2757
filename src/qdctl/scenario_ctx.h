/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* scenario_ctx.h - one scenario running on one target: shared by the runner, the ops, the checks */
#ifndef QDCTL_SCENARIO_CTX_H
#define QDCTL_SCENARIO_CTX_H

#include <stdint.h>

#include "guest.h"
#include "scenario.h"
#include "target.h"

/*
 * struct sc_run_options - how scenarios run.
 * @work_base:   where each run's private directory goes (default /tmp)
 * @keep:        keep the directories (else removed after a pass)
 * @verbose:     log the library's QMP traffic to stderr as well
 * @progress:    where progress lines go (NULL: nowhere)
 * @guest:       the test guest's files, shared by every scenario
 * @guest_accel: "auto" (probe), "kvm" or "tcg" for guest-level scenarios
 */
struct sc_run_options {
	const char *work_base;
	bool keep;
	bool verbose;
	FILE *progress;
	struct sc_guest_files *guest;
	const char *guest_accel;
};

/*
 * struct sc_ctx - the state of one scenario run.
 * @events:      every event seen on the VM's connection, in order:
 *               {"event", "data", "step", "taken"}; wait-event takes from it
 * @step_events: index in @events where the current step began
 * @qmp_log:     the current step's QMP traffic ("> ..." sent, "< ..." received)
 * @timeout_ms:  the current step's deadline
 * @qemu_pid:    the QEMU the VM started last (kept after it died, for checks)
 * @qemu_exit:   how it ended once known ("exit 0", "signal 11"), else NULL
 */
struct sc_ctx {
	const struct scenario *sc;
	struct sc_target *target;
	const struct sc_run_options *opts;
	char *workdir;
	json_object *cfg_json;
	struct qd_vm_config cfg;
	bool cfg_loaded;
	struct qd_vm *vm;
	json_object *events;
	size_t step_events;
	json_object *qmp_log;
	int64_t t0_ms;
	int timeout_ms;
	pid_t qemu_pid;
	char *qemu_exit;
	bool expect_qemu_gone;
	struct sc_console console;
	int step_index;
	json_object *watch_names;      /* the event names watched */
	struct qd_qmp *watch_q;	       /* the connection the watches are on, or NULL */
	struct qd_qmp_watch **watches; /* one per name */
	json_object *pids;	       /* QEMU pids of this run, normalized away in results */
};

/* sc_ctx_new_vm() - a qd_vm for the run's configuration (state reloaded when it exists). */
int sc_ctx_new_vm(struct sc_ctx *ctx, qd_error *err);

/* sc_ctx_drain_events() - move the events the watches saw into @ctx->events, in order. */
void sc_ctx_drain_events(struct sc_ctx *ctx);

/* sc_events_init() - the event names to watch: a default set and those the scenario names. */
void sc_events_init(struct sc_ctx *ctx);

/* sc_events_arm() - arm the watches on the VM's current connection (if not yet). */
void sc_events_arm(struct sc_ctx *ctx);

/* sc_events_release() - drain, then free the watches (before the connection may close). */
void sc_events_release(struct sc_ctx *ctx);

/* sc_events_free() - release and forget the names. */
void sc_events_free(struct sc_ctx *ctx);

/*
 * sc_events_wait() - the first event named @name (with @data's members) not
 * yet taken, waiting up to @timeout_ms for it; *@out points into ctx->events.
 * Return: 0, -ETIMEDOUT, or the connection's error.
 */
int sc_events_wait(struct sc_ctx *ctx, const char *name, json_object *data, int timeout_ms,
		   json_object **out, qd_error *err);

/* sc_ctx_note_pid() - remember a QEMU pid of this run (written as @PID@ in results). */
void sc_ctx_note_pid(struct sc_ctx *ctx, int pid);

/* sc_ctx_log() - add a line to the current step's QMP excerpt. */
void sc_ctx_log(struct sc_ctx *ctx, const char *prefix, const char *text);

/* sc_ctx_qemu_running() - whether the VM's QEMU process is alive (records how it ended). */
bool sc_ctx_qemu_running(struct sc_ctx *ctx);

/* sc_ctx_qemu_wait_gone() - wait up to @timeout_ms for QEMU to end; true when it did. */
bool sc_ctx_qemu_wait_gone(struct sc_ctx *ctx, int timeout_ms);

/* sc_ctx_image() - the path of disk image @id in the run's directory, created (sparse) when absent.
 */
char *sc_ctx_image(struct sc_ctx *ctx, const char *id, unsigned size_mb, qd_error *err);

/*
 * sc_check_expect() - compare what a step did with what it had to do
 * @ctx:      the run (for the state file and QEMU's view)
 * @step:     the step
 * @rc:       what the op returned
 * @err:      its error
 * @observed: its result (ok, error, members)
 * @failures: receives one string per unmet expectation
 */
void sc_check_expect(struct sc_ctx *ctx, const struct sc_step *step, int rc, const qd_error *err,
		     json_object *observed, json_object *failures);

/* sc_json_subset() - @want's members (recursively) are in @got: 0, or fills @why (malloc'd). */
int sc_json_subset(json_object *want, json_object *got, const char *path, char **why);

#endif
