// SPDX-License-Identifier: MIT
/*
 * Split rings under a driver that breaks the rules: descriptors outside RAM, loops, indexes
 * beyond the table, an available index that jumps, readable after writable buffers, indirect
 * tables (not negotiated, nested, badly sized or placed), one buffer more than a chain may have.
 * Each must give one log line, DEVICE_NEEDS_RESET with a configuration interrupt, no used entry,
 * and no access outside the fake RAM. A used length is never more than the chain could hold.
 * Also the good paths: zero-length and indirect descriptors, EVENT_IDX and NO_INTERRUPT.
 * virtio-rng (all buffers device-writable) is the device, behind each transport.
 */
#include "driver.h"
#include "unit.h"
#include <virtio/rng.h>

#define F_V1 (1ull << VIRTIO_F_VERSION_1)
#define F_INDIRECT (1ull << VIRTIO_RING_F_INDIRECT_DESC)
#define F_EVENT_IDX (1ull << VIRTIO_RING_F_EVENT_IDX)
#define W VRING_DESC_F_WRITE
#define N VRING_DESC_F_NEXT
#define I VRING_DESC_F_INDIRECT

static void fill(void *ctx, void *buf, size_t n)
{
    memset(buf, 0x77, n);
}

static const struct virtio_rng_backend backend = { .fill = fill };
static enum drv_transport transport; /* the pass main() runs */

struct t {
    struct fake_guest g;
    struct virtio_rng rng;
    struct drv d;
    uint64_t buf; /* 4 KiB of guest RAM for data */
};

static void start(struct t *t, uint64_t features, uint16_t num)
{
    guest_init(&t->g);
    virtio_rng_init(&t->rng, &t->g.host, &backend);
    drv_attach(&t->d, &t->g, &t->rng.dev, transport);
    drv_start(&t->d, features, 1, num);
    t->buf = drv_alloc(&t->d, 4096, 16);
}

static void set_desc(struct t *t, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                     uint16_t next)
{
    *drv_desc(&t->d, 0, i) =
        (struct vring_desc){ .addr = addr, .len = len, .flags = flags, .next = next };
}

/* Makes the chain at `head` available and notifies. */
static void publish(struct t *t, uint16_t head)
{
    struct drv_queue *q = &t->d.q[0];
    struct vring_avail *avail = drv_avail(&t->d, 0);
    avail->ring[q->avail_idx % q->num] = head;
    avail->idx = ++q->avail_idx;
    drv_kick(&t->d, 0);
}

/* The driver's last step broke the queue: one line mentioning `why`, NEEDS_RESET, nothing used. */
static void expect_broken(struct t *t, const char *why, int line)
{
    unsigned failures = unit_failures;
    CHECK_EQ(t->g.logs, 1);
    CHECK(guest_logged(&t->g, why));
    CHECK(drv_status(&t->d) & VIRTIO_CONFIG_S_NEEDS_RESET);
    CHECK_EQ(drv_isr(&t->d), VIRTIO_ISR_CONFIG);
    CHECK_EQ(t->g.irqs, 1);
    CHECK_EQ(drv_used_ring(&t->d, 0)->idx, 0);
    CHECK_EQ(t->rng.bytes, 0);
    /* Nothing more happens on that queue until reset. */
    drv_kick(&t->d, 0);
    CHECK_EQ(t->g.logs, 1);
    CHECK(guest_fini(&t->g));
    if (unit_failures != failures) {
        fprintf(stderr, "  (case at line %d, %s)\n", line, drv_transport_name(transport));
    }
}

#define EXPECT_BROKEN(t, why) expect_broken(t, why, __LINE__)

static void test_good_chain(void)
{
    struct t t;
    start(&t, F_V1, 8);
    set_desc(&t, 0, t.buf, 16, W | N, 1);
    set_desc(&t, 1, 0, 0, W | N, 2); /* zero length, address ignored */
    set_desc(&t, 2, t.buf + 64, 8, W, 0);
    publish(&t, 0);
    uint32_t id, len;
    CHECK(drv_used(&t.d, 0, &id, &len));
    CHECK_EQ(id, 0);
    CHECK_EQ(len, 24);
    uint8_t *p = gptr(&t.g, t.buf);
    CHECK_EQ(p[15], 0x77);
    CHECK_EQ(p[16], 0);
    CHECK_EQ(p[64 + 7], 0x77);
    CHECK_EQ(p[64 + 8], 0);
    CHECK_EQ(t.g.logs, 0);
    CHECK_EQ(t.g.irqs, 1);
    CHECK(guest_fini(&t.g));
}

