// SPDX-License-Identifier: MIT
/*
 * A virtio device, transport-neutral (device.h): status machine, feature negotiation, queue
 * configuration and use, configuration space, notifications through the transport.
 */
#include <virtio/device.h>
#include <format.h>
#include <stdarg.h>

#define S_NEEDS_RESET VIRTIO_CONFIG_S_NEEDS_RESET

void virtio_device_init(struct virtio_device *d, const struct virtio_host *host,
                        const struct virtio_device_ops *ops, struct virtq *queues,
                        unsigned num_queues)
{
    *d = (struct virtio_device){
        .env = { .host = *host, .name = ops->name },
        .ops = ops,
        .queues = queues,
        .num_queues = num_queues,
        .device_features = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_RING_F_EVENT_IDX |
                           1ull << VIRTIO_RING_F_INDIRECT_DESC,
    };
    for (unsigned i = 0; i < num_queues; i++) {
        virtq_init(&queues[i], &d->env, (uint16_t)i);
    }
}

bool virtio_has(const struct virtio_device *d, unsigned bit)
{
    return bit < 64 && (d->driver_features >> bit & 1) != 0;
}

/* Sets ISR bits and has the transport tell the driver. */
static void notify_driver(struct virtio_device *d, uint32_t isr, const struct virtq *q)
{
    d->isr |= isr;
    if (d->transport) {
        d->transport->notify(d->transport_ctx, isr, q);
    }
}

/* Sets DEVICE_NEEDS_RESET (once), with a configuration-change notification once DRIVER_OK is set. */
static void needs_reset(struct virtio_device *d)
{
    if (d->status & S_NEEDS_RESET) {
        return;
    }
    d->status |= S_NEEDS_RESET;
    if (d->status & VIRTIO_CONFIG_S_DRIVER_OK) {
        notify_driver(d, VIRTIO_ISR_CONFIG, NULL);
    }
}

