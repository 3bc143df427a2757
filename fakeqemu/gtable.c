/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gtable.c - a string-keyed table that iterates in the order of glib's GHashTable (see gtable.h) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gtable.h"

#define MIN_SHIFT  3
#define UNUSED	   0u
#define TOMBSTONE  1u
#define IS_REAL(h) ((h) >= 2u)

/* glib's prime_mod[]: the modulus for each table size 1 << shift. */
static const uint32_t prime_mod[] = {
    1,	      2,	3,	  7,	     13,	31,	   61,	       127,
    251,      509,	1021,	  2039,	     4093,	8191,	   16381,      32749,
    65521,    131071,	262139,	  524287,    1048573,	2097143,   4194301,    8388593,
    16777213, 33554393, 67108859, 134217689, 268435399, 536870909, 1073741789, 2147483647,
};

struct fq_gtable {
	unsigned size, mod, mask;
	unsigned nnodes, noccupied; /* real entries; real entries plus tombstones */
	uint32_t *hashes;
	char **keys;
	void **values;
};

/* g_str_hash(): djb2 over signed chars. */
static uint32_t str_hash(const char *s)
{
	uint32_t h = 5381;

	for (const signed char *p = (const signed char *)s; *p; p++)
		h = (h << 5) + h + (uint32_t)(int32_t)*p;
	return h;
}

static void set_shift(struct fq_gtable *t, unsigned shift)
{
	t->size = 1u << shift;
	t->mod = prime_mod[shift];
	t->mask = t->size - 1;
}

static unsigned closest_shift(unsigned n)
{
	unsigned i;

	for (i = 0; n; i++)
		n >>= 1;
	return i < MIN_SHIFT ? MIN_SHIFT : i;
}

static unsigned hash_to_index(const struct fq_gtable *t, uint32_t hash)
{
	return (uint32_t)(hash * 11u) % t->mod;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		abort();
	return p;
}

struct fq_gtable *fq_gtable_new(void)
{
	struct fq_gtable *t = xcalloc(1, sizeof(*t));

	set_shift(t, MIN_SHIFT);
	t->hashes = xcalloc(t->size, sizeof(*t->hashes));
	t->keys = xcalloc(t->size, sizeof(*t->keys));
	t->values = xcalloc(t->size, sizeof(*t->values));
	return t;
}

void fq_gtable_free(struct fq_gtable *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < t->size; i++)
		free(t->keys[i]);
	free(t->hashes);
	free(t->keys);
	free(t->values);
	free(t);
}

/* g_hash_table_lookup_node(): the slot of @key, else the first tombstone or free slot. */
static unsigned lookup_node(const struct fq_gtable *t, const char *key, uint32_t *hash_out)
{
	uint32_t hash = str_hash(key);
	unsigned idx, step = 0, tombstone = 0;
	bool have_tombstone = false;

	if (!IS_REAL(hash))
		hash = 2;
	*hash_out = hash;
	idx = hash_to_index(t, hash);
	while (t->hashes[idx] != UNUSED) {
		if (t->hashes[idx] == hash && !strcmp(t->keys[idx], key))
			return idx;
		if (t->hashes[idx] == TOMBSTONE && !have_tombstone) {
			tombstone = idx;
			have_tombstone = true;
		}
		step++;
		idx = (idx + step) & t->mask;
	}
	return have_tombstone ? tombstone : idx;
}

/* resize_map(): rehash in place, marking relocated buckets, evicting as it goes. */
static void rehash_in_place(struct fq_gtable *t, unsigned old_size)
{
	bool *moved = xcalloc(t->size > old_size ? t->size : old_size, sizeof(*moved));

	for (unsigned i = 0; i < old_size; i++) {
		uint32_t node_hash = t->hashes[i];
		char *key;
		void *value;

		if (!IS_REAL(node_hash)) {
			t->hashes[i] = UNUSED;
			continue;
		}
		if (moved[i])
			continue;
		t->hashes[i] = UNUSED;
		key = t->keys[i];
		value = t->values[i];
		t->keys[i] = NULL;
		t->values[i] = NULL;
		for (;;) {
			unsigned idx = hash_to_index(t, node_hash), step = 0;
			uint32_t replaced;

			while (moved[idx]) {
				step++;
				idx = (idx + step) & t->mask;
			}
			moved[idx] = true;
			replaced = t->hashes[idx];
			t->hashes[idx] = node_hash;
			if (!IS_REAL(replaced)) {
				t->keys[idx] = key;
				t->values[idx] = value;
				break;
			}
			/* Evict the occupant and place it next. */
			node_hash = replaced;
			{
				char *k = t->keys[idx];
				void *v = t->values[idx];

				t->keys[idx] = key;
				t->values[idx] = value;
				key = k;
				value = v;
			}
		}
	}
	free(moved);
}

static void resize(struct fq_gtable *t)
{
	unsigned old_size = t->size;

	set_shift(t, closest_shift((unsigned)(t->nnodes * 1.333)));
	if (t->size > old_size) {
		t->hashes = realloc(t->hashes, t->size * sizeof(*t->hashes));
		t->keys = realloc(t->keys, t->size * sizeof(*t->keys));
		t->values = realloc(t->values, t->size * sizeof(*t->values));
		if (!t->hashes || !t->keys || !t->values)
			abort();
		memset(t->hashes + old_size, 0, (t->size - old_size) * sizeof(*t->hashes));
		memset(t->keys + old_size, 0, (t->size - old_size) * sizeof(*t->keys));
		memset(t->values + old_size, 0, (t->size - old_size) * sizeof(*t->values));
	}
	rehash_in_place(t, old_size);
	/* Shrinking: everything now lives below the new size. */
	t->noccupied = t->nnodes;
}

static void maybe_resize(struct fq_gtable *t)
{
	if ((t->size > t->nnodes * 4 && t->size > 1u << MIN_SHIFT) ||
	    t->size <= t->noccupied + t->noccupied / 16)
		resize(t);
}

bool fq_gtable_insert(struct fq_gtable *t, const char *key, void *value)
{
	uint32_t hash;
	unsigned idx = lookup_node(t, key, &hash);
	uint32_t old = t->hashes[idx];

	if (IS_REAL(old))
		return false;
	t->hashes[idx] = hash;
	t->keys[idx] = strdup(key);
	if (!t->keys[idx])
		abort();
	t->values[idx] = value;
	t->nnodes++;
	if (old == UNUSED) {
		t->noccupied++;
		maybe_resize(t);
	}
	return true;
}

void *fq_gtable_lookup(const struct fq_gtable *t, const char *key)
{
	uint32_t hash;
	unsigned idx = lookup_node(t, key, &hash);

	return IS_REAL(t->hashes[idx]) ? t->values[idx] : NULL;
}

void *fq_gtable_remove(struct fq_gtable *t, const char *key)
{
	uint32_t hash;
	unsigned idx = lookup_node(t, key, &hash);
	void *value;

	if (!IS_REAL(t->hashes[idx]))
		return NULL;
	value = t->values[idx];
	t->hashes[idx] = TOMBSTONE;
	free(t->keys[idx]);
	t->keys[idx] = NULL;
	t->values[idx] = NULL;
	t->nnodes--;
	maybe_resize(t);
	return value;
}

size_t fq_gtable_count(const struct fq_gtable *t)
{
	return t->nnodes;
}

void *fq_gtable_next(const struct fq_gtable *t, size_t *pos, const char **key)
{
	while (*pos < t->size) {
		size_t i = (*pos)++;

		if (IS_REAL(t->hashes[i])) {
			if (key)
				*key = t->keys[i];
			return t->values[i];
		}
	}
	return NULL;
}
