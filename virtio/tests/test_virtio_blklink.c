// SPDX-License-Identifier: MIT
/*
 * The block link's layout and the driver's checks (virtio/blklink.c): slices from the system tree
 * (whole sectors, inside the disk, overlaps of writable slices), the rings' pending counts as a
 * broken VMM can write them, and every request check on the edges: the slice's last sector, one
 * past it, lengths that would wrap, data outside the data area, read-only slices, unknown types.
 */
#include "unit.h"
#include <virtio/blklink.h>
#include <stddef.h>
#include <string.h>

/* keel,blk-slice as the tree has it: big-endian 32-bit cells. */
static void cells(uint8_t out[16], uint64_t offset, uint64_t size)
{
    for (unsigned i = 0; i < 8; i++) {
        out[i] = (uint8_t)(offset >> (56 - 8 * i));
        out[8 + i] = (uint8_t)(size >> (56 - 8 * i));
    }
}

static void test_layout(void)
{
    struct blklink_layout l;
    CHECK(blklink_layout(0x100000, 64, &l)); /* 1 MiB, 64 slots */
    CHECK_EQ(l.ring_size, 64);
    CHECK_EQ(l.req_ring, 64);
    CHECK(l.done_ring >= l.req_ring + 8 + 64 * sizeof(struct blklink_req));
    CHECK_EQ(l.done_ring % 64, 0);
    CHECK(l.data >= l.done_ring + 8 + 64 * sizeof(struct blklink_done));
    CHECK_EQ(l.data % 4096, 0);
    CHECK_EQ(l.data + l.data_size, 0x100000);
    /* 64 KiB + a page: the rings shrink until 64 KiB of data fit; 64 KiB alone: no room. */
    CHECK(blklink_layout(0x11000, 256, &l));
    CHECK_EQ(l.data_size, 0x10000);
    CHECK(l.ring_size >= 8 && l.ring_size <= 128);
    CHECK(!blklink_layout(0x10000, 256, &l));
    CHECK_EQ(l.ring_size, 0);
    /* max_slots not a power of two: the next below */
    CHECK(blklink_layout(0x100000, 100, &l));
    CHECK_EQ(l.ring_size, 64);
    /* both sides derive the same */
    struct blklink_layout m;
    CHECK(blklink_layout(0x100000, 100, &m));
    CHECK(l.ring_size == m.ring_size && l.req_ring == m.req_ring && l.done_ring == m.done_ring &&
          l.data == m.data && l.data_size == m.data_size);
}

static void test_slice_parse(void)
{
    uint8_t p[16];
    struct blk_slice s = { 0 };
    cells(p, 0x100000, 0x200000); /* 1 MiB in, 2 MiB */
    CHECK(blk_slice_parse(p, 16, false, 8192, &s) == NULL);
    CHECK_EQ(s.first, 2048);
    CHECK_EQ(s.sectors, 4096);
    CHECK(!s.read_only);
    cells(p, 0x100000, 0x300000); /* to the disk's last sector exactly */
    CHECK(blk_slice_parse(p, 16, true, 8192, &s) == NULL);
    CHECK(s.read_only);
    cells(p, 0x100000, 0x300200); /* one past */
    CHECK(blk_slice_parse(p, 16, false, 8192, &s) != NULL);
    cells(p, 0xfffffffffffffe00ull, 0x400); /* would wrap */
    CHECK(blk_slice_parse(p, 16, false, 8192, &s) != NULL);
    cells(p, 0x100, 0x200);
    CHECK(strstr(blk_slice_parse(p, 16, false, 8192, &s), "whole sectors"));
    cells(p, 0x200, 0x100);
    CHECK(strstr(blk_slice_parse(p, 16, false, 8192, &s), "whole sectors"));
    cells(p, 0x200, 0);
    CHECK(strstr(blk_slice_parse(p, 16, false, 8192, &s), "size 0"));
    CHECK(blk_slice_parse(p, 8, false, 8192, &s) != NULL);
    CHECK(blk_slice_parse(NULL, 16, false, 8192, &s) != NULL);
}

static void test_conflict(void)
{
    struct blk_slice a = { 0, 100, false }, b = { 100, 100, false }, c = { 99, 2, true },
                     d = { 150, 10, true }, e = { 155, 100, true };
    CHECK(!blk_slices_conflict(&a, &b)); /* adjacent */
    CHECK(!blk_slices_conflict(&b, &a));
    CHECK(blk_slices_conflict(&a, &c));  /* a writable one shares sector 99 */
    CHECK(blk_slices_conflict(&c, &b));  /* ... and 100 */
    CHECK(!blk_slices_conflict(&d, &e)); /* two read-only ones may share */
    CHECK(blk_slices_conflict(&b, &d));
    CHECK(blk_slices_conflict(&a, &a));
}

