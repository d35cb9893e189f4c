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
    g->host = (struct virtio_host){
        .ctx = g, .gpa_ptr = fake_gpa_ptr, .notify_irq = fake_irq, .log = fake_log
    };
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

void drv_init(struct drv *d, struct fake_guest *g, struct virtio_mmio *t)
{
    *d = (struct drv){ .g = g, .t = t, .heap = RAM_BASE };
}

uint32_t drv_rd(struct drv *d, uint32_t offset)
{
    uint64_t v = 0;
    CHECK(virtio_mmio_access(d->t, offset, 4, false, &v));
    return (uint32_t)v;
}

void drv_wr(struct drv *d, uint32_t offset, uint32_t value)
{
    uint64_t v = value;
    CHECK(virtio_mmio_access(d->t, offset, 4, true, &v));
}

uint32_t drv_status(struct drv *d)
{
    return drv_rd(d, VIRTIO_MMIO_STATUS);
}

uint64_t drv_alloc(struct drv *d, uint64_t size, uint64_t align)
{
    uint64_t gpa = (d->heap + align - 1) & ~(align - 1);
    CHECK(gpa + size <= RAM_BASE + RAM_SIZE);
    d->heap = gpa + size;
    memset(gptr(d->g, gpa), 0, size);
    return gpa;
}

bool drv_negotiate(struct drv *d, uint64_t features)
{
    drv_wr(d, VIRTIO_MMIO_STATUS, 0);
    drv_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    drv_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    for (uint32_t sel = 0; sel < 2; sel++) {
        drv_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, sel);
        drv_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32 * sel));
    }
    drv_wr(d, VIRTIO_MMIO_STATUS, drv_status(d) | VIRTIO_CONFIG_S_FEATURES_OK);
    return (drv_status(d) & VIRTIO_CONFIG_S_FEATURES_OK) != 0;
}

static void wr64(struct drv *d, uint32_t low, uint64_t v)
{
    drv_wr(d, low, (uint32_t)v);
    drv_wr(d, low + 4, (uint32_t)(v >> 32));
}

void drv_queue(struct drv *d, unsigned i, uint16_t num)
{
    struct drv_queue *q = &d->q[i];
    *q = (struct drv_queue){ .num = num };
    q->desc = drv_alloc(d, 16u * num, 16);
    q->avail = drv_alloc(d, 6 + 2u * num, 2);
    q->used = drv_alloc(d, 6 + 8u * num, 4);
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
        CHECK_EQ(drv_rd(d, VIRTIO_MMIO_QUEUE_READY), 1);
    }
    drv_wr(d, VIRTIO_MMIO_STATUS, drv_status(d) | VIRTIO_CONFIG_S_DRIVER_OK);
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
    drv_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, qi);
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
