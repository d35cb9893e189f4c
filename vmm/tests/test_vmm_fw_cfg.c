// SPDX-License-Identifier: MIT
/*
 * Host tests of the VMM's fw_cfg device (vmm/dev/fw_cfg.c): the signature and ID through the x86
 * ports and the arm64 window, FILE_DIR's contents and order, reading items byte by byte, wide and
 * by DMA (select, read, skip, past the end, unknown selectors, writes refused, buffers and
 * descriptors outside RAM), the DMA address register's halves, the refused accesses, and a
 * fixed-seed random walk over every entry point that must not crash (run under ASan/UBSan).
 *
 * Guest RAM is two fake regions, one below 4 GiB and one above, so that the DMA address's high
 * half matters; the callback counts its calls and checks what it is asked.
 */
#include "unit.h"
#include "fw_cfg.h"

#define RAM_SIZE 0x10000u
#define LOW_BASE 0x80000ull
#define HIGH_BASE 0x100080000ull

static uint8_t ram_low[RAM_SIZE], ram_high[RAM_SIZE];
static unsigned gpa_calls;

static void *fake_gpa(void *ctx, uint64_t gpa, uint64_t size)
{
    CHECK(ctx == &gpa_calls);
    CHECK(size > 0 && gpa + (size - 1) >= gpa);
    gpa_calls++;
    if (gpa >= LOW_BASE && gpa - LOW_BASE < RAM_SIZE && size <= RAM_SIZE - (gpa - LOW_BASE)) {
        return ram_low + (gpa - LOW_BASE);
    }
    if (gpa >= HIGH_BASE && gpa - HIGH_BASE < RAM_SIZE && size <= RAM_SIZE - (gpa - HIGH_BASE)) {
        return ram_high + (gpa - HIGH_BASE);
    }
    return NULL;
}

static uint8_t *ram(uint64_t gpa)
{
    return gpa >= HIGH_BASE ? ram_high + (gpa - HIGH_BASE) : ram_low + (gpa - LOW_BASE);
}

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    }
}

static uint64_t get_be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

static uint64_t bswap(uint64_t v, unsigned width)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < width; i++) {
        r = r << 8 | ((v >> (8 * i)) & 0xff);
    }
    return r;
}

/* The guest's side, as EDK2 and Linux drive it. */
static void io_select(struct fw_cfg *f, uint16_t sel)
{
    uint64_t v = sel;
    CHECK(fw_cfg_io(f, 0, 2, true, &v));
}

static uint8_t io_byte(struct fw_cfg *f)
{
    uint64_t v = 0x5a5a;
    CHECK(fw_cfg_io(f, 1, 1, false, &v));
    CHECK(v <= 0xff);
    return (uint8_t)v;
}

static void mmio_select(struct fw_cfg *f, uint16_t sel)
{
    uint64_t v = bswap(sel, 2); /* MmioWrite16(base + 8, SwapBytes16(item)) */
    CHECK(fw_cfg_mmio(f, 8, 2, true, &v));
}

static uint64_t mmio_data(struct fw_cfg *f, unsigned width)
{
    uint64_t v = 0x5a5a5a5a5a5a5a5a;
    CHECK(fw_cfg_mmio(f, 0, width, false, &v));
    return v;
}

/* A descriptor at gpa, started by one 64-bit MMIO write; returns the control written back. */
static uint32_t dma_mmio(struct fw_cfg *f, uint64_t gpa, uint32_t control, uint32_t length,
                         uint64_t address)
{
    put_be(ram(gpa), control, 4);
    put_be(ram(gpa) + 4, length, 4);
    put_be(ram(gpa) + 8, address, 8);
    uint64_t v = bswap(gpa, 8);
    CHECK(fw_cfg_mmio(f, 16, 8, true, &v));
    return (uint32_t)get_be(ram(gpa), 4);
}

/* The same through the x86 ports: the high half, then the low half. */
static uint32_t dma_io(struct fw_cfg *f, uint64_t gpa, uint32_t control, uint32_t length,
                       uint64_t address)
{
    put_be(ram(gpa), control, 4);
    put_be(ram(gpa) + 4, length, 4);
    put_be(ram(gpa) + 8, address, 8);
    uint64_t high = bswap(gpa >> 32, 4), low = bswap(gpa & 0xffffffff, 4);
    CHECK(fw_cfg_io(f, 4, 4, true, &high));
    CHECK(fw_cfg_io(f, 8, 4, true, &low));
    return (uint32_t)get_be(ram(gpa), 4);
}

