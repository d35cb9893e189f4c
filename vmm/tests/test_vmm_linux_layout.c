// SPDX-License-Identifier: MIT
/*
 * Host tests of where the VMM places a Linux Image, its initrd and its device tree
 * (linux_layout.c), built once per architecture with that architecture's vm_arch.h: fake Images
 * (a header and some bytes, each file an exact-size heap block so ASan sees a read past it) that
 * fit, that reach the device tree's area, that overlap the initrd, whose header sizes overflow,
 * that are larger than RAM, or that are no Image for this architecture. Every placement accepted,
 * here and for a few thousand random headers, is checked to lie in RAM without overlaps.
 */
#include "unit.h"
#include "linux_layout.h"
#include <vm_arch.h>
#include <stdbool.h>
#include <stdlib.h>

#define MiB (1ull << 20)
#define RAM_SIZE (64 * MiB)

static bool riscv;      /* this build's architecture: riscv64, else arm64 */
static uint64_t ram_base; /* as the test VMs have it: arm64 0x40000000, riscv64 0x80000000 */

static void store_le(uint8_t *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* A fake Image of file_size bytes (at least the 64-byte header) for arch ("arm64" or "riscv64"):
 * the header as booting.rst / boot-image-header.rst lay it out, then a byte pattern. */
static uint8_t *fake_image(const char *arch, uint64_t file_size, uint64_t text_offset,
                           uint64_t image_size)
{
    uint8_t *f = malloc(file_size ? file_size : 1);
    if (!f) {
        exit(2);
    }
    for (uint64_t i = 0; i < file_size; i++) {
        f[i] = (uint8_t)(i * 7);
    }
    if (file_size < 0x40) {
        return f;
    }
    memset(f, 0, 0x40);
    store_le(f + 0x08, text_offset, 8);
    store_le(f + 0x10, image_size, 8);
    if (strcmp(arch, "riscv64") == 0) {
        store_le(f + 0x20, 2, 4);                   /* version 0.2 */
        memcpy(f + 0x30, "RISCV\0\0\0", 8);         /* magic (deprecated) */
        memcpy(f + 0x38, "RSC\x05", 4);             /* magic2 */
    } else {
        store_le(f + 0x18, 0xa, 8);                 /* flags: little-endian, 4K pages */
        memcpy(f + 0x38, "ARM\x64", 4);
    }
    return f;
}

/* What every accepted placement must satisfy, in 128-bit arithmetic so the check cannot wrap. */
static void check_placement(const struct linux_layout *placed, uint64_t image_size,
                            uint64_t initrd_size, uint64_t base, uint64_t size)
{
    typedef unsigned __int128 u128;
    u128 ram_end = (u128)base + size, kernel_end = (u128)placed->kernel + image_size;
    u128 dt_end = (u128)placed->dt + LINUX_DT_AREA, initrd_end = (u128)placed->initrd + initrd_size;
    CHECK(placed->image_size == image_size && placed->initrd_size == initrd_size);
    CHECK(placed->kernel >= base && kernel_end <= ram_end);
    CHECK(placed->kernel % (2 * MiB) == placed->text_offset % (2 * MiB));
    CHECK(placed->dt >= base && dt_end <= ram_end && placed->dt % (2 * MiB) == 0);
    CHECK(kernel_end <= placed->dt);
    if (initrd_size) {
        CHECK(placed->initrd >= base && initrd_end <= ram_end && placed->initrd % 4096 == 0);
        CHECK(kernel_end <= placed->initrd && initrd_end <= placed->dt);
    }
}

static struct linux_layout l; /* the last placement */

/* linux_layout_plan() of a fake Image of this architecture into RAM [base, base + size); an
 * accepted placement is checked. */
static enum linux_layout_result plan_in(uint64_t base, uint64_t size, uint64_t file_size,
                                        uint64_t text_offset, uint64_t image_size,
                                        uint64_t initrd_size)
{
    uint8_t *f = fake_image(ARCH_LINUX_NAME, file_size, text_offset, image_size);
    enum linux_layout_result r = linux_layout_plan(f, file_size, initrd_size, base, size, &l);
    free(f);
    if (r == LINUX_LAYOUT_OK) {
        check_placement(&l, image_size, initrd_size, base, size);
    }
    return r;
}

/* The same into the test's RAM (64 MiB at the architecture's usual base). */
static enum linux_layout_result plan(uint64_t file_size, uint64_t text_offset, uint64_t image_size,
                                     uint64_t initrd_size)
{
    return plan_in(ram_base, RAM_SIZE, file_size, text_offset, image_size, initrd_size);
}

static void test_fits(uint64_t text_offset)
{
    const uint64_t ram_end = ram_base + RAM_SIZE, dt = ram_end - 2 * MiB;
    /* A 64 KiB file whose kernel takes 20 MiB with its bss, an 8 MiB initrd. */
    CHECK_EQ(plan(64 << 10, text_offset, 20 * MiB, 8 * MiB), LINUX_LAYOUT_OK);
    CHECK_EQ(l.kernel, ram_base + text_offset);
    CHECK_EQ(l.dt, dt);
    CHECK_EQ(l.initrd, dt - 8 * MiB);
    /* No initrd; an initrd that is not whole pages starts on a page. */
    CHECK_EQ(plan(4096, text_offset, 20 * MiB, 0), LINUX_LAYOUT_OK);
    CHECK_EQ(l.initrd_size, 0);
    CHECK_EQ(plan(4096, text_offset, 20 * MiB, 12345), LINUX_LAYOUT_OK);
    CHECK_EQ(l.initrd, (dt - 12345) & ~4095ull);
    /* The kernel ending where the tree's area starts, and where the initrd starts. */
    uint64_t room = dt - (ram_base + text_offset);
    CHECK_EQ(plan(4096, text_offset, room, 0), LINUX_LAYOUT_OK);
    CHECK_EQ(plan(4096, text_offset, room - 4 * MiB, 4 * MiB), LINUX_LAYOUT_OK);
    /* RAM whose base and end are not 2 MiB boundaries: the kernel above the first boundary, the
     * tree's area below the end. */
    CHECK_EQ(plan_in(ram_base + MiB, RAM_SIZE - 2 * MiB, 4096, text_offset, 8 * MiB, MiB),
             LINUX_LAYOUT_OK);
    CHECK_EQ(l.kernel, ram_base + 2 * MiB + text_offset);
    CHECK_EQ(l.dt, ram_end - 4 * MiB);
}

/* The defect of issue 12: no initrd, and the kernel reaching into the device tree's area, which
 * the VMM wrote over the kernel. */
static void test_touches_dt(uint64_t text_offset)
{
    const uint64_t dt = ram_base + RAM_SIZE - 2 * MiB, room = dt - (ram_base + text_offset);
    CHECK_EQ(plan(4096, text_offset, room + 1, 0), LINUX_LAYOUT_KERNEL_OVER_DT);
    CHECK_EQ(plan(4096, text_offset, room + 2 * MiB, 0), LINUX_LAYOUT_KERNEL_OVER_DT);
    /* A text_offset that starts the kernel inside the tree's area. */
    CHECK_EQ(plan(4096, dt - ram_base, 4096, 0), LINUX_LAYOUT_KERNEL_OVER_DT);
    CHECK_EQ(plan(4096, dt - ram_base + MiB, 4096, 0), LINUX_LAYOUT_KERNEL_OVER_DT);
    /* The smallest RAM: 2 MiB, all of it the tree's. */
    enum linux_layout_result expect = text_offset >= 2 * MiB ? LINUX_LAYOUT_KERNEL_OUTSIDE_RAM
                                                             : LINUX_LAYOUT_KERNEL_OVER_DT;
    CHECK_EQ(plan_in(ram_base, 2 * MiB, 4096, text_offset, 4096, 0), expect);
}

static void test_overlaps_initrd(uint64_t text_offset)
{
    const uint64_t dt = ram_base + RAM_SIZE - 2 * MiB, room = dt - (ram_base + text_offset);
    CHECK_EQ(plan(4096, text_offset, room - 4 * MiB + 1, 4 * MiB), LINUX_LAYOUT_INITRD_NO_ROOM);
    CHECK_EQ(plan(4096, text_offset, 4096, room), LINUX_LAYOUT_INITRD_NO_ROOM);
    /* An initrd not of whole pages starts on the page below: still above a kernel that ends on
     * a page, but inside one that ends mid-page. */
    CHECK_EQ(plan(4096, text_offset, room - 4 * MiB, 4 * MiB - 1), LINUX_LAYOUT_OK);
    CHECK_EQ(plan(4096, text_offset, room - 4 * MiB + 2048, 4 * MiB - 2049),
             LINUX_LAYOUT_INITRD_NO_ROOM);
    /* An initrd larger than RAM, and one of 2^64-1 bytes. */
    CHECK_EQ(plan(4096, text_offset, 4096, RAM_SIZE + 1), LINUX_LAYOUT_INITRD_NO_ROOM);
    CHECK_EQ(plan(4096, text_offset, 4096, UINT64_MAX), LINUX_LAYOUT_INITRD_NO_ROOM);
}

/* Header values whose sums pass 2^64: the wrapped results would land inside RAM. */
static void test_overflow(uint64_t text_offset)
{
    const uint64_t kernel = ram_base + text_offset;
    CHECK_EQ(plan(4096, text_offset, UINT64_MAX, 0), LINUX_LAYOUT_KERNEL_OUTSIDE_RAM);
    CHECK_EQ(plan(4096, text_offset, 0 - kernel + MiB, 0),
             LINUX_LAYOUT_KERNEL_OUTSIDE_RAM); /* kernel + image_size = 1 MiB (mod 2^64) */
    CHECK_EQ(plan(4096, 0 - ram_base + 4096 * 16, 4096, 0),
             LINUX_LAYOUT_KERNEL_OUTSIDE_RAM); /* kernel base + text_offset = 64 KiB (mod 2^64) */
    CHECK_EQ(plan(4096, 0xfffffffffffff000ull, 0xfffffffffffff000ull, 0),
             LINUX_LAYOUT_KERNEL_OUTSIDE_RAM);
    /* RAM at the top of the address space: base + size wraps, the 2 MiB rounding up wraps. */
    CHECK_EQ(plan_in(0xfffffffffc000000ull, 0x8000000ull, 4096, text_offset, 4096, 0),
             LINUX_LAYOUT_BAD_RAM);
    CHECK_EQ(plan_in(0xffffffffffffff00ull, 0x100, 4096, text_offset, 4096, 0),
             LINUX_LAYOUT_BAD_RAM);
    /* RAM just below 2^64 works like any other; RAM ending at 2^64 has no end address. */
    CHECK_EQ(plan_in(0 - RAM_SIZE - 2 * MiB, RAM_SIZE, 4096, text_offset, 4096, 4096),
             LINUX_LAYOUT_OK);
    CHECK_EQ(plan_in(0 - RAM_SIZE, RAM_SIZE, 4096, text_offset, 4096, 4096), LINUX_LAYOUT_BAD_RAM);
}

static void test_larger_than_ram(uint64_t text_offset)
{
    /* A 9 MiB file into 8 MiB of RAM, and a small file that declares more than RAM. */
    CHECK_EQ(plan_in(ram_base, 8 * MiB, 9 * MiB, text_offset, 9 * MiB, 0),
             LINUX_LAYOUT_KERNEL_OUTSIDE_RAM);
    CHECK_EQ(plan(4096, text_offset, RAM_SIZE + 4096, 0), LINUX_LAYOUT_KERNEL_OUTSIDE_RAM);
    CHECK_EQ(plan_in(ram_base, MiB, 4096, text_offset, 4096, 0), LINUX_LAYOUT_BAD_RAM);
    CHECK_EQ(plan_in(ram_base, 0, 4096, text_offset, 4096, 0), LINUX_LAYOUT_BAD_RAM);
    CHECK_EQ(plan_in(0, MiB, 4096, text_offset, 4096, 0), LINUX_LAYOUT_BAD_RAM);
}

static void test_not_image(uint64_t text_offset)
{
    /* The other architecture's Image, a file shorter than the header, a header without magic. */
    const char *other = riscv ? "arm64" : "riscv64";
    uint8_t *f = fake_image(other, 4096, text_offset, 8 * MiB);
    CHECK_EQ(linux_layout_plan(f, 4096, 0, ram_base, RAM_SIZE, &l), LINUX_LAYOUT_NOT_IMAGE);
    free(f);
    CHECK_EQ(plan(0x3f, text_offset, 8 * MiB, 0), LINUX_LAYOUT_NOT_IMAGE);
    CHECK_EQ(plan(0, text_offset, 8 * MiB, 0), LINUX_LAYOUT_NOT_IMAGE);
    f = fake_image(ARCH_LINUX_NAME, 4096, text_offset, 8 * MiB);
    f[0x3b] ^= 0xff;
    CHECK_EQ(linux_layout_plan(f, 4096, 0, ram_base, RAM_SIZE, &l), LINUX_LAYOUT_NOT_IMAGE);
    free(f);
    /* text_offset not on a page; image_size smaller than the file (or 0, as before Linux 3.17). */
    CHECK_EQ(plan(4096, text_offset + 0x800, 8 * MiB, 0), LINUX_LAYOUT_BAD_HEADER);
    CHECK_EQ(plan(8192, text_offset, 4096, 0), LINUX_LAYOUT_BAD_HEADER);
    CHECK_EQ(plan(8192, text_offset, 0, 0), LINUX_LAYOUT_BAD_HEADER);
}

/* Random headers and RAM, biased towards the edges: whatever is accepted must be sound. */
static void test_random(void)
{
    static const uint64_t edges[] = { 0, 1, 4096, 2 * MiB - 1, 2 * MiB, 62 * MiB, 64 * MiB,
                                      0x7fffffffffffffffull, 0xfffffffffffff000ull, UINT64_MAX };
    uint64_t x = 0x2545f4914f6cdd1dull;
    unsigned accepted = 0;
    for (unsigned i = 0; i < 20000; i++) {
        uint64_t v[4];
        for (unsigned k = 0; k < 4; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            v[k] = (x & 1) ? edges[(x >> 1) % (sizeof(edges) / sizeof(edges[0]))] + (x >> 60)
                           : (x >> 8) % (80 * MiB);
        }
        uint64_t base = (x >> 40) & 1 ? ram_base : (x >> 20) & ~0xfffull;
        uint64_t size = (x >> 41) & 1 ? RAM_SIZE : v[3];
        accepted += plan_in(base, size, 4096, v[0] & ~0xfffull, v[1], v[2]) == LINUX_LAYOUT_OK;
    }
    CHECK(accepted > 100); /* the random cases reach the checks, not only the refusals */
}

int main(void)
{
    riscv = strcmp(ARCH_LINUX_NAME, "riscv64") == 0;
    ram_base = riscv ? 0x80000000ull : 0x40000000ull;
    /* text_offset as each architecture's kernels have it: riscv64 2 MiB; arm64 0 and, before
     * Linux 3.17's relocatable kernels, 0x80000. */
    const uint64_t offsets[] = { riscv ? 2 * MiB : 0, riscv ? 0 : 0x80000 };
    for (unsigned i = 0; i < 2; i++) {
        test_fits(offsets[i]);
        test_touches_dt(offsets[i]);
        test_overlaps_initrd(offsets[i]);
        test_overflow(offsets[i]);
        test_larger_than_ram(offsets[i]);
        test_not_image(offsets[i]);
    }
    test_random();
    CHECK(strstr(linux_layout_strerror(LINUX_LAYOUT_KERNEL_OVER_DT), "device tree"));
    return unit_done(riscv ? "test_vmm_linux_layout_riscv64" : "test_vmm_linux_layout_arm64");
}
