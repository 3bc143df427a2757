/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hmp.c - human-monitor-command: the human monitor's common commands, printed
 * from the same model the QMP commands answer from, in each version's words
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "chardev.h"
#include "cmdline_data.h"
#include "commands.h"
#include "fakeqemu.h"
#include "net.h"
#include "objects.h"
#include "since.h"
#include "strbuf.h"

const struct fq_cmdline_data *fq_cmdline_data_current(void)
{
	for (const struct fq_cmdline_data *d = fq_cmdline_data; d->version; d++)
		if (!strcmp(d->version, fq_vm.cfg.dialect->name))
			return d;
	return NULL;
}

static const char *str_of(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* Run a QMP handler; an error is HMP's "Error: ..." line. */
static json_object *run(fq_cmd_fn fn, json_object *args, struct strbuf *out)
{
	struct fq_reply r = {0};

	fn(args, &r);
	if (r.err_class) {
		strbuf_addf(out, "Error: %s\r\n", r.err_desc);
		free(r.err_class);
		free(r.err_desc);
		json_object_put(r.ret);
		return NULL;
	}
	return r.ret ? r.ret : json_object_new_object();
}

/* ---- info ------------------------------------------------------------------- */

static void info_status(struct strbuf *out)
{
	json_object *s = run(fq_cmd_query_status, NULL, out);
	const char *status = str_of(s, "status");
	bool running = json_object_get_boolean(json_object_object_get(s, "running"));

	/* hmp_info_status() */
	strbuf_addf(out, "VM status: %s", running ? "running" : "paused");
	if (!running && strcmp(status, "paused"))
		strbuf_addf(out, " (%s)", status);
	strbuf_adds(out, "\r\n");
	json_object_put(s);
}

static void info_version(struct strbuf *out)
{
	const struct fq_dialect *d = fq_vm.cfg.dialect;

	strbuf_addf(out, "%d.%d.%d%s\r\n", d->major, d->minor, d->micro, d->package);
}

static void info_kvm(struct strbuf *out)
{
	json_object *k = run(fq_cmd_query_kvm, NULL, out);
	bool present = json_object_get_boolean(json_object_object_get(k, "present"));
	bool enabled = json_object_get_boolean(json_object_object_get(k, "enabled"));

	strbuf_addf(out, "kvm support: %s\r\n",
		    present ? (enabled ? "enabled" : "disabled") : "not compiled");
	json_object_put(k);
}

static void info_cpus(struct strbuf *out)
{
	json_object *cpus = run(fq_cmd_query_cpus_fast, NULL, out);

	/* The monitor's current CPU is the first: it is starred. */
	for (size_t i = 0; cpus && i < json_object_array_length(cpus); i++) {
		json_object *c = json_object_array_get_idx(cpus, i);

		strbuf_addf(out, "%c CPU #%d: thread_id=%d\r\n", i == 0 ? '*' : ' ',
			    json_object_get_int(json_object_object_get(c, "cpu-index")),
			    json_object_get_int(json_object_object_get(c, "thread-id")));
	}
	json_object_put(cpus);
}

static void info_hotpluggable_cpus(struct strbuf *out)
{
	static const char *const ids[] = {"node-id",   "socket-id", "die-id",	 "cluster-id",
					  "module-id", "core-id",   "thread-id", NULL};
	json_object *list = run(fq_cmd_query_hotpluggable_cpus, NULL, out);

	if (!list)
		return;
	strbuf_adds(out, "Hotpluggable CPUs:\r\n");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *c = json_object_array_get_idx(list, i);
		json_object *props = json_object_object_get(c, "props");

		strbuf_addf(out, "  type: \"%s\"\r\n", str_of(c, "type"));
		strbuf_addf(out, "  vcpus_count: \"%d\"\r\n",
			    json_object_get_int(json_object_object_get(c, "vcpus-count")));
		if (str_of(c, "qom-path"))
			strbuf_addf(out, "  qom_path: \"%s\"\r\n", str_of(c, "qom-path"));
		strbuf_adds(out, "  CPUInstance Properties:\r\n");
		for (int k = 0; ids[k]; k++) {
			json_object *v;

			if (json_object_object_get_ex(props, ids[k], &v))
				strbuf_addf(out, "    %s: \"%d\"\r\n", ids[k],
					    json_object_get_int(v));
		}
	}
	json_object_put(list);
}