static const char kernel[] = "a kernel image of some length, 0123456789";
static const uint8_t cpus[2] = { 4, 0 };
static const uint8_t ram_size[8] = { 0, 0, 0, 0x40, 0, 0, 0, 0 }; /* 1 GiB, le64 */
static const char order[] = "/pci@i0cf8/virtio-blk@3\n";
static const char loader[] = "table-loader contents";
static const char tables[] = "ACPI";

static void setup(struct fw_cfg *f)
{
    fw_cfg_init(f, fake_gpa, &gpa_calls);
    CHECK(fw_cfg_add(f, FW_CFG_NB_CPUS, cpus, sizeof(cpus)));
    CHECK(fw_cfg_add(f, FW_CFG_RAM_SIZE, ram_size, sizeof(ram_size)));
    CHECK(fw_cfg_add(f, FW_CFG_KERNEL_DATA, kernel, sizeof(kernel)));
    CHECK_EQ(fw_cfg_add_file(f, "etc/table-loader", loader, sizeof(loader)), 0x20);
    CHECK_EQ(fw_cfg_add_file(f, "bootorder", order, sizeof(order) - 1), 0x21);
    CHECK_EQ(fw_cfg_add_file(f, "etc/acpi/tables", tables, 4), 0x22);
    CHECK_EQ(fw_cfg_add_file(f, "etc/empty", NULL, 0), 0x23);
}

static void test_signature_id(void)
{
    struct fw_cfg f;
    setup(&f);
    /* Selected at reset: the signature. */
    CHECK_EQ(io_byte(&f), 'Q');
    io_select(&f, FW_CFG_SIGNATURE);
    char sig[5] = { 0 };
    for (unsigned i = 0; i < 4; i++) {
        sig[i] = (char)io_byte(&f);
    }
    CHECK_STR(sig, "QEMU");
    CHECK_EQ(io_byte(&f), 0); /* past the end */
    io_select(&f, FW_CFG_ID);
    CHECK_EQ(io_byte(&f), 3);
    CHECK_EQ(io_byte(&f) | io_byte(&f) | io_byte(&f), 0);
    /* The 0x510 byte reads data too; a byte write anywhere is ignored. */
    io_select(&f, FW_CFG_SIGNATURE);
    uint64_t v = 0;
    CHECK(fw_cfg_io(&f, 0, 1, false, &v));
    CHECK_EQ(v, 'Q');
    v = 0xff;
    CHECK(fw_cfg_io(&f, 1, 1, true, &v));
    CHECK(fw_cfg_io(&f, 0, 1, true, &v));
    CHECK_EQ(io_byte(&f), 'E');
    /* MMIO: Read32 after selecting gives SIGNATURE_32('Q','E','M','U'). */
    mmio_select(&f, FW_CFG_SIGNATURE);
    CHECK_EQ(mmio_data(&f, 4), 'Q' | 'E' << 8 | 'M' << 16 | (uint32_t)'U' << 24);
    mmio_select(&f, FW_CFG_ID);
    CHECK_EQ(mmio_data(&f, 8), FW_CFG_ID_TRADITIONAL | FW_CFG_ID_DMA);
    /* The DMA register reads "QEMU CFG" in address order, at any aligned width. */
    CHECK(fw_cfg_mmio(&f, 16, 8, false, &v));
    CHECK_EQ(bswap(v, 8), FW_CFG_DMA_SIGNATURE);
    CHECK(fw_cfg_mmio(&f, 20, 4, false, &v));
    CHECK_EQ(bswap(v, 4), 0x20434647);
    CHECK(fw_cfg_mmio(&f, 22, 2, false, &v));
    CHECK_EQ(v, 'F' | 'G' << 8);
    CHECK(fw_cfg_io(&f, 4, 4, false, &v));
    CHECK_EQ(bswap(v, 4), 0x51454d55);
    CHECK(fw_cfg_io(&f, 8, 4, false, &v));
    CHECK_EQ(bswap(v, 4), 0x20434647);
    CHECK(fw_cfg_io(&f, 11, 1, false, &v));
    CHECK_EQ(v, 'G');
    /* Without guest memory there is no DMA. */
    struct fw_cfg plain;
    fw_cfg_init(&plain, NULL, NULL);
    io_select(&plain, FW_CFG_ID);
    CHECK_EQ(io_byte(&plain), FW_CFG_ID_TRADITIONAL);
    CHECK(!fw_cfg_io(&plain, 4, 4, false, &v));
    CHECK(!fw_cfg_io(&plain, 8, 4, true, &v));
    CHECK(!fw_cfg_mmio(&plain, 16, 8, false, &v));
    CHECK(!fw_cfg_mmio(&plain, 16, 8, true, &v));
}

