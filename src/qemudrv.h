/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemudrv.h - public API of libqemudrv: run QEMU VMs for container sandboxes */
#ifndef QEMUDRV_H
#define QEMUDRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QD_PUBLIC __attribute__((visibility("default")))

/**
 * struct qd_error - what went wrong, owned by the caller
 * @code:      the negative errno the failing call returned
 * @qmp_class: QEMU's error class (e.g. "GenericError") when QEMU refused a
 *             command, else NULL
 * @message:   human-readable text; for QMP errors, QEMU's desc verbatim
 *
 * Initialise with `qd_error err = {0};` and release with qd_error_clear().
 * Every fallible function takes a `qd_error *` that may be NULL; on failure it
 * returns a negative errno and fills the error (replacing any earlier one).
 */
typedef struct qd_error {
	int code;
	char *qmp_class;
	char *message;
} qd_error;

/**
 * qd_error_clear() - release the strings of an error and zero it
 * @err: the error; NULL is allowed
 */
QD_PUBLIC void qd_error_clear(qd_error *err);

/* Log levels, as syslog's. */
enum qd_log_level {
	QD_LOG_ERR = 3,
	QD_LOG_WARNING = 4,
	QD_LOG_INFO = 6,
	QD_LOG_DEBUG = 7,
};

/**
 * typedef qd_log_fn - receives the library's log messages
 * @opaque:  the pointer given with the callback
 * @level:   an enum qd_log_level
 * @message: the text, without trailing newline; valid during the call only
 *
 * May be called from any thread that uses the handle.
 */
typedef void (*qd_log_fn)(void *opaque, int level, const char *message);

/* ------------------------------------------------------------------------ */
/* QMP client                                                               */
/* ------------------------------------------------------------------------ */

/* Largest QMP message accepted by default: 16 MiB. */
#define QD_QMP_DEFAULT_MAX_MESSAGE (16u * 1024u * 1024u)

/* Events kept in a connection's queue before the oldest are dropped. */
#define QD_QMP_EVENT_QUEUE_MAX 1024u

/**
 * struct qd_qmp_options - tunables of a QMP connection; zero means default
 * @max_message_size: largest message accepted from QEMU, in bytes
 *                    (default QD_QMP_DEFAULT_MAX_MESSAGE)
 * @log_fn:           log callback, or NULL for silence
 * @log_opaque:       passed to @log_fn
 * @log_level:        highest level passed to @log_fn (default QD_LOG_WARNING)
 */
struct qd_qmp_options {
	size_t max_message_size;
	qd_log_fn log_fn;
	void *log_opaque;
	int log_level;
};

/* One QMP connection; opaque. Safe to use from several threads at once. */
struct qd_qmp;

/* An armed wait for one kind of event; opaque. */
struct qd_qmp_watch;

/**
 * struct qd_qemu_version - the version QEMU announced in its greeting
 * @major:   e.g. 7
 * @minor:   e.g. 2
 * @micro:   e.g. 22
 * @package: e.g. "Debian 1:7.2+dfsg-7+deb12u18+b3"; owned by the connection
 */
struct qd_qemu_version {
	int major;
	int minor;
	int micro;
	const char *package;
};

/**
 * qd_qmp_open_fd() - adopt an already-connected stream socket
 * @fd:   connected AF_UNIX stream socket; owned by the connection from now
 *        on, even on failure. It is switched to non-blocking mode.
 * @opts: tunables, or NULL for defaults
 * @out:  receives the new connection
 * @err:  error details, or NULL
 *
 * Does no I/O: call qd_qmp_handshake() next.
 *
 * Return: 0, or -EINVAL for a bad fd or option, -ENOMEM.
 */
QD_PUBLIC int qd_qmp_open_fd(int fd, const struct qd_qmp_options *opts, struct qd_qmp **out,
			     qd_error *err);

/**
 * qd_qmp_open_path() - connect to a QMP unix socket by path
 * @path:       filesystem path of the socket
 * @opts:       tunables, or NULL for defaults
 * @timeout_ms: deadline for the connection, >= 0
 * @out:        receives the new connection
 * @err:        error details, or NULL
 *
 * Does not read the greeting: call qd_qmp_handshake() next.
 *
 * Return: 0; -ENAMETOOLONG when @path does not fit in a sockaddr_un
 * (107 bytes); the connect() errno (-ENOENT, -ECONNREFUSED, ...);
 * -ETIMEDOUT; -EINVAL for a negative timeout.
 */
QD_PUBLIC int qd_qmp_open_path(const char *path, const struct qd_qmp_options *opts, int timeout_ms,
			       struct qd_qmp **out, qd_error *err);

/**
 * qd_qmp_handshake() - read the greeting and negotiate capabilities
 * @q:          the connection
 * @timeout_ms: deadline for greeting plus negotiation, >= 0
 * @err:        error details, or NULL
 *
 * Events that arrive before the greeting are queued, not taken for it.
 * After success qd_qmp_get_version() and qd_qmp_has_capability() answer.
 *
 * Return: 0; -ETIMEDOUT; -EPROTO for a malformed greeting; -ECONNRESET when
 * QEMU closed the socket; -EREMOTEIO when QEMU refused qmp_capabilities.
 */
QD_PUBLIC int qd_qmp_handshake(struct qd_qmp *q, int timeout_ms, qd_error *err);

/**
 * qd_qmp_connect() - qd_qmp_open_path() followed by qd_qmp_handshake()
 * @path:       filesystem path of the socket
 * @opts:       tunables, or NULL for defaults
 * @timeout_ms: deadline for the whole operation, >= 0
 * @out:        receives the negotiated connection
 * @err:        error details, or NULL
 *
 * Return: 0 or a negative errno as for the two calls it makes.
 */
QD_PUBLIC int qd_qmp_connect(const char *path, const struct qd_qmp_options *opts, int timeout_ms,
			     struct qd_qmp **out, qd_error *err);

/**
 * qd_qmp_free() - close the socket and free the connection
 * @q: the connection; NULL is allowed
 *
 * No other thread may be inside a call on @q. Watches still armed are
 * freed too; their pointers become invalid.
 */
