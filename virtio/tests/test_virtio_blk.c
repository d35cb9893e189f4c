// SPDX-License-Identifier: MIT
/*
 * virtio-blk over a memory disk: configuration, IN/OUT with the data checked byte for byte and
 * scattered over several buffers, FLUSH, GET_ID, unknown types, requests outside the disk or not
 * whole sectors, writes to a read-only disk, and chains without room for header or status.
 * Over each transport.
 */
#include "driver.h"
#include "unit.h"
#include <stdlib.h>
#include <virtio/blk.h>

#define F_V1 (1ull << VIRTIO_F_VERSION_1)
#define DISK_SIZE (64 * 1024 + 100) /* 128 sectors and a partial one the guest does not see */
#define SECTORS 128

static enum drv_transport transport; /* the pass main() runs */

struct t {
    struct fake_guest g;
    struct virtio_blk blk;
    struct drv d;
    uint8_t *disk;
    uint64_t hdr, data, status; /* guest buffers */
};

static void start(struct t *t, bool read_only, const char *id)
{
    guest_init(&t->g);
    t->disk = malloc(DISK_SIZE);
    for (unsigned i = 0; i < DISK_SIZE; i++) {
        t->disk[i] = (uint8_t)(i * 7 + i / 512);
    }
    struct virtio_blk_backend b = {
        .data = t->disk, .size = DISK_SIZE, .read_only = read_only, .id = id
    };
    virtio_blk_init(&t->blk, &t->g.host, &b);
    drv_attach(&t->d, &t->g, &t->blk.dev, transport);
    drv_start(&t->d, F_V1 | 1ull << VIRTIO_BLK_F_FLUSH | 1ull << VIRTIO_BLK_F_SEG_MAX, 1, 16);
    t->hdr = drv_alloc(&t->d, 16, 16);
    t->data = drv_alloc(&t->d, 4096, 16);
    t->status = drv_alloc(&t->d, 1, 1);
    *(uint8_t *)gptr(&t->g, t->status) = 0xee;
}

