/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hotplug_bench.c - benchmark: hot-plug through the library vs kata-style connect-per-command
 * clients */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "bench_util.h"
#include "qemudrv.h"

/*
 * Hot-plug workloads, each done by three clients, side by side in one
 * process; each round runs the three steps below for every client, the order
 * of the clients rotated every round:
 *
 *   cpu     add 1 vCPU (none is removed: max_vcpus = 1 + warm-up + rounds)
 *   add     add N disks (virtio-blk on a bridge slot, or scsi-hd on scsi0.0
 *           with -b virtio-scsi)
 *   remove  remove those N disks
 *
 * "add+remove" in the report is add + remove of the same round.
 *
 *   library  qd_vm_add_vcpus() / qd_vm_add_block() / qd_vm_remove_block()
 *            over the VM's one persistent QMP connection. Removal is
 *            device_del, wait for DEVICE_DELETED, qom-list to confirm,
 *            blockdev-del. With -B the N disks of a round are added with one
 *            qd_vm_add_blocks(): their 2N commands in one write, the replies
 *            collected after, one state save (the "commands" column still
 *            counts each command sent, though they share one round trip).
 *   kata     the "kata-2018 style" client: for EVERY command
 *            (query-hotpluggable-cpus, device_add, blockdev-add, device_del,
 *            blockdev-del) a new connection: connect, read the greeting,
 *            qmp_capabilities, the command, its reply, close. device_del does
 *            not wait for DEVICE_DELETED, so blockdev-del can find the node
 *            still in use (QEMU has not finished the unplug: a PCI device
 *            waits for the guest, and even scsi-hd's DEVICE_DELETED comes
 *            ~50 ms after the reply on QEMU 7.2): that is counted as a failed
 *            op and the node is deleted outside the timed region.
 *   seed     kata's qemu.go of 2018 with govmm as written: one new connection
 *            per hot-plug call (qmpSetup() in hotplugCPUs/hotplugBlockDevice),
 *            and govmm's ExecuteDeviceDel, which waits for DEVICE_DELETED on
 *            that connection before blockdev-del.
 *   qemu     QEMU itself, as near as a client gets: one connection kept open,
 *            no state, no checks; the N disks' commands in one write (the
 *            floor the library's batch is measured against); removal as the
 *            library's (device_del, DEVICE_DELETED, blockdev-del).
 *
 * QEMU serves one client per monitor, so every client gets its own VM, all
 * from the same configuration but different ids: the library's VM is started
 * with qd_vm_start(); the other two run the command line qd_vm_argv() gives
 * for the same config in qmp_path_mode (QEMU creates the socket, nobody stays
 * connected), spawned by the benchmark.
 *
 * Round trips are counted as QMP commands sent plus capability negotiations
 * (connections are counted apart). The kata and seed clients count their own;
 * the library's are counted from its debug log ("QMP send: ...") on a fourth,
 * untimed VM that does each workload once before the others start, so the
 * timed library VM runs with logging off.
 *
 * The kata and seed clients keep no state; the library saves its state file
 * (a new file exchanged for the old one, no fsync: hot-plug records die with
 * QEMU) once per disk add or remove and twice per vCPU add, so the run
 * directory's file system matters, and is printed. The default is a fresh
 * directory under /dev/shm (tmpfs, as /run usually is), else under $TMPDIR or
 * /tmp; run-hotplug-bench.sh also runs it on a disk-backed directory.
 */

#define DEFAULT_ROUNDS	  10
#define DEFAULT_WARMUP	  1
#define DEFAULT_DISKS	  8
#define DEFAULT_SETTLE_MS 50
#define TIMEOUT_MS	  10000
#define MAX_LINE	  (4u << 20)

enum client {
	C_LIB,
	C_KATA,
	C_SEED,
	C_QEMU,
	C_COUNT
};

/* Measured one after the other; S_ADD and S_DEL are the two halves of one workload. */
enum scenario {
	S_CPU,
	S_ADD,
	S_DEL,
	S_COUNT
};

static const char *const client_names[C_COUNT] = {"library", "kata", "seed", "qemu"};
static const char *const vm_ids[C_COUNT] = {"hp-lib", "hp-kat", "hp-sed", "hp-qmu"};

/* Counters of QMP traffic; per client, reset for each sample. */
struct traffic {
	unsigned commands;     /* commands sent, qmp_capabilities excluded */
	unsigned negotiations; /* qmp_capabilities sent */
	unsigned connections;  /* connect() + greeting */
	unsigned failures;     /* operations that failed (kata: blockdev-del of a node in use) */
};

struct sample {
	int64_t ns;
	struct traffic t;
};

/* A VM driven by connect-per-call clients (kata, seed). */
struct raw_vm {
	struct qd_vm *vm; /* path-mode twin, for argv and paths only */
	char **argv;
	char *qmp_path;
	char *log_path;
	pid_t pid;
	unsigned vcpu_seq;
	struct conn *session; /* qemu: the one connection, kept open */
	char *leaked[64];     /* kata: nodes blockdev-del could not delete */
	unsigned nleaked;
};

struct bench {
	const char *qemu;
	const char *kernel;
	const char *accel;
	const char *run_dir;
	const char *guest; /* FAKEQEMU_GUEST, for the header only */
	enum qd_block_driver driver;
	int rounds;
	int warmup;
	int disks;
	int settle_ms;
	bool pause;
	bool verbose;
	bool batch; /* the library adds the disks of a round with one qd_vm_add_blocks() */

	char *bridge; /* first PCI bridge's id (virtio-blk) */
	struct qd_vm *lib_vm;
	struct raw_vm raw[C_COUNT]; /* [C_KATA], [C_SEED], [C_QEMU] */
	struct traffic lib_log;	    /* the counting VM's sends, from its debug log */

	struct sample *samples[S_COUNT][C_COUNT];
	struct traffic counted[S_COUNT][C_COUNT]; /* library: counting VM; others: warm-up */
};

/* The QEMUs to kill when the benchmark dies (their run directory is kept for the logs). */
static struct bench *live_bench;
static struct qd_vm *live_counting_vm;

