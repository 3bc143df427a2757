/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* scenario_ops.c - the step kinds of a scenario: one table entry and one function each */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "proc.h"
#include "qdctl.h"
#include "scenario_ctx.h"

/*
 * DOC: ops
 *
 * An op is a row of sc_ops[]: its name, the parameters it takes (checked
 * by the parser, so a typo in a scenario is an error naming the member),
 * flags, and a function that does it through the public library API and
 * puts what it observed in @result. Adding a step kind (issue 11:
 * add-memory, add-net) is adding a row and a function here.
 */

static const char *str_param(const struct sc_step *s, const char *name)
{
	json_object *v;

	return json_object_object_get_ex(s->json, name, &v) ? json_object_get_string(v) : NULL;
}

static json_object *obj_param(const struct sc_step *s, const char *name)
{
	json_object *v;

	return json_object_object_get_ex(s->json, name, &v) ? v : NULL;
}

static unsigned uint_param(const struct sc_step *s, const char *name, unsigned def)
{
	json_object *v;

	return json_object_object_get_ex(s->json, name, &v) ? (unsigned)json_object_get_int(v)
							    : def;
}

static bool bool_param(const struct sc_step *s, const char *name, bool def)
{
	json_object *v;

	return json_object_object_get_ex(s->json, name, &v) ? json_object_get_boolean(v) : def;
}

static int need_vm(struct sc_ctx *ctx, qd_error *err)
{
	if (!ctx->vm)
		return qdctl_error_set(err, -ENOTCONN, "no VM: an earlier restart failed");
	return 0;
}

/* ---- life cycle ------------------------------------------------------------------------ */

static int op_start(struct sc_ctx *ctx, const struct sc_step *s, json_object *result, qd_error *err)
{
	int r = need_vm(ctx, err);

	(void)s;
	(void)result;
	if (r < 0)
		return r;
	r = qd_vm_start(ctx->vm, ctx->timeout_ms, err);
	if (r < 0)
		return r;
	ctx->qemu_pid = qd_vm_pid(ctx->vm);
	sc_ctx_note_pid(ctx, ctx->qemu_pid);
	free(ctx->qemu_exit);
	ctx->qemu_exit = NULL;
	if (ctx->sc->level == SC_LEVEL_GUEST && !ctx->target->fake) {
		sc_console_close(&ctx->console);
		r = sc_console_open(&ctx->console, qd_vm_console_path(ctx->vm), err);
		if (r == 0)
			r = sc_console_boot_wait(&ctx->console, ctx->sc->boot_timeout_ms, err);
	}
	return r;
}

static int op_stop(struct sc_ctx *ctx, const struct sc_step *s, json_object *result, qd_error *err)
{
	int r = need_vm(ctx, err);

	(void)s;
	(void)result;
	if (r < 0)
		return r;
	ctx->expect_qemu_gone = true;
	sc_console_close(&ctx->console);
	return qd_vm_stop(ctx->vm, ctx->timeout_ms, err);
}

static int op_pause(struct sc_ctx *ctx, const struct sc_step *s, json_object *result, qd_error *err)
{
	int r = need_vm(ctx, err);

	(void)s;
	(void)result;
	return r < 0 ? r : qd_vm_pause(ctx->vm, ctx->timeout_ms, err);
}

static int op_resume(struct sc_ctx *ctx, const struct sc_step *s, json_object *result,
		     qd_error *err)
{
	int r = need_vm(ctx, err);

	(void)s;
	(void)result;
	return r < 0 ? r : qd_vm_resume(ctx->vm, ctx->timeout_ms, err);
}

static int op_status(struct sc_ctx *ctx, const struct sc_step *s, json_object *result,
		     qd_error *err)
{
	char *status = NULL;
	int r = need_vm(ctx, err);

	(void)s;
	if (r == 0)
		r = qd_vm_status(ctx->vm, ctx->timeout_ms, &status, err);
	if (r == 0)
		json_object_object_add(result, "status", json_object_new_string(status));
	free(status);
	return r;
}

static int op_caps(struct sc_ctx *ctx, const struct sc_step *s, json_object *result, qd_error *err)
{
	int r = need_vm(ctx, err);
	unsigned caps;

	(void)s;
	if (r < 0)
		return r;
	caps = qd_vm_capabilities(ctx->vm);
	qdctl_caps_json(caps, result);
	return 0;
}

