// SPDX-License-Identifier: MIT
/*
 * Host tests of the VMM's CFI flash (vmm/dev/cfi_flash.c) in the two shapes QEMU's boards give
 * it: x86 pc (bank width 1, 4 KiB blocks) and arm64 virt (two 16-bit chips in a 32-bit bank,
 * 256 KiB blocks, commands written as cmd << 16 | cmd). The CFI query table and read ID, the
 * status register, program, erase, buffered program, read-only refusals, lock commands, bad
 * sequences, the window's end, the mode and dirty callbacks, the access sequences of OVMF's
 * QemuFlash and of EDK2's VirtNorFlash, and a fixed-seed random walk (run under ASan/UBSan).
 */
#include "unit.h"
#include "cfi_flash.h"
#include <stdlib.h>

#define KiB 1024ull
#define MiB (1024 * KiB)
#define DUAL(c) ((uint64_t)(c) << 16 | (c))

/* What the callbacks saw. */
struct seen {
    unsigned mode_calls, dirty_calls;
    bool read_array;
    uint64_t dirty_lo, dirty_hi; /* the union of the dirty ranges */
    uint64_t size;
};

static void seen_mode(void *ctx, bool read_array)
{
    struct seen *s = ctx;
    CHECK(read_array != s->read_array); /* told only on changes */
    s->read_array = read_array;
    s->mode_calls++;
}

static void seen_dirty(void *ctx, uint64_t off, uint64_t len)
{
    struct seen *s = ctx;
    CHECK(len > 0 && off < s->size && len <= s->size - off);
    if (s->dirty_calls++ == 0 || off < s->dirty_lo) {
        s->dirty_lo = off;
    }
    if (off + len > s->dirty_hi) {
        s->dirty_hi = off + len;
    }
}

static void seen_clear(struct seen *s)
{
    s->mode_calls = s->dirty_calls = 0;
    s->dirty_lo = s->dirty_hi = 0;
}

struct rig {
    struct cfi_flash f;
    struct seen seen;
    uint8_t *data;
};

/* A flash of size bytes filled with a pattern (byte i: i * 7 + 1, never 0xff in a row). */
static void rig_init(struct rig *r, uint64_t size, uint64_t block, unsigned bank, unsigned dev,
                     bool read_only)
{
    memset(&r->seen, 0, sizeof(r->seen));
    r->seen.read_array = true;
    r->seen.size = size;
    r->data = malloc(size);
    for (uint64_t i = 0; i < size; i++) {
        r->data[i] = (uint8_t)(i * 7 + 1);
    }
    struct cfi_flash_config cfg = {
        .data = r->data,
        .size = size,
        .block_size = block,
        .bank_width = bank,
        .device_width = dev,
        .read_only = read_only,
        .manufacturer = 0x89,
        .device = 0x18,
        .mode_changed = seen_mode,
        .dirty = seen_dirty,
        .ctx = &r->seen,
    };
    CHECK(cfi_flash_init(&r->f, &cfg));
}

static void rig_x86(struct rig *r, bool read_only)
{
    rig_init(r, 256 * KiB, 4 * KiB, 1, 1, read_only);
}

static void rig_virt(struct rig *r, bool read_only)
{
    rig_init(r, 2 * MiB, 256 * KiB, 4, 2, read_only);
}

static void rig_free(struct rig *r)
{
    CHECK_EQ(r->seen.read_array, cfi_flash_read_array(&r->f));
    free(r->data);
}

static uint64_t rd(struct rig *r, uint64_t off, unsigned width)
{
    uint64_t v = 0xdeadbeef;
    CHECK(cfi_flash_access(&r->f, off, width, false, &v));
    return v;
}

static void wr(struct rig *r, uint64_t off, unsigned width, uint64_t v)
{
    CHECK(cfi_flash_access(&r->f, off, width, true, &v));
}

/* A command as the bank's driver writes it: to every chip (x86: a byte; virt: cmd << 16 | cmd). */
static void cmd(struct rig *r, uint64_t off, uint8_t c)
{
    if (r->f.cfg.bank_width == 1) {
        wr(r, off, 1, c);
    } else {
        wr(r, off, 4, DUAL(c));
    }
}

static uint8_t pattern(uint64_t i)
{
    return (uint8_t)(i * 7 + 1);
}

/* The pattern's n bytes at off, little-endian. */
static uint64_t pattern_le(uint64_t off, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)pattern(off + i) << (8 * i);
    }
    return v;
}

static bool all_pattern(const struct rig *r, uint64_t off, uint64_t len)
{
    for (uint64_t i = off; i < off + len; i++) {
        if (r->data[i] != pattern(i)) {
            return false;
        }
    }
    return true;
}

static bool all_ff(const struct rig *r, uint64_t off, uint64_t len)
{
    for (uint64_t i = off; i < off + len; i++) {
        if (r->data[i] != 0xff) {
            return false;
        }
    }
    return true;
}

