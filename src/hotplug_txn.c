/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hotplug_txn.c - the one hot-plug transaction: record, backends, frontend, settle, undo (DOC in
 * .h) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "hotplug.h"
#include "names.h"
#include "qmp_commands.h"

/* One QMP step of a transaction: a descriptor passed, or a part of the spec added. */
struct step {
	struct qd_txn *t;
	bool is_fd;
	size_t index; /* into t->fd_names, or t->spec.part */
	struct qd_qmpc cmd;
	int r;
	qd_error err;
	bool sent;
};

void qd_txn_clear(struct qd_txn *t)
{
	qd_spec_clear(&t->spec);
	for (size_t i = 0; t->fd_names && i < t->nfds; i++)
		free(t->fd_names[i]);
	free(t->fd_names);
	free(t->fds);
	t->fd_names = NULL;
	t->fds = NULL;
	t->nfds = 0;
	qd_error_clear(&t->err);
}

/* ---- records ------------------------------------------------------------------------------- */

/* The record of @t, made (its slot was taken already) and its events claimed; not saved. */
static int record(struct qd_vm *vm, struct qd_txn *t, qd_error *err)
{
	int r;

	t->rec.plugging = false;
	if (t->vcpu)
		r = qd_state_add_vcpu(&vm->st, t->rec.id, t->vcpu_slot[0], t->vcpu_slot[1],
				      t->vcpu_slot[2], t->vcpu_slot[3]);
	else
		r = qd_state_add_device(&vm->st, &t->rec);
	if (r < 0)
		return qd_error_set(err, -ENOMEM, "out of memory");
	qd_hp_claim(vm, t->rec.id);
	return 0;
}

static void forget(struct qd_vm *vm, struct qd_txn *t)
{
	_cleanup_free_ char *id = strdup(t->rec.id);

	if (t->vcpu) {
		char last[32];

		qd_state_remove_vcpu(&vm->st, t->rec.id);
		/* QEMU has no such vCPU: its number is free again if it was the last given. */
		if (vm->st.vcpu_seq) {
			qd_name_vcpu(vm->st.vcpu_seq - 1, last, sizeof(last));
			if (id && !strcmp(last, id))
				vm->st.vcpu_seq--;
		}
		if (id)
			qd_hp_unclaim(vm, id);
	} else {
		qd_hp_forget(vm, t->rec.id);
	}
}

static void mark_plugging(struct qd_vm *vm, struct qd_txn *t)
{
	struct qd_device_record *rec;

	if (t->vcpu) {
		for (size_t i = 0; i < vm->st.nvcpus; i++)
			if (!strcmp(vm->st.vcpus[i].id, t->rec.id))
				vm->st.vcpus[i].plugging = true;
		return;
	}
	rec = qd_state_find_device(&vm->st, t->rec.id);
	if (rec)
		rec->plugging = true;
}

void qd_hp_forget(struct qd_vm *vm, const char *id)
{
	struct qd_device_record *rec = qd_state_find_device(&vm->st, id);
	_cleanup_free_ char *copy = strdup(id);

	if (!rec)
		return;
	qd_hp_release_slot(vm, rec->bridge, rec->slot, rec->id);
	qd_state_remove_device(&vm->st, copy ? copy : id);
	if (copy)
		qd_hp_unclaim(vm, copy);
}

/* 1 when QEMU has @t's device (or vCPU), 0 when not, or a query's error. */
static int present(struct qd_vm *vm, const struct qd_txn *t, int timeout_ms, qd_error *err)
{
	_cleanup_json_ json_object *cpus = NULL;
	int r;

	if (!t->vcpu) {
		r = qd_hp_gone_from_peripheral(vm, t->rec.id, timeout_ms, err);
		return r < 0 ? r : !r;
	}
	r = qd_qmpc_simple(vm->qmp, "query-cpus-fast", timeout_ms, &cpus, err);
	return r < 0 ? r : qd_hp_cpu_listed(cpus, t->rec.id);
}

/* ---- backends -------------------------------------------------------------------------------- */

/*
 * delete_one() - delete @name of @kind, done when QEMU no longer has it.
 * A refusal that may mean "not there" is checked by asking (no desc text).
 */
