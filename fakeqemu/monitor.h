/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* monitor.h - QMP monitors: listening sockets, one client each, greeting, I/O */
#ifndef FQ_MONITOR_H
#define FQ_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "strbuf.h"

struct fq_json_parser;

/* struct fq_monitor - one QMP monitor (a -qmp, or a -chardev socket + -mon). */
struct fq_monitor {
	char *label;   /* for messages: the chardev id or the path */
	char *path;    /* socket path we created (unlinked at exit), or NULL */
	char *option;  /* "-qmp ARG" / "-chardev ARG", for error messages */
	int listen_fd; /* -1 once closed */
	bool wait;     /* server=on,wait=on: block at startup for a client */
	bool pretty;
	bool from_qmp_option; /* -qmp (chardev named compat_monitorN) */
	int client_fd;	      /* -1 without a client */
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

/* fq_monitor_add_chardev() - remember a -chardev socket for a later -mon. */
void fq_monitor_add_chardev(const char *arg);

/* fq_monitor_add_mon() - a -mon chardev=ID,mode=control. */
void fq_monitor_add_mon(const char *arg);

/* fq_monitors_start() - listen; with wait=on, block for the first client. */
void fq_monitors_start(void);

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

/* fq_monitors_flush() - write out everything queued (blocking, before exit). */
void fq_monitors_flush(void);

#endif