static void test_config(void)
{
    static uint8_t data[64 * KiB];
    struct cfi_flash f;
    struct cfi_flash_config good = { .data = data,
                                     .size = sizeof(data),
                                     .block_size = 4 * KiB,
                                     .bank_width = 1,
                                     .device_width = 1 };
    struct cfi_flash_config c = good;
    CHECK(cfi_flash_init(&f, &c));
    CHECK(cfi_flash_read_array(&f));
    c.data = NULL;
    CHECK(!cfi_flash_init(&f, &c));
    c = good, c.bank_width = 3;
    CHECK(!cfi_flash_init(&f, &c));
    c = good, c.device_width = 2; /* wider than the bank */
    CHECK(!cfi_flash_init(&f, &c));
    c = good, c.block_size = 3 * KiB;
    CHECK(!cfi_flash_init(&f, &c));
    c = good, c.block_size = 128; /* less than 256 bytes per chip */
    CHECK(!cfi_flash_init(&f, &c));
    c = good, c.size = 62 * KiB;
    CHECK(!cfi_flash_init(&f, &c));
    c = good, c.size = 0;
    CHECK(!cfi_flash_init(&f, &c));
    c = good, c.bank_width = 4, c.device_width = 2; /* a 4 KiB buffer fits a 4 KiB block */
    CHECK(cfi_flash_init(&f, &c));
    c.device_width = 1; /* an 8 KiB buffer does not */
    CHECK(!cfi_flash_init(&f, &c));
    c = good, c.size = 65537 * 256ull, c.block_size = 256; /* more than 65536 blocks */
    CHECK(!cfi_flash_init(&f, &c));
}

static void test_query_x86(void)
{
    struct rig r;
    rig_x86(&r, false);
    cmd(&r, 0x55, 0x98);
    CHECK(!cfi_flash_read_array(&r.f));
    CHECK_EQ(rd(&r, 0x10, 1), 'Q');
    CHECK_EQ(rd(&r, 0x11, 1), 'R');
    CHECK_EQ(rd(&r, 0x12, 1), 'Y');
    CHECK_EQ(rd(&r, 0x10, 4), 0x01595251); /* QRY, then command set 0x0001 */
    CHECK_EQ(rd(&r, 0x13, 2), 0x0001);
    CHECK_EQ(rd(&r, 0x15, 2), 0x0031);
    CHECK_EQ(rd(&r, 0x27, 1), 18);         /* 256 KiB */
    CHECK_EQ(rd(&r, 0x2a, 2), 8);          /* 256-byte write buffer */
    CHECK_EQ(rd(&r, 0x2c, 1), 1);          /* one erase region */
    CHECK_EQ(rd(&r, 0x2d, 4), 0x0010003f); /* 64 blocks of 16 × 256 bytes */
    CHECK_EQ(rd(&r, 0x31, 4), 0x31495250); /* "PRI1" */
    CHECK_EQ(rd(&r, 0x3f, 1), 1);
    CHECK_EQ(rd(&r, 0x51, 1), 0);
    CHECK_EQ(rd(&r, 0x52, 1), 0);  /* past the table */
    CHECK_EQ(rd(&r, 0x110, 1), 0); /* no repeat every 256 bytes */
    cmd(&r, 0, 0xff);
    CHECK(cfi_flash_read_array(&r.f));
    CHECK_EQ(rd(&r, 0x10, 1), pattern(0x10));
    CHECK_EQ(r.seen.mode_calls, 2);
    rig_free(&r);
    /* A size that is no power of two (OVMF's 528 KiB vars): QEMU's ctz, blocks exact. */
    rig_init(&r, 528 * KiB, 4 * KiB, 1, 1, false);
    cmd(&r, 0, 0x98);
    CHECK_EQ(rd(&r, 0x27, 1), 14);
    CHECK_EQ(rd(&r, 0x2d, 2), 131);
    rig_free(&r);
}

static void test_query_virt(void)
{
    struct rig r;
    rig_init(&r, 64 * MiB, 256 * KiB, 4, 2, false); /* one of virt's two flashes */
    cmd(&r, 0x55 * 4, 0x98);
    CHECK_EQ(rd(&r, 0x40, 4), 0x00510051); /* 'Q' from each chip */
    CHECK_EQ(rd(&r, 0x44, 4), 0x00520052);
    CHECK_EQ(rd(&r, 0x48, 4), 0x00590059);
    CHECK_EQ(rd(&r, 0x40, 8), 0x0052005200510051);
    CHECK_EQ(rd(&r, 0x40, 1), 0x51); /* byte lanes: chip 0 low, high; chip 1 low, high */
    CHECK_EQ(rd(&r, 0x41, 1), 0x00);
    CHECK_EQ(rd(&r, 0x42, 1), 0x51);
    CHECK_EQ(rd(&r, 0x42, 2), 0x0051);
    CHECK_EQ(rd(&r, 0x41, 4), 0x52005100);   /* unaligned: bytes 0x41-0x44 */
    CHECK_EQ(rd(&r, 0x27 * 4, 4), DUAL(25)); /* each chip 32 MiB */
    CHECK_EQ(rd(&r, 0x2a * 4, 4), DUAL(11)); /* 2 KiB buffer per chip */
    CHECK_EQ(rd(&r, 0x2c * 4, 4), DUAL(1));
    CHECK_EQ(rd(&r, 0x2d * 4, 4), DUAL(255)); /* 256 blocks of 128 KiB per chip */
    CHECK_EQ(rd(&r, 0x2e * 4, 4), 0);
    CHECK_EQ(rd(&r, 0x2f * 4, 4), 0);
    CHECK_EQ(rd(&r, 0x30 * 4, 4), DUAL(2));
    CHECK_EQ(rd(&r, 0x52 * 4, 4), 0);
    CHECK_EQ(r.f.buf_size, 4096);
    cmd(&r, 0, 0xff);
    CHECK_EQ(rd(&r, 0x40, 4), pattern_le(0x40, 4)); /* the array again */
    rig_free(&r);
}

