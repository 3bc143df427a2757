/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * net.h - network backends: -netdev, netdev_add, netdev_del, set_link, query-rx-filter
 *
 * DOC: Theory of operation
 *
 * A netdev is checked and "opened" as QEMU's net_client_init1() and the
 * backend's init function do, against the host where QEMU would touch it
 * (a tap fd must answer TUNGETIFF, a vhost fd must be /dev/vhost-net, a
 * socket backend listens), but no host device is ever created: tap by
 * ifname succeeds as it does for root, without a tap device. Netdevs are
 * FQ_BACKEND_NETDEV entries of the backends registry; a NIC's "netdev"
 * property claims one.
 */
#ifndef FQ_NET_H
#define FQ_NET_H

#include <json-c/json.h>

#include "qmp_dispatch.h"

/**
 * fq_netdev_option() - a -netdev option (QemuOpts text or, from 7.0, JSON)
 * @arg: its argument
 *
 * Checked at parse time as QEMU does; created by fq_netdevs_create().
 */
void fq_netdev_option(const char *arg);

/**
 * fq_netdevs_create() - net_init_clients(): create the -netdev backends in order
 *
 * Exits with QEMU's message (prefixed by the option) on the first failure.
 */
void fq_netdevs_create(void);

/**
 * fq_net_check_clients() - net_check_clients() once the machine is built:
 * warn about hub ports and netdevs without a peer
 */
void fq_net_check_clients(void);

/* QMP commands. */
void fq_cmd_netdev_add(json_object *args, struct fq_reply *r);
void fq_cmd_netdev_del(json_object *args, struct fq_reply *r);
void fq_cmd_set_link(json_object *args, struct fq_reply *r);
void fq_cmd_query_rx_filter(json_object *args, struct fq_reply *r);

#endif
