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
#include "chardev.h"
#include "fakeqemu.h"
#include "faults.h"
#include "loop.h"
#include "machine.h"
#include "monitor.h"
#include "net.h"
#include "objects.h"
#include "qjson.h"
#include "record.h"
#include "replay.h"
#include "replay_recording.h"

struct fq_vm fq_vm;

static char *pidfile_written;

void fq_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", fq_vm.cfg.progname ? fq_vm.cfg.progname : "fakeqemu");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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

static void on_signal(void *opaque, int fd, short revents)
{
	struct signalfd_siginfo si;

	(void)opaque;
	(void)revents;
	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	fprintf(stderr, "%s: terminating on signal %u from pid %u\n", fq_vm.cfg.progname,
		si.ssi_signo, si.ssi_pid);
	fq_vm_shutdown("host-signal", false);
	exit_now(0);
}

static void setup_signals(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		fq_die("signalfd: %s", strerror(errno));
	fq_loop_watch(fd, POLLIN, on_signal, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0)
		fq_die("cannot create PID file: Cannot open pid file: %s", strerror(errno));
	pidfile_written = strdup(path);
}

/*
 * daemonize() - fork; the parent exits 0 once the child reports it is ready
 * (monitors listening), or 1 if the child dies first, as QEMU's -daemonize.
 */
static int daemonize(void)
{
	int pipefd[2];
	pid_t pid;
	char c;

	if (pipe(pipefd) < 0)
		fq_die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		fq_die("fork: %s", strerror(errno));
	if (pid > 0) {
		close(pipefd[1]);
		if (read(pipefd[0], &c, 1) == 1)
			_exit(0);
		_exit(1);
	}
	close(pipefd[0]);
	setsid();
	return pipefd[1];
}

static void daemon_ready(int fd)
{
	int null = open("/dev/null", O_RDWR);

	if (write(fd, "", 1) != 1)
		_exit(1);
	close(fd);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
	}
}

int main(int argc, char **argv)
{
	const char *record_path, *real, *replay_path;
	int ready_fd = -1;

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
	/* qemu_create_early_backends(), qemu_create_late_backends(), the machine. */
	fq_objects_create(true);
	fq_chardevs_create();
	fq_netdevs_create();
	fq_objects_create(false);
	fq_machine_init();
	fq_objects_machine_ram(strcmp(fq_vm.cfg.machine, "none") ? "pc.ram" : "ram",
			       fq_vm.cfg.ram_mb ? fq_vm.cfg.ram_mb << 20
			       : strcmp(fq_vm.cfg.machine, "none") ? 128ULL << 20 : 0);
	fq_net_check_clients();
	if (fq_vm.cfg.daemonize)
		ready_fd = daemonize();
	if (fq_vm.cfg.pidfile)
		write_pidfile(fq_vm.cfg.pidfile);
	setup_signals();
	fq_monitors_start();
	fq_machine_start();
	if (ready_fd >= 0)
		daemon_ready(ready_fd);
	return fq_loop_run();
}