/* A client that restarts: the handle goes (QEMU keeps running), a new one loads the state. */
static int op_restart(struct sc_ctx *ctx, const struct sc_step *s, json_object *result,
		      qd_error *err)
{
	int r;

	(void)result;
	sc_console_close(&ctx->console);
	qd_vm_free(ctx->vm);
	ctx->vm = NULL;
	r = sc_ctx_new_vm(ctx, err);
	if (r < 0 || !bool_param(s, "attach", true))
		return r;
	r = qd_vm_attach(ctx->vm, ctx->timeout_ms, err);
	if (r == 0 && ctx->sc->level == SC_LEVEL_GUEST && !ctx->target->fake)
		r = sc_console_open(&ctx->console, qd_vm_console_path(ctx->vm), err);
	return r;
}

static int op_reconcile(struct sc_ctx *ctx, const struct sc_step *s, json_object *result,
			qd_error *err)
{
	char *report = NULL;
	int r = need_vm(ctx, err);

	(void)s;
	if (r == 0)
		r = qd_vm_reconcile(ctx->vm, ctx->timeout_ms, &report, err);
	if (r == 0)
		json_object_object_add(result, "report", json_object_new_string(report));
	free(report);
	return r;
}

/* QEMU dies (a crash seen in the field): the signal is sent and its end awaited. */
static int op_kill(struct sc_ctx *ctx, const struct sc_step *s, json_object *result, qd_error *err)
{
	const char *name = str_param(s, "signal");
	int sig = name ? sc_signal_value(name) : SIGKILL;
	pid_t pid = ctx->vm ? qd_vm_pid(ctx->vm) : -1;

	if (pid <= 0)
		return qdctl_error_set(err, -ESRCH, "QEMU is not running");
	ctx->expect_qemu_gone = true;
	if (kill(pid, sig) < 0)
		return qdctl_error_set(err, -errno, "kill %d: %s", (int)pid, strerror(errno));
	json_object_object_add(result, "signal", json_object_new_string(sigabbrev_np(sig)));
	if (sig == SIGKILL || sig == SIGSEGV || sig == SIGABRT || sig == SIGTERM) {
		if (!sc_ctx_qemu_wait_gone(ctx, ctx->timeout_ms))
			return qdctl_error_set(err, -ETIMEDOUT,
					       "QEMU (pid %d) still runs %d ms after SIG%s",
					       (int)pid, ctx->timeout_ms, sigabbrev_np(sig));
	}
	return 0;
}

/* ---- hot-plug -------------------------------------------------------------------------- */

static int op_add_vcpus(struct sc_ctx *ctx, const struct sc_step *s, json_object *result,
			qd_error *err)
{
	unsigned added = 0;
	int r = need_vm(ctx, err);

	if (r < 0)
		return r;
	r = qd_vm_add_vcpus(ctx->vm, uint_param(s, "count", 1), ctx->timeout_ms, &added, err);
	json_object_object_add(result, "added", json_object_new_int((int)added));
	return r;
}

static int op_remove_vcpus(struct sc_ctx *ctx, const struct sc_step *s, json_object *result,
			   qd_error *err)
{
	unsigned removed = 0;
	int r = need_vm(ctx, err);

	if (r < 0)
		return r;
	r = qd_vm_remove_vcpus(ctx->vm, uint_param(s, "count", 1), ctx->timeout_ms, &removed, err);
	json_object_object_add(result, "removed", json_object_new_int((int)removed));
	return r;
}

/* @o's member @name (a step, or an entry of a list parameter). */
static const char *str_member(json_object *o, const char *name)
{
	json_object *v;

	return json_object_object_get_ex(o, name, &v) ? json_object_get_string(v) : NULL;
}

/*
 * A disk from its description (a step, or an entry of add-blocks): a sparse
 * image of size_mb is made for it when it gives no path (*@image: free it).
 */
