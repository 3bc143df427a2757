/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qdctl_scenario.c - `qdctl scenario FILE|DIR...`: run scenario files against one QEMU */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "proc.h"
#include "qdctl.h"
#include "report.h"
#include "results.h"
#include "run_options.h"
#include "scenario_run.h"

static void usage(FILE *f)
{
	fputs("usage: qdctl scenario [OPTIONS] FILE.json|DIR...\n"
	      "\n"
	      "Runs each scenario (docs/scenarios.md; a directory: its *.json, by name)\n"
	      "against one QEMU: a progress line per\n"
	      "step, a summary at the end. Scenarios that only fakeqemu can run (faults, a\n"
	      "guest model) are skipped on real QEMU, with the reason.\n"
	      "\n"
	      "options:\n"
	      "  -q, --qemu PATH         QEMU binary, or fake / fake:VERSION (default: the\n"
	      "                          fakeqemu built with qdctl)\n"
	      "      --junit OUT         write JUnit XML\n"
	      "      --json OUT          write the results document (JSON)\n"
	      "      --machine M         run every scenario on machine M (pc, q35)\n"
	      "      --guest-accel A     auto (default), kvm or tcg for guest-level scenarios\n"
	      "      --guest-kernel K    the test guest's kernel (default: built and cached)\n"
	      "      --guest-initrd I    the test guest's initramfs\n"
	      "  -w, --work-dir DIR      where run directories go (default /tmp)\n"
	      "  -k, --keep              keep each run's directory (VM state, QEMU log)\n"
	      "  -v, --verbose           print the QMP traffic of every step\n"
	      "      --check             only parse the files (report errors, run nothing)\n"
	      "\n"
	      "exit status: 0 every scenario passed or was skipped, 1 a scenario failed,\n"
	      "2 usage error or an invalid scenario file, 3 the QEMU cannot be used\n",
	      f);
}

enum {
	OPT_JUNIT = 256,
	OPT_JSON,
	OPT_MACHINE,
	OPT_CHECK,
};

static void print_summary(json_object *doc, const char *label, int64_t ms)
{
	json_object *results;
	int counts[5] = {0};
	static const char *const names[] = {"pass", "fail", "crash", "error", "skip"};

	json_object_object_get_ex(doc, "results", &results);
	for (size_t i = 0; i < json_object_array_length(results); i++) {
		const char *o = qd_str(json_object_array_get_idx(results, i), "outcome", "error");

		for (int k = 0; k < 5; k++)
			counts[k] += !strcmp(o, names[k]);
	}
	printf("\nsummary: %zu scenarios on %s: %d passed, %d failed, %d crashed, %d errors, "
	       "%d skipped (%.1f s)\n",
	       json_object_array_length(results), label, counts[0], counts[1], counts[2], counts[3],
	       counts[4], (double)ms / 1000);
	for (size_t i = 0; i < json_object_array_length(results); i++) {
		json_object *r = json_object_array_get_idx(results, i);
		const char *o = qd_str(r, "outcome", "error");

		if (strcmp(o, "pass") && strcmp(o, "skip"))
			printf("%s%s: %s: %s\n", qd_str(r, "known", NULL) ? "KNOWN " : "",
			       !strcmp(o, "fail")    ? "FAILED"
			       : !strcmp(o, "crash") ? "CRASHED"
						     : "ERROR",
			       qd_str(r, "scenario", "?"), qd_str(r, "reason", ""));
	}
}