static void kill_vms(void)
{
	struct qd_vm *vms[2] = {live_counting_vm, live_bench ? live_bench->lib_vm : NULL};

	for (int i = 0; i < 2; i++)
		if (vms[i] && qd_vm_pid(vms[i]) > 0)
			kill(qd_vm_pid(vms[i]), SIGKILL);
	for (int c = 0; live_bench && c < C_COUNT; c++)
		if (live_bench->raw[c].pid > 0)
			kill(live_bench->raw[c].pid, SIGKILL);
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		die("out of memory");
	return d;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		die("out of memory");
	return s;
}

/* ---- the kata-style QMP client: raw socket, one connection per call ----- */

struct conn {
	int fd;
	char *buf;
	size_t len, cap;
	const char *path;
};

static void conn_open(struct conn *c, const char *path, struct traffic *t)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	if (strlen(path) >= sizeof(addr.sun_path))
		die("socket path too long: %s", path);
	memcpy(addr.sun_path, path, strlen(path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket: %s", strerror(errno));
	if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("connect %s: %s", path, strerror(errno));
	c->len = 0;
	c->path = path;
	if (!c->buf) {
		c->cap = 65536;
		c->buf = malloc(c->cap);
		if (!c->buf)
			die("out of memory");
	}
	if (t)
		t->connections++;
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
}

/* The next JSON message (one line), parsed; dies on EOF, garbage or timeout. */
static json_object *conn_read(struct conn *c)
{
	for (;;) {
		char *lf = c->len ? memchr(c->buf, '\n', c->len) : NULL;
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		ssize_t n;

		if (lf) {
			size_t line = (size_t)(lf - c->buf);
			json_object *msg;

			*lf = '\0';
			msg = json_tokener_parse(c->buf);
			if (!msg || !json_object_is_type(msg, json_type_object))
				die("QMP on %s: not a JSON object: %.200s", c->path, c->buf);
			memmove(c->buf, lf + 1, c->len - line - 1);
			c->len -= line + 1;
			return msg;
		}
		if (c->len == c->cap) {
			if (c->cap >= MAX_LINE)
				die("QMP on %s: line longer than %u bytes", c->path, MAX_LINE);
			c->cap *= 2;
			c->buf = realloc(c->buf, c->cap);
			if (!c->buf)
				die("out of memory");
		}
		if (poll(&pfd, 1, TIMEOUT_MS) == 0)
			die("QMP on %s: nothing from QEMU within %d ms", c->path, TIMEOUT_MS);
		n = read(c->fd, c->buf + c->len, c->cap - c->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("QMP on %s: %s", c->path, n ? strerror(errno) : "EOF (QEMU exited?)");
		c->len += (size_t)n;
	}
}

static void conn_send(struct conn *c, const char *command, json_object *args)
{
	json_object *msg = json_object_new_object();
	const char *text;
	size_t len, off = 0;

	json_object_object_add(msg, "execute", json_object_new_string(command));
	if (args)
		json_object_object_add(msg, "arguments", json_object_get(args));
	text = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	while (off < len) {
		ssize_t n = send(c->fd, text + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("QMP on %s: sending %s: %s", c->path, command, strerror(errno));
		off += (size_t)n;
	}
	json_object_put(msg);
}

/*
 * The reply to the command just sent: 0 and *ret (new reference, or put when
 * ret is NULL), or -1 and *desc (malloc'd) for an error reply. Events on the
 * way are skipped, or handed to @on_event.
 */
static int conn_reply(struct conn *c, json_object **ret, char **desc,
		      void (*on_event)(json_object *ev, void *opaque), void *opaque)
{
	for (;;) {
		json_object *msg = conn_read(c), *v, *d;

		if (json_object_object_get_ex(msg, "return", &v)) {
			if (ret)
				*ret = json_object_get(v);
			json_object_put(msg);
			return 0;
		}
		if (json_object_object_get_ex(msg, "error", &v)) {
			if (desc)
				*desc = xstrdup(json_object_object_get_ex(v, "desc", &d)
						    ? json_object_get_string(d)
						    : "?");
			json_object_put(msg);
			return -1;
		}
		if (json_object_object_get_ex(msg, "event", NULL) && on_event)
			on_event(msg, opaque);
		json_object_put(msg);
	}
}

/* connect, greeting, qmp_capabilities: the session a kata-style call starts with. */
static void session_open(struct conn *c, const char *path, struct traffic *t)
{
	char *desc = NULL;

	conn_open(c, path, t);
	for (;;) {
		json_object *msg = conn_read(c);
		bool greeting = json_object_object_get_ex(msg, "QMP", NULL);

		json_object_put(msg);
		if (greeting)
			break;
	}
	conn_send(c, "qmp_capabilities", NULL);
	if (t)
		t->negotiations++;
	if (conn_reply(c, NULL, &desc, NULL, NULL) < 0)
		die("qmp_capabilities refused: %s", desc);
}

/* One command on an open session. */
static int session_exec(struct conn *c, const char *command, json_object *args, json_object **ret,
			char **desc, struct traffic *t)
{
	conn_send(c, command, args);
	if (t)
		t->commands++;
	return conn_reply(c, ret, desc, NULL, NULL);
}

/* The kata way: a whole session for one command. */
static int kata_exec(const struct raw_vm *v, const char *command, json_object *args,
		     json_object **ret, char **desc, struct traffic *t)
{
	struct conn c = {.fd = -1};
	int r;

	session_open(&c, v->qmp_path, t);
	r = session_exec(&c, command, args, ret, desc, t);
	conn_close(&c);
	free(c.buf);
	return r;
}

/* ---- what the clients send (the same arguments as the library) ---------- */

static json_object *cpu_args(json_object *list, unsigned seq)
{
	/* The first free slot in QEMU's order, as kata's hotplugAddCPUs. */
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *e = json_object_array_get_idx(list, i), *props, *type, *args;
		char id[32];

		if (json_object_object_get_ex(e, "qom-path", NULL) ||
		    !json_object_object_get_ex(e, "props", &props) ||
		    !json_object_object_get_ex(e, "type", &type))
			continue;
		args = json_object_new_object();
		snprintf(id, sizeof(id), "cpu-%u", seq);
		json_object_object_add(args, "driver", json_object_get(type));
		json_object_object_add(args, "id", json_object_new_string(id));
		json_object_object_foreach(props, key, val)
		    json_object_object_add(args, key, json_object_get(val));
		return args;
	}
	die("query-hotpluggable-cpus: no free CPU slot left (raise max_vcpus)");
}

static char *image_path(const struct bench *b, enum client c, int i)
{
	return xasprintf("%s/img/%c-d%d.img", b->run_dir, "LKSQ"[c], i);
}

static json_object *blockdev_args(const char *path, int i)
{
	json_object *args = json_object_new_object(), *file = json_object_new_object();
	char node[32];

	snprintf(node, sizeof(node), "drive-d%d", i);
	json_object_object_add(file, "driver", json_object_new_string("file"));
	json_object_object_add(file, "filename", json_object_new_string(path));
	json_object_object_add(args, "driver", json_object_new_string("raw"));
	json_object_object_add(args, "node-name", json_object_new_string(node));
	json_object_object_add(args, "read-only", json_object_new_boolean(false));
	json_object_object_add(args, "file", file);
	return args;
}

static json_object *device_args(const struct bench *b, int i)
{
	json_object *args = json_object_new_object();
	char id[16], node[32], addr[16];

	snprintf(id, sizeof(id), "d%d", i);
	snprintf(node, sizeof(node), "drive-d%d", i);
	json_object_object_add(args, "id", json_object_new_string(id));
	json_object_object_add(args, "drive", json_object_new_string(node));
	if (b->driver == QD_BLOCK_VIRTIO_SCSI) {
		json_object_object_add(args, "driver", json_object_new_string("scsi-hd"));
		json_object_object_add(args, "bus", json_object_new_string("scsi0.0"));
		json_object_object_add(args, "scsi-id", json_object_new_int(i / 256));
		json_object_object_add(args, "lun", json_object_new_int(i % 256));
	} else {
		/* kata: the bridge's first free slots; slot 0 is the SHPC's */
		snprintf(addr, sizeof(addr), "0x%x", i + 1);
		json_object_object_add(args, "driver", json_object_new_string("virtio-blk-pci"));
		json_object_object_add(args, "bus", json_object_new_string(b->bridge));
		json_object_object_add(args, "addr", json_object_new_string(addr));
	}
	return args;
}

static json_object *one_string(const char *key, const char *fmt, int i)
{
	json_object *args = json_object_new_object();
	char val[32];

	snprintf(val, sizeof(val), fmt, i);
	json_object_object_add(args, key, json_object_new_string(val));
	return args;
}

static void must(int r, const char *what, char *desc)
{
	if (r < 0)
		die("%s failed: %s", what, desc ? desc : "?");
}

/* ---- the kata client ---------------------------------------------------- */

static void kata_cpu(struct bench *b, struct traffic *t)
{
	struct raw_vm *v = &b->raw[C_KATA];
	json_object *list = NULL, *args;
	char *desc = NULL;

	must(kata_exec(v, "query-hotpluggable-cpus", NULL, &list, &desc, t),
	     "kata: query-hotpluggable-cpus", desc);
	args = cpu_args(list, v->vcpu_seq);
	must(kata_exec(v, "device_add", args, NULL, &desc, t), "kata: device_add (cpu)", desc);
	v->vcpu_seq++;
	json_object_put(args);
	json_object_put(list);
}

static void kata_add(struct bench *b, struct traffic *t)
{
	struct raw_vm *v = &b->raw[C_KATA];

	for (int i = 0; i < b->disks; i++) {
		char *path = image_path(b, C_KATA, i), *desc = NULL;
		json_object *args = blockdev_args(path, i);

		must(kata_exec(v, "blockdev-add", args, NULL, &desc, t), "kata: blockdev-add",
		     desc);
		json_object_put(args);
		args = device_args(b, i);
		must(kata_exec(v, "device_add", args, NULL, &desc, t), "kata: device_add", desc);
		json_object_put(args);
		free(path);
	}
}

static void kata_del(struct bench *b, struct traffic *t)
{
	struct raw_vm *v = &b->raw[C_KATA];

	for (int i = 0; i < b->disks; i++) {
		json_object *args = one_string("id", "d%d", i);
		char *desc = NULL;

		/* Like the brief's kata: no wait for DEVICE_DELETED. */
		must(kata_exec(v, "device_del", args, NULL, &desc, t), "kata: device_del", desc);
		json_object_put(args);
		args = one_string("node-name", "drive-d%d", i);
		if (kata_exec(v, "blockdev-del", args, NULL, &desc, t) < 0) {
			/* Typically "Node drive-dN is in use": the guest has not let go yet. */
			if (b->verbose)
				printf("  kata: blockdev-del drive-d%d: %s\n", i, desc);
			t->failures++;
			if (v->nleaked < sizeof(v->leaked) / sizeof(v->leaked[0]))
				v->leaked[v->nleaked++] = xasprintf("drive-d%d", i);
			free(desc);
		}
		json_object_put(args);
	}
}

/* Untimed: delete the nodes kata left behind, once their devices are gone. */
static void kata_cleanup(struct bench *b)
{
	struct raw_vm *v = &b->raw[C_KATA];
	int64_t deadline = now_ns() + (int64_t)TIMEOUT_MS * 1000000;

	while (v->nleaked) {
		json_object *args = json_object_new_object();
		char *desc = NULL;
		char *node = v->leaked[v->nleaked - 1];
		int r;

		json_object_object_add(args, "node-name", json_object_new_string(node));
		r = kata_exec(v, "blockdev-del", args, NULL, &desc, NULL);
		json_object_put(args);
		if (r == 0) {
			free(node);
			v->nleaked--;
			continue;
		}
		if (now_ns() > deadline)
			die("kata cleanup: blockdev-del %s still fails: %s", node, desc);
		free(desc);
		sleep_us(5000);
	}
}

/* ---- the seed client: kata's qemu.go + govmm as of 2018 ----------------- */

struct del_wait {
	const char *id;
	bool seen;
};

static void on_deleted(json_object *ev, void *opaque)
{
	struct del_wait *w = opaque;
	json_object *name, *data, *dev;

	if (json_object_object_get_ex(ev, "event", &name) &&
	    !strcmp(json_object_get_string(name), "DEVICE_DELETED") &&
	    json_object_object_get_ex(ev, "data", &data) &&
	    json_object_object_get_ex(data, "device", &dev) &&
	    !strcmp(json_object_get_string(dev), w->id))
		w->seen = true;
}

/* govmm's ExecuteDeviceDel: the reply and DEVICE_DELETED{device: id}, either order. */
static int seed_device_del(struct conn *c, const char *id, char **desc, struct traffic *t)
{
	json_object *args = json_object_new_object();
	struct del_wait w = {.id = id};
	int r;

	json_object_object_add(args, "id", json_object_new_string(id));
	conn_send(c, "device_del", args);
	t->commands++;
	json_object_put(args);
	r = conn_reply(c, NULL, desc, on_deleted, &w);
	while (r == 0 && !w.seen) {
		json_object *msg = conn_read(c);

		if (json_object_object_get_ex(msg, "event", NULL))
			on_deleted(msg, &w);
		json_object_put(msg);
	}
	return r;
}

static void seed_cpu(struct bench *b, struct traffic *t)
{
	struct raw_vm *v = &b->raw[C_SEED];
	struct conn c = {.fd = -1};
	json_object *list = NULL, *args;
	char *desc = NULL;

	/* hotplugCPUs: one qmpSetup() for the query and the device_add */
	session_open(&c, v->qmp_path, t);
	must(session_exec(&c, "query-hotpluggable-cpus", NULL, &list, &desc, t),
	     "seed: query-hotpluggable-cpus", desc);
	args = cpu_args(list, v->vcpu_seq);
	must(session_exec(&c, "device_add", args, NULL, &desc, t), "seed: device_add (cpu)", desc);
	v->vcpu_seq++;
	conn_close(&c);
	free(c.buf);
	json_object_put(args);
	json_object_put(list);
}

static void seed_add(struct bench *b, struct traffic *t)
{
	struct raw_vm *v = &b->raw[C_SEED];
	struct conn c = {.fd = -1};

	for (int i = 0; i < b->disks; i++) {
		char *path = image_path(b, C_SEED, i), *desc = NULL;
		json_object *args = blockdev_args(path, i);

		/* hotplugBlockDevice(add): one session, blockdev-add + device_add */
		session_open(&c, v->qmp_path, t);
		must(session_exec(&c, "blockdev-add", args, NULL, &desc, t), "seed: blockdev-add",
		     desc);
		json_object_put(args);
		args = device_args(b, i);
		must(session_exec(&c, "device_add", args, NULL, &desc, t), "seed: device_add",
		     desc);
		json_object_put(args);
		conn_close(&c);
		free(path);
	}
	free(c.buf);
}

static void seed_del(struct bench *b, struct traffic *t)
{
	struct raw_vm *v = &b->raw[C_SEED];
	struct conn c = {.fd = -1};

	for (int i = 0; i < b->disks; i++) {
		json_object *args = one_string("node-name", "drive-d%d", i);
		char *desc = NULL, id[16];

		/* hotplugBlockDevice(remove): one session, device_del (waits) + blockdev-del */
		snprintf(id, sizeof(id), "d%d", i);
		session_open(&c, v->qmp_path, t);
		must(seed_device_del(&c, id, &desc, t), "seed: device_del", desc);
		must(session_exec(&c, "blockdev-del", args, NULL, &desc, t), "seed: blockdev-del",
		     desc);
		json_object_put(args);
		conn_close(&c);
	}
	free(c.buf);
}

/* ---- the floor: QEMU over one open connection --------------------------- */

static void qemu_cpu(struct bench *b, struct traffic *t)
{
	struct raw_vm *v = &b->raw[C_QEMU];
	json_object *list = NULL, *args;
	char *desc = NULL;

	must(session_exec(v->session, "query-hotpluggable-cpus", NULL, &list, &desc, t),
	     "qemu: query-hotpluggable-cpus", desc);
	args = cpu_args(list, v->vcpu_seq);
	must(session_exec(v->session, "device_add", args, NULL, &desc, t), "qemu: device_add (cpu)",
	     desc);
	v->vcpu_seq++;
	json_object_put(args);
	json_object_put(list);
}

/* Every disk's blockdev-add and device_add in one write, then the replies in order. */
static void qemu_add(struct bench *b, struct traffic *t)
{
	struct raw_vm *v = &b->raw[C_QEMU];
	size_t len = 0, cap = 0;
	char *all = NULL;

	for (int i = 0; i < 2 * b->disks; i++) {
		char *path = image_path(b, C_QEMU, i / 2);
		json_object *msg = json_object_new_object(),
			    *args = i % 2 ? device_args(b, i / 2) : blockdev_args(path, i / 2);
		const char *text;

		json_object_object_add(
		    msg, "execute", json_object_new_string(i % 2 ? "device_add" : "blockdev-add"));
		json_object_object_add(msg, "arguments", args);
		text = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN);
		if (len + strlen(text) + 1 > cap) {
			cap = (len + strlen(text) + 1) * 2;
			all = realloc(all, cap);
			if (!all)
				die("out of memory");
		}
		memcpy(all + len, text, strlen(text));
		len += strlen(text);
		json_object_put(msg);
		free(path);
	}
	for (size_t off = 0; off < len;) {
		ssize_t n = send(v->session->fd, all + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("qemu: send: %s", strerror(errno));
		off += (size_t)n;
	}
	free(all);
	t->commands += (unsigned)(2 * b->disks);
	for (int i = 0; i < 2 * b->disks; i++) {
		char *desc = NULL;

		must(conn_reply(v->session, NULL, &desc, NULL, NULL), "qemu: pipelined add", desc);
	}
}

static void qemu_del(struct bench *b, struct traffic *t)
{
	struct raw_vm *v = &b->raw[C_QEMU];

	for (int i = 0; i < b->disks; i++) {
		json_object *args = one_string("node-name", "drive-d%d", i);
		char *desc = NULL, id[16];

		snprintf(id, sizeof(id), "d%d", i);
		must(seed_device_del(v->session, id, &desc, t), "qemu: device_del", desc);
		must(session_exec(v->session, "blockdev-del", args, NULL, &desc, t),
		     "qemu: blockdev-del", desc);
		json_object_put(args);
	}
}

/* ---- the library client ------------------------------------------------- */

static void lib_log(void *opaque, int level, const char *message)
{
	struct bench *b = opaque;

	if (!strncmp(message, "QMP send: ", 10)) {
		if (strstr(message, "\"execute\":\"qmp_capabilities\""))
			b->lib_log.negotiations++;
		else
			b->lib_log.commands++;
	}
	if (level <= QD_LOG_WARNING)
		fprintf(stderr, "hotplug-bench: library: %s\n", message);
}

static void lib_cpu(struct qd_vm *vm)
{
	qd_error err = {0};
	unsigned added = 0;

	if (qd_vm_add_vcpus(vm, 1, TIMEOUT_MS, &added, &err) < 0 || added != 1)
		die("library: qd_vm_add_vcpus: %s", err.message ? err.message : "none added");
}

/* The round's disks in one pipelined batch. */
static void lib_add_batch(const struct bench *b, struct qd_vm *vm)
{
	struct qd_block_device devs[30];
	struct qd_plug_result res[30];
	char ids[30][16], *paths[30];
	qd_error err = {0};

	for (int i = 0; i < b->disks; i++) {
		paths[i] = image_path(b, C_LIB, i);
		snprintf(ids[i], sizeof(ids[i]), "d%d", i);
		devs[i] =
		    (struct qd_block_device){.id = ids[i], .path = paths[i], .index = (unsigned)i};
	}
	if (qd_vm_add_blocks(vm, devs, (size_t)b->disks, TIMEOUT_MS, res, &err) < 0)
		die("library: qd_vm_add_blocks: %s", err.message);
	qd_plug_results_clear(res, (size_t)b->disks);
	for (int i = 0; i < b->disks; i++)
		free(paths[i]);
}

static void lib_add(const struct bench *b, struct qd_vm *vm)
{
	qd_error err = {0};

	if (b->batch) {
		lib_add_batch(b, vm);
		return;
	}
	for (int i = 0; i < b->disks; i++) {
		char *path = image_path(b, C_LIB, i), id[16];
		struct qd_block_device dev = {.id = id, .path = path, .index = (unsigned)i};

		snprintf(id, sizeof(id), "d%d", i);
		if (qd_vm_add_block(vm, &dev, TIMEOUT_MS, NULL, &err) < 0)
			die("library: qd_vm_add_block %s: %s", id, err.message);
		free(path);
	}
}

static void lib_del(const struct bench *b, struct qd_vm *vm)
{
	qd_error err = {0};

	for (int i = 0; i < b->disks; i++) {
		char id[16];

		snprintf(id, sizeof(id), "d%d", i);
		if (qd_vm_remove_block(vm, id, TIMEOUT_MS, &err) < 0)
			die("library: qd_vm_remove_block %s: %s", id, err.message);
	}
}

/* ---- one measurement ---------------------------------------------------- */

static struct sample run_one(struct bench *b, enum scenario s, enum client c)
{
	struct sample x = {0};
	int64_t t0;

	t0 = now_ns();
	switch (c) {
	case C_LIB:
		if (s == S_CPU)
			lib_cpu(b->lib_vm);
		else if (s == S_ADD)
			lib_add(b, b->lib_vm);
		else
			lib_del(b, b->lib_vm);
		break;
	case C_KATA:
		if (s == S_CPU)
			kata_cpu(b, &x.t);
		else if (s == S_ADD)
			kata_add(b, &x.t);
		else
			kata_del(b, &x.t);
		break;
	case C_SEED:
		if (s == S_CPU)
			seed_cpu(b, &x.t);
		else if (s == S_ADD)
			seed_add(b, &x.t);
		else
			seed_del(b, &x.t);
		break;
	default:
		if (s == S_CPU)
			qemu_cpu(b, &x.t);
		else if (s == S_ADD)
			qemu_add(b, &x.t);
		else
			qemu_del(b, &x.t);
		break;
	}
	x.ns = now_ns() - t0;
	if (c == C_KATA && s == S_DEL)
		kata_cleanup(b);
	return x;
}

/* ---- VMs ---------------------------------------------------------------- */

static struct qd_vm *new_vm(const struct bench *b, const char *id, bool path_mode)
{
	struct qd_vm_config cfg = {
	    .id = id,
	    .qemu_path = b->qemu,
	    .run_dir = b->run_dir,
	    .accel = b->accel,
	    .vcpus = 1,
	    /* every round adds one vCPU and none is removed */
	    .max_vcpus = (unsigned)(1 + b->warmup + b->rounds),
	    .memory_mb = 256,
	    .kernel = b->kernel,
	    .bridges = 1,
	    .block_driver = b->driver,
	    .qmp_path_mode = path_mode,
	};
	qd_error err = {0};
	struct qd_vm *vm;

	if (qd_vm_new(&cfg, &vm, &err) < 0)
		die("qd_vm_new %s: %s", id, err.message ? err.message : "?");
	return vm;
}

static char *arg_value(char **argv, const char *opt, const char *prefix, const char *key)
{
	for (size_t i = 0; argv[i] && argv[i + 1]; i++) {
		const char *a = argv[i + 1], *k;

		if (strcmp(argv[i], opt) || strncmp(a, prefix, strlen(prefix)))
			continue;
		if (!key)
			return strndup(a + strlen(prefix), strcspn(a + strlen(prefix), ","));
		for (k = a; (k = strstr(k, key)); k++)
			if (k[-1] == ',')
				return strndup(k + strlen(key), strcspn(k + strlen(key), ","));
	}
	return NULL;
}

static void spawn_raw(struct bench *b, struct raw_vm *v)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	posix_spawn_file_actions_t fa;
	int64_t deadline = now_ns() + (int64_t)TIMEOUT_MS * 1000000;
	int r, status;

	memcpy(addr.sun_path, v->qmp_path, strlen(v->qmp_path) + 1);
	unlink(v->qmp_path);
	unlink(qd_vm_console_path(v->vm));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, v->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	r = posix_spawn(&v->pid, v->argv[0], &fa, NULL, v->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		die("posix_spawn %s: %s", v->argv[0], strerror(r));
	/* Ready once the socket accepts a connection (closed again at once). */
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			die("socket: %s", strerror(errno));
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
			close(fd);
			break;
		}
		close(fd);
		if (waitpid(v->pid, &status, WNOHANG) == v->pid)
			die("QEMU for %s exited (status %d) before its QMP socket was up; see %s",
			    v->qmp_path, status, v->log_path);
		if (now_ns() > deadline)
			die("no QMP socket %s within %d ms", v->qmp_path, TIMEOUT_MS);
		sleep_us(1000);
	}
}