static void finish(struct t *t)
{
    CHECK_EQ(drv_status(&t->d) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
    CHECK_EQ(t->g.logs, 0);
    CHECK(guest_fini(&t->g));
    free(t->disk);
}

static void set_hdr(struct t *t, uint32_t type, uint64_t sector)
{
    struct virtio_blk_outhdr *h = gptr(&t->g, t->hdr);
    *h = (struct virtio_blk_outhdr){ .type = type, .sector = sector };
}

/* Submits a chain and returns the used length (~0 if nothing was used). */
static uint32_t submit(struct t *t, const struct drv_buf *b, unsigned n)
{
    uint16_t head = drv_add(&t->d, 0, b, n);
    drv_kick(&t->d, 0);
    uint32_t id, len;
    if (!drv_used(&t->d, 0, &id, &len)) {
        return ~0u;
    }
    CHECK_EQ(id, head);
    return len;
}

static uint8_t status(struct t *t)
{
    return *(uint8_t *)gptr(&t->g, t->status);
}

/* A request header + one data buffer (device-writable for IN) + status. */
static uint32_t simple(struct t *t, uint32_t type, uint64_t sector, uint32_t len)
{
    set_hdr(t, type, sector);
    struct drv_buf b[] = {
        { t->hdr, 16, false },
        { t->data, len, type != VIRTIO_BLK_T_OUT },
        { t->status, 1, true },
    };
    return submit(t, b, 3);
}

static void test_config(void)
{
    struct t t;
    start(&t, false, NULL);
    uint64_t v;
    CHECK(drv_config(&t.d, 0, 8, false, &v));
    CHECK_EQ(v, SECTORS);
    CHECK(drv_config(&t.d, 12, 4, false, &v));
    CHECK_EQ(v, VIRTQ_MAX_SEGS - 2);
    CHECK(!drv_config(&t.d, 0, 4, true, &v)); /* nothing writable */
    uint32_t f = drv_device_features(&t.d, 0);
    CHECK(f & 1u << VIRTIO_BLK_F_FLUSH);
    CHECK(f & 1u << VIRTIO_BLK_F_SEG_MAX);
    CHECK(!(f & 1u << VIRTIO_BLK_F_RO));
    CHECK_EQ(drv_device_id(&t.d), VIRTIO_ID_BLOCK);
    finish(&t);

    start(&t, true, NULL);
    f = drv_device_features(&t.d, 0);
    CHECK(f & 1u << VIRTIO_BLK_F_RO);
    finish(&t);
}

static void test_read(void)
{
    struct t t;
    start(&t, false, NULL);
    /* Two sectors from sector 3, into two buffers, status separate. */
    set_hdr(&t, VIRTIO_BLK_T_IN, 3);
    struct drv_buf b[] = {
        { t.hdr, 16, false },
        { t.data, 512, true },
        { t.data + 2048, 512, true },
        { t.status, 1, true },
    };
    CHECK_EQ(submit(&t, b, 4), 1025);
    CHECK_EQ(status(&t), VIRTIO_BLK_S_OK);
    CHECK(memcmp(gptr(&t.g, t.data), t.disk + 3 * 512, 512) == 0);
    CHECK(memcmp(gptr(&t.g, t.data + 2048), t.disk + 4 * 512, 512) == 0);

    /* The last sector, data and status in one buffer (the status is its last byte). */
    set_hdr(&t, VIRTIO_BLK_T_IN, SECTORS - 1);
    struct drv_buf one[] = { { t.hdr, 16, false }, { t.data, 513, true } };
    CHECK_EQ(submit(&t, one, 2), 513);
    CHECK(memcmp(gptr(&t.g, t.data), t.disk + (SECTORS - 1) * 512, 512) == 0);
    CHECK_EQ(((uint8_t *)gptr(&t.g, t.data))[512], VIRTIO_BLK_S_OK);
    CHECK_EQ(t.blk.reads, 2);
    finish(&t);
}

static void test_write(void)
{
    struct t t;
    start(&t, false, NULL);
    /* Header and the first data bytes in one buffer, the rest in two more. */
    uint64_t buf = t.data;
    struct virtio_blk_outhdr *h = gptr(&t.g, buf);
    *h = (struct virtio_blk_outhdr){ .type = VIRTIO_BLK_T_OUT, .sector = 10 };
    uint8_t *p = gptr(&t.g, buf + 16);
    for (unsigned i = 0; i < 1024; i++) {
        p[i] = (uint8_t)(0x80 ^ i);
    }
    struct drv_buf b[] = {
        { buf, 16 + 100, false },
        { buf + 116, 900, false },
        { buf + 1016, 24, false },
        { t.status, 1, true },
    };
    uint8_t before = t.disk[10 * 512 - 1], after = t.disk[12 * 512];
    CHECK_EQ(submit(&t, b, 4), 1);
    CHECK_EQ(status(&t), VIRTIO_BLK_S_OK);
    CHECK(memcmp(t.disk + 10 * 512, p, 1024) == 0);
    CHECK_EQ(t.disk[10 * 512 - 1], before);
    CHECK_EQ(t.disk[12 * 512], after);
    CHECK_EQ(t.blk.writes, 1);

    /* Read it back through the device. */
    CHECK_EQ(simple(&t, VIRTIO_BLK_T_IN, 10, 1024), 1025);
    CHECK(memcmp(gptr(&t.g, t.data), t.disk + 10 * 512, 1024) == 0);
    CHECK_EQ(((uint8_t *)gptr(&t.g, t.data))[5], 0x85);
    finish(&t);
}

static void test_flush_id_unsupported(void)
{
    struct t t;
    start(&t, false, "disk-7");
    set_hdr(&t, VIRTIO_BLK_T_FLUSH, 0);
    struct drv_buf b[] = { { t.hdr, 16, false }, { t.status, 1, true } };
    CHECK_EQ(submit(&t, b, 2), 1);
    CHECK_EQ(status(&t), VIRTIO_BLK_S_OK);
    CHECK_EQ(t.blk.flushes, 1);

    memset(gptr(&t.g, t.data), 0xff, 20);
    CHECK_EQ(simple(&t, VIRTIO_BLK_T_GET_ID, 0, 20), 21);
    CHECK_EQ(status(&t), VIRTIO_BLK_S_OK);
    char *id = gptr(&t.g, t.data);
    CHECK(memcmp(id, "disk-7\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20) == 0);

    *(uint8_t *)gptr(&t.g, t.status) = 0xee;
    CHECK_EQ(simple(&t, 99, 0, 512), 1);
    CHECK_EQ(status(&t), VIRTIO_BLK_S_UNSUPP);
    CHECK_EQ(t.blk.errors, 1);
    finish(&t);

    start(&t, false, "a-serial-longer-than-twenty");
    CHECK_EQ(simple(&t, VIRTIO_BLK_T_GET_ID, 0, 64), 21);
    CHECK(memcmp(gptr(&t.g, t.data), "a-serial-longer-than", 20) == 0);
    CHECK_EQ(((uint8_t *)gptr(&t.g, t.data))[20], 0); /* nothing past the 20 bytes */
    finish(&t);
}

static void test_errors(void)
{
    struct t t;
    start(&t, false, NULL);
    static const struct { uint32_t type; uint64_t sector; uint32_t len; } bad[] = {
        { VIRTIO_BLK_T_IN, SECTORS, 512 },            /* the first sector past the end */
        { VIRTIO_BLK_T_IN, SECTORS - 1, 1024 },       /* runs past the end */
        { VIRTIO_BLK_T_IN, ~0ull / 512 + 1, 512 },    /* sector * 512 overflows */
        { VIRTIO_BLK_T_IN, ~0ull, 512 },
        { VIRTIO_BLK_T_IN, 0, 100 },                  /* not whole sectors */
        { VIRTIO_BLK_T_OUT, SECTORS, 512 },
        { VIRTIO_BLK_T_OUT, 1, 700 },
    };
    uint8_t *copy = malloc(DISK_SIZE);
    memcpy(copy, t.disk, DISK_SIZE);
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(gptr(&t.g, t.data), 0x3c, 4096);
        *(uint8_t *)gptr(&t.g, t.status) = 0xee;
        CHECK_EQ(simple(&t, bad[i].type, bad[i].sector, bad[i].len), 1);
        CHECK_EQ(status(&t), VIRTIO_BLK_S_IOERR);
        CHECK_EQ(((uint8_t *)gptr(&t.g, t.data))[0], 0x3c); /* no data moved */
    }
    CHECK(memcmp(copy, t.disk, DISK_SIZE) == 0);
    CHECK_EQ(t.blk.errors, sizeof(bad) / sizeof(bad[0]));
    finish(&t);

    /* A read-only disk: reads work, writes fail. */
    start(&t, true, NULL);
    memcpy(copy, t.disk, DISK_SIZE);
    memset(gptr(&t.g, t.data), 0x3c, 512);
    CHECK_EQ(simple(&t, VIRTIO_BLK_T_OUT, 0, 512), 1);
    CHECK_EQ(status(&t), VIRTIO_BLK_S_IOERR);
    CHECK(memcmp(copy, t.disk, DISK_SIZE) == 0);
    CHECK_EQ(simple(&t, VIRTIO_BLK_T_IN, 0, 512), 513);
    CHECK_EQ(status(&t), VIRTIO_BLK_S_OK);
    finish(&t);
    free(copy);
}

/* A chain without room for the header or the status breaks the queue. */
static void test_malformed(void)
{
    for (unsigned k = 0; k < 3; k++) {
        struct t t;
        start(&t, false, NULL);
        set_hdr(&t, VIRTIO_BLK_T_IN, 0);
        struct drv_buf short_hdr[] = { { t.hdr, 8, false }, { t.status, 1, true } };
        struct drv_buf no_status[] = { { t.hdr, 16, false }, { t.data, 512, false } };
        struct drv_buf only_status[] = { { t.status, 1, true } };
        uint32_t used = k == 0 ? submit(&t, short_hdr, 2) : k == 1 ? submit(&t, no_status, 2)
                                                                    : submit(&t, only_status, 1);
        CHECK_EQ(used, ~0u);
        CHECK_EQ(t.g.logs, 1);
        CHECK(guest_logged(&t.g, "no room for the header or the status"));
        CHECK(drv_status(&t.d) & VIRTIO_CONFIG_S_NEEDS_RESET);
        CHECK_EQ(status(&t), 0xee);
        CHECK(guest_fini(&t.g));
        free(t.disk);
    }
}

/* The asynchronous backend (virtio/blk.h): what the model hands it, and its answers. */
static struct {
    unsigned started;
    struct virtio_blk_async_req last;
    uint8_t out[4096]; /* OUT data as start() saw it */
    bool refuse;       /* start() fails (a link down) */
} be;

static bool fake_start(void *ctx, const struct virtio_blk_async_req *r)
{
    (void)ctx;
    be.started++;
    be.last = *r;
    be.last.out = NULL;
    if (r->type == VIRTIO_BLK_T_OUT) {
        CHECK_EQ(virtq_chain_read(r->out, 16, be.out, r->len), r->len);
    }
    return !be.refuse;
}

static void start_async_len(struct t *t, bool read_only, bool flush, unsigned slots,
                            uint32_t max_len)
{
    memset(&be, 0, sizeof(be));
    guest_init(&t->g);
    t->disk = NULL;
    struct virtio_blk_backend b = { .size = SECTORS * 512,
                                    .read_only = read_only,
                                    .flush = flush,
                                    .start = fake_start,
                                    .slots = slots,
                                    .max_len = max_len };
    virtio_blk_init(&t->blk, &t->g.host, &b);
    drv_attach(&t->d, &t->g, &t->blk.dev, transport);
    /* (32 descriptors: room for a chain longer than SEG_MAX allows) */
    drv_start(&t->d, F_V1 | (flush ? 1ull << VIRTIO_BLK_F_FLUSH : 0) | 1ull << VIRTIO_BLK_F_SEG_MAX,
              1, 32);
    t->hdr = drv_alloc(&t->d, 16, 16);
    t->data = drv_alloc(&t->d, 4096, 16);
    t->status = drv_alloc(&t->d, 1, 1);
    *(uint8_t *)gptr(&t->g, t->status) = 0xee;
}

static void start_async(struct t *t, bool read_only, bool flush, unsigned slots)
{
    start_async_len(t, read_only, flush, slots, 0);
}

static void test_async(void)
{
    struct t t;
    uint32_t id, len;
    start_async(&t, false, true, 2);
    uint64_t v;
    CHECK(drv_config(&t.d, 12, 4, false, &v));
    CHECK_EQ(v, VIRTIO_BLK_ASYNC_SEGS - 1);
    CHECK(drv_device_features(&t.d, 0) & 1u << VIRTIO_BLK_F_FLUSH);
    /* IN: handed over, answered later with the data (clipped to the buffers). */
    CHECK_EQ(simple(&t, VIRTIO_BLK_T_IN, 3, 1024), ~0u);
    CHECK_EQ(be.started, 1);
    CHECK_EQ(be.last.type, VIRTIO_BLK_T_IN);
    CHECK_EQ(be.last.sector, 3);
    CHECK_EQ(be.last.len, 1024);
    unsigned slot = be.last.slot;
    CHECK(slot < 2);
    static uint8_t answer[2048];
    for (unsigned i = 0; i < sizeof(answer); i++) {
        answer[i] = (uint8_t)(i * 3);
    }
    memset(gptr(&t.g, t.data), 0, 4096);
    CHECK(virtio_blk_complete(&t.blk, slot, VIRTIO_BLK_S_OK, answer, 2048));
    CHECK(drv_used(&t.d, 0, &id, &len));
    CHECK_EQ(len, 1025);
    CHECK_EQ(status(&t), VIRTIO_BLK_S_OK);
    CHECK(memcmp(gptr(&t.g, t.data), answer, 1024) == 0);
    CHECK_EQ(((uint8_t *)gptr(&t.g, t.data))[1024], 0); /* nothing past its buffer */
    CHECK_EQ(t.blk.reads, 1);
    /* A second answer for the same slot, or one for a slot never used: ignored. */
    CHECK(!virtio_blk_complete(&t.blk, slot, VIRTIO_BLK_S_OK, answer, 512));
    CHECK(!virtio_blk_complete(&t.blk, 2, VIRTIO_BLK_S_OK, answer, 512));
    CHECK(!virtio_blk_complete(&t.blk, 1000, VIRTIO_BLK_S_OK, answer, 512));
    CHECK(!drv_used(&t.d, 0, &id, &len));

    /* OUT: the data is given to start(). */
    memset(gptr(&t.g, t.data), 0x5a, 512);
    CHECK_EQ(simple(&t, VIRTIO_BLK_T_OUT, 7, 512), ~0u);
    CHECK_EQ(be.last.type, VIRTIO_BLK_T_OUT);
    CHECK_EQ(be.out[0], 0x5a);
    CHECK_EQ(be.out[511], 0x5a);
    CHECK(virtio_blk_complete(&t.blk, be.last.slot, VIRTIO_BLK_S_OK, NULL, 0));
    CHECK(drv_used(&t.d, 0, &id, &len));
    CHECK_EQ(len, 1);
    CHECK_EQ(t.blk.writes, 1);

    /* Checked before they are handed over: outside the disk, not whole sectors, unknown. */
    unsigned before = be.started;
    CHECK_EQ(simple(&t, VIRTIO_BLK_T_IN, SECTORS, 512), 1);
    CHECK_EQ(status(&t), VIRTIO_BLK_S_IOERR);
    CHECK_EQ(simple(&t, VIRTIO_BLK_T_OUT, SECTORS - 1, 1024), 1);
    CHECK_EQ(status(&t), VIRTIO_BLK_S_IOERR);
    CHECK_EQ(simple(&t, VIRTIO_BLK_T_IN, 0, 100), 1);
    CHECK_EQ(status(&t), VIRTIO_BLK_S_IOERR);
    CHECK_EQ(simple(&t, 99, 0, 512), 1);
    CHECK_EQ(status(&t), VIRTIO_BLK_S_UNSUPP);
    CHECK_EQ(be.started, before);

    /* Two slots: a third request waits in the ring until one is answered. */
    CHECK_EQ(simple(&t, VIRTIO_BLK_T_IN, 1, 512), ~0u);
    unsigned first = be.last.slot;
    CHECK_EQ(simple(&t, VIRTIO_BLK_T_IN, 2, 512), ~0u);
    CHECK(be.last.slot != first);
    CHECK_EQ(simple(&t, VIRTIO_BLK_T_FLUSH, 0, 0), ~0u);
    CHECK_EQ(be.started, before + 2);
    CHECK(virtio_blk_complete(&t.blk, first, VIRTIO_BLK_S_IOERR, answer, 512));
    CHECK_EQ(be.started, before + 3); /* the waiting one, in the freed slot */
    CHECK_EQ(be.last.type, VIRTIO_BLK_T_FLUSH);
    CHECK_EQ(be.last.slot, first);
    CHECK(drv_used(&t.d, 0, &id, &len));
    CHECK_EQ(len, 1); /* an error moves no data */

    /* A reset (drv_start() begins with one) forgets what is in flight: its answers only free
     * the slots. */
    drv_start(&t.d, F_V1 | 1ull << VIRTIO_BLK_F_FLUSH, 1, 32);
    for (unsigned i = 0; i < 2; i++) {
        CHECK(virtio_blk_complete(&t.blk, i, VIRTIO_BLK_S_OK, answer, 512));
    }
    CHECK(!drv_used(&t.d, 0, &id, &len));
    CHECK_EQ(t.blk.busy, 0);
    t.hdr = drv_alloc(&t.d, 16, 16);
    t.data = drv_alloc(&t.d, 4096, 16);
    t.status = drv_alloc(&t.d, 1, 1);

    /* start() refusing (its link down): IOERR at once, the slot free again. */
    be.refuse = true;
    CHECK_EQ(simple(&t, VIRTIO_BLK_T_IN, 0, 512), 1);
    CHECK_EQ(status(&t), VIRTIO_BLK_S_IOERR);
    CHECK_EQ(t.blk.busy, 0);
    be.refuse = false;

    /* More writable buffers than SEG_MAX said: IOERR, not handed over. */
    set_hdr(&t, VIRTIO_BLK_T_IN, 0);
    struct drv_buf many[VIRTIO_BLK_ASYNC_SEGS + 2];
    many[0] = (struct drv_buf){ t.hdr, 16, false };
    for (unsigned i = 1; i <= VIRTIO_BLK_ASYNC_SEGS; i++) {
        many[i] = (struct drv_buf){ t.data + (i - 1) * 32, 32, true };
    }
    many[VIRTIO_BLK_ASYNC_SEGS + 1] = (struct drv_buf){ t.status, 1, true };
    before = be.started;
    CHECK_EQ(submit(&t, many, VIRTIO_BLK_ASYNC_SEGS + 2), 1);
    CHECK_EQ(status(&t), VIRTIO_BLK_S_IOERR);
    CHECK_EQ(be.started, before);
    finish(&t);

    /* A backend with max_len: SIZE_MAX 4 KiB and SEG_MAX max_len / 4 KiB said; longer fails. */
    start_async_len(&t, false, true, 2, 12 * 1024);
    CHECK(drv_device_features(&t.d, 0) & 1u << VIRTIO_BLK_F_SIZE_MAX);
    CHECK(drv_config(&t.d, 8, 4, false, &v));
    CHECK_EQ(v, 4096);
    CHECK(drv_config(&t.d, 12, 4, false, &v));
    CHECK_EQ(v, 3);
    CHECK_EQ(simple(&t, VIRTIO_BLK_T_IN, 0, 4096), ~0u); /* (within: handed over) */
    CHECK_EQ(be.started, 1);
    CHECK(virtio_blk_complete(&t.blk, be.last.slot, VIRTIO_BLK_S_OK, answer, sizeof(answer)));
    CHECK(drv_used(&t.d, 0, &id, &len));
    uint64_t big = drv_alloc(&t.d, 16 * 1024, 16);
    set_hdr(&t, VIRTIO_BLK_T_IN, 0);
    struct drv_buf too_long[] = { { t.hdr, 16, false },
                                  { big, 12 * 1024 + 512, true },
                                  { t.status, 1, true } };
    CHECK_EQ(submit(&t, too_long, 3), 1);
    CHECK_EQ(status(&t), VIRTIO_BLK_S_IOERR);
    CHECK_EQ(be.started, 1);
    finish(&t);

    /* Read-only, no flush: OUT and FLUSH answered at once; FLUSH not offered. */
    start_async(&t, true, false, 4);
    CHECK(!(drv_device_features(&t.d, 0) & 1u << VIRTIO_BLK_F_FLUSH));
    CHECK(drv_device_features(&t.d, 0) & 1u << VIRTIO_BLK_F_RO);
    CHECK_EQ(simple(&t, VIRTIO_BLK_T_OUT, 0, 512), 1);
    CHECK_EQ(status(&t), VIRTIO_BLK_S_IOERR);
    CHECK_EQ(simple(&t, VIRTIO_BLK_T_FLUSH, 0, 0), 1);
    CHECK_EQ(status(&t), VIRTIO_BLK_S_UNSUPP);
    CHECK_EQ(be.started, 0);
    finish(&t);
}

int main(void)
{
    for (transport = DRV_MMIO; transport < DRV_TRANSPORTS; transport++) {
        printf("transport: %s\n", drv_transport_name(transport));
        test_config();
        test_read();
        test_write();
        test_flush_id_unsupported();
        test_errors();
        test_malformed();
        test_async();
        CHECK_EQ(drv_failures, 0);
    }
    return unit_done("test_virtio_blk");
}