static void test_read_id(void)
{
    struct rig r;
    rig_virt(&r, false);
    cmd(&r, 0, 0x90);
    CHECK_EQ(rd(&r, 0, 4), 0x00890089);
    CHECK_EQ(rd(&r, 4, 4), 0x00180018);
    CHECK_EQ(rd(&r, 8, 4), 0); /* block lock status: unlocked (VirtNorFlash reads it at +8) */
    CHECK_EQ(rd(&r, 256 * KiB + 8, 4), 0);
    CHECK_EQ(rd(&r, 0x400, 4), 0x00890089); /* every 256 bank words */
    CHECK_EQ(rd(&r, 0xc, 4), 0);
    CHECK_EQ(rd(&r, 0, 8), 0x0018001800890089);
    rig_free(&r);
    rig_x86(&r, false);
    cmd(&r, 0, 0x90);
    CHECK_EQ(rd(&r, 0, 1), 0x89);
    CHECK_EQ(rd(&r, 1, 1), 0x18);
    CHECK_EQ(rd(&r, 2, 1), 0);
    CHECK_EQ(rd(&r, 0x100, 2), 0x1889);
    cmd(&r, 0, 0xff);
    rig_free(&r);
}

static void test_status(void)
{
    struct rig r;
    rig_x86(&r, false);
    cmd(&r, 0x123, 0x70);
    CHECK_EQ(rd(&r, 0x3000, 1), 0x80);  /* ready at reset; any address */
    CHECK_EQ(rd(&r, 0, 4), 0x80808080); /* every byte-wide lane */
    cmd(&r, 0, 0x50);                   /* clears every bit and reads array */
    CHECK(cfi_flash_read_array(&r.f));
    CHECK_EQ(rd(&r, 5, 1), pattern(5));
    cmd(&r, 0, 0x70);
    CHECK_EQ(rd(&r, 5, 1), 0x00);
    cmd(&r, 0, 0x70); /* read status again: no change, no call */
    CHECK_EQ(r.seen.mode_calls, 3);
    cmd(&r, 0, 0xff);
    rig_free(&r);

    rig_virt(&r, false);
    cmd(&r, 0, 0x70);
    CHECK_EQ(rd(&r, 0, 4), 0x00800080);
    CHECK_EQ(rd(&r, 2, 2), 0x0080);
    CHECK_EQ(rd(&r, 1, 1), 0);
    CHECK_EQ(rd(&r, 0, 8), 0x0080008000800080);
    cmd(&r, 0, 0xff);
    rig_free(&r);
}

static void test_program(void)
{
    struct rig r;
    rig_x86(&r, false);
    cmd(&r, 0x1000, 0x10);
    CHECK(!cfi_flash_read_array(&r.f));
    CHECK_EQ(rd(&r, 0x1000, 1), 0x80); /* status while it waits for the data */
    wr(&r, 0x1000, 1, 0x5a);
    CHECK_EQ(r.data[0x1000], 0x5a);
    CHECK_EQ(rd(&r, 0x1000, 1), 0x80); /* then status */
    CHECK_EQ(r.seen.dirty_calls, 1);
    CHECK_EQ(r.seen.dirty_lo, 0x1000);
    CHECK_EQ(r.seen.dirty_hi, 0x1001);
    cmd(&r, 0x1001, 0x40);
    wr(&r, 0x1001, 4, 0x04030201); /* a wider write stores all its bytes, as QEMU */
    CHECK_EQ(r.data[0x1001], 1);
    CHECK_EQ(r.data[0x1004], 4);
    CHECK_EQ(r.data[0x1005], pattern(0x1005));
    cmd(&r, 0, 0xff);
    CHECK_EQ(rd(&r, 0x1000, 2), 0x015a);
    /* Stored as written (QEMU), not ANDed: a program may set bits. */
    cmd(&r, 0x1000, 0x10);
    wr(&r, 0x1000, 1, 0xff);
    cmd(&r, 0x1000, 0xff);
    CHECK_EQ(rd(&r, 0x1000, 1), 0xff);
    CHECK(all_pattern(&r, 0, 0x1000));
    CHECK(all_pattern(&r, 0x1005, 256 * KiB - 0x1005));
    rig_free(&r);

    rig_virt(&r, false);
    cmd(&r, 0x800, 0x40);
    wr(&r, 0x800, 4, 0x12345678);
    CHECK_EQ(rd(&r, 0x800, 4), 0x00800080);
    cmd(&r, 0, 0x50); /* VirtNorFlash: clear status, read array */
    CHECK_EQ(rd(&r, 0x800, 4), 0x12345678);
    cmd(&r, 0x804, 0x40);
    wr(&r, 0x804, 8, 0x0123456789abcdef); /* two writes: the data, then a command 0x67 */
    CHECK(cfi_flash_read_array(&r.f));    /* 0x67 is none: read array */
    CHECK_EQ(rd(&r, 0x804, 4), 0x89abcdef);
    CHECK(all_pattern(&r, 0x808, 8));
    rig_free(&r);
}

