/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qdctl_qualify.c - `qdctl qualify`: the catalogue against several QEMUs, one report */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalogue.h"
#include "ci_emit.h"
#include "proc.h"
#include "qdctl.h"
#include "report.h"
#include "results.h"
#include "run_options.h"
#include "scenario_run.h"

#define MAX_TARGETS 64

static void usage(FILE *f)
{
	fputs("usage: qdctl qualify --qemu PATH [--qemu PATH]... [OPTIONS] [SCENARIO|DIR]...\n"
	      "\n"
	      "Runs the scenarios (default: the shipped catalogue) against each QEMU and writes\n"
	      "one report: JUnit XML, Markdown, a self-contained HTML page and the results\n"
	      "JSON, with the scenario x QEMU matrix, each column's version, machine and\n"
	      "accelerator, and the differences between QEMUs it found. QEMU-level scenarios\n"
	      "run on every QEMU; guest-level ones boot the test guest (built and cached)\n"
	      "under KVM where guests run here, else TCG; fakeqemu-only ones are skipped on\n"
	      "real QEMU with the reason.\n"
	      "\n"
	      "options:\n"
	      "  -q, --qemu PATH        a QEMU to qualify (repeatable): a binary or wrapper,\n"
	      "                         or fake / fake:VERSION for fakeqemu\n"
	      "      --machine M        pc or q35 (repeatable): one column per QEMU and machine\n"
	      "  -o, --out DIR          where the report goes (default ./qualify-report):\n"
	      "                         report.xml, report.md, report.html, results.json\n"
	      "      --junit F --markdown F --html F --json F   other paths for each\n"
	      "      --title TEXT       the report's title\n"
	      "      --guest-accel A    auto (default), kvm or tcg for guest-level scenarios\n"
	      "      --guest-kernel K --guest-initrd I   the test guest (default: built)\n"
	      "  -w, --work-dir DIR     where run directories go (default /tmp)\n"
	      "  -k, --keep             keep every run directory\n"
	      "  -v, --verbose          print every step (and its QMP with -v -v)\n"
	      "      --emit-ci github|gitlab  write a CI pipeline instead: one job per QEMU x\n"
	      "                         machine (--qemu takes ci/get-qemu.sh names there),\n"
	      "                         each uploading its JUnit and results, and a job that\n"
	      "                         merges them (qdctl report merge); --out FILE for it\n"
	      "\n"
	      "exit status: 0 no scenario failed (known issues do not count), 1 a scenario\n"
	      "failed or crashed, 2 usage or invalid scenario file, 3 a QEMU cannot be used\n",
	      f);
}

enum {
	OPT_MACHINE = 256,
	OPT_JUNIT,
	OPT_MARKDOWN,
	OPT_HTML,
	OPT_JSON,
	OPT_TITLE,
	OPT_EMIT_CI,
};

struct qualify {
	const char *qemus[MAX_TARGETS];
	int nqemus;
	const char *machines[8];
	int nmachines;
	const char *out, *junit, *markdown, *html, *json, *title, *emit_ci;
	int verbose;
	struct sc_run_options run;
	struct sc_guest_files guest;
};

static int parse(struct qualify *o, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"qemu", required_argument, NULL, 'q'},
	    {"machine", required_argument, NULL, OPT_MACHINE},
	    {"out", required_argument, NULL, 'o'},
	    {"junit", required_argument, NULL, OPT_JUNIT},
	    {"markdown", required_argument, NULL, OPT_MARKDOWN},
	    {"html", required_argument, NULL, OPT_HTML},
	    {"json", required_argument, NULL, OPT_JSON},
	    {"title", required_argument, NULL, OPT_TITLE},
	    SC_RUN_LONGOPTS,
	    {"verbose", no_argument, NULL, 'v'},
	    {"emit-ci", required_argument, NULL, OPT_EMIT_CI},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "q:o:w:kvh", longopts, NULL)) != -1) {
		int taken = sc_run_option(c, optarg, &o->run);

		if (taken < 0)
			return QDCTL_USAGE;
		if (taken)
			continue;
		switch (c) {
		case 'q':
			if (o->nqemus == MAX_TARGETS) {
				fprintf(stderr, "qdctl: at most %d --qemu\n", MAX_TARGETS);
				return QDCTL_USAGE;
			}
			o->qemus[o->nqemus++] = optarg;
			break;
		case OPT_MACHINE:
			if (sc_machine_option(optarg) < 0)
				return QDCTL_USAGE;
			if (o->nmachines < 8)
				o->machines[o->nmachines++] = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case OPT_JUNIT:
			o->junit = optarg;
			break;
		case OPT_MARKDOWN:
			o->markdown = optarg;
			break;
		case OPT_HTML:
			o->html = optarg;
			break;
		case OPT_JSON:
			o->json = optarg;
			break;
		case OPT_TITLE:
			o->title = optarg;
			break;
		case 'v':
			o->verbose++;
			break;
		case OPT_EMIT_CI:
			if (strcmp(optarg, "github") && strcmp(optarg, "gitlab")) {
				fprintf(stderr, "qdctl: --emit-ci %s: must be github or gitlab\n",
					optarg);
				return QDCTL_USAGE;
			}
			o->emit_ci = optarg;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return QDCTL_USAGE;
		}
	}
	if (!o->nqemus) {
		fprintf(stderr, "qdctl: qualify needs at least one --qemu\n");
		usage(stderr);
		return QDCTL_USAGE;
	}
	if (sc_run_options_check(&o->run) < 0)
		return QDCTL_USAGE;
	return 0;
}