QD_PUBLIC void qd_qmp_free(struct qd_qmp *q);

/**
 * qd_qmp_get_version() - QEMU's version from the greeting
 * @q:   the connection
 * @out: filled on success; @out->package lives as long as @q
 *
 * Return: 0, or -ENOTCONN before the greeting was read.
 */
QD_PUBLIC int qd_qmp_get_version(struct qd_qmp *q, struct qd_qemu_version *out);

/**
 * qd_qmp_has_capability() - whether the greeting offered a capability
 * @q:   the connection
 * @cap: capability name, e.g. "oob"
 *
 * Return: true if offered.
 */
QD_PUBLIC bool qd_qmp_has_capability(struct qd_qmp *q, const char *cap);

/**
 * qd_qmp_capabilities() - the capabilities the greeting offered
 * @q: the connection
 *
 * Return: a NULL-terminated array owned by @q (empty before the greeting).
 */
QD_PUBLIC const char *const *qd_qmp_capabilities(struct qd_qmp *q);

/**
 * qd_qmp_execute() - run one command and wait for its reply
 * @q:          the connection
 * @command:    QMP command name, e.g. "query-status"
 * @arguments:  a JSON object of arguments (borrowed), or NULL for none
 * @timeout_ms: deadline for sending and for the reply, >= 0
 * @result:     receives the "return" value (a new reference the caller
 *              puts with json_object_put()), or NULL to discard it
 * @err:        error details, or NULL
 *
 * The command carries a unique "id" and its reply is matched by it, so
 * several threads may execute commands at once. If the deadline passes
 * before the reply, the connection stays usable and the late reply is
 * discarded when it arrives; if it passes in the middle of writing the
 * command, the connection is marked broken.
 *
 * Return: 0; -EREMOTEIO when QEMU answered with an error (@err->qmp_class
 * and @err->message hold its class and desc verbatim); -ETIMEDOUT; -EINVAL
 * for bad arguments, a negative timeout, or text that is not valid UTF-8
 * (nothing is sent: QEMU would answer it with an error that has no "id");
 * -ECONNRESET, -EPIPE, -EPROTO or -EMSGSIZE once the connection is broken
 * (every later call fails the same).
 */
QD_PUBLIC int qd_qmp_execute(struct qd_qmp *q, const char *command, json_object *arguments,
			     int timeout_ms, json_object **result, qd_error *err);

/**
 * qd_qmp_execute_fd() - run one command that passes a file descriptor
 * @q:          the connection
 * @command:    e.g. "getfd" or "add-fd"
 * @arguments:  a JSON object of arguments (borrowed), or NULL
 * @fd:         the descriptor, sent with the command's first byte
 *              (SCM_RIGHTS); QEMU gets a copy, the caller keeps @fd
 * @timeout_ms: deadline for sending and for the reply, >= 0
 * @result:     receives the "return" value (new reference), or NULL
 * @err:        error details, or NULL
 *
 * As qd_qmp_execute(). QEMU keeps a descriptor for the command whose bytes
 * brought it, so it is never sent with an earlier command's bytes.
 *
 * Return: as qd_qmp_execute(); -EINVAL for a negative @fd.
 */
QD_PUBLIC int qd_qmp_execute_fd(struct qd_qmp *q, const char *command, json_object *arguments,
				int fd, int timeout_ms, json_object **result, qd_error *err);

/**
 * struct qd_qmp_request - one command of qd_qmp_execute_batch()
 * @command:   QMP command name
 * @arguments: a JSON object of arguments (borrowed), or NULL
 * @fd:        a descriptor to pass with the command (as qd_qmp_execute_fd()),
 *             or -1
 * @r:         filled in: 0, or this command's negative errno (-EREMOTEIO
 *             when QEMU refused it: its class and desc are in @err)
 * @result:    filled in: the "return" value (new reference), or NULL
 * @err:       filled in: this command's error; release it with qd_error_clear()
 */
struct qd_qmp_request {
	const char *command;
	json_object *arguments;
	int fd;
	int r;
	json_object *result;
	qd_error err;
};

/**
 * qd_qmp_execute_batch() - pipeline commands: send them all, then collect the replies
 * @q:          the connection
 * @reqs:       the commands, in the order QEMU runs them; each gets its outcome
 * @n:          how many
 * @timeout_ms: deadline for sending all and for every reply, >= 0
 * @err:        error details of the batch, or NULL
 *
 * The commands go out in as few writes as the descriptors allow (one when
 * none passes a descriptor) and QEMU answers them in order, each reply
 * matched by its id; a command QEMU refuses does not stop the ones after it
 * (QEMU runs them all). A command whose text is not valid UTF-8 is not sent
 * (its @r is -EINVAL). Replies that miss the deadline are dropped when they
 * come.
 *
 * Return: 0 when every command was sent and answered (refusals included:
 * see each @r), else the first error that is not a refusal (-EINVAL for a
 * command not sent, -ETIMEDOUT, or the connection's error once it broke),
 * also in @err; the commands after it were still sent and answered.
 */
QD_PUBLIC int qd_qmp_execute_batch(struct qd_qmp *q, struct qd_qmp_request *reqs, size_t n,
				   int timeout_ms, qd_error *err);

/**
 * qd_qmp_watch_new() - arm a wait for an event before causing it
 * @q:          the connection
 * @event:      event name, e.g. "DEVICE_DELETED"
 * @data_key:   member of the event's "data" to match, or NULL for any
 * @data_value: the value that member must have (compared as text), or NULL
 *              to only require the member
 * @out:        receives the watch
 * @err:        error details, or NULL
 *
 * From this call on, every matching event is kept for the watch, so an
 * event that arrives before the reply of the command that caused it is not
 * lost. Events still go to the connection's general queue as well.
 *
 * Return: 0, -EINVAL or -ENOMEM.
 */
QD_PUBLIC int qd_qmp_watch_new(struct qd_qmp *q, const char *event, const char *data_key,
			       const char *data_value, struct qd_qmp_watch **out, qd_error *err);