static void test_erase(void)
{
    struct rig r;
    rig_x86(&r, false);
    cmd(&r, 0x2123, 0x20);
    CHECK(all_pattern(&r, 0, 256 * KiB)); /* nothing before the confirm */
    CHECK_EQ(rd(&r, 0, 1), 0x80);
    cmd(&r, 0x2123, 0xd0);
    CHECK(all_pattern(&r, 0, 0x2000));
    CHECK(all_ff(&r, 0x2000, 0x1000));
    CHECK(all_pattern(&r, 0x3000, 256 * KiB - 0x3000));
    CHECK_EQ(r.seen.dirty_calls, 1);
    CHECK_EQ(r.seen.dirty_lo, 0x2000);
    CHECK_EQ(r.seen.dirty_hi, 0x3000);
    CHECK_EQ(rd(&r, 0x2000, 1), 0x80);
    /* The block is the one 0x20 went to, wherever the confirm goes. */
    cmd(&r, 0x5000, 0x20);
    cmd(&r, 0, 0xd0);
    CHECK(all_ff(&r, 0x5000, 0x1000));
    CHECK(all_pattern(&r, 0, 0x2000));
    /* Read array instead of the confirm: nothing erased, no error. */
    cmd(&r, 0x7000, 0x20);
    cmd(&r, 0x7000, 0xff);
    CHECK(cfi_flash_read_array(&r.f));
    CHECK(all_pattern(&r, 0x7000, 0x1000));
    /* Another value: a sequence error, nothing erased. */
    cmd(&r, 0x7000, 0x20);
    cmd(&r, 0x7000, 0x40);
    CHECK_EQ(rd(&r, 0, 1), 0xb0);
    CHECK(all_pattern(&r, 0x7000, 0x1000));
    cmd(&r, 0, 0x50);
    cmd(&r, 0, 0xff);
    rig_free(&r);

    rig_virt(&r, false);
    cmd(&r, 256 * KiB, 0x20);
    cmd(&r, 256 * KiB, 0xd0);
    CHECK(all_pattern(&r, 0, 256 * KiB));
    CHECK(all_ff(&r, 256 * KiB, 256 * KiB));
    CHECK(all_pattern(&r, 512 * KiB, 2 * MiB - 512 * KiB));
    CHECK_EQ(rd(&r, 0, 4), 0x00800080);
    cmd(&r, 0, 0xff);
    rig_free(&r);
}

/* A buffered program as VirtNorFlash does it: 0xe8 at the target, the count, words, confirm. */
static void buffer_words(struct rig *r, uint64_t target, const uint32_t *w, unsigned n)
{
    cmd(r, target, 0xe8);
    CHECK_EQ(rd(r, target, 4), 0x00800080); /* the buffer is free */
    wr(r, target, 4, DUAL(n - 1));
    for (unsigned i = 0; i < n; i++) {
        wr(r, target + 4 * i, 4, w[i]);
    }
    cmd(r, 0, 0xd0);
}

static void test_buffer(void)
{
    struct rig r;
    uint32_t w[1024];
    for (unsigned i = 0; i < 1024; i++) {
        w[i] = 0xa5000000 | i;
    }
    rig_virt(&r, false);
    buffer_words(&r, 0x1000, w, 32);
    CHECK_EQ(rd(&r, 0, 4), 0x00800080);
    CHECK_EQ(r.seen.dirty_calls, 1);
    CHECK_EQ(r.seen.dirty_lo, 0x1000);
    CHECK_EQ(r.seen.dirty_hi, 0x1080);
    cmd(&r, 0, 0xff);
    for (unsigned i = 0; i < 32; i++) {
        CHECK_EQ(rd(&r, 0x1000 + 4 * i, 4), w[i]);
    }
    CHECK(all_pattern(&r, 0, 0x1000));
    CHECK(all_pattern(&r, 0x1080, 2 * MiB - 0x1080));
    /* A partial buffer in the middle of a window; one word (count 0); a whole 4 KiB window. */
    buffer_words(&r, 0x2040, w, 3);
    buffer_words(&r, 0x2100, w + 7, 1);
    buffer_words(&r, 0x3000, w, 1024);
    cmd(&r, 0, 0xff);
    CHECK_EQ(rd(&r, 0x2048, 4), w[2]);
    CHECK_EQ(rd(&r, 0x2100, 4), w[7]);
    CHECK_EQ(rd(&r, 0x3ffc, 4), w[1023]);
    CHECK(all_pattern(&r, 0x204c, 0xb4));
    CHECK(all_pattern(&r, 0x2104, 0xefc));
    /* Out of order and with gaps: the bytes between keep the array's. */
    cmd(&r, 0x5000, 0xe8);
    wr(&r, 0x5000, 4, DUAL(2));
    wr(&r, 0x5010, 4, 0x11111111);
    wr(&r, 0x5000, 2, 0x2222);
    wr(&r, 0x5020, 4, 0x33333333);
    cmd(&r, 0x5000, 0xd0);
    CHECK_EQ(r.data[0x5000], 0x22);
    CHECK(all_pattern(&r, 0x5002, 14));
    CHECK_EQ(r.data[0x5013], 0x11);
    CHECK(all_pattern(&r, 0x5014, 12));
    CHECK_EQ(r.data[0x5023], 0x33);
    CHECK(all_pattern(&r, 0x5024, 0x20));
    /* A count past the buffer (1024 bank words): a sequence error, the next write a command. */
    seen_clear(&r.seen);
    cmd(&r, 0x6000, 0xe8);
    wr(&r, 0x6000, 4, DUAL(1024));
    CHECK_EQ(rd(&r, 0x6000, 4), 0x00b000b0);
    cmd(&r, 0, 0x50);
    /* A data write outside the window: a program error, nothing written. */
    cmd(&r, 0x6000, 0xe8);
    wr(&r, 0x6000, 4, DUAL(1));
    wr(&r, 0x6000, 4, 0);
    wr(&r, 0x7000, 4, 0);
    CHECK_EQ(rd(&r, 0, 4), 0x00900090);
    cmd(&r, 0, 0xd0);
    CHECK_EQ(rd(&r, 0, 4), 0x00900090);
    cmd(&r, 0, 0x50);
    /* Aborted: a confirm other than 0xd0 is a sequence error; 0xff reads array. */
    cmd(&r, 0x6000, 0xe8);
    wr(&r, 0x6000, 4, DUAL(0));
    wr(&r, 0x6000, 4, 0);
    cmd(&r, 0x6000, 0x70);
    CHECK_EQ(rd(&r, 0, 4), 0x00b000b0);
    cmd(&r, 0, 0x50);
    cmd(&r, 0x6000, 0xe8);
    wr(&r, 0x6000, 4, DUAL(0));
    wr(&r, 0x6000, 4, 0);
    cmd(&r, 0x6000, 0xff);
    CHECK(cfi_flash_read_array(&r.f));
    CHECK_EQ(rd(&r, 0x6000, 4), pattern_le(0x6000, 4));
    CHECK(all_pattern(&r, 0x6000, 0x2000));
    CHECK_EQ(r.seen.dirty_calls, 0);
    rig_free(&r);

    /* Bank width 1: a byte count, at most 256 bytes in a 256-byte window. */
    rig_x86(&r, false);
    cmd(&r, 0x100, 0xe8);
    wr(&r, 0x100, 1, 255);
    for (unsigned i = 0; i < 256; i++) {
        wr(&r, 0x100 + i, 1, (uint8_t)~i);
    }
    cmd(&r, 0x100, 0xd0);
    CHECK_EQ(rd(&r, 0, 1), 0x80);
    cmd(&r, 0, 0xff);
    CHECK_EQ(rd(&r, 0x100, 4), 0xfcfdfeff);
    CHECK_EQ(rd(&r, 0x1ff, 1), 0x00);
    CHECK(all_pattern(&r, 0x200, 0x100));
    rig_free(&r);
}

