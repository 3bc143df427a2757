/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* migration_stream.c - the bytes of a migration stream: what fakeqemu writes and reads */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "migration_stream.h"

/* savevm.c's framing. */
#define QEMU_VM_FILE_MAGIC	 0x5145564d
#define QEMU_VM_FILE_VERSION	 3
#define QEMU_VM_EOF		 0x00
#define QEMU_VM_SECTION_FULL	 0x04
#define QEMU_VM_CONFIGURATION	 0x07
#define QEMU_VM_SECTION_FOOTER	 0x7e
#define GLOBALSTATE_RUNSTATE_LEN 100 /* global_state.c: uint8_t runstate[100] */

static void be32(struct strbuf *b, uint32_t v)
{
	unsigned char c[4] = {v >> 24, v >> 16, v >> 8, v};

	strbuf_add(b, c, 4);
}

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A QEMU_VM_SECTION_FULL header: id, idstr, instance and version ids. */
static void section_start(struct strbuf *b, uint32_t id, const char *idstr, uint32_t version)
{
	strbuf_addc(b, QEMU_VM_SECTION_FULL);
	be32(b, id);
	strbuf_addc(b, (char)strlen(idstr));
	strbuf_adds(b, idstr);
	be32(b, 0);
	be32(b, version);
}

static void section_end(struct strbuf *b, uint32_t id)
{
	strbuf_addc(b, QEMU_VM_SECTION_FOOTER);
	be32(b, id);
}

size_t fq_mig_stream_build(struct strbuf *out, const char *machine, const char *runstate,
			   size_t ram_len)
{
	size_t device_state;
	char state[GLOBALSTATE_RUNSTATE_LEN] = {0};
	char *zeros = calloc(1, ram_len ? ram_len : 1);

	if (!zeros)
		abort();
	be32(out, QEMU_VM_FILE_MAGIC);
	be32(out, QEMU_VM_FILE_VERSION);
	strbuf_addc(out, QEMU_VM_CONFIGURATION);
	be32(out, (uint32_t)strlen(machine));
	strbuf_adds(out, machine);
	section_start(out, 2, "ram", 4);
	strbuf_add(out, zeros, ram_len);
	section_end(out, 2);
	device_state = out->len;
	section_start(out, 3, "globalstate", 1);
	strncpy(state, runstate, sizeof(state) - 1);
	be32(out, (uint32_t)strlen(state) + 1);
	strbuf_add(out, state, sizeof(state));
	section_end(out, 3);
	strbuf_addc(out, QEMU_VM_EOF);
	free(zeros);
	return device_state;
}

enum fq_mig_stream_kind fq_mig_stream_parse(const char *buf, size_t len, char **machine,
					    char **runstate)
{
	const unsigned char *p = (const unsigned char *)buf;
	static const char idstr[] = "\x0bglobalstate";
	const char *g;

	*machine = NULL;
	*runstate = NULL;
	if (len == 0)
		return FQ_MIG_STREAM_EMPTY;
	if (len < 8 || get_be32(p) != QEMU_VM_FILE_MAGIC)
		return FQ_MIG_STREAM_NOT_STREAM;
	if (len > 13 && p[8] == QEMU_VM_CONFIGURATION) {
		uint32_t n = get_be32(p + 9);

		if (n < 256 && 13 + n <= len)
			*machine = strndup(buf + 13, n);
	}
	/* The globalstate section: idstr, instance, version, size, runstate. */
	g = memmem(buf, len, idstr, sizeof(idstr) - 1);
	if (g) {
		size_t at = (size_t)(g - buf) + sizeof(idstr) - 1 + 12;

		if (at < len)
			*runstate = strndup(buf + at, len - at < GLOBALSTATE_RUNSTATE_LEN
							  ? len - at
							  : GLOBALSTATE_RUNSTATE_LEN);
	}
	return FQ_MIG_STREAM_OK;
}
