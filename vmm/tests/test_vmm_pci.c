// SPDX-License-Identifier: MIT
/*
 * Host tests of the VMM's PCI model (vmm/pci/): absent slots and buses, the header's registers
 * byte by byte, BAR sizing and placement, the capability list through a device's own capability
 * to MSI-X, MSI-X's table, PBA and masks, BAR dispatch, the 0xCF8/0xCFC ports, INTx, and a
 * fixed-seed random walk over every entry point that must not crash (run under ASan/UBSan).
 * The fake device checks the contract's promises to it (offsets inside the BAR and caps, INTx
 * told only on changes).
 */
#include "unit.h"
#include "pci.h"

#define SLOT 3
#define CAPS_LEN 8
#define VECTORS 4
#define MSIX_BAR 4
#define MiB (1ull << 20)

/* A device: BAR0 32-bit 4 KiB, BAR1 I/O 32 bytes, BAR2+3 64-bit prefetchable 16 KiB, BAR4 the
 * MSI-X table; a vendor capability (ID 9, 8 bytes, bytes 4-7 writable) at 0x40. */
struct fake {
    struct pci_function f;
    uint8_t cap[CAPS_LEN];
    unsigned bar_calls, bar, width, sends, intx_calls;
    uint64_t off, msi_address;
    uint32_t msi_data;
    bool write, intx_level;
};

static bool fake_bar(struct pci_function *f, unsigned bar, uint64_t off, unsigned width, bool write,
                     uint64_t *value)
{
    struct fake *d = f->ctx;
    CHECK(bar < PCI_BARS && off < f->bar[bar].size && width <= f->bar[bar].size - off);
    CHECK(f->msix_vectors == 0 || bar != f->msix_bar);
    d->bar_calls++;
    d->bar = bar;
    d->off = off;
    d->width = width;
    d->write = write;
    if (!write) {
        *value = 0x1000 + off;
    }
    return off != 0x100; /* the device refuses one register */
}

static bool fake_cap(struct pci_function *f, unsigned off, unsigned width, bool write,
                     uint64_t *value)
{
    struct fake *d = f->ctx;
    CHECK(off + width <= f->caps_len);
    d->cap[1] = (uint8_t)pci_msix_cap_offset(f);
    uint64_t v = 0;
    for (unsigned i = 0; i < width; i++) {
        if (write && off + i >= 4) {
            d->cap[off + i] = (uint8_t)(*value >> (8 * i));
        }
        v |= (uint64_t)d->cap[off + i] << (8 * i);
    }
    if (!write) {
        *value = v;
    }
    return true;
}

static void fake_msi(struct pci_function *f, uint64_t address, uint32_t data)
{
    struct fake *d = f->ctx;
    d->sends++;
    d->msi_address = address;
    d->msi_data = data;
}

static void fake_intx(struct pci_function *f, bool level)
{
    struct fake *d = f->ctx;
    CHECK(level != d->intx_level);
    d->intx_calls++;
    d->intx_level = level;
}

static const struct pci_function_ops fake_ops = {
    .bar_access = fake_bar,
    .cap_access = fake_cap,
    .msi_send = fake_msi,
    .intx_set = fake_intx,
};

static void fake_init(struct fake *d, unsigned caps_len, unsigned vectors)
{
    memset(d, 0, sizeof(*d));
    pci_function_init(&d->f, &fake_ops, d);
    d->f.vendor_id = 0x1af4;
    d->f.device_id = 0x1041;
    d->f.subsystem_vendor_id = 0x1af4;
    d->f.subsystem_id = 0x0001;
    d->f.revision = 1;
    d->f.class_code = 0x02;
    d->f.subclass = 0x80;
    d->f.prog_if = 0x00;
    d->f.interrupt_pin = 1;
    d->f.bar[0] = (struct pci_bar){ .kind = PCI_BAR_MEM32, .size = 0x1000 };
    d->f.bar[1] = (struct pci_bar){ .kind = PCI_BAR_IO, .size = 0x20 };
    d->f.bar[2] = (struct pci_bar){ .kind = PCI_BAR_MEM64, .prefetchable = true, .size = 0x4000 };
    d->f.bar[MSIX_BAR] = (struct pci_bar){ .kind = PCI_BAR_MEM32, .size = PCI_MSIX_BAR_SIZE };
    d->f.caps_len = caps_len;
    d->f.msix_vectors = vectors;
    d->f.msix_bar = MSIX_BAR;
    d->cap[0] = 0x09; /* vendor specific */
    d->cap[2] = CAPS_LEN;
}

static unsigned reports;

static void count_report(void *ctx, const char *msg)
{
    (void)ctx;
    CHECK(msg[0] != 0);
    reports++;
}