static int block_of(struct sc_ctx *ctx, json_object *o, struct qd_block_device *dev, char **image,
		    qd_error *err)
{
	json_object *v;

	*dev = (struct qd_block_device){.id = str_member(o, "id"),
					.path = str_member(o, "path"),
					.format = str_member(o, "format")};
	*image = NULL;
	if (json_object_object_get_ex(o, "read_only", &v))
		dev->read_only = json_object_get_boolean(v);
	if (json_object_object_get_ex(o, "index", &v))
		dev->index = (unsigned)json_object_get_int(v);
	if (!dev->path) {
		*image = sc_ctx_image(ctx, dev->id,
				      json_object_object_get_ex(o, "size_mb", &v)
					  ? (unsigned)json_object_get_int(v)
					  : 8,
				      err);
		if (!*image)
			return err->code;
		dev->path = *image;
	}
	return 0;
}

static int op_add_block(struct sc_ctx *ctx, const struct sc_step *s, json_object *result,
			qd_error *err)
{
	struct qd_block_device dev;
	char *image = NULL, *location = NULL;
	int r = need_vm(ctx, err);

	if (r == 0)
		r = block_of(ctx, s->json, &dev, &image, err);
	if (r < 0)
		return r;
	r = qd_vm_add_block(ctx->vm, &dev, ctx->timeout_ms, &location, err);
	if (r == 0)
		json_object_object_add(result, "location", json_object_new_string(location));
	free(location);
	free(image);
	return r;
}

/* add-blocks: the disks of "disks" in one pipelined batch; result {"results": [...]}. */
static int op_add_blocks(struct sc_ctx *ctx, const struct sc_step *s, json_object *result,
			 qd_error *err)
{
	json_object *list = obj_param(s, "disks");
	size_t n = json_object_array_length(list);
	struct qd_block_device *devs = calloc(n, sizeof(*devs));
	struct qd_plug_result *res = calloc(n, sizeof(*res));
	const char **ids = calloc(n, sizeof(*ids));
	char **images = calloc(n, sizeof(*images));
	int r = need_vm(ctx, err);

	if (r == 0 && (!devs || !res || !ids || !images))
		r = qdctl_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = block_of(ctx, json_object_array_get_idx(list, i), &devs[i], &images[i], err);
		ids[i] = devs[i].id;
	}
	if (r == 0) {
		r = qd_vm_add_blocks(ctx->vm, devs, n, ctx->timeout_ms, res, err);
		json_object_object_add(result, "results", qdctl_plug_results_json(ids, res, n));
		qd_plug_results_clear(res, n);
	}
	for (size_t i = 0; images && i < n; i++)
		free(images[i]);
	free(images);
	free(ids);
	free(res);
	free(devs);
	return r;
}

static int op_add_memory(struct sc_ctx *ctx, const struct sc_step *s, json_object *result,
			 qd_error *err)
{
	struct qd_memory_device m = {
	    .id = str_param(s, "id"),
	    .size_mb = uint_param(s, "size_mb", 0),
	    .mem_path = str_param(s, "mem_path"),
	    .shared = bool_param(s, "shared", false),
	    .hugepages = bool_param(s, "hugepages", false),
	    .prealloc = bool_param(s, "prealloc", false),
	    .requested_mb = uint_param(s, "requested_mb", 0),
	};
	char *location = NULL;
	int r = need_vm(ctx, err);

	if (r < 0)
		return r;
	/* The parser checked the names. */
	if (str_param(s, "model"))
		m.model =
		    (enum qd_memory_model)qdctl_choice(qdctl_memory_models, str_param(s, "model"));
	if (str_param(s, "backend"))
		m.backend = (enum qd_memory_backend)qdctl_choice(qdctl_memory_backends,
								 str_param(s, "backend"));
	r = qd_vm_add_memory(ctx->vm, &m, ctx->timeout_ms, &location, err);
	if (r == 0)
		json_object_object_add(result, "location", json_object_new_string(location));
	free(location);
	return r;
}

static int op_remove_memory(struct sc_ctx *ctx, const struct sc_step *s, json_object *result,
			    qd_error *err)
{
	int r = need_vm(ctx, err);

	(void)result;
	return r < 0 ? r : qd_vm_remove_memory(ctx->vm, str_param(s, "id"), ctx->timeout_ms, err);
}

/*
 * A NIC from its description (a step, or an entry of add-nets), its tap
 * opened by qdctl into @taps (QEMU gets copies: close them after the add).
 */
