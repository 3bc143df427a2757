/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* state_file.c - the state on disk: atomic replacement, durable where it outlives QEMU, torn-file
 * recovery */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "deadline.h"
#include "error.h"
#include "state.h"

/* Temporary files of a save are "<name>.tmp.<pid>.<random>". */
#define TEMP_INFIX ".tmp."

/*
 * A state file is one page: the JSON text padded with spaces (which JSON
 * allows after a value). A save that fits then overwrites it in place with
 * one write of one page, which a process crash cannot cut in two (the
 * kernel copies a page whole before it looks at signals), and which costs no
 * metadata at all: no new inode, no rename, nothing for the journal. Readers
 * and the writer take an OFD lock on the file around the read and the write,
 * so no reader sees half of one. A state too large for a page is written as
 * a new file that replaces the old one.
 */
#define STATE_PAGE 4096

/* The text to write, padded with spaces to a page when it fits in one; *@size its length. */
static char *padded(const char *text, size_t *size)
{
	size_t len = strlen(text) + 1; /* and a newline */
	size_t total = len <= STATE_PAGE ? STATE_PAGE : len;
	char *buf = malloc(total);

	if (!buf)
		return NULL;
	memcpy(buf, text, len - 1);
	memset(buf + len - 1, ' ', total - len);
	buf[total - 1] = '\n';
	*size = total;
	return buf;
}

/* Take (F_RDLCK, F_WRLCK) the OFD lock on all of @fd, waiting for the other side's. */
static int lock_file(int fd, short type)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};

	while (fcntl(fd, F_OFD_SETLKW, &fl) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

/* Read all of @fd (a regular file) into a NUL-terminated buffer. */
static int read_file(int fd, const char *display, char **out, size_t *lenp, qd_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return qd_error_set(err, -errno, "cannot read state %s: %s", display,
				    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return qd_error_set(err, -EBADMSG, "state file %s is not a regular file", display);
	for (;;) {
		ssize_t n;

		if (len + 4096 > cap) {
			char *p = realloc(buf, cap = cap * 2 + 4096);

			if (!p)
				return qd_error_set(err, -ENOMEM, "out of memory");
			buf = p;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return qd_error_set(err, -errno, "cannot read state %s: %s", display,
					    strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > QD_STATE_MAX_SIZE)
			return qd_error_set(err, -EBADMSG,
					    "state file %s is larger than %d bytes; it was left as "
					    "it is",
					    display, QD_STATE_MAX_SIZE);
	}
	buf[len] = '\0';
	*out = steal_ptr(&buf);
	*lenp = len;
	return 0;
}

int qd_state_load_at(int dirfd, const char *name, const char *display, struct qd_state *st,
		     qd_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int fd, r;

	memset(st, 0, sizeof(*st));
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		if (errno == ELOOP)
			return qd_error_set(err, -ELOOP,
					    "state file %s is a symbolic link: refusing to read it",
					    display);
		return qd_error_set(err, -errno, "cannot read state %s: %s", display,
				    strerror(errno));
	}
	/* Not in the middle of an overwrite in place. */
	r = lock_file(fd, F_RDLCK);
	if (r < 0 && r != -EINVAL && r != -ENOLCK) {
		close(fd);
		return qd_error_set(err, r, "cannot lock state %s: %s", display, strerror(-r));
	}
	r = read_file(fd, display, &buf, &len, err);
	close(fd); /* and with it the lock */
	if (r < 0)
		return r;
	return qd_state_parse(buf, len, display, st, err);
}

int qd_state_parse(const char *text, size_t len, const char *display, struct qd_state *st,
		   qd_error *err)
{
	_cleanup_json_ json_object *o = NULL;
	struct json_tokener *tok;
	int r;

	memset(st, 0, sizeof(*st));
	if (len > QD_STATE_MAX_SIZE)
		return qd_error_set(err, -EBADMSG,
				    "state file %s is larger than %d bytes; it was left as it is",
				    display, QD_STATE_MAX_SIZE);
	tok = json_tokener_new();
	if (!tok)
		return qd_error_set(err, -ENOMEM, "out of memory");
	/* The whole text, NUL bytes included, must be one JSON object and nothing else. */
	o = json_tokener_parse_ex(tok, text, (int)len);
	r = json_tokener_get_error(tok) == json_tokener_success && o;
	/* After the value only the padding may follow: spaces and newlines. */
	for (size_t i = r ? json_tokener_get_parse_end(tok) : len; r && i < len; i++)
		r = text[i] == ' ' || text[i] == '\n';
	json_tokener_free(tok);
	if (!r)
		return qd_error_set(err, -EBADMSG,
				    "state file %s is corrupt (not complete JSON); it was left as "
				    "it is",
				    display);
	r = qd_state_from_json(o, st, err);
	if (r < 0 && err && err->message) {
		char *m = err->message;

		err->message = NULL;
		qd_error_set(err, r, "state file %s: %s; it was left as it is", display, m);
		free(m);
	}
	return r;
}

/* The directory of @path, opened, and its last component. Return: 0 or -errno. */
static int split_path(const char *path, int *dirfd, const char **base)
{
	_cleanup_free_ char *copy = strdup(path);
	const char *slash = strrchr(path, '/');

	if (!copy)
		return -ENOMEM;
	*base = slash ? slash + 1 : path;
	if (slash)
		copy[slash == path ? 1 : slash - path] = '\0';
	*dirfd = open(slash ? copy : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return *dirfd < 0 ? -errno : 0;
}

int qd_state_load(const char *path, struct qd_state *st, qd_error *err)
{
	const char *base;
	int dirfd, r;

	memset(st, 0, sizeof(*st));
	r = split_path(path, &dirfd, &base);
	if (r == -ENOENT)
		return -ENOENT;
	if (r < 0)
		return qd_error_set(err, r, "cannot read state %s: %s", path, strerror(-r));
	r = qd_state_load_at(dirfd, base, path, st, err);
	close(dirfd);
	return r;
}

/*
 * A temporary file for the next version, created exclusively (O_EXCL, never
 * following a link): "<name>.tmp.<pid>.<random>". The pid lets a later owner
 * delete those of a process that died in the middle of a save.
 */
static int open_temp(int dirfd, const char *name, char *tmp, size_t size)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		unsigned rnd;
		int fd;

		if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
			rnd = (unsigned)qd_now_ns() ^ (unsigned)attempt;
		snprintf(tmp, size, "%s" TEMP_INFIX "%d.%08x", name, (int)getpid(), rnd);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd < 0 ? -errno : fd;
	}
	return -EEXIST;
}

static int write_all(int fd, const char *text, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		off += (size_t)n;
	}
	return 0;
}