static void test_read_only(void)
{
    struct rig r;
    rig_virt(&r, true);
    cmd(&r, 0x100, 0x40);
    wr(&r, 0x100, 4, 0);
    CHECK_EQ(rd(&r, 0, 4), 0x00900090);
    cmd(&r, 0, 0x50);
    cmd(&r, 0, 0x20);
    cmd(&r, 0, 0xd0);
    CHECK_EQ(rd(&r, 0, 4), 0x00a000a0);
    cmd(&r, 0, 0x50);
    uint32_t w[4] = { 0 };
    cmd(&r, 0x200, 0xe8);
    CHECK_EQ(rd(&r, 0, 4), 0x00800080);
    wr(&r, 0x200, 4, DUAL(3));
    for (unsigned i = 0; i < 4; i++) {
        wr(&r, 0x200 + 4 * i, 4, w[i]);
    }
    cmd(&r, 0, 0xd0);
    CHECK_EQ(rd(&r, 0, 4), 0x00900090);
    cmd(&r, 0, 0x50); /* clear status and read array: recovered */
    CHECK(cfi_flash_read_array(&r.f));
    cmd(&r, 0, 0x70);
    CHECK_EQ(rd(&r, 0, 4), 0);
    cmd(&r, 0, 0xff);
    CHECK(all_pattern(&r, 0, 2 * MiB));
    CHECK_EQ(r.seen.dirty_calls, 0);
    /* Reads, query and ID work as ever. */
    cmd(&r, 0, 0x98);
    CHECK_EQ(rd(&r, 0x40, 4), 0x00510051);
    cmd(&r, 0, 0xff);
    rig_free(&r);
    rig_x86(&r, true);
    cmd(&r, 0x10, 0x10);
    wr(&r, 0x10, 1, 0);
    CHECK_EQ(rd(&r, 0x10, 1), 0x90);
    cmd(&r, 0, 0xff);
    CHECK(all_pattern(&r, 0, 256 * KiB));
    rig_free(&r);
}

static void test_lock(void)
{
    struct rig r;
    rig_virt(&r, false);
    static const uint8_t second[] = { 0x01, 0xd0, 0x2f, 0x03 };
    for (unsigned i = 0; i < sizeof(second); i++) {
        cmd(&r, 256 * KiB, 0x60);
        CHECK_EQ(rd(&r, 256 * KiB, 4), 0x00800080);
        cmd(&r, 256 * KiB, second[i]);
        CHECK_EQ(rd(&r, 0, 4), 0x00800080);
        cmd(&r, 256 * KiB, 0x90);
        CHECK_EQ(rd(&r, 256 * KiB + 8, 4), 0); /* never locked */
    }
    cmd(&r, 256 * KiB, 0x20); /* a "locked" block still erases */
    cmd(&r, 256 * KiB, 0xd0);
    CHECK_EQ(rd(&r, 0, 4), 0x00800080);
    CHECK(all_ff(&r, 256 * KiB, 256 * KiB));
    cmd(&r, 0, 0x60);
    cmd(&r, 0, 0xff);
    CHECK(cfi_flash_read_array(&r.f));
    cmd(&r, 0, 0x60);
    cmd(&r, 0, 0x55);
    CHECK_EQ(rd(&r, 0, 4), 0x00b000b0);
    cmd(&r, 0, 0x50);
    cmd(&r, 0, 0xff);
    rig_free(&r);
}

/* A sequence whose second (or later) cycle is bad: a sequence error, read status, sticky. */
static void check_sequence_error(struct rig *r)
{
    CHECK(!cfi_flash_read_array(&r->f));
    CHECK_EQ(rd(r, 0x555, 1), 0xb0);
    cmd(r, 0, 0xff);
    CHECK_EQ(rd(r, 0x555, 1), pattern(0x555));
    cmd(r, 0, 0x70); /* the error stays until cleared */
    CHECK_EQ(rd(r, 0, 1), 0xb0);
    cmd(r, 0, 0x50); /* clear status: read array, status 0 */
    CHECK_EQ(rd(r, 0x555, 1), pattern(0x555));
    cmd(r, 0, 0x70);
    CHECK_EQ(rd(r, 0, 1), 0);
    cmd(r, 0, 0xff);
}