/*
 * The library's round trips, counted on a VM of its own whose QMP connection
 * logs at debug level from the start (the connection takes its log level when
 * it is opened): the timed VM runs with logging off, as a caller would.
 */
static void count_library(struct bench *b)
{
	qd_error err = {0};
	struct qd_vm *vm = new_vm(b, "hp-cnt", false);

	qd_vm_set_log(vm, lib_log, b, QD_LOG_DEBUG);
	live_counting_vm = vm;
	if (qd_vm_start(vm, TIMEOUT_MS, &err) < 0)
		die("qd_vm_start (counting VM): %s", err.message);
	b->lib_log = (struct traffic){0};
	lib_cpu(vm);
	b->counted[S_CPU][C_LIB] = b->lib_log;
	b->lib_log = (struct traffic){0};
	lib_add(b, vm);
	b->counted[S_ADD][C_LIB] = b->lib_log;
	b->lib_log = (struct traffic){0};
	lib_del(b, vm);
	b->counted[S_DEL][C_LIB] = b->lib_log;
	qd_vm_set_log(vm, NULL, NULL, QD_LOG_ERR);
	if (qd_vm_stop(vm, 5000, &err) < 0)
		die("qd_vm_stop (counting VM): %s", err.message);
	live_counting_vm = NULL;
	qd_vm_free(vm);
}

