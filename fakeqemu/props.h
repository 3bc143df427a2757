/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * props.h - device property values checked as QEMU sets them, from the
 * type's recorded device-list-properties
 *
 * DOC: Theory of operation
 *
 * A device property's recorded "type" (bool, uint8, int32, size, str, an
 * enum type name, link<T>) and "description" (qdev's PropertyInfo text:
 * the MAC address, PCI address, chardev, netdev and drive properties have
 * their own) decide how a value is parsed. Values come two ways: through
 * QemuOpts (-device key=value, and device_add before QEMU 9.x), where every
 * value is a string and lists or objects are silently dropped, or as typed
 * JSON (device_add in 10.0, JSON -device), checked by the QAPI input
 * visitor. The error texts are the version's (behaviour.json).
 */
#ifndef FQ_PROPS_H
#define FQ_PROPS_H

#include <stdbool.h>

#include <json-c/json.h>

#include "qmp_dispatch.h"

/* How property values arrive. */
enum fq_values {
	FQ_VALUES_OPTS, /* strings, from QemuOpts */
	FQ_VALUES_JSON, /* typed JSON */
};

/* What a property references by name: resolved by the caller. */
enum fq_prop_ref {
	FQ_REF_NONE,
	FQ_REF_CHARDEV,
	FQ_REF_NETDEV,
	FQ_REF_DRIVE,
	FQ_REF_LINK, /* link<T>: a QOM object of type T (@link_type) */
};

/**
 * struct fq_prop_info - one property of a device type
 * @name:      its name
 * @type:      device-list-properties "type"
 * @desc:      its "description" ("" when none)
 * @owner:     the type that owns it: for a virtio proxy's forwarded property
 *             (netdev, mac, drive, ...) the backend's type, as QEMU's
 *             "Property 'OWNER.NAME' ..." messages say
 * @ref:       what the value names
 * @link_type: FQ_REF_LINK: T of link<T>
 */
struct fq_prop_info {
	char name[96];
	char type[96];
	char desc[192];
	char owner[96];
	enum fq_prop_ref ref;
	char link_type[96];
};

/**
 * fq_prop_find() - a property of a device type, from its device-list-properties
 * @type: the device type
 * @name: the property
 * @out:  receives what is known of it
 *
 * Return: false when the type has no such property.
 */
bool fq_prop_find(const char *type, const char *name, struct fq_prop_info *out);

/**
 * fq_prop_value() - check a value as QEMU parses it for the property
 * @pi:      the property
 * @value:   the value given
 * @how:     QemuOpts strings or typed JSON
 * @cmdline: the value came from the command line (errors carry QEMU's hints)
 * @text:    receives the value as a string, for references (may be NULL);
 *           left NULL when QemuOpts drops the value (a list or object)
 * @r:       receives QEMU's error
 *
 * Return: true when QEMU accepts the value.
 */
bool fq_prop_value(const struct fq_prop_info *pi, json_object *value, enum fq_values how,
		   bool cmdline, char **text, struct fq_reply *r);

/**
 * fq_textf() - one of the version's error texts, placeholders filled
 * @key: the text's key in behaviour.json
 * @...: pairs of placeholder name and value, ended by NULL
 *
 * Return: a malloc'd text.
 */
char *fq_textf(const char *key, ...) __attribute__((sentinel));

/**
 * fq_reply_text() - fail @r with GenericError and a version text (see fq_textf())
 * @r:   the reply
 * @key: the text's key
 * @...: placeholder pairs, ended by NULL
 */
void fq_reply_text(struct fq_reply *r, const char *key, ...) __attribute__((sentinel));

/* fq_prop_str() - a property as text: strings as is, numbers printed, booleans on/off. */
const char *fq_prop_str(json_object *props, const char *name);

/*
 * fq_prop_int() - an integer property of @driver into *@out (left alone when
 * absent). False with QEMU's message in @r when it is not an integer.
 */
bool fq_prop_int(json_object *props, const char *driver, const char *name, long long *out,
		 struct fq_reply *r);

#endif
