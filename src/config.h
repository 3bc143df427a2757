/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* config.h - VM configuration: defaults, validation naming the bad field */
#ifndef QD_CONFIG_H
#define QD_CONFIG_H

#include "qemudrv.h"

/* Host facts the defaults depend on (injectable for tests). */
struct qd_host_facts {
	unsigned ncpus;
	unsigned long long mem_mb;
	bool nested;
};

/*
 * qd_config_resolve() - copy @in to @out with every default filled in and
 * every field checked; the strings stay @in's. -EINVAL names the field.
 */
int qd_config_resolve(const struct qd_vm_config *in, const struct qd_host_facts *host,
		      struct qd_vm_config *out, qd_error *err);

/* qd_id_valid() - letters, digits, '-', '.', '_', starting with a letter (QEMU's rule). */
bool qd_id_valid(const char *id);

/* qd_word_valid() - @s is not empty and only letters, digits and characters of @punct. */
bool qd_word_valid(const char *s, const char *punct);

/* qd_mac_valid() - whether @m is a MAC address as QEMU takes it, "xx:xx:xx:xx:xx:xx" in hex. */
bool qd_mac_valid(const char *m);

/* qd_bdf_valid() - whether @s is a host PCI address, [DDDD:]BB:SS.F in hex. */
bool qd_bdf_valid(const char *s);

#endif
