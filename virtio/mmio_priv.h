/* SPDX-License-Identifier: MIT */
/* Between the parts of the virtio-mmio transport (mmio.c, mmio_queue.c); not for device models. */
#pragma once
#include <virtio/mmio.h>

/* Raises the device's interrupt with InterruptStatus bits `bits` (VIRTIO_MMIO_INT_*). */
void virtio_mmio_interrupt(struct virtio_mmio *t, uint32_t bits);
/* Sets DEVICE_NEEDS_RESET (once), with a configuration-change interrupt once DRIVER_OK is set. */
void virtio_mmio_needs_reset(struct virtio_mmio *t);
/* A 32-bit access to one of the per-queue registers (QueueSel's queue); false if not one. */
bool virtio_mmio_queue_reg(struct virtio_mmio *t, uint32_t offset, bool write, uint32_t *value);