static void host_init(struct pci_host *h)
{
    pci_host_init(h);
    h->report = count_report;
    h->mem32_base = 0xc0000000;
    h->mem32_size = 256 * MiB;
    h->mem64_base = 0x800000000;
    h->mem64_size = 1024 * MiB;
    h->io_base = 0x1000;
    h->io_size = 0x1000;
}

static uint64_t ecam_off(unsigned slot, unsigned reg)
{
    return (uint64_t)slot << 15 | reg;
}

static uint64_t cfg_read(struct pci_host *h, unsigned slot, unsigned reg, unsigned width)
{
    uint64_t v = 0x5a5a5a5a5a5a5a5a;
    pci_host_ecam(h, ecam_off(slot, reg), width, false, &v);
    return v;
}

static void cfg_write(struct pci_host *h, unsigned slot, unsigned reg, unsigned width, uint64_t v)
{
    pci_host_ecam(h, ecam_off(slot, reg), width, true, &v);
}

static void test_absent(void)
{
    struct pci_host h;
    struct fake d, bad;
    host_init(&h);
    fake_init(&d, CAPS_LEN, VECTORS);
    CHECK_EQ(cfg_read(&h, SLOT, 0, 4), 0xffffffff);
    CHECK_EQ(cfg_read(&h, SLOT, 2, 2), 0xffff);
    CHECK_EQ(cfg_read(&h, SLOT, 3, 1), 0xff);
    CHECK(pci_host_attach(&h, SLOT, &d.f));
    CHECK_EQ(cfg_read(&h, SLOT, 0, 4), 0x10411af4);
    uint64_t v = 0;
    pci_host_ecam(&h, PCI_ECAM_BUS_SIZE + ecam_off(SLOT, 0), 4, false, &v);
    CHECK_EQ(v, 0xffffffff); /* bus 1 */
    pci_host_ecam(&h, ecam_off(SLOT, 0) | 1 << 12, 2, false, &v);
    CHECK_EQ(v, 0xffff); /* function 1 */
    pci_host_ecam(&h, 1ull << 40, 4, false, &v);
    CHECK_EQ(v, 0xffffffff); /* far past 256 buses */
    cfg_write(&h, SLOT + 1, 4, 4, 0xffffffff);
    CHECK_EQ(cfg_read(&h, SLOT + 1, 4, 4), 0xffffffff);
    /* Misaligned and odd widths: all ones, reported, and ignored. */
    reports = 0;
    CHECK_EQ(cfg_read(&h, SLOT, 1, 2), 0xffff);
    CHECK_EQ(cfg_read(&h, SLOT, 0, 3), 0xffffff);
    CHECK_EQ(cfg_read(&h, SLOT, 0, 8), UINT64_MAX);
    cfg_write(&h, SLOT, 4, 8, 0xffffffffffffffff);
    CHECK_EQ(reports, 4);
    CHECK_EQ(d.f.command, 0);
    /* Refused: a taken slot, no slot, malformed functions. */
    fake_init(&bad, CAPS_LEN, VECTORS);
    CHECK(!pci_host_attach(&h, SLOT, &bad.f));
    CHECK(!pci_host_attach(&h, PCI_SLOTS, &bad.f));
    bad.f.msix_vectors = PCI_MSIX_MAX + 1;
    CHECK(!pci_host_attach(&h, 0, &bad.f));
    fake_init(&bad, CAPS_LEN, VECTORS);
    bad.f.bar[5] = (struct pci_bar){ .kind = PCI_BAR_MEM64, .size = 0x1000 };
    CHECK(!pci_host_attach(&h, 0, &bad.f));
    fake_init(&bad, CAPS_LEN, VECTORS);
    bad.f.bar[0].size = 0x1800;
    CHECK(!pci_host_attach(&h, 0, &bad.f));
    fake_init(&bad, CAPS_LEN, VECTORS);
    bad.f.msix_bar = 1; /* an I/O BAR */
    CHECK(!pci_host_attach(&h, 0, &bad.f));
    fake_init(&bad, PCI_CONFIG_SIZE - PCI_CAPS_BASE - 8, VECTORS);
    CHECK(!pci_host_attach(&h, 0, &bad.f));
    fake_init(&bad, CAPS_LEN, VECTORS);
    CHECK(pci_host_attach(&h, 0, &bad.f));
}

