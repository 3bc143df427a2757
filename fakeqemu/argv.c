/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* argv.c - the qemu-system-x86_64 command line, as far as fakeqemu models it */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "block.h"
#include "chardev.h"
#include "cmdline.h"
#include "fakeqemu.h"
#include "fds.h"
#include "fsdev.h"
#include "machine.h"
#include "monitor.h"
#include "net.h"
#include "objects.h"
#include "cmdline_data.h"
#include "opts.h"

struct option_def {
	const char *name;
	bool has_arg;
};

/* fakeqemu's own options (QEMU's come from the recorded option sets). */
static const struct option_def fake_options[] = {
    {"fake-version", true}, {"fake-guest", true},  {"fake-faults", true},
    {"fake-replay", true},  {"fake-record", true}, /* record.c: taken before the model starts */
    {"fake-real", true},    {NULL, false},
};

/* " name" followed by ' ' (no argument) or ':' (an argument) in a recorded set. */
static bool set_has(const char *set, const char *name, bool *has_arg)
{
	size_t n = strlen(name);

	for (const char *p = set; (p = strstr(p, name)); p += n) {
		if (p[-1] != ' ' || (p[n] != ' ' && p[n] != ':'))
			continue;
		*has_arg = p[n] == ':';
		return true;
	}
	return false;
}

/*
 * The options of the imitated QEMU, as recorded from its binary
 * (fakeqemu-data/V/options.txt); a version without a recording takes any
 * recorded version's options.
 */
static const struct option_def *lookup(const char *name, const struct fq_config *cfg)
{
	static struct option_def found;
	const struct fq_cmdline_data *own = NULL;

	for (int i = 0; fake_options[i].name; i++)
		if (!strcmp(fake_options[i].name, name))
			return &fake_options[i];
	for (const struct fq_cmdline_data *o = fq_cmdline_data; o->version; o++)
		if (!strcmp(o->version, cfg->dialect->name))
			own = o;
	found.name = name;
	if (own)
		return set_has(own->options, name, &found.has_arg) ? &found : NULL;
	for (const struct fq_cmdline_data *o = fq_cmdline_data; o->version; o++)
		if (set_has(o->options, name, &found.has_arg))
			return &found;
	return NULL;
}