static void test_file_dir(void)
{
    struct fw_cfg f;
    setup(&f);
    static const struct {
        const char *name;
        uint16_t sel;
        uint32_t size;
    } want[] = {
        { "bootorder", 0x21, sizeof(order) - 1 },
        { "etc/acpi/tables", 0x22, 4 },
        { "etc/empty", 0x23, 0 },
        { "etc/table-loader", 0x20, sizeof(loader) },
    };
    uint8_t dir[4 + 4 * FW_CFG_DIR_ENTRY + 8];
    /* By the ports, as QemuFwCfgFindFile reads it. */
    io_select(&f, FW_CFG_FILE_DIR);
    for (unsigned i = 0; i < sizeof(dir); i++) {
        dir[i] = io_byte(&f);
    }
    CHECK_EQ(get_be(dir, 4), 4);
    for (unsigned k = 0; k < 4; k++) {
        const uint8_t *e = dir + 4 + FW_CFG_DIR_ENTRY * k;
        CHECK_EQ(get_be(e, 4), want[k].size);
        CHECK_EQ(get_be(e + 4, 2), want[k].sel);
        CHECK_EQ(get_be(e + 6, 2), 0);
        CHECK_STR((const char *)e + 8, want[k].name);
        for (unsigned i = 8 + (unsigned)strlen(want[k].name); i < FW_CFG_DIR_ENTRY; i++) {
            CHECK_EQ(e[i], 0);
        }
    }
    for (unsigned i = 4 + 4 * FW_CFG_DIR_ENTRY; i < sizeof(dir); i++) {
        CHECK_EQ(dir[i], 0); /* the item ends after the last entry */
    }
    /* By DMA: the same bytes. */
    uint8_t *buf = ram(LOW_BASE + 0x1000);
    memset(buf, 0xaa, sizeof(dir));
    uint32_t ctl = FW_CFG_FILE_DIR << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ;
    CHECK_EQ(dma_mmio(&f, LOW_BASE, ctl, sizeof(dir), LOW_BASE + 0x1000), 0);
    CHECK(memcmp(buf, dir, sizeof(dir)) == 0);
    /* A file found by its directory entry reads back. */
    io_select(&f, (uint16_t)get_be(dir + 4 + 4, 2));
    char text[sizeof(order)] = { 0 };
    for (unsigned i = 0; i < sizeof(order) - 1; i++) {
        text[i] = (char)io_byte(&f);
    }
    CHECK_STR(text, order);
}

