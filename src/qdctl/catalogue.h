/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* catalogue.h - the scenario files a run takes */
#ifndef QDCTL_CATALOGUE_H
#define QDCTL_CATALOGUE_H

/* sc_catalogue_dir() - $QDCTL_SCENARIOS, the source tree's scenarios/, or the installed copy. */
const char *sc_catalogue_dir(void);

/**
 * sc_catalogue_files() - the scenario files named by @argv (files, or
 * directories whose *.json are taken sorted), or the catalogue when @argc is 0
 * @argc: number of arguments
 * @argv: the arguments
 * @why:  receives a malloc'd message on failure
 *
 * Return: a NULL-terminated array (free with sc_catalogue_free()), or NULL.
 */
char **sc_catalogue_files(int argc, char **argv, char **why);

/* sc_catalogue_free() - NULL is allowed. */
void sc_catalogue_free(char **files);

#endif