/**
 * qd_qmp_watch_wait() - take the next event matched by a watch
 * @q:          the connection
 * @w:          the watch
 * @timeout_ms: deadline, >= 0; 0 only checks what has already arrived
 * @event:      receives the whole event message (new reference, with
 *              "event", "data" and "timestamp"), or NULL to discard it
 * @err:        error details, or NULL
 *
 * Return: 0; -ETIMEDOUT; -EINVAL; or the connection's error once it broke
 * and no matched event is left.
 */
QD_PUBLIC int qd_qmp_watch_wait(struct qd_qmp *q, struct qd_qmp_watch *w, int timeout_ms,
				json_object **event, qd_error *err);

/**
 * qd_qmp_watch_free() - disarm and free a watch
 * @q: the connection it belongs to
 * @w: the watch; NULL is allowed
 */
QD_PUBLIC void qd_qmp_watch_free(struct qd_qmp *q, struct qd_qmp_watch *w);

/**
 * qd_qmp_wait_event() - wait for an event, including one already queued
 * @q:          the connection
 * @event:      event name
 * @data_key:   member of "data" to match, or NULL
 * @data_value: its value as text, or NULL
 * @timeout_ms: deadline, >= 0
 * @out:        receives the event (new reference), or NULL
 * @err:        error details, or NULL
 *
 * Takes the oldest matching event from the general queue, reading more
 * from the socket until one arrives or the deadline passes.
 *
 * Return: 0, -ETIMEDOUT, -EINVAL, or the connection's error.
 */
QD_PUBLIC int qd_qmp_wait_event(struct qd_qmp *q, const char *event, const char *data_key,
				const char *data_value, int timeout_ms, json_object **out,
				qd_error *err);

/**
 * qd_qmp_next_event() - take the oldest event from the general queue
 * @q:          the connection
 * @timeout_ms: deadline, >= 0; 0 checks without blocking
 * @out:        receives the event (new reference)
 * @err:        error details, or NULL
 *
 * Return: 0, -ETIMEDOUT, -EINVAL, or the connection's error.
 */
QD_PUBLIC int qd_qmp_next_event(struct qd_qmp *q, int timeout_ms, json_object **out, qd_error *err);

/**
 * qd_qmp_event_timestamp_us() - an event's QEMU timestamp
 * @event: an event message as returned by the wait functions
 *
 * Return: microseconds since the epoch, or -1 when it has no valid timestamp.
 */
QD_PUBLIC int64_t qd_qmp_event_timestamp_us(json_object *event);

/**
 * qd_qmp_broken() - whether the connection can no longer be used
 * @q:       the connection
 * @message: receives the reason (owned by @q), or NULL
 *
 * Return: 0 while usable, else the negative errno every call now fails with.
 */
QD_PUBLIC int qd_qmp_broken(struct qd_qmp *q, const char **message);

/* ------------------------------------------------------------------------ */
/* VM configuration                                                         */
/* ------------------------------------------------------------------------ */

enum qd_machine_type {
	QD_MACHINE_PC = 0, /* i440fx: bridges on pci.0 */
	QD_MACHINE_Q35,	   /* bridges on pcie.0 */
};

/* Block devices: hot-plugged and cold-plugged drives use this driver. */
enum qd_block_driver {
	QD_BLOCK_VIRTIO_BLK = 0,
	QD_BLOCK_VIRTIO_SCSI,
};

/* The kinds of cold-plugged device. */
enum qd_device_kind {
	QD_DEVICE_9P = 1,     /* a host directory shared over virtio-9p */
	QD_DEVICE_SERIAL,     /* a virtserialport backed by a unix socket */
	QD_DEVICE_TAP,	      /* a tap network endpoint on virtio-net-pci */
	QD_DEVICE_DRIVE,      /* a disk image */
	QD_DEVICE_VFIO,	      /* a host PCI device */
	QD_DEVICE_VHOST_USER, /* a vhost-user-net/blk/fs backend socket */
};

/**
 * struct qd_device - one cold-plugged device
 * @kind:       what it is
 * @id:         its id, unique in the VM (letters, digits, '-', '.', '_')
 * @path:       9P: host directory; SERIAL, VHOST_USER: socket; DRIVE: image file
 * @tag:        9P: mount tag; SERIAL: port name; VHOST_USER: "net", "blk" or "fs"
 * @ifname:     TAP: the tap interface name
 * @mac:        TAP, VHOST_USER net: MAC address ("52:54:00:..."), or NULL
 * @format:     DRIVE: image format, default "raw"
 * @read_only:  DRIVE: attach read-only
 * @bdf:        VFIO: host address, "0000:01:00.0" or "01:00.0"
 */
struct qd_device {
	enum qd_device_kind kind;
	const char *id;
	const char *path;
	const char *tag;
	const char *ifname;
	const char *mac;
	const char *format;
	bool read_only;
	const char *bdf;
};

