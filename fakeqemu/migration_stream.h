/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* migration_stream.h - the bytes of a migration stream: what fakeqemu writes and reads */
#ifndef FQ_MIGRATION_STREAM_H
#define FQ_MIGRATION_STREAM_H

#include <stddef.h>

#include "strbuf.h"

/**
 * fq_mig_stream_build() - a stream laid out as QEMU's savevm.c writes one:
 * "QEVM", version 3, the configuration section naming the machine type, a
 * RAM section of zero pages, the "globalstate" section with the run state,
 * QEMU_VM_EOF
 * @out:      receives the bytes
 * @machine:  the machine type's full name, e.g. "pc-i440fx-7.2"
 * @runstate: the source's run state when the migration started ("running")
 * @ram_len:  bytes of the RAM section (more than a pipe holds, so a
 *            command that does not read fails as it does with QEMU)
 *
 * Return: the offset of the device state: where a source stops its VM.
 */
size_t fq_mig_stream_build(struct strbuf *out, const char *machine, const char *runstate,
			 size_t ram_len);

/* What qemu_loadvm_state() finds in a stream. */
enum fq_mig_stream_kind {
	FQ_MIG_STREAM_EMPTY,	   /* nothing was received */
	FQ_MIG_STREAM_NOT_STREAM,  /* no "QEVM" magic */
	FQ_MIG_STREAM_OK,	   /* a stream (fakeqemu's, or a real QEMU's) */
};

/**
 * fq_mig_stream_parse() - the parts of a stream the destination checks
 * @buf:      the bytes received
 * @len:      their number
 * @machine:  receives the configuration section's machine name (malloc'd),
 *            or NULL when the stream has none
 * @runstate: receives the globalstate section's run state (malloc'd), or
 *            NULL when there is none (QEMU then treats the source as running)
 *
 * A real QEMU's stream parses too (same sections), so fakeqemu can stand in
 * for the destination of a real source.
 *
 * Return: what the stream is.
 */
enum fq_mig_stream_kind fq_mig_stream_parse(const char *buf, size_t len, char **machine,
					    char **runstate);

#endif
