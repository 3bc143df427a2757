/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* machine.c - the machine model built from the command line: type, CPUs, buses, run state */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block.h"
#include "cpu.h"
#include "devices.h"
#include "fakeqemu.h"
#include "faults.h"
#include "loop.h"
#include "machine.h"
#include "opts.h"
#include "props.h"
#include "qjson.h"
#include "qmp_dispatch.h"

/* -smp as given, before the topology is computed for the dialect. */
static struct {
	bool given;
	char *text;
	bool has_cpus, has_sockets, has_dies, has_cores, has_threads, has_maxcpus;
	unsigned long long cpus, sockets, dies, cores, threads, maxcpus;
} smp;

/* -device and -blockdev, created in command-line order by fq_machine_init(). */
struct cold {
	bool is_device;
	char *text;
	struct cold *next;
};
static struct cold *colds;

static void queue_cold(const char *text, bool is_device)
{
	struct cold *c = calloc(1, sizeof(*c)), **pp;

	if (!c)
		abort();
	c->text = strdup(text);
	c->is_device = is_device;
	for (pp = &colds; *pp; pp = &(*pp)->next)
		;
	*pp = c;
}

void fq_machine_queue_device(const char *arg)
{
	struct fq_opts o;
	const char *id;

	/* QemuOpts refuses a second -device with the same id at parse time. */
	fq_opts_parse(arg, "driver", &o);
	id = fq_opts_get(&o, "id");
	if (id)
		for (struct cold *c = colds; c; c = c->next) {
			struct fq_opts other;
			const char *oid;

			if (!c->is_device)
				continue;
			fq_opts_parse(c->text, "driver", &other);
			oid = fq_opts_get(&other, "id");
			if (oid && !strcmp(oid, id))
				fq_die("-device %s: Duplicate ID '%s' for device", arg, id);
			fq_opts_free(&other);
		}
	fq_opts_free(&o);
	queue_cold(arg, true);
}

void fq_machine_queue_blockdev(const char *arg)
{
	queue_cold(arg, false);
}

/* -drive id=X,file=F,format=raw,if=none: modelled as block node X over a file node. */
void fq_machine_queue_drive(const char *arg)
{
	struct fq_opts o;
	const char *id, *file, *format, *ro;
	json_object *args = json_object_new_object(), *child = json_object_new_object();
	char *text;

	fq_opts_parse(arg, "file", &o);
	id = fq_opts_get(&o, "id");
	file = fq_opts_get(&o, "file");
	format = fq_opts_get(&o, "format");
	ro = fq_opts_get(&o, "readonly");
	if (!id || !file)
		fq_die("-drive %s: fakeqemu models only -drive id=ID,file=PATH[,format=F],if=none",
		       arg);
	json_object_object_add(child, "driver", json_object_new_string("file"));
	json_object_object_add(child, "filename", json_object_new_string(file));
	json_object_object_add(args, "driver", json_object_new_string(format ? format : "raw"));
	json_object_object_add(args, "node-name", json_object_new_string(id));
	json_object_object_add(args, "file", child);
	if (ro && !strcmp(ro, "on"))
		json_object_object_add(args, "read-only", json_object_new_boolean(1));
	text = strdup(json_object_to_json_string_ext(args, JSON_C_TO_STRING_PLAIN));
	queue_cold(text, false);
	free(text);
	json_object_put(args);
	fq_opts_free(&o);
}

/* -cpu must name a model of the imitated version. */
static void check_cpu_model(void)
{
	const char *m = fq_vm.cfg.cpu_model;
	char needle[128];

	if (!m)
		return;
	snprintf(needle, sizeof(needle), " %s ", m);
	if (!strstr(fq_vm.cfg.dialect->data->cpu_models, needle))
		fq_die("unable to find CPU model '%s'", m);
}

/* An unknown -machine type: reported after the command line, as QEMU does. */
static char *bad_machine, *bad_machine_arg;

void fq_machine_check_type(void)
{
	char *t;

	if (!bad_machine)
		return;
	t = fq_textf("machine-unsupported", "arg", bad_machine_arg, "type", bad_machine, NULL);
	fq_die("%s", t);
}

