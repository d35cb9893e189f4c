// SPDX-License-Identifier: MIT
/*
 * Host tests of the x86 Linux boot protocol's layout and zero page (bzimage.c) and of the ACPI
 * tables the VMM builds (acpi_tables.c): fake bzImages (a setup header as boot.rst lays it out)
 * placed where they prefer, relocated when RAM is small, refused when they are no bzImage, too
 * old, not loaded high, too large, or given too long a command line; every table checksummed,
 * the XSDT pointing at what it names, the MADT listing each CPU, the I/O APIC and the overrides.
 */
#include "unit.h"
#include "bzimage.h"
#include "acpi_tables.h"
#include "pit.h"
#include <stdlib.h>

#define MiB (1ull << 20)

static void put(uint8_t *p, unsigned off, unsigned n, uint64_t v)
{
    for (unsigned i = 0; i < n; i++) {
        p[off + i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t get(const uint8_t *p, unsigned off, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)p[off + i] << (8 * i);
    }
    return v;
}

#define IMAGE_SIZE (64 * 1024)

/* A bzImage header: 4 setup sectors, protocol 2.15, loaded high, relocatable at 2 MiB, preferring
 * 16 MiB, with init_size to decompress in. */
static uint8_t *fake_bzimage(uint64_t init_size)
{
    uint8_t *f = calloc(1, IMAGE_SIZE);
    if (!f) {
        exit(2);
    }
    f[0x1f1] = 4;
    put(f, 0x1fe, 2, 0xaa55);
    f[0x200] = 0xeb;
    f[0x201] = 0x66; /* the header ends at 0x268 */
    put(f, 0x202, 4, 0x53726448);
    put(f, 0x206, 2, 0x020f);
    f[0x211] = 1;
    put(f, 0x22c, 4, 0x7fffffff);
    put(f, 0x230, 4, 0x200000);
    f[0x234] = 1;
    put(f, 0x238, 4, 2047);
    put(f, 0x258, 8, 16 * MiB);
    put(f, 0x260, 4, init_size);
    for (unsigned i = 5 * 512; i < IMAGE_SIZE; i++) {
        f[i] = (uint8_t)(i * 13);
    }
    return f;
}

static void test_fits_where_it_prefers(void)
{
    uint8_t *img = fake_bzimage(32 * MiB);
    struct bz_layout l;
    CHECK_EQ(bz_plan(img, IMAGE_SIZE, 3 * MiB + 5, 100, 0, 256 * MiB, &l), BZ_OK);
    CHECK_EQ(l.version, 0x020f);
    CHECK_EQ(l.setup_size, 5 * 512);
    CHECK_EQ(l.kernel, 16 * MiB);
    CHECK_EQ(l.kernel_size, IMAGE_SIZE - 5 * 512);
    CHECK_EQ(l.init_size, 32 * MiB);
    CHECK_EQ(l.initrd, (256 * MiB - (3 * MiB + 5)) & ~0xfffull);
    CHECK(l.initrd + l.initrd_size <= 256 * MiB);
    CHECK(l.initrd >= l.kernel + l.init_size);
    /* The memory map: low RAM, the ACPI tables, low RAM, the legacy hole, RAM from 1 MiB. */
    CHECK_EQ(l.e820_count, 5);
    CHECK_EQ(l.e820[1].addr, BZ_ACPI);
    CHECK_EQ(l.e820[1].type, 3);
    CHECK_EQ(l.e820[3].type, 2);
    CHECK_EQ(l.e820[4].addr, MiB);
    CHECK_EQ(l.e820[4].addr + l.e820[4].size, 256 * MiB);
    uint64_t covered = 0;
    for (unsigned i = 0; i < l.e820_count; i++) {
        CHECK_EQ(l.e820[i].addr, covered); /* in order, no gap, no overlap */
        covered = l.e820[i].addr + l.e820[i].size;
    }

    uint8_t zp[4096] = { 0 };
    bz_zero_page(zp, img, &l, 0x80000);
    CHECK_EQ(get(zp, 0x202, 4), 0x53726448); /* the setup header, copied */
    CHECK_EQ(get(zp, 0x238, 4), 2047);
    CHECK_EQ(get(zp, 0x268, 4), 0); /* nothing past its end */
    CHECK_EQ(zp[0x210], 0xff);
    CHECK_EQ(get(zp, 0x214, 4), 16 * MiB);
    CHECK_EQ(get(zp, 0x228, 4), BZ_CMDLINE);
    CHECK_EQ(get(zp, 0x218, 4), l.initrd);
    CHECK_EQ(get(zp, 0x21c, 4), 3 * MiB + 5);
    CHECK_EQ(get(zp, 0x070, 8), 0x80000);
    CHECK_EQ(zp[0x1e8], 5);
    CHECK_EQ(get(zp, 0x2d0 + 4 * 20, 8), MiB);
    CHECK_EQ(get(zp, 0x2d0 + 4 * 20 + 8, 8), 255 * MiB);
    CHECK_EQ(get(zp, 0x2d0 + 4 * 20 + 16, 4), 1);
    free(img);
}

static void test_relocated_and_refused(void)
{
    struct bz_layout l;
    uint8_t *img = fake_bzimage(8 * MiB);
    /* Only where it prefers (16 MiB): a relocatable Linux never runs below that. */
    CHECK_EQ(bz_plan(img, IMAGE_SIZE, 0, 0, 0, 24 * MiB, &l), BZ_OK);
    CHECK_EQ(l.kernel, 16 * MiB);
    CHECK_EQ(l.initrd_size, 0);
    CHECK_EQ(bz_plan(img, IMAGE_SIZE, 0, 0, 0, 20 * MiB, &l), BZ_NO_ROOM);
    CHECK_EQ(bz_plan(img, IMAGE_SIZE, 0, 0, 0, 0xc0000000ull + MiB, &l), BZ_RAM); /* devices */
    put(img, 0x258, 8, 0xfff00000ull); /* would reach past 4 GiB */
    CHECK_EQ(bz_plan(img, IMAGE_SIZE, 0, 0, 0, 0xc0000000ull, &l), BZ_NO_ROOM);
    put(img, 0x258, 8, 16 * MiB);
    CHECK_EQ(bz_plan(img, IMAGE_SIZE, 12 * MiB, 0, 0, 32 * MiB, &l), BZ_NO_ROOM); /* initrd */
    CHECK_EQ(bz_plan(img, IMAGE_SIZE, 0, 2048, 0, 64 * MiB, &l), BZ_CMDLINE_LONG);
    CHECK_EQ(bz_plan(img, IMAGE_SIZE, 0, 2047, 0, 64 * MiB, &l), BZ_OK);
    CHECK_EQ(bz_plan(img, IMAGE_SIZE, 0, 0, 0x100000, 64 * MiB, &l), BZ_RAM);
    CHECK_EQ(bz_plan(img, IMAGE_SIZE, 0, 0, 0, 2 * MiB, &l), BZ_RAM);
    CHECK_EQ(bz_plan(img, 5 * 512, 0, 0, 0, 64 * MiB, &l), BZ_NOT_BZIMAGE); /* setup only */
    CHECK_EQ(bz_plan(img, 0x200, 0, 0, 0, 64 * MiB, &l), BZ_NOT_BZIMAGE);   /* cut short */
    img[0x211] = 0;
    CHECK_EQ(bz_plan(img, IMAGE_SIZE, 0, 0, 0, 64 * MiB, &l), BZ_NOT_HIGH);
    img[0x211] = 1;
    put(img, 0x206, 2, 0x0209);
    CHECK_EQ(bz_plan(img, IMAGE_SIZE, 0, 0, 0, 64 * MiB, &l), BZ_TOO_OLD);
    put(img, 0x206, 2, 0x020f);
    img[0x203] = 'X';
    CHECK_EQ(bz_plan(img, IMAGE_SIZE, 0, 0, 0, 64 * MiB, &l), BZ_NOT_BZIMAGE);
    free(img);
}

static uint8_t sum(const uint8_t *p, unsigned n)
{
    uint8_t s = 0;
    for (unsigned i = 0; i < n; i++) {
        s = (uint8_t)(s + p[i]);
    }
    return s;
}

/* The table at guest-physical gpa in area (based at base): its signature checked, its checksum. */
static const uint8_t *table(const uint8_t *area, uint64_t base, uint64_t gpa, const char *sig)
{
    const uint8_t *t = area + (gpa - base);
    CHECK(memcmp(t, sig, 4) == 0);
    CHECK_EQ(sum(t, (unsigned)get(t, 4, 4)), 0);
    return t;
}

static void test_acpi_tables(void)
{
    static uint8_t area[BZ_ACPI_SIZE];
    const uint64_t base = BZ_ACPI;
    struct acpi_config c = { 3, NULL, 0xfee00000, 0xfec00000, 0x600 };
    uint64_t rsdp = acpi_build(area, sizeof(area), base, &c);
    CHECK_EQ(rsdp, base);
    const uint8_t *r = area;
    CHECK(memcmp(r, "RSD PTR ", 8) == 0);
    CHECK_EQ(sum(r, 20), 0);
    CHECK_EQ(sum(r, 36), 0);
    CHECK_EQ(r[15], 2);
    const uint8_t *x = table(area, base, get(r, 24, 8), "XSDT");
    CHECK_EQ(get(x, 4, 4), 36 + 16);
    const uint8_t *f = table(area, base, get(x, 36, 8), "FACP");
    const uint8_t *m = table(area, base, get(x, 44, 8), "APIC");
    CHECK_EQ(get(f, 4, 4), 276);
    CHECK_EQ(get(f, 76, 4), 0x608); /* PM_TMR_BLK */
    CHECK_EQ(get(f, 64, 4), 0x604); /* PM1a_CNT_BLK */
    CHECK_EQ(get(f, 116 + 4, 8), ACPI_RESET_PORT);
    CHECK_EQ(f[128], ACPI_RESET_VALUE);
    CHECK_EQ(get(f, 140, 8), get(f, 40, 4)); /* X_DSDT and DSDT agree */
    const uint8_t *d = table(area, base, get(f, 140, 8), "DSDT");
    CHECK(memmem(d + 36, get(d, 4, 4) - 36, "_S5_", 4) != NULL);
    CHECK(memcmp(area + (get(f, 132, 8) - base), "FACS", 4) == 0);
    /* MADT: the LAPIC address, no 8259s, then 3 local APICs, the I/O APIC, 2 overrides. */
    CHECK_EQ(get(m, 36, 4), 0xfee00000);
    CHECK_EQ(get(m, 40, 4), 0);
    unsigned lapics = 0, ioapics = 0, overrides = 0, len = (unsigned)get(m, 4, 4);
    for (unsigned off = 44; off < len; off += m[off + 1]) {
        CHECK(m[off + 1] >= 2);
        if (m[off] == 0) {
            CHECK_EQ(m[off + 3], lapics); /* APIC ids 0, 1, 2 */
            CHECK_EQ(get(m, off + 4, 4), 1);
            lapics++;
        } else if (m[off] == 1) {
            CHECK_EQ(get(m, off + 4, 4), 0xfec00000);
            ioapics++;
        } else if (m[off] == 2) {
            overrides++;
        }
        if (m[off + 1] < 2) {
            break;
        }
    }
    CHECK_EQ(lapics, 3);
    CHECK_EQ(ioapics, 1);
    CHECK_EQ(overrides, 2);
    /* The vCPUs' own ids (as their local APIC models have them): sparse ones are kept, the I/O
     * APIC takes the lowest free one; an id twice or the broadcast id make no tables. */
    const uint8_t sparse[3] = { 0, 2, 5 };
    c.apic_ids = sparse;
    CHECK_EQ(acpi_build(area, sizeof(area), base, &c), base);
    m = area + (get(table(area, base, get(x, 44, 8), "APIC"), 0, 0) + get(x, 44, 8) - base);
    CHECK_EQ(m[44 + 8 + 3], 2);
    CHECK_EQ(m[44 + 16 + 3], 5);
    CHECK_EQ(m[44 + 24 + 2], 1); /* the I/O APIC's id */
    const uint8_t twice[3] = { 0, 2, 2 }, broadcast[3] = { 0, 1, 0xff };
    c.apic_ids = twice;
    CHECK_EQ(acpi_build(area, sizeof(area), base, &c), 0);
    c.apic_ids = broadcast;
    CHECK_EQ(acpi_build(area, sizeof(area), base, &c), 0);
    c.apic_ids = NULL;
    /* Too small an area, no CPUs: nothing. */
    c.cpus = 0;
    CHECK_EQ(acpi_build(area, sizeof(area), base, &c), 0);
    c.cpus = 200;
    CHECK_EQ(acpi_build(area, 0x400, base, &c), 0);
}

/* The 8254: counter 2 in mode 0 as Linux calibrates with it (OUT2 in port 0x61 at terminal
 * count), mode 2's and mode 3's counts, the latch command. */
static void test_pit(void)
{
    struct pit p;
    pit_init(&p);
    uint8_t v = 0x01; /* gate 2 high, speaker off */
    CHECK(pit_port61_access(&p, true, &v, 0));
    v = 0xb0; /* counter 2, LSB then MSB, mode 0 */
    CHECK(pit_access(&p, 3, true, &v, 0));
    v = 0xe8;
    pit_access(&p, 2, true, &v, 100);
    v = 0x03; /* 1000 */
    pit_access(&p, 2, true, &v, 100);
    pit_port61_access(&p, false, &v, 600);
    CHECK_EQ(v & 0x20, 0); /* counting: 500 left */
    pit_access(&p, 2, false, &v, 600);
    CHECK_EQ(v, 500 & 0xff);
    pit_access(&p, 2, false, &v, 600);
    CHECK_EQ(v, 500 >> 8);
    pit_port61_access(&p, false, &v, 1100);
    CHECK_EQ(v & 0x20, 0x20); /* terminal count */
    /* Counter 0, mode 3, 1000: down by 2 through each half, OUT high in the first. */
    v = 0x36;
    pit_access(&p, 3, true, &v, 0);
    v = 0xe8;
    pit_access(&p, 0, true, &v, 0);
    v = 0x03;
    pit_access(&p, 0, true, &v, 0);
    v = 0x00; /* latch counter 0 at t = 100 */
    pit_access(&p, 3, true, &v, 100);
    uint8_t lo, hi;
    pit_access(&p, 0, false, &lo, 400); /* (the latched value, not the one at 400) */
    pit_access(&p, 0, false, &hi, 400);
    CHECK_EQ(lo | hi << 8, 800);
    pit_access(&p, 0, false, &lo, 700);
    pit_access(&p, 0, false, &hi, 700);
    CHECK_EQ(lo | hi << 8, 600); /* second half: 1000 - 2 * (700 - 500) */
    /* Counter 1, mode 2 (rate generator), 100: 100 .. 1 each period. */
    v = 0x74;
    pit_access(&p, 3, true, &v, 0);
    v = 100;
    pit_access(&p, 1, true, &v, 0);
    v = 0;
    pit_access(&p, 1, true, &v, 0);
    pit_access(&p, 1, false, &lo, 250);
    pit_access(&p, 1, false, &hi, 250);
    CHECK_EQ(lo | hi << 8, 50);
}

int main(void)
{
    test_pit();
    test_fits_where_it_prefers();
    test_relocated_and_refused();
    test_acpi_tables();
    return unit_done("test_vmm_x86_64_linux");
}