static void setup(struct bench *b)
{
	qd_error err = {0};
	char **lib_argv;
	char *dir = xasprintf("%s/img", b->run_dir);

	live_bench = b;
	if (mkdir(b->run_dir, 0700) < 0 && errno != EEXIST)
		die("mkdir %s: %s", b->run_dir, strerror(errno));
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		die("mkdir %s: %s", dir, strerror(errno));
	free(dir);
	for (int c = 0; c < C_COUNT; c++)
		for (int i = 0; i < b->disks; i++) {
			char *p = image_path(b, c, i);
			int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

			if (fd < 0 || ftruncate(fd, 1 << 20) < 0)
				die("creating %s: %s", p, strerror(errno));
			close(fd);
			free(p);
		}

	b->lib_vm = new_vm(b, vm_ids[C_LIB], false);
	qd_vm_set_log(b->lib_vm, lib_log, b, QD_LOG_WARNING);
	if (qd_vm_argv(b->lib_vm, &lib_argv, &err) < 0)
		die("qd_vm_argv: %s", err.message);
	b->bridge = arg_value(lib_argv, "-device", "pci-bridge,", "id=");
	if (b->driver == QD_BLOCK_VIRTIO_BLK && !b->bridge)
		die("no pci-bridge in the command line");
	printf("command line (library's VM):");
	for (size_t i = 0; lib_argv[i]; i++)
		printf(" %s", lib_argv[i]);
	printf("\n");
	qd_argv_free(lib_argv);

	for (int c = C_KATA; c < C_COUNT; c++) {
		struct raw_vm *v = &b->raw[c];

		v->vm = new_vm(b, vm_ids[c], true);
		if (qd_vm_argv(v->vm, &v->argv, &err) < 0)
			die("qd_vm_argv: %s", err.message);
		v->qmp_path = arg_value(v->argv, "-qmp", "unix:", NULL);
		if (!v->qmp_path)
			die("no -qmp unix:PATH in the path-mode command line");
		v->log_path = xasprintf("%s/qemu.log", qd_vm_dir(v->vm));
	}

	count_library(b);
	if (qd_vm_start(b->lib_vm, TIMEOUT_MS, &err) < 0)
		die("qd_vm_start: %s", err.message);
	for (int c = C_KATA; c < C_COUNT; c++)
		spawn_raw(b, &b->raw[c]);
	b->raw[C_QEMU].session = calloc(1, sizeof(struct conn));
	if (!b->raw[C_QEMU].session)
		die("out of memory");
	b->raw[C_QEMU].session->fd = -1;
	session_open(b->raw[C_QEMU].session, b->raw[C_QEMU].qmp_path, NULL);
	if (b->pause) {
		if (qd_vm_pause(b->lib_vm, TIMEOUT_MS, &err) < 0)
			die("qd_vm_pause: %s", err.message);
		for (int c = C_KATA; c < C_COUNT; c++) {
			char *desc = NULL;

			/* QEMU serves one client a monitor: the floor's is its open session. */
			if (c == C_QEMU)
				must(session_exec(b->raw[c].session, "stop", NULL, NULL, &desc,
						  NULL),
				     "stop", desc);
			else
				must(kata_exec(&b->raw[c], "stop", NULL, NULL, &desc, NULL), "stop",
				     desc);
		}
	}
}

