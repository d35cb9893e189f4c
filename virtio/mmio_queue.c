// SPDX-License-Identifier: MIT
/*
 * The per-queue registers of the virtio-mmio transport (the queue QueueSel names), and the
 * queue helpers device models use. The driver configures a queue while it is not ready
 * (QueueNum, the three area addresses), then writes QueueReady = 1; the rings check the
 * configuration then (virtq_enable()), and a queue that fails it makes the device need a reset.
 */
#include "mmio_priv.h"

struct virtq *virtio_mmio_queue(struct virtio_mmio *t, unsigned index)
{
    if (index >= t->num_queues || !(t->status & VIRTIO_CONFIG_S_DRIVER_OK)) {
        return NULL;
    }
    struct virtq *q = &t->queues[index];
    return q->ready && !q->broken ? q : NULL;
}

void virtio_mmio_queue_done(struct virtio_mmio *t, struct virtq *q)
{
    if (q->broken) {
        virtio_mmio_needs_reset(t);
    } else if (virtq_need_interrupt(q)) {
        virtio_mmio_interrupt(t, VIRTIO_MMIO_INT_VRING);
    }
}

static void ready_write(struct virtio_mmio *t, struct virtq *q, uint32_t value)
{
    if (value == 0) {
        q->ready = false; /* the driver stops using the queue; its configuration stays */
        return;
    }
    if (q->broken || q->ready) {
        return; /* broken until reset; or enabled already */
    }
    if (!(t->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
        virtio_mmio_fail(t, "queue %u enabled before FEATURES_OK", q->index);
        return;
    }
    if (!virtq_enable(q, virtio_mmio_has(t, VIRTIO_RING_F_EVENT_IDX),
                      virtio_mmio_has(t, VIRTIO_RING_F_INDIRECT_DESC))) {
        virtio_mmio_needs_reset(t); /* the rings logged why */
    }
}

/* Writes one half of a 64-bit area address. */
static void set_half(uint64_t *gpa, bool high, uint32_t value)
{
    unsigned shift = high ? 32 : 0;
    *gpa = (*gpa & ~(0xffffffffull << shift)) | (uint64_t)value << shift;
}

static bool queue_write(struct virtio_mmio *t, struct virtq *q, uint32_t offset, uint32_t v)
{
    if (offset == VIRTIO_MMIO_QUEUE_READY) {
        ready_write(t, q, v);
        return true;
    }
    if (q->ready) {
        virtio_env_log(&t->env, "queue %u: register 0x%x written while ready: ignored", q->index,
                       offset);
        return true;
    }
    switch (offset) {
    case VIRTIO_MMIO_QUEUE_NUM:
        if (!virtq_size_ok(v)) {
            virtio_mmio_fail(t, "queue %u: bad size %u (a power of 2 up to %u)", q->index, v,
                             VIRTQ_MAX_SIZE);
        } else {
            q->num = (uint16_t)v;
        }
        return true;
    case VIRTIO_MMIO_QUEUE_DESC_LOW: case VIRTIO_MMIO_QUEUE_DESC_HIGH:
        set_half(&q->desc_gpa, offset == VIRTIO_MMIO_QUEUE_DESC_HIGH, v);
        return true;
    case VIRTIO_MMIO_QUEUE_AVAIL_LOW: case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
        set_half(&q->avail_gpa, offset == VIRTIO_MMIO_QUEUE_AVAIL_HIGH, v);
        return true;
    case VIRTIO_MMIO_QUEUE_USED_LOW: case VIRTIO_MMIO_QUEUE_USED_HIGH:
        set_half(&q->used_gpa, offset == VIRTIO_MMIO_QUEUE_USED_HIGH, v);
        return true;
    default:
        return false;
    }
}

bool virtio_mmio_queue_reg(struct virtio_mmio *t, uint32_t offset, bool write, uint32_t *value)
{
    bool selected = t->queue_sel < t->num_queues;
    struct virtq *q = selected ? &t->queues[t->queue_sel] : NULL;
    if (!write) {
        switch (offset) {
        case VIRTIO_MMIO_QUEUE_NUM_MAX: *value = selected ? VIRTQ_MAX_SIZE : 0; return true;
        case VIRTIO_MMIO_QUEUE_READY: *value = selected && q->ready; return true;
        default: return false;
        }
    }
    switch (offset) {
    case VIRTIO_MMIO_QUEUE_NUM: case VIRTIO_MMIO_QUEUE_READY:
    case VIRTIO_MMIO_QUEUE_DESC_LOW: case VIRTIO_MMIO_QUEUE_DESC_HIGH:
    case VIRTIO_MMIO_QUEUE_AVAIL_LOW: case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
    case VIRTIO_MMIO_QUEUE_USED_LOW: case VIRTIO_MMIO_QUEUE_USED_HIGH:
        if (!selected) {
            virtio_env_log(&t->env, "register 0x%x written for queue %u, which does not exist",
                           offset, t->queue_sel);
            return true;
        }
        return queue_write(t, q, offset, *value);
    default:
        return false;
    }
}
