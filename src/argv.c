/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* argv.c - a resolved VM configuration to QEMU's command line (no shell, ",," escaping) */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "argv.h"
#include "cleanup.h"
#include "devspec.h"
#include "error.h"
#include "names.h"

/* amd64 kernel parameters, as kata's qemu_amd64.go. */
static const char *const amd64_params[][2] = {
    {"tsc", "reliable"},	 {"no_timer_check", NULL}, {"rcupdate.rcu_expedited", "1"},
    {"i8042.direct", "1"},	 {"i8042.dumbkbd", "1"},   {"i8042.nopnp", "1"},
    {"i8042.noaux", "1"},	 {"noreplace-smp", NULL},  {"reboot", "k"},
    {"console", "hvc0"},	 {"console", "hvc1"},	   {"iommu", "off"},
    {"cryptomgr.notests", NULL}, {"net.ifnames", "0"},	   {"pci", "lastbus=0"},
};

/* The root file system on the NVDIMM image, when there is no initrd. */
static const char *const image_root_params[][2] = {
    {"root", "/dev/pmem0p1"},
    {"rootflags", "dax,data=ordered,errors=remount-ro"},
    {"ro", NULL},
    {"rootfstype", "ext4"},
};

/*
 * The argv being built. Every value that comes from the configuration, the
 * state or the host is escaped (esc()) before it is formatted into an option
 * string; the escaped copies live in @kept until the argv is done. A failed
 * allocation anywhere sets @failed and the build fails as a whole.
 */
struct args {
	char **v;
	size_t n, cap;
	char **kept;
	size_t nkept, capkept;
	int failed;
};