static int delete_one(struct qd_vm *vm, enum qd_part_kind kind, const char *name, bool is_fd,
		      int timeout_ms, qd_error *err)
{
	struct qd_qmpc c;
	int r = is_fd ? qd_qmpc_build_closefd(name, &c) : qd_qmpc_del_part(kind, name, &c);

	if (r < 0)
		return qd_error_set(err, r, "out of memory");
	r = qd_qmpc_run(vm->qmp, &c, timeout_ms, NULL, err);
	qd_qmpc_clear(&c);
	if (r == -ENOENT) {
		qd_error_clear(err);
		return 0;
	}
	if (r == -EREMOTEIO && (kind == QD_PART_BLOCKDEV || kind == QD_PART_OBJECT)) {
		qd_error probe = {0};
		int there = kind == QD_PART_BLOCKDEV
				? qd_qmpc_block_node_exists(vm->qmp, name, timeout_ms, &probe)
				: qd_qmpc_object_exists(vm->qmp, name, timeout_ms, &probe);

		qd_error_clear(&probe);
		if (there == 0) {
			qd_error_clear(err);
			return 0;
		}
	}
	return r;
}

/*
 * A deletion that failed is tried once more, on a new connection when the
 * first got no answer (a monitor that does not answer may never answer again).
 */
static int delete_with_retry(struct qd_vm *vm, enum qd_part_kind kind, const char *name, bool is_fd,
			     int timeout_ms, qd_error *err)
{
	int r = delete_one(vm, kind, name, is_fd, timeout_ms, err);

	if (r == 0)
		return 0;
	if (r == -ETIMEDOUT || !qd_hp_can_ask(vm)) {
		qd_qmp_free(vm->qmp);
		vm->qmp = NULL;
		if (qd_vm_connect(vm, timeout_ms, NULL) < 0)
			return r;
	}
	qd_error_clear(err);
	return delete_one(vm, kind, name, is_fd, timeout_ms, err);
}

int qd_hp_delete_backends(struct qd_vm *vm, const struct qd_device_record *rec, bool fds,
			  int timeout_ms, qd_error *err)
{
	const struct {
		enum qd_part_kind kind;
		const char *name;
	} backends[] = {
	    {QD_PART_NETDEV, rec->netdev},
	    {QD_PART_BLOCKDEV, rec->node},
	    {QD_PART_OBJECT, rec->memdev},
	};
	int first = 0;

	/* Copies: a reconnect reloads nothing, but the record may move in the array. */
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		_cleanup_free_ char *name = backends[i].name ? strdup(backends[i].name) : NULL;
		qd_error e = {0};
		int r;

		if (!backends[i].name)
			continue;
		if (!name)
			return qd_error_set(err, -ENOMEM, "out of memory");
		r = delete_with_retry(vm, backends[i].kind, name, false, timeout_ms, &e);
		if (r < 0 && !first) {
			first =
			    qd_error_set(err, r, "%s %s was not deleted: %s",
					 backends[i].kind == QD_PART_BLOCKDEV ? "block node"
					 : backends[i].kind == QD_PART_NETDEV ? "netdev"
									      : "memory backend",
					 name, e.message ? e.message : strerror(-r));
			if (e.qmp_class && err && (err->qmp_class = strdup(e.qmp_class)) == NULL)
				first = qd_error_set(err, -ENOMEM, "out of memory");
		}
		qd_error_clear(&e);
	}
	for (unsigned q = 0; fds && q < rec->queues; q++)
		for (int vhost = 0; vhost < 2; vhost++) {
			_cleanup_free_ char *name = qd_name_fd(rec->id, vhost, q);
			qd_error e = {0};

			if (name &&
			    delete_with_retry(vm, QD_PART_NETDEV, name, true, timeout_ms, &e) < 0 &&
			    !first)
				first =
				    qd_error_set(err, e.code, "descriptor %s was not closed: %s",
						 name, e.message ? e.message : "");
			qd_error_clear(&e);
		}
	return first;
}

/* ---- steps ----------------------------------------------------------------------------------- */

static size_t steps_of(const struct qd_txn *t)
{
	return t->nfds + t->spec.n;
}

