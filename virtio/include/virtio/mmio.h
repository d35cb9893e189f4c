/* SPDX-License-Identifier: MIT */
/*
 * The virtio-mmio transport, version 2 (virtio 1.2 §4.2.2): the register window a device shows
 * the guest, with its configuration space at 0x100, and the device's interrupt as an edge on one
 * line (virtio_host.notify_irq).
 *
 * The VMM sets up the device model (virtio_blk_init(), ...), attaches a struct virtio_mmio to it
 * with virtio_mmio_init(), and routes every guest access in the device's 0x200-byte window to
 * virtio_mmio_access(). An access the transport does not know (offset, width) returns false and
 * the VMM reports it.
 */
#pragma once
#include <virtio/device.h>

#define VIRTIO_MMIO_WINDOW 0x200        /* bytes of MMIO space per device */
#define VIRTIO_MMIO_MAGIC 0x74726976u   /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x4c45454bu  /* "KEEL" */

struct virtio_mmio {
    struct virtio_device *dev;
    /* The transport's own registers. */
    uint32_t device_features_sel, driver_features_sel, queue_sel, shm_sel;
};

/* Attaches the transport to device d (set up already). */
void virtio_mmio_init(struct virtio_mmio *t, struct virtio_device *d);

/*
 * One guest access at `offset` (< VIRTIO_MMIO_WINDOW) of the device's window, `width` 1, 2, 4 or
 * 8 bytes; a read fills *value. Returns false for an access the transport rejects (unknown
 * offset, a width other than 4 on a register, outside the configuration space, a read-only
 * register written): the VMM reports it, a read then gives 0.
 */
bool virtio_mmio_access(struct virtio_mmio *t, uint64_t offset, unsigned width, bool write,
                        uint64_t *value);
