/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* scenario.h - scenarios: a VM, how fakeqemu plays it, steps with expected outcomes */
#ifndef QDCTL_SCENARIO_H
#define QDCTL_SCENARIO_H

/*
 * DOC: scenarios
 *
 * A scenario file (JSON, docs/scenarios.md) is parsed once into a struct
 * scenario whose steps point into the parsed JSON. Each step names an op
 * from the table in scenario_ops.c; the table declares the op's parameters,
 * so the parser checks every member generically and an op added to the
 * table (add-memory, add-net, ...) needs no parser change. A scenario is
 * then run against one target (a QEMU binary: real, or fakeqemu) by
 * scenario_run.c, which yields a result as JSON (docs/scenarios.md,
 * "Results"); every report is rendered from that JSON.
 */

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

#include "qemudrv.h"

enum sc_level {
	SC_LEVEL_QEMU,	/* QEMU only: a kernel that halts at once, no OS */
	SC_LEVEL_GUEST, /* the test guest (Debian kernel + busybox initramfs) boots */
};

enum sc_param_type {
	SC_PARAM_STRING,
	SC_PARAM_UINT,
	SC_PARAM_BOOL,
	SC_PARAM_OBJECT,
	SC_PARAM_SIGNAL, /* "KILL", "SIGTERM", "SEGV", ... */
	SC_PARAM_REGEX,	 /* a POSIX extended regular expression (checked at parse time) */
	SC_PARAM_CHOICE, /* one of the strings of @choices */
	SC_PARAM_LIST,	 /* a non-empty array of objects, each with the members @members */
};

/* struct sc_param - one member an op takes. */
struct sc_param {
	const char *name;
	enum sc_param_type type;
	bool required;
	const char *const *choices;	/* SC_PARAM_CHOICE: NULL-terminated */
	const struct sc_param *members; /* SC_PARAM_LIST: NULL-name-terminated */
};

/* Op flags. */
#define SC_OP_FAKE_ONLY (1u << 0) /* only fakeqemu can do it: the scenario skips real QEMU */
#define SC_OP_CONSOLE	(1u << 1) /* talks to the guest console: skipped on fakeqemu */
#define SC_OP_NO_VM	(1u << 2) /* runs before the VM exists (or without QEMU running) */

struct sc_ctx;
struct sc_step;

/*
 * struct sc_op - one kind of step.
 * @name:   what "op" says
 * @label:  the parameter shown after the name in progress lines, or NULL
 * @params: the members it takes (besides op, name, timeout_ms, expect, comment)
 * @flags:  SC_OP_*
 * @run:    does it; fills @result with what it observed (the members a test
 *          can expect, without run-specific values such as pids); returns 0
 *          or a negative errno with @err filled
 */
struct sc_op {
	const char *name;
	const char *label;
	const char *summary;
	const struct sc_param *params;
	unsigned flags;
	int (*run)(struct sc_ctx *ctx, const struct sc_step *step, json_object *result,
		   qd_error *err);
};

/* sc_ops - the op table, terminated by an entry with a NULL name. */
extern const struct sc_op sc_ops[];

/* sc_op_find() - the op named @name, or NULL. */
const struct sc_op *sc_op_find(const char *name);

/* struct sc_event_expect - an event a step must see: name and a subset of its data. */
struct sc_event_expect {
	const char *name;
	json_object *data;
};

/* struct sc_match - a result member that must match a regular expression. */
struct sc_match {
	const char *member;
	const char *pattern;
	regex_t re;
};

/*
 * struct sc_expect - what a step must end with.
 * @ok:          success expected (default, unless @error is given)
 * @err_no:      expected errno (positive), or 0 for any
 * @err_class:   expected QMP error class, or NULL for any
 * @err_message: expected message pattern (valid when @has_message)
 * @result:      members the op's result must have (JSON subset), or NULL
 * @match:       result members that must match a pattern
 * @state:       the library's state file afterwards, or NULL
 * @qemu:        what QEMU reports afterwards, or NULL
 * @events:      events that must have come during the step
 * @no_events:   event names that must not have come during the step
 */
struct sc_expect {
	bool ok;
	int err_no;
	const char *err_class;
	bool has_message;
	struct sc_match err_message;
	json_object *result;
	struct sc_match *match;
	size_t nmatch;
	json_object *state;
	json_object *qemu;
	struct sc_event_expect *events;
	size_t nevents;
	const char **no_events;
	size_t nno_events;
};

/* struct sc_step - one step of a scenario. */
struct sc_step {
	size_t index; /* 1-based */
	const struct sc_op *op;
	json_object *json; /* the step's object, borrowed from the scenario */
	const char *name;  /* optional label given in the file */
	int timeout_ms;	   /* -1: the scenario's default */
	struct sc_expect expect;
};

/*
 * struct scenario - one parsed scenario file.
 * @fake_only: only fakeqemu can run it; @fake_only_reason says why (static text)
 */
struct scenario {
	char *path;
	char *name;
	const char *description;
	enum sc_level level;
	json_object *root; /* owns every borrowed pointer below */
	json_object *vm;   /* the VM configuration, without the runner's defaults */
	const char *fake_version;
	const char *fake_guest;
	json_object *fake_faults;
	json_object *vfio_hosts; /* array of host addresses fakeqemu pretends to have */
	json_object *tags;
	json_object
	    *known; /* known issues: [{"qemu": GLOB, "accel", "fake", "outcome", "reason"}] */
	bool needs_kvm;
	bool needs_taps; /* qdctl must be able to create tap devices (add-net) */
	int timeout_ms;
	int boot_timeout_ms;
	struct sc_step *steps;
	size_t nsteps;
	bool fake_only;
	char *fake_only_reason;
	bool uses_console;
};

/*
 * sc_parse_file() - read and check a scenario file
 * @path:   the file
 * @out:    receives the scenario
 * @errmsg: receives a malloc'd message naming the file, the step and the
 *          member on failure ("f.json: step 3 (add-block): 'index': must be ...")
 *
 * Return: 0, or -EINVAL (bad content), -ENOENT/-EACCES... (cannot read).
 */
int sc_parse_file(const char *path, struct scenario **out, char **errmsg);

/* sc_free() - free a parsed scenario; NULL is allowed. */
void sc_free(struct scenario *sc);

/* sc_step_label() - "add-block d1" for progress lines (malloc'd). */
char *sc_step_label(const struct sc_step *step);

/* sc_errno_name() - "ENOSPC" for 28; NULL when unknown. */
const char *sc_errno_name(int err_no);

/* sc_errno_value() - 28 for "ENOSPC"; 0 when unknown. */
int sc_errno_value(const char *name);

/* sc_signal_value() - SIGKILL for "KILL" or "SIGKILL"; 0 when unknown. */
int sc_signal_value(const char *name);

#endif
