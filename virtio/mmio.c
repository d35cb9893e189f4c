// SPDX-License-Identifier: MIT
/*
 * The virtio-mmio transport (version 2): register decoding, device status and feature
 * negotiation, interrupts, configuration space. The per-queue registers are in mmio_queue.c.
 *
 * Status machine as the device enforces it (virtio 1.2 §2.1, §3.1):
 *   0 ─► ACKNOWLEDGE ─► DRIVER ─► FEATURES_OK ─► DRIVER_OK        writing 0 resets, from any state
 * The driver only adds bits. FEATURES_OK sticks only when the driver's features are a subset of
 * the device's and include VERSION_1 (the driver reads the status back to learn the answer);
 * DRIVER_OK needs FEATURES_OK. DEVICE_NEEDS_RESET belongs to the device: the driver can neither
 * set nor clear it, except by the reset. Queues are used only while DRIVER_OK is set.
 */
#include "mmio_priv.h"
#include <format.h>
#include <stdarg.h>

#define S_NEEDS_RESET VIRTIO_CONFIG_S_NEEDS_RESET

void virtio_mmio_init(struct virtio_mmio *t, const struct virtio_host *host,
                      const struct virtio_mmio_ops *ops, struct virtq *queues, unsigned num_queues)
{
    *t = (struct virtio_mmio){
        .env = { .host = *host, .name = ops->name },
        .ops = ops,
        .queues = queues,
        .num_queues = num_queues,
        .device_features = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_RING_F_EVENT_IDX |
                           1ull << VIRTIO_RING_F_INDIRECT_DESC,
    };
    for (unsigned i = 0; i < num_queues; i++) {
        virtq_init(&queues[i], &t->env, (uint16_t)i);
    }
}

bool virtio_mmio_has(const struct virtio_mmio *t, unsigned bit)
{
    return bit < 64 && (t->driver_features >> bit & 1) != 0;
}

void virtio_mmio_interrupt(struct virtio_mmio *t, uint32_t bits)
{
    t->interrupt_status |= bits;
    t->env.host.notify_irq(t->env.host.ctx);
}

void virtio_mmio_needs_reset(struct virtio_mmio *t)
{
    if (t->status & S_NEEDS_RESET) {
        return;
    }
    t->status |= S_NEEDS_RESET;
    if (t->status & VIRTIO_CONFIG_S_DRIVER_OK) {
        virtio_mmio_interrupt(t, VIRTIO_MMIO_INT_CONFIG);
    }
}

