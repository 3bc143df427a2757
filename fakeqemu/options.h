/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* options.h - the command-line options each QEMU version has (recorded; see gen_options.py) */
#ifndef FQ_OPTIONS_H
#define FQ_OPTIONS_H

#include <stdbool.h>

/**
 * struct fq_option_set - one version's options
 * @version: "5.2", "7.2", ...
 * @names:   " name name: ... " (a trailing ':' takes an argument)
 */
struct fq_option_set {
	const char *version;
	const char *names;
};

extern const struct fq_option_set fq_option_sets[];

#endif