/**
 * struct qd_vm_config - everything that decides a VM's QEMU command line
 *
 * Strings are borrowed for the lifetime of the calls that take the config.
 * Zero values mean the documented default.
 *
 * @id:            VM (sandbox) id: names its run directory; required
 * @name:          the guest name, given as -name guest=<name> (escaped: a
 *                 ',' or '=' in it stays in the name); default "sandbox-<id>"
 * @qemu_path:     QEMU binary; default the arch's /usr/bin/qemu-system-x86_64
 * @run_dir:       where per-VM directories go; default /run/qemudrv. It
 *                 must belong to the caller or root and not be writable by
 *                 other users unless sticky (see qd_vm_new())
 * @machine:       machine type
 * @machine_options: extra -machine options, e.g. "kernel_irqchip=on"
 * @accel:         "kvm" (default) or "tcg"
 * @cpu_model:     -cpu model name (letters, digits, '-', '.', '_'; QEMU
 *                 splits -cpu at ',' itself); default "host" under KVM,
 *                 "max" under TCG
 * @cpu_features:  extra -cpu features, e.g. "pmu=off"
 * @vcpus:         boot vCPUs; default 1
 * @max_vcpus:     hot-pluggable limit; default the host's CPU count
 * @memory_mb:     boot memory; default 2048
 * @memory_slots:  hot-plug slots; default 10
 * @max_memory_mb: default host memory + 1024 (as kata)
 * @kernel:        guest kernel, or NULL to boot QEMU's firmware (then no
 *                 @initrd, @image or @kernel_params); @initrd and @image are
 *                 the root file system
 * @initrd:        initramfs, or NULL
 * @image:         root disk image (used when there is no @initrd), or NULL
 * @kernel_params: extra "key=value key2" kernel parameters (they win)
 * @firmware:      -bios path, or NULL
 * @debug:         kernel "debug" instead of "quiet"
 * @bridges:       PCI bridges for hot-plug (0..5); kept in the state so
 *                 that slots stay where they are: a change applies at the
 *                 next start (logged as a warning), not to a running QEMU
 * @block_driver:  virtio-blk on bridges, or virtio-scsi (adds controller scsi0)
 * @iothreads:     give the SCSI controller an I/O thread
 * @mem_prealloc, @hugepages, @realtime, @mlock, @daemonize: QEMU knobs
 * @disable_nesting_checks: do not look for a hypervisor under the host
 * @devices:       cold-plugged devices; @ndevices of them
 * @cpuinfo_path, @meminfo_path: for tests; default /proc/cpuinfo, /proc/meminfo
 * @qmp_path_mode: let QEMU create the QMP socket and poll-connect (the seed's
 *                 way) instead of handing QEMU a listening socket
 */
struct qd_vm_config {
	const char *id;
	const char *name;
	const char *qemu_path;
	const char *run_dir;
	enum qd_machine_type machine;
	const char *machine_options;
	const char *accel;
	const char *cpu_model;
	const char *cpu_features;
	unsigned vcpus;
	unsigned max_vcpus;
	unsigned memory_mb;
	unsigned memory_slots;
	unsigned long long max_memory_mb;
	const char *kernel;
	const char *initrd;
	const char *image;
	const char *kernel_params;
	const char *firmware;
	bool debug;
	unsigned bridges;
	enum qd_block_driver block_driver;
	bool iothreads;
	bool mem_prealloc;
	bool hugepages;
	bool realtime;
	bool mlock;
	bool daemonize;
	bool disable_nesting_checks;
	const struct qd_device *devices;
	size_t ndevices;
	const char *cpuinfo_path;
	const char *meminfo_path;
	bool qmp_path_mode;
};

/*
 * One VM; opaque. Calls on one VM from several threads are serialised.
 *
 * Never two QEMUs for one VM: the handle that starts (or adopts) the VM's
 * QEMU owns the VM (a lock on its directory) until it stops it or is freed.
 * Another handle, in this process or another, gets -EBUSY meanwhile; once
 * the owner is gone, the first handle that needs QEMU adopts the one that
 * runs (as qd_vm_attach() does), and qd_vm_start() says -EALREADY.
 */
struct qd_vm;

/**
 * qd_vm_new() - prepare a VM: validate @cfg, load or create its state
 * @cfg: the configuration (copied)
 * @out: receives the VM
 * @err: error details, or NULL
 *
 * Creates <run_dir>/<id>/ (mode 0700) and its state file on first use
 * (a new UUID, the bridges); reloads them after a restart of the caller.
 * The directory is refused when it is a symbolic link or belongs to another
 * user, and so is a run directory of another user (not root) or one others
 * may write without the sticky bit; files in it are never opened through a
 * symbolic link. A state file that is corrupt, of an unknown version, or
 * whose records disagree (a slot owner that is no device, an id QEMU could
 * not take, ...) is an error and is left untouched; one that a power loss
 * emptied is rebuilt from the durable copy of its UUID and bridges, when no
 * QEMU of that UUID runs. Nothing is started.
 *
 * Return: 0, -EINVAL (a field is wrong: @err names it), -EBADMSG (corrupt
 * state), -ELOOP or -EPERM (a directory someone else controls), or a
 * system errno.
 */
QD_PUBLIC int qd_vm_new(const struct qd_vm_config *cfg, struct qd_vm **out, qd_error *err);

/**
 * qd_vm_argv() - the QEMU command line qd_vm_start() would run
 * @vm:  the VM
 * @out: receives a NULL-terminated array; free it with qd_argv_free()
 * @err: error details, or NULL
 *
 * Return: 0 or a negative errno.
 */
QD_PUBLIC int qd_vm_argv(struct qd_vm *vm, char ***out, qd_error *err);

/**
 * qd_argv_free() - free an array from qd_vm_argv()
 * @argv: the array; NULL is allowed
 */
QD_PUBLIC void qd_argv_free(char **argv);

/**
 * qd_vm_start() - launch QEMU and wait until QMP is ready
 * @vm:         the VM
 * @timeout_ms: deadline for launch and the QMP handshake, >= 0
 * @err:        error details, or NULL
 *
 * Runs QEMU without a shell, its output in <run_dir>/<id>/qemu.log (a new
 * file each time). If QEMU exits early the error is "QEMU exited with status
 * N: <its last lines>". On a timeout QEMU is killed; the call returns by the
 * deadline. A QEMU of this VM already running (started by this handle or by
 * any other, in any process) is left alone, its QMP socket included. The
 * bridges are the configuration's: a changed count applies here. Hot-plugged
 * vCPUs and devices of an earlier QEMU are forgotten.
 *
 * Return: 0; -EALREADY if a QEMU of this VM runs; -EBUSY (another handle owns
 * the VM); -ETIMEDOUT; -ECHILD (QEMU exited); -ENOENT (no QEMU binary, or
 * destroyed); or another negative errno.
 */
QD_PUBLIC int qd_vm_start(struct qd_vm *vm, int timeout_ms, qd_error *err);

/**
 * qd_vm_pause() - stop the vCPUs (QMP stop)
 * @vm:         the VM
 * @timeout_ms: deadline, >= 0
 * @err:        error details, or NULL
 *
 * Like every call that needs QEMU, it reconnects a broken QMP connection of
 * this handle's QEMU, and adopts the QEMU another handle left running.
 *
 * Return: 0 or a negative errno (-ENOTCONN when nothing runs, -ESRCH when
 * this handle's QEMU exited, -EBUSY when another handle owns the VM).
 */