static void info_iothreads(struct strbuf *out)
{
	json_object *list = run(fq_cmd_query_iothreads, NULL, out);

	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		json_object *t = json_object_array_get_idx(list, i);

		strbuf_addf(out, "%s:\r\n", str_of(t, "id"));
		strbuf_addf(out, "  thread_id=%d\r\n",
			    json_object_get_int(json_object_object_get(t, "thread-id")));
		strbuf_addf(
		    out, "  poll-max-ns=%lld\r\n",
		    (long long)json_object_get_int64(json_object_object_get(t, "poll-max-ns")));
		strbuf_addf(
		    out, "  poll-grow=%lld\r\n",
		    (long long)json_object_get_int64(json_object_object_get(t, "poll-grow")));
		strbuf_addf(
		    out, "  poll-shrink=%lld\r\n",
		    (long long)json_object_get_int64(json_object_object_get(t, "poll-shrink")));
		if (json_object_object_get_ex(t, "aio-max-batch", NULL))
			strbuf_addf(out, "  aio-max-batch=%lld\r\n",
				    (long long)json_object_get_int64(
					json_object_object_get(t, "aio-max-batch")));
	}
	json_object_put(list);
}

static void info_balloon(struct strbuf *out)
{
	json_object *b = run(fq_cmd_query_balloon, NULL, out);

	if (b)
		strbuf_addf(
		    out, "balloon: actual=%lld\r\n",
		    (long long)(json_object_get_int64(json_object_object_get(b, "actual")) >> 20));
	json_object_put(b);
}

static void info_memdev(struct strbuf *out)
{
	json_object *list = run(fq_cmd_query_memdev, NULL, out);

	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		json_object *m = json_object_array_get_idx(list, i), *nodes;
		const char *flags[] = {"merge", "dump", "prealloc", "share", "reserve", NULL};

		strbuf_addf(out, "memory backend: %s\r\n", str_of(m, "id"));
		strbuf_addf(out, "  size:  %lld\r\n",
			    (long long)json_object_get_int64(json_object_object_get(m, "size")));
		for (int k = 0; flags[k]; k++) {
			json_object *v;

			if (json_object_object_get_ex(m, flags[k], &v))
				strbuf_addf(out, "  %s: %s\r\n", flags[k],
					    json_object_get_boolean(v) ? "true" : "false");
		}
		strbuf_addf(out, "  policy: %s\r\n", str_of(m, "policy"));
		strbuf_adds(out, "  host nodes: ");
		nodes = json_object_object_get(m, "host-nodes");
		for (size_t k = 0; nodes && k < json_object_array_length(nodes); k++)
			strbuf_addf(out, "%s%d", k ? ":" : "",
				    json_object_get_int(json_object_array_get_idx(nodes, k)));
		strbuf_adds(out, "\r\n");
	}
	/* hmp_info_memdev() ends with one empty line. */
	strbuf_adds(out, "\r\n");
	json_object_put(list);
}

/* hmp_info_block(): a BlockBackend's name (or its root node's), file, format, users. */
static void info_block(struct strbuf *out)
{
	json_object *list = run(fq_cmd_query_block, NULL, out);

	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		json_object *b = json_object_array_get_idx(list, i);
		json_object *ins = json_object_object_get(b, "inserted"), *cache;
		const char *name = str_of(b, "device");
		bool removable = json_object_get_boolean(json_object_object_get(b, "removable"));

		if (i)
			strbuf_adds(out, "\r\n");
		if (!*name && ins)
			name = str_of(ins, "node-name");
		if (ins) {
			bool ro = json_object_get_boolean(json_object_object_get(ins, "ro"));

			strbuf_addf(out, "%s: %s (%s%s)\r\n", name, str_of(ins, "file"),
				    str_of(ins, "drv"), ro ? ", read-only" : "");
		} else {
			strbuf_addf(out, "%s: [not inserted]\r\n", name);
		}
		if (str_of(b, "qdev"))
			strbuf_addf(out, "    Attached to:      %s\r\n", str_of(b, "qdev"));
		if (removable)
			strbuf_adds(out, "    Removable device: not locked, tray closed\r\n");
		if (ins && json_object_object_get_ex(ins, "cache", &cache)) {
			bool wb =
			    json_object_get_boolean(json_object_object_get(cache, "writeback"));
			bool direct =
			    json_object_get_boolean(json_object_object_get(cache, "direct"));
			bool nf =
			    json_object_get_boolean(json_object_object_get(cache, "no-flush"));

			strbuf_addf(out, "    Cache mode:       %s%s%s\r\n",
				    wb ? "writeback" : "writethrough", direct ? ", direct" : "",
				    nf ? ", ignore flushes" : "");
		}
	}
	json_object_put(list);
}

