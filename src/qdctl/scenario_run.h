/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* scenario_run.h - run one scenario on one target; the result as JSON */
#ifndef QDCTL_SCENARIO_RUN_H
#define QDCTL_SCENARIO_RUN_H

#include "scenario.h"
#include "scenario_ctx.h"
#include "target.h"

/**
 * sc_run() - run @sc on @t
 * @sc:   the scenario
 * @t:    the QEMU to run it on (its guest accelerator is decided on first use)
 * @opts: options; progress lines go to @opts->progress
 *
 * Each run gets a private directory (VM run dir, disk images, fault file),
 * removed afterwards unless @opts->keep. Steps run in order until the first
 * that fails; QEMU is stopped at the end whatever happened.
 *
 * Return: the result (docs/scenarios.md, "Results"): {"scenario", "file",
 * "level", "target", "outcome": "pass"|"fail"|"crash"|"error"|"skip",
 * "reason", "duration_ms", "steps": [...], "qemu_log"}.
 */
json_object *sc_run(const struct scenario *sc, struct sc_target *t,
		    const struct sc_run_options *opts);

/* sc_invalid_result() - the result of a file that could not be parsed ("error"). */
json_object *sc_invalid_result(const char *path, const char *message, const char *target_id);

#endif
