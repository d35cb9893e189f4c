// SPDX-License-Identifier: MIT
// The test guests' virtio-mmio driver (see vdrv.h).
#include "vdrv.h"
#include <string.h>

bool vd_reset(struct vdev *d)
{
    vd_write(d, VIRTIO_MMIO_STATUS, 0);
    return vd_read(d, VIRTIO_MMIO_MAGIC_VALUE) == 0x74726976 /* "virt" */ &&
           vd_read(d, VIRTIO_MMIO_VERSION) == 2 &&
           vd_read(d, VIRTIO_MMIO_DEVICE_ID) == d->device_id;
}

bool vd_negotiate(struct vdev *d, uint64_t features)
{
    if (!vd_reset(d)) {
        return false;
    }
    vd_write(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    vd_write(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    for (uint32_t sel = 0; sel < 2; sel++) {
        vd_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, sel);
        vd_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> (32 * sel)));
    }
    uint32_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK;
    vd_write(d, VIRTIO_MMIO_STATUS, s);
    return (vd_status(d) & VIRTIO_CONFIG_S_FEATURES_OK) != 0;
}

void vd_queue_at(struct vdev *d, unsigned qi, unsigned num, uint64_t desc, uint64_t avail,
                 uint64_t used)
{
    struct vq *q = &d->q[qi];
    q->index = qi;
    q->num = num;
    q->desc = (struct vring_desc *)(uintptr_t)desc;
    q->avail = (struct vring_avail *)(uintptr_t)avail;
    q->used = (struct vring_used *)(uintptr_t)used;
    q->avail_idx = 0;
    vd_write(d, VIRTIO_MMIO_QUEUE_SEL, qi);
    vd_write(d, VIRTIO_MMIO_QUEUE_NUM, num);
    vd_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
    vd_write(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
    vd_write(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail);
    vd_write(d, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(avail >> 32));
    vd_write(d, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used);
    vd_write(d, VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(used >> 32));
    vd_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
}

void vd_queue(struct vdev *d, unsigned qi, unsigned num)
{
    uint8_t *m = d->mem + 3 * 0x1000 * qi;
    memset(m, 0, 3 * 0x1000);
    barrier();
    uint64_t a = (uint64_t)(uintptr_t)m;
    vd_queue_at(d, qi, num, a, a + 0x1000, a + 0x2000);
}

bool vd_setup(struct vdev *d, uint64_t features, unsigned num)
{
    if (!vd_negotiate(d, features)) {
        return false;
    }
    for (unsigned i = 0; i < d->num_queues; i++) {
        vd_queue(d, i, num);
    }
    vd_write(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
                                        VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
    return (vd_status(d) & 0xff) == (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
                                     VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

void vq_desc(struct vq *q, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    q->desc[i] = (struct vring_desc){ .addr = addr, .len = len, .flags = flags, .next = next };
}

void vq_submit(struct vdev *d, unsigned qi, uint16_t head)
{
    struct vq *q = &d->q[qi];
    q->avail->ring[q->avail_idx % q->num] = head;
    barrier(); /* the entry (and the descriptors) before the index */
    q->avail_idx++;
    *(volatile uint16_t *)&q->avail->idx = q->avail_idx;
    barrier();
    vd_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, qi);
}

uint16_t vq_used_idx(const struct vq *q)
{
    barrier();
    return *(volatile uint16_t *)&q->used->idx;
}

int blk_request(struct vdev *d, uint32_t type, uint64_t sector, uint64_t buf, uint32_t len)
{
    struct vq *q = &d->q[0];
    uint8_t *scratch = vdev_scratch(d);
    struct virtio_blk_outhdr *h = (struct virtio_blk_outhdr *)scratch;
    volatile uint8_t *status = scratch + 64;
    *h = (struct virtio_blk_outhdr){ .type = type, .sector = sector };
    *status = 0xaa;
    uint16_t data_flags = type == VIRTIO_BLK_T_OUT ? 0 : VRING_DESC_F_WRITE;
    vq_desc(q, 0, (uint64_t)(uintptr_t)h, sizeof(*h), VRING_DESC_F_NEXT, len ? 1 : 2);
    vq_desc(q, 1, buf, len, data_flags | VRING_DESC_F_NEXT, 2);
    vq_desc(q, 2, (uint64_t)(uintptr_t)status, 1, VRING_DESC_F_WRITE, 0);
    uint16_t before = vq_used_idx(q);
    vq_submit(d, 0, 0);
    if (vq_used_idx(q) == before) {
        return -1;
    }
    return *status;
}
