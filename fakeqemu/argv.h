/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* argv.h - the qemu-system-x86_64 command line, as far as fakeqemu models it */
#ifndef FQ_ARGV_H
#define FQ_ARGV_H

#include "fakeqemu.h"

/*
 * fq_parse_argv() - fill @cfg from the command line and the FAKEQEMU_*
 * environment; unknown options exit 1 with "<prog>: -foo: invalid option".
 */
void fq_parse_argv(int argc, char **argv, struct fq_config *cfg);

#endif