/* print_net_client()'s info_str of the netdevs fakeqemu models. */
static void net_client(struct strbuf *out, const struct fq_backend *b)
{
	const char *type = b->type;

	strbuf_addf(out, "%s: index=0,type=%s,", b->id, type);
	if (!strcmp(type, "user")) {
		const char *net = str_of(b->props, "net");
		json_object *v;
		bool restrict_ = json_object_object_get_ex(b->props, "restrict", &v) &&
				 json_object_get_boolean(v);

		strbuf_addf(out, "net=%s,restrict=%s", net ? net : "10.0.2.0",
			    restrict_ ? "on" : "off");
	} else if (!strcmp(type, "tap") && str_of(b->props, "ifname")) {
		const char *s = str_of(b->props, "script"), *d = str_of(b->props, "downscript");

		strbuf_addf(out, "ifname=%s,script=%s,downscript=%s", str_of(b->props, "ifname"),
			    s ? s : "/etc/qemu-ifup", d ? d : "/etc/qemu-ifdown");
	}
	strbuf_adds(out, "\r\n");
}

static void info_network(struct strbuf *out)
{
	struct fq_backend *ports[64];
	int n = 0;

	for (struct fq_backend *b = fq_backend_first(FQ_BACKEND_NETDEV); b; b = fq_backend_next(b))
		if (!strcmp(b->type, "hubport") && n < 64)
			ports[n++] = b;
	/* net_hub_info(): hubs newest first, their ports newest first. */
	for (int i = n; i-- > 0;) {
		long long hub =
		    json_object_get_int64(json_object_object_get(ports[i]->props, "hubid"));
		bool first = true;

		for (int j = i + 1; j < n; j++)
			if (json_object_get_int64(
				json_object_object_get(ports[j]->props, "hubid")) == hub)
				first = false;
		if (!first)
			continue;
		strbuf_addf(out, "hub %lld\r\n", hub);
		for (int j = i; j >= 0; j--)
			if (json_object_get_int64(
				json_object_object_get(ports[j]->props, "hubid")) == hub)
				strbuf_addf(out, " \\ %s\r\n", ports[j]->id);
	}
	for (struct fq_backend *b = fq_backend_first(FQ_BACKEND_NETDEV); b; b = fq_backend_next(b))
		if (strcmp(b->type, "hubport"))
			net_client(out, b);
}

/* ---- dispatch ----------------------------------------------------------------- */

struct info_cmd {
	const char *name;
	void (*fn)(struct strbuf *out);
};

static const struct info_cmd infos[] = {
    {"status", info_status},
    {"version", info_version},
    {"kvm", info_kvm},
    {"cpus", info_cpus},
    {"hotpluggable-cpus", info_hotpluggable_cpus},
    {"iothreads", info_iothreads},
    {"balloon", info_balloon},
    {"memdev", info_memdev},
    {"block", info_block},
    {"network", info_network},
    {"chardev", fq_chardev_info_lines},
    {NULL, NULL},
};

/* Whether the version's "info" list has @name. */
static bool info_exists(const char *name)
{
	const struct fq_cmdline_data *d = fq_cmdline_data_current();
	char pat[80];

	/* Each line of the list starts "info NAME ". */
	snprintf(pat, sizeof(pat), "\ninfo %s ", name);
	return d && d->hmp_help_info &&
	       (!strncmp(d->hmp_help_info, pat + 1, strlen(pat + 1)) ||
		strstr(d->hmp_help_info, pat) != NULL);
}

