/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd_dump.c - dump-guest-memory and query-dump, as dump/dump.c: the checks in
 * QEMU's order, the guest-physical RAM blocks of the machine (what "total"
 * counts, what begin/length filter), STOP/RESUME of a running VM, the
 * DUMP_COMPLETED event, and a core file that tools recognise (an ELF
 * header with a PT_LOAD per block, or a kdump signature) written sparse.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "fakeqemu.h"
#include "loop.h"
#include "machine.h"
#include "memory.h"
#include "monitor.h"
#include "qmp_dispatch.h"
#include "since.h"

#define GiB	     (1ULL << 30)
#define BIOS_SIZE    (256 * 1024) /* bios-256k.bin, mapped below 4 GiB */
#define MAX_BLOCKS   4

/* struct block - one guest-physical RAM block (guest_phys_blocks_append()). */
struct block {
	uint64_t start, size;
};

static struct {
	const char *status; /* "none", "active", "completed", "failed" */
	uint64_t total, completed;
} dump = {"none", 0, 0};

static const char *str_arg(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static bool has_arg(json_object *o, const char *key, int64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return false;
	if (out)
		*out = json_object_get_int64(v);
	return true;
}

/*
 * The RAM of memory devices (query-memory-devices): a DIMM's size; a
 * virtio-mem device's plugged part, or before 6.0 (no RamDiscardManager for
 * dumps) its whole memory region.
 */
static uint64_t device_memory(void)
{
	struct fq_reply r = {0};
	uint64_t n = 0;

	fq_cmd_query_memory_devices(NULL, &r);
	for (size_t i = 0; r.ret && i < json_object_array_length(r.ret); i++) {
		json_object *d = json_object_array_get_idx(r.ret, i), *data, *v;
		const char *type = str_arg(d, "type");
		const char *size = type && !strcmp(type, "virtio-mem") && !fq_since(6, 0)
				       ? "max-size"
				       : "size";

		if (json_object_object_get_ex(d, "data", &data) &&
		    json_object_object_get_ex(data, size, &v))
			n += (uint64_t)json_object_get_int64(v);
	}
	json_object_put(r.ret);
	free(r.err_class);
	free(r.err_desc);
	return n;
}

/* The machine's RAM as pc_memory_init()/pc_q35_init() map it. */
static int guest_blocks(struct block *b)
{
	const char *m = fq_vm.cfg.machine ? fq_vm.cfg.machine : "pc";
	bool board = strcmp(m, "none") != 0;
	uint64_t ram = fq_machine_ram_size();
	uint64_t lowmem, below, above, plugged = device_memory();
	int n = 0;

	if (!board) {
		if (ram)
			b[n++] = (struct block){0, ram};
		return n;
	}
	if (!strcmp(m, "q35"))
		lowmem = ram >= 0xb0000000ULL ? 0x80000000ULL : 0xb0000000ULL;
	else
		lowmem = ram >= 0xe0000000ULL ? 0xc0000000ULL : 0xe0000000ULL;
	below = ram < lowmem ? ram : lowmem;
	above = ram - below;
	b[n++] = (struct block){0, below};
	b[n++] = (struct block){4 * GiB - BIOS_SIZE, BIOS_SIZE};
	if (above)
		b[n++] = (struct block){4 * GiB, above};
	if (plugged) {
		uint64_t base = (4 * GiB + above + GiB - 1) & ~(GiB - 1);

		b[n++] = (struct block){base, plugged};
	}
	return n;
}

/* dump_calculate_size(): the blocks' bytes inside [begin, begin + length). */
static uint64_t dump_size(const struct block *b, int n, bool filter, uint64_t begin,
			  uint64_t length)
{
	uint64_t total = 0;

	for (int i = 0; i < n; i++) {
		uint64_t s = b[i].start, e = b[i].start + b[i].size;

		if (filter) {
			if (s < begin)
				s = begin;
			if (e > begin + length)
				e = begin + length;
		}
		if (e > s)
			total += e - s;
	}
	return total;
}

/*
 * The memory: zero pages. A file gets a hole up to @end; a pipe or socket the
 * bytes themselves (blocking, as QEMU's synchronous dump blocks its monitor).
 */
static int write_zeros(int fd, uint64_t end)
{
	static const char zeros[65536];
	struct stat st;
	off_t at = lseek(fd, 0, SEEK_CUR);

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		return ftruncate(fd, (off_t)end);
	for (uint64_t left = end - (at > 0 ? (uint64_t)at : sizeof(Elf64_Ehdr)); left;) {
		size_t n = left < sizeof(zeros) ? (size_t)left : sizeof(zeros);
		ssize_t w = write(fd, zeros, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		left -= (uint64_t)w;
	}
	return 0;
}

/* A 64-bit little-endian ELF core: the header, a PT_NOTE and a PT_LOAD per block. */
static int write_elf(int fd, const struct block *b, int n, bool filter, uint64_t begin,
		     uint64_t length)
{
	Elf64_Ehdr eh = {0};
	Elf64_Phdr ph[MAX_BLOCKS + 1];
	uint64_t off;
	int np = 0;

	memset(ph, 0, sizeof(ph));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_ehsize = sizeof(eh);
	eh.e_phoff = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	ph[np++] = (Elf64_Phdr){.p_type = PT_NOTE};
	off = sizeof(eh) + sizeof(Elf64_Phdr) * (uint64_t)(n + 1);
	for (int i = 0; i < n; i++) {
		uint64_t s = b[i].start, e = b[i].start + b[i].size;

		if (filter) {
			s = s < begin ? begin : s;
			e = e > begin + length ? begin + length : e;
		}
		if (e <= s)
			continue;
		ph[np++] = (Elf64_Phdr){.p_type = PT_LOAD,
					.p_offset = off,
					.p_paddr = s,
					.p_filesz = e - s,
					.p_memsz = e - s};
		off += e - s;
	}
	ph[0].p_offset = sizeof(eh) + sizeof(Elf64_Phdr) * (uint64_t)np;
	eh.e_phnum = (Elf64_Half)np;
	if (write(fd, &eh, sizeof(eh)) != (ssize_t)sizeof(eh) ||
	    write(fd, ph, sizeof(Elf64_Phdr) * (size_t)np) !=
		(ssize_t)(sizeof(Elf64_Phdr) * (size_t)np))
		return -1;
	return write_zeros(fd, off);
}

/* kdump-compressed: the disk_dump_header signature "KDUMP   " in a first block. */
static int write_kdump(int fd)
{
	char blk[4096] = "KDUMP   ";

	return write(fd, blk, sizeof(blk)) == (ssize_t)sizeof(blk) ? 0 : -1;
}

static json_object *query_result(void)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string(dump.status));
	json_object_object_add(o, "completed", json_object_new_int64((int64_t)dump.completed));
	json_object_object_add(o, "total", json_object_new_int64((int64_t)dump.total));
	return o;
}

