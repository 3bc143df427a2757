/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* target.h - a QEMU binary scenarios run against (a column of the report): real QEMU or fakeqemu */
#ifndef QDCTL_TARGET_H
#define QDCTL_TARGET_H

#include <stdbool.h>

#include <json-c/json.h>

/*
 * struct sc_target - one QEMU binary, and how scenarios run on it.
 * @id:           short unique id in a report ("t1", ...)
 * @spec:         as given: a path, or "fake" / "fake:VERSION"
 * @path:         the binary to run
 * @fake:         it is fakeqemu (it said so in -version)
 * @fake_version: fakeqemu dialect forced by "fake:VERSION", else NULL
 * @version:      "7.2.22" (fakeqemu: the version it imitates)
 * @package:      "Debian 1:7.2+dfsg-7+deb12u18+b3"
 * @label:        "QEMU 7.2.22" or "fakeqemu 7.2"
 * @machine:      machine every scenario runs on (--machine), or NULL: each scenario's own
 * @accel:        accelerator of QEMU-level scenarios; @accel_reason why
 * @guest_accel:  accelerator the test guest boots under, NULL until known;
 *                @guest_accel_reason why (e.g. KVM here cannot boot guests)
 * @guest_unavailable: why guest-level scenarios cannot run here, or NULL
 * @machines:     machine aliases resolved by this QEMU, {"pc": "pc-i440fx-7.2"}
 */
struct sc_target {
	char *id;
	char *spec;
	char *path;
	bool fake;
	char *fake_version;
	char *version;
	char *package;
	char *label;
	char *machine;
	char *accel;
	char *accel_reason;
	char *guest_accel;
	char *guest_accel_reason;
	bool guest_probed;
	char *guest_unavailable;
	json_object *machines;
	json_object *foreign_files; /* files of another QEMU it mapped (probe), or NULL */
	char *probe_error;
};

/**
 * sc_target_new() - identify the QEMU binary @spec names
 * @spec:    a path to a qemu-system-x86_64 (or a wrapper), "fake" for the
 *           fakeqemu built or installed with qdctl, or "fake:VERSION"
 * @id:      the target's id in reports
 * @machine: forced machine, or NULL
 * @out:     receives the target
 * @errmsg:  receives a malloc'd message on failure
 *
 * Runs "@spec -version" (with a deadline) to learn its version and whether
 * it is fakeqemu. Decides the accelerator of QEMU-level scenarios: KVM when
 * /dev/kvm can be opened, else TCG.
 *
 * Return: 0 or a negative errno.
 */
int sc_target_new(const char *spec, const char *id, const char *machine, struct sc_target **out,
		  char **errmsg);

/**
 * sc_target_probe() - start @t with -machine none and ask it about itself
 * @t:         the target: machines learnt, foreign_files filled (real QEMU)
 * @work_base: where its socket goes
 * @why:       receives a malloc'd message on failure
 *
 * Loads every QOM module (qom-list-types) and records any mapped file of
 * another QEMU (the system's module directory or data, a sibling version's
 * tree): a qualification must never mix versions.
 *
 * Return: 0 or a negative errno.
 */
int sc_target_probe(struct sc_target *t, const char *work_base, char **why);

/* sc_target_free() - NULL is allowed. */
void sc_target_free(struct sc_target *t);

/* sc_target_json() - the target as reports show it (new object). */
json_object *sc_target_json(const struct sc_target *t);

/* sc_kvm_usable() - /dev/kvm can be opened read-write. */
bool sc_kvm_usable(void);

#endif