void fq_machine_option(const char *arg, struct fq_config *cfg)
{
	struct fq_opts o;
	const char *type, *accel;

	fq_opts_parse(arg, "type", &o);
	type = fq_opts_get(&o, "type");
	accel = fq_opts_get(&o, "accel");
	if (type) {
		free(bad_machine_arg);
		bad_machine_arg = strdup(arg);
		free(cfg->machine_arg);
		cfg->machine_arg = strdup(arg);
		free(cfg->machine);
		if (!strcmp(type, "pc") || !strncmp(type, "pc-i440fx-", 10) ||
		    !strncmp(type, "pc-", 3) /* pc-1.x etc. */)
			cfg->machine = strdup(!strncmp(type, "pc-q35-", 7) ? "q35" : "pc");
		else if (!strcmp(type, "q35"))
			cfg->machine = strdup("q35");
		else if (!strcmp(type, "none"))
			cfg->machine = strdup("none");
		else if (!strcmp(type, "microvm") || !strcmp(type, "isapc") ||
			 !strcmp(type, "x-remote"))
			fq_die("-machine %s: fakeqemu does not model machine type '%s' (pc, q35 "
			       "and none are modelled)",
			       arg, type);
		else
			bad_machine = strdup(type);
	}
	if (accel) {
		free(cfg->accel);
		cfg->accel = strdup(accel);
	}
	if (fq_opts_get(&o, "nvdimm"))
		cfg->nvdimm = fq_opts_get_bool(&o, "nvdimm", false) == 1;
	fq_opts_free(&o);
}

static bool smp_number(const struct fq_opts *o, const char *key, bool *has, unsigned long long *out,
		       const char *arg)
{
	int r = fq_opts_get_uint(o, key, out);

	if (r == -ENOENT)
		return false;
	if (r < 0)
		fq_die("-smp %s: Parameter '%s' expects a number", arg, key);
	*has = true;
	return true;
}

void fq_machine_smp_option(const char *arg, struct fq_config *cfg)
{
	struct fq_opts o;

	(void)cfg;
	memset(&smp, 0, sizeof(smp));
	smp.given = true;
	smp.text = strdup(arg);
	fq_opts_parse(arg, "cpus", &o);
	smp_number(&o, "cpus", &smp.has_cpus, &smp.cpus, arg);
	smp_number(&o, "sockets", &smp.has_sockets, &smp.sockets, arg);
	smp_number(&o, "dies", &smp.has_dies, &smp.dies, arg);
	smp_number(&o, "cores", &smp.has_cores, &smp.cores, arg);
	smp_number(&o, "threads", &smp.has_threads, &smp.threads, arg);
	smp_number(&o, "maxcpus", &smp.has_maxcpus, &smp.maxcpus, arg);
	fq_opts_free(&o);
}

static unsigned long long parse_size_mb(const char *text, const char *arg)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || v < 0)
		fq_die("-m %s: Parameter 'size' expects a non-negative number below 2^64\nOptional "
		       "suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand "
		       "exabytes, respectively.",
		       arg);
	switch (*end) {
	case '\0':
	case 'M':
	case 'm':
		return (unsigned long long)v;
	case 'G':
	case 'g':
		return (unsigned long long)(v * 1024);
	case 'T':
	case 't':
		return (unsigned long long)(v * 1024 * 1024);
	case 'K':
	case 'k':
		return (unsigned long long)(v / 1024);
	default:
		fq_die("-m %s: Parameter 'size' expects a non-negative number below 2^64\nOptional "
		       "suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand "
		       "exabytes, respectively.",
		       arg);
	}
}

void fq_machine_memory_option(const char *arg, struct fq_config *cfg)
{
	struct fq_opts o;
	const char *size;

	unsigned long long slots;
	const char *maxmem;

	fq_opts_parse(arg, "size", &o);
	size = fq_opts_get(&o, "size");
	if (size)
		cfg->ram_mb = parse_size_mb(size, arg);
	/* Memory hot-plug: DIMM slots and the most RAM with the hot-plugged part. */
	if (fq_opts_get_uint(&o, "slots", &slots) == 0)
		cfg->ram_slots = (unsigned)slots;
	maxmem = fq_opts_get(&o, "maxmem");
	if (maxmem)
		cfg->maxmem_mb = parse_size_mb(maxmem, arg);
	fq_opts_free(&o);
}

