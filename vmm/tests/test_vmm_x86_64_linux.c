// SPDX-License-Identifier: MIT
/*
 * Host tests of the x86 Linux boot protocol's layout and zero page (bzimage.c) and of the ACPI
 * tables the VMM builds (acpi_tables.c): fake bzImages (a setup header as boot.rst lays it out)
 * placed where they prefer, relocated when RAM is small, refused when they are no bzImage, too
 * old, not loaded high, too large, or given too long a command line; every table checksummed,
 * the XSDT pointing at what it names, the MADT listing each CPU, the I/O APIC and the overrides;
 * with a PCI host bridge the MCFG and the DSDT's AML, walked package by package and its resource
 * templates and INTx routing table decoded back (and disassembled by iasl when it is installed);
 * the 8254 and the CMOS clock (rtc.c) on a clock the tests move.
 */
#include "unit.h"
#include "bzimage.h"
#include "acpi_tables.h"
#include "pit.h"
#include "rtc.h"
#include "kvmclock.h"
#include <stdlib.h>
#include <unistd.h>

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
    struct acpi_config c = { .cpus = 3,
                             .lapic_base = 0xfee00000,
                             .ioapic_base = 0xfec00000,
                             .pm_base = 0x600,
                             .pm_timer = true };
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
    CHECK_EQ(f[91], 4);             /* PM_TMR_LEN */
    CHECK_EQ(get(f, 208 + 4, 8), 0x608);
    CHECK_EQ(get(f, 64, 4), 0x604); /* PM1a_CNT_BLK */
    CHECK_EQ(get(f, 116 + 4, 8), ACPI_RESET_PORT);
    CHECK_EQ(f[128], ACPI_RESET_VALUE);
    CHECK_EQ(get(f, 140, 8), get(f, 40, 4));       /* X_DSDT and DSDT agree */
    CHECK_EQ(get(f, 109, 2) & (1u << 5), 1u << 5); /* no CMOS RTC */
    CHECK_EQ(f[108], 0);
    /* Without a PM timer: no block, length 0 (ACPI 5.0 on), the PM1 blocks as before. */
    c.pm_timer = false;
    CHECK_EQ(acpi_build(area, sizeof(area), base, &c), base);
    CHECK_EQ(get(f, 76, 4), 0);
    CHECK_EQ(f[91], 0);
    CHECK_EQ(get(f, 208, 4) | get(f, 212, 8), 0);
    CHECK_EQ(get(f, 64, 4), 0x604);
    CHECK_EQ(sum(f, 276), 0);
    c.pm_timer = true;
    c.rtc = true;
    CHECK_EQ(acpi_build(area, sizeof(area), base, &c), base);
    CHECK_EQ(get(f, 109, 2) & (1u << 5), 0);
    CHECK_EQ(f[108], 0x32); /* CENTURY */
    CHECK_EQ(sum(f, 276), 0);
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

/*
 * A reader of the AML acpi_tables.c makes (ACPI 6.4 20.2), independent of it: it walks a term
 * list of Scope, Device and Name with integers, EISA ids, Packages and Buffers, checks that each
 * package ends where its PkgLength says and a Buffer's size is its contents', and keeps the
 * _HID, the _CRS buffer and the _PRT package of each device it meets.
 */
struct aml_dev {
    char name[5];
    uint32_t hid; /* the DWordConst's bytes, little-endian; 0: none */
    const uint8_t *crs;
    unsigned crs_len;
    const uint8_t *prt, *prt_end; /* the Package's opcode and its end; NULL: none */
};

struct aml_walk {
    struct aml_dev dev[4];
    unsigned devs;
    bool bad;
};

/* A PkgLength at *p (advanced past it): the package's end, or NULL past `end`. */
static const uint8_t *aml_pkg(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *start = *p;
    unsigned n = start[0] >> 6, len = n ? start[0] & 0xfu : start[0] & 0x3fu;
    for (unsigned i = 0; i < n; i++) {
        len |= (unsigned)start[1 + i] << (4 + 8 * i);
    }
    *p = start + 1 + n;
    return len >= 1 + n && len <= (unsigned)(end - start) ? start + len : NULL;
}

/* A DataRefObject at *p: its end, or NULL. */
static const uint8_t *aml_data(const uint8_t *p, const uint8_t *end, uint64_t *value)
{
    static const unsigned size[256] = {
        [0x00] = 1, [0x01] = 1, [0xff] = 1, [0x0a] = 2, [0x0b] = 3, [0x0c] = 5, [0x0e] = 9
    };
    if (p >= end) {
        return NULL;
    }
    uint8_t op = *p;
    if (size[op]) {
        if (p + size[op] > end) {
            return NULL;
        }
        *value = size[op] == 1 ? (op == 0xff ? ~0ull : op) : get(p, 1, size[op] - 1);
        return p + size[op];
    }
    if (op != 0x11 && op != 0x12) {
        return NULL;
    }
    const uint8_t *q = p + 1, *pkg_end = aml_pkg(&q, end);
    if (!pkg_end) {
        return NULL;
    }
    if (op == 0x11) { /* Buffer: its size, then exactly that many bytes */
        uint64_t n;
        q = aml_data(q, pkg_end, &n);
        if (!q || n != (uint64_t)(pkg_end - q)) {
            return NULL;
        }
        *value = (uint64_t)(q - p); /* (where its bytes start) */
        return pkg_end;
    }
    unsigned count = *q++, seen = 0; /* Package: NumElements, then the elements */
    while (q < pkg_end) {
        uint64_t v;
        q = aml_data(q, pkg_end, &v);
        if (!q) {
            return NULL;
        }
        seen++;
    }
    return seen == count ? pkg_end : NULL;
}

static void aml_terms(struct aml_walk *w, const uint8_t *p, const uint8_t *end, struct aml_dev *in)
{
    while (p < end && !w->bad) {
        if (p[0] == 0x08 && end - p >= 6) { /* Name (seg, data) */
            const uint8_t *name = p + 1, *v_end;
            uint64_t v;
            v_end = aml_data(p + 5, end, &v);
            if (!v_end) {
                w->bad = true;
                return;
            }
            if (in && memcmp(name, "_HID", 4) == 0 && p[5] == 0x0c) {
                in->hid = (uint32_t)v;
            }
            if (in && memcmp(name, "_CRS", 4) == 0 && p[5] == 0x11) {
                in->crs = p + 5 + v;
                in->crs_len = (unsigned)(v_end - in->crs);
            }
            if (in && memcmp(name, "_PRT", 4) == 0 && p[5] == 0x12) {
                in->prt = p + 5;
                in->prt_end = v_end;
            }
            p = v_end;
        } else if (p[0] == 0x10 || (p[0] == 0x5b && end - p >= 2 && p[1] == 0x82)) {
            bool device = p[0] == 0x5b;
            const uint8_t *q = p + (device ? 2 : 1), *pkg_end = aml_pkg(&q, end);
            if (!pkg_end) {
                w->bad = true;
                return;
            }
            if (!device && q < pkg_end && *q == '\\') {
                q++; /* a scope from the root */
            }
            struct aml_dev *d = NULL;
            if (device && w->devs < 4) {
                d = &w->dev[w->devs++];
                memcpy(d->name, q, 4);
            }
            aml_terms(w, q + 4, pkg_end, d);
            p = pkg_end;
        } else {
            w->bad = true;
            return;
        }
    }
}

static const struct aml_dev *aml_device(const struct aml_walk *w, const char *name)
{
    for (unsigned i = 0; i < w->devs; i++) {
        if (strcmp(w->dev[i].name, name) == 0) {
            return &w->dev[i];
        }
    }
    return NULL;
}

/* One address space descriptor of a resource template (6.4.3.5). */
struct aml_range {
    uint8_t tag, type, flags, type_flags;
    uint64_t gran, min, max, tra, len;
};

/* The address space descriptors of crs (up to max), or -1 when its descriptors do not fill it up
 * to an end tag that is its last two bytes. */
