/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qdctl_qmp.c - `qdctl qmp`: run QMP commands over one connection and print the replies */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qdctl.h"
#include "qemudrv.h"

#define MAX_WATCHES 16

struct event_spec {
	char *name;
	char *key;
	char *value;
	struct qd_qmp_watch *watch;
};

static void usage(FILE *f)
{
	fputs("usage: qdctl qmp [OPTIONS] SOCKET COMMAND [ARGS-JSON] [COMMAND [ARGS-JSON]]...\n"
	      "\n"
	      "Connects to the QMP socket, negotiates, runs each command in order over the\n"
	      "same connection and prints one JSON line per reply: {\"return\": ...} or\n"
	      "{\"error\": {\"class\": ..., \"desc\": ...}}.\n"
	      "\n"
	      "options:\n"
	      "  -t, --timeout MS       deadline of each step (default 5000)\n"
	      "  -e, --event NAME[:KEY=VALUE]\n"
	      "                         arm a wait for this event before the commands run,\n"
	      "                         wait for it after them and print it (repeatable)\n"
	      "  -m, --max-message N    largest QMP message accepted, in bytes\n"
	      "  -v, --verbose          log the QMP traffic to stderr\n"
	      "\n"
	      "exit status: 0 all commands succeeded, 1 QEMU returned an error,\n"
	      "2 usage error, 3 connection, timeout or protocol failure\n",
	      f);
}

static void log_to_stderr(void *opaque, int level, const char *message)
{
	(void)opaque;
	fprintf(stderr, "qdctl: [%d] %s\n", level, message);
}

static int parse_event_spec(char *arg, struct event_spec *spec)
{
	char *colon = strchr(arg, ':');

	spec->name = arg;
	spec->key = NULL;
	spec->value = NULL;
	if (colon) {
		char *eq;

		*colon = '\0';
		spec->key = colon + 1;
		eq = strchr(spec->key, '=');
		if (eq) {
			*eq = '\0';
			spec->value = eq + 1;
		}
	}
	return *spec->name ? 0 : -EINVAL;
}

static int parse_int_arg(const char *text, const char *what, long min, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(text, &end, 10);
	if (errno || *end || end == text || *out < min || *out > 0x7fffffff) {
		fprintf(stderr, "qdctl: invalid %s '%s'\n", what, text);
		return -EINVAL;
	}
	return 0;
}

static void print_json_line(const char *key, json_object *value)
{
	json_object *wrap = json_object_new_object();

	json_object_object_add(wrap, key, json_object_get(value));
	printf("%s\n", json_object_to_json_string_ext(wrap, JSON_C_TO_STRING_SPACED |
								JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(wrap);
	fflush(stdout);
}

static void print_qmp_error(const qd_error *err)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "class", json_object_new_string(err->qmp_class));
	json_object_object_add(e, "desc", json_object_new_string(err->message ? err->message : ""));
	print_json_line("error", e);
	json_object_put(e);
}

static int fail(const qd_error *err)
{
	fprintf(stderr, "qdctl: %s\n", err->message ? err->message : strerror(-err->code));
	return QDCTL_FAILED;
}

static int run_commands(struct qd_qmp *q, char **args, int nargs, int timeout)
{
	int status = QDCTL_OK;

	for (int i = 0; i < nargs; i++) {
		const char *command = args[i];
		json_object *arguments = NULL, *ret = NULL;
		qd_error err = {0};
		int r;

		if (i + 1 < nargs && args[i + 1][0] == '{') {
			enum json_tokener_error jerr;

			arguments = json_tokener_parse_verbose(args[i + 1], &jerr);
			if (!arguments) {
				fprintf(stderr, "qdctl: arguments of '%s' are not valid JSON: %s\n",
					command, json_tokener_error_desc(jerr));
				return QDCTL_USAGE;
			}
			i++;
		}
		r = qd_qmp_execute(q, command, arguments, timeout, &ret, &err);
		json_object_put(arguments);
		if (r == -EREMOTEIO) {
			print_qmp_error(&err);
			status = QDCTL_QMP_ERROR;
		} else if (r < 0) {
			status = fail(&err);
			qd_error_clear(&err);
			return status;
		} else {
			print_json_line("return", ret);
		}
		json_object_put(ret);
		qd_error_clear(&err);
	}
	return status;
}

int qdctl_qmp_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"timeout", required_argument, NULL, 't'},
	    {"event", required_argument, NULL, 'e'},
	    {"max-message", required_argument, NULL, 'm'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct event_spec events[MAX_WATCHES];
	struct qd_qmp_options opts = {0};
	struct qd_qemu_version version;
	struct qd_qmp *q = NULL;
	qd_error err = {0};
	int nevents = 0, status, c;
	long timeout = 5000, max_message;

	while ((c = getopt_long(argc, argv, "+t:e:m:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_int_arg(optarg, "timeout", 0, &timeout) < 0)
				return QDCTL_USAGE;
			break;
		case 'e':
			if (nevents == MAX_WATCHES ||
			    parse_event_spec(optarg, &events[nevents]) < 0) {
				fprintf(stderr, "qdctl: invalid or too many --event '%s'\n",
					optarg);
				return QDCTL_USAGE;
			}
			nevents++;
			break;
		case 'm':
			if (parse_int_arg(optarg, "max-message", 1, &max_message) < 0)
				return QDCTL_USAGE;
			opts.max_message_size = (size_t)max_message;
			break;
		case 'v':
			opts.log_fn = log_to_stderr;
			opts.log_level = QD_LOG_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return QDCTL_OK;
		default:
			usage(stderr);
			return QDCTL_USAGE;
		}
	}
	if (argc - optind < 1) {
		usage(stderr);
		return QDCTL_USAGE;
	}

	if (qd_qmp_connect(argv[optind], &opts, (int)timeout, &q, &err) < 0) {
		status = fail(&err);
		qd_error_clear(&err);
		return status;
	}
	qd_qmp_get_version(q, &version);
	fprintf(stderr, "qdctl: connected to QEMU %d.%d.%d (%s)\n", version.major, version.minor,
		version.micro, version.package);

	for (int i = 0; i < nevents; i++)
		if (qd_qmp_watch_new(q, events[i].name, events[i].key, events[i].value,
				     &events[i].watch, &err) < 0) {
			status = fail(&err);
			goto out;
		}

	status = run_commands(q, argv + optind + 1, argc - optind - 1, (int)timeout);
	for (int i = 0; i < nevents && status != QDCTL_FAILED && status != QDCTL_USAGE; i++) {
		json_object *ev = NULL;

		if (qd_qmp_watch_wait(q, events[i].watch, (int)timeout, &ev, &err) < 0) {
			status = fail(&err);
			break;
		}
		print_json_line("event", ev);
		json_object_put(ev);
	}
out:
	qd_error_clear(&err);
	qd_qmp_free(q);
	return status;
}