void fq_cmd_query_dump(json_object *args, struct fq_reply *r)
{
	(void)args;
	r->ret = query_result();
}

static void completed_event(const char *error)
{
	json_object *d = json_object_new_object();

	json_object_object_add(d, "result", query_result());
	if (error)
		json_object_object_add(d, "error", json_object_new_string(error));
	fq_event("DUMP_COMPLETED", d);
}

static struct {
	const char *failure;
	bool resume;
} detached;

static void detached_done(void *opaque)
{
	(void)opaque;
	completed_event(detached.failure);
	if (detached.resume)
		fq_vm_set_running(true);
}

/* The checks qmp_dump_guest_memory() makes before it opens anything. */
static bool check_args(json_object *args, const char *format, bool paging, struct fq_reply *r)
{
	bool has_begin = has_arg(args, "begin", NULL), has_length = has_arg(args, "length", NULL);

	if (fq_vm.state == FQ_INMIGRATE) {
		fq_reply_error(r, "GenericError", "Dump not allowed during incoming migration.");
		return false;
	}
	if (!strcmp(dump.status, "active")) {
		fq_reply_error(r, "GenericError", "There is a dump in process, please wait.");
		return false;
	}
	if (format && strcmp(format, "elf") && (paging || has_begin || has_length)) {
		fq_reply_error(r, "GenericError",
			       "kdump-compressed format doesn't support paging or filter");
		return false;
	}
	if (has_begin && !has_length) {
		fq_reply_error(r, "GenericError", "Parameter 'length' is missing");
		return false;
	}
	if (!has_begin && has_length) {
		fq_reply_error(r, "GenericError", "Parameter 'begin' is missing");
		return false;
	}
	/* Debian's QEMUs are built without LZO and snappy. */
	if (format && (!strcmp(format, "kdump-lzo") || !strcmp(format, "kdump-snappy"))) {
		fq_reply_error(r, "GenericError", "%s is not available now", format);
		return false;
	}
	return true;
}

