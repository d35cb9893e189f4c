// SPDX-License-Identifier: MIT
/* The fake guest and the test driver of virtio/tests (see driver.h). */
#include "driver.h"
#include <sanitizer/asan_interface.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned drv_failures;

/* unit.h's counters are per test file: the helpers count their own failures (drv_failures). */
#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            drv_failures++;                                                                \
            fprintf(stderr, "%s:%d: driver check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                                  \
    } while (0)
#define CHECK_EQ(a, b) CHECK((a) == (b))

static void *fake_gpa_ptr(void *ctx, uint64_t gpa, uint64_t size)
{
    struct fake_guest *g = ctx;
    if (gpa < RAM_BASE || size > RAM_SIZE || gpa - RAM_BASE > RAM_SIZE - size) {
        return NULL;
    }
    return g->ram + (gpa - RAM_BASE);
}

static void fake_irq(void *ctx)
{
    ((struct fake_guest *)ctx)->irqs++;
}

/* The PCI function's MSI-X: a message per vector in its table; NO_VECTOR and beyond send
 * nothing (as the VMM's pci_msix_notify()). */
static bool fake_msix(void *ctx, uint16_t vector)
{
    struct fake_guest *g = ctx;
    if (!g->msix_enabled) {
        return false;
    }
    if (vector < g->msix_vectors && vector < DRV_MSIX_MAX) {
        g->msix[vector]++;
        g->irqs++;
    }
    return true;
}

/* INTx: level-triggered, so an interrupt is a rising edge. */
static void fake_intx(void *ctx, bool level)
{
    struct fake_guest *g = ctx;
    if (level && !g->intx) {
        g->irqs++;
    }
    g->intx = level;
}

static bool fake_dma_allowed(void *ctx)
{
    return !((struct fake_guest *)ctx)->dma_off;
}

static void fake_log(void *ctx, const char *msg)
{
    struct fake_guest *g = ctx;
    g->logs++;
    snprintf(g->last_log, sizeof(g->last_log), "%s", msg);
    printf("  log: %s\n", msg);
}

void guest_init(struct fake_guest *g)
{
    *g = (struct fake_guest){ 0 };
    g->block = aligned_alloc(4096, RAM_SIZE + 2 * GUARD_SIZE);
    memset(g->block, 0xa5, RAM_SIZE + 2 * GUARD_SIZE);
    g->ram = g->block + GUARD_SIZE;
    memset(g->ram, 0, RAM_SIZE);
    /* Any access to the guards stops the test under AddressSanitizer. */
    ASAN_POISON_MEMORY_REGION(g->block, GUARD_SIZE);
    ASAN_POISON_MEMORY_REGION(g->ram + RAM_SIZE, GUARD_SIZE);
    g->host = (struct virtio_host){ .ctx = g,
                                    .gpa_ptr = fake_gpa_ptr,
                                    .notify_irq = fake_irq,
                                    .notify_msix = fake_msix,
                                    .set_intx = fake_intx,
                                    .dma_allowed = fake_dma_allowed,
                                    .log = fake_log };
}

bool guest_fini(struct fake_guest *g)
{
    ASAN_UNPOISON_MEMORY_REGION(g->block, RAM_SIZE + 2 * GUARD_SIZE);
    bool clean = true;
    for (unsigned i = 0; i < GUARD_SIZE; i++) {
        clean = clean && g->block[i] == 0xa5 && g->ram[RAM_SIZE + i] == 0xa5;
    }
    free(g->block);
    return clean;
}

void *gptr(struct fake_guest *g, uint64_t gpa)
{
    CHECK(gpa >= RAM_BASE && gpa < RAM_BASE + RAM_SIZE);
    return g->ram + (gpa - RAM_BASE);
}

bool guest_logged(const struct fake_guest *g, const char *s)
{
    return strstr(g->last_log, s) != NULL;
}

void drv_init(struct drv *d, struct fake_guest *g, struct virtio_device *dev)
{
    *d = (struct drv){ .g = g, .dev = dev, .transport = DRV_MMIO, .heap = RAM_BASE };
    virtio_mmio_init(&d->mmio, dev);
    d->t = &d->mmio;
}

uint32_t drv_rd(struct drv *d, uint32_t offset)
{
    uint64_t v = 0;
    CHECK(d->transport == DRV_MMIO);
    CHECK(virtio_mmio_access(d->t, offset, 4, false, &v));
    return (uint32_t)v;
}

void drv_wr(struct drv *d, uint32_t offset, uint32_t value)
{
    uint64_t v = value;
    CHECK(d->transport == DRV_MMIO);
    CHECK(virtio_mmio_access(d->t, offset, 4, true, &v));
}

uint64_t drv_cfg_rd(struct drv *d, unsigned pos, unsigned width)
{
    uint64_t v = 0;
    CHECK(d->transport == DRV_PCI && pos >= d->pci.cap_base);
    CHECK(virtio_pci_cap_access(&d->pci, pos - d->pci.cap_base, width, false, &v));
    return v;
}

uint64_t drv_bar_rd(struct drv *d, uint64_t off, unsigned width)
{
    uint64_t v = 0;
    CHECK(d->transport == DRV_PCI);
    CHECK(virtio_pci_bar_access(&d->pci, off, width, false, &v));
    return v;
}

void drv_bar_wr(struct drv *d, uint64_t off, unsigned width, uint64_t value)
{
    CHECK(d->transport == DRV_PCI);
    CHECK(virtio_pci_bar_access(&d->pci, off, width, true, &value));
}

uint64_t drv_common_rd(struct drv *d, uint32_t field, unsigned width)
{
    return drv_bar_rd(d, d->cap[VIRTIO_PCI_CAP_COMMON_CFG].offset + field, width);
}

void drv_common_wr(struct drv *d, uint32_t field, unsigned width, uint64_t value)
{
    drv_bar_wr(d, d->cap[VIRTIO_PCI_CAP_COMMON_CFG].offset + field, width, value);
}

#define PCI_CAP_ID_VNDR 0x09
#define PCI_STD_NUM_BARS 6

/*
 * Finds the structures as Linux's virtio_pci_modern does: the first vendor capability of each
 * cfg_type naming a BAR, walked through the next pointers (48 at most, each masked to 4 bytes,
 * none below 0x40); then checks each range lies in its BAR. The walk stops where the transport's
 * capabilities end (the VMM's own, such as MSI-X, would follow).
 */
static void pci_find_caps(struct drv *d)
{
    unsigned base = d->pci.cap_base, pos = base, ttl = 48;
    while (pos >= 0x40 && pos - base < VIRTIO_PCI_CAPS_LEN && ttl > 0) {
        ttl--;
        uint8_t id = (uint8_t)drv_cfg_rd(d, pos + VIRTIO_PCI_CAP_VNDR, 1);
        uint8_t type = (uint8_t)drv_cfg_rd(d, pos + VIRTIO_PCI_CAP_CFG_TYPE, 1);
        uint8_t bar = (uint8_t)drv_cfg_rd(d, pos + VIRTIO_PCI_CAP_BAR, 1);
        if (id == PCI_CAP_ID_VNDR && type >= VIRTIO_PCI_CAP_COMMON_CFG &&
            type <= VIRTIO_PCI_CAP_PCI_CFG && bar < PCI_STD_NUM_BARS && d->cap[type].pos == 0) {
            d->cap[type] = (struct drv_pci_cap){
                .pos = pos,
                .bar = bar,
                .offset = (uint32_t)drv_cfg_rd(d, pos + VIRTIO_PCI_CAP_OFFSET, 4),
                .length = (uint32_t)drv_cfg_rd(d, pos + VIRTIO_PCI_CAP_LENGTH, 4),
            };
        }
        pos = (uint8_t)drv_cfg_rd(d, pos + VIRTIO_PCI_CAP_NEXT, 1) & ~3u;
    }
    CHECK(ttl > 0);
    /* {type, minimum length, alignment}: what Linux's vp_modern_map_capability() asks. */
    static const struct {
        uint8_t type, align;
        uint32_t min;
    } need[] = {
        { VIRTIO_PCI_CAP_COMMON_CFG, 4, sizeof(struct virtio_pci_common_cfg) },
        { VIRTIO_PCI_CAP_NOTIFY_CFG, 2, 2 },
        { VIRTIO_PCI_CAP_ISR_CFG, 1, 1 },
        { VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0 },
    };
    for (unsigned k = 0; k < sizeof(need) / sizeof(need[0]); k++) {
        const struct drv_pci_cap *c = &d->cap[need[k].type];
        if (c->pos == 0) {
            CHECK(need[k].type == VIRTIO_PCI_CAP_DEVICE_CFG); /* the only optional one */
            continue;
        }
        CHECK_EQ(c->bar, DRV_PCI_BAR); /* the function's only memory BAR */
        CHECK(c->length >= need[k].min);
        CHECK(c->offset % need[k].align == 0);
        CHECK((uint64_t)c->offset + c->length <= VIRTIO_PCI_BAR_SIZE);
    }
    CHECK(d->cap[VIRTIO_PCI_CAP_PCI_CFG].pos != 0);
    d->notify_mult = (uint32_t)drv_cfg_rd(
        d, d->cap[VIRTIO_PCI_CAP_NOTIFY_CFG].pos + VIRTIO_PCI_NOTIFY_CAP_MULT, 4);
}

void drv_init_pci(struct drv *d, struct fake_guest *g, struct virtio_device *dev)
{
    *d = (struct drv){ .g = g, .dev = dev, .transport = DRV_PCI, .heap = RAM_BASE };
    unsigned vectors = dev->num_queues + 1;
    CHECK(vectors <= DRV_MSIX_MAX);
    CHECK(virtio_pci_init(&d->pci, dev, DRV_PCI_BAR, DRV_PCI_CAP_BASE, 0, vectors));
    g->msix_vectors = vectors;
    g->msix_enabled = true; /* as Linux enables it */
    pci_find_caps(d);
}

void drv_attach(struct drv *d, struct fake_guest *g, struct virtio_device *dev,
                enum drv_transport transport)
{
    if (transport == DRV_PCI) {
        drv_init_pci(d, g, dev);
    } else {
        drv_init(d, g, dev);
    }
}

const char *drv_transport_name(enum drv_transport transport)
{
    return transport == DRV_PCI ? "pci" : "mmio";
}

uint32_t drv_status(struct drv *d)
{
    if (d->transport == DRV_PCI) {
        return (uint32_t)drv_common_rd(d, VIRTIO_PCI_COMMON_STATUS, 1);
    }
    return drv_rd(d, VIRTIO_MMIO_STATUS);
}

void drv_set_status(struct drv *d, uint32_t status)
{
    if (d->transport == DRV_PCI) {
        drv_common_wr(d, VIRTIO_PCI_COMMON_STATUS, 1, status);
    } else {
        drv_wr(d, VIRTIO_MMIO_STATUS, status);
    }
}

uint32_t drv_device_id(struct drv *d)
{
    if (d->transport == DRV_PCI) {
        /* The PCI device id is the VMM's (configuration header); a modern-only device. */
        uint16_t id = virtio_pci_device_id(d->dev);
        CHECK(id >= VIRTIO_PCI_DEVICE_BASE && id <= 0x107f);
        return id - VIRTIO_PCI_DEVICE_BASE;
    }
    return drv_rd(d, VIRTIO_MMIO_DEVICE_ID);
}

uint32_t drv_device_features(struct drv *d, uint32_t sel)
{
    if (d->transport == DRV_PCI) {
        drv_common_wr(d, VIRTIO_PCI_COMMON_DFSELECT, 4, sel);
        return (uint32_t)drv_common_rd(d, VIRTIO_PCI_COMMON_DF, 4);
    }
    drv_wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, sel);
    return drv_rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
}