static int nic_of(json_object *o, struct qd_net_device *n, struct qdctl_taps *taps, qd_error *err)
{
	json_object *v;
	int r;

	*n = (struct qd_net_device){
	    .id = str_member(o, "id"), .mac = str_member(o, "mac"), .queues = 1};
	if (json_object_object_get_ex(o, "queues", &v))
		n->queues = (unsigned)json_object_get_int(v);
	if (json_object_object_get_ex(o, "vhost", &v))
		n->vhost = json_object_get_boolean(v);
	r = qdctl_taps_open(str_member(o, "tap"), n->queues, taps, err);
	n->tap_fds = taps->fds;
	return r;
}

/* add-nets: the NICs of "nics" in one pipelined batch; result {"results": [...]}. */
static int op_add_nets(struct sc_ctx *ctx, const struct sc_step *s, json_object *result,
		       qd_error *err)
{
	json_object *list = obj_param(s, "nics");
	size_t n = json_object_array_length(list), opened = 0;
	struct qd_net_device *nics = calloc(n, sizeof(*nics));
	struct qdctl_taps *taps = calloc(n, sizeof(*taps));
	struct qd_plug_result *res = calloc(n, sizeof(*res));
	const char **ids = calloc(n, sizeof(*ids));
	int r = need_vm(ctx, err);

	if (r == 0 && (!nics || !taps || !res || !ids))
		r = qdctl_error_set(err, -ENOMEM, "out of memory");
	for (; r == 0 && opened < n; opened++) {
		r = nic_of(json_object_array_get_idx(list, opened), &nics[opened], &taps[opened],
			   err);
		ids[opened] = nics[opened].id;
	}
	if (r == 0) {
		r = qd_vm_add_nets(ctx->vm, nics, n, ctx->timeout_ms, res, err);
		json_object_object_add(result, "results", qdctl_plug_results_json(ids, res, n));
		qd_plug_results_clear(res, n);
	}
	for (size_t i = 0; taps && i < opened; i++)
		qdctl_taps_close(&taps[i]);
	free(ids);
	free(res);
	free(taps);
	free(nics);
	return r;
}

static int op_add_net(struct sc_ctx *ctx, const struct sc_step *s, json_object *result,
		      qd_error *err)
{
	struct qd_net_device n;
	struct qdctl_taps taps;
	char *location = NULL;
	int r = need_vm(ctx, err);

	if (r == 0)
		r = nic_of(s->json, &n, &taps, err);
	if (r < 0)
		return r;
	r = qd_vm_add_net(ctx->vm, &n, ctx->timeout_ms, &location, err);
	if (r == 0)
		json_object_object_add(result, "location", json_object_new_string(location));
	free(location);
	qdctl_taps_close(&taps);
	return r;
}

static int op_remove_net(struct sc_ctx *ctx, const struct sc_step *s, json_object *result,
			 qd_error *err)
{
	int r = need_vm(ctx, err);

	(void)result;
	return r < 0 ? r : qd_vm_remove_net(ctx->vm, str_param(s, "id"), ctx->timeout_ms, err);
}

static int op_remove_block(struct sc_ctx *ctx, const struct sc_step *s, json_object *result,
			   qd_error *err)
{
	int r = need_vm(ctx, err);

	(void)result;
	return r < 0 ? r : qd_vm_remove_block(ctx->vm, str_param(s, "id"), ctx->timeout_ms, err);
}

static int op_add_vfio(struct sc_ctx *ctx, const struct sc_step *s, json_object *result,
		       qd_error *err)
{
	char *location = NULL;
	int r = need_vm(ctx, err);

	if (r < 0)
		return r;
	r = qd_vm_add_vfio(ctx->vm, str_param(s, "id"), str_param(s, "host"), ctx->timeout_ms,
			   &location, err);
	if (r == 0)
		json_object_object_add(result, "location", json_object_new_string(location));
	free(location);
	return r;
}

static int op_remove_vfio(struct sc_ctx *ctx, const struct sc_step *s, json_object *result,
			  qd_error *err)
{
	int r = need_vm(ctx, err);

	(void)result;
	return r < 0 ? r : qd_vm_remove_vfio(ctx->vm, str_param(s, "id"), ctx->timeout_ms, err);
}

/* ---- QMP and events --------------------------------------------------------------------- */

