/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* argv_oracle.h - fuzz oracle: values substituted into a QEMU command line change no structure */
#ifndef QD_FUZZ_ARGV_ORACLE_H
#define QD_FUZZ_ARGV_ORACLE_H

#include <stddef.h>

/*
 * The oracle builds the command line twice from one configuration: once with
 * the fuzzed values, once with every escaped value replaced by a marker
 * ("Z00Z", "Z01Z", ...) that needs no escaping. QEMU must read both the same
 * way: the same arguments, and in every option string ("key=value,...",
 * ",," for a comma) the same keys in the same order, the fuzzed run's value
 * being the marker's value with each marker replaced by its fuzzed text. A
 * value that adds an option, a key or an argument is a finding (abort()).
 */

#define ORACLE_MAX_VALUES 64

/* struct oracle_values - the fuzzed text behind each marker. */
struct oracle_values {
	const char *value[ORACLE_MAX_VALUES];
	size_t n;
};

/*
 * oracle_marker() - the marker for the next value; @fuzzed is remembered as
 * what the fuzzed run has in its place. Returns a static string.
 */
const char *oracle_marker(struct oracle_values *v, const char *fuzzed);

/*
 * oracle_compare() - check the fuzzed argv against the marker argv (both
 * NULL-terminated); abort() with a description on the first difference.
 */
void oracle_compare(char **fuzzed, char **marked, const struct oracle_values *v);

#endif