static void teardown(struct bench *b)
{
	qd_error err = {0};

	live_bench = NULL;
	if (qd_vm_stop(b->lib_vm, 5000, &err) < 0)
		fprintf(stderr, "hotplug-bench: qd_vm_stop: %s\n", err.message);
	qd_error_clear(&err);
	qd_vm_free(b->lib_vm);
	for (int c = C_KATA; c < C_COUNT; c++) {
		struct raw_vm *v = &b->raw[c];
		int status;

		if (v->pid > 0) {
			kill(v->pid, SIGKILL);
			while (waitpid(v->pid, &status, 0) < 0 && errno == EINTR)
				;
		}
		if (v->session) {
			conn_close(v->session);
			free(v->session->buf);
			free(v->session);
		}
		qd_vm_free(v->vm);
		qd_argv_free(v->argv);
		free(v->qmp_path);
		free(v->log_path);
	}
	free(b->bridge);
}

/* ---- statistics and report ---------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

struct stats {
	double median, min, max; /* ms */
};

static struct stats stats_of(const struct sample *s, int n)
{
	int64_t *v = calloc((size_t)n, sizeof(*v));
	struct stats st;

	if (!v)
		die("out of memory");
	for (int i = 0; i < n; i++)
		v[i] = s[i].ns;
	qsort(v, (size_t)n, sizeof(*v), cmp_i64);
	st.median =
	    (n % 2 ? (double)v[n / 2] : ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2) / 1e6;
	st.min = (double)v[0] / 1e6;
	st.max = (double)v[n - 1] / 1e6;
	free(v);
	return st;
}