uint32_t drv_config_generation(struct drv *d)
{
    if (d->transport == DRV_PCI) {
        return (uint32_t)drv_common_rd(d, VIRTIO_PCI_COMMON_CFGGENERATION, 1);
    }
    return drv_rd(d, VIRTIO_MMIO_CONFIG_GENERATION);
}

uint32_t drv_isr(struct drv *d)
{
    if (d->transport == DRV_PCI) {
        return (uint32_t)drv_bar_rd(d, d->cap[VIRTIO_PCI_CAP_ISR_CFG].offset, 1);
    }
    uint32_t isr = drv_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS);
    if (isr != 0) {
        drv_wr(d, VIRTIO_MMIO_INTERRUPT_ACK, isr);
    }
    return isr;
}

bool drv_config(struct drv *d, uint32_t off, unsigned width, bool write, uint64_t *value)
{
    if (d->transport == DRV_MMIO) {
        return virtio_mmio_access(d->t, VIRTIO_MMIO_CONFIG + (uint64_t)off, width, write, value);
    }
    const struct drv_pci_cap *c = &d->cap[VIRTIO_PCI_CAP_DEVICE_CFG];
    if (c->pos == 0) { /* the device has no configuration space */
        if (!write) {
            *value = 0;
        }
        return false;
    }
    return virtio_pci_bar_access(&d->pci, c->offset + (uint64_t)off, width, write, value);
}