static int op_qmp(struct sc_ctx *ctx, const struct sc_step *s, json_object *result, qd_error *err)
{
	json_object *ret = NULL;
	struct qd_qmp *q;
	int r = need_vm(ctx, err);

	if (r < 0)
		return r;
	q = qd_vm_qmp(ctx->vm);
	if (!q)
		return qdctl_error_set(err, -ENOTCONN, "the VM has no QMP connection");
	r = qd_qmp_execute(q, str_param(s, "execute"), obj_param(s, "arguments"), ctx->timeout_ms,
			   &ret, err);
	if (r == 0)
		json_object_object_add(result, "return", ret);
	return r;
}

static int op_wait_event(struct sc_ctx *ctx, const struct sc_step *s, json_object *result,
			 qd_error *err)
{
	json_object *ev = NULL, *d;
	int r = need_vm(ctx, err);

	if (r == 0)
		r = sc_events_wait(ctx, str_param(s, "event"), obj_param(s, "data"),
				   ctx->timeout_ms, &ev, err);
	if (r < 0)
		return r;
	json_object_object_add(result, "event", json_object_new_string(str_param(s, "event")));
	if (json_object_object_get_ex(ev, "data", &d))
		json_object_object_add(result, "data", json_object_get(d));
	return 0;
}

static int op_fault(struct sc_ctx *ctx, const struct sc_step *s, json_object *result, qd_error *err)
{
	json_object *args = json_object_new_object(), *ret = NULL, *id;
	struct qd_qmp *q;
	int r = need_vm(ctx, err);

	if (r < 0) {
		json_object_put(args);
		return r;
	}
	q = qd_vm_qmp(ctx->vm);
	json_object_object_add(args, "rule", json_object_get(obj_param(s, "rule")));
	r = q ? qd_qmp_execute(q, "x-fakeqemu-fault", args, ctx->timeout_ms, &ret, err)
	      : qdctl_error_set(err, -ENOTCONN, "the VM has no QMP connection");
	if (r == 0 && json_object_object_get_ex(ret, "id", &id))
		json_object_object_add(result, "rule", json_object_get(id));
	json_object_put(ret);
	json_object_put(args);
	return r;
}

/* ---- the guest ------------------------------------------------------------------------ */

static int op_guest_run(struct sc_ctx *ctx, const struct sc_step *s, json_object *result,
			qd_error *err)
{
	char *output = NULL;
	int status, r;

	if (ctx->console.fd < 0)
		return qdctl_error_set(err, -ENOTCONN, "no guest console (the VM is not running)");
	r = sc_console_run(&ctx->console, str_param(s, "command"), ctx->timeout_ms, &output,
			   &status, err);
	if (r == 0) {
		json_object_object_add(result, "output", json_object_new_string(output));
		json_object_object_add(result, "status", json_object_new_int(status));
	}
	free(output);
	return r;
}

static int op_guest_wait(struct sc_ctx *ctx, const struct sc_step *s, json_object *result,
			 qd_error *err)
{
	char *line = NULL;
	regex_t re;
	int r;

	if (ctx->console.fd < 0)
		return qdctl_error_set(err, -ENOTCONN, "no guest console (the VM is not running)");
	if (regcomp(&re, str_param(s, "pattern"), REG_EXTENDED | REG_NOSUB) != 0)
		return qdctl_error_set(err, -EINVAL, "bad pattern");
	r = sc_console_wait(&ctx->console, &re, ctx->timeout_ms, &line, err);
	regfree(&re);
	if (r == 0)
		json_object_object_add(result, "line", json_object_new_string(line));
	free(line);
	return r;
}

/* ---- the table --------------------------------------------------------------------------- */

#define NO_PARAMS ((const struct sc_param[]){{NULL, 0, false, NULL, NULL}})

/* What a NIC takes, in add-net and in each entry of add-nets. */
#define NIC_PARAMS                                                                                 \
	{"id", SC_PARAM_STRING, true, NULL, NULL}, {"tap", SC_PARAM_STRING, false, NULL, NULL},    \
	    {"queues", SC_PARAM_UINT, false, NULL, NULL},                                          \
	    {"mac", SC_PARAM_STRING, false, NULL, NULL},                                           \
	{                                                                                          \
		"vhost", SC_PARAM_BOOL, false, NULL, NULL                                          \
	}

