// SPDX-License-Identifier: MIT
/*
 * The virtio-pci transport (pci.h): the capabilities, the common configuration decoded onto the
 * device (device.c), the ISR, notifications, and the device's notifications out as MSI-X or INTx.
 */
#include <virtio/pci.h>
#include <string.h>

enum { COMMON = 0x0000, ISR = 0x1000, DEVICE = 0x2000, NOTIFY = 0x3000 };
#define COMMON_LEN 0x38
#define NOTIFY_MULT 4
/* The capabilities, relative to cap_base. */
enum { CAP_COMMON = 0, CAP_NOTIFY = 16, CAP_ISR = 36, CAP_DEVICE = 52, CAP_PCI_CFG = 68 };
#define PCI_CAP_ID_VNDR 0x09

static void notify_driver(void *transport, uint32_t isr, const struct virtq *q)
{
    (void)isr; /* set in the device's ISR already */
    struct virtio_pci *t = transport;
    struct virtio_host *h = &t->dev->env.host;
    uint16_t vector = q ? t->queue_vector[q->index] : t->config_vector;
    if (h->notify_msix && h->notify_msix(h->ctx, vector)) {
        return;
    }
    h->set_intx(h->ctx, true); /* until the driver reads the ISR */
}

static void reset_transport(void *transport)
{
    struct virtio_pci *t = transport;
    t->device_features_sel = t->driver_features_sel = 0;
    t->queue_sel = 0;
    t->config_vector = VIRTIO_PCI_NO_VECTOR;
    for (unsigned i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++) {
        t->queue_vector[i] = VIRTIO_PCI_NO_VECTOR;
    }
    t->dev->env.host.set_intx(t->dev->env.host.ctx, false);
}

static const struct virtio_transport_ops pci_transport = {
    .notify = notify_driver,
    .reset = reset_transport,
};

bool virtio_pci_init(struct virtio_pci *t, struct virtio_device *d, unsigned bar, unsigned cap_base,
                     unsigned cap_next, unsigned msix_vectors)
{
    if (d->num_queues > VIRTIO_PCI_MAX_QUEUES || bar > 5 || cap_base < 0x40 || cap_base % 4 ||
        cap_base + VIRTIO_PCI_CAPS_LEN > 256 || cap_next > 0xff || msix_vectors > 0x800 ||
        d->env.host.set_intx == NULL) {
        return false;
    }
    *t = (struct virtio_pci){ .dev = d,
                              .bar = (uint8_t)bar,
                              .cap_base = (uint8_t)cap_base,
                              .cap_next = (uint8_t)cap_next,
                              .msix_vectors = (uint16_t)msix_vectors };
    d->transport = &pci_transport;
    d->transport_ctx = t;
    reset_transport(t);
    return true;
}

uint16_t virtio_pci_device_id(const struct virtio_device *d)
{
    return (uint16_t)(VIRTIO_PCI_DEVICE_BASE + d->ops->device_id);
}

uint32_t virtio_pci_class(const struct virtio_device *d)
{
    switch (d->ops->device_id) {
    case VIRTIO_ID_BLOCK:
        return 0x010000; /* mass storage, SCSI (as QEMU) */
    case VIRTIO_ID_NET:
        return 0x020000; /* network, Ethernet */
    case VIRTIO_ID_CONSOLE:
        return 0x078000; /* simple communication, other */
    default:
        return 0xff0000; /* unassigned class */
    }
}

/* The low n bytes of v (n 1 to 8). */
static uint64_t low_bytes(uint64_t v, unsigned n)
{
    return n >= 8 ? v : v & ((1ull << 8 * n) - 1);
}

/* One vendor-specific capability: {id, next, len, cfg_type, bar, id, pad, offset, length}. */
static void cap(uint8_t *p, uint8_t next, uint8_t len, uint8_t type, uint8_t bar, uint32_t off,
                uint32_t length)
{
    p[0] = PCI_CAP_ID_VNDR;
    p[1] = next;
    p[2] = len;
    p[3] = type;
    p[4] = bar;
    memcpy(p + 8, &off, 4);
    memcpy(p + 12, &length, 4);
}

