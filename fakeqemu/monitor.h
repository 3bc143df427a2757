/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* monitor.h - QMP monitors: listening sockets, one client each, greeting, I/O */
#ifndef FQ_MONITOR_H
#define FQ_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "qmp_dispatch.h"
#include "hmp_session.h"
#include "strbuf.h"

struct fq_json_parser;

struct fq_chardev;

/* Descriptors QEMU takes from one read at most (SOCKET_MAX_FDS). */
#define FQ_MONITOR_MAX_FDS 16

/* struct fq_monitor - one QMP monitor (a -qmp, or a -mon on a -chardev socket). */
struct fq_monitor {
	char *label;		/* its chardev's id */
	struct fq_chardev *chr; /* the socket chardev it serves */
	int listen_fd;		/* the chardev's listening socket, or -1 */
	bool pretty;
	bool hmp;		     /* a human monitor (mode=readline) */
	struct fq_hmp_line *rl;	     /* its readline state */
	int client_fd;		     /* -1 without a client */
	int out_fd;		     /* stdio: stdout (client_fd reads stdin); else -1 */
	bool stdin_eof;		     /* stdio: stdin ended; replies still go out */
	int fds[FQ_MONITOR_MAX_FDS]; /* received with SCM_RIGHTS, not yet taken */
	int nfds;
	struct fq_json_parser *parser;
	struct strbuf in; /* bytes read but not yet fed (while suspended) */
	size_t in_pos;
	struct strbuf out; /* bytes to write */
	bool negotiated;
	bool oob_enabled;
	bool busy;	       /* a command is in progress (delayed or hung reply) */
	bool drop_after_write; /* close the connection once out is written */
	int split_bytes;       /* >0: write at most this many bytes per write */
	bool split_wait;       /* a piece was written: no POLLOUT until split_timer() */
	bool hold_output;      /* merge: keep output until the next message is added */
	bool hold_next;	       /* hold the next message sent */
	uint64_t hold_timer;   /* releases a held message after 1 s, or 0 */
	struct fq_monitor *next;
};

extern struct fq_monitor *fq_monitors;

/* fq_monitor_add_qmp() - a monitor from -qmp's argument; exits with QEMU's message on error. */
void fq_monitor_add_qmp(const char *arg, bool pretty);

/* fq_monitor_add_mon() - a -mon chardev=ID[,mode=control|readline][,pretty=on]. */
void fq_monitor_add_mon(const char *arg);

/* fq_monitor_add_hmp() - a -monitor ARG: a human monitor on a compat chardev (not served). */
void fq_monitor_add_hmp(const char *arg);

/* fq_monitors_start() - attach each monitor to its chardev (created by then) and serve it. */
void fq_monitors_start(void);

/**
 * fq_monitor_take_fd() - qemu_chr_fe_get_msgfd(): the first descriptor received
 * with SCM_RIGHTS and not taken yet; the others of that read are closed
 * @m: the monitor
 *
 * Return: the descriptor (the caller owns it), or -1 when none was sent.
 */
int fq_monitor_take_fd(struct fq_monitor *m);

/**
 * fq_monitor_get_fd() - monitor_get_fd(): take the fd named @name out of @m
 * @m:    the monitor (NULL: none, as on the command line)
 * @name: the name given to getfd
 * @r:    receives QEMU's error when there is none
 *
 * Return: the descriptor (the caller owns it), or -1.
 */
int fq_monitor_get_fd(struct fq_monitor *m, const char *name, struct fq_reply *r);

/**
 * fq_monitor_fd_param() - monitor_fd_param(): a number, or the name of a getfd'd fd
 * @m:      the current monitor, or NULL
 * @fdname: the parameter, e.g. "3" or "fdtap"
 * @r:      receives QEMU's error
 *
 * Return: the descriptor (a named one is taken out of @m), or -1.
 */
int fq_monitor_fd_param(struct fq_monitor *m, const char *fdname, struct fq_reply *r);

/* fq_monitors_connected() - how many monitors have a client (QEMU's mon_refcount). */
int fq_monitors_connected(void);

/* fq_monitors_cleanup() - close sockets and unlink paths we created. */
void fq_monitors_cleanup(void);

/* fq_monitor_send() - queue one message (QEMU's JSON, "\r\n"-terminated). @msg is borrowed. */
void fq_monitor_send(struct fq_monitor *m, json_object *msg);

/* fq_monitor_send_raw() - queue raw bytes (garbage fault). */
void fq_monitor_send_raw(struct fq_monitor *m, const char *bytes, size_t len);

/* fq_monitor_broadcast_event() - send @ev to every negotiated monitor with a client. */
void fq_monitor_broadcast_event(json_object *ev);

/* fq_monitor_resume() - a delayed command finished: read further input. */
void fq_monitor_resume(struct fq_monitor *m);

/* fq_monitor_disconnect() - close the client connection (fault "drop"). */
void fq_monitor_disconnect(struct fq_monitor *m);

/**
 * fq_monitors_greet_pending() - greet the clients waiting in the monitors'
 * backlogs and read what they send, before a start-up failure exits
 *
 * QEMU runs its QMP monitors in their own thread from the late backends on,
 * so a client connected before the machine's creation fails gets the
 * greeting and then EOF.
 */
void fq_monitors_greet_pending(void);

/* fq_monitors_flush() - write out everything queued (blocking, before exit). */
void fq_monitors_flush(void);

#endif
