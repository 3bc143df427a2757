/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* target.c - identify a QEMU binary (version, fakeqemu or real) and choose its accelerator */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "qdctl.h"
#include "target.h"

#define VERSION_TIMEOUT_MS 30000

bool sc_kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)" */
static int parse_version(const char *out, struct sc_target *t)
{
	const char *line = strstr(out, "QEMU emulator version ");
	const char *v, *end, *fake;

	if (!line)
		return -EPROTO;
	v = line + strlen("QEMU emulator version ");
	end = v + strcspn(v, " \n");
	t->version = strndup(v, (size_t)(end - v));
	if (*end == ' ' && end[1] == '(') {
		const char *close = strchr(end + 2, ')');
		const char *nl = strchr(end, '\n');

		if (close && (!nl || close < nl))
			t->package = strndup(end + 2, (size_t)(close - end - 2));
	}
	fake = strstr(out, "(fakeqemu: ");
	t->fake = fake != NULL;
	return 0;
}

int sc_target_new(const char *spec, const char *id, const char *machine, struct sc_target **out,
		  char **errmsg)
{
	struct sc_target *t = calloc(1, sizeof(*t));
	char *output = NULL, *argv[3];
	const char *saved_version = getenv("FAKEQEMU_VERSION");
	char *saved = saved_version ? strdup(saved_version) : NULL;
	int status, r;

	*out = NULL;
	*errmsg = NULL;
	if (!t)
		return -ENOMEM;
	t->id = strdup(id);
	t->spec = strdup(spec);
	t->machine = machine ? strdup(machine) : NULL;
	if (!strcmp(spec, "fake") || !strncmp(spec, "fake:", 5)) {
		t->path = qdctl_find_fakeqemu();
		if (!t->path) {
			r = -ENOENT;
			if (asprintf(errmsg, "--qemu %s: no fakeqemu next to qdctl", spec) < 0)
				*errmsg = NULL;
			goto fail;
		}
		if (spec[4] == ':')
			t->fake_version = strdup(spec + 5);
		{
			char *real = realpath(t->path, NULL);

			if (real) {
				free(t->path);
				t->path = real;
			}
		}
	} else {
		t->path = strdup(spec);
	}
	if (access(t->path, X_OK) < 0) {
		r = -errno;
		if (asprintf(errmsg, "--qemu %s: cannot run it: %s", spec, strerror(errno)) < 0)
			*errmsg = NULL;
		goto fail;
	}
	/* fakeqemu answers -version in the dialect it was given. */
	if (t->fake_version)
		setenv("FAKEQEMU_VERSION", t->fake_version, 1);
	argv[0] = t->path;
	argv[1] = "-version";
	argv[2] = NULL;
	r = qdctl_run_capture(argv, VERSION_TIMEOUT_MS, &output, &status);
	if (saved)
		setenv("FAKEQEMU_VERSION", saved, 1);
	else
		unsetenv("FAKEQEMU_VERSION");
	free(saved);
	if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    parse_version(output, t) < 0) {
		char *nl;

		if (output && (nl = strchr(output, '\n')))
			*nl = '\0';
		if (asprintf(errmsg, "--qemu %s: '%s -version' %s%s%s", spec, t->path,
			     r == -ETIMEDOUT ? "did not answer in time"
			     : r < 0	     ? strerror(-r)
					     : "did not print a QEMU version",
			     output && *output ? ": " : "", output ? output : "") < 0)
			*errmsg = NULL;
		r = r < 0 ? r : -EPROTO;
		goto fail;
	}
	free(output);
	if (t->fake) {
		/* "7.2.22" imitated: the dialect is major.minor. */
		char dialect[32];
		int major = 0, minor = 0;

		sscanf(t->version, "%d.%d", &major, &minor);
		snprintf(dialect, sizeof(dialect), "%d.%d", major, minor);
		if (!t->fake_version && getenv("FAKEQEMU_VERSION") && *getenv("FAKEQEMU_VERSION"))
			t->fake_version = strdup(getenv("FAKEQEMU_VERSION"));
		if (asprintf(&t->label, "fakeqemu %s",
			     t->fake_version ? t->fake_version : dialect) < 0)
			t->label = NULL;
	} else if (asprintf(&t->label, "QEMU %s", t->version) < 0) {
		t->label = NULL;
	}
	if (sc_kvm_usable()) {
		t->accel = strdup("kvm");
		t->accel_reason = strdup("/dev/kvm is usable");
	} else {
		t->accel = strdup("tcg");
		t->accel_reason = strdup("/dev/kvm cannot be opened");
	}
	t->machines = json_object_new_object();
	*out = t;
	return 0;
fail:
	free(output);
	sc_target_free(t);
	return r;
}

void sc_target_free(struct sc_target *t)
{
	if (!t)
		return;
	free(t->id);
	free(t->spec);
	free(t->path);
	free(t->fake_version);
	free(t->version);
	free(t->package);
	free(t->label);
	free(t->machine);
	free(t->accel);
	free(t->accel_reason);
	free(t->guest_accel);
	free(t->guest_accel_reason);
	free(t->guest_unavailable);
	json_object_put(t->machines);
	json_object_put(t->foreign_files);
	free(t->probe_error);
	free(t);
}

static void add_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, value ? json_object_new_string(value) : NULL);
}

json_object *sc_target_json(const struct sc_target *t)
{
	json_object *o = json_object_new_object();

	add_str(o, "id", t->id);
	add_str(o, "label", t->label);
	add_str(o, "spec", t->spec);
	add_str(o, "path", t->path);
	json_object_object_add(o, "fake", json_object_new_boolean(t->fake));
	add_str(o, "fake_version", t->fake_version);
	add_str(o, "version", t->version);
	add_str(o, "package", t->package);
	add_str(o, "machine", t->machine);
	json_object_object_add(o, "machines", json_object_get(t->machines));
	add_str(o, "accel", t->accel);
	add_str(o, "accel_reason", t->accel_reason);
	add_str(o, "guest_accel", t->guest_accel);
	add_str(o, "guest_accel_reason", t->guest_accel_reason);
	add_str(o, "guest_unavailable", t->guest_unavailable);
	json_object_object_add(o, "foreign_files", json_object_get(t->foreign_files));
	add_str(o, "probe_error", t->probe_error);
	return o;
}