/* The capabilities' bytes as the driver reads them; the device one only when it has a config. */
static void caps(const struct virtio_pci *t, uint8_t *p)
{
    const struct virtio_device *d = t->dev;
    uint8_t base = t->cap_base;
    bool has_device = d->config_size != 0;
    memset(p, 0, VIRTIO_PCI_CAPS_LEN);
    cap(p + CAP_COMMON, base + CAP_NOTIFY, 16, VIRTIO_PCI_CAP_COMMON_CFG, t->bar, COMMON,
        COMMON_LEN);
    cap(p + CAP_NOTIFY, base + CAP_ISR, 20, VIRTIO_PCI_CAP_NOTIFY_CFG, t->bar, NOTIFY,
        NOTIFY_MULT * d->num_queues);
    uint32_t mult = NOTIFY_MULT;
    memcpy(p + CAP_NOTIFY + 16, &mult, 4);
    cap(p + CAP_ISR, (uint8_t)(base + (has_device ? CAP_DEVICE : CAP_PCI_CFG)), 16,
        VIRTIO_PCI_CAP_ISR_CFG, t->bar, ISR, 1);
    if (has_device) {
        cap(p + CAP_DEVICE, base + CAP_PCI_CFG, 16, VIRTIO_PCI_CAP_DEVICE_CFG, t->bar, DEVICE,
            d->config_size);
    }
    cap(p + CAP_PCI_CFG, t->cap_next, 20, VIRTIO_PCI_CAP_PCI_CFG, t->cfg_bar, t->cfg_offset,
        t->cfg_length);
}

/* The PCI cfg access window: pci_cfg_data read or written as cfg_length bytes at cfg_offset of
 * BAR cfg_bar (§4.1.4.9); another BAR, length or a misaligned offset does nothing. */
static void cfg_window(struct virtio_pci *t, bool write, uint64_t *value)
{
    uint32_t len = t->cfg_length, off = t->cfg_offset;
    bool valid = t->cfg_bar == t->bar && (len == 1 || len == 2 || len == 4) && off % len == 0 &&
                 off < VIRTIO_PCI_BAR_SIZE;
    if (!valid || !virtio_pci_bar_access(t, off, len, write, value)) {
        if (!write) {
            *value = 0;
        }
        virtio_env_log(&t->dev->env, "PCI cfg access to BAR %u offset 0x%x length %u refused",
                       t->cfg_bar, off, len);
    }
}

bool virtio_pci_cap_access(struct virtio_pci *t, unsigned off, unsigned width, bool write,
                           uint64_t *value)
{
    if (!write) {
        *value = 0;
    }
    if (off >= VIRTIO_PCI_CAPS_LEN || (width != 1 && width != 2 && width != 4) || off % width) {
        return false; /* configuration accesses are 1, 2 or 4 bytes, naturally aligned */
    }
    const unsigned cfg = CAP_PCI_CFG, data = CAP_PCI_CFG + 16;
    if (off >= data) { /* pci_cfg_data: the window, at any width (SeaBIOS uses the window's) */
        if (off != data) {
            return false;
        }
        uint64_t v = write ? low_bytes(*value, width) : 0;
        cfg_window(t, write, &v);
        if (!write) {
            *value = low_bytes(v, width);
        }
        return true;
    }
    if (!write) {
        uint8_t p[VIRTIO_PCI_CAPS_LEN];
        caps(t, p);
        uint64_t v = 0;
        memcpy(&v, p + off, width);
        *value = v;
        return true;
    }
    /* Writable: the cfg access capability's bar (1 byte), offset and length (4 bytes each). */
    if (off == cfg + 4 && width == 1) {
        t->cfg_bar = (uint8_t)*value;
    } else if (off == cfg + 8 && width == 4) {
        t->cfg_offset = (uint32_t)*value;
    } else if (off == cfg + 12 && width == 4) {
        t->cfg_length = (uint32_t)*value;
    } else {
        return false;
    }
    return true;
}

