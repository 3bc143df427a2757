/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* since.h - "QEMU changed this in version X": behaviour keyed on the imitated version */
#ifndef FQ_SINCE_H
#define FQ_SINCE_H

#include <stdbool.h>

#include "fakeqemu.h"

/**
 * fq_since() - whether the imitated QEMU is @major.@minor or later
 * @major: major version of the change
 * @minor: minor version of the change
 *
 * Behaviour that changed in one QEMU release is keyed on that release, so a
 * version recorded later (8.2, 9.2) falls on the right side without a flag.
 *
 * Return: true from that version on.
 */
static inline bool fq_since(int major, int minor)
{
	const struct fq_dialect *d = fq_vm.cfg.dialect;

	return d->major > major || (d->major == major && d->minor >= minor);
}

#endif