bool drv_queue_ready(struct drv *d, unsigned i)
{
    if (d->transport == DRV_PCI) {
        drv_common_wr(d, VIRTIO_PCI_COMMON_Q_SELECT, 2, i);
        return drv_common_rd(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2) != 0;
    }
    drv_wr(d, VIRTIO_MMIO_QUEUE_SEL, i);
    return drv_rd(d, VIRTIO_MMIO_QUEUE_READY) != 0;
}

uint64_t drv_alloc(struct drv *d, uint64_t size, uint64_t align)
{
    uint64_t gpa = (d->heap + align - 1) & ~(align - 1);
    CHECK(gpa + size <= RAM_BASE + RAM_SIZE);
    d->heap = gpa + size;
    memset(gptr(d->g, gpa), 0, size);
    return gpa;
}

/* The driver's features, as virtio-mmio or virtio-pci takes them. */
static void write_features(struct drv *d, uint64_t features)
{
    for (uint32_t sel = 0; sel < 2; sel++) {
        uint32_t word = (uint32_t)(features >> 32 * sel);
        if (d->transport == DRV_PCI) {
            drv_common_wr(d, VIRTIO_PCI_COMMON_GFSELECT, 4, sel);
            drv_common_wr(d, VIRTIO_PCI_COMMON_GF, 4, word);
        } else {
            drv_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, sel);
            drv_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, word);
        }
    }
}

