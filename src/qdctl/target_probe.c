/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* target_probe.c - ask a QEMU about itself before qualifying it: machines, and no files of another
 * QEMU */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "qdctl.h"
#include "target.h"

/*
 * DOC: probe
 *
 * A qualification must never mix versions: a QEMU unpacked beside another
 * used to load the other's modules (ci/get-qemu.sh fences that now). The
 * probe starts the binary with "-machine none", makes it load every QOM
 * module (qom-list-types), and reads /proc/PID/maps: a mapped file of
 * another QEMU tree (the system's module directory or data, or a file
 * outside the binary's own tree in the version cache) is recorded on the
 * target, and the report shows it as a finding. It also learns which
 * machine types "pc" and "q35" stand for.
 */

#define PROBE_TIMEOUT_MS 30000

extern char **environ;

static const char *const foreign_dirs[] = {
    "/usr/lib/x86_64-linux-gnu/qemu/",
    "/usr/share/qemu/",
    NULL,
};

/* The install root of the binary running as @pid ("" for the system's /usr/bin one). */
static char *tree_of(pid_t pid)
{
	char link[64], exe[PATH_MAX];
	const char *suffix = "/usr/bin/qemu-system-x86_64";
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	if ((size_t)n >= strlen(suffix) && !strcmp(exe + n - strlen(suffix), suffix))
		exe[n - strlen(suffix)] = '\0';
	else if (strrchr(exe, '/'))
		*strrchr(exe, '/') = '\0';
	return strdup(exe);
}

/* Files mapped by @pid that belong to another QEMU than the one installed at @tree. */
static json_object *foreign_files(pid_t pid, const char *tree)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	json_object *out = json_object_new_array();
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return out;
	while (getline(&line, &cap, f) > 0) {
		char *file = strchr(line, '/');
		bool bad = false;

		if (!file)
			continue;
		file[strcspn(file, "\n")] = '\0';
		if (*tree) {
			/* An unpacked QEMU: nothing of the system's QEMU. */
			for (const char *const *d = foreign_dirs; *d && !bad; d++)
				bad = !strncmp(file, *d, strlen(*d));
			/* ... nor of a sibling tree in the same cache. */
			if (!bad && strstr(file, "/qemudrv-qemu/") &&
			    strncmp(file, tree, strlen(tree)))
				bad = true;
		} else {
			/* The system's QEMU: no file of an unpacked one. */
			bad = strstr(file, "/qemudrv-qemu/") != NULL;
		}
		for (size_t i = 0; bad && i < json_object_array_length(out); i++)
			bad =
			    strcmp(json_object_get_string(json_object_array_get_idx(out, i)), file);
		if (bad)
			json_object_array_add(out, json_object_new_string(file));
	}
	free(line);
	fclose(f);
	return out;
}

static void learn_machines(struct sc_target *t, json_object *machines)
{
	static const char *const aliases[] = {"pc", "q35", NULL};

	for (const char *const *alias = aliases; *alias; alias++)
		for (size_t i = 0; i < json_object_array_length(machines); i++) {
			json_object *m = json_object_array_get_idx(machines, i), *a, *n;

			if (json_object_object_get_ex(m, "alias", &a) &&
			    json_object_object_get_ex(m, "name", &n) &&
			    !strcmp(json_object_get_string(a), *alias))
				json_object_object_add(t->machines, *alias, json_object_get(n));
		}
}

int sc_target_probe(struct sc_target *t, const char *work_base, char **why)
{
	char dir[PATH_MAX], sock[PATH_MAX + 16], chardev[64], *tree = NULL;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	posix_spawn_file_actions_t fa;
	struct qd_qmp *q = NULL;
	json_object *ret = NULL;
	qd_error err = {0};
	int lfd = -1, cfd = -1, r, status;
	pid_t pid = -1;

	*why = NULL;
	snprintf(dir, sizeof(dir), "%s/qdctl-probe-XXXXXX", work_base);
	if (!mkdtemp(dir))
		return -errno;
	snprintf(sock, sizeof(sock), "%s/qmp.sock", dir);
	if (strlen(sock) >= sizeof(addr.sun_path)) {
		rmdir(dir);
		return -ENAMETOOLONG;
	}
	memcpy(addr.sun_path, sock, strlen(sock) + 1);
	/* A listening socket handed to QEMU: connect at once, nothing polls. */
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(lfd, 1) < 0) {
		r = -errno;
		goto out;
	}
	snprintf(chardev, sizeof(chardev), "socket,id=probe,fd=%d,server=on,wait=off", lfd);
	{
		char *argv[] = {t->path,
				"-machine",
				"none",
				"-nodefaults",
				"-display",
				"none",
				"-S",
				"-chardev",
				chardev,
				"-mon",
				"chardev=probe,mode=control",
				NULL};

		/* fakeqemu imitates the dialect it is given (fake:VERSION). */
		if (t->fake_version)
			setenv("FAKEQEMU_VERSION", t->fake_version, 1);
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
		posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
		r = -posix_spawn(&pid, t->path, &fa, NULL, argv, environ);
		posix_spawn_file_actions_destroy(&fa);
		if (t->fake_version)
			unsetenv("FAKEQEMU_VERSION");
		if (r < 0)
			goto out;
	}
	cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		r = -errno;
		goto out;
	}
	r = qd_qmp_open_fd(cfd, NULL, &q, &err);
	cfd = -1;
	if (r == 0)
		r = qd_qmp_handshake(q, PROBE_TIMEOUT_MS, &err);
	if (r == 0 && qd_qmp_execute(q, "query-machines", NULL, PROBE_TIMEOUT_MS, &ret, NULL) == 0)
		learn_machines(t, ret);
	json_object_put(ret);
	ret = NULL;
	if (r == 0 && !t->fake) {
		/* Every QOM module is loaded now; then see what is mapped. */
		r = qd_qmp_execute(q, "qom-list-types", NULL, PROBE_TIMEOUT_MS, NULL, &err);
		tree = r == 0 ? tree_of(pid) : NULL;
		if (tree) {
			json_object_put(t->foreign_files);
			t->foreign_files = foreign_files(pid, tree);
		}
	}
	if (r == 0)
		qd_qmp_execute(q, "quit", NULL, PROBE_TIMEOUT_MS, NULL, NULL);
	if (r < 0 &&
	    asprintf(why, "probing %s: %s", t->path, err.message ? err.message : strerror(-r)) < 0)
		*why = NULL;
out:
	qd_qmp_free(q);
	if (cfd >= 0)
		close(cfd);
	if (lfd >= 0)
		close(lfd);
	if (pid > 0) {
		int pidfd = qdctl_pidfd_open(pid);
		struct pollfd p = {.fd = pidfd, .events = POLLIN};

		if (pidfd < 0 || poll(&p, 1, 5000) <= 0)
			kill(pid, SIGKILL);
		if (pidfd >= 0)
			close(pidfd);
		waitpid(pid, &status, 0);
	}
	unlink(sock);
	rmdir(dir);
	free(tree);
	qd_error_clear(&err);
	return r;
}
