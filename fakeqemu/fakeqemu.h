/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fakeqemu.h - the state of the fake QEMU process: configuration, machine model, monitors */
#ifndef FAKEQEMU_H
#define FAKEQEMU_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "dialect.h"
#include "strbuf.h"

enum fq_runstate {
	FQ_PRELAUNCH,
	FQ_RUNNING,
	FQ_PAUSED,
	FQ_SHUTDOWN,
	FQ_INMIGRATE,	/* -incoming: waiting for (or loading) a migration stream */
	FQ_POSTMIGRATE, /* stopped by a completed outgoing migration */
};

enum fq_guest_kind {
	FQ_GUEST_COOPERATIVE, /* a Linux guest: ACPI unplug completes */
	FQ_GUEST_ABSENT,      /* no OS: PCI unplug never completes, CPU unplug refused */
	FQ_GUEST_SLOW,	      /* cooperative, after guest_delay_ms */
	FQ_GUEST_REJECT,      /* the guest refuses unplug requests */
};

enum fq_dev_kind {
	FQ_DEV_CPU,
	FQ_DEV_PCI_BRIDGE,
	FQ_DEV_VIRTIO_SCSI,
	FQ_DEV_VIRTIO_BLK,
	FQ_DEV_VFIO,
	FQ_DEV_SCSI_HD,
	FQ_DEV_PCI_OTHER,
	FQ_DEV_OTHER,
};

struct fq_pci_bus;
struct fq_block_node;
struct fq_bus;
struct fq_node_priv;

/* struct fq_device - one device of the machine (cold- or hot-plugged). */
struct fq_device {
	char *id; /* NULL for anonymous devices */
	char *driver;
	char *qom_path;
	enum fq_dev_kind kind;
	bool hotplugged;
	json_object *props;  /* as given to device_add / -device (owned), qom-set ones added */
	struct fq_bus *qbus; /* the bus it sits on (bus.h), NULL for bus-less devices */
	int port_nr;	     /* virtio-serial ports: the port id */
	int bus_index;	     /* N of its bus's "child[N]" link */
	/* PCI */
	struct fq_pci_bus *bus;
	int slot, function;
	struct fq_pci_bus *child_bus; /* pci-bridge: its secondary bus */
	char *scsi_bus_name;	      /* virtio-scsi-pci: "<id>.0" */
	char *host;		      /* vfio-pci: host BDF */
	/* SCSI */
	struct fq_device *scsi_controller;
	int scsi_id, lun;
	/* block */
	struct fq_block_node *drive;
	/* CPU */
	int cpu_index;
	/* unplug */
	bool unplug_pending;
	bool unplug_requested_before_run; /* the ACPI request was lost (-S, never ran) */
	int64_t unplug_vclock_ms;
	struct fq_device *next;
};

/* struct fq_pci_bus - a PCI bus with 32 slots. */
struct fq_pci_bus {
	char *name;		  /* "pci.0", "pcie.0", or the bridge's id */
	struct fq_device *bridge; /* NULL for the root bus */
	bool hotpluggable;
	bool hotplug_off; /* the port's hotplug=off */
	int bus_number;
	struct fq_device *slots[32][8];
	struct fq_pci_bus *next;
};

/* struct fq_block_node - a node from blockdev-add (or -blockdev), with its file child. */
struct fq_block_node {
	char *node_name;
	bool auto_named; /* "#blockNNN" child nodes */
	char *driver;
	char *filename;
	bool read_only;
	bool writer;		    /* attached to a device that writes */
	struct fq_block_node *file; /* child node ("file" member), or NULL */
	int parents;		    /* nodes using this one as their "file" (QEMU allows several) */
	struct fq_device *device;   /* device using it as its drive */
	json_object *options;	    /* the blockdev-add arguments */
	struct fq_node_priv *priv;  /* the block layer's model of it (cmd_block.c) */
	struct fq_block_node *next;
};

/* struct fq_cpu_slot - one possible CPU (an entry of query-hotpluggable-cpus). */
struct fq_cpu_slot {
	int socket, die, core, thread;
	struct fq_device *cpu; /* NULL when free */
	char *qom_path;	       /* boot CPUs: /machine/unattached/device[N] */
	bool boot;
	bool gone; /* unplugged but never finalized (7.2 ACPI CPU unplug) */
};

/* struct fq_config - what the command line asked for. */
struct fq_config {
	const char *progname;
	char *name;
	char *uuid;
	char *machine;	   /* resolved: "pc", "q35", "none" */
	char *machine_arg; /* as given, for messages */
	char *accel;	   /* "kvm", "tcg" */
	char *cpu_model;   /* e.g. "host", "qemu64" */
	char *cpu_opts;	   /* -cpu as given: the model and its feature flags */
	bool start_paused; /* -S */
	bool daemonize;
	char *pidfile;
	bool acpi;
	unsigned cpus, sockets, dies, cores, threads, maxcpus;
	/* -m as given (machine.c) and as the machine resolves it (fq_machine_init()). */
	char *mem_text;			/* the last -m argument, for messages */
	char *mem_size_text, *mem_maxmem_text; /* size= and maxmem= as given */
	uint64_t mem_size_bytes; /* size= as QemuOpts read it, 0: not given */
	uint64_t ram_size;	/* the RAM in bytes, aligned as QEMU does */
	uint64_t ram_slots;	/* slots= */
	bool has_slots, has_maxmem;
	uint64_t maxmem;	/* maxram_size: maxmem=, or ram_size */
	bool nvdimm;			/* -machine nvdimm=on */
	char *kernel;
	char *incoming; /* -incoming URI (or "defer") */
	/* fake-specific */
	const struct fq_dialect *dialect;
	enum fq_guest_kind guest;
	int guest_delay_ms;
	char *faults_path;
	char *replay_path;
};

/* struct fq_vm - the machine model: everything QMP can observe. */
struct fq_vm {
	struct fq_config cfg;
	enum fq_runstate state;
	bool ever_ran;
	int64_t vclock_base_ms; /* virtual clock accumulated before the last start */
	int64_t run_started_ms; /* wall clock when it last started running, or -1 */
	struct fq_cpu_slot *cpu_slots;
	int ncpu_slots;
	char *cpu_type; /* e.g. "host-x86_64-cpu" */
	struct fq_pci_bus *pci_buses;
	struct fq_device *devices;
	struct fq_block_node *nodes;
	int unattached;	    /* /machine/unattached/device[N] */
	int auto_node_next; /* #blockNNN */
};

extern struct fq_vm fq_vm;

/* fq_vclock_ms() - milliseconds the guest has run (virtual clock). */
int64_t fq_vclock_ms(void);

/*
 * fq_event() - raise a QMP event now: sent to every negotiated monitor.
 * @data is consumed (NULL for events without data).
 */
void fq_event(const char *name, json_object *data);

/* fq_event_later() - raise an event after @delay_ms (0: after the current reply). */
void fq_event_later(const char *name, json_object *data, int delay_ms);

/* fq_shutdown_requested() - finish: SHUTDOWN was sent, exit once replies are out. */
void fq_request_exit(int status);

/* fq_die() - print "<progname>: <message>" to stderr and exit(1), as QEMU's error_report + exit. */
void fq_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
