/* SPDX-License-Identifier: MIT */
/* Stands in for <linux/if_ether.h>: the one constant <linux/virtio_net.h> needs. */
#ifndef _LINUX_IF_ETHER_H
#define _LINUX_IF_ETHER_H

#define ETH_ALEN 6 /* bytes in an Ethernet address */

#endif
