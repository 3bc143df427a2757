/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* props.c - device property values checked as QEMU sets them (see props.h) */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeqemu.h"
#include "props.h"
#include "qomdata.h"
#include "strbuf.h"

/* qdev PropertyInfo descriptions that say what a string property names. */
#define DESC_CHARDEV "ID of a chardev to use as a backend"
#define DESC_NETDEV  "ID of a netdev to use as a backend"
#define DESC_DRIVE   "Node name or ID of a block device to use as a backend"
#define DESC_MAC     "Ethernet 6-byte MAC Address"
#define DESC_DEVFN   "Slot and optional function number"

/* ---- texts ------------------------------------------------------------------ */

static char *vtextf(const char *key, va_list ap)
{
	const char *t = fq_dialect_text(fq_vm.cfg.dialect, key);
	const char *names[8], *values[8];
	struct strbuf b = {0};
	int n = 0;

	for (const char *k; n < 8 && (k = va_arg(ap, const char *));) {
		names[n] = k;
		values[n++] = va_arg(ap, const char *);
	}
	if (!t) {
		strbuf_addf(&b, "fakeqemu: QEMU %s's text '%s' is not in its behaviour.json",
			    fq_vm.cfg.dialect->name, key);
		return strbuf_steal(&b);
	}
	while (*t) {
		const char *close = *t == '{' ? strchr(t, '}') : NULL;
		int i;

		for (i = 0; close && i < n; i++)
			if ((size_t)(close - t - 1) == strlen(names[i]) &&
			    !strncmp(t + 1, names[i], (size_t)(close - t - 1)))
				break;
		if (close && i < n) {
			strbuf_adds(&b, values[i] ? values[i] : "");
			t = close + 1;
		} else {
			strbuf_addc(&b, *t++);
		}
	}
	return strbuf_steal(&b);
}

char *fq_textf(const char *key, ...)
{
	va_list ap;
	char *s;

	va_start(ap, key);
	s = vtextf(key, ap);
	va_end(ap);
	return s;
}

void fq_reply_text(struct fq_reply *r, const char *key, ...)
{
	va_list ap;
	char *s;

	va_start(ap, key);
	s = vtextf(key, ap);
	va_end(ap);
	fq_reply_error(r, "GenericError", "%s", s);
	free(s);
}

/* ---- what a type's properties are ----------------------------------------------- */

static bool item_field(const char *item, const char *field, char *buf, size_t len)
{
	return fq_prop_item_field(item, field, buf, len) != NULL;
}

/*
 * The element of @type's device-list-properties named @name, or of its
 * qom-list-properties for a type that is not a device (a machine), or NULL.
 */
static const char *find_item(const char *type, const char *name)
{
	int t = fq_qom_type(type);
	fq_rec_id list = t >= 0 ? fq_qom_type_rec(t, FQ_TYPE_DEVICE_LIST_PROPERTIES) : 0;
	char n[96];

	if (t >= 0 && !fq_rec_list_len(list) && !fq_qom_type_is_a(t, "device"))
		list = fq_qom_type_rec(t, FQ_TYPE_QOM_LIST_PROPERTIES);
	for (size_t i = 0; i < fq_rec_list_len(list); i++) {
		const char *item = fq_rec_list_item(list, i);

		if (item_field(item, "name", n, sizeof(n)) && !strcmp(n, name))
			return item;
	}
	return NULL;
}

/* A virtio proxy forwards its backend's properties: the backend owns them. */
static void find_owner(const char *type, struct fq_prop_info *pi)
{
	const char *backend = find_item(type, "virtio-backend");
	char child[96];

	snprintf(pi->owner, sizeof(pi->owner), "%s", type);
	if (!backend || !item_field(backend, "type", child, sizeof(child)) ||
	    strncmp(child, "child<", 6) != 0)
		return;
	child[strlen(child) - 1] = '\0';
	if (find_item(child + 6, pi->name))
		snprintf(pi->owner, sizeof(pi->owner), "%s", child + 6);
}

bool fq_prop_find(const char *type, const char *name, struct fq_prop_info *pi)
{
	const char *item = find_item(type, name);

	memset(pi, 0, sizeof(*pi));
	if (!item)
		return false;
	snprintf(pi->name, sizeof(pi->name), "%s", name);
	item_field(item, "type", pi->type, sizeof(pi->type));
	item_field(item, "description", pi->desc, sizeof(pi->desc));
	find_owner(type, pi);
	if (!strcmp(pi->desc, DESC_CHARDEV))
		pi->ref = FQ_REF_CHARDEV;
	else if (!strcmp(pi->desc, DESC_NETDEV))
		pi->ref = FQ_REF_NETDEV;
	else if (!strcmp(pi->desc, DESC_DRIVE))
		pi->ref = FQ_REF_DRIVE;
	else if (!strncmp(pi->type, "link<", 5)) {
		pi->ref = FQ_REF_LINK;
		snprintf(pi->link_type, sizeof(pi->link_type), "%.*s", (int)strlen(pi->type) - 6,
			 pi->type + 5);
	}
	return true;
}

