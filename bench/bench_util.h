/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench_util.h - what the benchmark programs share: dying, clocks, the host's kernel and KVM */
#ifndef QD_BENCH_UTIL_H
#define QD_BENCH_UTIL_H

#include <stdbool.h>
#include <stdint.h>

/**
 * die() - print "PROGRAM: message" to stderr and exit with status 1
 * @fmt: printf format, then its arguments
 *
 * The hook given to bench_at_die() runs first (to kill QEMUs left running).
 */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/**
 * bench_at_die() - have die() call @fn before it prints and exits
 * @fn: the hook, or NULL for none
 */
void bench_at_die(void (*fn)(void));

/**
 * now_ns() - read CLOCK_MONOTONIC
 *
 * Return: nanoseconds since an arbitrary fixed point.
 */
int64_t now_ns(void);

/**
 * sleep_us() - sleep @us microseconds on CLOCK_MONOTONIC, resumed after signals
 * @us: how long
 */
void sleep_us(long us);

/**
 * find_kernel() - the newest-sorting /boot/vmlinuz-*
 *
 * Return: a malloc()ed path, or NULL if there is none.
 */
char *find_kernel(void);

/**
 * kvm_usable() - whether /dev/kvm opens read-write and answers KVM_GET_API_VERSION
 *
 * Return: true if QEMU could use KVM here.
 */
bool kvm_usable(void);

#endif
