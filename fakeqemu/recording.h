/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* recording.h - the recording file of -fake-record: a QEMU session as plain text, read and written
 */
#ifndef FQ_RECORDING_H
#define FQ_RECORDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * DOC: recording format (docs/record-replay.md)
 *
 *   fakeqemu-recording 1
 *   real /usr/bin/qemu-system-x86_64
 *   argv ["-machine", "pc", ...]
 *   monitor m0 -qmp unix:/run/vm/qmp.sock,server=on,wait=off
 *   0.012 m0 connect
 *   0.013 m0 < {"QMP": {...}}
 *   0.014 m0 > {"execute": "qmp_capabilities", "id": 1}
 *   0.015 m0 event {"timestamp": {...}, "event": "STOP"}
 *   0.020 m0 > fds=1 {"execute": "getfd", "arguments": {"fdname": "tap0"}}
 *   0.300 stderr "qemu-system-x86_64: terminating on signal 15\n"
 *   0.301 signal TERM
 *   0.302 m0 close qemu
 *   0.303 exit 0          (or: killed SEGV)
 *
 * TIME is seconds since the recording started. A message is QEMU's (or the
 * client's) exact text when it is one line of UTF-8; otherwise `raw "..."`
 * (a JSON string) or `hex 7b22...`. '#' lines are comments; blank lines are
 * ignored. A person may trim lines or edit times.
 */

#define FQ_REC_MAGIC "fakeqemu-recording 1"

enum fq_rec_kind {
	FQ_REC_CONNECT,	     /* the client connected to the monitor */
	FQ_REC_CLOSE_CLIENT, /* the client closed the connection */
	FQ_REC_CLOSE_QEMU,   /* QEMU closed it */
	FQ_REC_TO_QEMU,	     /* ">": a message from the client */
	FQ_REC_TO_CLIENT,    /* "<": a reply (or anything not an event) from QEMU */
	FQ_REC_EVENT,	     /* "event": an event from QEMU */
	FQ_REC_STDOUT,	     /* QEMU wrote to stdout */
	FQ_REC_STDERR,	     /* QEMU wrote to stderr */
	FQ_REC_SIGNAL,	     /* the client signalled QEMU (through the recorder) */
	FQ_REC_EXIT,	     /* QEMU exited with a status */
	FQ_REC_KILLED,	     /* QEMU died of a signal */
};

/* struct fq_rec_item - one timed line of a recording. */
struct fq_rec_item {
	double t;
	enum fq_rec_kind kind;
	int monitor; /* index, or -1 for process lines */
	char *data;  /* message bytes / output text; NUL-terminated (bytes may hold NUL) */
	size_t len;
	int nfds;   /* descriptors the client passed with the message */
	int number; /* exit status or signal number */
	int line;   /* line number in the file */
};

/* struct fq_recording - a parsed recording. */
struct fq_recording {
	char *path;
	char *real;
	char **argv; /* the client's arguments (without argv[0]) */
	size_t argc;
	char **monitors; /* how the client gave each monitor, for messages */
	size_t nmonitors;
	struct fq_rec_item *items;
	size_t nitems;
};

/**
 * fq_recording_load() - read and check a recording
 * @path: the file
 * @out:  filled
 * @err:  receives "FILE:LINE: what is wrong" (malloc'd) on failure
 *
 * Return: 0, or -1.
 */
int fq_recording_load(const char *path, struct fq_recording *out, char **err);

/* fq_recording_is() - whether @path starts like a recording (else a conformance transcript). */
bool fq_recording_is(const char *path);

/* fq_recording_free() - free what fq_recording_load() filled. */
void fq_recording_free(struct fq_recording *r);

/* ---- writing ------------------------------------------------------------------------------- */

/* fq_rec_writer_open() - create @path (truncated) and write the header; NULL with errno. */
FILE *fq_rec_writer_open(const char *path, const char *real, int argc, char **argv);

/* fq_rec_write_monitor() - a "monitor mN HOW" header line. */
void fq_rec_write_monitor(FILE *f, int index, const char *how);

/* fq_rec_write() - one timed line; @data/@len for messages and output, @number for
 * exit/kill/signal. */
void fq_rec_write(FILE *f, double t, enum fq_rec_kind kind, int monitor, const char *data,
		  size_t len, int nfds, int number);

/* ---- splitting a byte stream into messages ------------------------------------------------ */

/*
 * struct fq_splitter - cuts a QMP byte stream into JSON texts as QEMU's
 * streamer does: a message ends when its braces and brackets balance
 * (strings in " or ', with escapes, do not count). Bytes outside any
 * message that are not white space form a message of their own, ended by
 * a newline or by the next '{'.
 */
struct fq_splitter {
	char *buf;
	size_t len, cap;
	int depth;
	char quote; /* inside a string: its quote character */
	bool escape;
	bool junk; /* collecting bytes outside any message */
};

/* fq_splitter_feed() - add bytes; @emit is called for each complete message. */
void fq_splitter_feed(struct fq_splitter *s, const char *bytes, size_t n,
		      void (*emit)(void *opaque, const char *msg, size_t len), void *opaque);

/* fq_splitter_flush() - emit what is left (at EOF). */
void fq_splitter_flush(struct fq_splitter *s,
		       void (*emit)(void *opaque, const char *msg, size_t len), void *opaque);

void fq_splitter_free(struct fq_splitter *s);

#endif
