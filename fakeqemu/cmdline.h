/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmdline.h - the command-line options fakeqemu does not model beyond QEMU's
 * checks: each is validated against its recorded QemuOpts description
 * (query-command-line-options) and the values QEMU itself checks
 */
#ifndef FQ_CMDLINE_H
#define FQ_CMDLINE_H

#include <stdbool.h>

#include "opts.h"

/**
 * fq_cmdline_check() - qemu_opts_parse()'s validation: keys and value types
 * @list:     the QemuOpts list, as query-command-line-options names it ("msg", "boot-opts")
 * @location: the option as messages name it, e.g. "-msg timestamp=x"
 * @o:        the parsed option
 *
 * Exits with QEMU's message for a key the list does not have or a value
 * that is not of the parameter's type. Lists recorded without parameters
 * accept anything, as QemuOpts does.
 */
void fq_cmdline_check(const char *list, const char *location, const struct fq_opts *o);

/**
 * fq_cmdline_error() - as fq_cmdline_check(), but the first error is returned
 * (malloc'd, without the location) instead of ending the process: for callers
 * that report more after it (qemu_chr_parse_compat()'s "parse error")
 * @list:     the QemuOpts list ("chardev", ...)
 * @location: the option, for warnings
 * @o:        the parsed options
 *
 * Return: NULL when every key is known and every value of its type.
 */
char *fq_cmdline_error(const char *list, const char *location, const struct fq_opts *o);

/**
 * fq_cmdline_option() - an option fakeqemu checks without modelling it further
 * @name: the option, without its dash ("msg", "rtc", "overcommit", ...)
 * @arg:  its argument
 *
 * Return: true when @name is one of them (and was checked), false otherwise.
 */
bool fq_cmdline_option(const char *name, const char *arg);

#endif
