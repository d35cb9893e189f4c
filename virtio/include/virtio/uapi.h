/* SPDX-License-Identifier: MIT */
/*
 * The virtio structures and constants, from the Linux uapi headers in Debian's linux-source (never
 * copied into the repository; the build finds them through KEEL_LINUX_BITS and maps their kernel
 * types with virtio/include/shim). Include this instead of the <linux/virtio_*.h> headers.
 *
 * Byte order: every field the guest shares with a virtio 1.x device is little-endian. Keel's
 * targets (arm64, riscv64, x86_64) and its test hosts are little-endian, so the fields are read
 * and written natively; the assertion below stops a build where that would be wrong.
 */
#pragma once
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_rng.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "virtio/ assumes a little-endian CPU");
_Static_assert(sizeof(struct vring_desc) == 16, "split-ring descriptor layout");
_Static_assert(sizeof(struct vring_used_elem) == 8, "split-ring used element layout");
_Static_assert(sizeof(struct virtio_blk_outhdr) == 16, "virtio-blk request header layout");
_Static_assert(sizeof(struct virtio_net_hdr_v1) == 12, "virtio-net header layout");
