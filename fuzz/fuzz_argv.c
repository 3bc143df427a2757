/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz_argv.c - libFuzzer target: every config value into qd_build_argv(), checked by argv_oracle
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "argv_oracle.h"
#include "config.h"
#include "state.h"

/*
 * Input: a stream of fields, read in a fixed order (an exhausted input reads
 * as zeros and empty strings, so every input is valid):
 *
 *   byte     flags: machine, accel, block driver, nested, qmp by path
 *   byte     flags: debug, iothreads, mem_prealloc, hugepages, realtime, mlock,
 *            daemonize, read_only of the drives
 *   byte     presence: name, cpu_model, machine_options, cpu_features, initrd,
 *            firmware, kernel_params, kernel
 *   byte     vcpus / max_vcpus; byte devices (0-5); byte bridges (0-4)
 *   strings  one per text field, each a length byte and that many bytes (any
 *            byte, ',' '=' and invalid UTF-8 included)
 *   devices  per device: kind byte, then its strings
 *
 * Every value that qd_build_argv() escapes is given twice, as the fuzzed text
 * and as a marker (argv_oracle.h): both command lines must have the same
 * shape. Values QEMU is meant to read as sub-options (machine_options,
 * cpu_features) and the kernel parameters are the same in both runs, and so
 * are ids (the configuration only takes valid ones).
 */

struct reader {
	const uint8_t *p;
	size_t left;
	char *strings[128];
	size_t nstrings;
};

static unsigned byte(struct reader *r)
{
	if (!r->left)
		return 0;
	r->left--;
	return *r->p++;
}

/* A string of the input (NUL bytes end it early, as in a C string). */
static const char *text(struct reader *r)
{
	size_t len = byte(r);
	char *s;

	if (len > r->left)
		len = r->left;
	s = strndup((const char *)r->p, len);
	if (!s || r->nstrings == sizeof(r->strings) / sizeof(r->strings[0]))
		abort();
	r->p += len;
	r->left -= len;
	r->strings[r->nstrings++] = s;
	return s;
}

/* The fuzzed configuration and the marked one, side by side. */
struct pair {
	struct qd_vm_config cfg[2];
	struct qd_device dev[2][5];
	struct qd_state st[2];
	struct qd_launch_params lp[2];
	struct oracle_values values;
};

/* Field @f of both configs: the fuzzed text, and its marker. */
#define ESCAPED(pr, f, s)                                                                          \
	do {                                                                                       \
		const char *_s = (s);                                                              \
		(pr)->cfg[0].f = _s;                                                               \
		(pr)->cfg[1].f = oracle_marker(&(pr)->values, _s);                                 \
	} while (0)
#define SAME(pr, f, s) ((pr)->cfg[0].f = (pr)->cfg[1].f = (s))