QD_PUBLIC int qd_vm_pause(struct qd_vm *vm, int timeout_ms, qd_error *err);

/**
 * qd_vm_resume() - run the vCPUs again (QMP cont)
 * @vm:         the VM
 * @timeout_ms: deadline, >= 0
 * @err:        error details, or NULL
 *
 * Return: 0 or a negative errno.
 */
QD_PUBLIC int qd_vm_resume(struct qd_vm *vm, int timeout_ms, qd_error *err);

/**
 * qd_vm_status() - QEMU's run state ("running", "paused", "prelaunch", ...)
 * @vm:         the VM
 * @timeout_ms: deadline, >= 0
 * @out:        receives a malloc'd string the caller frees
 * @err:        error details, or NULL
 *
 * Return: 0 or a negative errno.
 */
QD_PUBLIC int qd_vm_status(struct qd_vm *vm, int timeout_ms, char **out, qd_error *err);

/**
 * qd_vm_stop() - stop QEMU: quit, then SIGTERM, then SIGKILL
 * @vm:         the VM
 * @timeout_ms: grace for each step, >= 0
 * @err:        error details, or NULL
 *
 * Reaps the process. A QEMU of this VM that another handle left running is
 * adopted and stopped too. Stopping a VM whose QEMU already exited, or that
 * never ran, succeeds. What died with QEMU (its pid, hot-plugged vCPUs and
 * devices) leaves the state.
 *
 * Return: 0, -EBUSY (another handle owns the VM), or a negative errno.
 */
QD_PUBLIC int qd_vm_stop(struct qd_vm *vm, int timeout_ms, qd_error *err);

/**
 * qd_vm_destroy() - stop the VM's QEMU and delete its run directory
 * @vm:         the VM
 * @timeout_ms: grace for each step of the stop, >= 0
 * @err:        error details, or NULL
 *
 * Stops QEMU as qd_vm_stop() does (adopting it if another handle left it
 * running), then deletes the files qemudrv keeps in <run_dir>/<id>/ (state,
 * log, sockets, pidfile) and the directory itself. Files that qemudrv did
 * not create are left alone, and so is the directory then. Afterwards @vm
 * can only be freed; every other call fails with -ENOENT. Destroying a
 * destroyed VM succeeds.
 *
 * Return: 0; -EBUSY (another handle owns the VM); -ENOTEMPTY (foreign files
 * in the directory, named in @err); or another negative errno.
 */
QD_PUBLIC int qd_vm_destroy(struct qd_vm *vm, int timeout_ms, qd_error *err);

/**
 * qd_vm_qmp() - the VM's QMP connection (NULL when not connected)
 * @vm: the VM
 *
 * The events that answer the library's own hot-plug (DEVICE_DELETED,
 * DEVICE_UNPLUG_GUEST_ERROR and ACPI_DEVICE_OST about the devices and vCPUs
 * it plugs) do not enter this connection's general event queue, so a caller
 * that never reads events does not collect them; a watch
 * (qd_qmp_watch_new()) still sees them. The connection may be replaced by a
 * reconnect (any call that finds it broken): do not keep the pointer across
 * calls.
 *
 * Return: the connection, owned by @vm.
 */
QD_PUBLIC struct qd_qmp *qd_vm_qmp(struct qd_vm *vm);

/**
 * qd_vm_pid() - the process id of the VM's running QEMU, or -1
 * @vm: the VM
 *
 * This handle's QEMU, checked now (one that exited has no pid), or else the
 * one the state records if that process is still the VM's QEMU.
 *
 * Return: the pid or -1.
 */
QD_PUBLIC int qd_vm_pid(struct qd_vm *vm);

/**
 * qd_vm_uuid() - the VM's UUID (from its state)
 * @vm: the VM
 *
 * Return: a string owned by @vm.
 */
QD_PUBLIC const char *qd_vm_uuid(struct qd_vm *vm);

/**
 * qd_vm_dir() - the VM's run directory, <run_dir>/<id>
 * @vm: the VM
 *
 * Return: a string owned by @vm.
 */
QD_PUBLIC const char *qd_vm_dir(struct qd_vm *vm);

/**
 * qd_vm_console_path() - the unix socket of the VM's serial console
 * @vm: the VM
 *
 * Return: a string owned by @vm.
 */
QD_PUBLIC const char *qd_vm_console_path(struct qd_vm *vm);

/**
 * qd_vm_set_log() - route the VM's (and its QMP connection's) messages
 * @vm:     the VM
 * @fn:     callback, or NULL for silence
 * @opaque: passed to @fn
 * @level:  highest level delivered
 *
 * Takes effect at once, on a connection that is already open too.
 */
QD_PUBLIC void qd_vm_set_log(struct qd_vm *vm, qd_log_fn fn, void *opaque, int level);

/**
 * qd_vm_free() - free the VM; a running QEMU is left running
 * @vm: the VM; NULL is allowed
 *
 * The VM is no longer owned: another handle may adopt its QEMU. A QEMU this
 * process started is still reaped when it exits (by the next library call
 * that finds it exited, or by the handle that adopts it), never left a zombie.
 */
QD_PUBLIC void qd_vm_free(struct qd_vm *vm);

/**
 * qd_vm_config_from_json() - read a VM configuration from JSON
 * @json: the configuration object (see README.md); borrowed, and the
 *        config's strings point into it, so keep it alive with the config
 * @cfg:  filled; free its device array with qd_vm_config_clear()
 * @err:  error details, or NULL: unknown or mistyped members are named
 *
 * Return: 0 or -EINVAL.
 */
QD_PUBLIC int qd_vm_config_from_json(json_object *json, struct qd_vm_config *cfg, qd_error *err);

/**
 * qd_vm_config_clear() - free what qd_vm_config_from_json() allocated
 * @cfg: the configuration
 */
QD_PUBLIC void qd_vm_config_clear(struct qd_vm_config *cfg);