static void test_bad_commands(void)
{
    struct rig r;
    rig_x86(&r, false);
    /* Unknown first commands read array and leave the status alone (QEMU; Linux's probe). */
    static const uint8_t unknown[] = { 0x00, 0xf0, 0x01, 0x33, 0x80, 0xb0, 0xd0, 0xaa, 0x55, 0x28 };
    for (unsigned i = 0; i < sizeof(unknown); i++) {
        cmd(&r, 0x555, 0x70);
        cmd(&r, 0x555, unknown[i]);
        CHECK(cfi_flash_read_array(&r.f));
        CHECK_EQ(rd(&r, 0x555, 1), pattern(0x555));
        cmd(&r, 0, 0x70);
        CHECK_EQ(rd(&r, 0, 1), 0x80);
    }
    cmd(&r, 0, 0xff);
    static const uint8_t bad_second[] = { 0x00, 0x10, 0x70, 0x90, 0x98, 0xe8, 0xf0, 0x50 };
    for (unsigned i = 0; i < sizeof(bad_second); i++) {
        cmd(&r, 0x1000, 0x20);
        cmd(&r, 0x1000, bad_second[i]);
        check_sequence_error(&r);
        cmd(&r, 0x1000, 0x60);
        cmd(&r, 0x1000, bad_second[i]);
        check_sequence_error(&r);
        cmd(&r, 0x1000, 0xe8);
        wr(&r, 0x1000, 1, 0);
        wr(&r, 0x1000, 1, 0x12);
        cmd(&r, 0x1000, bad_second[i]);
        check_sequence_error(&r);
    }
    CHECK(all_pattern(&r, 0, 256 * KiB));
    /* Query and ID take any next command, as read status does. */
    cmd(&r, 0, 0x98);
    cmd(&r, 0, 0x90);
    CHECK_EQ(rd(&r, 0, 1), 0x89);
    cmd(&r, 0, 0x70);
    CHECK_EQ(rd(&r, 0, 1), 0);
    cmd(&r, 0, 0xff);
    /* Reset: read array, ready, a pending sequence dropped. */
    cmd(&r, 0, 0x20);
    cfi_flash_reset(&r.f);
    CHECK(cfi_flash_read_array(&r.f));
    cmd(&r, 0, 0xd0); /* now a first command: unknown */
    CHECK(cfi_flash_read_array(&r.f));
    CHECK(all_pattern(&r, 0, 256 * KiB));
    cmd(&r, 0, 0x70);
    cmd(&r, 0, 0x70);
    CHECK_EQ(rd(&r, 0, 1), 0x80);
    cfi_flash_reset(&r.f);
    rig_free(&r);
}

static void test_window_end(void)
{
    struct rig r;
    uint64_t size = 2 * MiB, v = 0x1234;
    rig_virt(&r, false);
    CHECK_EQ(rd(&r, size - 1, 1), pattern(size - 1));
    CHECK_EQ(rd(&r, size - 8, 8), rd(&r, size - 8, 4) | rd(&r, size - 4, 4) << 32);
    CHECK(!cfi_flash_access(&r.f, size - 2, 4, false, &v));
    CHECK_EQ(v, 0);
    CHECK(!cfi_flash_access(&r.f, size, 1, false, &v));
    CHECK(!cfi_flash_access(&r.f, UINT64_MAX, 1, false, &v));
    CHECK(!cfi_flash_access(&r.f, UINT64_MAX - 1, 8, false, &v));
    CHECK(!cfi_flash_access(&r.f, 0, 3, false, &v));
    CHECK(!cfi_flash_access(&r.f, 0, 16, false, &v));
    CHECK(!cfi_flash_access(&r.f, 0, 0, false, &v));
    v = DUAL(0x70);
    CHECK(!cfi_flash_access(&r.f, size - 2, 4, true, &v)); /* ignored */
    CHECK(!cfi_flash_access(&r.f, 0, 3, true, &v));
    CHECK(cfi_flash_read_array(&r.f));
    /* Program the last word, erase the last block, buffer the last window. */
    cmd(&r, size - 4, 0x40);
    wr(&r, size - 4, 4, 0xcafef00d);
    cmd(&r, 0, 0xff);
    CHECK_EQ(rd(&r, size - 4, 4), 0xcafef00d);
    cmd(&r, size - 4, 0x20);
    cmd(&r, size - 4, 0xd0);
    CHECK(all_ff(&r, size - 256 * KiB, 256 * KiB));
    CHECK(all_pattern(&r, 0, size - 256 * KiB));
    uint32_t w[2] = { 1, 2 };
    buffer_words(&r, size - 8, w, 2);
    cmd(&r, 0, 0xff);
    CHECK_EQ(rd(&r, size - 8, 8), 0x0000000200000001);
    CHECK(all_ff(&r, size - 256 * KiB, 256 * KiB - 8));
    rig_free(&r);
}

