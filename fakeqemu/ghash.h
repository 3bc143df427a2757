/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ghash.h - the iteration order of GLib's GHashTable of strings, as QEMU's visitors see it */
#ifndef FQ_GHASH_H
#define FQ_GHASH_H

#include <stddef.h>

/**
 * fq_ghash_first_left() - the key qobject_input_check_struct() names in
 * "Parameter '%s' is unexpected": QEMU puts every key of the input dict into a
 * GHashTable (g_str_hash, in the QDict's iteration order), removes each one a
 * member consumes (in visit order), then reports the first key the table's
 * iterator yields
 * @inserted:  the dict's keys in QDict iteration order
 * @ninserted: their number
 * @removed:   the consumed keys, in the order they were consumed (each one of
 *             @inserted)
 * @nremoved:  their number
 *
 * Return: one of @inserted, or NULL when every key was consumed.
 */
const char *fq_ghash_first_left(const char *const *inserted, size_t ninserted,
				const char *const *removed, size_t nremoved);

#endif
