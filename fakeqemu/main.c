/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* main.c - fakeqemu: a fake qemu-system-x86_64 that speaks QMP like the real one */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "argv.h"
#include "fakeqemu.h"
#include "faults.h"
#include "loop.h"
#include "machine.h"
#include "migration.h"
#include "monitor.h"
#include "qjson.h"
#include "record.h"
#include "replay.h"
#include "report.h"
#include "replay_recording.h"
#include "standin.h"
#include "startup.h"

struct fq_vm fq_vm;

static char *pidfile_written;

void fq_die(const char *fmt, ...)
{
	va_list ap;

	fq_report_timestamp();
	fprintf(stderr, "%s: ", fq_vm.cfg.progname ? fq_vm.cfg.progname : "fakeqemu");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	/* From the late backends on, QEMU's monitors already greet their clients. */
	fq_monitors_greet_pending();
	exit(1);
}

static void exit_now(void *opaque)
{
	int status = (int)(intptr_t)opaque;

	fq_monitors_flush();
	/* Files go before the sockets close, so a client seeing EOF sees them gone. */
	if (pidfile_written)
		unlink(pidfile_written);
	fq_monitors_cleanup();
	exit(status);
}

void fq_request_exit(int status)
{
	/* After the current reply has been queued and written. */
	fq_loop_timer(0, exit_now, (void *)(intptr_t)status);
}

/* qemu_get_pid_name(): the sender's argv[0] from /proc, or NULL. */
static char *pid_name(pid_t pid)
{
	char path[64], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

static void on_signal(void *opaque, int fd, short revents)
{
	struct signalfd_siginfo si;
	char *name;

	(void)opaque;
	(void)revents;
	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	name = pid_name((pid_t)si.ssi_pid);
	fprintf(stderr, "%s: terminating on signal %u from pid %u (%s)\n", fq_vm.cfg.progname,
		si.ssi_signo, si.ssi_pid, name ? name : "<unknown process>");
	free(name);
	fq_vm_shutdown("host-signal", false);
	exit_now(0);
}

static void write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0)
		fq_die("cannot create PID file: Cannot open pid file: %s", strerror(errno));
	pidfile_written = strdup(path);
}

int main(int argc, char **argv)
{
	const char *record_path, *real, *replay_path;
	struct fq_standin standin;

	/* Recording a real QEMU, or replaying such a recording, needs no machine model. */
	if (fq_record_requested(argc, argv, &record_path, &real))
		return fq_record_main(argc, argv, record_path, real);
	if (fq_replay_recording_requested(argc, argv, &replay_path))
		return fq_replay_recording_main(argc, argv, replay_path);
	fq_vm.run_started_ms = -1;
	fq_parse_argv(argc, argv, &fq_vm.cfg);
	fq_json_float_17g = fq_vm.cfg.dialect->float_17g;
	if (fq_vm.cfg.faults_path)
		fq_faults_load(fq_vm.cfg.faults_path);
	if (fq_vm.cfg.replay_path)
		fq_replay_load(fq_vm.cfg.replay_path);
	fq_startup_create();
	/* -daemonize as QEMU's: the parent exits once the monitors listen. */
	standin.progname = fq_vm.cfg.progname;
	standin.daemonize = fq_vm.cfg.daemonize;
	standin.ready_fd = -1;
	fq_standin_daemonize(&standin);
	if (fq_vm.cfg.pidfile)
		write_pidfile(fq_vm.cfg.pidfile);
	fq_loop_watch(fq_standin_signals(), POLLIN, on_signal, NULL);
	fq_migration_startup();
	fq_standin_ready(&standin);
	return fq_loop_run();
}