static void test_identity(void)
{
    struct pci_host h;
    struct fake d;
    host_init(&h);
    fake_init(&d, CAPS_LEN, VECTORS);
    CHECK(pci_host_attach(&h, SLOT, &d.f));
    CHECK_EQ(cfg_read(&h, SLOT, 0x00, 2), 0x1af4);
    CHECK_EQ(cfg_read(&h, SLOT, 0x02, 2), 0x1041);
    CHECK_EQ(cfg_read(&h, SLOT, 0x01, 1), 0x1a);
    CHECK_EQ(cfg_read(&h, SLOT, 0x08, 4), 0x02800001);
    CHECK_EQ(cfg_read(&h, SLOT, 0x0b, 1), 0x02);
    CHECK_EQ(cfg_read(&h, SLOT, 0x0e, 1), 0x00); /* header type 0 */
    CHECK_EQ(cfg_read(&h, SLOT, 0x2c, 4), 0x00011af4);
    CHECK_EQ(cfg_read(&h, SLOT, 0x2e, 2), 0x0001);
    cfg_write(&h, SLOT, 0x30, 4, 0xffffffff);
    CHECK_EQ(cfg_read(&h, SLOT, 0x30, 4), 0); /* no expansion ROM */
    cfg_write(&h, SLOT, 0x3c, 1, 11);
    cfg_write(&h, SLOT, 0x3d, 1, 4);
    CHECK_EQ(cfg_read(&h, SLOT, 0x3c, 2), 0x010b); /* line written, pin kept */
    cfg_write(&h, SLOT, 0x0d, 1, 0x40);
    CHECK_EQ(cfg_read(&h, SLOT, 0x0c, 4), 0x4000); /* latency timer */
    cfg_write(&h, SLOT, 0x00, 4, 0);
    CHECK_EQ(cfg_read(&h, SLOT, 0x00, 4), 0x10411af4);
    cfg_write(&h, SLOT, 0x100, 4, 0xffffffff);
    CHECK_EQ(cfg_read(&h, SLOT, 0x100, 4), 0);
    CHECK_EQ(cfg_read(&h, SLOT, 0xffc, 4), 0);
    CHECK_EQ(cfg_read(&h, SLOT, 0xf0, 4), 0);
}

static void test_bar_sizing(void)
{
    struct fake d;
    uint64_t v = 0xffffffff;
    fake_init(&d, CAPS_LEN, VECTORS);
    for (unsigned reg = 0x10; reg < 0x28; reg += 4) {
        pci_config_access(&d.f, reg, 4, true, &v);
    }
    uint32_t expect[PCI_BARS] = { 0xfffff000, 0xffffffe1, 0xffffc00c, 0xffffffff, 0xfffff000, 0 };
    for (unsigned i = 0; i < PCI_BARS; i++) {
        pci_config_access(&d.f, 0x10 + 4 * i, 4, false, &v);
        CHECK_EQ(v, expect[i]);
    }
    /* Programmed addresses; a 64-bit BAR's two halves. */
    v = 0x12345678;
    pci_config_access(&d.f, 0x18, 4, true, &v);
    v = 0x5;
    pci_config_access(&d.f, 0x1c, 4, true, &v);
    CHECK_EQ(d.f.bar[2].base, 0x512344000);
    pci_config_access(&d.f, 0x18, 4, false, &v);
    CHECK_EQ(v, 0x1234400c);
    pci_config_access(&d.f, 0x1c, 4, false, &v);
    CHECK_EQ(v, 0x5);
    /* Byte writes merge into the dword, the size bits staying 0. */
    v = 0xfe000000;
    pci_config_access(&d.f, 0x10, 4, true, &v);
    v = 0x34;
    pci_config_access(&d.f, 0x12, 1, true, &v);
    v = 0xff;
    pci_config_access(&d.f, 0x10, 1, true, &v);
    pci_config_access(&d.f, 0x10, 4, false, &v);
    CHECK_EQ(v, 0xfe340000);
    CHECK_EQ(d.f.bar[0].base, 0xfe340000);
    v = 0;
    pci_config_access(&d.f, 0x14, 4, true, &v);
    v = 0xabcd;
    pci_config_access(&d.f, 0x16, 2, true, &v);
    pci_config_access(&d.f, 0x14, 2, false, &v);
    CHECK_EQ(v, 0x0001); /* I/O bit, base bits below 32 bytes zero */
    pci_config_access(&d.f, 0x16, 2, false, &v);
    CHECK_EQ(v, 0xabcd);
}

static void test_command_status(void)
{
    struct fake d;
    uint64_t v = 0xffff;
    fake_init(&d, CAPS_LEN, VECTORS);
    pci_config_access(&d.f, 0x04, 2, true, &v);
    pci_config_access(&d.f, 0x04, 4, false, &v);
    CHECK_EQ(v, 0x00100407); /* capability list in status */
    v = 0xffff;
    pci_config_access(&d.f, 0x06, 2, true, &v);
    v = 0;
    pci_config_access(&d.f, 0x05, 1, true, &v); /* clears INTx disable only */
    pci_config_access(&d.f, 0x04, 4, false, &v);
    CHECK_EQ(v, 0x00100007);
    pci_config_access(&d.f, 0x06, 1, false, &v);
    CHECK_EQ(v, 0x10);
    /* No capability at all: pointer 0, status bit 4 clear. */
    fake_init(&d, 0, 0);
    pci_config_access(&d.f, 0x34, 1, false, &v);
    CHECK_EQ(v, 0);
    pci_config_access(&d.f, 0x06, 2, false, &v);
    CHECK_EQ(v, 0);
}

