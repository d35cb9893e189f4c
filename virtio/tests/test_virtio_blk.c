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
        CHECK_EQ(drv_failures, 0);
    }
    return unit_done("test_virtio_blk");
}