static int aml_ranges(const uint8_t *crs, unsigned len, struct aml_range *r, unsigned max)
{
    unsigned off = 0, n = 0;
    while (off < len) {
        if (crs[off] == 0x79) {
            return off + 2 == len ? (int)n : -1;
        }
        unsigned width = crs[off] == 0x88 ? 2 : crs[off] == 0x87 ? 4 : crs[off] == 0x8a ? 8 : 0;
        if (!width || n == max || off + 3 > len || get(crs, off + 1, 2) != 3 + 5 * width ||
            off + 6 + 5 * width > len) {
            return -1;
        }
        const uint8_t *d = crs + off;
        r[n] = (struct aml_range){ d[0],
                                   d[3],
                                   d[4],
                                   d[5],
                                   get(d, 6, width),
                                   get(d, 6 + width, width),
                                   get(d, 6 + 2 * width, width),
                                   get(d, 6 + 3 * width, width),
                                   get(d, 6 + 4 * width, width) };
        n++;
        off += 6 + 5 * width;
    }
    return -1;
}

/* One entry of a PCI routing table (ACPI 6.4 6.2.13) whose Source is an integer. */
struct aml_prt {
    uint64_t addr, pin, source, index;
};

/* The entries of the _PRT package at [pkg, end) (up to max), or -1 unless it is a Package of
 * Package (4) { integer x 4 }, each holding as many elements as it says. */
static int aml_prt_entries(const uint8_t *pkg, const uint8_t *end, struct aml_prt *e, unsigned max)
{
    if (pkg >= end || pkg[0] != 0x12) {
        return -1;
    }
    const uint8_t *q = pkg + 1, *pkg_end = aml_pkg(&q, end);
    if (!pkg_end || q >= pkg_end) {
        return -1;
    }
    unsigned count = *q++, n = 0;
    while (q < pkg_end) {
        const uint8_t *r = q + 1, *entry_end = q[0] == 0x12 ? aml_pkg(&r, pkg_end) : NULL;
        if (n == max || !entry_end || r >= entry_end || *r++ != 4) {
            return -1;
        }
        uint64_t v[4];
        for (unsigned i = 0; i < 4; i++) {
            if (r >= entry_end || *r == 0x11 || *r == 0x12) {
                return -1; /* not an integer */
            }
            r = aml_data(r, entry_end, &v[i]);
            if (!r) {
                return -1;
            }
        }
        if (r != entry_end) {
            return -1;
        }
        e[n++] = (struct aml_prt){ v[0], v[1], v[2], v[3] };
        q = entry_end;
    }
    return n == count ? (int)n : -1;
}

/* The DSDT the FADT of the tables in area names (checksummed). */
static const uint8_t *dsdt(const uint8_t *area, uint64_t base)
{
    const uint8_t *x = table(area, base, get(area, 24, 8), "XSDT");
    const uint8_t *f = table(area, base, get(x, 36, 8), "FACP");
    return table(area, base, get(f, 140, 8), "DSDT");
}

/* When iasl is on PATH: the DSDT d disassembled by it (iasl -d), which must exit 0 and print no
 * ACPI error or warning (it stops at AML it cannot parse). Nothing without iasl. */
static void iasl_disassembles(const uint8_t *d)
{
    if (system("command -v iasl >/dev/null 2>&1") != 0) {
        return;
    }
    char dir[] = "/tmp/keel_dsdt_XXXXXX", path[64], cmd[256];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/dsdt.dat", dir);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) {
        return;
    }
    size_t len = (size_t)get(d, 4, 4);
    CHECK_EQ(fwrite(d, 1, len, f), len);
    fclose(f);
    snprintf(
        cmd, sizeof(cmd),
        "cd %s && iasl -d dsdt.dat >iasl.log 2>&1 && ! grep -E 'ACPI (Error|Warning)' iasl.log",
        dir);
    int rc = system(cmd);
    CHECK_EQ(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "iasl -d failed: see %s/iasl.log\n", dir);
        return;
    }
    static const char *const out[] = { "dsdt.dat", "dsdt.dsl", "iasl.log" };
    for (unsigned i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, out[i]);
        remove(path);
    }
    rmdir(dir);
}

/* With a PCI host bridge: the MCFG after the MADT in the XSDT, for bus 0 at the ECAM window; the
 * DSDT with \_SB.PCI0 (PNP0A08, its bus, I/O and memory windows as producers) and \_SB.MRES
 * (PNP0C02, the ECAM window as a consumer), its AML well formed; the S5 package kept. Invalid
 * windows make no tables. */
static void test_acpi_tables_pci(void)
{
    static uint8_t area[BZ_ACPI_SIZE];
    const uint64_t base = BZ_ACPI;
    struct acpi_config c = { .cpus = 2,
                             .lapic_base = 0xfee00000,
                             .ioapic_base = 0xfec00000,
                             .pm_base = 0x600,
                             .pm_timer = true,
                             .pci = true,
                             .ecam_base = 0xe0000000,
                             .mem32_base = 0xc0000000,
                             .mem32_size = 0x20000000,
                             .mem64_base = 0x8000000000,
                             .mem64_size = 0x4000000000 };
    CHECK_EQ(acpi_build(area, sizeof(area), base, &c), base);
    const uint8_t *x = table(area, base, get(area, 24, 8), "XSDT");
    CHECK_EQ(get(x, 4, 4), 36 + 24);
    table(area, base, get(x, 36, 8), "FACP");
    table(area, base, get(x, 44, 8), "APIC");
    const uint8_t *g = table(area, base, get(x, 52, 8), "MCFG");
    CHECK_EQ(get(g, 4, 4), 60);
    CHECK_EQ(g[8], 1);
    CHECK_EQ(get(g, 36, 8), 0); /* reserved */
    CHECK_EQ(get(g, 44, 8), 0xe0000000);
    CHECK_EQ(get(g, 52, 2), 0); /* segment */
    CHECK_EQ(g[54], 0);         /* buses 0 to 0 */
    CHECK_EQ(g[55], 0);
    CHECK_EQ(get(g, 56, 4), 0);

    const uint8_t *f = table(area, base, get(x, 36, 8), "FACP");
    const uint8_t *d = table(area, base, get(f, 140, 8), "DSDT");
    CHECK_EQ(get(f, 40, 4), get(f, 140, 8));
    unsigned len = (unsigned)get(d, 4, 4);
    CHECK(len > 36 && len < 1024);
    CHECK(memmem(d + 36, len - 36, "_S5_", 4) != NULL);
    static const uint8_t pnp0a08[] = { 0x0c, 0x41, 0xd0, 0x0a, 0x08 }; /* EisaId ("PNP0A08") */
    CHECK(memmem(d + 36, len - 36, pnp0a08, sizeof(pnp0a08)) != NULL);
    static const uint8_t scope_sb[] = { '\\', '_', 'S', 'B', '_' };
    CHECK(memmem(d + 36, len - 36, scope_sb, sizeof(scope_sb)) != NULL);

    struct aml_walk w = { .devs = 0 };
    aml_terms(&w, d + 36, d + len, NULL);
    CHECK(!w.bad);
    CHECK_EQ(w.devs, 2);
    const struct aml_dev *pci = aml_device(&w, "PCI0"), *mres = aml_device(&w, "MRES");
    CHECK(pci && mres);
    if (!pci || !mres) {
        return;
    }
    CHECK_EQ(pci->hid, 0x080ad041);                                         /* PNP0A08 */
    CHECK_EQ(mres->hid, 0x020cd041);                                        /* PNP0C02 */
    CHECK(memmem(d + 36, len - 36, "_CID\x0c\x41\xd0\x0a\x03", 9) != NULL); /* PNP0A03 */
    struct aml_range r[6];
    CHECK(pci->crs != NULL);
    CHECK_EQ(aml_ranges(pci->crs, pci->crs_len, r, 6), 4);
    /* WordBusNumber 0-0; WordIO 0xd00-0xffff; DWordMemory and QWordMemory the windows: all
     * ResourceProducer, MinFixed, MaxFixed, PosDecode. */
    const struct {
        uint8_t tag, type, type_flags;
        uint64_t min, len;
    } want[4] = { { 0x88, 2, 0x00, 0, 1 },
                  { 0x88, 1, 0x03, 0xd00, 0xf300 },
                  { 0x87, 0, 0x01, 0xc0000000, 0x20000000 },
                  { 0x8a, 0, 0x03, 0x8000000000, 0x4000000000 } };
    for (unsigned i = 0; i < 4; i++) {
        CHECK_EQ(r[i].tag, want[i].tag);
        CHECK_EQ(r[i].type, want[i].type);
        CHECK_EQ(r[i].flags, 0x0c);
        CHECK_EQ(r[i].type_flags, want[i].type_flags);
        CHECK_EQ(r[i].gran, 0);
        CHECK_EQ(r[i].min, want[i].min);
        CHECK_EQ(r[i].max, want[i].min + want[i].len - 1);
        CHECK_EQ(r[i].tra, 0);
        CHECK_EQ(r[i].len, want[i].len);
    }
    CHECK(mres->crs != NULL);
    CHECK_EQ(aml_ranges(mres->crs, mres->crs_len, r, 6), 1);
    CHECK_EQ(r[0].tag, 0x87);
    CHECK_EQ(r[0].flags, 0x0d); /* ResourceConsumer */
    CHECK_EQ(r[0].type_flags, 0x01);
    CHECK_EQ(r[0].min, 0xe0000000);
    CHECK_EQ(r[0].max, 0xe00fffff);
    CHECK_EQ(r[0].len, 1u << 20);

    /* No 64-bit window: no QWordMemory, the rest as before. */
    c.mem64_size = 0;
    CHECK_EQ(acpi_build(area, sizeof(area), base, &c), base);
    d = table(area, base, get(f, 140, 8), "DSDT");
    len = (unsigned)get(d, 4, 4);
    w = (struct aml_walk){ .devs = 0 };
    aml_terms(&w, d + 36, d + len, NULL);
    CHECK(!w.bad);
    pci = aml_device(&w, "PCI0");
    CHECK(pci && pci->crs);
    if (pci && pci->crs) {
        CHECK_EQ(aml_ranges(pci->crs, pci->crs_len, r, 6), 3);
        CHECK_EQ(r[2].tag, 0x87);
        CHECK_EQ(r[2].max, 0xdfffffff);
    }

    /* ECAM misaligned or above 4 GiB, overlapping a window or an APIC page; a 32-bit window
     * past 4 GiB or empty: no tables. An area too small for the DSDT: none either. */
    const struct acpi_config good = c;
    c.ecam_base = 0xe0080000;
    CHECK_EQ(acpi_build(area, sizeof(area), base, &c), 0);
    c.ecam_base = 0x100000000;
    CHECK_EQ(acpi_build(area, sizeof(area), base, &c), 0);
    c.ecam_base = 0xc0000000;
    CHECK_EQ(acpi_build(area, sizeof(area), base, &c), 0);
    c.ecam_base = 0xfec00000;
    CHECK_EQ(acpi_build(area, sizeof(area), base, &c), 0);
    c = good;
    c.mem32_size = 0x40000000;
    CHECK_EQ(acpi_build(area, sizeof(area), base, &c), 0);
    c.mem32_size = 0;
    CHECK_EQ(acpi_build(area, sizeof(area), base, &c), 0);
    c = good;
    c.mem64_base = 0xd0000000;
    c.mem64_size = 0x1000;
    CHECK_EQ(acpi_build(area, sizeof(area), base, &c), 0);
    c = good;
    CHECK_EQ(acpi_build(area, 0xc00 + 36 + 40, base, &c), 0);
    CHECK_EQ(acpi_build(area, sizeof(area), base, &c), base);
    /* Without PCI: no MCFG, and the DSDT is the S5 package alone. */
    c.pci = false;
    CHECK_EQ(acpi_build(area, sizeof(area), base, &c), base);
    CHECK_EQ(get(x, 4, 4), 36 + 16);
    d = table(area, base, get(f, 140, 8), "DSDT");
    CHECK_EQ(get(d, 4, 4), 36 + 14);
}