/* The queue queue_select names, or NULL. */
static struct virtq *selected(struct virtio_pci *t)
{
    return t->queue_sel < t->dev->num_queues ? &t->dev->queues[t->queue_sel] : NULL;
}

/* A vector the driver writes: kept when the MSI-X table has it, else NO_VECTOR (the driver
 * reads it back to learn the mapping failed, §4.1.5.1.2). */
static uint16_t vector(const struct virtio_pci *t, uint64_t v)
{
    return v < t->msix_vectors ? (uint16_t)v : VIRTIO_PCI_NO_VECTOR;
}

/* The width of the common configuration's field at off (8: a 64-bit address), 0 for none. */
static unsigned field_width(uint64_t off)
{
    if (off < 0x10) {
        return 4;
    }
    if (off < 0x14 || (off >= 0x16 && off < 0x20)) {
        return 2;
    }
    return off < 0x16 ? 1 : off < COMMON_LEN ? 8 : 0;
}

static uint64_t *area(struct virtq *q, uint64_t off)
{
    return off < 0x28 ? &q->desc_gpa : off < 0x30 ? &q->avail_gpa : &q->used_gpa;
}

static uint64_t common_read(struct virtio_pci *t, uint64_t off)
{
    struct virtio_device *d = t->dev;
    struct virtq *q = selected(t);
    switch (off) {
    case VIRTIO_PCI_COMMON_DFSELECT:
        return t->device_features_sel;
    case VIRTIO_PCI_COMMON_DF:
        return virtio_device_features_word(d, t->device_features_sel);
    case VIRTIO_PCI_COMMON_GFSELECT:
        return t->driver_features_sel;
    case VIRTIO_PCI_COMMON_GF:
        return t->driver_features_sel < 2
                   ? (uint32_t)(d->driver_features >> 32 * t->driver_features_sel)
                   : 0;
    case VIRTIO_PCI_COMMON_MSIX:
        return t->config_vector;
    case VIRTIO_PCI_COMMON_NUMQ:
        return d->num_queues;
    case VIRTIO_PCI_COMMON_STATUS:
        return d->status;
    case VIRTIO_PCI_COMMON_CFGGENERATION:
        return (uint8_t)d->config_generation;
    case VIRTIO_PCI_COMMON_Q_SELECT:
        return t->queue_sel;
    }
    if (q == NULL) {
        return off == VIRTIO_PCI_COMMON_Q_MSIX ? VIRTIO_PCI_NO_VECTOR : 0; /* no such queue */
    }
    switch (off) {
    case VIRTIO_PCI_COMMON_Q_SIZE:
        return q->num;
    case VIRTIO_PCI_COMMON_Q_MSIX:
        return t->queue_vector[q->index];
    case VIRTIO_PCI_COMMON_Q_ENABLE:
        return q->ready;
    case VIRTIO_PCI_COMMON_Q_NOFF:
        return q->index; /* × NOTIFY_MULT into the notify area */
    default:
        return *area(q, off & ~7ull) >> 8 * (off & 4);
    }
}

static void queue_write(struct virtio_pci *t, uint64_t off, unsigned width, uint64_t v)
{
    struct virtio_device *d = t->dev;
    struct virtq *q = selected(t);
    if (q == NULL) {
        virtio_env_log(&d->env, "queue %u, which does not exist, configured", t->queue_sel);
        return;
    }
    switch (off) {
    case VIRTIO_PCI_COMMON_Q_SIZE:
        virtio_queue_set_size(d, q, (uint32_t)v);
        return;
    case VIRTIO_PCI_COMMON_Q_MSIX:
        t->queue_vector[q->index] = vector(t, v);
        return;
    case VIRTIO_PCI_COMMON_Q_ENABLE:
        if (v == 1) {
            virtio_queue_set_ready(d, q, 1);
        } else {
            virtio_env_log(&d->env, "queue %u: queue_enable %llu ignored (only 1 is defined)",
                           q->index, (unsigned long long)v);
        }
        return;
    }
    if (off >= VIRTIO_PCI_COMMON_Q_DESCLO && virtio_queue_configurable(d, q)) {
        uint64_t *a = area(q, off & ~7ull);
        unsigned shift = 8 * (off & 4);
        uint64_t mask = width == 8 ? ~0ull : 0xffffffffull << shift;
        *a = (*a & ~mask) | (v << shift & mask);
    }
}

