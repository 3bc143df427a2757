/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qdctl_report.c - `qdctl report merge`: join the results of several runs (CI jobs) into one report
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "qdctl.h"
#include "report.h"
#include "results.h"

static void usage(FILE *f)
{
	fputs("usage: qdctl report merge [--out DIR] [--title TEXT] RESULTS.json...\n"
	      "\n"
	      "Joins results documents (results.json of qdctl qualify, or --json of qdctl\n"
	      "scenario; one per CI job, say) into one report: their columns side by side,\n"
	      "the differences between QEMUs found again over all of them. Writes\n"
	      "DIR/report.xml, report.md, report.html and results.json (default DIR:\n"
	      "./qualify-report).\n"
	      "\n"
	      "exit status: 0 no scenario failed, 1 some did, 2 usage or unreadable input\n",
	      f);
}

/* Add @part's targets (renumbered) and results to @doc; -1 with a message on bad input. */
static int merge_one(json_object *doc, json_object *part, const char *path, int *next_id)
{
	json_object *targets, *results, *sources;
	json_object *renames = json_object_new_object();

	if (strcmp(qd_str(part, "format", ""), QD_RESULTS_FORMAT) ||
	    !json_object_object_get_ex(part, "targets", &targets) ||
	    !json_object_object_get_ex(part, "results", &results) ||
	    !json_object_is_type(targets, json_type_array) ||
	    !json_object_is_type(results, json_type_array)) {
		fprintf(stderr, "qdctl: %s: not a qdctl results document (format %s)\n", path,
			QD_RESULTS_FORMAT);
		json_object_put(renames);
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(targets); i++) {
		json_object *t = NULL, *all;
		char id[16];

		json_object_deep_copy(json_object_array_get_idx(targets, i), &t, NULL);
		snprintf(id, sizeof(id), "t%d", (*next_id)++);
		json_object_object_add(renames, qd_str(t, "id", "?"), json_object_new_string(id));
		json_object_object_add(t, "id", json_object_new_string(id));
		json_object_object_add(t, "host",
				       json_object_get(json_object_object_get(part, "host")));
		json_object_object_add(t, "from", json_object_new_string(path));
		json_object_object_get_ex(doc, "targets", &all);
		json_object_array_add(all, t);
	}
	for (size_t i = 0; i < json_object_array_length(results); i++) {
		json_object *r = NULL;

		json_object_deep_copy(json_object_array_get_idx(results, i), &r, NULL);
		json_object_object_add(
		    r, "target",
		    json_object_new_string(qd_str(renames, qd_str(r, "target", ""), "?")));
		qd_results_add(doc, r);
	}
	json_object_object_get_ex(doc, "merged_from", &sources);
	{
		json_object *s = json_object_new_object();

		json_object_object_add(s, "file", json_object_new_string(path));
		json_object_object_add(s, "command",
				       json_object_get(json_object_object_get(part, "command")));
		json_object_object_add(s, "started",
				       json_object_get(json_object_object_get(part, "started")));
		json_object_array_add(sources, s);
	}
	json_object_put(renames);
	return 0;
}

static int merge(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"out", required_argument, NULL, 'o'},
	    {"title", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *out = "qualify-report", *title = NULL;
	json_object *doc;
	int64_t duration = 0;
	int c, next_id = 1, status = QDCTL_OK;
	char *why = NULL, *paths[4];
	static const char *const names[] = {"report.xml", "report.md", "report.html",
					    "results.json"};

	while ((c = getopt_long(argc, argv, "o:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 't':
			title = optarg;
			break;
		case 'h':
			usage(stdout);
			return QDCTL_OK;
		default:
			usage(stderr);
			return QDCTL_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return QDCTL_USAGE;
	}
	doc = qd_results_new(argc + 2, argv - 2);
	json_object_object_add(doc, "merged_from", json_object_new_array());
	for (int i = optind; i < argc; i++) {
		json_object *part = json_object_from_file(argv[i]), *d;

		if (!part) {
			fprintf(stderr, "qdctl: %s: cannot read: %s", argv[i],
				json_util_get_last_err());
			json_object_put(doc);
			return QDCTL_USAGE;
		}
		if (i == optind)
			json_object_object_add(
			    doc, "host", json_object_get(json_object_object_get(part, "host")));
		if (json_object_object_get_ex(part, "duration_ms", &d))
			duration += json_object_get_int64(d);
		if (merge_one(doc, part, argv[i], &next_id) < 0) {
			json_object_put(part);
			json_object_put(doc);
			return QDCTL_USAGE;
		}
		json_object_put(part);
	}
	if (title)
		json_object_object_add(doc, "title", json_object_new_string(title));
	qd_results_finish(doc, duration);
	if (mkdir(out, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "qdctl: cannot create %s: %s\n", out, strerror(errno));
		json_object_put(doc);
		return QDCTL_FAILED;
	}
	for (int i = 0; i < 4; i++)
		if (asprintf(&paths[i], "%s/%s", out, names[i]) < 0)
			paths[i] = NULL;
	if (report_write_all(doc, paths[0], paths[1], paths[2], paths[3], &why) < 0) {
		fprintf(stderr, "qdctl: %s\n", why ? why : "cannot write the report");
		status = QDCTL_FAILED;
	} else {
		json_object *targets = json_object_object_get(doc, "targets");

		printf("merged %d result file(s), %zu column(s), %zu finding(s): %s\n",
		       argc - optind, json_object_array_length(targets),
		       json_object_array_length(json_object_object_get(doc, "findings")), paths[2]);
		status = qd_results_failed(doc) ? QDCTL_QMP_ERROR : QDCTL_OK;
	}
	for (int i = 0; i < 4; i++)
		free(paths[i]);
	free(why);
	json_object_put(doc);
	return status;
}

int qdctl_report_main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "merge"))
		return merge(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return QDCTL_OK;
	}
	usage(stderr);
	return QDCTL_USAGE;
}