static void test_add_refused(void)
{
    struct fw_cfg f;
    setup(&f);
    char name[FW_CFG_NAME_SIZE + 1];
    memset(name, 'n', sizeof(name));
    name[FW_CFG_NAME_SIZE] = 0;
    CHECK_EQ(fw_cfg_add_file(&f, name, kernel, 1), 0); /* 56 characters: no room for the NUL */
    name[FW_CFG_NAME_SIZE - 1] = 0;
    CHECK_EQ(fw_cfg_add_file(&f, name, kernel, 1), 0x24); /* 55 fit */
    CHECK_EQ(fw_cfg_add_file(&f, "", kernel, 1), 0);
    CHECK_EQ(fw_cfg_add_file(&f, "bootorder", kernel, 1), 0);
    CHECK_EQ(fw_cfg_add_file(&f, "etc/big", kernel, 1ull << 32), 0);
    CHECK_EQ(fw_cfg_add_file(&f, "etc/null", NULL, 1), 0);
    CHECK(!fw_cfg_add(&f, FW_CFG_NB_CPUS, cpus, 2));   /* taken */
    CHECK(!fw_cfg_add(&f, FW_CFG_SIGNATURE, cpus, 2)); /* built in */
    CHECK(!fw_cfg_add(&f, FW_CFG_ID, cpus, 2));
    CHECK(!fw_cfg_add(&f, FW_CFG_FILE_DIR, cpus, 2));
    CHECK(!fw_cfg_add(&f, FW_CFG_FILE_FIRST + 9, cpus, 2));
    CHECK(!fw_cfg_add(&f, FW_CFG_WRITE_CHANNEL | FW_CFG_MAX_CPUS, cpus, 2));
    CHECK(!fw_cfg_add(&f, FW_CFG_MAX_CPUS, NULL, 2));
    CHECK(fw_cfg_add(&f, FW_CFG_MAX_CPUS, cpus, 2));
    CHECK(fw_cfg_add(&f, FW_CFG_ARCH_LOCAL | 3, cpus, 2)); /* x86 E820_TABLE */
    CHECK(fw_cfg_add(&f, FW_CFG_BOOT_MENU, NULL, 0));
    /* Fill the table: 3 built in, 3 + 3 numeric, 5 files so far. */
    CHECK_EQ(f.items, 14);
    unsigned added = 0;
    for (unsigned i = 0; i < 2 * FW_CFG_ITEMS_MAX; i++) {
        char n[16];
        snprintf(n, sizeof(n), "opt/f%02u", i);
        uint16_t sel = fw_cfg_add_file(&f, n, kernel, i % sizeof(kernel));
        if (sel == 0) {
            break;
        }
        CHECK_EQ(sel, 0x25 + i);
        added++;
    }
    CHECK_EQ(added, FW_CFG_ITEMS_MAX - 14);
    CHECK(!fw_cfg_add(&f, FW_CFG_UUID, cpus, 2));
    /* The directory holds all 55 files, sorted. */
    io_select(&f, FW_CFG_FILE_DIR);
    CHECK_EQ(bswap(mmio_data(&f, 4), 4), FW_CFG_ITEMS_MAX - 9);
    char prev[FW_CFG_NAME_SIZE] = "";
    for (unsigned k = 0; k < FW_CFG_ITEMS_MAX - 9; k++) {
        char e[FW_CFG_DIR_ENTRY];
        for (unsigned i = 0; i < FW_CFG_DIR_ENTRY; i++) {
            e[i] = (char)io_byte(&f);
        }
        CHECK(strcmp(prev, e + 8) < 0);
        memcpy(prev, e + 8, sizeof(prev));
    }
    CHECK_EQ(io_byte(&f), 0);
}

static void test_read_items(void)
{
    struct fw_cfg f;
    setup(&f);
    /* Numeric items, little-endian, through the window at every width. */
    mmio_select(&f, FW_CFG_NB_CPUS);
    CHECK_EQ(mmio_data(&f, 4), 4); /* ArmVirtPkg reads 32 bits of the le16: zeros after */
    mmio_select(&f, FW_CFG_RAM_SIZE);
    CHECK_EQ(mmio_data(&f, 8), 1ull << 30);
    /* A byte stream: 8, 4, 2, 1 bytes in address order, as MmioReadBytes stores them. */
    mmio_select(&f, FW_CFG_KERNEL_DATA);
    uint8_t got[sizeof(kernel) + 8];
    unsigned at = 0;
    static const unsigned widths[] = { 8, 4, 2, 1, 1, 2, 4, 8, 8, 8 };
    for (unsigned i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
        uint64_t v = mmio_data(&f, widths[i]);
        for (unsigned b = 0; b < widths[i]; b++) {
            got[at++] = (uint8_t)(v >> (8 * b));
        }
    }
    CHECK_EQ(at, 46);
    CHECK(memcmp(got, kernel, sizeof(kernel)) == 0); /* 42 bytes with the NUL */
    CHECK_EQ(got[42] | got[43] | got[44] | got[45], 0);
    CHECK_EQ(mmio_data(&f, 8), 0);
    /* Selecting rewinds; the write channel bit selects the same item. */
    io_select(&f, FW_CFG_WRITE_CHANNEL | FW_CFG_KERNEL_DATA);
    CHECK_EQ(io_byte(&f), 'a');
    CHECK_EQ(io_byte(&f), ' ');
    /* A data write is ignored and does not move the offset. */
    uint64_t v = 0x4141414141414141;
    CHECK(fw_cfg_mmio(&f, 0, 8, true, &v));
    CHECK_EQ(io_byte(&f), 'k');
    /* Unknown selectors and empty items read zeros. */
    static const uint16_t unknown[] = { FW_CFG_UUID,      0x24, 0x3fff, FW_CFG_ARCH_LOCAL, 0xffff,
                                        FW_CFG_BOOT_MENU, 0x23 /* etc/empty */ };
    for (unsigned i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        io_select(&f, unknown[i]);
        CHECK_EQ(io_byte(&f), 0);
        mmio_select(&f, unknown[i]);
        CHECK_EQ(mmio_data(&f, 8), 0);
    }
    /* Reset selects the signature again. */
    fw_cfg_reset(&f);
    CHECK_EQ(mmio_data(&f, 4), 0x554d4551);
}

