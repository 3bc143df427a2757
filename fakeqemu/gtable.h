/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gtable.h - a string-keyed table that iterates in the order of glib's GHashTable
 *
 * DOC: Why
 *
 * QEMU keeps the children of a QOM object (the chardevs under /chardevs, the
 * user-created objects under /objects, ...) in a GHashTable keyed by name,
 * and commands such as query-chardev, query-iothreads and query-memdev list
 * them in that table's iteration order (often reversed by QAPI_LIST_PREPEND).
 * That order depends on g_str_hash(), the table size, the collisions and the
 * tombstones left by removals, so this table reproduces glib's open
 * addressing exactly (glib 2.74, unchanged since 2.60): same hash, same
 * index function ((hash * 11) % prime), quadratic probing, tombstones, and
 * the same grow/shrink rules and in-place rehash.
 */
#ifndef FQ_GTABLE_H
#define FQ_GTABLE_H

#include <stdbool.h>
#include <stddef.h>

struct fq_gtable;

/**
 * fq_gtable_new() - an empty table (8 buckets, as g_hash_table_new())
 *
 * Return: the table; free it with fq_gtable_free().
 */
struct fq_gtable *fq_gtable_new(void);

/**
 * fq_gtable_free() - free the table (not the values)
 * @t: the table, or NULL
 */
void fq_gtable_free(struct fq_gtable *t);

/**
 * fq_gtable_insert() - add @key (copied) with @value
 * @t:     the table
 * @key:   the key
 * @value: what to store
 *
 * Return: false (and no change) when @key is present.
 */
bool fq_gtable_insert(struct fq_gtable *t, const char *key, void *value);

/**
 * fq_gtable_lookup() - the value of @key
 * @t:   the table
 * @key: the key
 *
 * Return: the value, or NULL when absent.
 */
void *fq_gtable_lookup(const struct fq_gtable *t, const char *key);

/**
 * fq_gtable_remove() - remove @key (leaving a tombstone, as glib does)
 * @t:   the table
 * @key: the key
 *
 * Return: the value it had, or NULL when absent.
 */
void *fq_gtable_remove(struct fq_gtable *t, const char *key);

/**
 * fq_gtable_count() - the number of entries
 * @t: the table
 *
 * Return: the count.
 */
size_t fq_gtable_count(const struct fq_gtable *t);

/**
 * fq_gtable_next() - iterate in GHashTableIter order
 * @t:   the table
 * @pos: cursor, 0 to start; advanced past the entry returned
 * @key: receives the entry's key (may be NULL)
 *
 * Return: the next value, or NULL at the end.
 */
void *fq_gtable_next(const struct fq_gtable *t, size_t *pos, const char **key);

#endif