/* ---- CPU topology ---------------------------------------------------------- */

static unsigned bits_for(unsigned n)
{
	unsigned b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

unsigned fq_x86_apic_id(int socket, int die, int core, int thread)
{
	const struct fq_config *c = &fq_vm.cfg;
	unsigned smt = bits_for(c->threads), cw = bits_for(c->cores), dw = bits_for(c->dies);

	return ((unsigned)socket << (smt + cw + dw)) | ((unsigned)die << (smt + cw)) |
	       ((unsigned)core << smt) | (unsigned)thread;
}

/* cpu_hierarchy_to_string(): the version's (10.0 adds modules). */
static const char *hierarchy(unsigned sockets, unsigned dies, unsigned cores, unsigned threads)
{
	static char buf[200];
	char s[16], d[16], c[16], t[16], *text;

	snprintf(s, sizeof(s), "%u", sockets);
	snprintf(d, sizeof(d), "%u", dies);
	snprintf(c, sizeof(c), "%u", cores);
	snprintf(t, sizeof(t), "%u", threads);
	text = fq_textf("smp-hierarchy", "sockets", s, "dies", d, "cores", c, "threads", t, NULL);
	snprintf(buf, sizeof(buf), "%s", text);
	free(text);
	return buf;
}

/* QEMU 5.2's pc_smp_parse(): sockets first, and its own messages. */
static void compute_topology_52(void)
{
	struct fq_config *c = &fq_vm.cfg;
	unsigned cpus = smp.has_cpus ? (unsigned)smp.cpus : 0;
	unsigned sockets = smp.has_sockets ? (unsigned)smp.sockets : 0;
	unsigned dies = smp.has_dies ? (unsigned)smp.dies : 1;
	unsigned cores = smp.has_cores ? (unsigned)smp.cores : 0;
	unsigned threads = smp.has_threads ? (unsigned)smp.threads : 0;
	unsigned maxcpus;

	if (!smp.given) {
		cpus = 1;
		sockets = cores = threads = 1;
	} else if (cpus == 0 || sockets == 0) {
		cores = cores ? cores : 1;
		threads = threads ? threads : 1;
		if (cpus == 0) {
			sockets = sockets ? sockets : 1;
			cpus = cores * threads * dies * sockets;
		} else {
			maxcpus = smp.has_maxcpus ? (unsigned)smp.maxcpus : cpus;
			sockets = maxcpus / (cores * threads * dies);
		}
	} else if (cores == 0) {
		threads = threads ? threads : 1;
		cores = cpus / (sockets * dies * threads);
		cores = cores ? cores : 1;
	} else if (threads == 0) {
		threads = cpus / (cores * dies * sockets);
		threads = threads ? threads : 1;
	} else if (sockets * dies * cores * threads < cpus) {
		fq_die("cpu topology: sockets (%u) * dies (%u) * cores (%u) * threads (%u) < "
		       "smp_cpus (%u)",
		       sockets, dies, cores, threads, cpus);
	}
	maxcpus = smp.has_maxcpus ? (unsigned)smp.maxcpus : cpus;
	if (maxcpus < cpus)
		fq_die("maxcpus must be equal to or greater than smp");
	if (sockets * dies * cores * threads != maxcpus)
		fq_die("Invalid CPU topology deprecated: sockets (%u) * dies (%u) * cores (%u) * "
		       "threads (%u) != maxcpus (%u)",
		       sockets, dies, cores, threads, maxcpus);
	c->cpus = cpus;
	c->sockets = sockets;
	c->dies = dies;
	c->cores = cores;
	c->threads = threads;
	c->maxcpus = maxcpus;
}

/* QEMU 6.2+ machine_parse_smp_config(). */
static void compute_topology(void)
{
	struct fq_config *c = &fq_vm.cfg;
	unsigned cpus = smp.has_cpus ? (unsigned)smp.cpus : 0;
	unsigned sockets = smp.has_sockets ? (unsigned)smp.sockets : 0;
	unsigned dies = smp.has_dies ? (unsigned)smp.dies : 0;
	unsigned cores = smp.has_cores ? (unsigned)smp.cores : 0;
	unsigned threads = smp.has_threads ? (unsigned)smp.threads : 0;
	unsigned maxcpus = smp.has_maxcpus ? (unsigned)smp.maxcpus : 0;
	bool prefer_sockets = c->dialect->prefer_sockets;
	if (c->dialect->smp_style == 0) {
		compute_topology_52();
		return;
	}
	if ((smp.has_cpus && !cpus) || (smp.has_sockets && !sockets) || (smp.has_dies && !dies) ||
	    (smp.has_cores && !cores) || (smp.has_threads && !threads) ||
	    (smp.has_maxcpus && !maxcpus))
		fq_die("Invalid CPU topology: CPU topology parameters must be greater than zero");
	dies = dies ? dies : 1;
	if (cpus == 0 && maxcpus == 0) {
		sockets = sockets ? sockets : 1;
		cores = cores ? cores : 1;
		threads = threads ? threads : 1;
	} else {
		maxcpus = maxcpus ? maxcpus : cpus;
		if (prefer_sockets) {
			if (sockets == 0) {
				cores = cores ? cores : 1;
				threads = threads ? threads : 1;
				sockets = maxcpus / (dies * cores * threads);
			} else if (cores == 0) {
				threads = threads ? threads : 1;
				cores = maxcpus / (sockets * dies * threads);
			}
		} else {
			if (cores == 0) {
				sockets = sockets ? sockets : 1;
				threads = threads ? threads : 1;
				cores = maxcpus / (sockets * dies * threads);
			} else if (sockets == 0) {
				threads = threads ? threads : 1;
				sockets = maxcpus / (dies * cores * threads);
			}
		}
		if (threads == 0)
			threads = maxcpus / (sockets * dies * cores);
	}
	maxcpus = maxcpus ? maxcpus : sockets * dies * cores * threads;
	cpus = cpus ? cpus : maxcpus;

	if (sockets * dies * cores * threads != maxcpus)
		fq_die("Invalid CPU topology: product of the hierarchy must match maxcpus: %s != "
		       "maxcpus (%u)",
		       hierarchy(sockets, dies, cores, threads), maxcpus);
	if (maxcpus < cpus)
		fq_die("Invalid CPU topology: maxcpus must be equal to or greater than smp: %s == "
		       "maxcpus (%u) < smp_cpus (%u)",
		       hierarchy(sockets, dies, cores, threads), maxcpus, cpus);
	if (maxcpus > 255 && strcmp(c->machine, "none") != 0)
		fq_die("Invalid SMP CPUs %u. The max CPUs supported by machine '%s' is 255",
		       maxcpus, !strcmp(c->machine, "q35") ? "pc-q35-7.2" : "pc-i440fx-7.2");
	c->cpus = cpus;
	c->sockets = sockets;
	c->dies = dies;
	c->cores = cores;
	c->threads = threads;
	c->maxcpus = maxcpus;
}

static char *cpu_type_name(const char *model)
{
	char *t;

	if (asprintf(&t, "%s-x86_64-cpu", model) < 0)
		abort();
	return t;
}

static void init_cpus(void)
{
	const struct fq_config *c = &fq_vm.cfg;
	int n = (int)c->maxcpus;

	fq_vm.cpu_type = cpu_type_name(c->cpu_model ? c->cpu_model : "qemu64");
	if (!strcmp(c->machine, "none"))
		return; /* -machine none has no CPUs to hot-plug */
	fq_vm.cpu_slots = calloc((size_t)n, sizeof(*fq_vm.cpu_slots));
	fq_vm.ncpu_slots = n;
	for (int i = 0; i < n; i++) {
		struct fq_cpu_slot *s = &fq_vm.cpu_slots[i];

		s->thread = i % (int)c->threads;
		s->core = i / (int)c->threads % (int)c->cores;
		s->die = i / (int)(c->threads * c->cores) % (int)c->dies;
		s->socket = i / (int)(c->threads * c->cores * c->dies);
		if (i < (int)c->cpus) {
			/* The first boot CPU is device[0]; something else takes device[1]. */
			s->boot = true;
			if (asprintf(&s->qom_path, "/machine/unattached/device[%d]",
				     i == 0 ? 0 : i + 1) < 0)
				abort();
		}
	}
	fq_vm.unattached = (int)c->cpus + 1;
}

static struct fq_pci_bus *add_root_bus(const char *name, bool hotpluggable)
{
	struct fq_pci_bus *b = calloc(1, sizeof(*b));

	if (!b)
		abort();
	b->name = strdup(name);
	b->hotpluggable = hotpluggable;
	fq_vm.pci_buses = b;
	return b;
}

static void create_cold_devices(void)
{
	for (struct cold *c = colds; c; c = c->next) {
		struct fq_reply r = {0};

		if (c->is_device)
			fq_device_add_cmdline(c->text, &r);
		else
			fq_blockdev_add_cmdline(c->text, &r);
		if (r.err_class)
			fq_die("-%s %s: %s", c->is_device ? "device" : "blockdev", c->text,
			       r.err_desc);
		json_object_put(r.ret);
	}
}

static bool host_is_amd(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];
	bool amd = false;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "vendor_id", 9)) {
			amd = strstr(line, "AuthenticAMD") != NULL;
			break;
		}
	if (f)
		fclose(f);
	return amd;
}