static char *dupe(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void parse_guest(const char *text, struct fq_config *cfg)
{
	char *end;

	if (!strcmp(text, "cooperative")) {
		cfg->guest = FQ_GUEST_COOPERATIVE;
	} else if (!strcmp(text, "absent")) {
		cfg->guest = FQ_GUEST_ABSENT;
	} else if (!strcmp(text, "reject")) {
		cfg->guest = FQ_GUEST_REJECT;
	} else if (!strncmp(text, "slow=", 5)) {
		errno = 0;
		long ms = strtol(text + 5, &end, 10);

		if (errno || *end || end == text + 5 || ms < 0 || ms > 3600000)
			fq_die("-fake-guest %s: slow=MS needs a delay in milliseconds", text);
		cfg->guest = FQ_GUEST_SLOW;
		cfg->guest_delay_ms = (int)ms;
	} else {
		fq_die("-fake-guest %s: expected cooperative, absent, slow=MS or reject", text);
	}
}

static void set_version(const char *text, struct fq_config *cfg)
{
	cfg->dialect = fq_dialect_find(text);
	if (!cfg->dialect)
		fq_die("-fake-version %s: unknown QEMU version (known: %s)", text,
		       fq_dialect_names());
}

/* The fake-specific settings also come from FAKEQEMU_* variables. */
static void read_environment(struct fq_config *cfg)
{
	const char *v;

	if ((v = getenv("FAKEQEMU_VERSION")) && *v)
		set_version(v, cfg);
	if ((v = getenv("FAKEQEMU_GUEST")) && *v)
		parse_guest(v, cfg);
	if ((v = getenv("FAKEQEMU_FAULTS")) && *v)
		cfg->faults_path = strdup(v);
	if ((v = getenv("FAKEQEMU_REPLAY")) && *v)
		cfg->replay_path = strdup(v);
}

static void print_version(const struct fq_config *cfg)
{
	const struct fq_dialect *d = cfg->dialect;

	printf("QEMU emulator version %d.%d.%d (%s)\n"
	       "Copyright (c) 2003-2022 Fabrice Bellard and the QEMU Project developers\n"
	       "(fakeqemu: a fake QEMU for tests, imitating QEMU %s)\n",
	       d->major, d->minor, d->micro, d->package, d->name);
}

void fq_parse_argv(int argc, char **argv, struct fq_config *cfg)
{
	const char *slash = strrchr(argv[0], '/');

	cfg->progname = slash ? slash + 1 : argv[0];
	cfg->dialect = fq_dialect_find("7.2");
	cfg->guest = FQ_GUEST_COOPERATIVE;
	cfg->acpi = true;
	read_environment(cfg);

	/* First pass: the fake's own options, so errors use the right dialect. */
	for (int i = 1; i < argc; i++) {
		const char *name;

		if (argv[i][0] != '-' || i + 1 >= argc)
			continue;
		name = argv[i] + 1 + (argv[i][1] == '-');
		if (!strcmp(name, "fake-version"))
			set_version(argv[++i], cfg);
		else if (!strcmp(name, "fake-guest"))
			parse_guest(argv[++i], cfg);
		else if (!strcmp(name, "fake-faults"))
			cfg->faults_path = strdup(argv[++i]);
		else if (!strcmp(name, "fake-replay"))
			cfg->replay_path = strdup(argv[++i]);
	}

	/*
	 * QEMU's first pass (lookup_opt() over the whole line): an unknown option,
	 * or one missing its argument, stops it before any option takes effect.
	 */
	for (int i = 1; i < argc; i++) {
		const struct option_def *def;

		if (argv[i][0] != '-')
			continue;
		def = lookup(argv[i] + 1 + (argv[i][1] == '-'), cfg);
		if (!def)
			fq_die("%s: invalid option", argv[i]);
		if (def->has_arg && ++i >= argc)
			fq_die("%s: requires an argument", argv[i - 1]);
	}

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *name, *optarg = NULL;
		const struct option_def *def;

		if (arg[0] != '-') {
			/* A bare image name means -hda. */
			continue;
		}
		name = arg + 1;
		if (name[0] == '-')
			name++;
		if (!strcmp(name, "version")) {
			print_version(cfg);
			exit(0);
		}
		def = lookup(name, cfg);
		if (!def)
			fq_die("%s: invalid option", arg);
		if (def->has_arg) {
			if (i + 1 >= argc)
				fq_die("%s: requires an argument", arg);
			optarg = argv[++i];
		}
		if (!strcmp(name, "S")) {
			cfg->start_paused = true;
		} else if (!strcmp(name, "enable-kvm")) {
			free(cfg->accel);
			cfg->accel = strdup("kvm");
		} else if (!strcmp(name, "accel")) {
			struct fq_opts o;
			const char *a;

			fq_opts_parse(optarg, "accel", &o);
			a = fq_opts_get(&o, "accel");
			if (!a || (strcmp(a, "kvm") && strcmp(a, "tcg") && strcmp(a, "qtest") &&
				   strcmp(a, "xen")))
				fq_die("%s %s: invalid accelerator %s", arg, optarg, a ? a : "");
			free(cfg->accel);
			cfg->accel = dupe(a);
			fq_opts_free(&o);
		} else if (!strcmp(name, "object")) {
			fq_object_option(optarg);
		} else if (!strcmp(name, "kernel")) {
			free(cfg->kernel);
			cfg->kernel = strdup(optarg);
		} else if (!strcmp(name, "daemonize")) {
			cfg->daemonize = true;
		} else if (!strcmp(name, "pidfile")) {
			free(cfg->pidfile);
			cfg->pidfile = strdup(optarg);
		} else if (!strcmp(name, "name")) {
			struct fq_opts o;
			char *loc;

			if (asprintf(&loc, "-name %s", optarg) < 0)
				abort();
			fq_opts_parse_noisily(loc, optarg, "guest", &o);
			fq_cmdline_check("name", loc, &o);
			free(loc);
			free(cfg->name);
			cfg->name = dupe(fq_opts_get(&o, "guest"));
			fq_opts_free(&o);
		} else if (!strcmp(name, "uuid")) {
			free(cfg->uuid);
			cfg->uuid = strdup(optarg);
		} else if (!strcmp(name, "machine") || !strcmp(name, "M")) {
			fq_machine_option(optarg, cfg);
		} else if (!strcmp(name, "cpu")) {
			struct fq_opts o;

			fq_opts_parse(optarg, "model", &o);
			free(cfg->cpu_model);
			cfg->cpu_model = dupe(fq_opts_get(&o, "model"));
			free(cfg->cpu_opts);
			cfg->cpu_opts = strdup(optarg);
			fq_opts_free(&o);
		} else if (!strcmp(name, "smp")) {
			fq_machine_smp_option(optarg, cfg);
		} else if (!strcmp(name, "m")) {
			fq_machine_memory_option(optarg, cfg);
		} else if (!strcmp(name, "qmp")) {
			fq_monitor_add_qmp(optarg, false);
		} else if (!strcmp(name, "qmp-pretty")) {
			fq_monitor_add_qmp(optarg, true);
		} else if (!strcmp(name, "chardev")) {
			fq_chardev_option(optarg);
		} else if (!strcmp(name, "monitor")) {
			fq_monitor_add_hmp(optarg);
		} else if (!strcmp(name, "incoming")) {
			free(cfg->incoming);
			cfg->incoming = strdup(optarg);
		} else if (!strcmp(name, "fsdev")) {
			fq_fsdev_option(optarg);
		} else if (!strcmp(name, "netdev")) {
			fq_netdev_option(optarg);
		} else if (!strcmp(name, "add-fd")) {
			fq_add_fd_option(optarg);
		} else if (!strcmp(name, "mon")) {
			fq_monitor_add_mon(optarg);
		} else if (!strcmp(name, "device")) {
			fq_machine_queue_device(optarg);
		} else if (!strcmp(name, "drive")) {
			fq_drive_option(optarg);
		} else if (!strcmp(name, "blockdev")) {
			fq_blockdev_option(optarg);
		} else if (!strcmp(name, "no-acpi")) {
			cfg->acpi = false;
		} else if (fq_cmdline_option(name, optarg)) {
			/* checked as QEMU checks it; nothing more is modelled */
		}
		/* fake-* were taken in the first pass; the rest is accepted as is. */
	}
}
