/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* numparse.h - QEMU's number and size parsers (util/cutils.c), as each version has them */
#ifndef FQ_NUMPARSE_H
#define FQ_NUMPARSE_H

#include <stdbool.h>
#include <stdint.h>

/**
 * fq_strtosz() - qemu_strtosz() of the imitated version: a whole string
 * holding a number with an optional B/K/M/G/T/P/E suffix (either case;
 * bytes without one), a fraction only with a suffix other than B
 * @s: the text
 * @out: the size (set only on success)
 * @deprecated: if not NULL, set to whether QEMU warned "Using a multiplier
 *	suffix on hex numbers is deprecated" while parsing (6.0 to 8.0; it
 *	does so even when the text then turns out to be no size)
 *
 * Three generations: up to 5.2 a strtod() (so "1e3", "0x1.8k" and ".5k"
 * are sizes, "-0" is 0, and 2^64 - 1 is out of range); from 6.0 an integer
 * and a separate fraction (no exponent; a suffix on hex warns); from 8.1
 * exact fixed point (".5k" again, no suffix on hex, a minus sign is out of
 * range).
 *
 * Return: 0; -EINVAL when @s is no size; -ERANGE when it is one QEMU calls
 * out of range (QemuOpts says so apart).
 */
int fq_strtosz(const char *s, uint64_t *out, bool *deprecated);

/**
 * fq_strtosz_MiB() - qemu_strtosz_MiB(): as fq_strtosz(), in MiB without a
 * suffix (-m)
 * @s: the text
 * @out: the size in bytes (set only on success)
 * @deprecated: as for fq_strtosz()
 *
 * Return: as fq_strtosz().
 */
int fq_strtosz_MiB(const char *s, uint64_t *out, bool *deprecated);

/**
 * fq_strtou64() - qemu_strtou64(@s, NULL, 0, @out): strtoull() of the whole
 * string, decimal, octal or hex; "-1" wraps to 2^64 - 1 as strtoull() does
 * @s: the text
 * @out: the number (set only on success)
 *
 * Return: 0, -EINVAL (no number, or text after it), -ERANGE (2^64 or more).
 */
int fq_strtou64(const char *s, uint64_t *out);

#endif
