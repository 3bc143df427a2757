/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* halt_kernel.c - a 140-byte PVH kernel that halts at once: a machine with no OS, on any QEMU */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qdctl.h"

/*
 * DOC: halt kernel
 *
 * QEMU-level scenarios need QEMU running a machine on which no operating
 * system ever answers ACPI: PCI unplug requests then stay pending and CPU
 * hotplug stays in legacy mode (unplug refused), the same on every
 * accelerator and every run. A real kernel without a root file system
 * boots for seconds under TCG and races with the test. So qdctl writes
 * this file: an ELF32 with a Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY,
 * which QEMU >= 4.0 boots directly with -kernel) whose code is
 * "cli; hlt; jmp .-3". fakeqemu only checks that the kernel file exists.
 */

#define LOAD_ADDR  0x100000u
#define EHDR_SIZE  52u
#define PHDR_SIZE  32u
#define NOTE_OFF   (EHDR_SIZE + 2 * PHDR_SIZE)
#define NOTE_SIZE  (12u + 4u + 4u) /* namesz, descsz, type; "Xen\0"; entry */
#define CODE_OFF   (NOTE_OFF + NOTE_SIZE)
#define IMAGE_SIZE (CODE_OFF + 4u)

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void build_image(unsigned char img[IMAGE_SIZE])
{
	static const unsigned char ident[16] = {
	    0x7f, 'E', 'L', 'F', 1 /* 32-bit */, 1 /* little endian */, 1 /* version */};
	static const unsigned char code[4] = {0xfa, 0xf4, 0xeb, 0xfd}; /* cli; hlt; jmp .-3 */
	const uint32_t entry = LOAD_ADDR + CODE_OFF;
	unsigned char *ph = img + EHDR_SIZE, *note = img + NOTE_OFF;

	memset(img, 0, IMAGE_SIZE);
	memcpy(img, ident, sizeof(ident));
	put16(img + 16, 2); /* ET_EXEC */
	put16(img + 18, 3); /* EM_386 */
	put32(img + 20, 1); /* EV_CURRENT */
	put32(img + 24, entry);
	put32(img + 28, EHDR_SIZE); /* program headers right after */
	put16(img + 40, EHDR_SIZE);
	put16(img + 42, PHDR_SIZE);
	put16(img + 44, 2);
	put16(img + 46, 40);
	/* PT_LOAD: the whole file at 1 MiB, read + execute. */
	put32(ph + 0, 1);
	put32(ph + 8, LOAD_ADDR);
	put32(ph + 12, LOAD_ADDR);
	put32(ph + 16, IMAGE_SIZE);
	put32(ph + 20, IMAGE_SIZE);
	put32(ph + 24, 5);
	put32(ph + 28, 0x1000);
	/* PT_NOTE: the PVH entry point. */
	ph += PHDR_SIZE;
	put32(ph + 0, 4);
	put32(ph + 4, NOTE_OFF);
	put32(ph + 16, NOTE_SIZE);
	put32(ph + 20, NOTE_SIZE);
	put32(ph + 24, 4);
	put32(ph + 28, 4);
	put32(note + 0, 4);  /* namesz */
	put32(note + 4, 4);  /* descsz */
	put32(note + 8, 18); /* XEN_ELFNOTE_PHYS32_ENTRY */
	memcpy(note + 12, "Xen", 4);
	put32(note + 16, entry);
	memcpy(img + CODE_OFF, code, sizeof(code));
}

char *qdctl_halt_kernel(const char *dir)
{
	unsigned char img[IMAGE_SIZE];
	char *path, *tmp;
	int fd;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return NULL;
	if (asprintf(&path, "%s/qdctl-halt-kernel.elf", dir) < 0)
		return NULL;
	if (asprintf(&tmp, "%s.%d.tmp", path, (int)getpid()) < 0) {
		free(path);
		return NULL;
	}
	build_image(img);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, img, sizeof(img)) != (ssize_t)sizeof(img) || close(fd) < 0 ||
	    rename(tmp, path) < 0) {
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		free(tmp);
		free(path);
		return NULL;
	}
	free(tmp);
	return path;
}
