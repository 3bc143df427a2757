/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qomdata.c - read the recorded self-description of a QEMU version in place (see qomdata.h) */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeqemu.h"
#include "qjson.h"
#include "qomdata.h"
#include "strbuf.h"

/* The header of a blob, as gen_data.py writes it (HEADER there). */
enum {
	H_MAGIC,
	H_NENTRIES,
	H_ENTRY_OFF,
	H_TEXTS,
	H_NRECS,
	H_RECS,
	H_NLISTS,
	H_LISTS,
	H_NTYPES,
	H_TYPES,
	H_TYPE_ORDER,
	H_NKEYED,
	H_KEYED,
	H_NNODES,
	H_NODES,
	H_RESERVED,
	H_SIZE,
};

#define MAGIC	    0x31445146u
#define NO_TYPE	    0xFFFFFFFFu
#define TYPE_FIELDS 11
#define TYPE_NAME   0
#define TYPE_PARENT 1
#define TYPE_FLAGS  2
#define TYPE_RECS   3 /* enum fq_type_field follows */
#define PLACEHOLDER "{\"@pairs\": 0}"

static const unsigned char *blob(void)
{
	const struct fq_version_data *v = fq_vm.cfg.dialect ? fq_vm.cfg.dialect->data : NULL;

	return v ? v->blob : NULL;
}

/* A uint32 of the blob at byte offset @off (memcpy: the blob is not aligned). */
static uint32_t u32(size_t off)
{
	uint32_t v;

	memcpy(&v, blob() + off, sizeof(v));
	return v;
}

static uint32_t hdr(int field)
{
	return u32((size_t)field * 4);
}

static uint32_t table(int section, size_t index)
{
	return u32(hdr(section) + index * 4);
}

bool fq_data_present(void)
{
	return blob() && hdr(H_MAGIC) == MAGIC;
}

static const char *entry(uint32_t i)
{
	return (const char *)blob() + hdr(H_TEXTS) + table(H_ENTRY_OFF, i);
}

static uint32_t rec_field(fq_rec_id id, int f)
{
	return u32(hdr(H_RECS) + ((size_t)id * 4 + (size_t)f) * 4);
}

enum fq_rec_kind fq_rec_kind(fq_rec_id id)
{
	if (!id || !fq_data_present() || id >= hdr(H_NRECS))
		return FQ_REC_NONE;
	return (enum fq_rec_kind)rec_field(id, 0);
}

const char *fq_rec_text(fq_rec_id id)
{
	enum fq_rec_kind k = fq_rec_kind(id);

	return k == FQ_REC_TEXT || k == FQ_REC_CRASH ? entry(rec_field(id, 1)) : NULL;
}

bool fq_rec_error(fq_rec_id id, const char **cls, const char **desc)
{
	if (fq_rec_kind(id) != FQ_REC_ERROR)
		return false;
	*cls = entry(rec_field(id, 1));
	*desc = entry(rec_field(id, 2));
	return true;
}

size_t fq_rec_list_len(fq_rec_id id)
{
	return fq_rec_kind(id) == FQ_REC_LIST ? rec_field(id, 2) : 0;
}

const char *fq_rec_list_item(fq_rec_id id, size_t i)
{
	return entry(table(H_LISTS, rec_field(id, 1) + i));
}

/* "A, B, C" of the entries lists[off .. off+n] */
static void join(struct strbuf *b, uint32_t off, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			strbuf_adds(b, ", ");
		strbuf_adds(b, entry(table(H_LISTS, off + i)));
	}
}

char *fq_rec_json_text(fq_rec_id id)
{
	struct strbuf b = {0};
	const char *t, *hole;

	switch (fq_rec_kind(id)) {
	case FQ_REC_TEXT:
		return strdup(entry(rec_field(id, 1)));
	case FQ_REC_LIST:
		strbuf_addc(&b, '[');
		join(&b, rec_field(id, 1), rec_field(id, 2));
		strbuf_addc(&b, ']');
		return strbuf_steal(&b);
	case FQ_REC_TEMPLATE:
		t = entry(rec_field(id, 1));
		hole = strstr(t, PLACEHOLDER);
		if (!hole)
			return strdup(t);
		strbuf_add(&b, t, (size_t)(hole - t));
		strbuf_addc(&b, '{');
		join(&b, rec_field(id, 2), rec_field(id, 3));
		strbuf_addc(&b, '}');
		strbuf_adds(&b, hole + strlen(PLACEHOLDER));
		return strbuf_steal(&b);
	default:
		return NULL;
	}
}

json_object *fq_rec_parse(fq_rec_id id)
{
	char *text = fq_rec_json_text(id);
	json_object *o;

	if (!text)
		return NULL;
	o = json_tokener_parse(text);
	free(text);
	return o;
}

json_object *fq_raw_json(char *text)
{
	json_object *o = json_object_new_string("");

	fq_json_set_raw(o, text);
	return o;
}