/* virtio-pci: vector v for configuration changes (vector_field VIRTIO_PCI_COMMON_MSIX) or the
 * selected queue (VIRTIO_PCI_COMMON_Q_MSIX), read back as Linux does to learn it took. */
static void pci_vector(struct drv *d, uint32_t vector_field, uint16_t v)
{
    drv_common_wr(d, vector_field, 2, v);
    CHECK_EQ(drv_common_rd(d, vector_field, 2), v);
}

bool drv_negotiate(struct drv *d, uint64_t features)
{
    drv_set_status(d, 0);
    if (d->transport == DRV_PCI) {
        CHECK_EQ(drv_status(d), 0); /* Linux waits for the reset to finish */
    }
    drv_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    drv_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    write_features(d, features);
    drv_set_status(d, drv_status(d) | VIRTIO_CONFIG_S_FEATURES_OK);
    bool ok = (drv_status(d) & VIRTIO_CONFIG_S_FEATURES_OK) != 0;
    if (d->transport == DRV_PCI && d->g->msix_vectors > 0) {
        pci_vector(d, VIRTIO_PCI_COMMON_MSIX, 0);
    }
    return ok;
}

static void wr64(struct drv *d, uint32_t low, uint64_t v)
{
    if (d->transport == DRV_PCI) { /* two halves, as Linux's vp_iowrite64_twopart() */
        drv_common_wr(d, low, 4, (uint32_t)v);
        drv_common_wr(d, low + 4, 4, (uint32_t)(v >> 32));
    } else {
        drv_wr(d, low, (uint32_t)v);
        drv_wr(d, low + 4, (uint32_t)(v >> 32));
    }
}

