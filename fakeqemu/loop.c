/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* loop.c - a poll(2) event loop with file descriptors and one-shot timers */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loop.h"

#define MAX_WATCHES 64

struct watch {
	int fd;
	short events;
	fq_fd_fn fn;
	void *opaque;
};

struct timer {
	uint64_t id;
	int64_t when; /* ns */
	fq_timer_fn fn;
	void *opaque;
	struct timer *next;
};

static struct watch watches[MAX_WATCHES];
static int nwatches;
static struct timer *timers; /* sorted by when, then id */
static uint64_t next_timer_id = 1;
static bool quitting;
static int quit_status;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t fq_loop_now_ms(void)
{
	return now_ns() / 1000000;
}

void fq_loop_watch(int fd, short events, fq_fd_fn fn, void *opaque)
{
	for (int i = 0; i < nwatches; i++) {
		if (watches[i].fd == fd) {
			watches[i] = (struct watch){fd, events, fn, opaque};
			return;
		}
	}
	if (nwatches == MAX_WATCHES)
		abort();
	watches[nwatches++] = (struct watch){fd, events, fn, opaque};
}

void fq_loop_unwatch(int fd)
{
	for (int i = 0; i < nwatches; i++) {
		if (watches[i].fd == fd) {
			watches[i] = watches[--nwatches];
			return;
		}
	}
}

uint64_t fq_loop_timer(int64_t delay_ms, fq_timer_fn fn, void *opaque)
{
	struct timer *t = calloc(1, sizeof(*t)), **pp;

	if (!t)
		abort();
	t->id = next_timer_id++;
	t->when = now_ns() + (delay_ms > 0 ? delay_ms : 0) * 1000000;
	t->fn = fn;
	t->opaque = opaque;
	for (pp = &timers; *pp && (*pp)->when <= t->when; pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	return t->id;
}

void fq_loop_cancel(uint64_t id)
{
	for (struct timer **pp = &timers; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			struct timer *t = *pp;

			*pp = t->next;
			free(t);
			return;
		}
	}
}

void fq_loop_cancel_opaque(void *opaque)
{
	struct timer **pp = &timers;

	while (*pp) {
		if ((*pp)->opaque == opaque) {
			struct timer *t = *pp;

			*pp = t->next;
			free(t);
		} else {
			pp = &(*pp)->next;
		}
	}
}

void fq_loop_quit(int status)
{
	quitting = true;
	quit_status = status;
}

static void run_due_timers(void)
{
	int64_t now = now_ns();

	while (timers && timers->when <= now && !quitting) {
		struct timer *t = timers;

		timers = t->next;
		t->fn(t->opaque);
		free(t);
	}
}

int fq_loop_run(void)
{
	while (!quitting) {
		struct pollfd pfds[MAX_WATCHES];
		struct watch snapshot[MAX_WATCHES];
		int n = nwatches, timeout = -1, r;

		run_due_timers();
		if (quitting)
			break;
		if (timers) {
			/* Round up: a timer never fires early. */
			int64_t left = (timers->when - now_ns() + 999999) / 1000000;

			timeout = left < 0 ? 0 : (int)(left > 60000 ? 60000 : left);
		}
		memcpy(snapshot, watches, sizeof(watches[0]) * (size_t)n);
		for (int i = 0; i < n; i++)
			pfds[i] =
			    (struct pollfd){.fd = snapshot[i].fd, .events = snapshot[i].events};
		r = poll(pfds, (nfds_t)n, timeout);
		if (r < 0 && errno != EINTR)
			abort();
		for (int i = 0; i < n && r > 0 && !quitting; i++) {
			bool still_watched = false;

			if (!pfds[i].revents)
				continue;
			/* A callback may have removed or replaced this watch. */
			for (int j = 0; j < nwatches; j++)
				if (watches[j].fd == snapshot[i].fd &&
				    watches[j].fn == snapshot[i].fn &&
				    watches[j].opaque == snapshot[i].opaque)
					still_watched = true;
			if (still_watched)
				snapshot[i].fn(snapshot[i].opaque, pfds[i].fd, pfds[i].revents);
		}
	}
	return quit_status;
}