/* file:PATH or fd:NAME; -1 with @r set otherwise. */
static int open_protocol(const char *protocol, struct fq_reply *r)
{
	int fd;

	if (!strncmp(protocol, "fd:", 3))
		return fq_monitor_get_fd(fq_qmp_current_monitor(), protocol + 3, r);
	if (!strncmp(protocol, "file:", 5)) {
		fd = open(protocol + 5, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, S_IRUSR);
		if (fd < 0)
			fq_reply_error(r, "GenericError", "Could not %s '%s': %s",
				       fq_since(8, 2) ? "create" : "open", protocol + 5,
				       strerror(errno));
		return fd;
	}
	if (fq_since(8, 2))
		fq_reply_error(r, "GenericError",
			       "parameter 'protocol' must start with 'file:' or 'fd:'");
	else
		fq_reply_error(r, "GenericError", "Invalid parameter 'protocol'");
	return -1;
}

void fq_cmd_dump_guest_memory(json_object *args, struct fq_reply *r)
{
	const char *format = str_arg(args, "format"), *protocol = str_arg(args, "protocol");
	bool paging = json_object_get_boolean(json_object_object_get(args, "paging"));
	int64_t begin = 0, length = 0;
	bool filter = has_arg(args, "begin", &begin) && has_arg(args, "length", &length);
	bool resume = false, detach = false;
	struct block blocks[MAX_BLOCKS];
	const char *failure = NULL;
	int n, fd;

	detach = json_object_get_boolean(json_object_object_get(args, "detach"));
	if (!check_args(args, format, paging, r))
		return;
	if (filter && length == 0 && fq_since(8, 2)) {
		fq_reply_error(r, "GenericError", "parameter 'length' expects a non-zero size");
		return;
	}
	fd = open_protocol(protocol, r);
	if (fd < 0)
		return;
	/* dump_init(): the VM stops first; every later failure resumes it. */
	dump.status = "active";
	dump.completed = 0;
	dump.total = 0;
	if (fq_vm.state == FQ_RUNNING) {
		fq_vm_set_running(false);
		resume = true;
	}
	n = guest_blocks(blocks);
	if (filter && begin < 0) {
		fq_reply_error(r, "GenericError", "Invalid parameter 'begin'");
	} else if (filter && length == 0 && fq_since(7, 0)) {
		fq_reply_error(r, "GenericError", "Invalid parameter 'length'");
		/* 7.x's dump_cleanup() unrefs a string table never made. */
		fputs("GLib: g_array_unref: assertion 'array' failed\n", stderr);
	} else {
		dump.total = dump_size(blocks, n, filter, (uint64_t)begin, (uint64_t)length);
		if (!dump.total)
			fq_reply_error(r, "GenericError", "dump: no guest memory to dump");
	}
	if (r->err_class) {
		dump.status = "failed";
		close(fd);
		if (resume)
			fq_vm_set_running(true);
		return;
	}
	/* dump_process(): a detached dump completes after the reply. */
	if (format && !strcmp(format, "win-dmp"))
		failure = "win-dump: invalid vmcoreinfo note size";
	else if ((format && strcmp(format, "elf") ? write_kdump(fd)
						  : write_elf(fd, blocks, n, filter, (uint64_t)begin,
							      (uint64_t)length)) < 0)
		failure = strerror(errno);
	close(fd);
	dump.status = failure ? "failed" : "completed";
	dump.completed = failure ? 0 : dump.total;
	if (detach) {
		/* dump_thread(): the reply first, then its event and the VM again. */
		detached.failure = failure;
		detached.resume = resume;
		fq_loop_timer(0, detached_done, NULL);
		return;
	}
	completed_event(failure);
	if (resume)
		fq_vm_set_running(true);
	if (failure)
		fq_reply_error(r, "GenericError", "%s", failure);
}