static void test_mode_changed(void)
{
    struct rig r;
    rig_x86(&r, false);
    cmd(&r, 0, 0xff); /* array to array: nothing */
    cmd(&r, 0, 0x50);
    CHECK_EQ(r.seen.mode_calls, 0);
    cmd(&r, 0, 0x70);
    CHECK_EQ(r.seen.mode_calls, 1);
    CHECK(!r.seen.read_array);
    rd(&r, 0, 1);
    rd(&r, 0, 8);
    CHECK_EQ(r.seen.mode_calls, 1); /* reads never change the mode */
    cmd(&r, 0, 0xff);
    CHECK_EQ(r.seen.mode_calls, 2);
    CHECK(r.seen.read_array);
    wr(&r, 0, 8, 0x000000ff00000070); /* out and back in one access: nothing */
    CHECK_EQ(r.seen.mode_calls, 2);
    wr(&r, 0, 8, 0x0000007000000050);
    CHECK_EQ(r.seen.mode_calls, 3);
    cfi_flash_reset(&r.f);
    CHECK_EQ(r.seen.mode_calls, 4);
    cfi_flash_reset(&r.f);
    CHECK_EQ(r.seen.mode_calls, 4);
    rig_free(&r);
}

/* Linux's CFI probe (cfi_qry_mode_on) on virt's bank: first as four x8 chips, with AMD's
 * unlock cycles among the tries, then as two x16 chips, which finds "QRY"; no error is left. */
static bool linux_qry(struct rig *r, uint64_t c)
{
    return rd(r, 0x40, 4) == 'Q' * c && rd(r, 0x44, 4) == 'R' * c && rd(r, 0x48, 4) == 'Y' * c;
}

static void test_linux_probe(void)
{
    struct rig r;
    rig_virt(&r, false);
    uint64_t x8 = 0x01010101; /* a command to four byte-wide chips */
    wr(&r, 0, 4, 0xf0 * x8);
    wr(&r, 0x55 * 4, 4, 0x98 * x8);
    CHECK(!linux_qry(&r, x8));
    wr(&r, 0, 4, 0xf0 * x8);
    wr(&r, 0, 4, 0xff * x8);
    wr(&r, 0x55 * 4, 4, 0x98 * x8);
    CHECK(!linux_qry(&r, x8));
    wr(&r, 0, 4, 0xf0 * x8);
    wr(&r, 0x555 * 4, 4, 0x98 * x8);
    CHECK(!linux_qry(&r, x8));
    wr(&r, 0, 4, 0xf0 * x8);
    wr(&r, 0x5555 * 4, 4, 0xaa * x8);
    wr(&r, 0x2aaa * 4, 4, 0x55 * x8);
    wr(&r, 0x5555 * 4, 4, 0x98 * x8);
    CHECK(!linux_qry(&r, x8));
    cmd(&r, 0, 0xf0);
    cmd(&r, 0x55 * 4, 0x98);
    CHECK(linux_qry(&r, DUAL(1)));
    cmd(&r, 0, 0xf0); /* cfi_qry_mode_off */
    cmd(&r, 0, 0xff);
    cmd(&r, 0, 0x70);
    CHECK_EQ(rd(&r, 0, 4), 0x00800080);
    cmd(&r, 0, 0xff);
    rig_free(&r);
}

/* OVMF's QemuFlash (x86): detection, then the variable driver's erase and byte programs. */
static void test_ovmf_qemu_flash(void)
{
    struct rig r;
    rig_x86(&r, false);
    r.data[0] = 0x00; /* bytes the probe skips */
    r.data[1] = 0x50;
    r.data[2] = 0x70;
    uint64_t p = 0;
    while (p < 4 * KiB) {
        uint8_t b = (uint8_t)rd(&r, p, 1);
        if (b != 0x50 && b != 0x70 && b != 0x00) {
            break;
        }
        p++;
    }
    CHECK_EQ(p, 3);
    uint8_t original = (uint8_t)rd(&r, p, 1);
    wr(&r, p, 1, 0x50);
    CHECK_EQ(rd(&r, p, 1), original); /* not RAM */
    wr(&r, p, 1, 0x70);
    CHECK_EQ(rd(&r, p, 1), 0x00); /* "FD behaves as FLASH" */
    wr(&r, p, 1, 0xff);
    CHECK(cfi_flash_read_array(&r.f));
    /* Erase block 5 (0x20, 0xd0 at its base, no read array after), then program bytes. */
    wr(&r, 5 * 4 * KiB, 1, 0x20);
    wr(&r, 5 * 4 * KiB, 1, 0xd0);
    static const uint8_t var[] = { 0xaa, 0x55, 0x3f, 0x00, 'K', 'e', 'e', 'l' };
    uint64_t at = 5 * 4 * KiB + 0x40;
    for (unsigned i = 0; i < sizeof(var); i++) {
        wr(&r, at + i, 1, 0x10);
        wr(&r, at + i, 1, var[i]);
    }
    wr(&r, at + sizeof(var) - 1, 1, 0xff);
    CHECK(cfi_flash_read_array(&r.f));
    for (unsigned i = 0; i < sizeof(var); i++) {
        CHECK_EQ(rd(&r, at + i, 1), var[i]);
    }
    CHECK(all_ff(&r, 5 * 4 * KiB, 0x40));
    CHECK(all_ff(&r, at + sizeof(var), 4 * KiB - 0x48));
    CHECK(all_pattern(&r, 4 * 4 * KiB, 4 * KiB));
    CHECK(all_pattern(&r, 6 * 4 * KiB, 4 * KiB));
    /* The state byte goes 0x3f -> 0x3d: a program that only clears bits. */
    wr(&r, at + 2, 1, 0x10);
    wr(&r, at + 2, 1, 0x3d);
    wr(&r, at + 2, 1, 0xff);
    CHECK_EQ(rd(&r, at, 4), 0x003d55aa);
    CHECK_EQ(r.seen.dirty_lo, 5 * 4 * KiB);
    CHECK_EQ(r.seen.dirty_hi, 6 * 4 * KiB);
    rig_free(&r);
}

