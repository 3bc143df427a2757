/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migration.c - the migration itself: migrate, migrate_cancel, migrate-incoming,
 * -incoming and query-migrate (the settings are cmd_migrate.c's)
 *
 * An outgoing migration writes a stream (migration_stream.c) to its channel
 * from the main loop, as QEMU's migration thread does: MIGRATION "setup"
 * before the reply, then MIGRATION_PASS 1, "active", the RAM, the switch-over
 * (STOP of a running VM, 8.2's "device", MIGRATION_PASS 2), the device state,
 * "completed" and the run state "postmigrate". A channel that fails (a
 * command that does not read, a refused connection) fails the migration with
 * QEMU's texts. The incoming side reads a stream, checks it as
 * qemu_loadvm_state() does and takes the source's run state.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fakeqemu.h"
#include "loop.h"
#include "machine.h"
#include "migration.h"
#include "migration_channel.h"
#include "migration_stream.h"
#include "qomdata.h"
#include "report.h"
#include "schema.h"
#include "since.h"
#include "strbuf.h"

#define RAM_SECTION_BYTES (128 * 1024) /* more than a pipe buffer holds */
#define WRITE_CHUNK	  (64 * 1024)

enum mig_status {
	MIG_NONE,
	MIG_SETUP,
	MIG_ACTIVE,
	MIG_DEVICE,
	MIG_COMPLETED,
	MIG_FAILED,
	MIG_CANCELLING,
	MIG_CANCELLED,
};

static const char *const status_names[] = {
    "none", "setup", "active", "device", "completed", "failed", "cancelling", "cancelled",
};

static struct {
	enum mig_status status;
	bool incoming; /* the status is the destination's */
	char *error_desc;
	char *uri; /* what the channel is, for its error texts */
	struct fq_mig_channel ch;
	struct strbuf stream; /* outgoing: the bytes to send; incoming: those received */
	size_t sent, switchover;
	bool stopped;	  /* the switch-over happened */
	bool was_running; /* the VM ran when the migration started */
	/* incoming */
	bool autostart;
	bool deferred;		/* -incoming defer */
	bool incoming_started;	/* QEMU's "once" */
} mig = {.status = MIG_NONE, .autostart = true, .ch = {.fd = -1, .listen_fd = -1}};

static const char *str_arg(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		   ? json_object_get_string(v)
		   : NULL;
}

static bool events_on(void)
{
	return fq_migrate_capability("events");
}

static void set_status(enum mig_status s)
{
	mig.status = s;
	if (events_on()) {
		json_object *d = json_object_new_object();

		json_object_object_add(d, "status", json_object_new_string(status_names[s]));
		fq_event("MIGRATION", d);
	}
}

static void pass_event(int pass)
{
	if (events_on()) {
		json_object *d = json_object_new_object();

		json_object_object_add(d, "pass", json_object_new_int(pass));
		fq_event("MIGRATION_PASS", d);
	}
}

static void set_error(const char *desc)
{
	free(mig.error_desc);
	mig.error_desc = desc ? strdup(desc) : NULL;
}

bool fq_migration_in_progress(void)
{
	return !mig.incoming && (mig.status == MIG_SETUP || mig.status == MIG_ACTIVE ||
				 mig.status == MIG_DEVICE || mig.status == MIG_CANCELLING);
}

char *fq_migration_machine_type(void)
{
	const char *m = fq_vm.cfg.machine ? fq_vm.cfg.machine : "pc";
	json_object *machines;
	char *name = NULL;

	/* A versioned type given on the command line is its own name. */
	if (fq_vm.cfg.machine_arg && !strncmp(fq_vm.cfg.machine_arg, "pc-", 3)) {
		size_t n = strcspn(fq_vm.cfg.machine_arg, ",");

		return strndup(fq_vm.cfg.machine_arg, n);
	}
	if (!strcmp(m, "none"))
		return strdup("none");
	machines = fq_rec_parse(fq_data_recorded_reply("query-machines"));
	for (size_t i = 0; machines && i < json_object_array_length(machines) && !name; i++) {
		json_object *e = json_object_array_get_idx(machines, i);
		const char *alias = str_arg(e, "alias");

		if (alias && !strcmp(alias, m))
			name = strdup(str_arg(e, "name"));
	}
	json_object_put(machines);
	return name ? name : strdup(m);
}

static const char *runstate_of_vm(void)
{
	switch (fq_vm.state) {
	case FQ_RUNNING:
		return "running";
	case FQ_PRELAUNCH:
		return "prelaunch";
	case FQ_POSTMIGRATE:
		return "postmigrate";
	default:
		return "paused";
	}
}

/* ---- outgoing ---------------------------------------------------------------- */

static void outgoing_fail(const char *desc)
{
	fq_loop_unwatch(mig.ch.fd);
	fq_mig_channel_close(&mig.ch);
	strbuf_free(&mig.stream);
	set_error(desc);
	/* migrate_fd_cleanup(): the error is reported, a stopped VM runs again. */
	fq_error_report("%s", desc);
	set_status(MIG_FAILED);
	if (mig.stopped && mig.was_running)
		fq_vm_set_running(true);
}

/* The channel's write error, as its QIOChannel words it. */
static char *write_error(int err)
{
	char *s;
	const char *what = !strncmp(mig.uri, "exec:", 5)   ? "command"
			   : !strncmp(mig.uri, "fd:", 3) ||
				     !strncmp(mig.uri, "file:", 5)
			       ? "file"
			       : "socket";

	/* 9.0 fails in ram_save_setup(), where the first write lands. */
	if (fq_since(9, 0) && !mig.stopped)
		return strdup("ram_save_setup failed: Input/output error");
	if (asprintf(&s, "Unable to write to %s: %s", what, strerror(err)) < 0)
		abort();
	return s;
}

static void switch_over(void)
{
	mig.stopped = true;
	if (mig.was_running)
		fq_vm_set_running(false);
	if (fq_since(8, 2))
		set_status(MIG_DEVICE);
	pass_event(2);
}

static void outgoing_done(void)
{
	fq_loop_unwatch(mig.ch.fd);
	fq_mig_channel_close(&mig.ch);
	strbuf_free(&mig.stream);
	set_status(MIG_COMPLETED);
	fq_vm.state = FQ_POSTMIGRATE;
}

static void on_writable(void *opaque, int fd, short revents)
{
	size_t upto = mig.stopped ? mig.stream.len : mig.switchover;

	(void)opaque;
	(void)revents;
	while (mig.sent < upto) {
		size_t n = upto - mig.sent < WRITE_CHUNK ? upto - mig.sent : WRITE_CHUNK;
		ssize_t w = send(fd, mig.stream.buf + mig.sent, n, MSG_NOSIGNAL);

		if (w < 0 && errno == ENOTSOCK)
			w = write(fd, mig.stream.buf + mig.sent, n);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (w < 0) {
			char *e = write_error(errno);

			outgoing_fail(e);
			free(e);
			return;
		}
		mig.sent += (size_t)w;
	}
	if (!mig.stopped) {
		switch_over();
		on_writable(NULL, fd, 0);
		return;
	}
	outgoing_done();
}

/* migration_thread(): what follows the reply. */
static void outgoing_start(void *opaque)
{
	char *machine = fq_migration_machine_type();

	(void)opaque;
	if (mig.status != MIG_SETUP)
		return; /* cancelled meanwhile */
	mig.switchover =
	    fq_mig_stream_build(&mig.stream, machine, runstate_of_vm(), RAM_SECTION_BYTES);
	free(machine);
	pass_event(1);
	set_status(MIG_ACTIVE);
	fq_loop_watch(mig.ch.fd, POLLOUT, on_writable, NULL);
}

/* A connection QEMU makes asynchronously failed: after the reply. */
static void outgoing_connect_failed(void *opaque)
{
	char *desc = opaque;

	set_error(desc);
	fq_error_report("%s", desc);
	set_status(MIG_FAILED);
	free(desc);
}

/* migrate_prepare(): false with @r set when no migration may start. */
static bool prepare(struct fq_reply *r)
{
	if (fq_migration_in_progress()) {
		fq_reply_error(r, "GenericError", "There's a migration process in progress");
		return false;
	}
	if (fq_vm.state == FQ_INMIGRATE) {
		fq_reply_error(r, "GenericError", "Guest is waiting for an incoming migration");
		return false;
	}
	if (fq_since(6, 0) && fq_vm.state == FQ_POSTMIGRATE) {
		fq_reply_error(r, "GenericError",
			       "Can't migrate the vm that was paused due to previous migration");
		return false;
	}
	/* migrate_init() */
	mig.incoming = false;
	mig.sent = 0;
	mig.stopped = false;
	mig.was_running = fq_vm.state == FQ_RUNNING;
	set_error(NULL);
	set_status(MIG_SETUP);
	return true;
}

/* 8.2's "channels": [{"channel-type": "main", "addr": {...}}] as a URI. */
static char *channel_uri(json_object *channels)
{
	json_object *c = json_object_array_length(channels)
			     ? json_object_array_get_idx(channels, 0)
			     : NULL,
		    *addr = c ? json_object_object_get(c, "addr") : NULL;
	const char *transport = str_arg(addr, "transport"), *type = str_arg(addr, "type");
	struct strbuf b = {0};

	if (!transport)
		return NULL;
	if (!strcmp(transport, "socket") && type && !strcmp(type, "unix"))
		strbuf_addf(&b, "unix:%s", str_arg(addr, "path"));
	else if (!strcmp(transport, "socket") && type && !strcmp(type, "inet"))
		strbuf_addf(&b, "tcp:%s:%s", str_arg(addr, "host"), str_arg(addr, "port"));
	else if (!strcmp(transport, "socket") && type && !strcmp(type, "fd"))
		strbuf_addf(&b, "fd:%s", str_arg(addr, "str"));
	else if (!strcmp(transport, "socket") && type && !strcmp(type, "vsock"))
		strbuf_addf(&b, "vsock:%s:%s", str_arg(addr, "cid"), str_arg(addr, "port"));
	else if (!strcmp(transport, "file"))
		strbuf_addf(&b, "file:%s,offset=%lld", str_arg(addr, "filename"),
			    (long long)json_object_get_int64(json_object_object_get(addr, "offset")));
	else if (!strcmp(transport, "exec")) {
		json_object *a = json_object_object_get(addr, "args");

		strbuf_adds(&b, "exec:");
		for (size_t i = 0; a && i < json_object_array_length(a); i++)
			strbuf_addf(&b, "%s%s", i ? " " : "",
				    json_object_get_string(json_object_array_get_idx(a, i)));
	} else
		return NULL;
	return strbuf_steal(&b);
}

void fq_cmd_migrate(json_object *args, struct fq_reply *r)
{
	json_object *channels = json_object_object_get(args, "channels");
	const char *given = str_arg(args, "uri");
	char *uri, *err = NULL;
	enum fq_mig_open how;

	/* 8.2 made "uri" optional beside "channels": one of the two. */
	if (!given == !channels) {
		fq_reply_error(r, "GenericError", "need either 'uri' or 'channels' argument");
		return;
	}
	uri = given ? strdup(given) : channel_uri(channels);
	if (!uri) {
		fq_reply_error(r, "GenericError", "need either 'uri' or 'channels' argument");
		return;
	}
	/* 8.2 parses the URI before anything else. */
	if (fq_since(8, 2) && !fq_mig_channel_known(uri)) {
		fq_reply_error(r, "GenericError", "unknown migration protocol: %s", uri);
		free(uri);
		return;
	}
	if (!prepare(r)) {
		free(uri);
		return;
	}
	free(mig.uri);
	mig.uri = uri;
	how = fq_mig_channel_connect(uri, &mig.ch, &err);
	switch (how) {
	case FQ_MIG_OPEN_BAD_URI:
		fq_reply_error(r, "GenericError",
			       "Parameter 'uri' expects a valid migration protocol");
		set_status(MIG_FAILED);
		break;
	case FQ_MIG_OPEN_FAILED:
		/* migrate_fd_error() without cleanup: no report on stderr. */
		set_error(err);
		set_status(MIG_FAILED);
		fq_reply_error(r, "GenericError", "%s", err);
		break;
	case FQ_MIG_OPEN_FAILED_LATER:
		fq_loop_timer(0, outgoing_connect_failed, strdup(err));
		break;
	case FQ_MIG_OPEN_OK:
		fq_loop_timer(0, outgoing_start, NULL);
		break;
	}
	free(err);
}

void fq_cmd_migrate_cancel(json_object *args, struct fq_reply *r)
{
	(void)args;
	(void)r;
	if (!fq_migration_in_progress())
		return;
	set_status(MIG_CANCELLING);
	fq_loop_unwatch(mig.ch.fd);
	fq_mig_channel_close(&mig.ch);
	strbuf_free(&mig.stream);
	set_status(MIG_CANCELLED);
	if (mig.stopped && mig.was_running)
		fq_vm_set_running(true);
}

/* ---- query-migrate ------------------------------------------------------------- */

static json_object *schema_members(const char *type)
{
	json_object *e = type ? fq_schema_entity(type) : NULL;

	return e ? json_object_object_get(e, "members") : NULL;
}

static const char *member_type(json_object *members, const char *name)
{
	for (size_t i = 0; members && i < json_object_array_length(members); i++) {
		json_object *m = json_object_array_get_idx(members, i);

		if (!strcmp(str_arg(m, "name"), name))
			return str_arg(m, "type");
	}
	return NULL;
}

/* The RAM totals of a completed migration: QEMU's RAM blocks, 4 KiB pages. */
static json_object *ram_stats(void)
{
	const char *info = str_arg(fq_schema_entity("query-migrate"), "ret-type");
	json_object *members = schema_members(member_type(schema_members(info), "ram"));
	bool board = fq_vm.cfg.machine && strcmp(fq_vm.cfg.machine, "none") != 0;
	uint64_t ram = fq_machine_ram_size();
	/* BIOS, option ROM and ACPI table blocks of pc and q35. */
	uint64_t total = ram + (board ? 532480 : 0), pages = total / 4096;
	uint64_t normal = mig.was_running ? 111 : 49, dup = pages > normal ? pages - normal : 0;
	uint64_t transferred = normal * 4096 + dup * 9 + 41000;
	json_object *ram_o = json_object_new_object();

	for (size_t i = 0; members && i < json_object_array_length(members); i++) {
		json_object *m = json_object_array_get_idx(members, i), *v;
		const char *name = str_arg(m, "name");

		if (json_object_object_get_ex(m, "default", &v))
			continue; /* optional: absent */
		if (!strcmp(name, "total"))
			v = json_object_new_int64((int64_t)total);
		else if (!strcmp(name, "duplicate"))
			v = json_object_new_int64((int64_t)dup);
		else if (!strcmp(name, "normal"))
			v = json_object_new_int64((int64_t)normal);
		else if (!strcmp(name, "normal-bytes"))
			v = json_object_new_int64((int64_t)(normal * 4096));
		else if (!strcmp(name, "transferred") || !strcmp(name, "precopy-bytes"))
			v = json_object_new_int64((int64_t)transferred);
		else if (!strcmp(name, "page-size"))
			v = json_object_new_int64(4096);
		else if (!strcmp(name, "dirty-sync-count"))
			v = json_object_new_int64(2);
		else if (!strcmp(name, "mbps"))
			v = json_object_new_double((double)transferred * 8 / 1e6 / 0.014);
		else
			v = json_object_new_int64(0);
		json_object_object_add(ram_o, name, v);
	}
	return ram_o;
}

void fq_cmd_query_migrate(json_object *args, struct fq_reply *r)
{
	json_object *o = json_object_new_object();

	(void)args;
	r->ret = o;
	if (mig.status == MIG_NONE)
		return;
	json_object_object_add(o, "status", json_object_new_string(status_names[mig.status]));
	if (mig.incoming)
		return;
	if (mig.status == MIG_FAILED && mig.error_desc)
		json_object_object_add(o, "error-desc", json_object_new_string(mig.error_desc));
	if (mig.status == MIG_COMPLETED) {
		json_object_object_add(o, "setup-time", json_object_new_int64(1));
		json_object_object_add(o, "downtime", json_object_new_int64(1));
		json_object_object_add(o, "total-time", json_object_new_int64(14));
		json_object_object_add(o, "ram", ram_stats());
	}
}

/* ---- incoming -------------------------------------------------------------------- */

static enum fq_runstate runstate_named(const char *name)
{
	if (!strcmp(name, "prelaunch"))
		return FQ_PRELAUNCH;
	if (!strcmp(name, "postmigrate"))
		return FQ_POSTMIGRATE;
	return FQ_PAUSED;
}

/* "load of migration failed": QEMU exits. */
static void load_failed(const char *why)
{
	if (why)
		fq_error_report("%s", why);
	fq_error_report("load of migration failed: Invalid argument");
	exit(1);
}

/* process_incoming_migration_co() and its bottom half. */
static void incoming_process(void)
{
	char *machine = NULL, *runstate = NULL, *local;
	enum fq_mig_stream_kind kind =
	    fq_mig_stream_parse(mig.stream.buf, mig.stream.len, &machine, &runstate);

	fq_loop_unwatch(mig.ch.fd);
	fq_mig_channel_close(&mig.ch);
	if (kind == FQ_MIG_STREAM_EMPTY) {
		/* QEMU waits for more that never comes: still "inmigrate". */
		strbuf_free(&mig.stream);
		return;
	}
	if (kind == FQ_MIG_STREAM_NOT_STREAM)
		load_failed("Not a migration stream");
	local = fq_migration_machine_type();
	if (machine && strcmp(machine, local)) {
		char *why;

		if (asprintf(&why, "Machine type received is '%s' and local is '%s'", machine,
			     local) < 0)
			abort();
		load_failed(why);
	}
	free(local);
	free(machine);
	strbuf_free(&mig.stream);
	set_status(MIG_ACTIVE);
	set_status(MIG_COMPLETED);
	if (!runstate || !strcmp(runstate, "running")) {
		fq_vm.state = FQ_PAUSED;
		if (mig.autostart)
			fq_vm_set_running(true);
	} else {
		fq_vm.state = runstate_named(runstate);
	}
	free(runstate);
}

static void on_readable(void *opaque, int fd, short revents)
{
	char buf[65536];
	ssize_t n;

	(void)opaque;
	(void)revents;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			strbuf_add(&mig.stream, buf, (size_t)n);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		break;
	}
	incoming_process();
}

static void on_connection(void *opaque, int fd, short revents)
{
	int s = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	(void)opaque;
	(void)revents;
	if (s < 0)
		return;
	/* One source: the listener closes once it connected. */
	fq_loop_unwatch(fd);
	close(fd);
	mig.ch.listen_fd = -1;
	mig.ch.fd = s;
	fq_loop_watch(s, POLLIN, on_readable, NULL);
}

/* qemu_start_incoming_migration(): NULL, or QEMU's error text (malloc'd). */
static char *incoming_start(const char *uri)
{
	char *err = NULL;

	/* Before 9.0 the destination announces "setup" whatever the capabilities. */
	if (!fq_since(9, 0)) {
		json_object *d = json_object_new_object();

		json_object_object_add(d, "status", json_object_new_string("setup"));
		fq_event("MIGRATION", d);
	}
	if (!fq_mig_channel_known(uri)) {
		if (asprintf(&err, "unknown migration protocol: %s", uri) < 0)
			abort();
		return err;
	}
	/* 9.0 enters "setup" before opening the channel, and stays there if that fails. */
	if (fq_since(9, 0)) {
		if (mig.incoming && mig.status != MIG_NONE) {
			if (asprintf(&err, "Illegal migration incoming state: %s",
				     status_names[mig.status]) < 0)
				abort();
			return err;
		}
		mig.incoming = true;
		set_status(MIG_SETUP);
	}
	switch (fq_mig_channel_listen(uri, &mig.ch, &err)) {
	case FQ_MIG_OPEN_BAD_URI:
	case FQ_MIG_OPEN_FAILED:
	case FQ_MIG_OPEN_FAILED_LATER:
		return err;
	case FQ_MIG_OPEN_OK:
		break;
	}
	mig.incoming = true;
	mig.incoming_started = true;
	mig.status = MIG_SETUP;
	if (mig.ch.listen_fd >= 0)
		fq_loop_watch(mig.ch.listen_fd, POLLIN, on_connection, NULL);
	else
		fq_loop_watch(mig.ch.fd, POLLIN, on_readable, NULL);
	return NULL;
}

void fq_migration_startup(void)
{
	char *err;

	if (!fq_vm.cfg.incoming) {
		fq_machine_start();
		return;
	}
	fq_vm.state = FQ_INMIGRATE;
	mig.autostart = !fq_vm.cfg.start_paused;
	if (!strcmp(fq_vm.cfg.incoming, "defer")) {
		mig.deferred = true;
		return;
	}
	err = incoming_start(fq_vm.cfg.incoming);
	if (err)
		fq_die("-incoming %s: %s", fq_vm.cfg.incoming, err);
}

void fq_migration_set_autostart(bool on)
{
	mig.autostart = on;
}

void fq_cmd_migrate_incoming(json_object *args, struct fq_reply *r)
{
	char *err;

	if (!fq_since(6, 0)) {
		if (!mig.deferred) {
			fq_reply_error(r, "GenericError", "For use with '-incoming defer'");
			return;
		}
		if (mig.incoming_started) {
			fq_reply_error(r, "GenericError",
				       "The incoming migration has already been started");
			return;
		}
	} else {
		if (mig.incoming_started || (fq_vm.cfg.incoming && !mig.deferred)) {
			fq_reply_error(r, "GenericError",
				       "The incoming migration has already been started");
			return;
		}
		if (fq_vm.state != FQ_INMIGRATE) {
			fq_reply_error(r, "GenericError",
				       "'-incoming' was not specified on the command line");
			return;
		}
	}
	err = incoming_start(str_arg(args, "uri"));
	if (err) {
		fq_reply_error(r, "GenericError", "%s", err);
		free(err);
	}
}
