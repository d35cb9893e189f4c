/* SPDX-License-Identifier: MIT */
/*
 * A small virtio-mmio (version 2) driver for the test guests, written to be misused: besides
 * the usual steps (negotiate, set up queues, submit chains) it lets the caller put any value in
 * any register, descriptor or ring field. The device answers a notification before the MMIO
 * write that carries it returns (the VMM serves requests synchronously), so a caller looks at
 * the used ring right after vq_submit() and needs no interrupt.
 *
 * Ring memory: each device gets VDEV_MEM bytes of the caller's RAM (page aligned); queue i
 * has its descriptor table, driver area and device area on pages 3i, 3i + 1, 3i + 2, and the
 * last page is scratch for request headers and status bytes (vdev_scratch()).
 */
#pragma once
#include "guest.h"
#include <virtio/uapi.h>

#define VDEV_MEM 0x8000
#define VDEV_MAX_QUEUES 2
#define VNET_HDR_SIZE ((uint32_t)sizeof(struct virtio_net_hdr_v1)) /* before every frame */

struct vq {
    unsigned index, num;
    struct vring_desc *desc;   /* virtual = guest-physical */
    struct vring_avail *avail;
    struct vring_used *used;
    uint16_t avail_idx;        /* the driver's next available index */
};

struct vdev {
    uint64_t base;             /* guest-physical address of its register window */
    uint32_t device_id;        /* VIRTIO_ID_* it must show */
    unsigned num_queues;
    uint8_t *mem;              /* VDEV_MEM bytes of ring memory */
    struct vq q[VDEV_MAX_QUEUES];
};

static inline uint32_t vd_read(const struct vdev *d, uint32_t off)
{
    return mmio_r32(d->base + off);
}
static inline void vd_write(const struct vdev *d, uint32_t off, uint32_t v)
{
    mmio_w32(d->base + off, v);
}
static inline uint32_t vd_status(const struct vdev *d)
{
    return vd_read(d, VIRTIO_MMIO_STATUS);
}
static inline bool vd_needs_reset(const struct vdev *d)
{
    return (vd_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET) != 0;
}
static inline uint8_t *vdev_scratch(const struct vdev *d)
{
    return d->mem + VDEV_MEM - 0x1000;
}

/* Writes 0 to Status and checks MagicValue, Version and DeviceID; false if they are wrong. */
bool vd_reset(struct vdev *d);
/* Reset, ACKNOWLEDGE, DRIVER, DriverFeatures = features, FEATURES_OK; true if FEATURES_OK stuck. */
bool vd_negotiate(struct vdev *d, uint64_t features);
/* Queue qi's registers (num, the three areas) and QueueReady = 1; nothing is checked. */
void vd_queue_at(struct vdev *d, unsigned qi, unsigned num, uint64_t desc, uint64_t avail,
                 uint64_t used);
/* Queue qi of size num on its own (cleared) ring memory, ready. */
void vd_queue(struct vdev *d, unsigned qi, unsigned num);
/* vd_negotiate(), every queue of size num, DRIVER_OK: false if any step failed. */
bool vd_setup(struct vdev *d, uint64_t features, unsigned num);

/* Descriptor i of queue q. */
void vq_desc(struct vq *q, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next);
/* Puts head in the next available entry, publishes the new available index, notifies. */
void vq_submit(struct vdev *d, unsigned qi, uint16_t head);
/* The device's used index (as it wrote it). */
uint16_t vq_used_idx(const struct vq *q);

/*
 * A virtio-blk request on queue 0 with descriptors 0 (header, 16 bytes, device-readable),
 * 1 (len bytes at buf: device-writable for IN and GET_ID, readable for OUT; none if len is 0)
 * and 2 (the status byte, device-writable), both in the scratch page. Returns the status byte,
 * or -1 if the device did not use the chain (the used index did not move).
 */
int blk_request(struct vdev *d, uint32_t type, uint64_t sector, uint64_t buf, uint32_t len);