/* EDK2's VirtNorFlash (arm64 virt): lock check, erase, buffered write, word write, read back. */
static void test_edk2_virt_nor_flash(void)
{
    struct rig r;
    rig_virt(&r, false);
    uint64_t base = 0, block = 3 * 256 * KiB;
    cmd(&r, block + 8, 0x90); /* NorFlashBlockIsLocked */
    CHECK_EQ(rd(&r, block + 8, 4) & 0x00010001, 0);
    cmd(&r, block, 0x20); /* NorFlashEraseSingleBlock */
    cmd(&r, block, 0xd0);
    uint32_t sr;
    do {
        cmd(&r, base, 0x70);
        sr = (uint32_t)rd(&r, base, 4);
    } while ((sr & 0x00800080) != 0x00800080);
    CHECK_EQ(sr & 0x003a003a, 0);
    cmd(&r, base, 0xff);
    uint32_t w[32];
    for (unsigned i = 0; i < 32; i++) {
        w[i] = 0x01010101u * i;
    }
    buffer_words(&r, block, w, 32); /* NorFlashWriteBuffer */
    cmd(&r, base, 0x70);
    sr = (uint32_t)rd(&r, block, 4);
    CHECK_EQ(sr, 0x00800080);
    cmd(&r, base, 0x50);
    cmd(&r, base, 0xff);
    /* NorFlashWriteSingleWord of a merged word (only bits cleared). */
    uint32_t merged = (uint32_t)rd(&r, block + 0x100, 4) & 0xffff3fff;
    cmd(&r, block + 0x100, 0x40);
    wr(&r, block + 0x100, 4, merged);
    cmd(&r, base, 0x70);
    CHECK_EQ(rd(&r, block + 0x100, 4) & 0x00100010, 0);
    cmd(&r, base, 0x50);
    cmd(&r, base, 0xff);
    for (unsigned i = 0; i < 16; i++) { /* AlignedCopyMem: 8-byte reads */
        CHECK_EQ(rd(&r, block + 8 * i, 8), (uint64_t)w[2 * i + 1] << 32 | w[2 * i]);
    }
    CHECK_EQ(rd(&r, block + 0x100, 4), 0xffff3fff);
    CHECK(all_ff(&r, block + 0x104, 256 * KiB - 0x104));
    CHECK(all_pattern(&r, 0, block));
    rig_free(&r);
}

static uint64_t rng = 0x2545f4914f6cdd1d;

static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void fuzz(struct rig *r, unsigned steps)
{
    static const unsigned widths[] = { 1, 2, 4, 8, 1, 2, 4, 3, 0, 16 };
    static const uint8_t cmds[] = { 0x10, 0x20, 0x40, 0x50, 0x60, 0x70, 0x90, 0x98,
                                    0xd0, 0xe8, 0xff, 0x01, 0x00, 0xf0, 0x2f, 0x03 };
    uint64_t size = r->f.cfg.size;
    for (unsigned i = 0; i < steps; i++) {
        uint64_t x = next_random(), v = next_random();
        unsigned width = widths[x % 10];
        bool write = (x >> 4) & 1;
        uint64_t off = (x >> 8) % 8 == 0 ? size - (x >> 12) % 16 : (x >> 12) % size;
        if ((x >> 32) % 4 != 0) { /* mostly commands, replicated or not */
            uint64_t c = cmds[(x >> 36) % sizeof(cmds)];
            v = (x >> 40) & 1 ? DUAL(c) | DUAL(c) << 8 : c | (v & ~0xffull);
        } else if ((x >> 42) % 2 == 0) {
            v %= 4; /* small counts */
        }
        bool ok = cfi_flash_access(&r->f, off, width, write, &v);
        bool valid = (width == 1 || width == 2 || width == 4 || width == 8) && off < size &&
                     width <= size - off;
        CHECK_EQ(ok, valid);
        CHECK_EQ(r->seen.read_array, cfi_flash_read_array(&r->f));
        CHECK_EQ(r->f.status & 0x4f, 0);
        if ((x >> 48) % 4096 == 0) {
            cfi_flash_reset(&r->f);
        }
    }
}

static void test_random(void)
{
    struct rig r;
    rig_init(&r, 1 * MiB, 256 * KiB, 4, 2, false);
    fuzz(&r, 40000);
    CHECK(r.seen.dirty_calls > 100); /* it programs and erases */
    rig_free(&r);
    rig_init(&r, 64 * KiB, 4 * KiB, 1, 1, false);
    fuzz(&r, 40000);
    CHECK(r.seen.dirty_calls > 100);
    rig_free(&r);
    rig_init(&r, 64 * KiB, 16 * KiB, 2, 1, true);
    fuzz(&r, 20000);
    CHECK(all_pattern(&r, 0, 64 * KiB));
    CHECK_EQ(r.seen.dirty_calls, 0);
    rig_free(&r);
}

int main(void)
{
    test_config();
    test_query_x86();
    test_query_virt();
    test_read_id();
    test_status();
    test_program();
    test_erase();
    test_buffer();
    test_read_only();
    test_lock();
    test_bad_commands();
    test_window_end();
    test_mode_changed();
    test_linux_probe();
    test_ovmf_qemu_flash();
    test_edk2_virt_nor_flash();
    test_random();
    return unit_done("test_vmm_cfi_flash");
}