static void read_device(struct reader *r, struct pair *pr, int i)
{
	static const char *const ids[] = {"d0", "d1", "d2", "d3", "d4"};
	static const char *const vhost[] = {"net", "blk", "fs"};
	unsigned kind = byte(r) % 6 + 1, opt = byte(r);
	struct qd_device *f = &pr->dev[0][i], *m = &pr->dev[1][i];
	const char *s;

	f->kind = m->kind = (enum qd_device_kind)kind;
	f->id = m->id = ids[i];
	f->read_only = m->read_only = opt & 1;
#define DEV(field)                                                                                 \
	do {                                                                                       \
		s = text(r);                                                                       \
		f->field = s;                                                                      \
		m->field = oracle_marker(&pr->values, s);                                          \
	} while (0)
	DEV(path);
	if (kind == QD_DEVICE_VHOST_USER) {
		f->tag = m->tag = vhost[opt % 3];
		(void)text(r);
	} else {
		DEV(tag);
	}
	DEV(ifname);
	if (opt & 2)
		DEV(mac);
	if (opt & 4)
		DEV(format);
	DEV(bdf);
#undef DEV
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct qd_host_facts host = {.ncpus = 4, .mem_mb = 4096};
	struct reader r = {.p = data, .left = size};
	struct pair pr;
	struct qd_vm_config resolved[2];
	char **argv[2] = {NULL, NULL};
	unsigned f1, f2, present, sizes, memory;
	int ndev, nbridges, rc[2];
	const char *s;

	memset(&pr, 0, sizeof(pr));
	f1 = byte(&r);
	f2 = byte(&r);
	present = byte(&r);
	sizes = byte(&r);
	ndev = (int)(byte(&r) % 6);
	nbridges = (int)(byte(&r) % 5);
	memory = byte(&r) * 16;
	for (int k = 0; k < 2; k++) {
		struct qd_vm_config *c = &pr.cfg[k];

		c->id = "vm1";
		c->machine = f1 & 1 ? QD_MACHINE_Q35 : QD_MACHINE_PC;
		c->accel = f1 & 2 ? "tcg" : "kvm";
		c->block_driver = f1 & 4 ? QD_BLOCK_VIRTIO_SCSI : QD_BLOCK_VIRTIO_BLK;
		c->debug = f2 & 1;
		c->iothreads = f2 & 2;
		c->mem_prealloc = f2 & 4;
		c->hugepages = f2 & 8;
		c->realtime = f2 & 16;
		c->mlock = f2 & 32;
		c->daemonize = f2 & 64;
		c->vcpus = sizes & 3;
		c->max_vcpus = (sizes >> 2) & 7;
		c->memory_mb = memory;
		c->bridges = (unsigned)nbridges;
	}
	if (present & 1)
		ESCAPED(&pr, name, text(&r));
	if (present & 2) {
		/* "host" picks the nesting workaround: a marker would not. */
		s = text(&r);
		if (!strcmp(s, "host"))
			SAME(&pr, cpu_model, s);
		else
			ESCAPED(&pr, cpu_model, s);
	}
	if (present & 4)
		SAME(&pr, machine_options, text(&r));
	if (present & 8)
		SAME(&pr, cpu_features, text(&r));
	if (present & 128)
		ESCAPED(&pr, kernel, text(&r));
	if (present & 16)
		ESCAPED(&pr, initrd, text(&r));
	if (present & 32)
		ESCAPED(&pr, firmware, text(&r));
	if (present & 64)
		SAME(&pr, kernel_params, text(&r));
	for (int i = 0; i < ndev; i++)
		read_device(&r, &pr, i);
	pr.cfg[0].devices = pr.dev[0];
	pr.cfg[1].devices = pr.dev[1];
	pr.cfg[0].ndevices = pr.cfg[1].ndevices = (size_t)ndev;

	/* The launch parameters: paths and bridge ids come from outside the config. */
	{
		const char *qemu = text(&r), *qmp = text(&r), *console = text(&r), *pid = text(&r);

		for (int k = 0; k < 2; k++) {
			struct qd_launch_params *lp = &pr.lp[k];

			memset(&pr.st[k], 0, sizeof(pr.st[k]));
			lp->state = &pr.st[k];
			lp->qmp_fd = f1 & 16 ? -1 : 3;
			lp->nested = f1 & 8;
			lp->uuid = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
		}
		pr.lp[0].qemu = qemu;
		pr.lp[1].qemu = oracle_marker(&pr.values, qemu);
		/* A path with '=' takes the other QMP form (-chardev): the marker would not. */
		pr.lp[0].qmp_path = qmp;
		pr.lp[1].qmp_path = strchr(qmp, '=') ? qmp : oracle_marker(&pr.values, qmp);
		pr.lp[0].console_path = console;
		pr.lp[1].console_path = oracle_marker(&pr.values, console);
		pr.lp[0].pidfile = pid;
		pr.lp[1].pidfile = oracle_marker(&pr.values, pid);
	}
	for (int i = 0; i < nbridges; i++) {
		const char *id = text(&r);
		int addr = (int)(byte(&r) % 31) + 1, chassis = (int)byte(&r) + 1;

		if (qd_state_add_bridge(&pr.st[0], id, addr, chassis) < 0 ||
		    qd_state_add_bridge(&pr.st[1], oracle_marker(&pr.values, id), addr, chassis) <
			0)
			abort();
	}

	for (int k = 0; k < 2; k++) {
		qd_error err = {0};

		rc[k] = qd_config_resolve(&pr.cfg[k], &host, &resolved[k], &err);
		if (rc[k] == 0)
			rc[k] = qd_build_argv(&resolved[k], &pr.lp[k], &argv[k], &err);
		/* Every refusal says why. */
		if (rc[k] < 0 && !err.message)
			abort();
		qd_error_clear(&err);
	}
	if (rc[0] == 0 && rc[1] == 0)
		oracle_compare(argv[0], argv[1], &pr.values);
	qd_argv_free(argv[0]);
	qd_argv_free(argv[1]);
	qd_state_clear(&pr.st[0]);
	qd_state_clear(&pr.st[1]);
	for (size_t i = 0; i < r.nstrings; i++)
		free(r.strings[i]);
	return 0;
}
