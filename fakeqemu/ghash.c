/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ghash.c - the iteration order of GLib's GHashTable of strings, as QEMU's visitors see it
 *
 * GLib 2.60 and later (bullseye's 2.66 under QEMU 5.2, bookworm's 2.74 under
 * 7.2 and 10.0): open addressing over a power-of-two array, the index of a
 * hash (hash * 11) % a prime below the size, quadratic probing, tombstones on
 * removal, and a resize (in place, tombstones dropped) when the table gets
 * too full or too empty. Only the order matters here, so the table holds
 * indices into the caller's keys.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ghash.h"

#define MIN_SHIFT 3
#define UNUSED	  0u
#define TOMBSTONE 1u
#define IS_REAL(h) ((h) >= 2u)

static const uint32_t prime_mod[] = {
    1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521,
    131071, 262139, 524287, 1048573, 2097143, 4194301, 8388593, 16777213, 33554393,
    67108859, 134217689, 268435399, 536870909, 1073741789, 2147483647,
};

struct table {
	uint32_t *hashes;
	size_t *keys; /* index into the caller's keys */
	uint32_t size, mod, mask;
	int nnodes, noccupied;
};

/* g_str_hash(): djb2 over signed chars. */
static uint32_t str_hash(const char *s)
{
	uint32_t h = 5381;

	for (const signed char *p = (const signed char *)s; *p; p++)
		h = (h << 5) + h + (uint32_t)(int32_t)*p;
	return h;
}

static uint32_t to_index(const struct table *t, uint32_t hash)
{
	return (hash * 11u) % t->mod;
}

static void set_shift(struct table *t, int shift)
{
	t->size = 1u << shift;
	t->mod = prime_mod[shift];
	t->mask = t->size - 1;
}

static int closest_shift(int n)
{
	int i;

	for (i = 0; n; i++)
		n >>= 1;
	return i;
}

/* g_hash_table_lookup_node(): the key's slot, or where it would go. */
static uint32_t lookup(const struct table *t, const char *const *names, const char *key,
		       uint32_t hash)
{
	uint32_t i = to_index(t, hash), step = 0, first_tombstone = 0;
	int have_tombstone = 0;

	while (t->hashes[i] != UNUSED) {
		if (t->hashes[i] == hash && !strcmp(names[t->keys[i]], key))
			return i;
		if (t->hashes[i] == TOMBSTONE && !have_tombstone) {
			first_tombstone = i;
			have_tombstone = 1;
		}
		step++;
		i = (i + step) & t->mask;
	}
	return have_tombstone ? first_tombstone : i;
}

/*
 * g_hash_table_resize() and resize_map(): in place, walking the old slots in
 * order; an entry placed on a slot not yet rehashed evicts that slot's entry,
 * which is placed next. Tombstones go.
 */
static void resize(struct table *t)
{
	uint32_t old_size = t->size, big, *done;
	int shift = closest_shift((int)(t->nnodes * 1.333));

	set_shift(t, shift > MIN_SHIFT ? shift : MIN_SHIFT);
	big = t->size > old_size ? t->size : old_size;
	if (t->size > old_size) {
		t->hashes = realloc(t->hashes, big * sizeof(*t->hashes));
		t->keys = realloc(t->keys, big * sizeof(*t->keys));
		if (!t->hashes || !t->keys)
			abort();
		memset(t->hashes + old_size, 0, (big - old_size) * sizeof(*t->hashes));
	}
	done = calloc(big, sizeof(*done));
	if (!done)
		abort();
	for (uint32_t i = 0; i < old_size; i++) {
		uint32_t hash = t->hashes[i];
		size_t key;

		if (!IS_REAL(hash)) {
			t->hashes[i] = UNUSED;
			continue;
		}
		if (done[i])
			continue;
		t->hashes[i] = UNUSED;
		key = t->keys[i];
		for (;;) {
			uint32_t j = to_index(t, hash), step = 0, replaced;
			size_t evicted;

			while (done[j]) {
				step++;
				j = (j + step) & t->mask;
			}
			done[j] = 1;
			replaced = t->hashes[j];
			evicted = t->keys[j];
			t->hashes[j] = hash;
			t->keys[j] = key;
			if (!IS_REAL(replaced))
				break;
			hash = replaced;
			key = evicted;
		}
	}
	free(done);
	t->noccupied = t->nnodes;
}

static void maybe_resize(struct table *t)
{
	if (((int)t->size > t->nnodes * 4 && t->size > 1u << MIN_SHIFT) ||
	    (int)t->size <= t->noccupied + t->noccupied / 16)
		resize(t);
}

const char *fq_ghash_first_left(const char *const *inserted, size_t ninserted,
				const char *const *removed, size_t nremoved)
{
	struct table t = {0};
	const char *first = NULL;

	set_shift(&t, MIN_SHIFT);
	t.hashes = calloc(t.size, sizeof(*t.hashes));
	t.keys = calloc(t.size, sizeof(*t.keys));
	if (!t.hashes || !t.keys)
		abort();
	for (size_t k = 0; k < ninserted; k++) {
		uint32_t h = str_hash(inserted[k]), i;

		h = IS_REAL(h) ? h : 2;
		i = lookup(&t, inserted, inserted[k], h);
		if (IS_REAL(t.hashes[i]))
			continue; /* already there */
		t.nnodes++;
		if (t.hashes[i] == UNUSED) {
			t.hashes[i] = h;
			t.keys[i] = k;
			t.noccupied++;
			maybe_resize(&t);
		} else {
			t.hashes[i] = h;
			t.keys[i] = k;
		}
	}
	for (size_t k = 0; k < nremoved; k++) {
		uint32_t h = str_hash(removed[k]), i;

		h = IS_REAL(h) ? h : 2;
		i = lookup(&t, inserted, removed[k], h);
		if (!IS_REAL(t.hashes[i]))
			continue;
		t.hashes[i] = TOMBSTONE;
		t.nnodes--;
		maybe_resize(&t);
	}
	for (uint32_t i = 0; i < t.size && !first; i++)
		if (IS_REAL(t.hashes[i]))
			first = inserted[t.keys[i]];
	free(t.hashes);
	free(t.keys);
	return first;
}