static void test_pending(void)
{
    uint32_t n;
    CHECK(blklink_pending(5, 5, 64, &n));
    CHECK_EQ(n, 0);
    CHECK(blklink_pending(69, 5, 64, &n)); /* full */
    CHECK_EQ(n, 64);
    CHECK(!blklink_pending(70, 5, 64, &n));         /* more than the ring: broken */
    CHECK(blklink_pending(3, 0xfffffffeu, 64, &n)); /* across the wrap */
    CHECK_EQ(n, 5);
    CHECK(!blklink_pending(0xfffffffeu, 3, 64, &n)); /* prod behind cons */
}

static enum blklink_status req(uint32_t type, uint64_t sector, uint32_t len, uint32_t off,
                               const struct blk_slice *s, uint64_t *disk)
{
    static struct blklink_layout l;
    if (!l.ring_size) {
        CHECK(blklink_layout(0x100000, 64, &l));
    }
    struct blklink_req r = { 0x1234, sector, type, len, off, 0 };
    return blklink_req_check(&r, s, &l, disk);
}

static void test_req_check(void)
{
    struct blklink_layout l;
    CHECK(blklink_layout(0x100000, 64, &l));
    uint32_t data = (uint32_t)l.data_size;
    struct blk_slice rw = { 1000, 100, false }, ro = { 5000, 8, true };
    uint64_t disk;
    CHECK_EQ(req(BLKLINK_IN, 0, 512, 0, &rw, &disk), BLKLINK_S_OK);
    CHECK_EQ(disk, 1000);
    CHECK_EQ(req(BLKLINK_OUT, 99, 512, 512, &rw, &disk), BLKLINK_S_OK); /* the last sector */
    CHECK_EQ(disk, 1099);
    CHECK_EQ(req(BLKLINK_OUT, 98, 1024, 0, &rw, &disk), BLKLINK_S_OK);
    CHECK_EQ(req(BLKLINK_IN, 99, 1024, 0, &rw, &disk), BLKLINK_S_IOERR); /* one past */
    CHECK_EQ(disk, 0);
    CHECK_EQ(req(BLKLINK_IN, 100, 512, 0, &rw, &disk), BLKLINK_S_IOERR);
    CHECK_EQ(req(BLKLINK_IN, 0xffffffffffffffffull, 512, 0, &rw, &disk), BLKLINK_S_IOERR);
    CHECK_EQ(req(BLKLINK_IN, 0, 0, 0, &rw, &disk), BLKLINK_S_IOERR);   /* no data */
    CHECK_EQ(req(BLKLINK_IN, 0, 100, 0, &rw, &disk), BLKLINK_S_IOERR); /* not whole sectors */
    /* Data area: up to its end, not a byte past, and offsets that would wrap 32 bits. */
    CHECK_EQ(req(BLKLINK_IN, 0, 512, data - 512, &rw, &disk), BLKLINK_S_OK);
    CHECK_EQ(req(BLKLINK_IN, 0, 512, data - 511, &rw, &disk), BLKLINK_S_IOERR);
    CHECK_EQ(req(BLKLINK_IN, 0, 512, 0xffffff00u, &rw, &disk), BLKLINK_S_IOERR);
    CHECK_EQ(req(BLKLINK_IN, 0, 0xfffffe00u, 0x200, &rw, &disk), BLKLINK_S_IOERR);
    /* Read-only: reads yes, writes no. */
    CHECK_EQ(req(BLKLINK_IN, 7, 512, 0, &ro, &disk), BLKLINK_S_OK);
    CHECK_EQ(disk, 5007);
    CHECK_EQ(req(BLKLINK_OUT, 0, 512, 0, &ro, &disk), BLKLINK_S_IOERR);
    /* FLUSH without data; GET_ID with room for the ID; other types unsupported. */
    CHECK_EQ(req(BLKLINK_FLUSH, 0, 0, 0, &rw, &disk), BLKLINK_S_OK);
    CHECK_EQ(req(BLKLINK_FLUSH, 0, 512, 0, &rw, &disk), BLKLINK_S_IOERR);
    CHECK_EQ(req(BLKLINK_GET_ID, 0, 20, 0, &ro, &disk), BLKLINK_S_OK);
    CHECK_EQ(req(BLKLINK_GET_ID, 0, 19, 0, &ro, &disk), BLKLINK_S_IOERR);
    CHECK_EQ(req(BLKLINK_GET_ID, 0, 20, data - 19, &ro, &disk), BLKLINK_S_IOERR);
    CHECK_EQ(req(2, 0, 512, 0, &rw, &disk), BLKLINK_S_UNSUPP);
    CHECK_EQ(req(11 /* DISCARD */, 0, 512, 0, &rw, &disk), BLKLINK_S_UNSUPP);
}

int main(void)
{
    test_layout();
    test_slice_parse();
    test_conflict();
    test_pending();
    test_req_check();
    return unit_done("test_virtio_blklink");
}