static void info(const char *what, const char *rest, struct strbuf *out, struct fq_reply *r)
{
	const struct fq_cmdline_data *d = fq_cmdline_data_current();

	if (!*what) {
		strbuf_adds(out, d && d->hmp_help_info ? d->hmp_help_info : "");
		return;
	}
	if (!info_exists(what)) {
		strbuf_addf(out, "unknown command: 'info %s'\r\n", what);
		return;
	}
	if (*rest && strcmp(what, "block")) {
		strbuf_addf(out,
			    "%s: extraneous characters at the end of line\r\nTry \"help info %s\" "
			    "for more information\r\n",
			    what, what);
		return;
	}
	if (!strcmp(what, "name")) {
		if (fq_vm.cfg.name)
			strbuf_addf(out, "%s\r\n", fq_vm.cfg.name);
		return;
	}
	if (!strcmp(what, "uuid")) {
		strbuf_addf(out, "%s\r\n",
			    fq_vm.cfg.uuid ? fq_vm.cfg.uuid
					   : "00000000-0000-0000-0000-000000000000");
		return;
	}
	if (!strcmp(what, "migrate") && d && d->hmp_info_migrate) {
		strbuf_adds(out, d->hmp_info_migrate);
		return;
	}
	for (int i = 0; infos[i].name; i++)
		if (!strcmp(infos[i].name, what)) {
			infos[i].fn(out);
			return;
		}
	fq_reply_error(r, "GenericError", "fakeqemu: 'info %s' is not modelled by fakeqemu", what);
}

/* A command taking one id: device_del, netdev_del, chardev-remove, object_del. */
static void with_id(fq_cmd_fn fn, const char *key, const char *id, struct strbuf *out)
{
	json_object *args = json_object_new_object();

	json_object_object_add(args, key, json_object_new_string(id));
	json_object_put(run(fn, args, out));
	json_object_put(args);
}

static char *next_word(char **p)
{
	char *w;

	while (isspace((unsigned char)**p))
		(*p)++;
	w = *p;
	while (**p && !isspace((unsigned char)**p))
		(*p)++;
	if (**p)
		*(*p)++ = '\0';
	while (isspace((unsigned char)**p))
		(*p)++;
	return w;
}

void fq_cmd_human_monitor_command(json_object *args, struct fq_reply *r)
{
	const char *line = str_of(args, "command-line");
	char *copy = strdup(line ? line : ""), *p = copy, *cmd;
	struct strbuf out = {0};
	const struct fq_cmdline_data *d = fq_cmdline_data_current();
	static const struct {
		const char *name;
		fq_cmd_fn fn;
	} plain[] = {{"stop", fq_cmd_stop},
		     {"cont", fq_cmd_cont},
		     {"c", fq_cmd_cont},
		     {"system_reset", fq_cmd_system_reset},
		     {"system_powerdown", fq_cmd_system_powerdown},
		     {"quit", fq_cmd_quit},
		     {"q", fq_cmd_quit},
		     {NULL, NULL}};

	cmd = next_word(&p);
	if (!*cmd) {
		/* An empty line does nothing. */
	} else if (!strcmp(cmd, "info") || !strcmp(cmd, "i")) {
		char *what = next_word(&p);

		info(what, p, &out, r);
	} else if (!strcmp(cmd, "help") || !strcmp(cmd, "?")) {
		char *what = next_word(&p);

		if (!strcmp(what, "info"))
			strbuf_adds(&out, d && d->hmp_help_info ? d->hmp_help_info : "");
		else if (!*what)
			strbuf_adds(&out, d && d->hmp_help ? d->hmp_help : "");
		else
			fq_reply_error(r, "GenericError",
				       "fakeqemu: 'help %s' is not modelled by fakeqemu", what);
	} else if (!strcmp(cmd, "device_del") || !strcmp(cmd, "netdev_del") ||
		   !strcmp(cmd, "chardev-remove") || !strcmp(cmd, "object_del")) {
		char *id = next_word(&p);

		if (!strcmp(cmd, "device_del"))
			with_id(fq_cmd_device_del, "id", id, &out);
		else if (!strcmp(cmd, "netdev_del"))
			with_id(fq_cmd_netdev_del, "id", id, &out);
		else if (!strcmp(cmd, "chardev-remove"))
			with_id(fq_cmd_chardev_remove, "id", id, &out);
		else
			with_id(fq_cmd_object_del, "id", id, &out);
	} else {
		int i;

		for (i = 0; plain[i].name && strcmp(plain[i].name, cmd); i++)
			;
		if (plain[i].name)
			json_object_put(run(plain[i].fn, NULL, &out));
		else if (d && d->hmp_help && strstr(d->hmp_help, cmd))
			fq_reply_error(
			    r, "GenericError",
			    "fakeqemu: the human monitor command '%s' is not modelled by "
			    "fakeqemu",
			    cmd);
		else
			strbuf_addf(&out, "unknown command: '%s'\r\n", cmd);
	}
	free(copy);
	if (r->err_class) {
		strbuf_free(&out);
		return;
	}
	r->ret = json_object_new_string(strbuf_str(&out));
	strbuf_free(&out);
}