static char *out_path(const struct qualify *o, const char *given, const char *name)
{
	char *p;

	if (given)
		return strdup(given);
	if (asprintf(&p, "%s/%s", o->out, name) < 0)
		return NULL;
	return p;
}

static void print_target(const struct sc_target *t)
{
	printf("  %s: %s%s%s%s\n", t->id, t->label, t->package ? " (" : "",
	       t->package ? t->package : "", t->package ? ")" : "");
	printf("      binary %s\n", t->path);
	if (json_object_object_length(t->machines)) {
		printf("      machines:");
		json_object_object_foreach(t->machines, alias, name)
		    printf(" %s=%s", alias, json_object_get_string(name));
		printf("%s%s\n", t->machine ? ", this column: " : "", t->machine ? t->machine : "");
	}
	printf("      QEMU level under %s (%s)\n", t->accel, t->accel_reason);
	if (t->probe_error)
		printf("      probe failed: %s\n", t->probe_error);
	if (t->foreign_files && json_object_array_length(t->foreign_files))
		printf("      MIXED VERSIONS: it mapped %zu file(s) of another QEMU, e.g. %s\n",
		       json_object_array_length(t->foreign_files),
		       json_object_get_string(json_object_array_get_idx(t->foreign_files, 0)));
}

static void print_summary(json_object *doc)
{
	json_object *targets, *summary, *findings;

	json_object_object_get_ex(doc, "targets", &targets);
	json_object_object_get_ex(doc, "summary", &summary);
	json_object_object_get_ex(doc, "findings", &findings);
	printf("\nqualification:\n");
	for (size_t i = 0; i < json_object_array_length(targets); i++) {
		json_object *t = json_object_array_get_idx(targets, i), *c;
		char *title = report_target_title(t);

		c = json_object_object_get(summary, qd_str(t, "id", ""));
		printf("  %-60s %3d pass %3d fail %3d crash %3d error %3d skip\n",
		       title ? title : "?", json_object_get_int(json_object_object_get(c, "pass")),
		       json_object_get_int(json_object_object_get(c, "fail")),
		       json_object_get_int(json_object_object_get(c, "crash")),
		       json_object_get_int(json_object_object_get(c, "error")),
		       json_object_get_int(json_object_object_get(c, "skip")));
		if (qd_str(t, "guest_accel", NULL))
			printf("      guests under %s: %s\n", qd_str(t, "guest_accel", ""),
			       qd_str(t, "guest_accel_reason", ""));
		free(title);
	}
	printf("findings (%zu):\n", json_object_array_length(findings));
	for (size_t i = 0; i < json_object_array_length(findings); i++) {
		json_object *f = json_object_array_get_idx(findings, i);

		printf("  - %s%s%s\n", qd_str(f, "scenario", ""),
		       qd_str(f, "scenario", NULL) ? ": " : "", qd_str(f, "summary", ""));
	}
}

static const char *outcome_word(json_object *r)
{
	const char *o = qd_str(r, "outcome", "error");

	if (qd_str(r, "known", NULL))
		return !strcmp(o, "crash") ? "CRASH (known)" : "FAIL (known)";
	if (!strcmp(o, "pass"))
		return "pass";
	if (!strcmp(o, "skip"))
		return "skip";
	if (!strcmp(o, "crash"))
		return "CRASH";
	return !strcmp(o, "fail") ? "FAIL" : "ERROR";
}

static int write_reports(const struct qualify *o, json_object *doc)
{
	char *junit = out_path(o, o->junit, "report.xml"),
	     *md = out_path(o, o->markdown, "report.md");
	char *html = out_path(o, o->html, "report.html"),
	     *json = out_path(o, o->json, "results.json");
	char *why = NULL;
	int status = QDCTL_OK;

	if (o->title)
		json_object_object_add(doc, "title", json_object_new_string(o->title));
	if ((!o->junit || !o->markdown || !o->html || !o->json) && mkdir(o->out, 0755) < 0 &&
	    errno != EEXIST) {
		fprintf(stderr, "qdctl: cannot create %s: %s\n", o->out, strerror(errno));
		status = QDCTL_FAILED;
	}
	if (status == QDCTL_OK && report_write_all(doc, junit, md, html, json, &why) < 0) {
		fprintf(stderr, "qdctl: %s\n", why ? why : "cannot write the report");
		status = QDCTL_FAILED;
	}
	if (status == QDCTL_OK)
		printf("report: %s %s %s %s\n", html, md, junit, json);
	free(why);
	free(junit);
	free(md);
	free(html);
	free(json);
	return status;
}