void virtio_mmio_fail(struct virtio_mmio *t, const char *fmt, ...)
{
    char msg[128];
    va_list ap;
    va_start(ap, fmt);
    vsnformat(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    virtio_env_log(&t->env, "%s", msg);
    virtio_mmio_needs_reset(t);
}

void virtio_mmio_config_changed(struct virtio_mmio *t)
{
    t->config_generation++;
    if (t->status & VIRTIO_CONFIG_S_DRIVER_OK) {
        virtio_mmio_interrupt(t, VIRTIO_MMIO_INT_CONFIG);
    }
}

static void reset(struct virtio_mmio *t)
{
    t->status = 0;
    t->driver_features = 0;
    t->device_features_sel = t->driver_features_sel = t->queue_sel = t->shm_sel = 0;
    t->interrupt_status = 0;
    for (unsigned i = 0; i < t->num_queues; i++) {
        virtq_reset(&t->queues[i]);
    }
    if (t->ops->reset) {
        t->ops->reset(t);
    }
}

static bool features_acceptable(struct virtio_mmio *t)
{
    uint64_t extra = t->driver_features & ~t->device_features;
    if (extra == 0 && virtio_mmio_has(t, VIRTIO_F_VERSION_1)) {
        return true;
    }
    virtio_env_log(&t->env,
                   "driver features 0x%llx refused (device offers 0x%llx, VERSION_1 needed)",
                   (unsigned long long)t->driver_features, (unsigned long long)t->device_features);
    return false;
}

static void status_write(struct virtio_mmio *t, uint32_t value)
{
    if (value == 0) {
        reset(t);
        return;
    }
    uint32_t old = t->status;
    uint32_t now = (value & 0xff & ~(uint32_t)S_NEEDS_RESET) | (old & S_NEEDS_RESET);
    if (old & ~now) {
        virtio_env_log(&t->env, "status 0x%x would clear bits of 0x%x: ignored", value, old);
        return;
    }
    if ((now & ~old & VIRTIO_CONFIG_S_FEATURES_OK) && !features_acceptable(t)) {
        now &= ~(uint32_t)VIRTIO_CONFIG_S_FEATURES_OK;
    }
    if ((now & ~old & VIRTIO_CONFIG_S_DRIVER_OK) && !(now & VIRTIO_CONFIG_S_FEATURES_OK)) {
        virtio_env_log(&t->env, "DRIVER_OK without FEATURES_OK: ignored");
        now &= ~(uint32_t)VIRTIO_CONFIG_S_DRIVER_OK;
    }
    t->status = now;
}

static void driver_features_write(struct virtio_mmio *t, uint32_t value)
{
    if (t->status & VIRTIO_CONFIG_S_FEATURES_OK) {
        virtio_env_log(&t->env, "driver features written after FEATURES_OK: ignored");
        return;
    }
    if (t->driver_features_sel < 2) {
        unsigned shift = 32 * t->driver_features_sel;
        uint64_t mask = 0xffffffffull << shift;
        t->driver_features = (t->driver_features & ~mask) | (uint64_t)value << shift;
    }
}

static void notify(struct virtio_mmio *t, uint32_t index)
{
    if (index >= t->num_queues) {
        virtio_env_log(&t->env, "notify of queue %u, which does not exist", index);
        return;
    }
    struct virtq *q = virtio_mmio_queue(t, index);
    if (q != NULL) {
        t->ops->queue_notify(t, q);
        virtio_mmio_queue_done(t, q);
    }
}

/* Registers the driver reads (all 32 bits wide). */
static bool reg_read(struct virtio_mmio *t, uint32_t offset, uint32_t *v)
{
    switch (offset) {
    case VIRTIO_MMIO_MAGIC_VALUE: *v = VIRTIO_MMIO_MAGIC; return true;
    case VIRTIO_MMIO_VERSION: *v = 2; return true;
    case VIRTIO_MMIO_DEVICE_ID: *v = t->ops->device_id; return true;
    case VIRTIO_MMIO_VENDOR_ID: *v = VIRTIO_MMIO_VENDOR; return true;
    case VIRTIO_MMIO_DEVICE_FEATURES:
        *v = t->device_features_sel < 2
                 ? (uint32_t)(t->device_features >> 32 * t->device_features_sel)
                 : 0;
        return true;
    case VIRTIO_MMIO_INTERRUPT_STATUS: *v = t->interrupt_status; return true;
    case VIRTIO_MMIO_STATUS: *v = t->status; return true;
    case VIRTIO_MMIO_CONFIG_GENERATION: *v = t->config_generation; return true;
    case VIRTIO_MMIO_SHM_LEN_LOW: case VIRTIO_MMIO_SHM_LEN_HIGH:
    case VIRTIO_MMIO_SHM_BASE_LOW: case VIRTIO_MMIO_SHM_BASE_HIGH:
        *v = 0xffffffffu; /* no shared-memory regions: every one reads as absent */
        return true;
    default:
        return virtio_mmio_queue_reg(t, offset, false, v);
    }
}

/* Registers the driver writes (all 32 bits wide). */
static bool reg_write(struct virtio_mmio *t, uint32_t offset, uint32_t v)
{
    switch (offset) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL: t->device_features_sel = v; return true;
    case VIRTIO_MMIO_DRIVER_FEATURES: driver_features_write(t, v); return true;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL: t->driver_features_sel = v; return true;
    case VIRTIO_MMIO_QUEUE_SEL: t->queue_sel = v; return true;
    case VIRTIO_MMIO_QUEUE_NOTIFY: notify(t, v); return true;
    case VIRTIO_MMIO_INTERRUPT_ACK: t->interrupt_status &= ~v; return true;
    case VIRTIO_MMIO_STATUS: status_write(t, v); return true;
    case VIRTIO_MMIO_SHM_SEL: t->shm_sel = v; return true;
    default: return virtio_mmio_queue_reg(t, offset, true, &v);
    }
}

/* The configuration space: any width inside it, little-endian. */
static bool config_access(struct virtio_mmio *t, uint32_t off, unsigned width, bool write,
                          uint64_t *value)
{
    if (off > t->config_size || width > t->config_size - off) {
        return false;
    }
    if (write) {
        return t->ops->config_write != NULL && t->ops->config_write(t, off, width, *value);
    }
    uint64_t v = 0;
    for (unsigned i = width; i-- > 0;) {
        v = v << 8 | t->config[off + i];
    }
    *value = v;
    return true;
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
        return config_access(t, (uint32_t)offset - VIRTIO_MMIO_CONFIG, width, write, value);
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