/* ---- values ---------------------------------------------------------------------- */

/* What QemuOpts makes of a JSON value (qemu_opts_from_qdict_entry()); NULL: dropped. */
static char *opts_string(json_object *v)
{
	char *s;

	switch (json_object_get_type(v)) {
	case json_type_string:
		return strdup(json_object_get_string(v));
	case json_type_boolean:
		return strdup(json_object_get_boolean(v) ? "on" : "off");
	case json_type_int:
		if (json_object_get_int64(v) == INT64_MAX &&
		    json_object_get_uint64(v) > (uint64_t)INT64_MAX) {
			if (asprintf(&s, "%" PRIu64, json_object_get_uint64(v)) < 0)
				abort();
			return s;
		}
		if (asprintf(&s, "%" PRId64, json_object_get_int64(v)) < 0)
			abort();
		return s;
	case json_type_double:
		if (asprintf(&s, "%.17g", json_object_get_double(v)) < 0)
			abort();
		return s;
	default:
		return NULL;
	}
}

/* Integer widths: "int8" -> 8, signed; "int" and "int64" 64; "uint4" 4. */
static bool int_kind(const char *type, bool *is_signed, int *bits)
{
	const char *p = type;

	*is_signed = strncmp(p, "uint", 4) != 0;
	p += *is_signed ? 3 : 4;
	if (strncmp(type, *is_signed ? "int" : "uint", *is_signed ? 3 : 4) != 0)
		return false;
	if (!*p) {
		*bits = 64; /* "int" */
		return *is_signed;
	}
	*bits = atoi(p);
	return *bits == 4 || *bits == 8 || *bits == 16 || *bits == 32 || *bits == 64;
}

static void ctype_name(bool is_signed, int bits, char *buf, size_t len)
{
	snprintf(buf, len, "%sint%d_t", is_signed ? "" : "u", bits);
}

static bool in_range(bool is_signed, int bits, long long sv, unsigned long long uv)
{
	if (bits >= 64)
		return true;
	if (is_signed)
		return sv >= -(1LL << (bits - 1)) && sv < (1LL << (bits - 1));
	return uv < (1ULL << bits);
}

/* qemu_strtoi64()/qemu_strtou64(): the whole string, base 0 ("-1" wraps for unsigned). */
static bool parse_int(const char *s, bool is_signed, long long *sv, unsigned long long *uv)
{
	char *end;

	errno = 0;
	if (is_signed)
		*sv = strtoll(s, &end, 0);
	else
		*uv = strtoull(s, &end, 0);
	return *s && !errno && end != s && !*end;
}

/* qemu_strtosz(): a number, a fraction, an optional B/K/M/G/T/P/E suffix. */
static bool parse_size(const char *s)
{
	char *end;
	double d;

	if (!*s || *s == '-' || isspace((unsigned char)*s))
		return false;
	errno = 0;
	d = strtod(s, &end);
	if (errno || end == s || d < 0)
		return false;
	/* A fraction needs a suffix ("1.5M", not "1.5"). */
	if (*end && strchr("bBkKmMgGtTpPeE", *end))
		end++;
	else if (memchr(s, '.', (size_t)(end - s)))
		return false;
	return !*end && d < 18446744073709551616.0;
}

/* A number, but negative or beyond 2^64 (5.2 says so apart). */
static bool size_out_of_range(const char *s)
{
	char *end;
	double d = strtod(s, &end);

	if (end == s || (*end && !(strchr("bBkKmMgGtTpPeE", *end) && !end[1])))
		return false;
	return d < 0 || d >= 18446744073709551616.0;
}

static bool parse_bool(const char *s)
{
	static const char *const ok[] = {"on", "yes", "true", "y", "off", "no", "false", "n", NULL};

	for (int i = 0; ok[i]; i++)
		if (!strcmp(s, ok[i]))
			return true;
	return false;
}

/* An enum property's values: the last word of its description with '/' in it
 * ("on/off/auto", "Error handling policy (report/ignore/enospc/stop/auto)"). */