static void test_dma(void)
{
    struct fw_cfg f;
    setup(&f);
    uint64_t desc = LOW_BASE, buf = LOW_BASE + 0x100;
    uint8_t *b = ram(buf);
    /* SELECT + READ of 10 bytes, then READ continues, then SKIP, then READ. */
    memset(b, 0xaa, 64);
    uint32_t sel = (uint32_t)FW_CFG_KERNEL_DATA << 16 | FW_CFG_DMA_CTL_SELECT;
    CHECK_EQ(dma_mmio(&f, desc, sel | FW_CFG_DMA_CTL_READ, 10, buf), 0);
    CHECK(memcmp(b, kernel, 10) == 0);
    CHECK_EQ(b[10], 0xaa);
    CHECK_EQ(dma_io(&f, desc, FW_CFG_DMA_CTL_READ, 5, buf + 10), 0);
    CHECK(memcmp(b, kernel, 15) == 0);
    CHECK_EQ(dma_mmio(&f, desc, FW_CFG_DMA_CTL_SKIP, 5, 0), 0);
    CHECK_EQ(dma_mmio(&f, desc, FW_CFG_DMA_CTL_READ, 3, buf), 0);
    CHECK(memcmp(b, kernel + 20, 3) == 0);
    CHECK_EQ(io_byte(&f), (uint8_t)kernel[23]); /* the ports share the offset */
    /* A length past the end: the rest of the item, then zeros; the offset stops at the end. */
    memset(b, 0xaa, 64);
    CHECK_EQ(dma_mmio(&f, desc, sel | FW_CFG_DMA_CTL_READ, 50, buf), 0);
    CHECK(memcmp(b, kernel, sizeof(kernel)) == 0);
    for (unsigned i = sizeof(kernel); i < 50; i++) {
        CHECK_EQ(b[i], 0);
    }
    CHECK_EQ(b[50], 0xaa);
    CHECK_EQ(io_byte(&f), 0);
    /* A SKIP past the end stops there. */
    CHECK_EQ(dma_mmio(&f, desc, sel | FW_CFG_DMA_CTL_SKIP, 1000, 0), 0);
    CHECK_EQ(f.offset, sizeof(kernel));
    /* An unknown selector reads zeros, without an error (as QEMU). */
    memset(b, 0xaa, 64);
    CHECK_EQ(
        dma_mmio(&f, desc, 0x3000u << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 8, buf), 0);
    CHECK_EQ(get_be(b, 8), 0);
    CHECK_EQ(b[8], 0xaa);
    /* Writes: refused on any item (all are read-only), except of no bytes. */
    CHECK_EQ(dma_mmio(&f, desc, sel | FW_CFG_DMA_CTL_WRITE, 4, buf), FW_CFG_DMA_CTL_ERROR);
    CHECK_EQ(f.offset, 0);
    CHECK_EQ(
        dma_mmio(&f, desc, 0x3000u << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE, 4, buf),
        FW_CFG_DMA_CTL_ERROR);
    CHECK_EQ(dma_mmio(&f, desc, FW_CFG_DMA_CTL_WRITE, 0, buf), 0);
    /* READ wins over WRITE and SKIP; no operation bit: only the select. */
    CHECK_EQ(dma_mmio(&f, desc, sel | 0x16, 2, buf), 0);
    CHECK(memcmp(b, kernel, 2) == 0);
    CHECK_EQ(dma_mmio(&f, desc, (uint32_t)FW_CFG_ID << 16 | FW_CFG_DMA_CTL_SELECT, 99, buf), 0);
    CHECK_EQ(f.offset, 0);
    CHECK_EQ(io_byte(&f), 3);
    /* A buffer outside RAM, or running out of it: ERROR, nothing written, offset kept. */
    static const uint64_t bad[] = { 0, LOW_BASE + RAM_SIZE - 4, HIGH_BASE - 8, UINT64_MAX - 3 };
    CHECK_EQ(dma_mmio(&f, desc, sel | FW_CFG_DMA_CTL_SKIP, 4, 0), 0);
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(ram_low + RAM_SIZE - 16, 0xaa, 16);
        CHECK_EQ(dma_mmio(&f, desc, FW_CFG_DMA_CTL_READ, 8, bad[i]), FW_CFG_DMA_CTL_ERROR);
        CHECK_EQ(f.offset, 4);
        for (unsigned k = RAM_SIZE - 16; k < RAM_SIZE; k++) {
            CHECK_EQ(ram_low[k], 0xaa);
        }
    }
    /* The descriptor in the high region: needs both halves. */
    uint64_t hdesc = HIGH_BASE + 0x40, hbuf = HIGH_BASE + 0x800;
    CHECK_EQ(dma_io(&f, hdesc, sel | FW_CFG_DMA_CTL_READ, 6, hbuf), 0);
    CHECK(memcmp(ram(hbuf), kernel, 6) == 0);
    /* The register is 0 after an operation: a lone low half names a 32-bit address. */
    put_be(ram(hdesc), sel | FW_CFG_DMA_CTL_READ, 4);
    put_be(ram(LOW_BASE + 0x40), sel | FW_CFG_DMA_CTL_READ, 4);
    put_be(ram(LOW_BASE + 0x44), 4, 4);
    put_be(ram(LOW_BASE + 0x48), buf, 8);
    memset(b, 0, 8);
    uint64_t v = bswap((uint32_t)(LOW_BASE + 0x40), 4);
    CHECK(fw_cfg_mmio(&f, 20, 4, true, &v));
    CHECK_EQ(get_be(ram(LOW_BASE + 0x40), 4), 0);
    CHECK(memcmp(b, kernel, 4) == 0);
    CHECK_EQ(get_be(ram(hdesc), 4), sel | FW_CFG_DMA_CTL_READ); /* untouched */
    /* MMIO halves: high at 16, low at 20. */
    v = bswap(hdesc >> 32, 4);
    CHECK(fw_cfg_mmio(&f, 16, 4, true, &v));
    v = bswap((uint32_t)hdesc, 4);
    CHECK(fw_cfg_mmio(&f, 20, 4, true, &v));
    CHECK_EQ(get_be(ram(hdesc), 4), 0);
    /* A descriptor outside RAM: nothing; one whose control word alone is RAM: ERROR there. */
    unsigned calls = gpa_calls;
    v = bswap(0x1000, 8);
    CHECK(fw_cfg_mmio(&f, 16, 8, true, &v));
    CHECK_EQ(gpa_calls, calls + 2);
    uint64_t edge = LOW_BASE + RAM_SIZE - 8;
    put_be(ram(edge), sel | FW_CFG_DMA_CTL_READ, 4);
    v = bswap(edge, 8);
    CHECK(fw_cfg_mmio(&f, 16, 8, true, &v));
    CHECK_EQ(get_be(ram(edge), 4), FW_CFG_DMA_CTL_ERROR);
    v = bswap(UINT64_MAX - 7, 8);
    calls = gpa_calls;
    CHECK(fw_cfg_mmio(&f, 16, 8, true, &v)); /* 16 bytes would wrap: only the control word asked */
    CHECK_EQ(gpa_calls, calls + 1);
    /* An unaligned descriptor works (fields are read byte by byte). */
    CHECK_EQ(dma_io(&f, LOW_BASE + 0x201, sel | FW_CFG_DMA_CTL_READ, 3, buf + 1), 0);
    CHECK(memcmp(b + 1, kernel, 3) == 0);
}