/* What a disk takes, in add-block and in each entry of add-blocks. */
#define DISK_PARAMS(id_required)                                                                   \
	{"id", SC_PARAM_STRING, id_required, NULL, NULL},                                          \
	    {"path", SC_PARAM_STRING, false, NULL, NULL},                                          \
	    {"size_mb", SC_PARAM_UINT, false, NULL, NULL},                                         \
	    {"format", SC_PARAM_STRING, false, NULL, NULL},                                        \
	    {"read_only", SC_PARAM_BOOL, false, NULL, NULL},                                       \
	{                                                                                          \
		"index", SC_PARAM_UINT, false, NULL, NULL                                          \
	}

const struct sc_op sc_ops[] = {
    {"start", NULL, "launch QEMU and wait for QMP (guest level: and for the guest's shell)",
     NO_PARAMS, 0, op_start},
    {"stop", NULL, "quit QEMU, then SIGTERM, then SIGKILL", NO_PARAMS, 0, op_stop},
    {"pause", NULL, "stop the vCPUs", NO_PARAMS, 0, op_pause},
    {"resume", NULL, "run the vCPUs again", NO_PARAMS, 0, op_resume},
    {"status", NULL, "QEMU's run state: result {\"status\"}", NO_PARAMS, 0, op_status},
    {"caps", NULL,
     "what the VM can hot-plug: result {\"block\", \"cpu\", \"vfio\", \"memory\", \"net\"}",
     NO_PARAMS, 0, op_caps},
    {"restart", NULL,
     "the client restarts: a new handle reloads the state and attaches to the running QEMU",
     (const struct sc_param[]){{"attach", SC_PARAM_BOOL, false, NULL, NULL},
			       {NULL, 0, false, NULL, NULL}},
     SC_OP_NO_VM, op_restart},
    {"reconcile", NULL, "make the state agree with QEMU: result {\"report\"}", NO_PARAMS, 0,
     op_reconcile},
    {"kill", "signal", "send QEMU a signal (default KILL) and wait for it to end",
     (const struct sc_param[]){{"signal", SC_PARAM_SIGNAL, false, NULL, NULL},
			       {NULL, 0, false, NULL, NULL}},
     0, op_kill},
    {"add-vcpus", "count", "hot-add vCPUs: result {\"added\"}",
     (const struct sc_param[]){{"count", SC_PARAM_UINT, true, NULL, NULL},
			       {NULL, 0, false, NULL, NULL}},
     0, op_add_vcpus},
    {"remove-vcpus", "count", "hot-remove vCPUs, last added first: result {\"removed\"}",
     (const struct sc_param[]){{"count", SC_PARAM_UINT, true, NULL, NULL},
			       {NULL, 0, false, NULL, NULL}},
     0, op_remove_vcpus},
    {"add-block", "id",
     "hot-plug a disk (a sparse image of size_mb made when no path): result {\"location\"}",
     (const struct sc_param[]){DISK_PARAMS(true), {NULL, 0, false, NULL, NULL}}, 0, op_add_block},
    {"add-blocks", NULL,
     "hot-plug several disks pipelined (each as add-block takes it): result {\"results\": "
     "[{\"id\", \"ok\", \"location\" or \"error\"}]}",
     (const struct sc_param[]){
	 {"disks", SC_PARAM_LIST, true, NULL,
	  (const struct sc_param[]){DISK_PARAMS(true), {NULL, 0, false, NULL, NULL}}},
	 {NULL, 0, false, NULL, NULL}},
     0, op_add_blocks},
    {"remove-block", "id", "hot-unplug a disk",
     (const struct sc_param[]){{"id", SC_PARAM_STRING, true, NULL, NULL},
			       {NULL, 0, false, NULL, NULL}},
     0, op_remove_block},
    {"add-vfio", "id", "hot-plug a host PCI device: result {\"location\"}",
     (const struct sc_param[]){{"id", SC_PARAM_STRING, true, NULL, NULL},
			       {"host", SC_PARAM_STRING, true, NULL, NULL},
			       {NULL, 0, false, NULL, NULL}},
     0, op_add_vfio},
    {"remove-vfio", "id", "hot-unplug a host PCI device",
     (const struct sc_param[]){{"id", SC_PARAM_STRING, true, NULL, NULL},
			       {NULL, 0, false, NULL, NULL}},
     0, op_remove_vfio},
    {"add-memory", "id",
     "hot-plug memory (pc-dimm, or virtio-mem on a bridge slot): result {\"location\"}",
     (const struct sc_param[]){{"id", SC_PARAM_STRING, true, NULL, NULL},
			       {"size_mb", SC_PARAM_UINT, true, NULL, NULL},
			       {"model", SC_PARAM_CHOICE, false, qdctl_memory_models, NULL},
			       {"backend", SC_PARAM_CHOICE, false, qdctl_memory_backends, NULL},
			       {"mem_path", SC_PARAM_STRING, false, NULL, NULL},
			       {"shared", SC_PARAM_BOOL, false, NULL, NULL},
			       {"hugepages", SC_PARAM_BOOL, false, NULL, NULL},
			       {"prealloc", SC_PARAM_BOOL, false, NULL, NULL},
			       {"requested_mb", SC_PARAM_UINT, false, NULL, NULL},
			       {NULL, 0, false, NULL, NULL}},
     0, op_add_memory},
    {"remove-memory", "id", "hot-unplug memory",
     (const struct sc_param[]){{"id", SC_PARAM_STRING, true, NULL, NULL},
			       {NULL, 0, false, NULL, NULL}},
     0, op_remove_memory},
    {"add-net", "id",
     "hot-plug a NIC on a tap qdctl opens (tap: its name, else the kernel's): result "
     "{\"location\"}",
     (const struct sc_param[]){NIC_PARAMS, {NULL, 0, false, NULL, NULL}}, 0, op_add_net},
    {"add-nets", NULL,
     "hot-plug several NICs pipelined (each as add-net takes it): result {\"results\": "
     "[{\"id\", \"ok\", \"location\" or \"error\"}]}",
     (const struct sc_param[]){
	 {"nics", SC_PARAM_LIST, true, NULL,
	  (const struct sc_param[]){NIC_PARAMS, {NULL, 0, false, NULL, NULL}}},
	 {NULL, 0, false, NULL, NULL}},
     0, op_add_nets},
    {"remove-net", "id", "hot-unplug a NIC",
     (const struct sc_param[]){{"id", SC_PARAM_STRING, true, NULL, NULL},
			       {NULL, 0, false, NULL, NULL}},
     0, op_remove_net},
    {"qmp", "execute", "a raw QMP command on the VM's connection: result {\"return\"}",
     (const struct sc_param[]){{"execute", SC_PARAM_STRING, true, NULL, NULL},
			       {"arguments", SC_PARAM_OBJECT, false, NULL, NULL},
			       {NULL, 0, false, NULL, NULL}},
     0, op_qmp},
    {"wait-event", "event",
     "wait for an event (one already seen counts, each is taken once): result {\"event\", "
     "\"data\"}",
     (const struct sc_param[]){{"event", SC_PARAM_STRING, true, NULL, NULL},
			       {"data", SC_PARAM_OBJECT, false, NULL, NULL},
			       {NULL, 0, false, NULL, NULL}},
     0, op_wait_event},
    {"fault", NULL, "add a fakeqemu fault rule now (x-fakeqemu-fault)",
     (const struct sc_param[]){{"rule", SC_PARAM_OBJECT, true, NULL, NULL},
			       {NULL, 0, false, NULL, NULL}},
     SC_OP_FAKE_ONLY, op_fault},
    {"guest-run", "command",
     "run a shell command in the test guest: result {\"output\", \"status\"}",
     (const struct sc_param[]){{"command", SC_PARAM_STRING, true, NULL, NULL},
			       {NULL, 0, false, NULL, NULL}},
     SC_OP_CONSOLE, op_guest_run},
    {"guest-wait", "pattern", "wait for a console line matching a pattern: result {\"line\"}",
     (const struct sc_param[]){{"pattern", SC_PARAM_REGEX, true, NULL, NULL},
			       {NULL, 0, false, NULL, NULL}},
     SC_OP_CONSOLE, op_guest_wait},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

const struct sc_op *sc_op_find(const char *name)
{
	for (const struct sc_op *op = sc_ops; op->name; op++)
		if (!strcmp(op->name, name))
			return op;
	return NULL;
}