/* Follows the list from 0x34; returns the IDs found, the first in the low byte. */
static uint64_t cap_walk(struct pci_function *f, unsigned *offsets)
{
    uint64_t ids = 0, v;
    pci_config_access(f, 0x34, 1, false, &v);
    for (unsigned n = 0; v && n < 8; n++) {
        unsigned at = (unsigned)v;
        offsets[n] = at;
        pci_config_access(f, at, 1, false, &v);
        ids |= v << (8 * n);
        pci_config_access(f, at + 1, 1, false, &v);
    }
    return ids;
}

static void test_capabilities(void)
{
    struct fake d;
    unsigned at[8] = { 0 };
    uint64_t v;
    fake_init(&d, CAPS_LEN, VECTORS);
    CHECK_EQ(cap_walk(&d.f, at), 0x1109);
    CHECK_EQ(at[0], 0x40);
    CHECK_EQ(at[1], 0x48);
    CHECK_EQ(pci_msix_cap_offset(&d.f), 0x48);
    pci_config_access(&d.f, 0x48, 4, false, &v);
    CHECK_EQ(v, 0x00030011); /* table size 4 */
    pci_config_access(&d.f, 0x4c, 4, false, &v);
    CHECK_EQ(v, MSIX_BAR);
    pci_config_access(&d.f, 0x50, 4, false, &v);
    CHECK_EQ(v, 0x800 | MSIX_BAR);
    pci_config_access(&d.f, 0x54, 4, false, &v);
    CHECK_EQ(v, 0);
    /* Only enable and function mask are writable; table and PBA words are read-only. */
    v = 0xffff;
    pci_config_access(&d.f, 0x4a, 2, true, &v);
    pci_config_access(&d.f, 0x4a, 2, false, &v);
    CHECK_EQ(v, 0xc003);
    v = 0x1234;
    pci_config_access(&d.f, 0x4c, 4, true, &v);
    pci_config_access(&d.f, 0x4c, 4, false, &v);
    CHECK_EQ(v, MSIX_BAR);
    /* The device's capability gets its accesses as they come. */
    v = 0xbeef;
    pci_config_access(&d.f, 0x44, 2, true, &v);
    pci_config_access(&d.f, 0x44, 4, false, &v);
    CHECK_EQ(v, 0xbeef);
    pci_config_access(&d.f, 0x42, 1, false, &v);
    CHECK_EQ(v, CAPS_LEN);
    /* Capabilities of 6 bytes: MSI-X at 0x48, the dword across their end split. */
    fake_init(&d, 6, VECTORS);
    d.cap[5] = 0x77;
    CHECK_EQ(pci_msix_cap_offset(&d.f), 0x48);
    pci_config_access(&d.f, 0x44, 4, false, &v);
    CHECK_EQ(v, 0x7700);
    /* Without the device's: straight to MSI-X. */
    fake_init(&d, 0, VECTORS);
    CHECK_EQ(cap_walk(&d.f, at), 0x11);
    CHECK_EQ(at[0], 0x40);
}

static bool bar_io(struct pci_host *h, bool io, uint64_t addr, unsigned width, bool write,
                   uint64_t *v, bool *ok)
{
    *ok = true;
    return pci_host_bar_access(h, io, addr, width, write, v, ok);
}

/* An MSI-X table or PBA access that the host claims; returns whether it was taken. */
static bool msix_io(struct pci_host *h, struct fake *d, uint64_t off, unsigned width, bool write,
                    uint64_t *v)
{
    bool ok;
    CHECK(bar_io(h, false, d->f.bar[MSIX_BAR].base + off, width, write, v, &ok));
    return ok;
}

static uint64_t pba(struct pci_host *h, struct fake *d)
{
    uint64_t v = 0;
    CHECK(msix_io(h, d, 0x800, 8, false, &v));
    return v;
}