static void test_refused(void)
{
    struct fw_cfg f;
    setup(&f);
    uint64_t v = 0;
    /* Ports: the selector is a 16-bit write at 0x510 only; data is bytes; DMA 32-bit writes. */
    CHECK(!fw_cfg_io(&f, 0, 2, false, &v));
    CHECK(!fw_cfg_io(&f, 0, 4, true, &v));
    CHECK(!fw_cfg_io(&f, 1, 2, true, &v)); /* misaligned */
    CHECK(!fw_cfg_io(&f, 2, 2, true, &v));
    CHECK(!fw_cfg_io(&f, 2, 1, false, &v));
    CHECK(!fw_cfg_io(&f, 3, 1, false, &v));
    CHECK(!fw_cfg_io(&f, 4, 2, true, &v));
    CHECK(!fw_cfg_io(&f, 8, 1, true, &v));
    CHECK(!fw_cfg_io(&f, 6, 4, false, &v));
    CHECK(!fw_cfg_io(&f, 4, 8, false, &v));
    CHECK(!fw_cfg_io(&f, 12, 1, false, &v));
    CHECK(!fw_cfg_io(&f, 1, 3, false, &v));
    /* Window: data at 0 only; the selector a 16-bit write; DMA 32/64-bit writes, aligned. */
    CHECK(!fw_cfg_mmio(&f, 1, 1, false, &v));
    CHECK(!fw_cfg_mmio(&f, 4, 4, false, &v));
    CHECK(!fw_cfg_mmio(&f, 0, 3, false, &v));
    CHECK(!fw_cfg_mmio(&f, 0, 16, false, &v));
    CHECK(!fw_cfg_mmio(&f, 8, 2, false, &v));
    CHECK(!fw_cfg_mmio(&f, 8, 4, true, &v));
    CHECK(!fw_cfg_mmio(&f, 8, 1, true, &v));
    CHECK(!fw_cfg_mmio(&f, 10, 2, true, &v));
    CHECK(!fw_cfg_mmio(&f, 16, 2, true, &v));
    CHECK(!fw_cfg_mmio(&f, 20, 8, true, &v));
    CHECK(!fw_cfg_mmio(&f, 18, 4, false, &v));
    CHECK(!fw_cfg_mmio(&f, 24, 1, false, &v));
    CHECK(!fw_cfg_mmio(&f, UINT64_MAX - 7, 8, false, &v));
    /* None of that moved the offset. */
    CHECK_EQ(io_byte(&f), 'Q');
}

