/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* replay.h - -fake-replay: answer from a transcript recorded from real QEMU */
#ifndef FQ_REPLAY_H
#define FQ_REPLAY_H

#include <stdbool.h>

#include <json-c/json.h>

struct fq_monitor;

/* fq_replay_load() - read a transcript (tests/conformance .jsonl format); exits on error. */
void fq_replay_load(const char *path);

/* fq_replay_active() - whether replies come from a transcript. */
bool fq_replay_active(void);

/* fq_replay_greeting() - the recorded greeting, or NULL (new reference). */
json_object *fq_replay_greeting(void);

/* fq_replay_input() - a message from the client: check it, send what was recorded next. */
void fq_replay_input(struct fq_monitor *m, json_object *msg);

#endif