static bool common_write(struct virtio_pci *t, uint64_t off, unsigned width, uint64_t v)
{
    struct virtio_device *d = t->dev;
    switch (off) {
    case VIRTIO_PCI_COMMON_DFSELECT:
        t->device_features_sel = (uint32_t)v;
        return true;
    case VIRTIO_PCI_COMMON_GFSELECT:
        t->driver_features_sel = (uint32_t)v;
        return true;
    case VIRTIO_PCI_COMMON_GF:
        virtio_driver_features_write(d, t->driver_features_sel, (uint32_t)v);
        return true;
    case VIRTIO_PCI_COMMON_MSIX:
        t->config_vector = vector(t, v);
        return true;
    case VIRTIO_PCI_COMMON_STATUS:
        virtio_status_write(d, (uint32_t)v);
        return true;
    case VIRTIO_PCI_COMMON_Q_SELECT:
        t->queue_sel = (uint16_t)v;
        return true;
    case VIRTIO_PCI_COMMON_DF:
    case VIRTIO_PCI_COMMON_NUMQ:
    case VIRTIO_PCI_COMMON_CFGGENERATION:
    case VIRTIO_PCI_COMMON_Q_NOFF:
        return false; /* read-only */
    default:
        queue_write(t, off, width, v);
        return true;
    }
}

/* The common configuration: each field at its natural width, 64-bit ones also by halves. */
static bool common_access(struct virtio_pci *t, uint64_t off, unsigned width, bool write,
                          uint64_t *value)
{
    unsigned natural = field_width(off & ~7ull) == 8 ? 8 : field_width(off);
    bool ok = natural == 8 ? (width == 8 && off % 8 == 0) || (width == 4 && off % 4 == 0)
                           : natural != 0 && width == natural && off % width == 0;
    if (!ok) {
        return false;
    }
    if (write) {
        return common_write(t, off, width, *value);
    }
    *value = low_bytes(common_read(t, off), width);
    return true;
}

bool virtio_pci_bar_access(struct virtio_pci *t, uint64_t off, unsigned width, bool write,
                           uint64_t *value)
{
    struct virtio_device *d = t->dev;
    if (!write) {
        *value = 0;
    }
    if (off >= VIRTIO_PCI_BAR_SIZE || (width != 1 && width != 2 && width != 4 && width != 8) ||
        width > VIRTIO_PCI_BAR_SIZE - off) {
        return false;
    }
    uint64_t written = low_bytes(*value, width);
    if (write) {
        value = &written; /* the bytes written, nothing above them */
    }
    if (off < ISR) {
        return common_access(t, off - COMMON, width, write, value);
    }
    if (off < DEVICE) { /* the ISR: reading it acknowledges (and lowers INTx) */
        if (off != ISR || width != 1 || write) {
            return false;
        }
        *value = d->isr;
        d->isr = 0;
        d->env.host.set_intx(d->env.host.ctx, false);
        return true;
    }
    if (off < NOTIFY) {
        return virtio_config_access(d, (uint32_t)(off - DEVICE), width, write, value);
    }
    uint64_t n = off - NOTIFY;
    if (!write || n % NOTIFY_MULT != 0 || (width != 2 && width != 4) ||
        n / NOTIFY_MULT >= d->num_queues) {
        return false;
    }
    virtio_notify(d, (uint32_t)(n / NOTIFY_MULT)); /* the address names the queue */
    return true;
}