/**
 * qd_host_is_nested() - whether this host is itself a virtual machine
 * @cpuinfo_path: /proc/cpuinfo or a fixture; NULL for /proc/cpuinfo
 * @err:          error details, or NULL
 *
 * Looks for the "hypervisor" flag on x86.
 *
 * Return: 1 nested, 0 not, or a negative errno when the file cannot be read.
 */
QD_PUBLIC int qd_host_is_nested(const char *cpuinfo_path, qd_error *err);

/* ------------------------------------------------------------------------ */
/* Hot-plug                                                                 */
/* ------------------------------------------------------------------------ */

/* What a VM can hot-plug (qd_vm_capabilities()). */
enum qd_capability {
	QD_CAP_BLOCK_HOTPLUG = 1 << 0, /* virtio-blk on bridges, or scsi-hd */
	QD_CAP_CPU_HOTPLUG = 1 << 1,
	QD_CAP_VFIO_HOTPLUG = 1 << 2,
	QD_CAP_MEMORY_HOTPLUG = 1 << 3, /* pc-dimm (memory_slots, max_memory_mb) */
	QD_CAP_NET_HOTPLUG = 1 << 4,	/* virtio-net on bridges */
};

/**
 * qd_vm_capabilities() - the device kinds this VM's arch and machine can hot-plug
 * @vm: the VM
 *
 * Return: a mask of enum qd_capability.
 */
QD_PUBLIC unsigned qd_vm_capabilities(struct qd_vm *vm);

/**
 * qd_vm_add_vcpus() - hot-add @n vCPUs
 * @vm:         a started VM
 * @n:          how many; clamped to max_vcpus with a warning (UINT_MAX too);
 *              0 does nothing
 * @timeout_ms: deadline of each QMP command, >= 0
 * @added:      receives how many were added (also on failure)
 * @err:        error details, or NULL
 *
 * Takes free slots from query-hotpluggable-cpus, lowest first. Each vCPU is
 * recorded before device_add (as plugging when QEMU's answer is lost); the
 * ids are cpu-<n>, never reused and never one in use (device ids of that form
 * are refused). vCPUs an interrupted call left as plugging are settled first.
 *
 * Return: 0, or the first failure: -EREMOTEIO with QEMU's error verbatim
 * (*@added tells how many went in before it), or another negative errno.
 */
QD_PUBLIC int qd_vm_add_vcpus(struct qd_vm *vm, unsigned n, int timeout_ms, unsigned *added,
			      qd_error *err);

/**
 * qd_vm_remove_vcpus() - hot-remove @n hot-plugged vCPUs, last added first
 * @vm:         a started VM
 * @n:          how many; more than were hot-plugged is an error
 * @timeout_ms: deadline for QEMU to confirm each removal, >= 0
 * @removed:    receives how many QEMU confirmed gone
 * @err:        error details, or NULL
 *
 * A vCPU leaves the state only once QEMU confirms it is gone (its lapic's or
 * its own DEVICE_DELETED, checked against query-cpus-fast).
 *
 * Return: 0; -EREMOTEIO when QEMU refused (e.g. no guest support); -EBUSY
 * at once when the guest refused (its _OST or DEVICE_UNPLUG_GUEST_ERROR);
 * -ETIMEDOUT when not confirmed in time (the vCPU stays recorded).
 */
QD_PUBLIC int qd_vm_remove_vcpus(struct qd_vm *vm, unsigned n, int timeout_ms, unsigned *removed,
				 qd_error *err);

/**
 * struct qd_block_device - a disk to hot-plug
 * @id:        device id, unique in the VM
 * @path:      image file (or block device)
 * @format:    "raw" (default) or "qcow2"
 * @read_only: attach read-only
 * @index:     drive index: gives the SCSI id and LUN with virtio-scsi
 *             (id = index / 256, lun = index % 256)
 */
struct qd_block_device {
	const char *id;
	const char *path;
	const char *format;
	bool read_only;
	unsigned index;
};

/**
 * qd_vm_add_block() - hot-plug a disk (virtio-blk on a bridge slot, or scsi-hd)
 * @vm:         a started VM
 * @dev:        the disk
 * @timeout_ms: deadline of each QMP command, >= 0
 * @location:   receives where the guest finds it (malloc'd): "BB/SS" (bridge
 *              slot / device slot, hex) for virtio-blk, "scsi0.0:ID:LUN" for SCSI
 * @err:        error details, or NULL
 *
 * The disk is recorded first (id, node, slot), then blockdev-add, then
 * device_add. A step QEMU refuses undoes those before it (blockdev-del, the
 * slot freed); a step whose reply is lost (a timeout, a dropped connection)
 * is settled by asking QEMU at once, or else by the next add of the id or
 * qd_vm_reconcile(): a retry with the same id works either way. @dev's id,
 * path and format must be valid UTF-8 and the format a driver name.
 *
 * Return: 0; -ENOSPC when every bridge slot is taken (nothing sent);
 * -EEXIST for an id in use (checked with QEMU); -EINVAL for a bad field
 * (nothing sent; ids of the form cpu-<n> are the vCPUs'); -EREMOTEIO with
 * QEMU's error; another errno.
 */
QD_PUBLIC int qd_vm_add_block(struct qd_vm *vm, const struct qd_block_device *dev, int timeout_ms,
			      char **location, qd_error *err);

/**
 * qd_vm_remove_block() - hot-unplug a disk
 * @vm:         a started VM
 * @id:         its id
 * @timeout_ms: deadline for DEVICE_DELETED, >= 0
 * @err:        error details, or NULL
 *
 * device_del, wait for QEMU to delete it, blockdev-del, free the slot. A
 * device QEMU no longer knows counts as removed. A guest that refuses
 * (DEVICE_UNPLUG_GUEST_ERROR, QEMU 6.2 on) ends the wait at once; the device
 * stays plugged, as QEMU has it. A block node QEMU does not delete keeps the
 * record, and the next removal of the id deletes it.
 *
 * Return: 0; -ENOENT (not hot-plugged here); -EBUSY (the guest refused);
 * -ETIMEDOUT (recorded as unplugging; a later call or qd_vm_reconcile()
 * finishes it); -EREMOTEIO.
 */
