/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bus.h - the qdev buses devices plug into: the machine's (from its recorded
 * composition tree) and those devices bring (from the object recorded for
 * their type, or the PCI and SCSI models)
 *
 * A bus has a QOM type ("PCI", "PCIE", "usb-bus", "virtio-serial-bus",
 * "IDE", "SCSI", "ISA", "System", ...) and a device type the bus type it
 * needs (the "No 'X' bus found" of its recorded device_add on -machine none);
 * a device fits a bus whose type is that type or a subclass of it. A bus
 * takes hot-plugged devices when it has a hot-plug handler (its recorded
 * "hotplug-handler" link is set).
 */
#ifndef FQ_BUS_H
#define FQ_BUS_H

#include <stdbool.h>

#include "fakeqemu.h"

/**
 * struct fq_bus - one bus
 * @name:         its id ("pci.0", "xhci.0", "vs.0")
 * @type:         its QOM type
 * @hotpluggable: it has a hot-plug handler
 * @owner:        the device that provides it, NULL for the machine's
 * @pci:          PCI buses: their slot model
 * @scsi:         SCSI buses: the controller (fq_device.scsi_bus_name)
 * @max_ports:    virtio-serial-bus: the controller's max_ports
 * @links:        its instance properties: "realized", "hotplug-handler" and a "child[N]"
 *                link per device plugged (bus_add_child()), with the history
 *                of removals (GLib order)
 * @next_index:   N of the next child link (never reused)
 * @touched:      a device of the model came or went (else the recorded list stands)
 * @next:         registry list, in creation order (qbus_find_recursive() order)
 */
struct fq_bus {
	char *name;
	char *type;
	bool hotpluggable;
	struct fq_device *owner;
	struct fq_pci_bus *pci;
	struct fq_device *scsi;
	int max_ports;
	struct fq_gtable *links;
	int next_index;
	bool touched;
	struct fq_bus *next;
};

/**
 * fq_bus_find() - the bus with id @name
 * @name: the bus id
 *
 * Return: the bus, or NULL.
 */
struct fq_bus *fq_bus_find(const char *name);

/**
 * fq_bus_first_of() - where a device that needs a bus of @type goes by
 * default: the first such bus (qbus_find_recursive())
 * @type: the bus type the device needs
 *
 * Return: the bus, or NULL.
 */
struct fq_bus *fq_bus_first_of(const char *type);

/**
 * fq_bus_fits() - whether a device needing @type can go on @bus
 * @bus:  the bus
 * @type: the bus type the device needs
 *
 * Return: true when @bus's type is @type or a subclass of it.
 */
bool fq_bus_fits(const struct fq_bus *bus, const char *type);

/**
 * fq_bus_add() - register a bus
 * @name:         its id (copied)
 * @type:         its QOM type (copied)
 * @hotpluggable: whether it has a hot-plug handler
 * @owner:        the device that provides it, or NULL
 *
 * Return: the bus.
 */
struct fq_bus *fq_bus_add(const char *name, const char *type, bool hotpluggable,
			  struct fq_device *owner);

/**
 * fq_buses_add_recorded() - the buses of @dev as the object recorded for its
 * type has them (children whose type is a bus, below any child)
 * @dev: a device just created
 */
void fq_buses_add_recorded(struct fq_device *dev);

/**
 * fq_buses_remove_owner() - @dev goes: so do its buses
 * @dev: the device
 */
void fq_buses_remove_owner(struct fq_device *dev);

/**
 * fq_bus_plug() - @dev is now on @bus: it gets the bus's next child link
 * @bus: the bus
 * @dev: the device (its @bus_index is set)
 */
void fq_bus_plug(struct fq_bus *bus, struct fq_device *dev);

/**
 * fq_bus_unplug() - @dev leaves its bus: its child link goes
 * @dev: the device
 */
void fq_bus_unplug(struct fq_device *dev);

/**
 * fq_bus_by_qom_name() - the bus whose QOM object is named @name
 * @name: the last component of the bus object's path ("sysbus" is main-system-bus)
 *
 * Return: the bus, or NULL.
 */
struct fq_bus *fq_bus_by_qom_name(const char *name);

/**
 * fq_bus_count() - the devices on @bus
 * @bus: the bus
 *
 * Return: how many devices of the model sit on it.
 */
int fq_bus_count(const struct fq_bus *bus);

#endif
