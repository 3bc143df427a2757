/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qomdata.h - what the real QEMU said about itself, recorded per version by
 * tests/conformance/introspect.py and embedded by gen_data.py.
 *
 * DOC: Theory of operation
 *
 * Everything is read in place from a read-only blob: interned texts (each a
 * QEMU-formatted JSON text, or a plain name), "records" (one recorded
 * answer: a text, a list of texts, a text with a dict spliced in, an error,
 * or the crash the command caused), the QOM types with their parent and
 * abstract flag and the records of their introspection commands, keyed
 * records (replies of argument-less queries, of queries with arguments),
 * and nodes (an object of a composition tree: its qom-list and the qom-get
 * value of each listed property). Lookups are binary searches over sorted
 * tables; nothing is parsed until a command needs it, so a session touches
 * only a few pages of the data.
 */
#ifndef FQ_QOMDATA_H
#define FQ_QOMDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "qmp_dispatch.h"

/* fq_rec_id - a recorded answer; 0 means nothing was recorded. */
typedef uint32_t fq_rec_id;

enum fq_rec_kind {
	FQ_REC_NONE,
	FQ_REC_TEXT,	 /* one JSON text */
	FQ_REC_LIST,	 /* a JSON list, element by element */
	FQ_REC_TEMPLATE, /* a JSON text with a big dict's members spliced in */
	FQ_REC_ERROR,	 /* {"class", "desc"} */
	FQ_REC_CRASH,	 /* the command killed QEMU: its stderr */
};

/* What a type record holds besides its name, parent and flags. */
enum fq_type_field {
	FQ_TYPE_DEVICE_LIST_PROPERTIES,
	FQ_TYPE_QOM_LIST_PROPERTIES,
	FQ_TYPE_DEVICE_ADD_NONE, /* device_add {"driver": T, "id": "probe"} on -machine none */
	FQ_TYPE_DEVICE_ADD_PC,
	FQ_TYPE_DEVICE_ADD_Q35,
	FQ_TYPE_PCI_PC, /* its query-pci entry once plugged, on pc */
	FQ_TYPE_PCI_Q35,
	FQ_TYPE_IMPLEMENTERS, /* interfaces: the types that implement it (names) */
};

/**
 * fq_data_present() - whether the current dialect has recorded introspection data
 *
 * Return: true when introspect.json was embedded for the dialect.
 */
bool fq_data_present(void);

/**
 * fq_rec_kind() - what kind of answer @id is
 * @id: a record
 *
 * Return: its kind (FQ_REC_NONE for 0).
 */
enum fq_rec_kind fq_rec_kind(fq_rec_id id);

/**
 * fq_rec_text() - the text of a FQ_REC_TEXT record (or a crash's stderr)
 * @id: the record
 *
 * Return: the NUL-terminated text inside the blob, or NULL for other kinds.
 */
const char *fq_rec_text(fq_rec_id id);

/**
 * fq_rec_error() - class and desc of a FQ_REC_ERROR record
 * @id:   the record
 * @cls:  receives the class
 * @desc: receives the desc
 *
 * Return: false (outputs untouched) when @id is not an error.
 */
bool fq_rec_error(fq_rec_id id, const char **cls, const char **desc);

/**
 * fq_rec_list_len() - the number of elements of a FQ_REC_LIST record
 * @id: the record
 *
 * Return: the count, 0 for other kinds.
 */
size_t fq_rec_list_len(fq_rec_id id);

/**
 * fq_rec_list_item() - element @i of a FQ_REC_LIST record
 * @id: the record
 * @i:  the index, below fq_rec_list_len()
 *
 * Return: the element's text (JSON, or a plain name for name lists).
 */
const char *fq_rec_list_item(fq_rec_id id, size_t i);

/**
 * fq_rec_json_text() - the JSON text of a TEXT, LIST or TEMPLATE record
 * @id: the record
 *
 * Return: a malloc'd text exactly as QEMU wrote it, or NULL for other kinds.
 */
char *fq_rec_json_text(fq_rec_id id);

/**
 * fq_rec_parse() - a TEXT, LIST or TEMPLATE record as a json-c value
 * @id: the record
 *
 * Return: a new reference, or NULL (also for other kinds and for JSON null).
 */
json_object *fq_rec_parse(fq_rec_id id);

/**
 * fq_rec_reply() - answer a command as QEMU did: the recorded return value
 * verbatim, or the recorded error
 * @id: the record
 * @r:  the reply to fill
 *
 * A crash is answered with a GenericError saying real QEMU aborts there
 * (fakeqemu does not imitate crashes).
 *
 * Return: false (and @r untouched) when nothing was recorded.
 */