/* qemu64 (the default) and the AMD models warn about threads without topoext. */
static void warn_amd_threads(void)
{
	const char *m = fq_vm.cfg.cpu_model ? fq_vm.cfg.cpu_model : "qemu64";

	if (fq_vm.cfg.threads < 2 || !fq_vm.ncpu_slots)
		return;
	/* "max" and "host" take the host's vendor. */
	if (!strcmp(m, "max") || !strcmp(m, "host")) {
		if (!host_is_amd())
			return;
	} else if (strcmp(m, "qemu64") && strcmp(m, "phenom") && strcmp(m, "athlon") &&
		   strncmp(m, "Opteron", 7) && strncmp(m, "EPYC", 4)) {
		return;
	}
	{
		char threads[16], *text;

		snprintf(threads, sizeof(threads), "%u", fq_vm.cfg.threads);
		text = fq_textf("amd-ht-warning", "threads", threads, NULL);
		fprintf(stderr, "%s: warning: %s\n", fq_vm.cfg.progname, text);
		free(text);
	}
}

/*
 * "-machine accel=kvm:tcg" (libvirt's probe) takes the first accelerator
 * that initialises: KVM when /dev/kvm opens, as QEMU's accel_init_machine().
 */
static void resolve_accel(struct fq_config *c)
{
	char *list = c->accel ? c->accel : strdup("tcg"), *save = NULL;
	const char *chosen = "tcg";

	for (char *a = strtok_r(list, ":", &save); a; a = strtok_r(NULL, ":", &save)) {
		int fd;

		if (strcmp(a, "kvm") != 0) {
			chosen = a;
			break;
		}
		fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			chosen = "kvm";
			break;
		}
	}
	c->accel = strdup(chosen);
	free(list);
}