static void test_msix(void)
{
    struct pci_host h;
    struct fake d;
    uint64_t v;
    host_init(&h);
    fake_init(&d, CAPS_LEN, VECTORS);
    CHECK(pci_host_attach(&h, SLOT, &d.f));
    CHECK(pci_host_place(&h));
    CHECK(!pci_msix_notify(&d.f, 0)); /* disabled: the device uses INTx */
    v = 0xfee00000;
    CHECK(msix_io(&h, &d, 0x10, 4, true, &v));
    v = 0;
    CHECK(msix_io(&h, &d, 0x14, 4, true, &v));
    v = 0x4041;
    CHECK(msix_io(&h, &d, 0x18, 4, true, &v));
    CHECK(msix_io(&h, &d, 0x1c, 4, false, &v));
    CHECK_EQ(v, 1); /* masked at reset */
    cfg_write(&h, SLOT, 0x4a, 2, 0x8000);
    CHECK_EQ(cfg_read(&h, SLOT, 0x4a, 2), 0x8003);
    /* Masked: pending, then sent at the unmask with the programmed message. */
    CHECK(pci_msix_notify(&d.f, 1));
    CHECK_EQ(d.sends, 0);
    CHECK_EQ(pba(&h, &d), 0x2);
    CHECK(msix_io(&h, &d, 0x800, 4, false, &v));
    CHECK_EQ(v, 0x2);
    v = 0;
    CHECK(msix_io(&h, &d, 0x1c, 4, true, &v));
    CHECK_EQ(d.sends, 1);
    CHECK_EQ(d.msi_address, 0xfee00000);
    CHECK_EQ(d.msi_data, 0x4041);
    CHECK_EQ(pba(&h, &d), 0);
    CHECK(pci_msix_notify(&d.f, 1));
    CHECK_EQ(d.sends, 2);
    /* The function mask holds every vector. */
    cfg_write(&h, SLOT, 0x4b, 1, 0xc0);
    CHECK(pci_msix_notify(&d.f, 1));
    CHECK_EQ(d.sends, 2);
    CHECK_EQ(pba(&h, &d), 0x2);
    cfg_write(&h, SLOT, 0x4b, 1, 0x80);
    CHECK_EQ(d.sends, 3);
    CHECK_EQ(pba(&h, &d), 0);
    /* No vector, or none in the table: nothing sent, nothing pending. */
    CHECK(pci_msix_notify(&d.f, PCI_NO_VECTOR));
    CHECK(pci_msix_notify(&d.f, VECTORS));
    CHECK(pci_msix_notify(&d.f, 1000));
    CHECK_EQ(d.sends, 3);
    CHECK_EQ(pba(&h, &d), 0);
    /* Widths 1 and 2, misaligned qwords, entries past the table, PBA writes: refused. */
    CHECK(!msix_io(&h, &d, 0x10, 1, false, &v));
    CHECK_EQ(v, 0);
    CHECK(!msix_io(&h, &d, 0x12, 2, true, &v));
    CHECK(!msix_io(&h, &d, 0x14, 8, false, &v));
    CHECK(!msix_io(&h, &d, 0x11, 4, false, &v));
    CHECK(!msix_io(&h, &d, VECTORS * 16, 4, false, &v));
    CHECK(!msix_io(&h, &d, 0x800, 8, true, &v));
    CHECK(!msix_io(&h, &d, 0x808, 4, false, &v));
    CHECK_EQ(d.msi_address, 0xfee00000);
    /* The address pair in one qword; data and control in another, which unmasks. */
    v = 0x00000001fee01000;
    CHECK(msix_io(&h, &d, 0x20, 8, true, &v));
    CHECK(msix_io(&h, &d, 0x24, 4, false, &v));
    CHECK_EQ(v, 1);
    CHECK(msix_io(&h, &d, 0x20, 4, false, &v));
    CHECK_EQ(v, 0xfee01000);
    CHECK(pci_msix_notify(&d.f, 2));
    v = 0x0000000000000055;
    CHECK(msix_io(&h, &d, 0x28, 8, true, &v));
    CHECK_EQ(d.sends, 4);
    CHECK_EQ(d.msi_address, 0x1fee01000);
    CHECK_EQ(d.msi_data, 0x55);
    /* Pending across a disable, sent at the enable. */
    v = 1;
    CHECK(msix_io(&h, &d, 0x1c, 4, true, &v));
    CHECK(pci_msix_notify(&d.f, 1));
    cfg_write(&h, SLOT, 0x4b, 1, 0);
    CHECK(!pci_msix_notify(&d.f, 1));
    v = 0;
    CHECK(msix_io(&h, &d, 0x1c, 4, true, &v));
    CHECK_EQ(d.sends, 4);
    cfg_write(&h, SLOT, 0x4b, 1, 0x80);
    CHECK_EQ(d.sends, 5);
    CHECK_EQ(d.msi_data, 0x4041);
}