QD_PUBLIC int qd_vm_remove_block(struct qd_vm *vm, const char *id, int timeout_ms, qd_error *err);

/**
 * qd_vm_add_vfio() - hot-plug a host PCI device on a bridge slot
 * @vm:         a started VM
 * @id:         device id
 * @bdf:        host address, e.g. "0000:01:00.0"
 * @timeout_ms: deadline, >= 0
 * @location:   receives "BB/SS" (malloc'd), or NULL
 * @err:        error details, or NULL
 *
 * Return: as qd_vm_add_block().
 */
QD_PUBLIC int qd_vm_add_vfio(struct qd_vm *vm, const char *id, const char *bdf, int timeout_ms,
			     char **location, qd_error *err);

/**
 * qd_vm_remove_vfio() - hot-unplug a host PCI device
 * @vm:         a started VM
 * @id:         its id
 * @timeout_ms: deadline for DEVICE_DELETED, >= 0
 * @err:        error details, or NULL
 *
 * Return: as qd_vm_remove_block().
 */
QD_PUBLIC int qd_vm_remove_vfio(struct qd_vm *vm, const char *id, int timeout_ms, qd_error *err);

/**
 * struct qd_plug_result - the outcome of one device of a batch
 * @code:     0 plugged, or its negative errno (as the one-device call returns)
 * @location: where the guest finds it (malloc'd, as the one-device call's),
 *            or NULL
 * @error:    what went wrong when @code < 0
 *
 * Release with qd_plug_results_clear().
 */
struct qd_plug_result {
	int code;
	char *location;
	qd_error error;
};

/**
 * qd_plug_results_clear() - free what a batch put in @results
 * @results: the array; NULL is allowed
 * @n:       its length
 */
QD_PUBLIC void qd_plug_results_clear(struct qd_plug_result *results, size_t n);

/**
 * qd_vm_add_blocks() - hot-plug several disks at once, pipelined
 * @vm:         a started VM
 * @devs:       the disks, as qd_vm_add_block() takes them
 * @n:          how many
 * @timeout_ms: deadline for all of QEMU's replies, >= 0
 * @results:    @n entries, each filled with its disk's outcome (also on
 *              failure), or NULL
 * @err:        error details, or NULL
 *
 * Every disk is checked (ids unique, in the batch too; a slot each) before
 * anything is sent: one that cannot be plugged refuses the whole batch
 * (its entry says why, the others are -ECANCELED). Then the disks are
 * recorded (one state save), and the blockdev-add and device_add of all of
 * them go out in one write; QEMU answers in order. A disk QEMU refused is
 * undone as in qd_vm_add_block() (its node deleted, its slot freed) without
 * touching the others; one whose answer was lost is settled as there. The
 * state is saved once more only if something was undone.
 *
 * Return: 0 when every disk was plugged; else the first failure's errno,
 * @err saying how many were not plugged (each @results entry says why).
 */
QD_PUBLIC int qd_vm_add_blocks(struct qd_vm *vm, const struct qd_block_device *devs, size_t n,
			       int timeout_ms, struct qd_plug_result *results, qd_error *err);

/* Memory devices (qd_vm_add_memory()). */
enum qd_memory_model {
	QD_MEMORY_DIMM = 0,   /* pc-dimm: a DIMM slot, the whole size at once (ACPI) */
	QD_MEMORY_VIRTIO_MEM, /* virtio-mem-pci on a bridge slot: the guest takes it in blocks */
};

/* What backs a memory device's RAM on the host. */
enum qd_memory_backend {
	QD_MEMORY_RAM = 0, /* memory-backend-ram: anonymous memory */
	QD_MEMORY_FILE,	   /* memory-backend-file: @mem_path (hugetlbfs for huge pages) */
	QD_MEMORY_MEMFD,   /* memory-backend-memfd: shareable, huge pages with @hugepages */
};

/**
 * struct qd_memory_device - memory to hot-plug
 * @id:           device id, unique in the VM; its backend is "mem-<id>"
 * @size_mb:      size in MiB (> 0)
 * @model:        pc-dimm or virtio-mem
 * @backend:      what backs it
 * @mem_path:     FILE: a file, or a directory to create one in (e.g. a
 *                hugetlbfs mount); required there, refused elsewhere
 * @shared:       share=on: other processes (vhost-user backends) may map it
 * @hugepages:    MEMFD: huge pages (hugetlb=on); FILE: refused (the mount
 *                decides)
 * @prealloc:     allocate it all when plugged (pc-dimm only)
 * @requested_mb: virtio-mem: how much of @size_mb the guest is asked to
 *                take; 0 means all of it
 */
struct qd_memory_device {
	const char *id;
	unsigned long long size_mb;
	enum qd_memory_model model;
	enum qd_memory_backend backend;
	const char *mem_path;
	bool shared;
	bool hugepages;
	bool prealloc;
	unsigned long long requested_mb;
};

/**
 * qd_vm_add_memory() - hot-plug memory (pc-dimm, or virtio-mem)
 * @vm:         a started VM
 * @dev:        the memory
 * @timeout_ms: deadline of each QMP command, >= 0
 * @location:   receives where it is (malloc'd): "dimm<slot>@0x<address>" for
 *              a DIMM, "BB/SS" for virtio-mem; or NULL
 * @err:        error details, or NULL
 *
 * Checked first, nothing sent on failure: the VM's memory_slots (a DIMM
 * takes one; the root image's NVDIMM takes one too) and max_memory_mb (boot
 * memory, the NVDIMM and every hot-plugged device count), a bridge slot for
 * virtio-mem, and whether this QEMU has virtio-mem-pci at all. Then the
 * device is recorded, the backend object added (object-add), the device
 * added (device_add) and query-memory-devices asked to confirm it. A step
 * QEMU refuses undoes the ones before it (object-del); a lost answer is
 * settled as for disks.
 *
 * Return: 0; -ENOSPC (no free slot, or over max_memory_mb); -EOPNOTSUPP
 * (QEMU has no virtio-mem-pci); -EEXIST; -EINVAL (a bad field); -EREMOTEIO
 * with QEMU's error; another errno.
 */