void fq_machine_init(void)
{
	struct fq_config *c = &fq_vm.cfg;

	fq_machine_check_type();
	check_cpu_model();
	if (!c->machine)
		c->machine = strdup("pc");
	resolve_accel(c);
	compute_topology();
	init_cpus();
	/* Each boot CPU's realize warns; the AMD one comes once, after the first's. */
	if (fq_vm.ncpu_slots) {
		fq_cpu_warn_features();
		warn_amd_threads();
		for (unsigned i = 1; i < c->cpus; i++)
			fq_cpu_warn_features();
	}
	if (!strcmp(c->machine, "pc"))
		fq_pci_add_builtin(add_root_bus("pci.0", true), "pc");
	else if (!strcmp(c->machine, "q35"))
		fq_pci_add_builtin(add_root_bus("pcie.0", false), "q35");
	fq_vm.state = FQ_PRELAUNCH;
	create_cold_devices();
	if (c->kernel && strcmp(c->machine, "none") != 0 && access(c->kernel, R_OK) < 0) {
		/* x86_load_linux() reports with a fixed "qemu:" prefix. */
		fprintf(stderr, "qemu: could not open kernel file '%s': %s\n", c->kernel,
			strerror(errno));
		exit(1);
	}
}

void fq_machine_start(void)
{
	if (!fq_vm.cfg.start_paused) {
		fq_vm.state = FQ_RUNNING;
		fq_vm.ever_ran = true;
		fq_vm.run_started_ms = fq_loop_now_ms();
	}
}

