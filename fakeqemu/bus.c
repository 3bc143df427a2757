/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bus.c - the qdev buses devices plug into (see bus.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "gtable.h"
#include "machine.h"
#include "qomdata.h"

static struct fq_bus *buses;
static bool machine_buses_known;
static int present;
#define PRESENT (&present)

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		abort();
	return d;
}

struct fq_bus *fq_bus_add(const char *name, const char *type, bool hotpluggable,
			  struct fq_device *owner)
{
	struct fq_bus *b = calloc(1, sizeof(*b)), **pp;

	if (!b)
		abort();
	b->name = xstrdup(name);
	b->type = xstrdup(type);
	b->hotpluggable = hotpluggable;
	b->owner = owner;
	b->pci = fq_pci_bus_by_name(name);
	b->max_ports = 31;
	b->links = fq_gtable_new();
	fq_gtable_insert(b->links, "realized", PRESENT);
	fq_gtable_insert(b->links, "hotplug-handler", PRESENT);
	for (pp = &buses; *pp; pp = &(*pp)->next)
		;
	*pp = b;
	return b;
}

/* A recorded qom-get answer of a link: "" (unset) or a path. */
static bool link_set(fq_rec_id value)
{
	const char *t = fq_rec_text(value);

	return t && strcmp(t, "\"\"") != 0;
}

/*
 * The buses below a recorded object: children whose type is a bus. @key is
 * the node key, @rename maps the recorded owner's id to the new one.
 */
static void add_from_record(const char *key, struct fq_device *owner, const char *probe,
			    const char *id, int depth)
{
	struct fq_data_node n;
	char name[128], type[128];

	if (depth > 8 || !fq_data_node(key, &n))
		return;
	for (size_t i = 0; i < fq_rec_list_len(n.list); i++) {
		const char *item = fq_rec_list_item(n.list, i);
		char *child, *bus_type;

		if (!fq_prop_item_field(item, "name", name, sizeof(name)) ||
		    !fq_prop_item_field(item, "type", type, sizeof(type)) ||
		    strncmp(type, "child<", 6) != 0)
			continue;
		bus_type = strndup(type + 6, strlen(type) - 7);
		if (asprintf(&child, "%s/%s", key, name) < 0)
			abort();
		if (fq_qom_type_is_a(fq_qom_type(bus_type), "bus")) {
			struct fq_data_node bn;
			bool hotplug = false;
			char bus_name[160], field[128];

			if (fq_data_node(child, &bn))
				for (size_t j = 0; j < fq_rec_list_len(bn.list); j++)
					if (fq_prop_item_field(fq_rec_list_item(bn.list, j), "name",
							       field, sizeof(field)) &&
					    !strcmp(field, "hotplug-handler"))
						hotplug = link_set(fq_data_node_value(&bn, j));
			if (probe && !strncmp(name, probe, strlen(probe)))
				snprintf(bus_name, sizeof(bus_name), "%s%s", id,
					 name + strlen(probe));
			else if (!strcmp(bus_type, "System"))
				snprintf(bus_name, sizeof(bus_name), "main-system-bus");
			else
				snprintf(bus_name, sizeof(bus_name), "%s", name);
			if (!fq_bus_find(bus_name)) {
				struct fq_bus *nb = fq_bus_add(bus_name, bus_type, hotplug, owner);

				/* The devices already on it, as recorded (child[0], ...). */
				for (size_t j = 0; j < fq_rec_list_len(bn.list); j++) {
					int k;

					if (fq_prop_item_field(fq_rec_list_item(bn.list, j), "name",
							       field, sizeof(field)) &&
					    sscanf(field, "child[%d]", &k) == 1 &&
					    k >= nb->next_index)
						nb->next_index = k + 1;
				}
				for (int k = 0; k < nb->next_index; k++) {
					snprintf(field, sizeof(field), "child[%d]", k);
					fq_gtable_insert(nb->links, field, PRESENT);
				}
			}
		} else {
			add_from_record(child, owner, probe, id, depth + 1);
		}
		free(child);
		free(bus_type);
	}
}

