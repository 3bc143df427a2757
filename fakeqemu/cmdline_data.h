/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmdline_data.h - each version's command-line options and fixed human-monitor texts,
 * as recorded (see gen_cmdline_data.py)
 */
#ifndef FQ_CMDLINE_DATA_H
#define FQ_CMDLINE_DATA_H

/**
 * struct fq_cmdline_data - one version's recording
 * @version:      "5.2", "7.2", ...
 * @options:      " name name: ... " (a trailing ':' takes an argument)
 * @hmp_help_info: what "info" alone prints (the info commands), or NULL
 * @hmp_help:      what "help" prints, or NULL
 * @hmp_info_migrate: "info migrate" before any migration, or NULL
 */
struct fq_cmdline_data {
	const char *version;
	const char *options;
	const char *hmp_help_info;
	const char *hmp_help;
	const char *hmp_info_migrate;
};

extern const struct fq_cmdline_data fq_cmdline_data[];

/**
 * fq_cmdline_data_current() - the recording of the imitated version
 *
 * Return: it, or NULL when the version was not recorded.
 */
const struct fq_cmdline_data *fq_cmdline_data_current(void);

#endif