void fq_vm_set_running(bool running)
{
	if (running) {
		if (fq_vm.state == FQ_RUNNING)
			return;
		fq_vm.state = FQ_RUNNING;
		fq_vm.ever_ran = true;
		fq_vm.run_started_ms = fq_loop_now_ms();
		fq_event("RESUME", NULL);
		fq_guest_resumed();
	} else {
		/* stop in prelaunch: no event, the state stays prelaunch. */
		if (fq_vm.state != FQ_RUNNING)
			return;
		fq_vm.vclock_base_ms = fq_vclock_ms();
		fq_vm.run_started_ms = -1;
		fq_vm.state = FQ_PAUSED;
		fq_event("STOP", NULL);
	}
}

void fq_vm_shutdown(const char *reason, bool guest)
{
	json_object *data = json_object_new_object();

	json_object_object_add(data, "guest", json_object_new_boolean(guest));
	json_object_object_add(data, "reason", json_object_new_string(reason));
	fq_event("SHUTDOWN", data);
	fq_vm.state = FQ_SHUTDOWN;
}

struct fq_device *fq_device_by_id(const char *id)
{
	for (struct fq_device *d = fq_vm.devices; d; d = d->next)
		if (d->id && !strcmp(d->id, id))
			return d;
	return NULL;
}

struct fq_device *fq_device_by_path(const char *qom_path)
{
	for (struct fq_device *d = fq_vm.devices; d; d = d->next)
		if (d->qom_path && !strcmp(d->qom_path, qom_path))
			return d;
	return NULL;
}

struct fq_pci_bus *fq_pci_bus_by_name(const char *name)
{
	for (struct fq_pci_bus *b = fq_vm.pci_buses; b; b = b->next)
		if (!strcmp(b->name, name))
			return b;
	return NULL;
}

struct fq_block_node *fq_node_by_name(const char *name)
{
	for (struct fq_block_node *n = fq_vm.nodes; n; n = n->next)
		if (!strcmp(n->node_name, name))
			return n;
	return NULL;
}

/* ---- x-fakeqemu-state -------------------------------------------------------- */

static const char *runstate_name(enum fq_runstate s)
{
	switch (s) {
	case FQ_PRELAUNCH:
		return "prelaunch";
	case FQ_RUNNING:
		return "running";
	case FQ_PAUSED:
		return "paused";
	case FQ_SHUTDOWN:
		return "shutdown";
	case FQ_INMIGRATE:
		return "inmigrate";
	case FQ_POSTMIGRATE:
		return "postmigrate";
	}
	return "unknown";
}

static const char *guest_name(enum fq_guest_kind g)
{
	switch (g) {
	case FQ_GUEST_COOPERATIVE:
		return "cooperative";
	case FQ_GUEST_ABSENT:
		return "absent";
	case FQ_GUEST_SLOW:
		return "slow";
	case FQ_GUEST_REJECT:
		return "reject";
	}
	return "unknown";
}

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

