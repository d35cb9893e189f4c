// SPDX-License-Identifier: MIT
/*
 * The virtio-mmio transport (version 2): register decoding onto the device (device.c). Every
 * register is 32 bits wide; the per-queue ones act on the queue QueueSel names. The driver
 * configures a queue while it is not ready (QueueNum, the three area addresses), then writes
 * QueueReady = 1.
 */
#include <virtio/mmio.h>

static void mmio_notify(void *transport, uint32_t isr, const struct virtq *q)
{
    (void)isr, (void)q; /* the bits are in InterruptStatus (the device's isr) */
    struct virtio_mmio *t = transport;
    t->dev->env.host.notify_irq(t->dev->env.host.ctx);
}

static void mmio_reset(void *transport)
{
    struct virtio_mmio *t = transport;
    t->device_features_sel = t->driver_features_sel = t->queue_sel = t->shm_sel = 0;
}

static const struct virtio_transport_ops mmio_transport = {
    .notify = mmio_notify,
    .reset = mmio_reset,
};

void virtio_mmio_init(struct virtio_mmio *t, struct virtio_device *d)
{
    *t = (struct virtio_mmio){ .dev = d };
    d->transport = &mmio_transport;
    d->transport_ctx = t;
}

/* The queue QueueSel names, or NULL. */
static struct virtq *selected(struct virtio_mmio *t)
{
    return t->queue_sel < t->dev->num_queues ? &t->dev->queues[t->queue_sel] : NULL;
}

/* Writes one half of a 64-bit area address. */
static void set_half(uint64_t *gpa, bool high, uint32_t value)
{
    unsigned shift = high ? 32 : 0;
    *gpa = (*gpa & ~(0xffffffffull << shift)) | (uint64_t)value << shift;
}

/* The per-queue registers the driver writes (for the queue QueueSel names); false if offset is
 * not one. */
static bool queue_write(struct virtio_mmio *t, uint32_t offset, uint32_t v)
{
    struct virtq *q = selected(t);
    uint64_t *area = NULL;
    switch (offset) {
    case VIRTIO_MMIO_QUEUE_NUM:
    case VIRTIO_MMIO_QUEUE_READY:
        break;
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
        area = q ? &q->desc_gpa : NULL;
        break;
    case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
    case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
        area = q ? &q->avail_gpa : NULL;
        break;
    case VIRTIO_MMIO_QUEUE_USED_LOW:
    case VIRTIO_MMIO_QUEUE_USED_HIGH:
        area = q ? &q->used_gpa : NULL;
        break;
    default:
        return false;
    }
    if (q == NULL) {
        virtio_env_log(&t->dev->env, "register 0x%x written for queue %u, which does not exist",
                       offset, t->queue_sel);
    } else if (offset == VIRTIO_MMIO_QUEUE_NUM) {
        virtio_queue_set_size(t->dev, q, v);
    } else if (offset == VIRTIO_MMIO_QUEUE_READY) {
        virtio_queue_set_ready(t->dev, q, v);
    } else if (virtio_queue_configurable(t->dev, q)) {
        set_half(area, offset & 4, v); /* each _HIGH register is 4 after its _LOW */
    }
    return true;
}

/* Registers the driver reads (all 32 bits wide). */
static bool reg_read(struct virtio_mmio *t, uint32_t offset, uint32_t *v)
{
    struct virtio_device *d = t->dev;
    struct virtq *q = selected(t);
    switch (offset) {
    case VIRTIO_MMIO_MAGIC_VALUE: *v = VIRTIO_MMIO_MAGIC; return true;
    case VIRTIO_MMIO_VERSION: *v = 2; return true;
    case VIRTIO_MMIO_DEVICE_ID:
        *v = d->ops->device_id;
        return true;
    case VIRTIO_MMIO_VENDOR_ID: *v = VIRTIO_MMIO_VENDOR; return true;
    case VIRTIO_MMIO_DEVICE_FEATURES:
        *v = virtio_device_features_word(d, t->device_features_sel);
        return true;
    case VIRTIO_MMIO_INTERRUPT_STATUS:
        *v = d->isr;
        return true;
    case VIRTIO_MMIO_STATUS:
        *v = d->status;
        return true;
    case VIRTIO_MMIO_CONFIG_GENERATION:
        *v = d->config_generation;
        return true;
    case VIRTIO_MMIO_QUEUE_NUM_MAX:
        *v = q ? VIRTQ_MAX_SIZE : 0;
        return true;
    case VIRTIO_MMIO_QUEUE_READY:
        *v = q && q->ready;
        return true;
    case VIRTIO_MMIO_SHM_LEN_LOW: case VIRTIO_MMIO_SHM_LEN_HIGH:
    case VIRTIO_MMIO_SHM_BASE_LOW: case VIRTIO_MMIO_SHM_BASE_HIGH:
        *v = 0xffffffffu; /* no shared-memory regions: every one reads as absent */
        return true;
    default:
        return false;
    }
}

/* Registers the driver writes (all 32 bits wide). */
static bool reg_write(struct virtio_mmio *t, uint32_t offset, uint32_t v)
{
    struct virtio_device *d = t->dev;
    switch (offset) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL: t->device_features_sel = v; return true;
    case VIRTIO_MMIO_DRIVER_FEATURES:
        virtio_driver_features_write(d, t->driver_features_sel, v);
        return true;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL: t->driver_features_sel = v; return true;
    case VIRTIO_MMIO_QUEUE_SEL: t->queue_sel = v; return true;
    case VIRTIO_MMIO_QUEUE_NOTIFY:
        virtio_notify(d, v);
        return true;
    case VIRTIO_MMIO_INTERRUPT_ACK:
        d->isr &= ~v;
        return true;
    case VIRTIO_MMIO_STATUS:
        virtio_status_write(d, v);
        return true;
    case VIRTIO_MMIO_SHM_SEL: t->shm_sel = v; return true;
    default:
        return queue_write(t, offset, v);
    }
}

bool virtio_mmio_access(struct virtio_mmio *t, uint64_t offset, unsigned width, bool write,
                        uint64_t *value)
{
    if (!write) {
        *value = 0;
    }
    if (offset >= VIRTIO_MMIO_WINDOW || (width != 1 && width != 2 && width != 4 && width != 8)) {
        return false;
    }
    if (offset >= VIRTIO_MMIO_CONFIG) {
        return virtio_config_access(t->dev, (uint32_t)offset - VIRTIO_MMIO_CONFIG, width, write,
                                    value);
    }
    if (width != 4) {
        return false;
    }
    if (write) {
        return reg_write(t, (uint32_t)offset, (uint32_t)*value);
    }
    uint32_t v = 0;
    bool ok = reg_read(t, (uint32_t)offset, &v);
    *value = v;
    return ok;
}