/* INTx routing: the slots with a GSI (1, 2, 3 on 17, 18, 19) in a _PRT in PCI0, in slot order,
 * each Package (4) { (slot << 16) | 0xffff, INTA, 0, GSI } with its integers in their smallest
 * encoding; all 32 slots (a two-byte PkgLength, slot 0's address a WordConst, GSI 1 a OneOp). No
 * GSI: no _PRT, the DSDT as before; without PCI no _PRT either. iasl, when installed, takes both
 * tables. */
static void test_acpi_tables_prt(void)
{
    static uint8_t area[BZ_ACPI_SIZE], before[1024];
    const uint64_t base = BZ_ACPI;
    struct acpi_config c = { .cpus = 2,
                             .lapic_base = 0xfee00000,
                             .ioapic_base = 0xfec00000,
                             .pm_base = 0x600,
                             .pm_timer = true,
                             .pci = true,
                             .ecam_base = 0xe0000000,
                             .mem32_base = 0xc0000000,
                             .mem32_size = 0x20000000,
                             .mem64_base = 0x8000000000,
                             .mem64_size = 0x4000000000 };
    CHECK_EQ(acpi_build(area, sizeof(area), base, &c), base);
    const uint8_t *d = dsdt(area, base);
    unsigned len_before = (unsigned)get(d, 4, 4);
    CHECK(len_before <= sizeof(before));
    memcpy(before, d, len_before);
    CHECK(memmem(d, len_before, "_PRT", 4) == NULL);

    c.pci_intx_gsi[1] = 17;
    c.pci_intx_gsi[2] = 18;
    c.pci_intx_gsi[3] = 19;
    CHECK_EQ(acpi_build(area, sizeof(area), base, &c), base);
    d = dsdt(area, base);
    unsigned len = (unsigned)get(d, 4, 4);
    struct aml_walk w = { .devs = 0 };
    aml_terms(&w, d + 36, d + len, NULL);
    CHECK(!w.bad);
    CHECK_EQ(w.devs, 2);
    const struct aml_dev *pci = aml_device(&w, "PCI0"), *mres = aml_device(&w, "MRES");
    CHECK(pci && mres && pci->prt && !mres->prt);
    if (!pci || !mres || !pci->prt) {
        return;
    }
    const uint8_t *prt = memmem(d, len, "_PRT", 4);
    CHECK(prt && memmem(prt + 4, len - (unsigned)(prt + 4 - d), "_PRT", 4) == NULL); /* one */
    struct aml_range r[6];
    CHECK_EQ(aml_ranges(pci->crs, pci->crs_len, r, 6), 4); /* the windows as before */
    struct aml_prt e[33];
    CHECK_EQ(aml_prt_entries(pci->prt, pci->prt_end, e, 33), 3);
    for (unsigned i = 0; i < 3; i++) {
        CHECK_EQ(e[i].addr, (i + 1) << 16 | 0xffff);
        CHECK_EQ(e[i].pin, 0);
        CHECK_EQ(e[i].source, 0);
        CHECK_EQ(e[i].index, 17 + i);
    }
    /* Slot 1's entry byte for byte: Package, PkgLength 11, 4 elements, DWordConst 0x0001ffff,
     * ZeroOp, ZeroOp, ByteConst 17. */
    static const uint8_t slot1[] = { 0x12, 0x0b, 0x04, 0x0c, 0xff, 0xff,
                                     0x01, 0x00, 0x00, 0x00, 0x0a, 0x11 };
    CHECK(memmem(pci->prt, (size_t)(pci->prt_end - pci->prt), slot1, sizeof(slot1)) != NULL);
    iasl_disassembles(d);

    for (unsigned s = 0; s < 32; s++) {
        c.pci_intx_gsi[s] = (uint8_t)(16 + s % 8);
    }
    c.pci_intx_gsi[5] = 1;
    CHECK_EQ(acpi_build(area, sizeof(area), base, &c), base);
    d = dsdt(area, base);
    len = (unsigned)get(d, 4, 4);
    w = (struct aml_walk){ .devs = 0 };
    aml_terms(&w, d + 36, d + len, NULL);
    CHECK(!w.bad);
    pci = aml_device(&w, "PCI0");
    CHECK(pci && pci->prt);
    if (!pci || !pci->prt) {
        return;
    }
    CHECK_EQ(aml_prt_entries(pci->prt, pci->prt_end, e, 33), 32);
    for (unsigned s = 0; s < 32; s++) {
        CHECK_EQ(e[s].addr, s << 16 | 0xffff);
        CHECK_EQ(e[s].pin, 0);
        CHECK_EQ(e[s].source, 0);
        CHECK_EQ(e[s].index, s == 5 ? 1 : 16 + s % 8);
    }
    CHECK_EQ(pci->prt[1] >> 6, 1); /* a PkgLength of two bytes */
    CHECK_EQ(pci->prt[3], 32);     /* NumElements */
    static const uint8_t slot0[] = { 0x12, 0x09, 0x04, 0x0b, 0xff, 0xff, 0x00, 0x00, 0x0a, 0x10 };
    static const uint8_t slot5[] = { 0x12, 0x0a, 0x04, 0x0c, 0xff, 0xff,
                                     0x05, 0x00, 0x00, 0x00, 0x01 };
    CHECK_EQ(memcmp(pci->prt + 4, slot0, sizeof(slot0)), 0);
    CHECK(memmem(pci->prt, (size_t)(pci->prt_end - pci->prt), slot5, sizeof(slot5)) != NULL);
    iasl_disassembles(d);

    memset(c.pci_intx_gsi, 0, sizeof(c.pci_intx_gsi));
    CHECK_EQ(acpi_build(area, sizeof(area), base, &c), base);
    d = dsdt(area, base);
    CHECK_EQ(get(d, 4, 4), len_before);
    CHECK_EQ(memcmp(d, before, len_before), 0);
    c.pci_intx_gsi[1] = 17;
    c.pci = false;
    CHECK_EQ(acpi_build(area, sizeof(area), base, &c), base);
    d = dsdt(area, base);
    CHECK_EQ(get(d, 4, 4), 36 + 14);
    CHECK(memmem(d, 36 + 14, "_PRT", 4) == NULL);
}