json_object *fq_machine_state_json(void)
{
	const struct fq_config *c = &fq_vm.cfg;
	json_object *o = json_object_new_object(), *cpus = json_object_new_array();
	json_object *devs = json_object_new_array(), *buses = json_object_new_array();
	json_object *nodes = json_object_new_array(), *topo = json_object_new_object();

	json_object_object_add(o, "version", json_object_new_string(c->dialect->name));
	json_object_object_add(o, "machine", json_object_new_string(c->machine));
	json_object_object_add(o, "accel", json_object_new_string(c->accel));
	json_object_object_add(o, "guest", json_object_new_string(guest_name(c->guest)));
	json_object_object_add(o, "status", json_object_new_string(runstate_name(fq_vm.state)));
	json_object_object_add(o, "ever-ran", json_object_new_boolean(fq_vm.ever_ran));
	json_object_object_add(topo, "cpus", json_object_new_int((int)c->cpus));
	json_object_object_add(topo, "sockets", json_object_new_int((int)c->sockets));
	json_object_object_add(topo, "dies", json_object_new_int((int)c->dies));
	json_object_object_add(topo, "cores", json_object_new_int((int)c->cores));
	json_object_object_add(topo, "threads", json_object_new_int((int)c->threads));
	json_object_object_add(topo, "maxcpus", json_object_new_int((int)c->maxcpus));
	json_object_object_add(o, "smp", topo);
	json_object_object_add(o, "cpu-type", json_object_new_string(fq_vm.cpu_type));

	for (int i = 0; i < fq_vm.ncpu_slots; i++) {
		const struct fq_cpu_slot *s = &fq_vm.cpu_slots[i];
		json_object *e = json_object_new_object();

		json_object_object_add(e, "index", json_object_new_int(i));
		json_object_object_add(e, "socket-id", json_object_new_int(s->socket));
		json_object_object_add(e, "core-id", json_object_new_int(s->core));
		json_object_object_add(e, "thread-id", json_object_new_int(s->thread));
		json_object_object_add(e, "plugged",
				       json_object_new_boolean(s->boot || s->cpu != NULL));
		json_object_object_add(e, "boot", json_object_new_boolean(s->boot));
		json_object_object_add(e, "id", str_or_null(s->cpu ? s->cpu->id : NULL));
		json_object_array_add(cpus, e);
	}
	json_object_object_add(o, "cpus", cpus);

	for (struct fq_pci_bus *b = fq_vm.pci_buses; b; b = b->next) {
		json_object *e = json_object_new_object(), *slots = json_object_new_object();

		json_object_object_add(e, "name", json_object_new_string(b->name));
		json_object_object_add(e, "hotpluggable", json_object_new_boolean(b->hotpluggable));
		for (int s = 0; s < 32; s++) {
			for (int f = 0; f < 8; f++) {
				const struct fq_device *d = b->slots[s][f];
				char key[16];

				if (!d)
					continue;
				snprintf(key, sizeof(key), "%02x.%d", s, f);
				json_object_object_add(
				    slots, key, json_object_new_string(d->id ? d->id : d->driver));
			}
		}
		json_object_object_add(e, "slots", slots);
		json_object_array_add(buses, e);
	}
	json_object_object_add(o, "pci-buses", buses);

	for (struct fq_device *d = fq_vm.devices; d; d = d->next) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "id", str_or_null(d->id));
		json_object_object_add(e, "driver", json_object_new_string(d->driver));
		json_object_object_add(e, "qom-path", json_object_new_string(d->qom_path));
		json_object_object_add(e, "hotplugged", json_object_new_boolean(d->hotplugged));
		json_object_object_add(e, "unplug-pending",
				       json_object_new_boolean(d->unplug_pending));
		if (d->bus) {
			json_object_object_add(e, "bus", json_object_new_string(d->bus->name));
			json_object_object_add(e, "slot", json_object_new_int(d->slot));
			json_object_object_add(e, "function", json_object_new_int(d->function));
		}
		if (d->scsi_controller) {
			json_object_object_add(e, "scsi-id", json_object_new_int(d->scsi_id));
			json_object_object_add(e, "lun", json_object_new_int(d->lun));
		}
		if (d->drive)
			json_object_object_add(e, "drive",
					       json_object_new_string(d->drive->node_name));
		if (d->host)
			json_object_object_add(e, "host", json_object_new_string(d->host));
		if (d->kind == FQ_DEV_CPU)
			json_object_object_add(e, "cpu-index", json_object_new_int(d->cpu_index));
		json_object_array_add(devs, e);
	}
	json_object_object_add(o, "devices", devs);

	for (struct fq_block_node *n = fq_vm.nodes; n; n = n->next) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "node-name", json_object_new_string(n->node_name));
		json_object_object_add(e, "driver", json_object_new_string(n->driver));
		json_object_object_add(e, "filename", str_or_null(n->filename));
		json_object_object_add(e, "file", str_or_null(n->file ? n->file->node_name : NULL));
		json_object_object_add(
		    e, "device",
		    str_or_null(n->device ? (n->device->id ? n->device->id : n->device->qom_path)
					  : NULL));
		json_object_object_add(e, "read-only", json_object_new_boolean(n->read_only));
		json_object_array_add(nodes, e);
	}
	json_object_object_add(o, "block-nodes", nodes);
	json_object_object_add(o, "block-backends", fq_block_state_json());
	json_object_object_add(o, "faults", fq_faults_rules_json());
	return o;
}
