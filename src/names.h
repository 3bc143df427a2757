/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* names.h - the names qemudrv gives what it makes in QEMU, from one place */
#ifndef QD_NAMES_H
#define QD_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/*
 * DOC: names
 *
 * A device of id X (cold- or hot-plugged) owns what qemudrv makes for it in
 * QEMU's other namespaces, named from X here and nowhere else: its block
 * format node "drive-X" (its protocol node is QEMU's, "#blockNNN"), its
 * netdev "net-X", its memory backend object "mem-X", its chardev "char-X",
 * its fsdev "fsdev-X", and the descriptors it passes with getfd,
 * "fd-X-Q" and "vhostfd-X-Q" for queue Q. The namespaces are QEMU's own
 * (nodes, netdevs, /objects, chardevs, monitor fds): device ids are unique
 * among devices, so these names are unique in theirs. qemudrv's own devices
 * and objects (below) and the hot-plugged vCPUs, "cpu-N", and bridges,
 * "pci-bridge-N", have ids no caller may take.
 */

/* QEMU's limit on a block node name. */
#define QD_NODE_NAME_MAX 31

/* Ids of what qemudrv's own command line makes (devices, chardevs, objects). */
#define QD_ID_SERIAL	    "serial0"	   /* virtio-serial-pci */
#define QD_ID_CONSOLE	    "console0"	   /* virtconsole */
#define QD_ID_CONSOLE_CHAR  "charconsole0" /* its chardev */
#define QD_ID_SCSI	    "scsi0"	   /* virtio-scsi-pci */
#define QD_ID_SCSI_BUS	    "scsi0.0"	   /* its bus */
#define QD_ID_SCSI_IOTHREAD "iothread-scsi0"
#define QD_ID_QMP_CHAR	    "qmp0"
#define QD_ID_NVDIMM	    "nv0"   /* the root file system image */
#define QD_ID_NVDIMM_MEM    "mem0"  /* its memory backend */
#define QD_ID_RAM	    "dimm1" /* the boot RAM's backend, when it needs one */

/* qd_name_node() - the block node of disk @dev_id, "drive-<id>" (malloc'd, NULL: ENOMEM). */
char *qd_name_node(const char *dev_id);

/* qd_name_node_fits() - whether the node of @dev_id is within QEMU's QD_NODE_NAME_MAX. */
bool qd_name_node_fits(const char *dev_id);

/* qd_name_is_node() - whether @node is named like qemudrv's nodes (an orphan candidate). */
bool qd_name_is_node(const char *node);

/* qd_name_netdev() - the netdev of NIC @dev_id, "net-<id>" (malloc'd). */
char *qd_name_netdev(const char *dev_id);

/* qd_name_memdev() - the memory backend of memory device @dev_id, "mem-<id>" (malloc'd). */
char *qd_name_memdev(const char *dev_id);

/* qd_name_is_memdev() - whether object @id is named like qemudrv's memory backends. */
bool qd_name_is_memdev(const char *id);

/* qd_name_chardev() - the chardev of device @dev_id, "char-<id>" (malloc'd). */
char *qd_name_chardev(const char *dev_id);

/* qd_name_fsdev() - the fsdev of 9p device @dev_id, "fsdev-<id>" (malloc'd). */
char *qd_name_fsdev(const char *dev_id);

/*
 * qd_name_fd() - the monitor name of descriptor @queue of NIC @dev_id:
 * "fd-<id>-<queue>", or with @vhost "vhostfd-<id>-<queue>" (malloc'd).
 */
char *qd_name_fd(const char *dev_id, bool vhost, unsigned queue);

/* qd_name_vcpu() - hot-plugged vCPU number @seq: "cpu-<seq>" into @buf. */
void qd_name_vcpu(unsigned seq, char *buf, size_t size);

/* qd_name_is_vcpu() - whether @id is in the hot-plugged vCPUs' namespace, "cpu-<digits>". */
bool qd_name_is_vcpu(const char *id);

/* qd_name_bridge() - PCI bridge number @i: "pci-bridge-<i>" into @buf. */
void qd_name_bridge(unsigned i, char *buf, size_t size);

/*
 * qd_name_is_reserved() - ids a caller's device may not have: qemudrv's own
 * (QD_ID_*), its bridges' (pci-bridge-*) and its vCPUs' (cpu-N).
 */
bool qd_name_is_reserved(const char *id);

/* qd_name_is_own_device() - whether @id is one of the devices qemudrv's command line adds. */
bool qd_name_is_own_device(const char *id);

#endif