static void test_outside_ram(void)
{
    static const struct { uint64_t addr; uint32_t len; } bad[] = {
        { 0x1000, 16 },                           /* below RAM */
        { RAM_BASE + RAM_SIZE - 8, 16 },          /* straddles the end */
        { RAM_BASE + RAM_SIZE, 1 },               /* just past it */
        { ~0ull - 4, 16 },                        /* wraps around */
        { RAM_BASE, RAM_SIZE + 1 },               /* too long */
    };
    for (unsigned k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        struct t t;
        start(&t, F_V1, 8);
        set_desc(&t, 0, t.buf, 16, W | N, 1);
        set_desc(&t, 1, bad[k].addr, bad[k].len, W, 0);
        publish(&t, 0);
        EXPECT_BROKEN(&t, "outside RAM");
    }
}

static void test_loops_and_indexes(void)
{
    struct t t;
    start(&t, F_V1, 8);
    set_desc(&t, 0, t.buf, 16, W | N, 1);
    set_desc(&t, 1, t.buf, 16, W | N, 0);
    publish(&t, 0);
    EXPECT_BROKEN(&t, "a loop?");

    start(&t, F_V1, 8); /* a loop onto itself */
    set_desc(&t, 3, t.buf, 16, W | N, 3);
    publish(&t, 3);
    EXPECT_BROKEN(&t, "a loop?");

    start(&t, F_V1, 8);
    set_desc(&t, 0, t.buf, 16, W | N, 8);
    publish(&t, 0);
    EXPECT_BROKEN(&t, "next 8 beyond the table");

    start(&t, F_V1, 8);
    publish(&t, 8);
    EXPECT_BROKEN(&t, "names descriptor 8");

    start(&t, F_V1, 8);
    set_desc(&t, 0, t.buf, 16, W, 0);
    drv_avail(&t.d, 0)->idx = 9; /* nine new chains in a ring of eight */
    drv_kick(&t.d, 0);
    EXPECT_BROKEN(&t, "jumped from 0 to 9");

    start(&t, F_V1, 8);
    set_desc(&t, 0, t.buf, 16, W | N, 1);
    set_desc(&t, 1, t.buf + 16, 16, 0, 0);
    publish(&t, 0);
    EXPECT_BROKEN(&t, "readable after device-writable");

    start(&t, F_V1, 8); /* more bytes than a used length can count */
    set_desc(&t, 0, t.buf, 16, W | N, 1);
    set_desc(&t, 1, t.buf, 0xfffffff8u, W, 0);
    publish(&t, 0);
    EXPECT_BROKEN(&t, "longer than 4 GiB");
}

static struct vring_desc *table_at(struct t *t, uint64_t gpa)
{
    return gptr(&t->g, gpa);
}