static bool enum_accepts(const struct fq_prop_info *pi, const char *value)
{
	/* QAPI's common enums, whose values descriptions do not repeat (qapi/common.json). */
	static const struct {
		const char *type, *values;
	} common[] = {
	    {"OnOffAuto", "auto/on/off"},
	    {"OnOffSplit", "on/off/split"},
	};
	const char *list = NULL;
	char *copy, *save = NULL;
	bool found = false;

	bool known = false;

	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]) && !known; i++)
		if (!strcmp(pi->type, common[i].type)) {
			list = common[i].values;
			known = true;
		}
	for (const char *w = pi->desc; *w && !known;) {
		const char *end = w + strcspn(w, " ,()");

		if (memchr(w, '/', (size_t)(end - w)))
			list = w;
		w = *end ? end + 1 : end;
	}
	if (!list)
		return true; /* values unknown (no description): accept */
	copy = strndup(list, strcspn(list, " ,()"));
	for (char *v = strtok_r(copy, "/", &save); v && !found; v = strtok_r(NULL, "/", &save))
		found = !strcmp(v, value);
	free(copy);
	return found;
}

static bool is_enum(const struct fq_prop_info *pi)
{
	/* Enum types are named in CamelCase (OnOffAuto, BlockdevOnError, PCIELinkSpeed). */
	return isupper((unsigned char)pi->type[0]) && strcmp(pi->type, "QemuUUID") != 0 &&
	       strncmp(pi->type, "X86", 3) != 0 && strcmp(pi->type, "GuestPanicInformation") != 0;
}