bool fq_rec_reply(fq_rec_id id, struct fq_reply *r)
{
	const char *cls, *desc;

	switch (fq_rec_kind(id)) {
	case FQ_REC_NONE:
		return false;
	case FQ_REC_ERROR:
		fq_rec_error(id, &cls, &desc);
		fq_reply_error(r, cls, "%s", desc);
		return true;
	case FQ_REC_CRASH:
		fq_reply_error(r, "GenericError",
			       "fakeqemu: real QEMU %s aborts on this command (it printed: %s)",
			       fq_vm.cfg.dialect->name, fq_rec_text(id));
		return true;
	default:
		r->ret = fq_raw_json(fq_rec_json_text(id));
		return true;
	}
}

/* ---- keyed records ----------------------------------------------------------- */

/* Binary search of a table of rows whose first field is a key entry. */
static long search(int count, int section, size_t row_fields, const char *key)
{
	size_t lo = 0, hi = fq_data_present() ? hdr(count) : 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(entry(table(section, mid * row_fields)), key);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

fq_rec_id fq_data_keyed(const char *fmt, ...)
{
	char *key;
	va_list ap;
	long row;

	va_start(ap, fmt);
	if (vasprintf(&key, fmt, ap) < 0)
		abort();
	va_end(ap);
	row = search(H_NKEYED, H_KEYED, 2, key);
	free(key);
	return row < 0 ? 0 : table(H_KEYED, (size_t)row * 2 + 1);
}

const char *fq_data_accel(void)
{
	const char *a = fq_vm.cfg.accel;

	if (a && !strcmp(a, "kvm") && fq_data_keyed("reply:kvm:none:query-kvm"))
		return "kvm";
	return "tcg";
}

static bool modules_loaded;

void fq_data_modules_loaded(void)
{
	modules_loaded = true;
}

fq_rec_id fq_data_recorded_reply(const char *command)
{
	const char *m = fq_vm.cfg.machine ? fq_vm.cfg.machine : "none";
	fq_rec_id id = 0;

	if (modules_loaded)
		id = fq_data_keyed("reply-loaded:%s:%s:%s", fq_data_accel(), m, command);
	return id ? id : fq_data_keyed("reply:%s:%s:%s", fq_data_accel(), m, command);
}

/* ---- types ------------------------------------------------------------------ */

static uint32_t type_field(int t, int f)
{
	return table(H_TYPES, (size_t)t * TYPE_FIELDS + (size_t)f);
}

int fq_qom_type(const char *name)
{
	return (int)search(H_NTYPES, H_TYPES, TYPE_FIELDS, name);
}

size_t fq_qom_ntypes(void)
{
	return fq_data_present() ? hdr(H_NTYPES) : 0;
}

int fq_qom_type_in_order(size_t i)
{
	return (int)table(H_TYPE_ORDER, i);
}

const char *fq_qom_type_name(int t)
{
	return entry(type_field(t, TYPE_NAME));
}

int fq_qom_type_parent(int t)
{
	uint32_t p = type_field(t, TYPE_PARENT);

	return p == NO_TYPE ? -1 : (int)p;
}

bool fq_qom_type_abstract(int t)
{
	return type_field(t, TYPE_FLAGS) & 1;
}

fq_rec_id fq_qom_type_rec(int t, enum fq_type_field f)
{
	return type_field(t, TYPE_RECS + (int)f);
}

bool fq_qom_type_is_a(int t, const char *ancestor)
{
	int a = fq_qom_type(ancestor);
	fq_rec_id impl;
	const char *name;

	if (t < 0 || a < 0)
		return false;
	for (int p = t; p >= 0; p = fq_qom_type_parent(p))
		if (p == a)
			return true;
	impl = fq_qom_type_rec(a, FQ_TYPE_IMPLEMENTERS);
	name = fq_qom_type_name(t);
	for (size_t i = 0; i < fq_rec_list_len(impl); i++)
		if (!strcmp(fq_rec_list_item(impl, i), name))
			return true;
	return false;
}

/* ---- nodes ------------------------------------------------------------------- */

bool fq_data_node(const char *key, struct fq_data_node *out)
{
	long row = search(H_NNODES, H_NODES, 4, key);

	if (row < 0)
		return false;
	out->list = table(H_NODES, (size_t)row * 4 + 1);
	out->values = table(H_NODES, (size_t)row * 4 + 2);
	out->nvalues = table(H_NODES, (size_t)row * 4 + 3);
	return true;
}

fq_rec_id fq_data_node_value(const struct fq_data_node *n, size_t i)
{
	return i < n->nvalues ? table(H_LISTS, n->values + i) : 0;
}

const char *fq_prop_item_field(const char *item, const char *field, char *buf, size_t len)
{
	char pat[64];
	size_t n = strlen(field);
	const char *p, *end;

	/* "FIELD": " without snprintf(): this runs for every property of a listing. */
	if (n + 5 > sizeof(pat))
		return NULL;
	pat[0] = '"';
	memcpy(pat + 1, field, n);
	memcpy(pat + 1 + n, "\": \"", 5);
	p = strstr(item, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	for (end = p; *end && *end != '"'; end++)
		if (*end == '\\' && end[1])
			end++;
	if ((size_t)(end - p) >= len)
		return NULL;
	memcpy(buf, p, (size_t)(end - p));
	buf[end - p] = '\0';
	return buf;
}
