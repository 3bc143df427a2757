/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* deadline.h - absolute CLOCK_MONOTONIC deadlines for blocking calls */
#ifndef QD_DEADLINE_H
#define QD_DEADLINE_H

#include <stdint.h>
#include <time.h>

/* qd_now_ns() - CLOCK_MONOTONIC in nanoseconds. */
static inline int64_t qd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* qd_deadline_after_ms() - the deadline @timeout_ms from now. */
static inline int64_t qd_deadline_after_ms(int timeout_ms)
{
	return qd_now_ns() + (int64_t)timeout_ms * 1000000;
}

/* qd_deadline_left_ms() - whole milliseconds left, rounded up; 0 once passed. */
static inline int qd_deadline_left_ms(int64_t deadline_ns)
{
	int64_t left = deadline_ns - qd_now_ns();

	if (left <= 0)
		return 0;
	left = (left + 999999) / 1000000;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}

/* qd_deadline_timespec() - the deadline as a timespec for pthread_cond_timedwait. */
static inline struct timespec qd_deadline_timespec(int64_t deadline_ns)
{
	struct timespec ts = {
	    .tv_sec = deadline_ns / 1000000000,
	    .tv_nsec = deadline_ns % 1000000000,
	};
	return ts;
}

#endif
