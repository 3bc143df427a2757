/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ci_emit.h - a qualification matrix as CI jobs */
#ifndef QDCTL_CI_EMIT_H
#define QDCTL_CI_EMIT_H

/**
 * sc_emit_ci() - write a CI pipeline: one job per QEMU x machine, then a merge
 * @kind:      "github" (Actions workflow) or "gitlab" (.gitlab-ci.yml)
 * @qemus:     ci/get-qemu.sh names (5.2, 7.2, 10.0, a Debian suite) or absolute paths
 * @nqemus:    how many
 * @machines:  pc, q35 (none: pc)
 * @nmachines: how many
 * @nscen:     scenario files or directories each job passes on, or 0 for the catalogue
 * @scen:      their names
 * @out:       the file to write, or NULL for stdout
 *
 * Return: a qdctl exit status.
 */
int sc_emit_ci(const char *kind, const char *const *qemus, int nqemus, const char *const *machines,
	       int nmachines, int nscen, char **scen, const char *out);

#endif