static uint64_t rng = 0x9e3779b97f4a7c15;

static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void fuzz_step(struct fw_cfg *f)
{
    static const unsigned widths[] = { 1, 2, 4, 8, 1, 2, 4, 0, 3, 16 };
    static const uint16_t sels[] = { 0, 1, 3, 5, 0x11, 0x19, 0x20, 0x21, 0x22, 0x23, 0x24, 0x4011 };
    uint64_t r = next_random(), v = next_random();
    unsigned width = widths[r % 10];
    bool write = (r >> 8) & 1;
    switch ((r >> 4) % 5) {
    case 0:
        fw_cfg_io(f, (uint16_t)((r >> 16) % 14), width, write, &v);
        break;
    case 1:
        fw_cfg_mmio(f, (r >> 16) % 28, width, write, &v);
        break;
    case 2:
        io_select(f, sels[(r >> 16) % 12]);
        break;
    default: {
        /* A descriptor somewhere in RAM (or not), a buffer near or across RAM's ends. */
        uint64_t base = (r >> 40) & 1 ? HIGH_BASE : LOW_BASE;
        uint64_t d = base + (r >> 16) % (RAM_SIZE + 32) - 16;
        uint64_t buf = base + (v >> 8) % (RAM_SIZE + 256) - 128;
        uint32_t control = (uint32_t)sels[(v >> 32) % 12] << 16 | (uint32_t)(v & 0x1f);
        if (d >= base && d + 16 <= base + RAM_SIZE) {
            put_be(ram(d), control, 4);
            put_be(ram(d) + 4, (v >> 40) % 300, 4);
            put_be(ram(d) + 8, (v >> 60) ? buf : UINT64_MAX - (v >> 48 & 0xff), 8);
        }
        uint64_t a = bswap(d, 8);
        fw_cfg_mmio(f, 16, 8, true, &a);
        if (d >= base && d + 16 <= base + RAM_SIZE) {
            CHECK(get_be(ram(d), 4) <= FW_CFG_DMA_CTL_ERROR);
        }
        break;
    }
    }
    CHECK(f->cur == FW_CFG_NONE || f->cur < f->items);
    CHECK(f->cur == FW_CFG_NONE ? f->offset == 0 : f->offset <= f->item[f->cur].size);
}

static void test_random_accesses(void)
{
    struct fw_cfg f;
    setup(&f);
    for (unsigned i = 0; i < 100000; i++) {
        fuzz_step(&f);
    }
    CHECK_EQ(f.items, 10);
    fw_cfg_reset(&f);
    CHECK_EQ(mmio_data(&f, 4), 0x554d4551);
    CHECK_EQ(f.dma_address, 0);
}

int main(void)
{
    test_signature_id();
    test_file_dir();
    test_add_refused();
    test_read_items();
    test_dma();
    test_refused();
    test_random_accesses();
    return unit_done("test_vmm_fw_cfg");
}