static int build_steps(struct qd_txn *t, size_t n, struct step *steps)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		for (size_t f = 0; f < t[i].nfds; f++, k++) {
			steps[k] = (struct step){.t = &t[i], .is_fd = true, .index = f};
			if (qd_qmpc_build_getfd(t[i].fd_names[f], t[i].fds[f], &steps[k].cmd) < 0)
				return -ENOMEM;
		}
		for (size_t p = 0; p < t[i].spec.n; p++, k++) {
			steps[k] = (struct step){.t = &t[i], .index = p};
			if (qd_qmpc_add_part(&t[i].spec.part[p], &steps[k].cmd) < 0)
				return -EINVAL;
		}
	}
	return 0;
}

static void free_steps(struct step *steps, size_t n)
{
	for (size_t i = 0; steps && i < n; i++) {
		qd_qmpc_clear(&steps[i].cmd);
		qd_error_clear(&steps[i].err);
	}
	free(steps);
}

/* Each transaction's steps in turn, each waiting for its reply; a failure ends its transaction. */
static void send_sequential(struct qd_vm *vm, struct step *steps, size_t nsteps, int timeout_ms)
{
	struct qd_txn *failed = NULL;

	for (size_t i = 0; i < nsteps; i++) {
		struct step *s = &steps[i];

		if (s->t == failed)
			continue;
		s->sent = true;
		s->r = qd_qmpc_run(vm->qmp, &s->cmd, timeout_ms, NULL, &s->err);
		if (s->r < 0)
			failed = s->t;
	}
}

/* All steps in one write, then every reply. */
static void send_pipelined(struct qd_vm *vm, struct step *steps, size_t nsteps, int timeout_ms)
{
	_cleanup_free_ struct qd_qmpc *cmds = calloc(nsteps, sizeof(*cmds));
	_cleanup_free_ int *codes = calloc(nsteps, sizeof(*codes));
	_cleanup_free_ qd_error *errs = calloc(nsteps, sizeof(*errs));
	qd_error batch = {0};

	if (!cmds || !codes || !errs) {
		for (size_t i = 0; i < nsteps; i++)
			steps[i].r = qd_error_set(&steps[i].err, -ENOMEM, "out of memory");
		return;
	}
	for (size_t i = 0; i < nsteps; i++)
		cmds[i] = steps[i].cmd;
	qd_qmpc_run_batch(vm->qmp, cmds, nsteps, timeout_ms, codes, errs, &batch);
	for (size_t i = 0; i < nsteps; i++) {
		steps[i].sent = true;
		steps[i].r = codes[i];
		steps[i].err = errs[i];
	}
	qd_error_clear(&batch);
}

/* ---- outcomes -------------------------------------------------------------------------------- */

static bool uncertain(struct qd_vm *vm, int r)
{
	return r == -ETIMEDOUT || !qd_hp_can_ask(vm);
}

/*
 * settle() - an outcome that is unknown, decided by asking QEMU (if it can
 * still be asked): the device there means the plug completed; otherwise
 * what the record names is deleted and the record goes. QEMU answers in
 * order, so a question that times out too waits behind the step that has
 * not finished yet: it is asked once more.
 * Return: 1 plugged (found at the first question: the step's reply was only
 * late), 2 plugged (found only when asked again: well past the deadline),
 * 0 undone, or < 0 (recorded as plugging).
 */
static int settle(struct qd_vm *vm, struct qd_txn *t, int timeout_ms)
{
	struct qd_device_record *rec;
	qd_error probe = {0};
	int r = -ENOTCONN, attempt;

	for (attempt = 0; attempt < 2 && qd_hp_can_ask(vm); attempt++) {
		qd_error_clear(&probe);
		r = present(vm, t, timeout_ms, &probe);
		if (r != -ETIMEDOUT)
			break;
	}

	if (r == 0 && !t->vcpu) {
		rec = qd_state_find_device(&vm->st, t->rec.id);
		r = rec ? qd_hp_delete_backends(vm, rec, t->nfds > 0, timeout_ms, &probe) : 0;
		if (r > 0)
			r = 0;
		if (r < 0)
			r = -EAGAIN; /* still there: the record stays (plugging) */
	}
	qd_error_clear(&probe);
	if (r == 0) {
		forget(vm, t);
		t->undone = true;
		return 0;
	}
	if (r == 1)
		return attempt == 0 ? 1 : 2;
	mark_plugging(vm, t);
	return r;
}

