/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* endpoints.h - the QMP monitors a command line asks for, and how a client reaches each */
#ifndef FQ_ENDPOINTS_H
#define FQ_ENDPOINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * struct fq_endpoint - one QMP monitor of a QEMU command line, as the
 * recorder and the replayer take it over.
 * @label:      "m0", "m1"... in command-line order
 * @how:        how the client gave it ("-qmp unix:...", "-chardev ... + -mon ..."), for
 *              the recording's monitor lines
 * @opt_index:  argv index of the -qmp / -chardev option
 * @mon_index:  argv index of the -mon option, or -1 for -qmp
 * @chardev_id: the chardev's id (QEMU names a -qmp's "compat_monitorN")
 * @pretty:     pretty-printed output (-qmp-pretty, -mon pretty=on)
 * @server:     QEMU listens (else QEMU connects to @path)
 * @wait:       QEMU waits for a client before starting (server=on,wait=on)
 * @path:       the socket path, or NULL with @fd
 * @fd:         a listening socket the client handed over (fd=N), or -1
 */
struct fq_endpoint {
	char label[8];
	char *how;
	int opt_index;
	int mon_index;
	char *chardev_id;
	bool pretty;
	bool server;
	bool wait;
	char *path;
	int fd;
};

/**
 * fq_endpoints_find() - the QMP monitors of @argv
 * @argc, @argv: the command line (argv[0] is the program)
 * @out:         receives the endpoints (free with fq_endpoints_free())
 * @n:           receives how many
 * @err:         receives a malloc'd message for a monitor that cannot be taken
 *               over (a tcp: or stdio QMP, say); such monitors are left out
 *               and @err says so (not fatal)
 *
 * Return: 0, or -1 when the command line is malformed (err set).
 */
int fq_endpoints_find(int argc, char **argv, struct fq_endpoint **out, size_t *n, char **err);

/**
 * fq_endpoints_other_sockets() - the socket chardevs that are not QMP monitors
 * @argc, @argv: the command line
 * @qmp, @nqmp:  the QMP endpoints found before (left out)
 * @out, @n:     receive the other socket chardevs (consoles, agent channels, ...)
 *
 * A replay opens them (listening, or connecting out) so that clients that
 * reach QEMU through them find them there; nothing is said on them.
 */
void fq_endpoints_other_sockets(int argc, char **argv, const struct fq_endpoint *qmp, size_t nqmp,
				struct fq_endpoint **out, size_t *n);

/* fq_endpoints_free() - NULL is allowed. */
void fq_endpoints_free(struct fq_endpoint *e, size_t n);

/* fq_endpoint_listen() - the client's side of a server endpoint: bind @path, or adopt @fd. */
int fq_endpoint_listen(const struct fq_endpoint *e, char **err);

/* fq_endpoint_connect_client() - the client's side of a client-mode endpoint: connect to @path. */
int fq_endpoint_connect_client(const struct fq_endpoint *e, char **err);

/**
 * fq_recv_with_fds() - read from a client socket, with the descriptors it passed
 * @fd:    the socket (non-blocking reads)
 * @buf:   where the bytes go; @len its size
 * @fds:   where the descriptors go (close-on-exec); at most @max, others are closed
 * @nfds:  receives how many were kept in @fds
 *
 * Return: recvmsg()'s result (0 at EOF, -1 with errno).
 */
ssize_t fq_recv_with_fds(int fd, char *buf, size_t len, int *fds, int max, int *nfds);

#endif