/*
 * The durable records (UUID, bridges) also live in an extended attribute of
 * the VM directory, written with them: a state file replaced without fsync
 * can come back empty after a power loss (see state_write()), and this copy
 * is what the next qd_vm_new() recovers them from. Not every file system has
 * user xattrs (tmpfs before Linux 6.6); there the copy is skipped, and on
 * tmpfs a power loss takes the whole directory anyway.
 */
#define DURABLE_XATTR "user.qemudrv.durable"

static int write_durable_copy(int dirfd, const struct qd_state *st)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *bridges = json_object_new_array();
	const char *text;

	json_object_object_add(o, "version", json_object_new_int(QD_STATE_VERSION));
	json_object_object_add(o, "uuid", json_object_new_string(st->uuid));
	for (size_t i = 0; i < st->nbridges; i++) {
		json_object *b = json_object_new_object();

		json_object_object_add(b, "id", json_object_new_string(st->bridges[i].id));
		json_object_object_add(b, "addr", json_object_new_int(st->bridges[i].addr));
		json_object_object_add(b, "chassis", json_object_new_int(st->bridges[i].chassis));
		json_object_object_add(b, "slots", json_object_new_object());
		json_object_array_add(bridges, b);
	}
	json_object_object_add(o, "bridges", bridges);
	json_object_object_add(o, "vcpus", json_object_new_array());
	json_object_object_add(o, "devices", json_object_new_array());
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (!text)
		return -ENOMEM;
	if (fsetxattr(dirfd, DURABLE_XATTR, text, strlen(text), 0) < 0)
		return errno == ENOTSUP ? 0 : -errno;
	return 0;
}