/* Undo the steps of @t that QEMU took, last first; keep the first error, mention the others. */
static bool undo(struct qd_vm *vm, struct qd_txn *t, struct step *steps, size_t nsteps,
		 int timeout_ms)
{
	bool left_unfindable = false;

	for (size_t i = nsteps; i-- > 0;) {
		struct step *s = &steps[i];
		const struct qd_part *p = s->is_fd ? NULL : &t->spec.part[s->index];
		const char *name = s->is_fd ? t->fd_names[s->index] : qd_part_name(p);
		qd_error e = {0};

		if (s->t != t || !s->sent || s->r < 0)
			continue;
		if (delete_one(vm, p ? p->kind : QD_PART_NETDEV, name, s->is_fd, timeout_ms, &e) <
		    0) {
			qd_error_append(&t->err, " (and removing %s %s failed: %s)",
					s->is_fd		      ? "descriptor"
					: p->kind == QD_PART_BLOCKDEV ? "block node"
					: p->kind == QD_PART_NETDEV   ? "netdev"
								      : "object",
					name, e.message ? e.message : "");
			qd_log(&vm->log, QD_LOG_ERR, "rollback of %s failed: %s", name,
			       e.message ? e.message : "");
			/* reconcile finds our block nodes and memory backends, not netdevs or fds
			 */
			left_unfindable |= s->is_fd || p->kind == QD_PART_NETDEV;
		}
		qd_error_clear(&e);
	}
	return left_unfindable;
}

/*
 * judge() - the outcome of @t from its steps' replies: plugged, refused
 * (undone), or unknown (settled). Return: whether the state changed since
 * the intent was saved.
 */
static bool judge(struct qd_vm *vm, struct qd_txn *t, struct step *steps, size_t nsteps,
		  int timeout_ms)
{
	struct step *failed = NULL, *front = NULL;
	int r;

	for (size_t i = 0; i < nsteps; i++) {
		if (steps[i].t != t)
			continue;
		if (!steps[i].is_fd && steps[i].index == t->spec.n - 1)
			front = &steps[i];
		if (!failed && (!steps[i].sent || steps[i].r < 0))
			failed = &steps[i];
	}
	t->r = 0;
	if (!failed)
		return false;
	if (front && front->sent && front->r == 0) {
		/* A backend was refused but the device went in all the same (it found one). */
		qd_log(&vm->log, QD_LOG_WARNING,
		       "device %s: %s refused (%s) but QEMU made the device", t->rec.id,
		       failed->cmd.command, failed->err.message ? failed->err.message : "");
		return false;
	}
	t->r = failed->r;
	qd_error_clear(&t->err);
	t->err = failed->err;
	failed->err = (qd_error){0};
	if (!failed->sent)
		t->r = qd_error_set(&t->err, -ECANCELED, "not sent");
	if (!uncertain(vm, t->r)) {
		if (undo(vm, t, steps, nsteps, timeout_ms)) {
			mark_plugging(vm, t);
			qd_hp_append(&t->err,
				     "device %s stays recorded as plugging until the next "
				     "add of it or qd_vm_reconcile() removes what is left",
				     t->rec.id);
		} else {
			forget(vm, t);
			t->undone = true;
		}
		return true;
	}
	r = settle(vm, t, timeout_ms);
	if (r == 1 && failed == front) {
		/* Only the device's reply was lost, and QEMU has the device. */
		qd_log(&vm->log, QD_LOG_WARNING, "%s %s got no answer but QEMU has the device",
		       front->cmd.command, t->rec.id);
		qd_error_clear(&t->err);
		t->r = 0;
		return false;
	}
	if (r > 0)
		qd_hp_append(&t->err, "QEMU made device %s all the same; it is recorded as plugged",
			     t->rec.id);
	else if (r == 0)
		qd_hp_append(&t->err, "QEMU has no device %s and what the step made was removed",
			     t->rec.id);
	else
		qd_hp_append(&t->err,
			     "device %s is recorded as plugging until the next add of it or "
			     "qd_vm_reconcile() sees what QEMU did",
			     t->rec.id);
	return true;
}

