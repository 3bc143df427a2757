/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* loop.h - a poll(2) event loop with file descriptors and one-shot timers */
#ifndef FQ_LOOP_H
#define FQ_LOOP_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*fq_fd_fn)(void *opaque, int fd, short revents);
typedef void (*fq_timer_fn)(void *opaque);

/* fq_loop_watch() - call @fn when @fd has any of @events; replaces an earlier watch. */
void fq_loop_watch(int fd, short events, fq_fd_fn fn, void *opaque);

/* fq_loop_unwatch() - stop watching @fd. */
void fq_loop_unwatch(int fd);

/* fq_loop_now_ms() - CLOCK_MONOTONIC in milliseconds. */
int64_t fq_loop_now_ms(void);

/* fq_loop_timer() - call @fn once, @delay_ms from now; returns an id for fq_loop_cancel(). */
uint64_t fq_loop_timer(int64_t delay_ms, fq_timer_fn fn, void *opaque);

/* fq_loop_cancel() - cancel a timer that has not fired; unknown ids are ignored. */
void fq_loop_cancel(uint64_t id);

/* fq_loop_cancel_opaque() - cancel every timer whose opaque is @opaque. */
void fq_loop_cancel_opaque(void *opaque);

/* fq_loop_run() - run until fq_loop_quit(); returns the exit status given. */
int fq_loop_run(void);

/* fq_loop_quit() - make fq_loop_run() return @status after the current iteration. */
void fq_loop_quit(int status);

#endif