static unsigned rt(const struct traffic *t)
{
	return t->commands + t->negotiations;
}

enum row {
	R_CPU,
	R_ADD,
	R_DEL,
	R_BOTH, /* R_ADD + R_DEL of the same round */
	R_COUNT
};

static void add_traffic(struct traffic *to, const struct traffic *t)
{
	to->commands += t->commands;
	to->negotiations += t->negotiations;
	to->connections += t->connections;
	to->failures += t->failures;
}

/* The samples of one report row and client (a new array). */
static struct sample *row_samples(const struct bench *b, enum row k, enum client c)
{
	struct sample *v = calloc((size_t)b->rounds, sizeof(*v));

	if (!v)
		die("out of memory");
	for (int r = 0; r < b->rounds; r++) {
		if (k != R_BOTH) {
			v[r] = b->samples[k][c][r];
			continue;
		}
		v[r] = b->samples[S_ADD][c][r];
		v[r].ns += b->samples[S_DEL][c][r].ns;
		add_traffic(&v[r].t, &b->samples[S_DEL][c][r].t);
	}
	return v;
}

static void report(struct bench *b)
{
	const char *disk = b->driver == QD_BLOCK_VIRTIO_SCSI ? "scsi-hd" : "virtio-blk";
	char name[R_COUNT][64];
	struct stats st[R_COUNT][C_COUNT];
	struct traffic per[R_COUNT][C_COUNT];
	unsigned failures[R_COUNT][C_COUNT] = {{0}};
	bool steady[R_COUNT][C_COUNT];

	snprintf(name[R_CPU], sizeof(name[R_CPU]), "add 1 vCPU");
	snprintf(name[R_ADD], sizeof(name[R_ADD]), "add %d %s", b->disks, disk);
	snprintf(name[R_DEL], sizeof(name[R_DEL]), "remove %d %s", b->disks, disk);
	snprintf(name[R_BOTH], sizeof(name[R_BOTH]), "add+remove %d %s", b->disks, disk);
	for (int k = 0; k < R_COUNT; k++)
		for (int c = 0; c < C_COUNT; c++) {
			struct sample *v = row_samples(b, (enum row)k, (enum client)c);
			struct traffic warm = {0};

			st[k][c] = stats_of(v, b->rounds);
			if (k == R_BOTH) {
				warm = b->counted[S_ADD][c];
				add_traffic(&warm, &b->counted[S_DEL][c]);
			} else {
				warm = b->counted[k][c];
			}
			/* library: from the counting VM; others: every round, must not vary */
			per[k][c] = c == C_LIB ? warm : v[0].t;
			steady[k][c] = true;
			for (int r = 0; r < b->rounds; r++) {
				failures[k][c] += v[r].t.failures;
				if (c != C_LIB && (rt(&v[r].t) != rt(&per[k][c]) ||
						   v[r].t.connections != per[k][c].connections))
					steady[k][c] = false;
			}
			if (c != C_LIB && b->warmup && rt(&warm) != rt(&per[k][c]))
				steady[k][c] = false;
			free(v);
		}

	printf("\nper operation, %d rounds: wall time (ms) and QMP traffic "
	       "(round trips = commands + qmp_capabilities)\n\n",
	       b->rounds);
	printf("| operation | client | median ms | min ms | max ms | commands | negotiations | "
	       "round trips | connections | failed ops |\n");
	printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int k = 0; k < R_COUNT; k++)
		for (int c = 0; c < C_COUNT; c++)
			printf("| %s | %s | %.2f | %.2f | %.2f | %u | %u | %u%s | %u | %u/%d |\n",
			       name[k], client_names[c], st[k][c].median, st[k][c].min,
			       st[k][c].max, per[k][c].commands, per[k][c].negotiations,
			       rt(&per[k][c]), steady[k][c] ? "" : " (varied)",
			       per[k][c].connections, failures[k][c],
			       b->rounds * (k == R_CPU	  ? 1
					    : k == R_BOTH ? 2 * b->disks
							  : b->disks));
	printf("\nthe library's VM negotiated once at start (1 connection, 1 qmp_capabilities), "
	       "not counted above.\n");
	if (failures[R_DEL][C_KATA])
		printf("kata failed ops: blockdev-del sent right after device_del found the node "
		       "still in use (QEMU had not finished the unplug: no DEVICE_DELETED yet); "
		       "the nodes leaked and were deleted outside the timed region.\n");

	printf("\nverdicts (target: >= 2x fewer round trips than kata, and faster; "
	       "round trips counted as above):\n\n");
	printf("| operation | vs | round trips lib/other | ratio | 2x fewer | time ratio "
	       "other/lib | faster | other complete | target |\n");
	printf("|---|---|---:|---:|---|---:|---|---|---|\n");
	for (int k = 0; k < R_COUNT; k++)
		for (int c = C_KATA; c < C_COUNT; c++) {
			double rr =
			    rt(&per[k][C_LIB]) ? (double)rt(&per[k][c]) / rt(&per[k][C_LIB]) : 0;
			double tr = st[k][c].median / st[k][C_LIB].median;
			bool fewer = rr >= 2.0, faster = tr > 1.0;

			printf("| %s | %s | %u/%u | %.2fx | %s | %.2fx | %s | %s | %s |\n", name[k],
			       client_names[c], rt(&per[k][C_LIB]), rt(&per[k][c]), rr,
			       fewer ? "yes" : "no", tr, faster ? "yes" : "no",
			       failures[k][c] ? "no" : "yes",
			       c != C_KATA	 ? "(info)"
			       : fewer && faster ? "met"
						 : "NOT met");
		}
	printf("(timings are reported, never judged as failures)\n");
}