int qd_txn_run(struct qd_vm *vm, struct qd_txn *t, size_t n, bool pipelined, int timeout_ms,
	       qd_error *err)
{
	struct step *steps = NULL;
	size_t nsteps = 0, recorded = 0, failures = 0;
	bool changed = false;
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		t[i].r = 0;
		t[i].undone = false;
		nsteps += steps_of(&t[i]);
	}
	for (; recorded < n && r == 0; recorded++)
		r = record(vm, &t[recorded], err);
	if (r == 0)
		r = qd_hp_save(vm, err);
	if (r < 0) {
		/* Nothing was sent: every record goes (the slots with them). */
		for (size_t i = 0; i < n; i++) {
			if (i < recorded)
				forget(vm, &t[i]);
			else
				qd_hp_release_slot(vm, t[i].rec.bridge, t[i].rec.slot, t[i].rec.id);
			t[i].r = qd_error_copy(&t[i].err, err);
			t[i].undone = true;
		}
		qd_hp_save(vm, NULL);
		return r;
	}
	steps = calloc(nsteps ? nsteps : 1, sizeof(*steps));
	r = steps ? build_steps(t, n, steps) : -ENOMEM;
	if (r == 0 && pipelined)
		send_pipelined(vm, steps, nsteps, timeout_ms);
	else if (r == 0)
		send_sequential(vm, steps, nsteps, timeout_ms);
	for (size_t i = 0; i < n; i++) {
		if (r < 0) {
			t[i].r = qd_error_set(&t[i].err, r, "out of memory");
			forget(vm, &t[i]);
			t[i].undone = changed = true;
			continue;
		}
		changed |= judge(vm, &t[i], steps, nsteps, timeout_ms);
	}
	free_steps(steps, nsteps);
	if (changed) {
		qd_error ignored = {0};

		qd_hp_save(vm, &ignored);
		qd_error_clear(&ignored);
	}
	r = 0;
	for (size_t i = 0; i < n; i++) {
		if (t[i].r == 0)
			continue;
		if (!failures++)
			r = qd_error_copy(err, &t[i].err);
	}
	if (n > 1 && failures)
		qd_hp_append(err, "%zu of %zu devices were not plugged", failures, n);
	return r;
}

int qd_hp_settle_earlier(struct qd_vm *vm, const char *id, int timeout_ms, qd_error *err)
{
	struct qd_device_record *rec = id ? qd_state_find_device(&vm->st, id) : NULL;
	bool was_plugging;
	int r;

	if (!rec)
		return 0;
	was_plugging = rec->plugging;
	r = qd_hp_gone_from_peripheral(vm, id, timeout_ms, err);
	if (r == 0) {
		if (was_plugging) {
			rec->plugging = false;
			qd_log(&vm->log, QD_LOG_INFO,
			       "device %s: its interrupted hot-plug completed", id);
			qd_hp_save(vm, NULL);
		}
		return qd_error_set(err, -EEXIST, "device id '%s' is already hot-plugged%s", id,
				    was_plugging ? " (an earlier, interrupted add of it completed)"
						 : "");
	}
	if (r < 0)
		return r;
	r = qd_hp_delete_backends(vm, rec, true, timeout_ms, err);
	if (r < 0)
		return r;
	qd_log(&vm->log, QD_LOG_INFO, "device %s: its interrupted hot-plug did not happen; undone",
	       id);
	qd_hp_forget(vm, id);
	return qd_hp_save(vm, err);
}

/* ---- adds: one device, or a batch --------------------------------------------------------------
 */

void qd_plug_results_clear(struct qd_plug_result *results, size_t n)
{
	for (size_t i = 0; results && i < n; i++) {
		free(results[i].location);
		results[i].location = NULL;
		qd_error_clear(&results[i].error);
		results[i].code = 0;
	}
}