int qd_state_load_durable_copy(int dirfd, struct qd_state *st, qd_error *err)
{
	_cleanup_json_ json_object *o = NULL;
	char buf[8192];
	ssize_t n;

	memset(st, 0, sizeof(*st));
	n = fgetxattr(dirfd, DURABLE_XATTR, buf, sizeof(buf) - 1);
	if (n < 0)
		return errno == ENODATA || errno == ENOTSUP ? -ENODATA : -errno;
	buf[n] = '\0';
	o = json_tokener_parse(buf);
	if (!o)
		return qd_error_set(err, -EBADMSG, "the durable copy of the state is not JSON");
	return qd_state_from_json(o, st, err);
}

bool qd_state_file_torn(int dirfd, const char *name)
{
	char buf[4096];
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	ssize_t n;
	bool torn = true;

	if (fd < 0)
		return false;
	/* What a power loss leaves of a file whose data never reached the disk: nothing, or zeros.
	 */
	while (torn && (n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n && torn; i++)
			torn = buf[i] == '\0';
	close(fd);
	return torn;
}

bool qd_state_file_predates_boot(int dirfd, const char *name)
{
	FILE *f = fopen("/proc/stat", "r");
	char line[256];
	long long btime = -1;
	struct stat st;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %lld", &btime) == 1)
			break;
	fclose(f);
	return btime > 0 && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       (long long)st.st_mtim.tv_sec < btime;
}

/*
 * Replace @name by @tmp. The two names are exchanged (then the old version,
 * now at @tmp, deleted) rather than @tmp renamed over @name: ext4 flushes a
 * file renamed over another one to the disk (auto_da_alloc), which costs as
 * much as an fsync, while an exchange is a journal entry. Readers see the
 * old or the new version either way. Where the file system cannot exchange,
 * or @name does not exist yet, a plain rename does it.
 */
static int replace_quickly(int dirfd, const char *tmp, const char *name)
{
	if (renameat2(dirfd, tmp, dirfd, name, RENAME_EXCHANGE) == 0) {
		unlinkat(dirfd, tmp, 0);
		return 0;
	}
	if (errno != EINVAL && errno != ENOENT && errno != ENOSYS)
		return -errno;
	return renameat(dirfd, tmp, dirfd, name) < 0 ? -errno : 0;
}

/*
 * overwrite_in_place() - write the page @buf over @name, if @name is a page.
 * Return: 1 written, 0 not possible (absent, or of another size), or -errno.
 */
static int overwrite_in_place(int dirfd, const char *name, const char *buf, size_t size)
{
	struct stat st;
	ssize_t n;
	int fd, r;

	if (size != STATE_PAGE)
		return 0;
	fd = openat(dirfd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != STATE_PAGE) {
		close(fd);
		return 0;
	}
	r = lock_file(fd, F_WRLCK);
	if (r < 0) {
		close(fd);
		return r == -EINVAL || r == -ENOLCK ? 0 : r; /* no OFD locks here: replace it */
	}
	do
		n = pwrite(fd, buf, size, 0);
	while (n < 0 && errno == EINTR);
	r = n == (ssize_t)size ? 1 : n < 0 ? -errno : -EIO;
	close(fd);
	return r;
}

/*
 * state_write() - write @st as @name in @dirfd: a new file that then takes
 * the old one's place (or is linked in when @exclusive, so that of two
 * processes creating the same VM one wins and the other sees -EEXIST).
 * Readers see the old or the new version, never a mix. Without @durable or
 * @exclusive, a page overwritten in place when the state fits (see
 * STATE_PAGE).
 *
 * With @durable the data, the directory entry and the durable copy are
 * fsynced: the version survives a power loss. Without, nothing waits for
 * the disk: after a power loss the file may hold any version since the last
 * durable one, nothing at all, or a page torn between two versions, which
 * only the records that die with QEMU may be exposed to; the UUID and
 * bridges then come back from the durable copy (qd_state_file_torn()).
 */
static int state_write(int dirfd, const char *name, const char *display, const struct qd_state *st,
		       bool durable, bool exclusive, qd_error *err)
{
	_cleanup_json_ json_object *o = qd_state_to_json(st);
	const char *text = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								     JSON_C_TO_STRING_NOSLASHESCAPE)
			     : NULL;
	size_t size = 0;
	_cleanup_free_ char *buf = text ? padded(text, &size) : NULL;
	char tmp[PATH_MAX];
	int fd, r;

	if (!buf)
		return qd_error_set(err, -ENOMEM, "out of memory");
	if (!durable && !exclusive) {
		r = overwrite_in_place(dirfd, name, buf, size);
		if (r == 1)
			return 0;
		if (r < 0)
			return qd_error_set(err, r, "cannot write state %s: %s", display,
					    strerror(-r));
	}
	fd = open_temp(dirfd, name, tmp, sizeof(tmp));
	if (fd < 0)
		return qd_error_set(err, fd, "cannot write state %s: %s", display, strerror(-fd));
	r = write_all(fd, buf, size);
	if (r == 0 && durable && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && exclusive) {
		if (linkat(dirfd, tmp, dirfd, name, 0) < 0)
			r = -errno;
		unlinkat(dirfd, tmp, 0);
		if (r == -EEXIST)
			return r; /* no message: the caller loads the winner's file */
	} else if (r == 0 && durable) {
		r = renameat(dirfd, tmp, dirfd, name) < 0 ? -errno : 0;
	} else if (r == 0) {
		r = replace_quickly(dirfd, tmp, name);
	}
	if (r < 0) {
		unlinkat(dirfd, tmp, 0);
		return qd_error_set(err, r, "cannot write state %s: %s", display, strerror(-r));
	}
	if (!durable)
		return 0;
	r = write_durable_copy(dirfd, st);
	if (r < 0)
		return qd_error_set(err, r, "cannot keep the durable copy of %s: %s", display,
				    strerror(-r));
	/* The new directory entry and the copy must reach the disk too. */
	if (fsync(dirfd) < 0)
		return qd_error_set(err, -errno, "cannot sync the directory of %s: %s", display,
				    strerror(errno));
	return 0;
}