/* ---- main --------------------------------------------------------------- */

static const char *fs_name(const char *path)
{
	struct statfs fs;

	if (statfs(path, &fs) < 0)
		return "?";
	switch ((unsigned long)fs.f_type) {
	case TMPFS_MAGIC:
		return "tmpfs";
	case EXT4_SUPER_MAGIC:
		return "ext4";
	case XFS_SUPER_MAGIC:
		return "xfs";
	case BTRFS_SUPER_MAGIC:
		return "btrfs";
	case OVERLAYFS_SUPER_MAGIC:
		return "overlayfs";
	default:
		return "other";
	}
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void usage(int status) __attribute__((noreturn));

static void usage(int status)
{
	fprintf(
	    status ? stderr : stdout,
	    "usage: hotplug-bench [-r ROUNDS] [-w WARMUP] [-n DISKS] [-b virtio-blk|virtio-scsi]\n"
	    "                     [-p SETTLE_MS] [-P] [-q QEMU] [-k KERNEL] [-a kvm|tcg]\n"
	    "                     [-d RUN_DIR] [-B] [-v]\n"
	    "  -r ROUNDS    measured rounds (default %d)\n"
	    "  -w WARMUP    unmeasured rounds first (default %d)\n"
	    "  -n DISKS     disks added then removed per round (default %d)\n"
	    "  -b DRIVER    virtio-blk on a PCI bridge (default) or virtio-scsi (scsi-hd)\n"
	    "  -p SETTLE_MS pause between measurements (default %d)\n"
	    "  -P           pause the VMs (QMP stop) after start: no guest CPU load\n"
	    "  -q QEMU      QEMU binary (default /usr/bin/qemu-system-x86_64)\n"
	    "  -k KERNEL    guest kernel (default: the last /boot/vmlinuz-*)\n"
	    "  -a ACCEL     kvm or tcg (default: kvm if /dev/kvm is usable)\n"
	    "  -d RUN_DIR   run directory (default: a fresh one under /dev/shm if it is\n"
	    "               tmpfs, else $TMPDIR or /tmp; removed after)\n"
	    "  -B           the library adds a round's disks in one pipelined batch\n"
	    "               (qd_vm_add_blocks())\n"
	    "  -v           print every sample\n",
	    DEFAULT_ROUNDS, DEFAULT_WARMUP, DEFAULT_DISKS, DEFAULT_SETTLE_MS);
	exit(status);
}

static int parse_int(const char *s, int min, int max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < min || v > max)
		usage(2);
	return (int)v;
}