void virtio_fail(struct virtio_device *d, const char *fmt, ...)
{
    char msg[128];
    va_list ap;
    va_start(ap, fmt);
    vsnformat(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    virtio_env_log(&d->env, "%s", msg);
    needs_reset(d);
}

void virtio_config_changed(struct virtio_device *d)
{
    d->config_generation++;
    if (d->status & VIRTIO_CONFIG_S_DRIVER_OK) {
        notify_driver(d, VIRTIO_ISR_CONFIG, NULL);
    }
}

struct virtq *virtio_queue(struct virtio_device *d, unsigned index)
{
    const struct virtio_host *h = &d->env.host;
    if (index >= d->num_queues || !(d->status & VIRTIO_CONFIG_S_DRIVER_OK) ||
        (h->dma_allowed && !h->dma_allowed(h->ctx))) {
        return NULL;
    }
    struct virtq *q = &d->queues[index];
    return q->ready && !q->broken ? q : NULL;
}

void virtio_queue_done(struct virtio_device *d, struct virtq *q)
{
    if (q->broken) {
        needs_reset(d);
    } else if (virtq_need_interrupt(q)) {
        notify_driver(d, VIRTIO_ISR_QUEUE, q);
    }
}

static void reset(struct virtio_device *d)
{
    d->status = 0;
    d->driver_features = 0;
    d->isr = 0;
    for (unsigned i = 0; i < d->num_queues; i++) {
        virtq_reset(&d->queues[i]);
    }
    if (d->transport) {
        d->transport->reset(d->transport_ctx);
    }
    if (d->ops->reset) {
        d->ops->reset(d);
    }
}

static bool features_acceptable(struct virtio_device *d)
{
    uint64_t extra = d->driver_features & ~d->device_features;
    if (extra == 0 && virtio_has(d, VIRTIO_F_VERSION_1)) {
        return true;
    }
    virtio_env_log(&d->env,
                   "driver features 0x%llx refused (device offers 0x%llx, VERSION_1 needed)",
                   (unsigned long long)d->driver_features, (unsigned long long)d->device_features);
    return false;
}

void virtio_status_write(struct virtio_device *d, uint32_t value)
{
    if (value == 0) {
        reset(d);
        return;
    }
    uint32_t old = d->status;
    uint32_t now = (value & 0xff & ~(uint32_t)S_NEEDS_RESET) | (old & S_NEEDS_RESET);
    if (old & ~now) {
        virtio_env_log(&d->env, "status 0x%x would clear bits of 0x%x: ignored", value, old);
        return;
    }
    if ((now & ~old & VIRTIO_CONFIG_S_FEATURES_OK) && !features_acceptable(d)) {
        now &= ~(uint32_t)VIRTIO_CONFIG_S_FEATURES_OK;
    }
    if ((now & ~old & VIRTIO_CONFIG_S_DRIVER_OK) && !(now & VIRTIO_CONFIG_S_FEATURES_OK)) {
        virtio_env_log(&d->env, "DRIVER_OK without FEATURES_OK: ignored");
        now &= ~(uint32_t)VIRTIO_CONFIG_S_DRIVER_OK;
    }
    d->status = now;
}

uint32_t virtio_device_features_word(const struct virtio_device *d, uint32_t sel)
{
    return sel < 2 ? (uint32_t)(d->device_features >> 32 * sel) : 0;
}

void virtio_driver_features_write(struct virtio_device *d, uint32_t sel, uint32_t value)
{
    if (d->status & VIRTIO_CONFIG_S_FEATURES_OK) {
        virtio_env_log(&d->env, "driver features written after FEATURES_OK: ignored");
        return;
    }
    if (sel < 2) {
        unsigned shift = 32 * sel;
        uint64_t mask = 0xffffffffull << shift;
        d->driver_features = (d->driver_features & ~mask) | (uint64_t)value << shift;
    }
}

void virtio_notify(struct virtio_device *d, uint32_t index)
{
    if (index >= d->num_queues) {
        virtio_env_log(&d->env, "notify of queue %u, which does not exist", index);
        return;
    }
    struct virtq *q = virtio_queue(d, index);
    if (q != NULL) {
        d->ops->queue_notify(d, q);
        virtio_queue_done(d, q);
    }
}

bool virtio_queue_configurable(struct virtio_device *d, struct virtq *q)
{
    if (q->ready) {
        virtio_env_log(&d->env, "queue %u: configuration written while ready: ignored", q->index);
        return false;
    }
    return true;
}

void virtio_queue_set_size(struct virtio_device *d, struct virtq *q, uint32_t num)
{
    if (!virtio_queue_configurable(d, q)) {
        return;
    }
    if (!virtq_size_ok(num)) {
        virtio_fail(d, "queue %u: bad size %u (a power of 2 up to %u)", q->index, num,
                    VIRTQ_MAX_SIZE);
        return;
    }
    q->num = (uint16_t)num;
}

void virtio_queue_set_ready(struct virtio_device *d, struct virtq *q, uint32_t value)
{
    if (value == 0) {
        q->ready = false; /* the driver stops using the queue; its configuration stays */
        return;
    }
    if (q->broken || q->ready) {
        return; /* broken until reset; or enabled already */
    }
    if (!(d->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
        virtio_fail(d, "queue %u enabled before FEATURES_OK", q->index);
        return;
    }
    if (!virtq_enable(q, virtio_has(d, VIRTIO_RING_F_EVENT_IDX),
                      virtio_has(d, VIRTIO_RING_F_INDIRECT_DESC))) {
        needs_reset(d); /* the rings logged why */
    }
}

bool virtio_config_access(struct virtio_device *d, uint32_t off, unsigned width, bool write,
                          uint64_t *value)
{
    if (off > d->config_size || width > d->config_size - off) {
        return false;
    }
    if (write) {
        return d->ops->config_write != NULL && d->ops->config_write(d, off, width, *value);
    }
    uint64_t v = 0;
    for (unsigned i = width; i-- > 0;) {
        v = v << 8 | d->config[off + i];
    }
    *value = v;
    return true;
}