/* The machine's buses, from its recorded tree (on first use). */
static void machine_buses(void)
{
	char key[64];

	if (machine_buses_known)
		return;
	machine_buses_known = true;
	snprintf(key, sizeof(key), "%s:/machine", fq_vm.cfg.machine);
	add_from_record(key, NULL, NULL, NULL, 0);
}

struct fq_bus *fq_bus_find(const char *name)
{
	machine_buses();
	for (struct fq_bus *b = buses; b; b = b->next)
		if (!strcmp(b->name, name))
			return b;
	return NULL;
}

bool fq_bus_fits(const struct fq_bus *bus, const char *type)
{
	return fq_qom_type_is_a(fq_qom_type(bus->type), type);
}

struct fq_bus *fq_bus_first_of(const char *type)
{
	machine_buses();
	for (struct fq_bus *b = buses; b; b = b->next)
		if (fq_bus_fits(b, type))
			return b;
	return NULL;
}

void fq_buses_add_recorded(struct fq_device *dev)
{
	char key[256];

	machine_buses();
	snprintf(key, sizeof(key), "dev:%s:", dev->driver);
	if (dev->id) {
		add_from_record(key, dev, "probe", dev->id, 0);
		return;
	}
	/* An anonymous device's bus is named after its type (qbus_init_internal()). */
	{
		struct fq_data_node n;

		if (!fq_data_node(key, &n))
			return;
		for (size_t i = 0; i < fq_rec_list_len(n.list); i++) {
			char name[128], type[128], bus_name[160];
			static int counter[64];
			static char *counter_type[64];
			int c;

			if (!fq_prop_item_field(fq_rec_list_item(n.list, i), "type", type,
						sizeof(type)) ||
			    strncmp(type, "child<", 6) != 0 ||
			    !fq_prop_item_field(fq_rec_list_item(n.list, i), "name", name,
						sizeof(name)))
				continue;
			type[strlen(type) - 1] = '\0';
			if (!fq_qom_type_is_a(fq_qom_type(type + 6), "bus"))
				continue;
			for (c = 0; c < 64 && counter_type[c] && strcmp(counter_type[c], type + 6);
			     c++)
				;
			if (c == 64)
				continue;
			if (!counter_type[c])
				counter_type[c] = xstrdup(type + 6);
			snprintf(bus_name, sizeof(bus_name), "%s.%d", type + 6, counter[c]++);
			for (char *p = bus_name; *p; p++)
				*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
			fq_bus_add(bus_name, type + 6, true, dev);
		}
	}
}

void fq_buses_remove_owner(struct fq_device *dev)
{
	for (struct fq_bus **pp = &buses; *pp;) {
		struct fq_bus *b = *pp;

		if (b->owner == dev) {
			*pp = b->next;
			fq_gtable_free(b->links);
			free(b->name);
			free(b->type);
			free(b);
		} else {
			pp = &b->next;
		}
	}
}

int fq_bus_count(const struct fq_bus *bus)
{
	int n = 0;

	for (struct fq_device *d = fq_vm.devices; d; d = d->next)
		if (d->qbus == bus)
			n++;
	return n;
}

void fq_bus_plug(struct fq_bus *bus, struct fq_device *dev)
{
	char name[32];

	dev->qbus = bus;
	dev->bus_index = bus->next_index++;
	bus->touched = true;
	snprintf(name, sizeof(name), "child[%d]", dev->bus_index);
	fq_gtable_insert(bus->links, name, PRESENT);
}

void fq_bus_unplug(struct fq_device *dev)
{
	char name[32];

	if (!dev->qbus)
		return;
	snprintf(name, sizeof(name), "child[%d]", dev->bus_index);
	fq_gtable_remove(dev->qbus->links, name);
	dev->qbus = NULL;
}

struct fq_bus *fq_bus_by_qom_name(const char *name)
{
	return fq_bus_find(!strcmp(name, "sysbus") ? "main-system-bus" : name);
}