/* virtio-pci: queue i's setup as Linux's setup_vq() and vp_modern_find_vqs() do it. */
static void pci_queue(struct drv *d, unsigned i, struct drv_queue *q)
{
    drv_common_wr(d, VIRTIO_PCI_COMMON_Q_SELECT, 2, i);
    CHECK_EQ(drv_common_rd(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
    CHECK(drv_common_rd(d, VIRTIO_PCI_COMMON_Q_SIZE, 2) >= q->num);
    drv_common_wr(d, VIRTIO_PCI_COMMON_Q_SIZE, 2, q->num);
    wr64(d, VIRTIO_PCI_COMMON_Q_DESCLO, q->desc);
    wr64(d, VIRTIO_PCI_COMMON_Q_AVAILLO, q->avail);
    wr64(d, VIRTIO_PCI_COMMON_Q_USEDLO, q->used);
    q->notify_off = (uint16_t)drv_common_rd(d, VIRTIO_PCI_COMMON_Q_NOFF, 2);
    CHECK((uint64_t)q->notify_off * d->notify_mult + 2 <= d->cap[VIRTIO_PCI_CAP_NOTIFY_CFG].length);
    if (i + 1 < d->g->msix_vectors) {
        pci_vector(d, VIRTIO_PCI_COMMON_Q_MSIX, (uint16_t)(i + 1));
    }
    drv_common_wr(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
}

void drv_queue(struct drv *d, unsigned i, uint16_t num)
{
    struct drv_queue *q = &d->q[i];
    *q = (struct drv_queue){ .num = num };
    q->desc = drv_alloc(d, 16u * num, 16);
    q->avail = drv_alloc(d, 6 + 2u * num, 2);
    q->used = drv_alloc(d, 6 + 8u * num, 4);
    if (d->transport == DRV_PCI) {
        pci_queue(d, i, q);
        return;
    }
    drv_wr(d, VIRTIO_MMIO_QUEUE_SEL, i);
    CHECK_EQ(drv_rd(d, VIRTIO_MMIO_QUEUE_READY), 0);
    CHECK(drv_rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX) >= num);
    drv_wr(d, VIRTIO_MMIO_QUEUE_NUM, num);
    wr64(d, VIRTIO_MMIO_QUEUE_DESC_LOW, q->desc);
    wr64(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, q->avail);
    wr64(d, VIRTIO_MMIO_QUEUE_USED_LOW, q->used);
    drv_wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
}

void drv_start(struct drv *d, uint64_t features, unsigned queues, uint16_t num)
{
    CHECK(drv_negotiate(d, features));
    for (unsigned i = 0; i < queues; i++) {
        drv_queue(d, i, num);
        CHECK(drv_queue_ready(d, i));
    }
    drv_set_status(d, drv_status(d) | VIRTIO_CONFIG_S_DRIVER_OK);
    CHECK_EQ(drv_status(d), VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
                                VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

struct vring_desc *drv_desc(struct drv *d, unsigned qi, unsigned i)
{
    return (struct vring_desc *)gptr(d->g, d->q[qi].desc) + i;
}

struct vring_avail *drv_avail(struct drv *d, unsigned qi)
{
    return gptr(d->g, d->q[qi].avail);
}

struct vring_used *drv_used_ring(struct drv *d, unsigned qi)
{
    return gptr(d->g, d->q[qi].used);
}

uint16_t drv_add(struct drv *d, unsigned qi, const struct drv_buf *b, unsigned n)
{
    struct drv_queue *q = &d->q[qi];
    uint16_t head = q->next_desc;
    for (unsigned k = 0; k < n; k++) {
        uint16_t i = q->next_desc;
        q->next_desc = (uint16_t)((i + 1) % q->num);
        *drv_desc(d, qi, i) = (struct vring_desc){
            .addr = b[k].gpa,
            .len = b[k].len,
            .flags = (uint16_t)((b[k].write ? VRING_DESC_F_WRITE : 0) |
                                (k + 1 < n ? VRING_DESC_F_NEXT : 0)),
            .next = q->next_desc,
        };
    }
    struct vring_avail *avail = drv_avail(d, qi);
    avail->ring[q->avail_idx % q->num] = head;
    avail->idx = ++q->avail_idx;
    return head;
}

void drv_kick(struct drv *d, unsigned qi)
{
    if (d->transport == DRV_MMIO) {
        drv_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, qi);
        return;
    }
    CHECK(qi < sizeof(d->q) / sizeof(d->q[0]));
    uint64_t notify_off = d->q[qi].notify_off;
    if (d->q[qi].num == 0) { /* a queue the driver has not set up: ask where it is */
        drv_common_wr(d, VIRTIO_PCI_COMMON_Q_SELECT, 2, qi);
        notify_off = drv_common_rd(d, VIRTIO_PCI_COMMON_Q_NOFF, 2);
    }
    drv_bar_wr(d, d->cap[VIRTIO_PCI_CAP_NOTIFY_CFG].offset + notify_off * d->notify_mult, 2, qi);
}

bool drv_used(struct drv *d, unsigned qi, uint32_t *id, uint32_t *len)
{
    struct drv_queue *q = &d->q[qi];
    struct vring_used *used = drv_used_ring(d, qi);
    if (used->idx == q->used_seen) {
        return false;
    }
    struct vring_used_elem *e = &used->ring[q->used_seen % q->num];
    *id = e->id;
    *len = e->len;
    q->used_seen++;
    return true;
}

static void test_dev_notify(struct virtio_device *t, struct virtq *q)
{
    ((struct test_dev *)t)->notified[q->index]++;
}

static void test_dev_reset(struct virtio_device *t)
{
    ((struct test_dev *)t)->resets++;
}

/* Byte 0 is writable (width 1 only). */
static bool test_dev_config_write(struct virtio_device *t, uint32_t offset, unsigned width,
                                  uint64_t value)
{
    if (offset != 0 || width != 1) {
        return false;
    }
    ((struct test_dev *)t)->config[0] = (uint8_t)value;
    return true;
}

static const struct virtio_device_ops test_dev_ops = {
    .name = "virtio-test",
    .device_id = 42,
    .queue_notify = test_dev_notify,
    .reset = test_dev_reset,
    .config_write = test_dev_config_write,
};

void test_dev_setup(struct test_dev *dev, struct fake_guest *g)
{
    guest_init(g);
    *dev = (struct test_dev){ .config = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 } };
    virtio_device_init(&dev->dev, &g->host, &test_dev_ops, dev->queues, 2);
    dev->dev.device_features |= 1ull << 3;
    dev->dev.config = dev->config;
    dev->dev.config_size = sizeof(dev->config);
}