static void push(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void push(struct args *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (a->failed)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s) {
		a->failed = -ENOMEM;
		return;
	}
	if (a->n + 2 > a->cap) {
		char **v = realloc(a->v, (a->cap = a->cap * 2 + 32) * sizeof(char *));

		if (!v) {
			free(s);
			a->failed = -ENOMEM;
			return;
		}
		a->v = v;
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

void qd_argv_free(char **argv)
{
	for (char **p = argv; p && *p; p++)
		free(*p);
	free(argv);
}

/* One "key[=value]" parameter, quoted when the value has a space. */
static int add_param(char **line, size_t *len, const char *key, const char *value, qd_error *err)
{
	char *p;
	int n;

	if (value && strchr(value, '"'))
		return qd_error_set(err, -EINVAL,
				    "kernel parameter %s: a value cannot contain a double quote",
				    key);
	if (strchr(key, ' ') || strchr(key, '"') || !*key)
		return qd_error_set(err, -EINVAL, "kernel parameter name '%s' is not valid", key);
	if (!value)
		n = asprintf(&p, "%s%s%s", *line ? *line : "", *line ? " " : "", key);
	else if (strchr(value, ' ') || strchr(value, '\t'))
		n = asprintf(&p, "%s%s%s=\"%s\"", *line ? *line : "", *line ? " " : "", key, value);
	else
		n = asprintf(&p, "%s%s%s=%s", *line ? *line : "", *line ? " " : "", key, value);
	if (n < 0)
		return qd_error_set(err, -ENOMEM, "out of memory");
	free(*line);
	*line = p;
	*len = (size_t)n;
	return 0;
}

/* The user's "k=v k2 k3=\"a b\"" string, split as the kernel does. */
static int add_user_params(char **line, size_t *len, const char *text, qd_error *err)
{
	const char *p = text;

	while (*p) {
		_cleanup_free_ char *tok = NULL, *key = NULL;
		const char *start, *eq;
		bool quoted = false;
		size_t n;
		int r;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && (quoted || (*p != ' ' && *p != '\t'))) {
			if (*p == '"')
				quoted = !quoted;
			p++;
		}
		if (quoted)
			return qd_error_set(err, -EINVAL, "kernel_params: unbalanced quote in '%s'",
					    start);
		n = (size_t)(p - start);
		tok = strndup(start, n);
		if (!tok)
			return qd_error_set(err, -ENOMEM, "out of memory");
		eq = strchr(tok, '=');
		if (eq) {
			char *val = strdup(eq + 1);
			size_t vl;

			key = strndup(tok, (size_t)(eq - tok));
			if (!key || !val) {
				free(val);
				return qd_error_set(err, -ENOMEM, "out of memory");
			}
			vl = strlen(val);
			if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
				memmove(val, val + 1, vl - 2);
				val[vl - 2] = '\0';
			}
			r = add_param(line, len, key, val, err);
			free(val);
		} else {
			r = add_param(line, len, tok, NULL, err);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int qd_kernel_cmdline(const struct qd_vm_config *cfg, char **out, qd_error *err)
{
	char *line = NULL, nr[16];
	size_t len = 0;
	int r = 0;

	for (size_t i = 0; !r && i < sizeof(amd64_params) / sizeof(amd64_params[0]); i++)
		r = add_param(&line, &len, amd64_params[i][0], amd64_params[i][1], err);
	if (!r)
		r = add_param(&line, &len, cfg->debug ? "debug" : "quiet", NULL, err);
	if (!cfg->initrd && cfg->image)
		for (size_t i = 0;
		     !r && i < sizeof(image_root_params) / sizeof(image_root_params[0]); i++)
			r = add_param(&line, &len, image_root_params[i][0], image_root_params[i][1],
				      err);
	if (!r)
		r = add_param(&line, &len, "panic", "1", err);
	if (!r)
		r = add_param(&line, &len, "initcall_debug", NULL, err);
	snprintf(nr, sizeof(nr), "%u", cfg->max_vcpus);
	if (!r)
		r = add_param(&line, &len, "nr_cpus", nr, err);
	/* The kernel honours the last value: the user's come last and win. */
	if (!r && cfg->kernel_params)
		r = add_user_params(&line, &len, cfg->kernel_params, err);
	if (r < 0) {
		free(line);
		return r;
	}
	*out = line;
	return 0;
}

/*
 * esc() - @v escaped for QEMU's "key=value,..." syntax (every ',' doubled),
 * kept until the argv is freed. On allocation failure the build is marked
 * failed and "" stands in, so the caller's format needs no check.
 */
static const char *esc(struct args *a, const char *v)
{
	char *s;

	if (a->failed)
		return "";
	if (a->nkept == a->capkept) {
		char **k = realloc(a->kept, (a->capkept = a->capkept * 2 + 16) * sizeof(char *));

		if (!k) {
			a->failed = -ENOMEM;
			return "";
		}
		a->kept = k;
	}
	s = qd_escape_opt(v ? v : "");
	if (!s) {
		a->failed = -ENOMEM;
		return "";
	}
	a->kept[a->nkept++] = s;
	return s;
}

static void args_release_kept(struct args *a)
{
	for (size_t i = 0; i < a->nkept; i++)
		free(a->kept[i]);
	free(a->kept);
	a->kept = NULL;
	a->nkept = a->capkept = 0;
}

/* Every part of a device spec as its option and value (devspec_opts.c escapes the values). */
static void push_spec(struct args *a, struct qd_spec *spec, int r)
{
	if (r < 0) {
		a->failed = r;
		return;
	}
	for (size_t i = 0; i < spec->n; i++) {
		char *opts = qd_part_to_opts(&spec->part[i]);

		if (!opts) {
			a->failed = -ENOMEM;
			break;
		}
		push(a, "%s", qd_part_option(spec->part[i].kind));
		push(a, "%s", opts);
		free(opts);
	}
	qd_spec_clear(spec);
}

/* A cold-plugged device: the same spec (devspec.c) a hot-plug of its kind sends QEMU. */
static void append_device(struct args *a, const struct qd_device *d, const struct qd_vm_config *cfg,
			  const struct qd_spec_host *host)
{
	struct qd_spec spec = {0};
	int r = 0;

	switch (d->kind) {
	case QD_DEVICE_9P:
		r = qd_spec_9p(d->id, d->path, d->tag, host, &spec);
		break;
	case QD_DEVICE_SERIAL:
		r = qd_spec_serial(d->id, d->path, d->tag, &spec);
		break;
	case QD_DEVICE_TAP: {
		const struct qd_spec_nic nic = {
		    .id = d->id, .mac = d->mac, .queues = 1, .ifname = d->ifname, .vhost = true};

		r = qd_spec_nic(&nic, NULL, host, &spec);
		break;
	}
	case QD_DEVICE_DRIVE: {
		const struct qd_block_device disk = {
		    .id = d->id, .path = d->path, .format = d->format, .read_only = d->read_only};

		if (cfg->block_driver == QD_BLOCK_VIRTIO_SCSI)
			r = qd_spec_scsi_disk(&disk, NULL, &spec);
		else
			r = qd_spec_virtio_disk(&disk, NULL, host, &spec);
		break;
	}
	case QD_DEVICE_VFIO:
		r = qd_spec_vfio(d->id, d->bdf, NULL, &spec);
		break;
	case QD_DEVICE_VHOST_USER:
		r = qd_spec_vhost_user(d->id, d->path, d->tag, d->mac, &spec);
		break;
	}
	push_spec(a, &spec, r);
}

int qd_build_argv(const struct qd_vm_config *cfg, const struct qd_launch_params *lp, char ***out,
		  qd_error *err)
{
	struct args a = {0};
	_cleanup_free_ char *cmdline = NULL;
	const char *root_bus = cfg->machine == QD_MACHINE_Q35 ? "pcie.0" : "pci.0";
	bool kvm = !strcmp(cfg->accel, "kvm"), needs_shared = false;
	const struct qd_spec_host host = {.nested_kvm = lp->nested && kvm};
	struct qd_spec spec = {0};
	int r;

	for (size_t i = 0; i < cfg->ndevices; i++)
		needs_shared |= cfg->devices[i].kind == QD_DEVICE_VHOST_USER;

	*out = NULL;
	if (cfg->kernel) {
		r = qd_kernel_cmdline(cfg, &cmdline, err);
		if (r < 0)
			return r;
	}

	push(&a, "%s", lp->qemu);
	/* "guest=" always: a name with '=' must not become a -name sub-option. */
	push(&a, "-name");
	if (cfg->name)
		push(&a, "guest=%s", esc(&a, cfg->name));
	else
		push(&a, "guest=sandbox-%s", esc(&a, cfg->id));
	push(&a, "-uuid");
	push(&a, "%s", lp->uuid);
	/* machine_options and cpu_features are sub-option lists by design: not escaped. */
	push(&a, "-machine");
	push(&a, "%s,accel=%s%s%s%s%s", cfg->machine == QD_MACHINE_Q35 ? "q35" : "pc",
	     esc(&a, cfg->accel), kvm ? ",kernel_irqchip=on" : "",
	     cfg->image && !cfg->initrd ? ",nvdimm=on" : "", cfg->machine_options ? "," : "",
	     cfg->machine_options ? cfg->machine_options : "");

	/* The CPU model (a plain name: checked), with the nesting workaround where it applies. */
	push(&a, "-cpu");
	push(&a, "%s%s%s%s", cfg->cpu_model,
	     lp->nested && kvm && !strcmp(cfg->cpu_model, "host") ? ",-arch-capabilities,pmu=off"
								  : "",
	     cfg->cpu_features ? "," : "", cfg->cpu_features ? cfg->cpu_features : "");

	if (lp->qmp_fd >= 0) {
		push(&a, "-chardev");
		push(&a, "socket,id=" QD_ID_QMP_CHAR ",fd=%d,server=on,wait=off", lp->qmp_fd);
		push(&a, "-mon");
		push(&a, "chardev=" QD_ID_QMP_CHAR ",mode=control");
	} else if (!strchr(lp->qmp_path, '=')) {
		push(&a, "-qmp");
		push(&a, "unix:%s,server=on,wait=off", esc(&a, lp->qmp_path));
	} else {
		/* -qmp unix:PATH takes "a=b" in PATH for a key: the long form has path= itself. */
		push(&a, "-chardev");
		push(&a, "socket,id=" QD_ID_QMP_CHAR ",path=%s,server=on,wait=off",
		     esc(&a, lp->qmp_path));
		push(&a, "-mon");
		push(&a, "chardev=" QD_ID_QMP_CHAR ",mode=control");
	}
	push(&a, "-m");
	push(&a, "%uM,slots=%u,maxmem=%lluM", cfg->memory_mb, cfg->memory_slots,
	     cfg->max_memory_mb);

	/* Bridges first, so they take the first free slots on the root bus. */
	for (size_t i = 0; lp->state && i < lp->state->nbridges; i++) {
		const struct qd_bridge *b = &lp->state->bridges[i];

		push_spec(&a, &spec, qd_spec_bridge(b->id, root_bus, b->chassis, b->addr, &spec));
	}
	push_spec(&a, &spec, qd_spec_serial_controller(&host, &spec));
	push_spec(&a, &spec, qd_spec_console(lp->console_path, &spec));
	if (cfg->image && !cfg->initrd) {
		struct stat st;

		if (stat(cfg->image, &st) < 0) {
			r = qd_error_set(err, -errno, "image %s: %s", cfg->image, strerror(errno));
			goto fail;
		}
		push(&a, "-device");
		push(&a, "nvdimm,id=" QD_ID_NVDIMM ",memdev=" QD_ID_NVDIMM_MEM);
		push(&a, "-object");
		push(&a, "memory-backend-file,id=" QD_ID_NVDIMM_MEM ",mem-path=%s,size=%lld",
		     esc(&a, cfg->image), (long long)st.st_size);
	}
	if (cfg->block_driver == QD_BLOCK_VIRTIO_SCSI)
		push_spec(&a, &spec, qd_spec_scsi_controller(cfg->iothreads, &host, &spec));
	for (size_t i = 0; i < cfg->ndevices; i++)
		append_device(&a, &cfg->devices[i], cfg, &host);

	push(&a, "-rtc");
	push(&a, "base=utc,driftfix=slew");
	push(&a, "-global");
	push(&a, "kvm-pit.lost_tick_policy=discard");
	push(&a, "-vga");
	push(&a, "none");
	push(&a, "-no-user-config");
	push(&a, "-nodefaults");
	push(&a, "-nographic");
	if (cfg->daemonize) {
		push(&a, "-daemonize");
		push(&a, "-pidfile");
		push(&a, "%s", lp->pidfile);
	}
	if (cfg->hugepages) {
		push(&a, "-object");
		push(&a,
		     "memory-backend-file,id=" QD_ID_RAM
		     ",size=%uM,mem-path=/dev/hugepages,share=on,"
		     "prealloc=on",
		     cfg->memory_mb);
		push(&a, "-numa");
		push(&a, "node,memdev=" QD_ID_RAM);
	} else if (needs_shared) {
		push(&a, "-object");
		push(&a,
		     "memory-backend-file,id=" QD_ID_RAM ",size=%uM,mem-path=/dev/shm,share=on%s",
		     cfg->memory_mb, cfg->mem_prealloc ? ",prealloc=on" : "");
		push(&a, "-numa");
		push(&a, "node,memdev=" QD_ID_RAM);
	} else if (cfg->mem_prealloc) {
		push(&a, "-object");
		push(&a, "memory-backend-ram,id=" QD_ID_RAM ",size=%uM,prealloc=on",
		     cfg->memory_mb);
		push(&a, "-numa");
		push(&a, "node,memdev=" QD_ID_RAM);
	}
	if (cfg->realtime || cfg->mlock) {
		push(&a, "-overcommit");
		push(&a, "mem-lock=%s", cfg->mlock ? "on" : "off");
	}
	/* -kernel, -initrd, -append and -bios take a whole argument each: nothing to escape. */
	if (cfg->kernel) {
		push(&a, "-kernel");
		push(&a, "%s", cfg->kernel);
		if (cfg->initrd) {
			push(&a, "-initrd");
			push(&a, "%s", cfg->initrd);
		}
		push(&a, "-append");
		push(&a, "%s", cmdline);
	}
	if (cfg->firmware) {
		push(&a, "-bios");
		push(&a, "%s", cfg->firmware);
	}
	push(&a, "-smp");
	push(&a, "%u,cores=1,threads=1,sockets=%u,maxcpus=%u", cfg->vcpus, cfg->max_vcpus,
	     cfg->max_vcpus);
	if (a.failed) {
		r = qd_error_set(err, a.failed, "out of memory building the QEMU command line");
		goto fail;
	}
	args_release_kept(&a);
	*out = a.v;
	return 0;
fail:
	args_release_kept(&a);
	qd_argv_free(a.v);
	return r;
}