/* The PM1 registers as ACPI 6.4 4.8.4 has them: PM1_EN keeps its defined bits (ACPICA checks
 * that GBL_EN sticks before it takes the global lock), PM1_STS raises nothing, PM1_CNT reads
 * SCI_EN and keeps SLP_TYP, SLP_EN with S5 (or QEMU's 0) powers off (also byte by byte), the
 * timer only where
 * there is one and only as a 32-bit read. */
static void test_acpi_pm(void)
{
    struct acpi_pm pm = { .timer = true };
    uint64_t v = 0xffff;
    CHECK_EQ(acpi_pm_access(&pm, ACPI_PM_EVT + 2, 2, true, &v, 0), ACPI_PM_DONE);
    CHECK_EQ(acpi_pm_access(&pm, ACPI_PM_EVT + 2, 2, false, &v, 0), ACPI_PM_DONE);
    CHECK_EQ(v, 0x4721); /* TMR_EN, GBL_EN, PWRBTN_EN, SLPBTN_EN, RTC_EN, PCIEXP_WAKE_DIS */
    v = 0x20;
    CHECK_EQ(acpi_pm_access(&pm, ACPI_PM_EVT + 2, 1, true, &v, 0), ACPI_PM_DONE);
    CHECK_EQ(acpi_pm_access(&pm, ACPI_PM_EVT, 4, false, &v, 0), ACPI_PM_DONE);
    CHECK_EQ(v, 0x47200000u); /* STS 0; the byte write changed EN's low byte only */
    v = 0xffff;
    CHECK_EQ(acpi_pm_access(&pm, ACPI_PM_EVT, 2, true, &v, 0), ACPI_PM_DONE);
    CHECK_EQ(acpi_pm_access(&pm, ACPI_PM_EVT, 2, false, &v, 0), ACPI_PM_DONE);
    CHECK_EQ(v, 0);
    CHECK_EQ(acpi_pm_access(&pm, ACPI_PM_CNT, 2, false, &v, 0), ACPI_PM_DONE);
    CHECK_EQ(v, 1);         /* SCI_EN */
    v = (3u << 10) | 2 | 4; /* SLP_TYP 3, BM_RLD, GBL_RLS (write-only) */
    CHECK_EQ(acpi_pm_access(&pm, ACPI_PM_CNT, 2, true, &v, 0), ACPI_PM_DONE);
    CHECK_EQ(acpi_pm_access(&pm, ACPI_PM_CNT, 2, false, &v, 0), ACPI_PM_DONE);
    CHECK_EQ(v, (3u << 10) | 2 | 1);
    v = (uint64_t)(1u << 13 | 3u << 10) >> 8; /* SLP_EN with another sleep type: not S5 */
    CHECK_EQ(acpi_pm_access(&pm, ACPI_PM_CNT + 1, 1, true, &v, 0), ACPI_PM_DONE);
    CHECK_EQ(acpi_pm_access(&pm, ACPI_PM_CNT + 1, 1, false, &v, 0), ACPI_PM_DONE);
    CHECK_EQ(v, 3u << 2); /* SLP_EN reads 0 */
    v = (uint64_t)(1u << 13 | ACPI_SLP_TYP_S5 << 10) >> 8;
    CHECK_EQ(acpi_pm_access(&pm, ACPI_PM_CNT + 1, 1, true, &v, 0), ACPI_PM_POWER_OFF);
    v = 1u << 13 | ACPI_SLP_TYP_S5 << 10 | 1;
    CHECK_EQ(acpi_pm_access(&pm, ACPI_PM_CNT, 2, true, &v, 0), ACPI_PM_POWER_OFF);
    v = ACPI_SLP_TYP_S5 << 10; /* the type alone */
    CHECK_EQ(acpi_pm_access(&pm, ACPI_PM_CNT, 2, true, &v, 0), ACPI_PM_DONE);
    v = 1u << 13; /* SLP_TYP 0 with SLP_EN: QEMU's soft off, which OVMF writes */
    CHECK_EQ(acpi_pm_access(&pm, ACPI_PM_CNT, 2, true, &v, 0), ACPI_PM_POWER_OFF);
    v = (uint64_t)(1u << 13 | 1u << 10) >> 8; /* SLP_TYP 1 (S1): not off */
    CHECK_EQ(acpi_pm_access(&pm, ACPI_PM_CNT + 1, 1, true, &v, 0), ACPI_PM_DONE);
    /* Across the blocks, past PM1_CNT, odd widths: refused. */
    CHECK_EQ(acpi_pm_access(&pm, ACPI_PM_EVT + 2, 4, false, &v, 0), ACPI_PM_REFUSED);
    CHECK_EQ(acpi_pm_access(&pm, ACPI_PM_CNT + 1, 2, false, &v, 0), ACPI_PM_REFUSED);
    CHECK_EQ(acpi_pm_access(&pm, ACPI_PM_CNT + 2, 1, false, &v, 0), ACPI_PM_REFUSED);
    CHECK_EQ(acpi_pm_access(&pm, ACPI_PM_EVT, 3, false, &v, 0), ACPI_PM_REFUSED);
    /* The timer: 24 bits, a 32-bit read, never written; absent without one. */
    CHECK_EQ(acpi_pm_access(&pm, ACPI_PM_TMR, 4, false, &v, 0x12345678), ACPI_PM_DONE);
    CHECK_EQ(v, 0x345678);
    CHECK_EQ(acpi_pm_access(&pm, ACPI_PM_TMR, 2, false, &v, 0), ACPI_PM_REFUSED);
    CHECK_EQ(acpi_pm_access(&pm, ACPI_PM_TMR, 4, true, &v, 0), ACPI_PM_REFUSED);
    pm.timer = false;
    CHECK_EQ(acpi_pm_access(&pm, ACPI_PM_TMR, 4, false, &v, 0), ACPI_PM_REFUSED);
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

/* IRQ 0: counter 0's rising edges, each period in mode 2 (missed ones one interrupt), once at
 * terminal count in mode 0, none before a count is written or after a new control word. */
static void test_pit_irq0(void)
{
    struct pit p;
    pit_init(&p);
    uint64_t next;
    CHECK(!pit_irq0(&p, 10, &next));
    CHECK_EQ(next, UINT64_MAX);
    uint8_t v = 0x34; /* counter 0, LSB then MSB, mode 2 */
    pit_access(&p, 3, true, &v, 100);
    v = 100;
    pit_access(&p, 0, true, &v, 100);
    v = 0;
    pit_access(&p, 0, true, &v, 100);
    CHECK(!pit_irq0(&p, 150, &next));
    CHECK_EQ(next, 200);
    CHECK(!pit_irq0(&p, 199, &next));
    CHECK(pit_irq0(&p, 200, &next));
    CHECK_EQ(next, 300);
    CHECK(!pit_irq0(&p, 200, &next)); /* once */
    CHECK(pit_irq0(&p, 650, &next));  /* 300 .. 600: one interrupt */
    CHECK_EQ(next, 700);
    v = 0x30; /* mode 0: OUT low until terminal count */
    pit_access(&p, 3, true, &v, 660);
    CHECK(!pit_irq0(&p, 680, &next));
    CHECK_EQ(next, UINT64_MAX);
    v = 50;
    pit_access(&p, 0, true, &v, 700);
    v = 0;
    pit_access(&p, 0, true, &v, 700);
    CHECK(!pit_irq0(&p, 749, &next));
    CHECK_EQ(next, 750);
    CHECK(pit_irq0(&p, 900, &next));
    CHECK_EQ(next, UINT64_MAX);
    CHECK(!pit_irq0(&p, 5000, &next));
    /* Mode 3 (square wave): a rise at each period's start after the first. */
    v = 0x36;
    pit_access(&p, 3, true, &v, 6000);
    v = 0x10;
    pit_access(&p, 0, true, &v, 6000);
    v = 0;
    pit_access(&p, 0, true, &v, 6000);
    CHECK(!pit_irq0(&p, 6010, &next));
    CHECK_EQ(next, 6016);
    /* Mode 4 (Linux's one-shot, 0x38): OUT low for the tick at terminal count, the rise after it. */
    v = 0x38;
    pit_access(&p, 3, true, &v, 7000);
    CHECK(pit_irq0(&p, 7000, &next)); /* (mode 3 was in its low half: the control word's edge) */
    v = 20;
    pit_access(&p, 0, true, &v, 7000);
    v = 0;
    pit_access(&p, 0, true, &v, 7000);
    CHECK(!pit_irq0(&p, 7020, &next));
    CHECK_EQ(next, 7021);
    CHECK(pit_irq0(&p, 7021, &next));
    CHECK_EQ(next, UINT64_MAX);
    /* A control word of modes 1-5 while OUT is low (mode 0 counting) sets it high: an edge. */
    v = 0x30;
    pit_access(&p, 3, true, &v, 8000);
    v = 0xff;
    pit_access(&p, 0, true, &v, 8000);
    pit_access(&p, 0, true, &v, 8000);
    CHECK(!pit_irq0(&p, 8100, &next));
    v = 0x34;
    pit_access(&p, 3, true, &v, 8200);
    CHECK(pit_irq0(&p, 8200, &next));
    CHECK_EQ(next, UINT64_MAX); /* (mode 2 waits for its count) */
    CHECK(!pit_irq0(&p, 8300, &next));
}

/* The CMOS clock: calendar arithmetic, a date read in BCD and binary, 12- and 24-hour form, the
 * century; UIP in the 244 us before each update; setting the time under SET and without it;
 * register C's flags since its last read (update, periodic, alarm with don't-care codes, IRQF);
 * the firmware's memory bytes; RAM. */
static uint8_t rtc_reg(struct rtc *r, uint8_t index, uint64_t now)
{
    uint8_t v = index;
    CHECK(rtc_access(r, 0, true, &v, now));
    CHECK(rtc_access(r, 1, false, &v, now));
    return v;
}

static void rtc_set(struct rtc *r, uint8_t index, uint8_t value, uint64_t now)
{
    uint8_t v = index;
    CHECK(rtc_access(r, 0, true, &v, now));
    v = value;
    CHECK(rtc_access(r, 1, true, &v, now));
}

static void test_rtc(void)
{
    /* Calendar: 1970-01-01 is day 0, 2000-03-01 follows 2000-02-29, 2100 is no leap year. */
    CHECK_EQ(rtc_days_from_civil(1970, 1, 1), 0);
    CHECK_EQ(rtc_days_from_civil(2000, 3, 1) - rtc_days_from_civil(2000, 2, 29), 1);
    CHECK_EQ(rtc_days_from_civil(2100, 3, 1) - rtc_days_from_civil(2100, 2, 28), 1);
    for (int64_t d = -800000; d < 800000; d += 997) {
        int64_t y;
        unsigned m, dd;
        rtc_civil_from_days(d, &y, &m, &dd);
        CHECK_EQ(rtc_days_from_civil(y, m, dd), d);
    }
    /* 2026-12-06 21:07:09 UTC, a Sunday, at tick T0 (not a whole second: 0.25 s in). */
    const int64_t epoch = rtc_days_from_civil(2026, 12, 6) * 86400 + 21 * 3600 + 7 * 60 + 9;
    const uint64_t T0 = 1000 * (uint64_t)RTC_HZ + RTC_HZ / 4;
    struct rtc r;
    struct rtc_config c = { epoch, 3ull << 30, 1ull << 30, 4 };
    rtc_init(&r, &c, T0);
    CHECK_EQ(rtc_reg(&r, 0x0a, T0), 0x26);
    CHECK_EQ(rtc_reg(&r, 0x0b, T0), 0x02);
    CHECK_EQ(rtc_reg(&r, 0x0d, T0), 0x80);
    CHECK_EQ(rtc_reg(&r, 0x00, T0), 0x09);
    CHECK_EQ(rtc_reg(&r, 0x02, T0), 0x07);
    CHECK_EQ(rtc_reg(&r, 0x04, T0), 0x21);
    CHECK_EQ(rtc_reg(&r, 0x06, T0), 1); /* Sunday */
    CHECK_EQ(rtc_reg(&r, 0x07, T0), 0x06);
    CHECK_EQ(rtc_reg(&r, 0x08, T0), 0x12);
    CHECK_EQ(rtc_reg(&r, 0x09, T0), 0x26);
    CHECK_EQ(rtc_reg(&r, 0x32, T0), 0x20);
    /* It runs: 51 s later it is 21:08:00; the index port reads 0xff. */
    CHECK_EQ(rtc_reg(&r, 0x00, T0 + 51 * RTC_HZ), 0x00);
    CHECK_EQ(rtc_reg(&r, 0x02, T0 + 51 * RTC_HZ), 0x08);
    uint8_t v = 0;
    CHECK(rtc_access(&r, 0, false, &v, T0) && v == 0xff);
    CHECK(!rtc_access(&r, 2, false, &v, T0));
    /* Binary and 12-hour: 9 PM is 0x89. */
    rtc_set(&r, 0x0b, 0x04, T0);
    CHECK_EQ(rtc_reg(&r, 0x04, T0), 0x89);
    CHECK_EQ(rtc_reg(&r, 0x09, T0), 26);
    rtc_set(&r, 0x0b, 0x00, T0); /* BCD, 12-hour */
    CHECK_EQ(rtc_reg(&r, 0x04, T0), 0x89);
    rtc_set(&r, 0x0b, 0x02, T0);
    /* UIP: only in the last 8 ticks of a second. */
    const uint64_t second = 1001 * (uint64_t)RTC_HZ;
    CHECK_EQ(rtc_reg(&r, 0x0a, second - 9) & 0x80, 0);
    CHECK_EQ(rtc_reg(&r, 0x0a, second - 8) & 0x80, 0x80);
    CHECK_EQ(rtc_reg(&r, 0x0a, second) & 0x80, 0);
    /* Setting the time under SET: it holds while set, runs from the new time after. */
    rtc_set(&r, 0x0b, 0x82, T0);
    rtc_set(&r, 0x04, 0x05, T0);
    rtc_set(&r, 0x02, 0x30, T0);
    rtc_set(&r, 0x00, 0x00, T0);
    rtc_set(&r, 0x08, 0x02, T0);
    rtc_set(&r, 0x07, 0x29, T0);
    rtc_set(&r, 0x09, 0x24, T0);
    CHECK_EQ(rtc_reg(&r, 0x00, T0 + 10 * RTC_HZ), 0x00); /* held */
    CHECK_EQ(rtc_reg(&r, 0x0a, second - 1) & 0x80, 0);   /* no UIP while SET */
    rtc_set(&r, 0x0b, 0x02, T0 + 10 * RTC_HZ);
    CHECK_EQ(rtc_reg(&r, 0x00, T0 + 13 * RTC_HZ), 0x03);
    CHECK_EQ(rtc_reg(&r, 0x07, T0 + 13 * RTC_HZ), 0x29); /* 2024-02-29 exists */
    CHECK_EQ(rtc_reg(&r, 0x06, T0 + 13 * RTC_HZ), 5);    /* a Thursday */
    CHECK_EQ(rtc_reg(&r, 0x04, T0 + 13 * RTC_HZ), 0x05);
    /* 12-hour writes: 12 AM is hour 0, 12 PM hour 12. SET clears UIE. */
    rtc_set(&r, 0x0b, 0x00, T0 + 13 * RTC_HZ);
    rtc_set(&r, 0x04, 0x12, T0 + 13 * RTC_HZ);
    rtc_set(&r, 0x0b, 0x02, T0 + 13 * RTC_HZ);
    CHECK_EQ(rtc_reg(&r, 0x04, T0 + 13 * RTC_HZ), 0x00);
    rtc_set(&r, 0x0b, 0x00, T0 + 13 * RTC_HZ);
    rtc_set(&r, 0x04, 0x92, T0 + 13 * RTC_HZ);
    rtc_set(&r, 0x0b, 0x12, T0 + 13 * RTC_HZ);
    CHECK_EQ(rtc_reg(&r, 0x04, T0 + 13 * RTC_HZ), 0x12);
    rtc_set(&r, 0x0b, 0x92, T0 + 13 * RTC_HZ);
    CHECK_EQ(rtc_reg(&r, 0x0b, T0 + 13 * RTC_HZ), 0x82);
    rtc_set(&r, 0x04, 0x05, T0 + 13 * RTC_HZ);
    rtc_set(&r, 0x0b, 0x02, T0 + 13 * RTC_HZ);
    /* Bad values are dropped: minute 0x60, month 0x13, a BCD digit above 9. */
    rtc_set(&r, 0x02, 0x60, T0 + 13 * RTC_HZ);
    rtc_set(&r, 0x08, 0x13, T0 + 13 * RTC_HZ);
    rtc_set(&r, 0x00, 0x1a, T0 + 13 * RTC_HZ);
    CHECK_EQ(rtc_reg(&r, 0x02, T0 + 13 * RTC_HZ), 0x30);
    CHECK_EQ(rtc_reg(&r, 0x08, T0 + 13 * RTC_HZ), 0x02);
    CHECK_EQ(rtc_reg(&r, 0x00, T0 + 13 * RTC_HZ), 0x03);
    /* Without SET, as SeaBIOS sets a date (year, month, day one after the other): 2026-01-31 to
     * 2026-02-28 passes through 31 February, which must not roll over into March. Written in
     * another second, 31 February is 3 March. */
    const uint64_t t2 = T0 + 14 * RTC_HZ;
    rtc_set(&r, 0x32, 0x20, t2);
    rtc_set(&r, 0x09, 0x26, t2);
    rtc_set(&r, 0x08, 0x01, t2);
    rtc_set(&r, 0x07, 0x31, t2 + RTC_HZ);
    CHECK_EQ(rtc_reg(&r, 0x07, t2 + 2 * RTC_HZ), 0x31);
    rtc_set(&r, 0x09, 0x26, t2 + 3 * RTC_HZ);
    rtc_set(&r, 0x08, 0x02, t2 + 3 * RTC_HZ);
    rtc_set(&r, 0x07, 0x28, t2 + 3 * RTC_HZ);
    CHECK_EQ(rtc_reg(&r, 0x08, t2 + 3 * RTC_HZ), 0x02);
    CHECK_EQ(rtc_reg(&r, 0x07, t2 + 4 * RTC_HZ), 0x28);
    rtc_set(&r, 0x07, 0x31, t2 + 5 * RTC_HZ);
    CHECK_EQ(rtc_reg(&r, 0x08, t2 + 6 * RTC_HZ), 0x03);
    CHECK_EQ(rtc_reg(&r, 0x07, t2 + 6 * RTC_HZ), 0x03);
    /* Back to 2024-02-29 05:30:0x. */
    rtc_set(&r, 0x09, 0x24, t2 + 6 * RTC_HZ);
    rtc_set(&r, 0x08, 0x02, t2 + 6 * RTC_HZ);
    rtc_set(&r, 0x07, 0x29, t2 + 6 * RTC_HZ);
    rtc_set(&r, 0x32, 0x20, t2 + 6 * RTC_HZ);
    /* Without SET: the century moves the year. */
    rtc_set(&r, 0x32, 0x21, T0 + 13 * RTC_HZ);
    CHECK_EQ(rtc_reg(&r, 0x09, T0 + 13 * RTC_HZ), 0x24);
    CHECK_EQ(rtc_reg(&r, 0x32, T0 + 13 * RTC_HZ), 0x21);
    /* Register C: read clears; an update since the last read sets UF, a periodic period PF (rate
     * 6: 32 ticks), IRQF with the matching enable. */
    uint64_t t = T0 + 20 * RTC_HZ;
    (void)rtc_reg(&r, 0x0c, t);
    CHECK_EQ(rtc_reg(&r, 0x0c, t), 0);
    CHECK_EQ(rtc_reg(&r, 0x0c, t + 32), 0x40);
    CHECK_EQ(rtc_reg(&r, 0x0c, t + RTC_HZ), 0x50);
    rtc_set(&r, 0x0b, 0x02 | 0x40, t); /* PIE */
    CHECK_EQ(rtc_reg(&r, 0x0c, t + 2 * RTC_HZ), 0xd0);
    rtc_set(&r, 0x0a, 0x21, t); /* rate 1: 256 Hz, 128 ticks (not 1 << 0) */
    (void)rtc_reg(&r, 0x0c, t + 2 * RTC_HZ + 64);
    CHECK_EQ(rtc_reg(&r, 0x0c, t + 2 * RTC_HZ + 127) & 0x40, 0);
    CHECK_EQ(rtc_reg(&r, 0x0c, t + 2 * RTC_HZ + 128) & 0x40, 0x40);
    rtc_set(&r, 0x0a, 0x20, t); /* no periodic rate */
    CHECK_EQ(rtc_reg(&r, 0x0c, t + 3 * RTC_HZ), 0x10);
    /* The alarm: hh:mm:ss of an update since the last read; 0xc0-0xff match anything. */
    rtc_set(&r, 0x0b, 0x02, t);
    rtc_set(&r, 0x05, 0x05, t);
    rtc_set(&r, 0x03, 0x31, t);
    rtc_set(&r, 0x01, 0x00, t);
    (void)rtc_reg(&r, 0x0c, t + 3 * RTC_HZ);            /* 05:30:13 */
    CHECK_EQ(rtc_reg(&r, 0x0c, t + 49 * RTC_HZ), 0x10); /* to 05:30:59: not yet */
    CHECK_EQ(rtc_reg(&r, 0x0c, t + 50 * RTC_HZ), 0x30); /* 05:31:00 */
    CHECK_EQ(rtc_reg(&r, 0x0c, t + 51 * RTC_HZ), 0x10);
    rtc_set(&r, 0x01, 0xff, t); /* any second of 05:31 */
    CHECK_EQ(rtc_reg(&r, 0x0c, t + 55 * RTC_HZ), 0x30);
    CHECK_EQ(rtc_reg(&r, 0x0c, t + 115 * RTC_HZ), 0x30); /* 05:31:06 .. 05:32:05 */
    CHECK_EQ(rtc_reg(&r, 0x0c, t + 116 * RTC_HZ), 0x10); /* 05:32:06 */
    rtc_set(&r, 0x03, 0xc0, t);
    rtc_set(&r, 0x05, 0xc0, t);
    rtc_set(&r, 0x0b, 0x02 | 0x20, t); /* AIE */
    CHECK_EQ(rtc_reg(&r, 0x0c, t + 117 * RTC_HZ), 0xb0);
    CHECK_EQ(rtc_reg(&r, 0x0c, t + 117 * RTC_HZ + 5), 0);
    /* A divider reset holds the clock (and its updates) as SET does; it runs on when the divider
     * runs again. Flags raised before a write that changes what raises them are kept. */
    uint64_t u = t + 200 * RTC_HZ;
    rtc_set(&r, 0x0b, 0x02, u);
    (void)rtc_reg(&r, 0x0c, u);
    uint8_t sec = rtc_reg(&r, 0x00, u);
    CHECK((sec & 15) < 7);               /* (so that sec + 3 is still BCD) */
    rtc_set(&r, 0x0a, 0x70, u + RTC_HZ); /* divider reset: UF of the second before is latched */
    CHECK_EQ(rtc_reg(&r, 0x00, u + 5 * RTC_HZ), (uint8_t)(sec + 1));
    CHECK_EQ(rtc_reg(&r, 0x0a, u + 6 * RTC_HZ - 1) & 0x80, 0); /* no UIP while held */
    CHECK_EQ(rtc_reg(&r, 0x0c, u + 6 * RTC_HZ), 0x30);         /* the latched update (and the alarm
                                                        * that matches every second) only */
    CHECK_EQ(rtc_reg(&r, 0x0c, u + 8 * RTC_HZ), 0x00);
    rtc_set(&r, 0x0a, 0x26, u + 8 * RTC_HZ);
    CHECK_EQ(rtc_reg(&r, 0x00, u + 10 * RTC_HZ), (uint8_t)(sec + 3));
    /* An alarm that matched, then changed before C is read: still AF. */
    rtc_set(&r, 0x05, 0xc0, u);
    rtc_set(&r, 0x03, 0xc0, u);
    rtc_set(&r, 0x01, 0xc0, u + 10 * RTC_HZ);
    (void)rtc_reg(&r, 0x0c, u + 10 * RTC_HZ);
    rtc_set(&r, 0x01, 0x70, u + 11 * RTC_HZ); /* no second 0x70: never matches */
    CHECK_EQ(rtc_reg(&r, 0x0c, u + 11 * RTC_HZ) & 0x20, 0x20);
    CHECK_EQ(rtc_reg(&r, 0x0c, u + 12 * RTC_HZ) & 0x20, 0);
    /* Firmware's bytes: 3 GiB below 4 GiB, 1 GiB above, 4 CPUs; RAM keeps what is written. */
    CHECK_EQ(rtc_reg(&r, 0x15, t) | rtc_reg(&r, 0x16, t) << 8, 640);
    CHECK_EQ(rtc_reg(&r, 0x17, t) | rtc_reg(&r, 0x18, t) << 8, 0xffff);
    CHECK_EQ(rtc_reg(&r, 0x34, t) | rtc_reg(&r, 0x35, t) << 8, ((3ull << 30) - (16 << 20)) >> 16);
    CHECK_EQ(rtc_reg(&r, 0x5b, t) | rtc_reg(&r, 0x5c, t) << 8 | rtc_reg(&r, 0x5d, t) << 16,
             (1ull << 30) >> 16);
    CHECK_EQ(rtc_reg(&r, 0x5f, t), 3);
    rtc_set(&r, 0x40, 0x5a, t);
    CHECK_EQ(rtc_reg(&r, 0x40, t), 0x5a);
    rtc_set(&r, 0x0d, 0x00, t); /* D is read-only */
    CHECK_EQ(rtc_reg(&r, 0x0d, t), 0x80);
}

/* IRQ 8: asserted while an enabled flag is raised and register C not read; the next event at the
 * periodic rate, at the next update for update and alarm interrupts, none while SET holds. */
static void test_rtc_irq(void)
{
    const uint64_t T0 = 5000 * (uint64_t)RTC_HZ + 100;
    struct rtc r;
    struct rtc_config c = { 1767225600, 64ull << 20, 0, 1 };
    rtc_init(&r, &c, T0);
    uint64_t next;
    CHECK(!rtc_poll(&r, T0, &next)); /* nothing enabled (1024 Hz periodic flags, unseen) */
    CHECK_EQ(next, UINT64_MAX);
    rtc_set(&r, 0x0b, 0x02 | 0x40, T0); /* PIE at 1024 Hz: 32 ticks */
    rtc_reg(&r, 0x0c, T0 + 1);          /* whatever was raised so far is read */
    CHECK(!rtc_poll(&r, T0 + 2, &next));
    CHECK_EQ(next, (T0 + 2) / 32 * 32 + 32);
    CHECK(rtc_poll(&r, next, &next)); /* asserted, stays so until C is read */
    CHECK_EQ(next, UINT64_MAX);
    CHECK(rtc_poll(&r, T0 + 500, &next));
    CHECK_EQ(rtc_reg(&r, 0x0c, T0 + 500), 0xc0); /* IRQF | PF */
    CHECK(!rtc_poll(&r, T0 + 500, &next));
    /* UIE: the next update (whole second); an alarm's interrupt too (looked at each second). */
    rtc_set(&r, 0x0b, 0x02 | 0x10, T0 + 500);
    rtc_reg(&r, 0x0c, T0 + 500);
    CHECK(!rtc_poll(&r, T0 + 600, &next));
    CHECK_EQ(next, 5001 * (uint64_t)RTC_HZ);
    CHECK(rtc_poll(&r, 5001 * (uint64_t)RTC_HZ, &next));
    CHECK_EQ(rtc_reg(&r, 0x0c, 5001 * (uint64_t)RTC_HZ) & 0x90, 0x90);
    rtc_set(&r, 0x0b, 0x02 | 0x20, 5001 * (uint64_t)RTC_HZ); /* AIE, alarm at a second not due */
    rtc_set(&r, 0x01, 0x59, 5001 * (uint64_t)RTC_HZ);
    rtc_set(&r, 0x03, 0xc0, 5001 * (uint64_t)RTC_HZ);
    rtc_set(&r, 0x05, 0xc0, 5001 * (uint64_t)RTC_HZ);
    rtc_reg(&r, 0x0c, 5001 * (uint64_t)RTC_HZ);
    CHECK(!rtc_poll(&r, 5001 * (uint64_t)RTC_HZ + 5, &next));
    CHECK_EQ(next, 5002 * (uint64_t)RTC_HZ);
    CHECK(!rtc_poll(&r, next, &next)); /* an update, but no alarm: no interrupt */
    CHECK_EQ(next, 5003 * (uint64_t)RTC_HZ);
    rtc_set(&r, 0x01, 0x03, 5002 * (uint64_t)RTC_HZ + 9); /* 00:00:03 */
    CHECK(rtc_poll(&r, 5003 * (uint64_t)RTC_HZ, &next));
    CHECK_EQ(rtc_reg(&r, 0x0c, 5003 * (uint64_t)RTC_HZ), 0xf0); /* IRQF, PF (not enabled), AF, UF */
    /* The divider held in reset: no periodic event either. */
    rtc_set(&r, 0x0b, 0x02 | 0x40, 5003 * (uint64_t)RTC_HZ);
    rtc_set(&r, 0x0a, 0x66, 5003 * (uint64_t)RTC_HZ);
    rtc_reg(&r, 0x0c, 5003 * (uint64_t)RTC_HZ);
    CHECK(!rtc_poll(&r, 5003 * (uint64_t)RTC_HZ + 100, &next));
    CHECK_EQ(next, UINT64_MAX);
    rtc_set(&r, 0x0a, 0x26, 5003 * (uint64_t)RTC_HZ + 100);
    /* SET holds the clock: no update, no alarm, nothing next. */
    rtc_set(&r, 0x0b, 0x82 | 0x30, 5003 * (uint64_t)RTC_HZ);
    rtc_reg(&r, 0x0c, 5003 * (uint64_t)RTC_HZ);
    CHECK(!rtc_poll(&r, 5004 * (uint64_t)RTC_HZ, &next));
    CHECK_EQ(next, UINT64_MAX);
}

/* The loader's script run as firmware runs it (QEMU's commands: ALLOCATE, ADD_POINTER,
 * ADD_CHECKSUM), the blobs placed at two addresses of a fake memory: the tables must come out
 * byte for byte as acpi_build() writes them at that address, the RSDP with both checksums. */
static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    while (n--) {
        v = v << 8 | p[n];
    }
    return v;
}