static void test_bar_dispatch(void)
{
    struct pci_host h;
    struct fake d;
    uint64_t v;
    bool ok;
    host_init(&h);
    fake_init(&d, CAPS_LEN, VECTORS);
    CHECK(pci_host_attach(&h, SLOT, &d.f));
    cfg_write(&h, SLOT, 0x10, 4, 0xfe000000);
    cfg_write(&h, SLOT, 0x14, 4, 0xc000);
    cfg_write(&h, SLOT, 0x18, 4, 0);
    cfg_write(&h, SLOT, 0x1c, 4, 5);
    CHECK(!bar_io(&h, false, 0xfe000010, 4, false, &v, &ok)); /* decoding off */
    cfg_write(&h, SLOT, 0x04, 2, 0x2);
    v = 0;
    CHECK(bar_io(&h, false, 0xfe000010, 4, false, &v, &ok));
    CHECK(ok);
    CHECK_EQ(v, 0x1010);
    CHECK_EQ(d.bar, 0);
    CHECK_EQ(d.off, 0x10);
    CHECK_EQ(d.width, 4);
    CHECK(!bar_io(&h, true, 0xfe000010, 4, false, &v, &ok)); /* memory, not I/O */
    CHECK(!bar_io(&h, false, 0xfe001000, 4, false, &v, &ok));
    /* Past the end: claimed and refused, the device not asked. */
    unsigned calls = d.bar_calls;
    CHECK(bar_io(&h, false, 0xfe000ffe, 4, false, &v, &ok));
    CHECK(!ok);
    CHECK_EQ(v, 0);
    CHECK_EQ(d.bar_calls, calls);
    CHECK(bar_io(&h, false, 0xfe000fff, 1, true, &v, &ok));
    CHECK(ok);
    CHECK(d.write);
    CHECK(bar_io(&h, false, 0xfe000100, 4, false, &v, &ok)); /* the device refuses it */
    CHECK(!ok);
    CHECK_EQ(v, 0);
    /* The 64-bit BAR, the I/O BAR once enabled. */
    CHECK(bar_io(&h, false, 0x500003ff8, 8, false, &v, &ok));
    CHECK(ok);
    CHECK_EQ(d.bar, 2);
    CHECK_EQ(d.off, 0x3ff8);
    CHECK_EQ(d.width, 8);
    CHECK(!bar_io(&h, true, 0xc004, 2, false, &v, &ok));
    cfg_write(&h, SLOT, 0x04, 2, 0x3);
    CHECK(bar_io(&h, true, 0xc01f, 1, false, &v, &ok));
    CHECK(ok);
    CHECK_EQ(d.bar, 1);
    CHECK_EQ(d.off, 0x1f);
    /* A BAR at 0 is not decoded. */
    cfg_write(&h, SLOT, 0x10, 4, 0);
    CHECK(!bar_io(&h, false, 0x10, 4, false, &v, &ok));
}

static void cf8(struct pci_host *h, uint32_t value)
{
    uint64_t v = value;
    CHECK(pci_host_io(h, 0xcf8, 4, true, &v));
}

static uint64_t port_read(struct pci_host *h, uint16_t port, unsigned width)
{
    uint64_t v = 0;
    CHECK(pci_host_io(h, port, width, false, &v));
    return v;
}

static void test_cf8(void)
{
    struct pci_host h;
    struct fake d;
    uint64_t v = 0;
    host_init(&h);
    fake_init(&d, CAPS_LEN, VECTORS);
    CHECK(pci_host_attach(&h, SLOT, &d.f));
    cf8(&h, 0x80000000u | SLOT << 11);
    CHECK_EQ(port_read(&h, 0xcf8, 4), 0x80000000u | SLOT << 11);
    CHECK_EQ(port_read(&h, 0xcfc, 4), 0x10411af4);
    CHECK_EQ(port_read(&h, 0xcfe, 1), 0x41);
    CHECK_EQ(port_read(&h, 0xcff, 1), 0x10);
    CHECK_EQ(port_read(&h, 0xcfe, 2), 0x1041);
    cf8(&h, SLOT << 11); /* enable clear */
    CHECK_EQ(port_read(&h, 0xcfc, 4), 0xffffffff);
    CHECK_EQ(port_read(&h, 0xcfd, 1), 0xff);
    cf8(&h, 0x80000000u | SLOT << 11 | 0x10);
    v = 0xfeed;
    CHECK(pci_host_io(&h, 0xcfe, 2, true, &v));
    CHECK_EQ(cfg_read(&h, SLOT, 0x10, 4), 0xfeed0000);
    cf8(&h, 0x80000000u | 5 << 11);
    CHECK_EQ(port_read(&h, 0xcfc, 4), 0xffffffff); /* no function in slot 5 */
    cf8(&h, 0x80010000u | SLOT << 11);
    CHECK_EQ(port_read(&h, 0xcfc, 2), 0xffff); /* bus 1 */
    cf8(&h, 0xffffffff);
    CHECK_EQ(port_read(&h, 0xcf8, 4), 0x8ffffffc);
    reports = 0;
    CHECK_EQ(port_read(&h, 0xcfd, 2), 0xffff);
    CHECK_EQ(reports, 1);
    /* The mechanism select byte at 0xcfb: taken, ignored, reads 0. */
    v = 1;
    CHECK(pci_host_io(&h, 0xcfb, 1, true, &v));
    v = 0x55;
    CHECK(pci_host_io(&h, 0xcfb, 1, false, &v));
    CHECK_EQ(v, 0);
    /* Not these: other narrower accesses to 0xcf8-0xcfb (0xcf9 resets), other ports. */
    CHECK(!pci_host_io(&h, 0xcf8, 1, false, &v));
    CHECK(!pci_host_io(&h, 0xcf9, 1, true, &v));
    CHECK(!pci_host_io(&h, 0xcfa, 2, false, &v));
    CHECK(!pci_host_io(&h, 0xd00, 1, false, &v));
    CHECK(!pci_host_io(&h, 0x80, 1, false, &v));
    CHECK_EQ(port_read(&h, 0xcf8, 4), 0x8ffffffc);
}