static bool parse_mac(const char *s)
{
	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? (s[i] != ':' && s[i] != '-') : !isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* "SLOT[.FUNCTION]" in hex (set_pci_devfn()). */
static bool parse_devfn(const char *s)
{
	unsigned slot, fn = 0;
	int n = 0;

	if (sscanf(s, "%x%n", &slot, &n) < 1 || slot > 0x1f || !isxdigit((unsigned char)*s))
		return false;
	s += n;
	if (*s == '.') {
		if (!isxdigit((unsigned char)s[1]) || sscanf(s + 1, "%x%n", &fn, &n) < 1 || fn > 7)
			return false;
		s += 1 + n;
	}
	return !*s;
}

static bool parse_uuid(const char *s)
{
	if (!strcmp(s, "auto"))
		return true;
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-'
							    : !isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static void bad_value(const struct fq_prop_info *pi, const char *value, struct fq_reply *r)
{
	fq_reply_text(r, "prop-bad-value", "owner", pi->owner, "name", pi->name, "value", value,
		      NULL);
}

/* A string value of the property, parsed (both ways end here). */
static bool check_string(const struct fq_prop_info *pi, const char *s, bool cmdline,
			 struct fq_reply *r)
{
	bool is_signed;
	int bits;

	if (!strcmp(pi->type, "bool")) {
		if (parse_bool(s))
			return true;
		fq_reply_text(r, "prop-bool", "name", pi->name, NULL);
		return false;
	}
	if (!strncmp(pi->desc, DESC_DEVFN, strlen(DESC_DEVFN))) {
		if (parse_devfn(s))
			return true;
		bad_value(pi, s, r);
		return false;
	}
	if (int_kind(pi->type, &is_signed, &bits)) {
		long long sv = 0;
		unsigned long long uv = 0;
		char ctype[24];

		if (!parse_int(s, is_signed, &sv, &uv)) {
			fq_reply_text(
			    r, is_signed ? "prop-int-parse-signed" : "prop-int-parse-unsigned",
			    "name", pi->name, NULL);
			return false;
		}
		if (in_range(is_signed, bits, sv, uv))
			return true;
		ctype_name(is_signed, bits, ctype, sizeof(ctype));
		fq_reply_text(r, "prop-int-range", "name", pi->name, "ctype", ctype, NULL);
		return false;
	}
	if (!strcmp(pi->type, "size")) {
		char *t, *hint;
		bool range;

		if (parse_size(s))
			return true;
		range = size_out_of_range(s);
		t = fq_textf(range ? "prop-size-negative" : "prop-size-parse", "name", pi->name,
			     "value", s, NULL);
		/* The command line's hint follows a parse error only. */
		hint = cmdline && !range ? fq_textf("prop-size-hint", NULL) : strdup("");
		fq_reply_error(r, "GenericError", "%s%s", t, hint);
		free(t);
		free(hint);
		return false;
	}
	if (!strcmp(pi->type, "QemuUUID")) {
		if (parse_uuid(s))
			return true;
		fq_reply_text(r, "prop-uuid-invalid", "owner", pi->owner, "name", pi->name, NULL);
		return false;
	}
	if (!strcmp(pi->type, "str") && !strncmp(pi->desc, DESC_MAC, strlen(DESC_MAC))) {
		if (parse_mac(s))
			return true;
		bad_value(pi, s, r);
		return false;
	}
	if (is_enum(pi) && !enum_accepts(pi, s)) {
		fq_reply_text(r, "prop-enum", "name", pi->name, "value", s, NULL);
		return false;
	}
	return true;
}

/* The QAPI input visitor's checks of a typed value. */
static bool check_json(const struct fq_prop_info *pi, json_object *v, struct fq_reply *r)
{
	enum json_type jt = json_object_get_type(v);
	bool is_signed;
	int bits;

	if (!strcmp(pi->type, "bool")) {
		if (jt == json_type_boolean)
			return true;
		fq_reply_text(r, "json-type", "name", pi->name, "expected", "boolean", NULL);
		return false;
	}
	if (!strncmp(pi->desc, DESC_DEVFN, strlen(DESC_DEVFN))) {
		if (jt == json_type_int) {
			long long n = json_object_get_int64(v);

			if (n >= -1 && n <= 255)
				return true;
			fq_reply_text(r, "json-devfn-range", "name", pi->name, NULL);
			return false;
		}
		if (jt == json_type_string)
			return check_string(pi, json_object_get_string(v), false, r);
		fq_reply_text(r, "json-devfn-type", "name", pi->name, NULL);
		return false;
	}
	if (int_kind(pi->type, &is_signed, &bits) || !strcmp(pi->type, "size")) {
		char ctype[24];

		if (!strcmp(pi->type, "size")) {
			is_signed = false;
			bits = 64;
		}
		if (jt != json_type_int) {
			if (is_signed)
				fq_reply_text(r, "json-type", "name", pi->name, "expected",
					      "integer", NULL);
			else
				fq_reply_text(r, "json-uint", "name", pi->name, NULL);
			return false;
		}
		/* Negative numbers wrap for unsigned ones (qobject_input_type_uint64()). */
		if (in_range(is_signed, bits, json_object_get_int64(v),
			     (unsigned long long)json_object_get_int64(v)))
			return true;
		ctype_name(is_signed, bits, ctype, sizeof(ctype));
		fq_reply_text(r, "prop-int-range", "name", pi->name, "ctype", ctype, NULL);
		return false;
	}
	if (!strcmp(pi->type, "str") || is_enum(pi) || pi->ref == FQ_REF_LINK ||
	    !strcmp(pi->type, "QemuUUID")) {
		if (jt != json_type_string) {
			fq_reply_text(r, "json-type", "name", pi->name, "expected", "string", NULL);
			return false;
		}
		return check_string(pi, json_object_get_string(v), false, r);
	}
	return true;
}

bool fq_prop_value(const struct fq_prop_info *pi, json_object *value, enum fq_values how,
		   bool cmdline, char **text, struct fq_reply *r)
{
	char *s;
	bool ok;

	if (text)
		*text = NULL;
	if (how == FQ_VALUES_JSON) {
		ok = check_json(pi, value, r);
		if (ok && text && json_object_is_type(value, json_type_string))
			*text = strdup(json_object_get_string(value));
		return ok;
	}
	s = opts_string(value);
	if (!s)
		return true; /* QemuOpts drops lists and objects: the property stays unset */
	ok = check_string(pi, s, cmdline, r);
	if (ok && text)
		*text = s;
	else
		free(s);
	return ok;
}

/* ---- reading given values --------------------------------------------------------- */

const char *fq_prop_str(json_object *props, const char *name)
{
	json_object *v;

	if (!json_object_object_get_ex(props, name, &v) || !v)
		return NULL;
	switch (json_object_get_type(v)) {
	case json_type_string:
	case json_type_int:
	case json_type_double:
		return json_object_get_string(v);
	case json_type_boolean:
		return json_object_get_boolean(v) ? "on" : "off";
	default:
		return NULL;
	}
}

bool fq_prop_int(json_object *props, const char *driver, const char *name, long long *out,
		 struct fq_reply *r)
{
	json_object *v;
	const char *text;
	char *end;
	long long n;

	/* Absent, or a list or object QemuOpts dropped. */
	if (!json_object_object_get_ex(props, name, &v) || !v ||
	    json_object_is_type(v, json_type_array) || json_object_is_type(v, json_type_object))
		return true;
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		return true;
	}
	text = fq_prop_str(props, name);
	errno = 0;
	n = text ? strtoll(text, &end, 0) : 0;
	if (!text || errno || end == text || *end) {
		fq_reply_error(r, "GenericError", "Property '%s.%s' doesn't take value '%s'",
			       driver, name, text ? text : "");
		return false;
	}
	*out = n;
	return true;
}