/* Give back what prepare() took for transactions that will not run. */
static void release_prepared(struct qd_vm *vm, struct qd_txn *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		qd_hp_release_slot(vm, t[i].rec.bridge, t[i].rec.slot, t[i].rec.id);
		qd_txn_clear(&t[i]);
	}
}

/* Checks before anything is prepared: an earlier record of each id settled, no id twice. */
static int check_batch(struct qd_vm *vm, const struct qd_hp_kind *kind, const char *const *ids,
		       size_t n, size_t *bad, int timeout_ms, qd_error *err)
{
	int r;

	for (size_t i = 0; i < n; i++) {
		*bad = i;
		for (size_t j = 0; j < i; j++)
			if (ids[i] && ids[j] && !strcmp(ids[i], ids[j]))
				return qd_error_set(err, -EINVAL,
						    "%s id '%s' is given twice in the batch",
						    kind->what, ids[i]);
		r = qd_hp_settle_earlier(vm, ids[i], timeout_ms, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int qd_hp_plug(struct qd_vm *vm, const struct qd_hp_kind *kind, const void *devs, size_t n,
	       bool pipelined, int timeout_ms, char **location, struct qd_plug_result *results,
	       qd_error *err)
{
	_cleanup_free_ struct qd_txn *t = NULL;
	_cleanup_free_ const char **ids = NULL;
	size_t prepared = 0, bad = 0;
	qd_error local = {0};
	int r;

	if (!err)
		err = &local; /* copied into @results */
	if (location)
		*location = NULL;
	for (size_t i = 0; results && i < n; i++)
		results[i] = (struct qd_plug_result){0};
	if (n == 0) {
		r = qd_error_check_timeout(err, timeout_ms);
		qd_error_clear(&local);
		return r;
	}
	t = calloc(n, sizeof(*t));
	ids = calloc(n, sizeof(*ids));
	if (!t || !ids) {
		qd_error_clear(&local);
		return qd_error_set(err == &local ? NULL : err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		ids[i] = kind->id_of((const char *)devs + i * kind->size);
	r = qd_hp_begin(vm, timeout_ms, err);
	if (r < 0) {
		for (size_t i = 0; results && i < n; i++)
			results[i].code = qd_error_copy(&results[i].error, err);
		qd_error_clear(&local);
		return r;
	}
	r = check_batch(vm, kind, ids, n, &bad, timeout_ms, err);
	for (; r == 0 && prepared < n; prepared++) {
		bad = prepared;
		r = kind->prepare(vm, (const char *)devs + prepared * kind->size, &t[prepared],
				  timeout_ms, err);
	}
	if (r < 0) {
		/* Nothing is sent when one of them cannot be: the batch is refused whole. */
		if (prepared > bad)
			prepared = bad;
		release_prepared(vm, t, prepared);
		for (size_t i = 0; results && i < n; i++) {
			results[i].code = i == bad
					      ? qd_error_copy(&results[i].error, err)
					      : qd_error_set(&results[i].error, -ECANCELED,
							     "not sent: %s %s of the batch "
							     "was refused",
							     kind->what, ids[bad] ? ids[bad] : "");
		}
		goto out;
	}
	r = qd_txn_run(vm, t, n, pipelined, timeout_ms, err);
	for (size_t i = 0; i < n; i++) {
		char *where = NULL;

		if (t[i].r == 0 && kind->finish) {
			t[i].r = kind->finish(vm, (const char *)devs + i * kind->size, &t[i],
					      &where, timeout_ms, &t[i].err);
			if (t[i].r < 0 && r == 0)
				r = qd_error_copy(err, &t[i].err);
		}
		if (results) {
			results[i].code = t[i].r;
			results[i].location = where;
			results[i].error = t[i].err;
			t[i].err = (qd_error){0};
		} else if (location && i == 0) {
			*location = where;
		} else {
			free(where);
		}
		if (t[i].r == 0)
			qd_log(&vm->log, QD_LOG_INFO, "hot-plugged %s %s", kind->what, t[i].rec.id);
		qd_txn_clear(&t[i]);
	}
out:
	pthread_mutex_unlock(&vm->lock);
	qd_error_clear(&local);
	return r;
}
