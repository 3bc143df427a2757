/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* machine.c - the machine model built from the command line: type, CPUs, buses, run state */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block.h"
#include "cpu.h"
#include "numparse.h"
#include "devices.h"
#include "fakeqemu.h"
#include "faults.h"
#include "loop.h"
#include "machine.h"
#include "memory.h"
#include "opts.h"
#include "props.h"
#include "qjson.h"
#include "qomdata.h"
#include "qmp_dispatch.h"
#include "report.h"
#include "since.h"

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
	char *location; /* for errors, when not "-device TEXT" (a -drive's device) */
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

void fq_machine_queue_device_for(const char *arg, const char *location)
{
	struct cold *c;

	queue_cold(arg, true);
	for (c = colds; c->next; c = c->next)
		;
	c->location = strdup(location);
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

static void check_machine_type(void)
{
	char *t;

	if (!bad_machine)
		return;
	t = fq_textf("machine-unsupported", "arg", bad_machine_arg, "type", bad_machine, NULL);
	fq_die("%s", t);
}

/*
 * keyval_parse() of -machine (6.2 on): after the implied type, every key
 * needs a value ("pc,dump-guest-core" is refused, QemuOpts took it as on).
 */
static void check_keyval(const char *arg)
{
	const char *p = arg;
	bool first = true;

	while (*p) {
		size_t len = strcspn(p, "=,");

		if (p[len] != '=' && !(first && len)) {
			if (len)
				fq_die("-machine %s: Expected '=' after parameter '%.*s'", arg,
				       (int)len, p);
		}
		p += len;
		/* The value, ",," escaping a comma. */
		while (*p && !(*p == ',' && p[1] != ',')) {
			if (*p == ',')
				p++;
			p++;
		}
		if (*p == ',')
			p++;
		first = false;
	}
}

void fq_machine_option(const char *arg, struct fq_config *cfg)
{
	struct fq_opts o;
	const char *type, *accel;

	if (fq_since(6, 2))
		check_keyval(arg);
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
	/* acpi=on|off|auto (OnOffAuto): only "off" takes ACPI away, as -no-acpi does. */
	if (fq_opts_get(&o, "acpi"))
		cfg->acpi = strcmp(fq_opts_get(&o, "acpi"), "off") != 0;
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

#define SIZE_HINT                                                                          \
	"Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand "      \
	"exabytes, respectively."

/* qemu_strtosz() with its warn_report() about a suffix on a hex number (6.0 to 8.0). */
static int strtosz_warn(const char *text, uint64_t *out)
{
	bool deprecated = false;
	int ret = fq_strtosz(text, out, &deprecated);

	if (deprecated)
		fq_warn("Using a multiplier suffix on hex numbers is deprecated: %s", text);
	return ret;
}

/* parse_option_size(): QemuOpts' words for a size qemu_strtosz() refuses. */
static uint64_t opts_size(const char *name, const char *text, const char *arg)
{
	uint64_t v = 0;
	int ret = strtosz_warn(text, &v);

	if (ret == -ERANGE)
		fq_die("-m %s: Value '%s' is out of range for parameter '%s'", arg, text, name);
	if (ret)
		fq_die("-m %s: Parameter '%s' expects a non-negative number below 2^64\n" SIZE_HINT,
		       arg, name);
	return v;
}

/* parse_option_number(): qemu_strtou64(), base 0, negative numbers wrap. */
static uint64_t opts_number(const char *name, const char *text, const char *arg)
{
	uint64_t v = 0;
	int ret = fq_strtou64(text, &v);

	if (ret == -ERANGE)
		fq_die("-m %s: Value '%s' is too large for parameter '%s'", arg, text, name);
	if (ret)
		fq_die("-m %s: Parameter '%s' expects a number", arg, name);
	return v;
}

static void set_text(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? strdup(v) : NULL;
}

/*
 * -m [size=]SIZE[,slots=N][,maxmem=SIZE]: QemuOpts checks each pair in
 * order as it is given (with its location); several -m merge, the last key
 * winning. The values against each other come with the machine
 * (check_memory_options()).
 */
void fq_machine_memory_option(const char *arg, struct fq_config *cfg)
{
	struct fq_opts o;

	fq_report_location(NULL);
	set_text(&cfg->mem_text, arg);
	fq_opts_parse(arg, "size", &o);
	{
		char loc[strlen(arg) + 4];

		snprintf(loc, sizeof(loc), "-m %s", arg);
		fq_report_location(loc);
		for (size_t i = 0; i < o.n; i++) {
			const char *k = o.items[i].key, *v = o.items[i].value ? o.items[i].value : "";

			if (!strcmp(k, "size")) {
				cfg->mem_size_bytes = opts_size(k, v, arg);
				set_text(&cfg->mem_size_text, v);
			} else if (!strcmp(k, "slots")) {
				cfg->ram_slots = opts_number(k, v, arg);
				cfg->has_slots = true;
			} else if (!strcmp(k, "maxmem")) {
				cfg->maxmem = opts_size(k, v, arg);
				set_text(&cfg->mem_maxmem_text, v);
				cfg->has_maxmem = true;
			} else {
				fq_die("-m %s: Invalid parameter '%s'", arg, k);
			}
		}
		fq_report_location(NULL);
	}
	fq_opts_free(&o);
}

/* mc->default_ram_size: 128 MiB for pc and q35, nothing for none. */
static uint64_t default_ram_size(void)
{
	return fq_vm.cfg.machine && !strcmp(fq_vm.cfg.machine, "none") ? 0 : 128ULL << 20;
}

/*
 * The machine's "memory" property (7.0 on, machine_set_mem()): -m becomes
 * {"size": "<text>[M]", "max-size": ..., "slots": ...}, parsed again by the
 * QAPI visitor (without a location), then checked.
 */
static void memory_property(void)
{
	struct fq_config *c = &fq_vm.cfg;
	uint64_t size = default_ram_size(), max;
	char maxs[32], sizes[32];

	if (c->mem_size_bytes) {
		size_t len = strlen(c->mem_size_text);
		/* The legacy size without a suffix is in MiB. */
		char *text;

		if (asprintf(&text, "%s%s", c->mem_size_text,
			     len && isdigit((unsigned char)c->mem_size_text[len - 1]) ? "M" : "") < 0)
			abort();

		if (strtosz_warn(text, &size))
			fq_die("%s", fq_textf("prop-size-parse", "name", "memory.size", NULL));
		free(text);
	}
	if (c->has_maxmem && strtosz_warn(c->mem_maxmem_text, &c->maxmem))
		fq_die("%s", fq_textf("prop-size-parse", "name", "memory.max-size", NULL));
	size = (size + 8191) & ~8191ULL;
	max = c->has_maxmem ? c->maxmem : size;
	snprintf(maxs, sizeof(maxs), "0x%" PRIx64, max);
	snprintf(sizes, sizeof(sizes), "0x%" PRIx64, size);
	if (c->has_maxmem && max < size)
		fq_die("%s", fq_textf("mem-maxmem-below-size", "max", maxs, "size", sizes, NULL));
	if (c->has_maxmem && c->has_slots && c->ram_slots && max == size)
		fq_die("%s", fq_textf("mem-maxmem-equal-size", "max", maxs, "size", sizes, NULL));
	if (!c->has_maxmem && c->has_slots)
		fq_die("%s", fq_textf("mem-slots-without-maxmem", NULL));
	c->ram_size = size;
	c->maxmem = max;
	if (!c->has_slots)
		c->ram_slots = 0;
}

/* Before 7.0, set_memory_options(): the -m QemuOpts read back, with its location. */
static void memory_options(void)
{
	struct fq_config *c = &fq_vm.cfg;
	uint64_t size = c->mem_size_bytes, slots = c->has_slots ? c->ram_slots : 0;
	const char *arg = c->mem_text;
	char maxs[32], sizes[32];

	if (c->mem_size_text) {
		size_t len = strlen(c->mem_size_text);

		/* Legacy: no suffix means MiB. */
		if (len && isdigit((unsigned char)c->mem_size_text[len - 1])) {
			if (size > UINT64_MAX >> 20)
				fq_die("%s", fq_textf("mem-size-too-large", "arg", arg, NULL));
			size <<= 20;
		}
	}
	if (!size)
		size = default_ram_size();
	size = (size + 8191) & ~8191ULL;
	c->ram_size = size;
	c->ram_slots = 0;
	if (c->has_maxmem) {
		snprintf(maxs, sizeof(maxs), "0x%" PRIx64, c->maxmem);
		snprintf(sizes, sizeof(sizes), "0x%" PRIx64, size);
		if (c->maxmem < size)
			fq_die("%s", fq_textf("mem-maxmem-below-size", "arg", arg, "max", maxs,
					      "size", sizes, NULL));
		if (slots && c->maxmem == size)
			fq_die("%s", fq_textf("mem-maxmem-equal-size", "arg", arg, "max", maxs,
					      "size", sizes, NULL));
		c->ram_slots = slots;
	} else {
		if (c->has_slots)
			fq_die("%s", fq_textf("mem-slots-without-maxmem", "arg", arg, NULL));
		c->maxmem = size;
	}
}

/* The -m values against each other and the machine's default size. */
static void check_memory_options(void)
{
	if (fq_since(7, 0))
		memory_property();
	else
		memory_options();
}

uint64_t fq_machine_ram_size(void)
{
	return fq_vm.cfg.ram_size;
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
		if (r.err_class && c->location)
			fq_die("%s: %s", c->location, r.err_desc);
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

/* ---- the machine type and its properties ------------------------------------ */

/* The -machine type as query-machines names it ("pc" resolved: "pc-i440fx-7.2"). */
static char *machine_type;
static bool machine_deprecated;

/*
 * The query-machines entry (a flat JSON object) whose @key is @value, found
 * in the recorded text without parsing the whole list (start-up time).
 */
static json_object *machine_entry(const char *text, const char *key, const char *value)
{
	char *needle;
	const char *at, *open, *close;
	json_object *e = NULL;

	if (!text || asprintf(&needle, "\"%s\": \"%s\"", key, value) < 0)
		return NULL;
	at = strstr(text, needle);
	free(needle);
	if (!at)
		return NULL;
	for (open = at; open > text && *open != '{'; open--)
		;
	close = strchr(at, '}');
	if (*open == '{' && close) {
		char *obj = strndup(open, (size_t)(close - open + 1));

		e = obj ? json_tokener_parse(obj) : NULL;
		free(obj);
	}
	return e;
}

static void resolve_machine_type(void)
{
	char *text = fq_rec_json_text(fq_data_recorded_reply("query-machines"));
	struct fq_opts o = {0};
	const char *t = NULL;
	json_object *e, *v;

	if (fq_vm.cfg.machine_arg) {
		fq_opts_parse(fq_vm.cfg.machine_arg, "type", &o);
		t = fq_opts_get(&o, "type");
	}
	if (!t)
		t = fq_vm.cfg.machine;
	e = machine_entry(text, "name", t);
	if (!e)
		e = machine_entry(text, "alias", t);
	if (e && json_object_object_get_ex(e, "name", &v)) {
		machine_type = strdup(json_object_get_string(v));
		machine_deprecated = json_object_object_get_ex(e, "deprecated", &v) &&
				     json_object_get_boolean(v);
	}
	json_object_put(e);
	if (!machine_type) {
		/* A versioned name this QEMU does not have ("pc-1.1" after 6.0). */
		if (text && !bad_machine) {
			bad_machine = strdup(t);
			if (!bad_machine_arg)
				bad_machine_arg = strdup(fq_vm.cfg.machine_arg ? fq_vm.cfg.machine_arg : t);
		}
		machine_type = strdup(t);
	}
	free(text);
	fq_opts_free(&o);
}

const char *fq_machine_type(void)
{
	return machine_type;
}

bool fq_machine_type_older(int major, int minor)
{
	const char *v = machine_type ? strrchr(machine_type, '-') : NULL;
	int ma, mi;

	/* pc-i440fx-X.Y, pc-q35-X.Y, pc-X.Y; unversioned names are the newest. */
	if (!v || sscanf(v + 1, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma < major || (ma == major && mi < minor);
}

/* -machine keys that are not properties of the machine: the accelerator's. */
static bool legacy_machine_key(const char *k)
{
	static const char *const keys[] = {"type", "accel", "kernel_irqchip", "kernel-irqchip",
					   "kvm-shadow-mem", "kvm_shadow_mem", "igd-passthru", NULL};

	for (int i = 0; keys[i]; i++)
		if (!strcmp(k, keys[i]))
			return true;
	return false;
}

/* The QOM type of /machine: "pc-i440fx-7.2-machine". */
static char *machine_qom_type(void)
{
	char *t;

	if (asprintf(&t, "%s-machine", machine_type) < 0)
		abort();
	return t;
}

/* pc_machine_set_max_ram_below_4g(): at most 4 GiB, and a BIOS needs 1 MiB. */
static void check_max_ram_below_4g(const char *text)
{
	uint64_t v = 0;

	fq_strtosz(text, &v, NULL);
	if (v > 4ULL << 30)
		fq_die("Machine option 'max-ram-below-4g=%" PRIu64
		       "' expects size less than or equal to 4G",
		       v);
	if (v < 1ULL << 20)
		fq_warn("Only %" PRIu64 " bytes of RAM below the 4GiB boundary,"
			"BIOS may not work with less than 1MiB",
			v);
}

/*
 * qemu_apply_machine_options() (5.2: machine_set_property()): each other
 * -machine key is a property of the machine type, checked by its recorded
 * type with the version's words (no location).
 */
static void apply_machine_properties(void)
{
	struct fq_opts o;
	char *qt;

	if (!fq_vm.cfg.machine_arg)
		return;
	qt = machine_qom_type();
	fq_opts_parse(fq_vm.cfg.machine_arg, "type", &o);
	for (size_t i = 0; i < o.n; i++) {
		const char *k = o.items[i].key;
		struct fq_prop_info pi;
		struct fq_reply r = {0};
		json_object *v;

		if (legacy_machine_key(k))
			continue;
		if (!fq_prop_find(qt, k, &pi))
			fq_die("%s", fq_textf("prop-not-found", "type", qt, "name", k, NULL));
		v = json_object_new_string(o.items[i].value ? o.items[i].value : "");
		if (!fq_prop_value(&pi, v, FQ_VALUES_OPTS, !fq_since(6, 0), NULL, &r))
			fq_die("%s", r.err_desc);
		json_object_put(v);
		if (!strcmp(k, "max-ram-below-4g"))
			check_max_ram_below_4g(o.items[i].value);
	}
	fq_opts_free(&o);
	free(qt);
}

char *fq_machine_prop_json(const char *name)
{
	struct fq_opts o;
	struct fq_prop_info pi;
	const char *v;
	char *qt, *json = NULL;
	uint64_t n;

	if (!fq_vm.cfg.machine_arg || legacy_machine_key(name))
		return NULL;
	fq_opts_parse(fq_vm.cfg.machine_arg, "type", &o);
	v = fq_opts_get(&o, name);
	qt = machine_qom_type();
	if (v && fq_prop_find(qt, name, &pi)) {
		int b = fq_opts_get_bool(&o, name, false);

		json_object *j = NULL;

		if (!strcmp(pi.type, "bool") && b >= 0)
			j = json_object_new_boolean(b);
		else if (!strcmp(pi.type, "size") && !fq_strtosz(v, &n, NULL))
			j = json_object_new_uint64(n);
		else if (!strncmp(pi.type, "uint", 4) && !fq_strtou64(v, &n))
			j = json_object_new_uint64(n);
		else if (strncmp(pi.type, "int", 3) && strncmp(pi.type, "uint", 4) &&
			 strcmp(pi.type, "size") && strcmp(pi.type, "bool"))
			j = json_object_new_string(v);
		if (j) {
			json = fq_json_to_qemu_string(j);
			json_object_put(j);
		}
	}
	free(qt);
	fq_opts_free(&o);
	return json;
}

void fq_machine_check_type(void)
{
	if (!fq_vm.cfg.machine)
		fq_vm.cfg.machine = strdup("pc");
	if (!bad_machine)
		resolve_machine_type();
	check_machine_type();
}

void fq_machine_configure(void)
{
	struct fq_config *c = &fq_vm.cfg;

	apply_machine_properties();
	check_memory_options();
	resolve_accel(c);
	if (machine_deprecated) {
		/* 5.2 prints it as an error, later versions as a warning (in the text). */
		char *t = fq_textf("machine-deprecated", "type", machine_type, NULL);

		fq_report_timestamp();
		fprintf(stderr, "%s: %s\n", c->progname, t);
		free(t);
	}
	compute_topology();
}

void fq_machine_init(void)
{
	struct fq_config *c = &fq_vm.cfg;

	check_cpu_model();
	init_cpus();
	/* Each boot CPU's realize warns; the AMD one comes once, after the first's. */
	if (fq_vm.ncpu_slots) {
		fq_cpu_warn_features();
		warn_amd_threads();
		for (unsigned i = 1; i < c->cpus; i++)
			fq_cpu_warn_features();
	}
	fq_memory_machine_init();
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