static void test_indirect(void)
{
    struct t t;
    uint32_t id, len;

    /* Not negotiated. */
    start(&t, F_V1, 8);
    set_desc(&t, 0, t.buf + 1024, 32, I, 0);
    publish(&t, 0);
    EXPECT_BROKEN(&t, "not negotiated");

    /* A good table of three, after one direct descriptor. */
    start(&t, F_V1 | F_INDIRECT, 8);
    uint64_t tab = t.buf + 1024;
    struct vring_desc *d = table_at(&t, tab);
    d[0] = (struct vring_desc){ .addr = t.buf + 100, .len = 4, .flags = W | N, .next = 2 };
    d[2] = (struct vring_desc){ .addr = t.buf + 200, .len = 4, .flags = W | N, .next = 1 };
    d[1] = (struct vring_desc){ .addr = t.buf + 300, .len = 4, .flags = W };
    set_desc(&t, 5, t.buf, 8, W | N, 6);
    set_desc(&t, 6, tab, 48, I, 0);
    publish(&t, 5);
    CHECK(drv_used(&t.d, 0, &id, &len));
    CHECK_EQ(id, 5);
    CHECK_EQ(len, 20);
    CHECK_EQ(((uint8_t *)gptr(&t.g, t.buf + 300))[3], 0x77);
    CHECK_EQ(t.g.logs, 0);
    CHECK(guest_fini(&t.g));

    static const struct {
        uint64_t offset; /* of the table from t.buf; ~0: outside RAM */
        uint32_t len;
        uint16_t flags;
        const char *why;
    } bad[] = {
        { 1024, 32, I | N, "with NEXT" },
        { 1024, 20, I, "bad length" },
        { 1024, 0, I, "bad length" },
        { 1024, 16 * (VIRTQ_MAX_SEGS + 1), I, "bad length" },
        { 1028, 32, I, "outside RAM or misaligned" },
        { ~0ull, 32, I, "outside RAM or misaligned" },
    };
    for (unsigned k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        start(&t, F_V1 | F_INDIRECT, 8);
        uint64_t addr = bad[k].offset == ~0ull ? RAM_BASE + RAM_SIZE - 16 : t.buf + bad[k].offset;
        set_desc(&t, 0, addr, bad[k].len, bad[k].flags, 1);
        publish(&t, 0);
        EXPECT_BROKEN(&t, bad[k].why);
    }

    /* Inside the table: nested indirect, a loop, next beyond the table. */
    start(&t, F_V1 | F_INDIRECT, 8);
    d = table_at(&t, t.buf + 1024);
    d[0] = (struct vring_desc){ .addr = t.buf + 2048, .len = 16, .flags = I };
    set_desc(&t, 0, t.buf + 1024, 32, I, 0);
    publish(&t, 0);
    EXPECT_BROKEN(&t, "indirect inside an indirect");

    start(&t, F_V1 | F_INDIRECT, 8);
    d = table_at(&t, t.buf + 1024);
    d[0] = (struct vring_desc){ .addr = t.buf, .len = 4, .flags = W | N, .next = 1 };
    d[1] = (struct vring_desc){ .addr = t.buf, .len = 4, .flags = W | N, .next = 0 };
    set_desc(&t, 0, t.buf + 1024, 32, I, 0);
    publish(&t, 0);
    EXPECT_BROKEN(&t, "a loop?");

    start(&t, F_V1 | F_INDIRECT, 8);
    d = table_at(&t, t.buf + 1024);
    d[0] = (struct vring_desc){ .addr = t.buf, .len = 4, .flags = W | N, .next = 2 };
    set_desc(&t, 0, t.buf + 1024, 32, I, 0);
    publish(&t, 0);
    EXPECT_BROKEN(&t, "next 2 beyond the table (2)");

    /* More buffers than a chain may have: 200 direct, then a table of 100. */
    start(&t, F_V1 | F_INDIRECT, 256);
    for (unsigned i = 0; i < 200; i++) {
        set_desc(&t, i, t.buf, 4, W | N, (uint16_t)(i + 1));
    }
    uint64_t big = drv_alloc(&t.d, 16 * 100, 16);
    d = table_at(&t, big);
    for (unsigned i = 0; i < 100; i++) {
        d[i] = (struct vring_desc){
            .addr = t.buf, .len = 4, .flags = W | N, .next = (uint16_t)(i + 1)
        };
    }
    d[99].flags = W;
    set_desc(&t, 200, big, 16 * 100, I, 0);
    publish(&t, 0);
    EXPECT_BROKEN(&t, "more than 256 buffers");
}

/* EVENT_IDX: an interrupt when the used index passes used_event; avail_event asks for kicks. */
/* One buffer more than a chain may have (VIRTQ_MAX_SEGS): a descriptor, then an indirect table
 * full of them. Refused before anything is written past the chain's segments. */
static void test_too_many_buffers(void)
{
    struct t t;
    start(&t, F_V1 | F_INDIRECT, 8);
    uint64_t table = drv_alloc(&t.d, 16 * VIRTQ_MAX_SEGS, 16);
    struct vring_desc *d = gptr(&t.g, table);
    for (unsigned i = 0; i < VIRTQ_MAX_SEGS; i++) {
        d[i] = (struct vring_desc){
            .addr = t.buf, .len = 1, .flags = W | (i + 1 < VIRTQ_MAX_SEGS ? N : 0), .next = i + 1
        };
    }
    set_desc(&t, 0, t.buf, 1, W | N, 1);
    set_desc(&t, 1, table, 16 * VIRTQ_MAX_SEGS, I, 0);
    publish(&t, 0);
    EXPECT_BROKEN(&t, "more than");
}

/* The used length never exceeds what the chain let the device write, whatever a device model
 * says it wrote (the driver reads that many bytes). The device model here is the test: the chain
 * is made available without a notification, so virtio-rng never sees it. */