int qd_state_save_at(int dirfd, const char *name, const char *display, const struct qd_state *st,
		     bool durable, qd_error *err)
{
	return state_write(dirfd, name, display, st, durable, false, err);
}

int qd_state_create_at(int dirfd, const char *name, const char *display, const struct qd_state *st,
		       qd_error *err)
{
	return state_write(dirfd, name, display, st, true, true, err);
}

static int save_path(const char *path, const struct qd_state *st, bool durable, qd_error *err)
{
	const char *base;
	int dirfd, r;

	r = split_path(path, &dirfd, &base);
	if (r < 0)
		return qd_error_set(err, r, "cannot write state %s: %s", path, strerror(-r));
	r = state_write(dirfd, base, path, st, durable, false, err);
	close(dirfd);
	return r;
}

int qd_state_save(const char *path, const struct qd_state *st, qd_error *err)
{
	return save_path(path, st, true, err);
}

int qd_state_save_quick(const char *path, const struct qd_state *st, qd_error *err)
{
	return save_path(path, st, false, err);
}

void qd_state_remove_temps(int dirfd, const char *name, bool all)
{
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	size_t prefix = strlen(name) + strlen(TEMP_INFIX);
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(d);
	while ((e = readdir(d))) {
		char *end;
		long pid;

		if (strncmp(e->d_name, name, strlen(name)) != 0 ||
		    strncmp(e->d_name + strlen(name), TEMP_INFIX, strlen(TEMP_INFIX)) != 0)
			continue;
		pid = strtol(e->d_name + prefix, &end, 10);
		/* A live writer's file stays (unless the VM is being deleted). */
		if (!all && *end == '.' && pid > 0 &&
		    (pid == getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		unlinkat(dirfd, e->d_name, 0);
	}
	closedir(d);
}
