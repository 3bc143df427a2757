/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cleanup.h - scope-bound release helpers (_cleanup_free_, _cleanup_close_, ...) */
#ifndef QD_CLEANUP_H
#define QD_CLEANUP_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <json-c/json.h>

static inline void qd_freep(void *p)
{
	free(*(void **)p);
}

static inline void qd_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void qd_json_putp(json_object **o)
{
	json_object_put(*o);
}

#define _cleanup_free_	__attribute__((cleanup(qd_freep)))
#define _cleanup_close_ __attribute__((cleanup(qd_closep)))
#define _cleanup_json_	__attribute__((cleanup(qd_json_putp)))

/* steal_ptr() - hand a pointer on and clear the variable that held it. */
#define steal_ptr(pp)                                                                              \
	({                                                                                         \
		__typeof__(*(pp)) _stolen = *(pp);                                                 \
		*(pp) = NULL;                                                                      \
		_stolen;                                                                           \
	})

/* steal_fd() - hand an fd on and set the variable that held it to -1. */
static inline int steal_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}

#endif