static void test_acpi_table_loader(void)
{
    static uint8_t area[BZ_ACPI_SIZE], direct[BZ_ACPI_SIZE], script[24 * 128];
    uint8_t rsdp[36];
    const uint64_t tables_at = 0x7ff00000, rsdp_at = 0xf5000;
    for (unsigned pci = 0; pci < 2; pci++) {
        struct acpi_config c = { .cpus = 2,
                                 .lapic_base = 0xfee00000,
                                 .ioapic_base = 0xfec00000,
                                 .pm_base = 0x600,
                                 .pm_timer = true,
                                 .rtc = true,
                                 .pci = pci,
                                 .ecam_base = 0xb0000000,
                                 .mem32_base = 0xc0000000,
                                 .mem32_size = 0x3c000000 };
        uint64_t size = 0;
        unsigned len = acpi_build_for_loader(area, sizeof(area), &size, rsdp, script,
                                             sizeof(script), &c);
        CHECK(len > 0 && len % 128 == 0);
        CHECK(size > 0xc00 && size <= sizeof(area));
        /* The firmware's side: the two blobs by name, then the commands in order. */
        struct {
            const char *name;
            uint8_t *data;
            uint64_t at;
            bool allocated;
        } blob[2] = { { "etc/acpi/rsdp", rsdp, rsdp_at, false },
                      { "etc/acpi/tables", area, tables_at, false } };
        unsigned allocs = 0, pointers = 0, sums = 0;
        for (unsigned off = 0; off < len; off += 128) {
            const uint8_t *e = script + off;
            int a = -1, b = -1;
            for (int i = 0; i < 2; i++) {
                if (strncmp((const char *)e + 4, blob[i].name, 56) == 0) {
                    a = i;
                }
                if (strncmp((const char *)e + 60, blob[i].name, 56) == 0) {
                    b = i;
                }
            }
            switch (le(e, 4)) {
            case 1: /* ALLOCATE: before any use, once; FSEG for the RSDP */
                CHECK(a >= 0 && !blob[a].allocated);
                CHECK_EQ(e[64], a == 0 ? 2 : 1);
                blob[a].allocated = true;
                allocs++;
                break;
            case 2: { /* ADD_POINTER: dest's value += src's address */
                CHECK(a >= 0 && b >= 0 && blob[a].allocated && blob[b].allocated);
                unsigned at = (unsigned)le(e + 116, 4), n = e[120];
                CHECK(n == 4 || n == 8);
                uint64_t v = le(blob[a].data + at, n) + blob[b].at;
                for (unsigned i = 0; i < n; i++) {
                    blob[a].data[at + i] = (uint8_t)(v >> (8 * i));
                }
                pointers++;
                break;
            }
            case 3: { /* ADD_CHECKSUM: the field (0 so far) makes the range sum to 0 */
                CHECK(a >= 0 && blob[a].allocated);
                unsigned at = (unsigned)le(e + 60, 4), start = (unsigned)le(e + 64, 4);
                unsigned n = (unsigned)le(e + 68, 4);
                CHECK_EQ(blob[a].data[at], 0);
                uint8_t sum = 0;
                for (unsigned i = 0; i < n; i++) {
                    sum = (uint8_t)(sum + blob[a].data[start + i]);
                }
                blob[a].data[at] = (uint8_t)-sum;
                sums++;
                break;
            }
            default:
                CHECK(!"an unknown command");
            }
        }
        CHECK_EQ(allocs, 2);
        CHECK_EQ(pointers, 1 + (pci ? 3 : 2) + 4);
        CHECK_EQ(sums, 2 + 3 + pci + 1);
        /* What firmware placed is what acpi_build() writes at those addresses. */
        CHECK_EQ(acpi_build(direct, sizeof(direct), tables_at, &c), tables_at);
        CHECK(memcmp(area + 0x40, direct + 0x40, size - 0x40) == 0);
        CHECK_EQ(le(rsdp + 24, 8), tables_at + 0x40);
        uint8_t s20 = 0, s36 = 0;
        for (unsigned i = 0; i < 36; i++) {
            s36 = (uint8_t)(s36 + rsdp[i]);
            s20 = (uint8_t)(s20 + (i < 20 ? rsdp[i] : 0));
        }
        CHECK_EQ(s20, 0);
        CHECK_EQ(s36, 0);
        CHECK(memcmp(rsdp, direct, 36) == 0);
    }
    /* Too small a script or area: nothing. */
    uint64_t size = 0;
    struct acpi_config c = {
        .cpus = 1, .lapic_base = 0xfee00000, .ioapic_base = 0xfec00000, .pm_base = 0x600
    };
    CHECK_EQ(acpi_build_for_loader(area, sizeof(area), &size, rsdp, script, 5 * 128, &c), 0);
    CHECK_EQ(acpi_build_for_loader(area, 0x400, &size, rsdp, script, sizeof(script), &c), 0);
}