int main(int argc, char **argv)
{
	struct bench b = {
	    .qemu = "/usr/bin/qemu-system-x86_64",
	    .rounds = DEFAULT_ROUNDS,
	    .warmup = DEFAULT_WARMUP,
	    .disks = DEFAULT_DISKS,
	    .settle_ms = DEFAULT_SETTLE_MS,
	    .driver = QD_BLOCK_VIRTIO_BLK,
	};
	char tmpl[4096];
	bool own_dir = false;
	int opt;

	bench_at_die(kill_vms);
	while ((opt = getopt(argc, argv, "r:w:n:b:p:Pq:k:a:d:Bvh")) != -1) {
		switch (opt) {
		case 'r':
			b.rounds = parse_int(optarg, 1, 200);
			break;
		case 'w':
			b.warmup = parse_int(optarg, 0, 50);
			break;
		case 'n':
			b.disks = parse_int(optarg, 1, 30);
			break;
		case 'b':
			if (!strcmp(optarg, "virtio-blk"))
				b.driver = QD_BLOCK_VIRTIO_BLK;
			else if (!strcmp(optarg, "virtio-scsi"))
				b.driver = QD_BLOCK_VIRTIO_SCSI;
			else
				usage(2);
			break;
		case 'p':
			b.settle_ms = parse_int(optarg, 0, 10000);
			break;
		case 'P':
			b.pause = true;
			break;
		case 'q':
			b.qemu = optarg;
			break;
		case 'k':
			b.kernel = optarg;
			break;
		case 'a':
			b.accel = optarg;
			break;
		case 'd':
			b.run_dir = optarg;
			break;
		case 'B':
			b.batch = true;
			break;
		case 'v':
			b.verbose = true;
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (b.rounds + b.warmup > 254)
		die("rounds + warm-up must stay under 255 (one vCPU is added per round)");
	if (!b.kernel && !(b.kernel = find_kernel()))
		die("no /boot/vmlinuz-*: give a kernel with -k");
	if (!b.accel)
		b.accel = kvm_usable() ? "kvm" : "tcg";
	if (!b.run_dir) {
		const char *t = getenv("TMPDIR");
		struct statfs fs;

		if (statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC &&
		    access("/dev/shm", W_OK) == 0)
			t = "/dev/shm";
		snprintf(tmpl, sizeof(tmpl), "%s/qd-hp.XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(tmpl))
			die("mkdtemp %s: %s", tmpl, strerror(errno));
		b.run_dir = tmpl;
		own_dir = true;
	}
	b.guest = getenv("FAKEQEMU_GUEST");
	for (int s = 0; s < S_COUNT; s++)
		for (int c = 0; c < C_COUNT; c++)
			if (!(b.samples[s][c] = calloc((size_t)b.rounds, sizeof(struct sample))))
				die("out of memory");

	printf("hotplug-bench: qemu %s, kernel %s, accel %s, 256 MiB, 1 vCPU (max %d), %s%s%s\n",
	       b.qemu, b.kernel, b.accel, 1 + b.warmup + b.rounds,
	       b.pause ? "VMs paused" : "VMs running", b.guest ? ", FAKEQEMU_GUEST=" : "",
	       b.guest ? b.guest : "");
	printf("run dir %s (%s)\n", b.run_dir, fs_name(b.run_dir));
	printf("rounds %d (+%d warm-up), %d %s disks, settle %d ms, client order rotated per "
	       "round\n",
	       b.rounds, b.warmup, b.disks,
	       b.driver == QD_BLOCK_VIRTIO_SCSI ? "scsi-hd" : "virtio-blk", b.settle_ms);
	printf("library adds: %s\n",
	       b.batch ? "one qd_vm_add_blocks() a round (pipelined)" : "qd_vm_add_block() a disk");
	setup(&b);
	fflush(stdout);

	for (int r = -b.warmup; r < b.rounds; r++) {
		for (int s = 0; s < S_COUNT; s++)
			for (int i = 0; i < C_COUNT; i++) {
				/* rotate: round r starts with client (r mod C_COUNT) */
				enum client c = (enum client)((i + r + 3 * b.warmup) % C_COUNT);
				struct sample x;

				x = run_one(&b, (enum scenario)s, c);
				if (r >= 0)
					b.samples[s][c][r] = x;
				else if (c != C_LIB)
					b.counted[s][c] = x.t;
				if (b.verbose)
					printf(
					    "round %2d %-6s %-7s %9.3f ms  cmds %u neg %u conn %u "
					    "fail %u\n",
					    r,
					    s == S_CPU	 ? "cpu"
					    : s == S_ADD ? "add"
							 : "remove",
					    client_names[c], x.ns / 1e6, x.t.commands,
					    x.t.negotiations, x.t.connections, x.t.failures);
				sleep_us((long)b.settle_ms * 1000);
			}
		fflush(stdout);
	}
	report(&b);
	teardown(&b);
	for (int s = 0; s < S_COUNT; s++)
		for (int c = 0; c < C_COUNT; c++)
			free(b.samples[s][c]);
	if (own_dir)
		nftw(tmpl, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