int qdctl_qualify_main(int argc, char **argv)
{
	struct qualify o = {.out = "qualify-report", .run = {.work_base = "/tmp"}};
	struct sc_target *targets[MAX_TARGETS * 8] = {0};
	struct scenario **scs = NULL;
	char **files = NULL, *why = NULL;
	int ntargets = 0, nfiles = 0, invalid = 0, status, done = 0, total;
	int64_t t0 = qdctl_now_ms();
	json_object *doc = NULL;

	o.run.guest = &o.guest;
	status = parse(&o, argc, argv);
	if (status)
		return status < 0 ? QDCTL_OK : status;
	o.run.verbose = o.verbose > 1;
	o.run.progress = o.verbose ? stdout : NULL;
	if (o.emit_ci)
		return sc_emit_ci(o.emit_ci, o.qemus, o.nqemus, o.machines, o.nmachines,
				  argc - optind, argv + optind,
				  strcmp(o.out, "qualify-report") ? o.out : NULL);

	files = sc_catalogue_files(argc - optind, argv + optind, &why);
	if (!files) {
		fprintf(stderr, "qdctl: %s\n", why ? why : "no scenarios");
		free(why);
		return QDCTL_USAGE;
	}
	while (files[nfiles])
		nfiles++;
	doc = qd_results_new(argc + 1, argv - 1);
	scs = calloc((size_t)nfiles, sizeof(*scs));
	for (int i = 0; scs && i < nfiles; i++) {
		if (sc_parse_file(files[i], &scs[i], &why) < 0) {
			fprintf(stderr, "qdctl: %s\n", why);
			free(why);
			why = NULL;
			invalid++;
		}
	}
	printf("qdctl qualify: %d scenario(s) from %s, %d QEMU(s)\n", nfiles,
	       argc - optind ? "the command line" : sc_catalogue_dir(), o.nqemus);
	for (int q = 0; q < o.nqemus; q++) {
		int nm = o.nmachines ? o.nmachines : 1;

		for (int m = 0; m < nm; m++) {
			char id[16], *msg = NULL;
			struct sc_target *t;

			snprintf(id, sizeof(id), "t%d", ntargets + 1);
			if (sc_target_new(o.qemus[q], id, o.nmachines ? o.machines[m] : NULL, &t,
					  &msg) < 0) {
				fprintf(stderr, "qdctl: %s\n", msg ? msg : "cannot use this QEMU");
				free(msg);
				status = QDCTL_FAILED;
				goto out;
			}
			if (sc_target_probe(t, o.run.work_base, &msg) < 0)
				t->probe_error = msg;
			targets[ntargets++] = t;
		}
	}
	printf("QEMUs:\n");
	for (int i = 0; i < ntargets; i++)
		print_target(targets[i]);
	total = ntargets * nfiles;
	for (int i = 0; i < ntargets; i++) {
		for (int k = 0; k < nfiles; k++) {
			json_object *r;
			int64_t s0 = qdctl_now_ms();

			if (!scs[k]) {
				char *msg = NULL;

				sc_parse_file(files[k], &scs[k], &msg);
				r = sc_invalid_result(files[k], msg ? msg : "invalid",
						      targets[i]->id);
				free(msg);
			} else {
				r = sc_run(scs[k], targets[i], &o.run);
			}
			printf("[%4d/%d] %-16s %-40s %-13s %6lld ms%s%s\n", ++done, total,
			       targets[i]->label, qd_str(r, "scenario", "?"), outcome_word(r),
			       (long long)(qdctl_now_ms() - s0),
			       strcmp(qd_str(r, "outcome", ""), "pass") ? "  " : "",
			       strcmp(qd_str(r, "outcome", ""), "pass") ? qd_str(r, "reason", "")
									: "");
			fflush(stdout);
			qd_results_add(doc, r);
		}
	}
	for (int i = 0; i < ntargets; i++)
		qd_results_add_target(doc, targets[i]);
	qd_results_finish(doc, qdctl_now_ms() - t0);
	print_summary(doc);
	status = write_reports(&o, doc);
	if (status == QDCTL_OK)
		status = invalid		  ? QDCTL_USAGE
			 : qd_results_failed(doc) ? QDCTL_QMP_ERROR
						  : QDCTL_OK;
out:
	for (int i = 0; i < ntargets; i++)
		sc_target_free(targets[i]);
	for (int i = 0; scs && i < nfiles; i++)
		sc_free(scs[i]);
	free(scs);
	sc_catalogue_free(files);
	json_object_put(doc);
	free(o.guest.kernel);
	free(o.guest.initrd);
	free(o.guest.error);
	return status;
}