/* The guest's side of kvm-clock, as Linux computes it (pvclock.h): nanoseconds from a TSC value,
 * and the TSC's rate in kHz from the multiplier and shift (pvclock_tsc_khz). */
static uint64_t guest_ns(const struct pvclock_vcpu_time_info *t, uint64_t tsc)
{
    uint64_t delta = tsc - t->tsc_timestamp;
    delta = t->tsc_shift < 0 ? delta >> -t->tsc_shift : delta << t->tsc_shift;
    return t->system_time + (uint64_t)(((unsigned __int128)delta * t->tsc_to_system_mul) >> 32);
}

static uint64_t guest_khz(uint32_t mul, int8_t shift)
{
    uint64_t khz = (1000000ull << 32) / mul;
    return shift < 0 ? khz << -shift : khz >> shift;
}

/* kvm-clock: KVM's leaves beside Keel's, the conversion exact to the guest's rounding on TSC rates
 * from 1 Hz to 2^40 Hz, the structures filled as the ABI says (versions even, odd while written,
 * the clock stable, 0 at the VM's start on every vCPU). */
static void test_kvmclock(void)
{
    uint32_t r[4] = { 1, 2, 3, 4 };
    CHECK(kvmclock_cpuid(KVM_CPUID_SIGNATURE, true, r));
    CHECK_EQ(r[0], KVM_CPUID_FEATURES);
    CHECK(memcmp(&r[1], "KVMKVMKVM\0\0\0", 12) == 0);
    CHECK(kvmclock_cpuid(KVM_CPUID_FEATURES, true, r));
    CHECK_EQ(r[0], (1u << 3) | (1u << 24)); /* CLOCKSOURCE2, CLOCKSOURCE_STABLE_BIT: no more */
    CHECK_EQ(r[3], 0);                      /* no hints */
    CHECK(kvmclock_cpuid(KVM_CPUID_FEATURES, false, r));
    CHECK_EQ(r[0], 1u << 3); /* a TSC that is not invariant: not stable */
    CHECK(!kvmclock_cpuid(0x40000000, true, r));
    CHECK(!kvmclock_cpuid(0x40000102, true, r));

    uint32_t mul;
    int8_t shift;
    CHECK(!kvmclock_scale(0, &mul, &shift));
    const uint64_t rates[] = { 1,           1000,       3579545,    100000000,     999999999,
                               1000000000,  1000000001, 2113612000, 3000000000ull, 4294967296ull,
                               (1ull << 40) };
    for (unsigned i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        uint64_t hz = rates[i];
        CHECK(kvmclock_scale(hz, &mul, &shift));
        CHECK(mul >= 1u << 31); /* the most precise multiplier */
        struct pvclock_vcpu_time_info t = { .tsc_to_system_mul = mul, .tsc_shift = shift };
        /* one second of cycles is one second, to the multiplier's rounding (under 1 ppm) */
        uint64_t ns = guest_ns(&t, hz);
        CHECK(ns <= 1000000000u && ns >= 1000000000u - 1000000000u / (1u << 20) - 1);
        uint64_t khz = guest_khz(mul, shift), want = hz / 1000;
        CHECK(khz + want / (1u << 20) + 1 >= want && khz <= want + want / (1u << 20) + 1);
    }

    struct pvclock_vcpu_time_info t;
    memset(&t, 0xa5, sizeof(t));
    uint32_t version = 0;
    kvmclock_write_time(&t, &version, 5000, 2113612000ull, true);
    CHECK_EQ(version, 2);
    CHECK_EQ(t.version, 2);
    CHECK_EQ(t.tsc_timestamp, 5000);
    CHECK_EQ(t.system_time, 0);
    CHECK_EQ(t.flags, 1); /* PVCLOCK_TSC_STABLE_BIT, not GUEST_STOPPED */
    CHECK_EQ(t.pad0, 0);
    CHECK_EQ(guest_ns(&t, 5000), 0);
    uint64_t ten_s = guest_ns(&t, 5000 + 10 * 2113612000ull);
    CHECK(ten_s <= 10000000000ull && ten_s > 10000000000ull - 10000);
    kvmclock_write_time(&t, &version, 5000, 2113612000ull, false);
    CHECK_EQ(t.version, 4);
    CHECK_EQ(t.flags, 0);
    CHECK_EQ(sizeof(t), 32); /* the ABI's sizes */

    struct pvclock_wall_clock w = { 7, 7, 7 };
    CHECK_EQ(sizeof(w), 12);
    version = 0;
    kvmclock_write_wall(&w, &version, 1767225600, 123);
    CHECK_EQ(w.version, 2);
    CHECK_EQ(w.sec, 1767225600u);
    CHECK_EQ(w.nsec, 123);
}

int main(void)
{
    test_pit();
    test_pit_irq0();
    test_rtc_irq();
    test_rtc();
    test_fits_where_it_prefers();
    test_relocated_and_refused();
    test_acpi_tables();
    test_acpi_tables_pci();
    test_acpi_tables_prt();
    test_acpi_table_loader();
    test_acpi_pm();
    test_kvmclock();
    return unit_done("test_vmm_x86_64_linux");
}