static void test_used_length_bounded(void)
{
    struct t t;
    start(&t, F_V1, 8);
    set_desc(&t, 0, t.buf, 16, W, 0);
    struct drv_queue *dq = &t.d.q[0];
    struct vring_avail *avail = drv_avail(&t.d, 0);
    avail->ring[dq->avail_idx % dq->num] = 0;
    avail->idx = ++dq->avail_idx;
    struct virtq *q = virtio_queue(&t.rng.dev, 0);
    struct virtq_chain c;
    bool popped = q && virtq_pop(q, &c);
    CHECK(popped);
    if (!popped) {
        return;
    }
    virtq_push(q, &c, 1000);
    uint32_t id, len;
    CHECK(drv_used(&t.d, 0, &id, &len));
    CHECK_EQ(id, 0);
    CHECK_EQ(len, 16);
    CHECK(guest_fini(&t.g));
}

static void test_event_idx(void)
{
    struct t t;
    uint32_t id, len;
    start(&t, F_V1 | F_EVENT_IDX, 8);
    struct vring_avail *avail = drv_avail(&t.d, 0);
    uint16_t *used_event = &avail->ring[8];
    uint16_t *avail_event = (uint16_t *)&drv_used_ring(&t.d, 0)->ring[8];
    struct drv_buf b[] = { { t.buf, 8, true } };

    *used_event = 0; /* interrupt after the first used entry */
    drv_add(&t.d, 0, b, 1);
    drv_kick(&t.d, 0);
    CHECK_EQ(t.g.irqs, 1);
    CHECK_EQ(*avail_event, 1); /* notify me when you add entry 1 */

    *used_event = 5; /* not until entry 5 is used */
    drv_add(&t.d, 0, b, 1);
    drv_kick(&t.d, 0);
    CHECK_EQ(drv_used_ring(&t.d, 0)->idx, 2);
    CHECK_EQ(t.g.irqs, 1);
    for (unsigned i = 0; i < 4; i++) {
        drv_add(&t.d, 0, b, 1);
    }
    drv_kick(&t.d, 0);
    CHECK_EQ(drv_used_ring(&t.d, 0)->idx, 6);
    CHECK_EQ(t.g.irqs, 2);
    CHECK_EQ(*avail_event, 6);
    for (unsigned i = 0; i < 6; i++) {
        CHECK(drv_used(&t.d, 0, &id, &len));
        CHECK_EQ(len, 8);
    }
    CHECK(guest_fini(&t.g));
}

static void test_no_interrupt_flag(void)
{
    struct t t;
    start(&t, F_V1, 8);
    struct drv_buf b[] = { { t.buf, 8, true } };
    drv_avail(&t.d, 0)->flags = VRING_AVAIL_F_NO_INTERRUPT;
    drv_add(&t.d, 0, b, 1);
    drv_kick(&t.d, 0);
    CHECK_EQ(drv_used_ring(&t.d, 0)->idx, 1);
    CHECK_EQ(t.g.irqs, 0);
    drv_avail(&t.d, 0)->flags = 0;
    drv_add(&t.d, 0, b, 1);
    drv_kick(&t.d, 0);
    CHECK_EQ(t.g.irqs, 1);
    CHECK(guest_fini(&t.g));
}

/* The ring wraps: more chains than the queue size, in several rounds. */
static void test_wrap(void)
{
    struct t t;
    uint32_t id, len;
    start(&t, F_V1, 4);
    for (unsigned round = 0; round < 20; round++) {
        struct drv_buf b[] = { { t.buf, 4, true }, { t.buf + 8, 4, true } };
        uint16_t h1 = drv_add(&t.d, 0, b, 2);
        uint16_t h2 = drv_add(&t.d, 0, b, 1);
        drv_kick(&t.d, 0);
        CHECK(drv_used(&t.d, 0, &id, &len));
        CHECK_EQ(id, h1);
        CHECK_EQ(len, 8);
        CHECK(drv_used(&t.d, 0, &id, &len));
        CHECK_EQ(id, h2);
        CHECK_EQ(len, 4);
    }
    CHECK_EQ(drv_used_ring(&t.d, 0)->idx, 40);
    CHECK_EQ(t.g.logs, 0);
    CHECK(guest_fini(&t.g));
}

int main(void)
{
    for (transport = DRV_MMIO; transport < DRV_TRANSPORTS; transport++) {
        printf("transport: %s\n", drv_transport_name(transport));
        test_good_chain();
        test_outside_ram();
        test_loops_and_indexes();
        test_indirect();
        test_too_many_buffers();
        test_used_length_bounded();
        test_event_idx();
        test_no_interrupt_flag();
        test_wrap();
        CHECK_EQ(drv_failures, 0);
    }
    return unit_done("test_virtio_virtq");
}