QD_PUBLIC int qd_vm_add_memory(struct qd_vm *vm, const struct qd_memory_device *dev, int timeout_ms,
			       char **location, qd_error *err);

/**
 * qd_vm_remove_memory() - hot-unplug memory
 * @vm:         a started VM
 * @id:         its id
 * @timeout_ms: deadline for each wait (the guest releasing it, QEMU
 *              deleting it), >= 0
 * @err:        error details, or NULL
 *
 * A DIMM: device_del, wait for DEVICE_DELETED (the guest must offline the
 * memory and eject it), object-del. virtio-mem: its requested size is set
 * to 0 first (qom-set) and the guest's release awaited
 * (MEMORY_DEVICE_SIZE_CHANGE, or query-memory-devices), then as a DIMM.
 * As for disks, a device QEMU no longer knows counts as removed, and a
 * backend QEMU does not delete keeps the record for the next removal.
 *
 * Return: as qd_vm_remove_block().
 */
QD_PUBLIC int qd_vm_remove_memory(struct qd_vm *vm, const char *id, int timeout_ms, qd_error *err);

/**
 * struct qd_net_device - a NIC to hot-plug: virtio-net-pci on tap descriptors
 * @id:        device id, unique in the VM; its netdev is "net-<id>"
 * @mac:       its MAC address ("52:54:00:12:34:56"), or NULL for QEMU's
 * @tap_fds:   one tap descriptor per queue (opened with IFF_TAP, and
 *             IFF_MULTI_QUEUE for more than one); the caller keeps them,
 *             QEMU gets copies
 * @queues:    how many (1..QD_NET_MAX_QUEUES); more than one is multi-queue
 * @vhost:     vhost-net in the kernel (QEMU opens /dev/vhost-net)
 * @vhost_fds: NULL, or @queues descriptors of /dev/vhost-net for QEMU to use
 *             (then @vhost is implied)
 */
struct qd_net_device {
	const char *id;
	const char *mac;
	const int *tap_fds;
	unsigned queues;
	bool vhost;
	const int *vhost_fds;
};

/* The most queues a hot-plugged NIC may have. */
#define QD_NET_MAX_QUEUES 64

/**
 * qd_vm_add_net() - hot-plug a NIC (virtio-net-pci on a bridge slot)
 * @vm:         a started VM
 * @dev:        the NIC
 * @timeout_ms: deadline of each QMP command, >= 0
 * @location:   receives "BB/SS" (malloc'd), or NULL
 * @err:        error details, or NULL
 *
 * Checked first (id, MAC, descriptors open, a free slot), nothing sent on
 * failure. Then the NIC is recorded, each descriptor passed with getfd
 * (SCM_RIGHTS) as "fd-<id>-<queue>" / "vhostfd-<id>-<queue>", the netdev
 * added (netdev_add of a tap with those fds) and the device (device_add,
 * with @mac, and mq and vectors for more queues). A step QEMU refuses undoes
 * the ones before it (netdev_del, closefd); a lost answer is settled as for
 * disks.
 *
 * Return: as qd_vm_add_block().
 */
QD_PUBLIC int qd_vm_add_net(struct qd_vm *vm, const struct qd_net_device *dev, int timeout_ms,
			    char **location, qd_error *err);

/**
 * qd_vm_add_nets() - hot-plug several NICs at once, pipelined
 * @vm:         a started VM
 * @devs:       the NICs
 * @n:          how many
 * @timeout_ms: deadline for all of QEMU's replies, >= 0
 * @results:    @n entries, each filled with its NIC's outcome, or NULL
 * @err:        error details, or NULL
 *
 * As qd_vm_add_blocks(), with each NIC's descriptors passed first.
 *
 * Return: as qd_vm_add_blocks().
 */
QD_PUBLIC int qd_vm_add_nets(struct qd_vm *vm, const struct qd_net_device *devs, size_t n,
			     int timeout_ms, struct qd_plug_result *results, qd_error *err);

/**
 * qd_vm_remove_net() - hot-unplug a NIC
 * @vm:         a started VM
 * @id:         its id
 * @timeout_ms: deadline for DEVICE_DELETED, >= 0
 * @err:        error details, or NULL
 *
 * device_del, wait for QEMU to delete the device, then netdev_del (QEMU
 * would take the netdev away from under a NIC that is still there).
 *
 * Return: as qd_vm_remove_block().
 */
QD_PUBLIC int qd_vm_remove_net(struct qd_vm *vm, const char *id, int timeout_ms, qd_error *err);

/**
 * qd_vm_attach() - take over a QEMU this VM started before the caller restarted
 * @vm:         a VM from qd_vm_new() (its state names the QEMU)
 * @timeout_ms: deadline, >= 0
 * @err:        error details, or NULL
 *
 * Connects to the VM's QMP socket and checks the process is that VM's QEMU
 * (its command line has the VM's -uuid), taking ownership of the VM. On a
 * handle that is connected it does nothing; one whose connection broke is
 * reconnected. Every call that needs QEMU does the same implicitly.
 *
 * Return: 0, -ESRCH (not running), -EBUSY (another handle owns the VM), or
 * another negative errno.
 */
QD_PUBLIC int qd_vm_attach(struct qd_vm *vm, int timeout_ms, qd_error *err);

/**
 * qd_vm_reconcile() - make the state agree with what QEMU reports
 * @vm:         a started or attached VM
 * @timeout_ms: deadline of each query, >= 0
 * @report:     receives one line per fix (malloc'd, "" when none), or NULL
 * @err:        error details, or NULL
 *
 * vCPUs and devices QEMU no longer has leave the state (their slots and
 * nodes are freed); unplugs that completed meanwhile are finished; block
 * nodes qemudrv created but no device uses (a crash mid-plug) are deleted.
 *
 * Return: 0 or a negative errno.
 */
QD_PUBLIC int qd_vm_reconcile(struct qd_vm *vm, int timeout_ms, char **report, qd_error *err);

#ifdef __cplusplus
}
#endif

#endif /* QEMUDRV_H */
