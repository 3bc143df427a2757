/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fsdev.h - -fsdev: the 9p filesystem backends (FQ_BACKEND_FSDEV in the registry) */
#ifndef FQ_FSDEV_H
#define FQ_FSDEV_H

/**
 * fq_fsdev_option() - a -fsdev option, checked at parse time as QemuOpts does
 * @arg: its argument
 */
void fq_fsdev_option(const char *arg);

/**
 * fq_fsdevs_create() - fsdev_init_func() for each, after the chardevs
 *
 * Exits with QEMU's message on the first bad one.
 */
void fq_fsdevs_create(void);

#endif