static void test_intx(void)
{
    struct fake d;
    uint64_t v;
    fake_init(&d, CAPS_LEN, VECTORS);
    pci_intx(&d.f, true);
    pci_intx(&d.f, true);
    CHECK_EQ(d.intx_calls, 1);
    CHECK(d.intx_level);
    pci_config_access(&d.f, 0x06, 1, false, &v);
    CHECK_EQ(v, 0x18);
    v = 0x04;
    pci_config_access(&d.f, 0x05, 1, true, &v); /* INTx disable */
    CHECK_EQ(d.intx_calls, 2);
    CHECK(!d.intx_level);
    pci_config_access(&d.f, 0x06, 1, false, &v);
    CHECK_EQ(v, 0x18); /* the device's level, whatever the line does */
    pci_intx(&d.f, false);
    pci_intx(&d.f, true);
    CHECK_EQ(d.intx_calls, 2);
    v = 0;
    pci_config_access(&d.f, 0x05, 1, true, &v);
    CHECK_EQ(d.intx_calls, 3);
    CHECK(d.intx_level);
    pci_intx(&d.f, false);
    CHECK_EQ(d.intx_calls, 4);
    CHECK(!d.intx_level);
    pci_config_access(&d.f, 0x06, 1, false, &v);
    CHECK_EQ(v, 0x10);
}

struct placed {
    uint64_t base, size;
};

