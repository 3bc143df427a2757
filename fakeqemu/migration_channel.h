/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migration_channel.h - where a migration stream goes or comes from: exec:,
 * unix:, tcp:, fd: and (10.0) file: URIs, as migration/{exec,socket,fd,file}.c
 */
#ifndef FQ_MIGRATION_CHANNEL_H
#define FQ_MIGRATION_CHANNEL_H

#include <stdbool.h>
#include <sys/types.h>

/* struct fq_mig_channel - an open channel; fd -1 when closed. */
struct fq_mig_channel {
	int fd;		   /* the stream */
	int listen_fd;	   /* incoming sockets: the listening socket until a source connects */
	pid_t child;	   /* exec: the command, 0 when none */
	char *unlink_path; /* incoming unix: the socket path to remove */
};

/* How opening a channel went. */
enum fq_mig_open {
	FQ_MIG_OPEN_OK,
	FQ_MIG_OPEN_BAD_URI,	/* no protocol QEMU knows */
	FQ_MIG_OPEN_FAILED,	/* refused at once (fd: name unknown, bind failed) */
	FQ_MIG_OPEN_FAILED_LATER, /* QEMU connects asynchronously: it fails after the reply */
};

/**
 * fq_mig_channel_known() - whether @uri names a protocol the imitated QEMU has
 * @uri: e.g. "exec:cat > f", "unix:/p", "tcp:host:port", "fd:name", "file:/p"
 */
bool fq_mig_channel_known(const char *uri);

/**
 * fq_mig_channel_connect() - open the outgoing side of @uri
 * @uri: the URI given to migrate
 * @ch:  receives the channel (fd non-blocking)
 * @err: receives QEMU's error text on failure (malloc'd)
 */
enum fq_mig_open fq_mig_channel_connect(const char *uri, struct fq_mig_channel *ch, char **err);

/**
 * fq_mig_channel_listen() - open the incoming side of @uri: a socket that
 * listens (ch->listen_fd), or a stream to read (ch->fd)
 * @uri: the URI of -incoming or migrate-incoming
 * @ch:  receives the channel
 * @err: receives QEMU's error text on failure (malloc'd)
 */
enum fq_mig_open fq_mig_channel_listen(const char *uri, struct fq_mig_channel *ch, char **err);

/* fq_mig_channel_close() - close everything, reap the command, remove the socket path. */
void fq_mig_channel_close(struct fq_mig_channel *ch);

#endif