bool fq_rec_reply(fq_rec_id id, struct fq_reply *r);

/**
 * fq_raw_json() - a json-c value that serialises as @text, verbatim
 * @text: QEMU-formatted JSON, malloc'd; taken over
 *
 * Return: the new value (a string carrying the raw text, see fq_json_set_raw()).
 */
json_object *fq_raw_json(char *text);

/**
 * fq_data_keyed() - the record stored under a key
 * @fmt: printf format of the key, e.g. "reply:%s:%s:%s" (accel, machine, command)
 *
 * Return: the record, or 0.
 */
fq_rec_id fq_data_keyed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * fq_data_accel() - the accelerator whose recordings answer for this VM
 *
 * Return: "kvm" when running with KVM and the version was recorded under
 * it, else "tcg".
 */
const char *fq_data_accel(void);

/**
 * fq_data_recorded_reply() - the recorded answer of an argument-less command
 * for this machine and accelerator (and module state, see fq_data_modules_loaded())
 * @command: the command name
 *
 * Return: the record, or 0.
 */
fq_rec_id fq_data_recorded_reply(const char *command);

/**
 * fq_data_modules_loaded() - QEMU loaded all its QOM modules (qom-list-types
 * does): from now on answers recorded after that are used, e.g.
 * query-command-line-options lists -spice once the spice module is in.
 */
void fq_data_modules_loaded(void);

/* ---- QOM types ------------------------------------------------------------ */

/**
 * fq_qom_type() - a type by name
 * @name: the type name
 *
 * Return: its index, or -1 when the version has no such type.
 */
int fq_qom_type(const char *name);

/**
 * fq_qom_ntypes() - how many types the version has
 *
 * Return: the count (0 without data).
 */
size_t fq_qom_ntypes(void);

/**
 * fq_qom_type_in_order() - the @i-th type in qom-list-types order
 * @i: below fq_qom_ntypes()
 *
 * Return: a type index.
 */
int fq_qom_type_in_order(size_t i);

/**
 * fq_qom_type_name() - a type's name
 * @t: a type index
 *
 * Return: the name.
 */
const char *fq_qom_type_name(int t);

/**
 * fq_qom_type_parent() - a type's parent
 * @t: a type index
 *
 * Return: the parent's index, or -1 for the root ("object", "interface").
 */
int fq_qom_type_parent(int t);

/**
 * fq_qom_type_abstract() - whether a type is abstract
 * @t: a type index
 *
 * Return: true for abstract types.
 */
bool fq_qom_type_abstract(int t);

/**
 * fq_qom_type_rec() - a record of a type
 * @t: a type index
 * @f: which one
 *
 * Return: the record, or 0.
 */
fq_rec_id fq_qom_type_rec(int t, enum fq_type_field f);

/**
 * fq_qom_type_is_a() - object_class_dynamic_cast(): @t is @ancestor, a subclass
 * of it, or implements the interface @ancestor
 * @t:        a type index
 * @ancestor: a type name
 *
 * Return: true if so.
 */
bool fq_qom_type_is_a(int t, const char *ancestor);

/* ---- recorded objects ------------------------------------------------------ */

/**
 * struct fq_data_node - an object of a recorded composition tree
 * @list:    its qom-list record (a list of {"name", "type"} texts)
 * @values:  where its property values start (internal)
 * @nvalues: how many (one per element of @list)
 */
struct fq_data_node {
	fq_rec_id list;
	uint32_t values;
	uint32_t nvalues;
};

/**
 * fq_data_node() - a recorded object
 * @key: "MACHINE:PATH" for the trees, "cpu:ACCEL:MODEL:SUBPATH" for CPU objects
 * @out: receives the node
 *
 * Return: false when nothing was recorded under @key.
 */
bool fq_data_node(const char *key, struct fq_data_node *out);

/**
 * fq_data_node_value() - the qom-get answer for the @i-th listed property
 * @n: the node
 * @i: below @n->nvalues
 *
 * Return: the record (0 for child properties, which were walked instead).
 */
fq_rec_id fq_data_node_value(const struct fq_data_node *n, size_t i);

/**
 * fq_prop_item_field() - a string member of a recorded list element
 * @item:  the element's text, e.g. {"name": "addr", "type": "int32"}
 * @field: the member, e.g. "name"
 * @buf:   receives its value (JSON escapes are not decoded: names have none)
 * @len:   its size
 *
 * Return: @buf, or NULL when @item has no such string member.
 */
const char *fq_prop_item_field(const char *item, const char *field, char *buf, size_t len);

#endif