/* Every BAR placed: aligned, inside its window, overlapping no other of its space. */
static void check_placement(const struct pci_host *h, struct fake *d, unsigned n)
{
    struct placed mem[32], io[32];
    unsigned nmem = 0, nio = 0;
    for (unsigned k = 0; k < n; k++) {
        CHECK_EQ(d[k].f.command, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
        for (unsigned i = 0; i < PCI_BARS; i++) {
            const struct pci_bar *b = &d[k].f.bar[i];
            bool in64 = b->kind == PCI_BAR_MEM64 && h->mem64_size;
            uint64_t lo = b->kind == PCI_BAR_IO ? h->io_base : in64 ? h->mem64_base : h->mem32_base;
            uint64_t len = b->kind == PCI_BAR_IO ? h->io_size
                           : in64                ? h->mem64_size
                                                 : h->mem32_size;
            if (b->kind == PCI_BAR_NONE) {
                continue;
            }
            CHECK(b->base != 0);
            CHECK_EQ(b->base % b->size, 0);
            CHECK(b->base >= lo && b->base + b->size <= lo + len);
            struct placed *p = b->kind == PCI_BAR_IO ? &io[nio++] : &mem[nmem++];
            *p = (struct placed){ b->base, b->size };
        }
    }
    for (unsigned a = 0; a < nmem; a++) {
        for (unsigned b = 0; b < a; b++) {
            CHECK(mem[a].base + mem[a].size <= mem[b].base ||
                  mem[b].base + mem[b].size <= mem[a].base);
        }
    }
    for (unsigned a = 0; a < nio; a++) {
        for (unsigned b = 0; b < a; b++) {
            CHECK(io[a].base + io[a].size <= io[b].base || io[b].base + io[b].size <= io[a].base);
        }
    }
}

static void test_place(void)
{
    struct pci_host h;
    struct fake d[4];
    host_init(&h);
    h.io_base = 0; /* the first I/O BAR must not land at 0 */
    for (unsigned k = 0; k < 4; k++) {
        fake_init(&d[k], CAPS_LEN, VECTORS);
        d[k].f.bar[0].size = 0x1000u << k;
        CHECK(pci_host_attach(&h, 7 * k, &d[k].f));
    }
    d[3].f.bar[2].size = 0x10000000; /* 256 MiB */
    CHECK(pci_host_place(&h));
    check_placement(&h, d, 4);
    CHECK(d[3].f.bar[2].base >= h.mem64_base);
    /* Without a 64-bit window, 64-bit BARs below 4 GiB. */
    h.mem64_size = 0;
    h.io_base = 0xc000;
    d[3].f.bar[2].size = 0x100000;
    CHECK(pci_host_place(&h));
    check_placement(&h, d, 4);
    CHECK(d[3].f.bar[2].base + d[3].f.bar[2].size <= 1ull << 32);
    /* A function with no BAR stays without decoding. */
    struct fake none;
    fake_init(&none, 0, 0);
    memset(none.f.bar, 0, sizeof(none.f.bar));
    CHECK(pci_host_attach(&h, 30, &none.f));
    CHECK(pci_host_place(&h));
    CHECK_EQ(none.f.command, 0);
    /* Too small a window: false, and nothing written. */
    struct pci_host small;
    struct fake e[2];
    host_init(&small);
    small.mem32_size = 0x6000;
    small.mem64_size = 0;
    for (unsigned k = 0; k < 2; k++) {
        fake_init(&e[k], CAPS_LEN, VECTORS);
        CHECK(pci_host_attach(&small, k, &e[k].f));
    }
    CHECK(!pci_host_place(&small));
    for (unsigned k = 0; k < 2; k++) {
        CHECK_EQ(e[k].f.command, 0);
        CHECK_EQ(e[k].f.bar[0].base | e[k].f.bar[2].base | e[k].f.bar[4].base, 0);
    }
    small.mem32_size = 0xb000;
    CHECK(!pci_host_place(&small));
    small.mem32_size = 0xc000; /* 2 × (16 KiB + 4 KiB + 4 KiB), packed */
    CHECK(pci_host_place(&small));
    check_placement(&small, e, 2);
    small.io_size = 0x20;
    CHECK(!pci_host_place(&small));
}

static uint64_t rng = 0x9e3779b97f4a7c15;

static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void fuzz_step(struct pci_host *h, struct fake *d, unsigned n)
{
    static const unsigned widths[] = { 1, 2, 4, 8, 1, 2, 4, 0, 3, 16 };
    uint64_t r = next_random(), v = next_random();
    unsigned width = widths[r % 10];
    bool write = (r >> 8) & 1, ok;
    struct fake *dev = &d[(r >> 16) % n];
    switch ((r >> 4) % 6) {
    case 0:
        pci_host_ecam(h, (r >> 20) % (2 * PCI_ECAM_BUS_SIZE), width, write, &v);
        break;
    case 1:
        pci_host_ecam(h, (uint64_t)dev->f.slot << 15 | ((r >> 24) & 0xff), width, write, &v);
        break;
    case 2:
        pci_host_io(h, (uint16_t)(0xcf6 + (r >> 24) % 12), width, write, &v);
        break;
    case 3: {
        const struct pci_bar *b = &dev->f.bar[(r >> 24) % PCI_BARS];
        pci_host_bar_access(h, b->kind == PCI_BAR_IO, b->base + (r >> 32) % (b->size + 16), width,
                            write, &v, &ok);
        break;
    }
    case 4:
        pci_intx(&dev->f, write);
        break;
    default:
        pci_msix_notify(&dev->f, (r >> 24) % 8 == 0 ? PCI_NO_VECTOR : (unsigned)(r >> 24) % 70);
        break;
    }
}

static void test_random_accesses(void)
{
    struct pci_host h;
    struct fake d[3];
    unsigned slots[3] = { 0, SLOT, 31 };
    host_init(&h);
    for (unsigned k = 0; k < 3; k++) {
        fake_init(&d[k], k == 1 ? 6 : CAPS_LEN, k == 2 ? 0 : (unsigned)PCI_MSIX_MAX >> k);
        CHECK(pci_host_attach(&h, slots[k], &d[k].f));
    }
    CHECK(pci_host_place(&h));
    for (unsigned i = 0; i < 100000; i++) {
        fuzz_step(&h, d, 3);
    }
    for (unsigned k = 0; k < 3; k++) {
        struct pci_function *f = &d[k].f;
        CHECK_EQ(f->command & ~0x407u, 0);
        CHECK_EQ(f->msix_control & ~0xc000u, 0);
        CHECK_EQ(f->intx_line, f->intx_asserted && !(f->command & PCI_COMMAND_INTX_DISABLE));
        CHECK_EQ(d[k].intx_level, f->intx_line);
        CHECK(f->msix_vectors == PCI_MSIX_MAX || f->msix_pending >> f->msix_vectors == 0);
        CHECK_EQ(cfg_read(&h, slots[k], 0, 4), 0x10411af4);
    }
}

int main(void)
{
    test_absent();
    test_identity();
    test_bar_sizing();
    test_command_status();
    test_capabilities();
    test_msix();
    test_bar_dispatch();
    test_cf8();
    test_intx();
    test_place();
    test_random_accesses();
    return unit_done("test_vmm_pci");
}
