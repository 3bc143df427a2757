/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* opts.h - QemuOpts-style "key=value,key=value" parsing, with ",," escapes */
#ifndef FQ_OPTS_H
#define FQ_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fq_opt {
	char *key;
	char *value;
};

/* struct fq_opts - the pairs of one option argument, in order. */
struct fq_opts {
	struct fq_opt *items;
	size_t n;
};

/*
 * fq_opts_parse() - split @text; a first element without '=' is the value
 * of @implied_key (e.g. "pc" in "-machine pc,accel=kvm"), if given.
 */
int fq_opts_parse(const char *text, const char *implied_key, struct fq_opts *out);

/**
 * fq_opts_parse_noisily() - qemu_opts_parse_noisily(): fq_opts_parse(), and
 * from QEMU 6.0 on a warning on stderr for each short-form boolean
 * ("server", "nowait") as QEMU prints it
 * @location:    the option as QEMU names it in messages, e.g. "-chardev ARG"
 * @text:        the option's argument
 * @implied_key: as for fq_opts_parse()
 * @out:         receives the pairs
 */
void fq_opts_parse_noisily(const char *location, const char *text, const char *implied_key,
			   struct fq_opts *out);

/* fq_opts_get() - the value of @key (last one wins), or NULL. */
const char *fq_opts_get(const struct fq_opts *o, const char *key);

/* fq_opts_get_bool() - on/off/yes/no/true/false; @def when absent, -EINVAL when bad. */
int fq_opts_get_bool(const struct fq_opts *o, const char *key, bool def);

/* fq_opts_get_uint() - an unsigned number; -ENOENT when absent, -EINVAL when bad. */
int fq_opts_get_uint(const struct fq_opts *o, const char *key, unsigned long long *out);

void fq_opts_free(struct fq_opts *o);

/*
 * fq_id_wellformed() - QEMU's id_wellformed(): a letter, then letters,
 * digits, '-', '.' and '_'. Every id QEMU names after a user's choice
 * (chardevs, netdevs, objects, node names, QemuOpts ids) obeys it.
 */
bool fq_id_wellformed(const char *id);

#endif