int qdctl_scenario_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"qemu", required_argument, NULL, 'q'},
	    {"junit", required_argument, NULL, OPT_JUNIT},
	    {"json", required_argument, NULL, OPT_JSON},
	    {"machine", required_argument, NULL, OPT_MACHINE},
	    SC_RUN_LONGOPTS,
	    {"verbose", no_argument, NULL, 'v'},
	    {"check", no_argument, NULL, OPT_CHECK},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct sc_guest_files guest = {0};
	struct sc_run_options opts = {.work_base = "/tmp", .progress = stdout, .guest = &guest};
	const char *qemu = "fake", *junit = NULL, *json_out = NULL, *machine = NULL;
	struct sc_target *target = NULL;
	bool check_only = false;
	int64_t t0 = qdctl_now_ms();
	json_object *doc = NULL;
	int c, invalid = 0, status = QDCTL_OK;
	char *msg = NULL, **files;
	size_t nfiles;

	while ((c = getopt_long(argc, argv, "q:w:kvh", longopts, NULL)) != -1) {
		int taken = sc_run_option(c, optarg, &opts);

		if (taken < 0)
			return QDCTL_USAGE;
		if (taken)
			continue;
		switch (c) {
		case 'q':
			qemu = optarg;
			break;
		case OPT_JUNIT:
			junit = optarg;
			break;
		case OPT_JSON:
			json_out = optarg;
			break;
		case OPT_MACHINE:
			if (sc_machine_option(optarg) < 0)
				return QDCTL_USAGE;
			machine = optarg;
			break;
		case 'v':
			opts.verbose = true;
			break;
		case OPT_CHECK:
			check_only = true;
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
	if (sc_run_options_check(&opts) < 0)
		return QDCTL_USAGE;
	files = sc_catalogue_files(argc - optind, argv + optind, &msg);
	if (!files) {
		fprintf(stderr, "qdctl: %s\n", msg ? msg : "out of memory");
		free(msg);
		return QDCTL_USAGE;
	}
	if (check_only) {
		for (char **f = files; *f; f++) {
			struct scenario *sc;

			if (sc_parse_file(*f, &sc, &msg) < 0) {
				fprintf(stderr, "qdctl: %s\n", msg);
				free(msg);
				invalid++;
			} else {
				printf("%s: ok (%zu steps, %s level%s%s)\n", *f, sc->nsteps,
				       sc->level == SC_LEVEL_GUEST ? "guest" : "QEMU",
				       sc->fake_only ? "; fakeqemu only: " : "",
				       sc->fake_only ? sc->fake_only_reason : "");
				sc_free(sc);
			}
		}
		sc_catalogue_free(files);
		return invalid ? QDCTL_USAGE : QDCTL_OK;
	}
	if (sc_target_new(qemu, "t1", machine, &target, &msg) < 0) {
		fprintf(stderr, "qdctl: %s\n", msg ? msg : "cannot use this QEMU");
		free(msg);
		sc_catalogue_free(files);
		return QDCTL_FAILED;
	}
	doc = qd_results_new(argc + 1, argv - 1);
	for (nfiles = 0; files[nfiles]; nfiles++)
		;
	printf("qdctl scenario: %zu file(s) on %s (%s%s%s)\n", nfiles, target->label,
	       target->path, target->package ? ", " : "", target->package ? target->package : "");
	for (char **f = files; *f; f++) {
		struct scenario *sc;

		if (sc_parse_file(*f, &sc, &msg) < 0) {
			fprintf(stderr, "qdctl: %s\n", msg);
			printf("=== %s\n--- ERROR: %s\n", *f, msg);
			qd_results_add(doc, sc_invalid_result(*f, msg, target->id));
			free(msg);
			invalid++;
			continue;
		}
		qd_results_add(doc, sc_run(sc, target, &opts));
		sc_free(sc);
	}
	qd_results_add_target(doc, target);
	qd_results_finish(doc, qdctl_now_ms() - t0);
	print_summary(doc, target->label, qdctl_now_ms() - t0);
	if (report_write_all(doc, junit, NULL, NULL, json_out, &msg) < 0) {
		fprintf(stderr, "qdctl: %s\n", msg ? msg : "cannot write the results");
		free(msg);
		status = QDCTL_FAILED;
	}
	if (status == QDCTL_OK)
		status = invalid		  ? QDCTL_USAGE
			 : qd_results_failed(doc) ? QDCTL_QMP_ERROR
						  : QDCTL_OK;
	json_object_put(doc);
	sc_target_free(target);
	sc_catalogue_free(files);
	free(guest.kernel);
	free(guest.initrd);
	free(guest.error);
	return status;
}
