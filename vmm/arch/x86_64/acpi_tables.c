// SPDX-License-Identifier: MIT
/*
 * The guest's ACPI tables (acpi_tables.h). Field offsets are the ACPI specification's (6.4:
 * 5.2.5.3 RSDP, 5.2.8 XSDT, 5.2.9 FADT, 5.2.10 FACS, 5.2.12 MADT) and the PCI Firmware
 * Specification's (3.2 4.1.2 MCFG); every table is checksummed. The area:
 *
 *   0x000 RSDP   0x040 XSDT (FADT, MADT[, MCFG])   0x100 FADT   0x240 FACS
 *   0x280 MCFG (with a PCI host bridge)            0x300 MADT (at most 255 CPUs: 0xb44 bytes)
 *   0xc00 DSDT (its AML is made here, bounded by the area)
 *
 * With a PCI host bridge the DSDT is, in ASL (ACPI 6.4 19.6; the encodings of 20.2 and 6.4.3.5):
 *
 *   Scope (\_SB) {
 *       Device (PCI0) {
 *           Name (_HID, EisaId ("PNP0A08"))    // PCI Express root bridge
 *           Name (_CID, EisaId ("PNP0A03"))    // PCI root bridge
 *           Name (_SEG, Zero)
 *           Name (_BBN, Zero)
 *           Name (_UID, Zero)
 *           Name (_CRS, ResourceTemplate () {
 *               WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
 *                              0, 0, 0, 0, 1)
 *               WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
 *                       0, 0x0d00, 0xffff, 0, 0xf300)
 *               DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable,
 *                            ReadWrite, 0, mem32_base, mem32_base + mem32_size - 1, 0, mem32_size)
 *               QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable,
 *                            ReadWrite, 0, mem64_base, mem64_base + mem64_size - 1, 0, mem64_size)
 *           })                                 // (the QWordMemory only with a 64-bit window)
 *           Name (_PRT, Package () {           // (only with INTx lines: an entry a slot)
 *               Package () { 0x0001FFFF, 0, 0, 17 }   // e.g. slot 1's INTA on GSI 17
 *               ...
 *           })
 *       }
 *       Device (MRES) {
 *           Name (_HID, EisaId ("PNP0C02"))    // motherboard resources
 *           Name (_CRS, ResourceTemplate () {
 *               DWordMemory (ResourceConsumer, PosDecode, MinFixed, MaxFixed, NonCacheable,
 *                            ReadWrite, 0, ecam_base, ecam_base + 0xfffff, 0, 0x100000)
 *           })
 *       }
 *   }
 *
 * The I/O window is QEMU's (above the configuration ports; harmless, there are no I/O BARs). No
 * _OSC: Linux then leaves the native PCIe services (hotplug, AER, PME, ASPM) off and says "_OSC:
 * platform retains control of PCIe features (AE_NOT_FOUND)"; MSI and MSI-X are not among them.
 * MRES is what makes Linux use ECAM: it takes an MCFG entry only when the window is reserved, in
 * a PNP0C01/PNP0C02 device's _CRS (looked at once the namespace is loaded) or in the E820 map
 * (arch/x86/pci/mmconfig-shared.c, pci_mmcfg_check_reserved()); else it says "not using
 * MMCONFIG" and configures through ports 0xcf8-0xcff only. _PRT is where Linux finds a
 * function's INTx line when it does not use MSI-X (drivers/acpi/pci_irq.c); a slot without an
 * entry gets "PCI INT A: no GSI".
 */
#include "acpi_tables.h"
#include <stdbool.h>
#include <string.h>

enum {
    RSDP = 0x0,
    XSDT = 0x40,
    FADT = 0x100,
    FACS = 0x240,
    MCFG = 0x280,
    MADT = 0x300,
    DSDT = 0xc00
};
#define HEADER 36
#define FADT_LEN 276
#define FACS_LEN 64
#define MCFG_LEN (HEADER + 8 + 16)
#define MADT_LEN(cpus) (HEADER + 8 + 8 * (cpus) + 12 + 10 * 2)
_Static_assert(MCFG + MCFG_LEN <= MADT && MADT + MADT_LEN(255) <= DSDT, "the layout");

static void wr(uint8_t *p, unsigned off, unsigned n, uint64_t v)
{
    for (unsigned i = 0; i < n; i++) {
        p[off + i] = (uint8_t)(v >> (8 * i));
    }
}

static uint8_t checksum(const uint8_t *p, unsigned n)
{
    uint8_t sum = 0;
    for (unsigned i = 0; i < n; i++) {
        sum = (uint8_t)(sum + p[i]);
    }
    return (uint8_t)-sum;
}

/* A system description table's header; the checksum comes last (seal). */
static void header(uint8_t *t, const char *sig, unsigned len, uint8_t revision)
{
    memcpy(t, sig, 4);
    wr(t, 4, 4, len);
    t[8] = revision;
    memcpy(t + 10, "KEEL  ", 6);
    memcpy(t + 16, "KEELVM  ", 8);
    wr(t, 24, 4, 1);
    memcpy(t + 28, "KEEL", 4);
    wr(t, 32, 4, 1);
}

/* A table's length (its header's, at 4). */
static uint32_t table_len(const uint8_t *t)
{
    return (uint32_t)(t[4] | t[5] << 8 | t[6] << 16 | (uint32_t)t[7] << 24);
}

static void seal(uint8_t *t)
{
    t[9] = 0;
    t[9] = checksum(t, table_len(t));
}

/* A generic address structure: I/O port space, width bits, byte access. */
static void gas_io(uint8_t *p, unsigned bits, uint64_t port)
{
    p[0] = 1;
    p[1] = (uint8_t)bits;
    p[2] = 0;
    p[3] = bits <= 8 ? 1 : bits <= 16 ? 2 : 3;
    wr(p, 4, 8, port);
}

/*
 * AML made byte by byte (ACPI 6.4 20.2) into a bounded buffer: past its end nothing is written
 * and `full` says the table did not fit. A package (Scope, Device, Buffer) is made as its body
 * first; aml_close() then puts its PkgLength in front, in the fewest bytes that hold it.
 */
struct aml {
    uint8_t *p;
    unsigned len, cap;
    bool full;
};

enum {
    AML_ZERO = 0x00,
    AML_NAME = 0x08,
    AML_BYTE = 0x0a,
    AML_WORD = 0x0b,
    AML_DWORD = 0x0c,
    AML_QWORD = 0x0e,
    AML_SCOPE = 0x10,
    AML_BUFFER = 0x11,
    AML_PACKAGE = 0x12,
    AML_EXT = 0x5b,
    AML_DEVICE = 0x82, /* after AML_EXT */
};

/* Inserts n bytes at offset at (<= a->len), moving what follows. */
static void aml_insert(struct aml *a, unsigned at, const uint8_t *b, unsigned n)
{
    if (a->full || n > a->cap - a->len) {
        a->full = true;
        return;
    }
    memmove(a->p + at + n, a->p + at, a->len - at);
    memcpy(a->p + at, b, n);
    a->len += n;
}

static void aml_bytes(struct aml *a, const void *b, unsigned n)
{
    aml_insert(a, a->len, b, n);
}

static void aml_byte(struct aml *a, uint8_t b)
{
    aml_bytes(a, &b, 1);
}

/* An integer's encoding (20.2.3 ComputationalData): ZeroOp, OneOp or the smallest prefix. */
static unsigned aml_encode_integer(uint8_t *b, uint64_t v)
{
    if (v <= 1) {
        b[0] = (uint8_t)v; /* ZeroOp, OneOp */
        return 1;
    }
    unsigned n = v <= 0xff ? 1 : v <= 0xffff ? 2 : v <= 0xffffffffu ? 4 : 8;
    b[0] = n == 1 ? AML_BYTE : n == 2 ? AML_WORD : n == 4 ? AML_DWORD : AML_QWORD;
    wr(b, 1, n, v);
    return 1 + n;
}

static void aml_integer(struct aml *a, uint64_t v)
{
    uint8_t b[9];
    aml_bytes(a, b, aml_encode_integer(b, v));
}

/* Where a package's body starts; aml_close() ends it. */
static unsigned aml_open(const struct aml *a)
{
    return a->len;
}

/* Puts the PkgLength of the body from start to here in front of it (20.2.4: it counts its own
 * bytes; one byte holds up to 63, else bits 7:6 say how many follow, bits 3:0 are the low nibble
 * and each following byte the next eight bits). */
static void aml_close(struct aml *a, unsigned start)
{
    unsigned body = a->len - start, n = 1;
    while (n < 4 && body + n > (n == 1 ? 0x3fu : (1u << (4 + 8 * (n - 1))) - 1)) {
        n++;
    }
    unsigned total = body + n;
    uint8_t b[4];
    if (n == 1) {
        b[0] = (uint8_t)total;
    } else {
        b[0] = (uint8_t)((n - 1) << 6 | (total & 0xf));
        for (unsigned i = 1; i < n; i++) {
            b[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
        }
    }
    aml_insert(a, start, b, n);
}

/* Name (seg, ...): the value follows. seg is one 4-character NameSeg. */
static void aml_name(struct aml *a, const char *seg)
{
    aml_byte(a, AML_NAME);
    aml_bytes(a, seg, 4);
}

/* EisaId ("LLLhhhh"): a DWordConst of three 5-bit letters (A = 1) and four hex digits, in the
 * order they are written (PNP0A08: 41 d0 0a 08). */
static void aml_eisa_id(struct aml *a, const char *id)
{
    unsigned l[3];
    for (unsigned i = 0; i < 3; i++) {
        l[i] = (unsigned)(id[i] - 'A' + 1) & 0x1f;
    }
    unsigned hex = 0;
    for (unsigned i = 3; i < 7; i++) {
        char c = id[i];
        hex = hex << 4 | (unsigned)(c <= '9' ? c - '0' : c - 'A' + 10);
    }
    uint8_t b[5] = { AML_DWORD, (uint8_t)(l[0] << 2 | l[1] >> 3), (uint8_t)(l[1] << 5 | l[2]),
                     (uint8_t)(hex >> 8), (uint8_t)hex };
    aml_bytes(a, b, sizeof(b));
}

/* Address space descriptors (6.4.3.5.1-3): their resource type, the general flags, and for
 * memory and I/O ranges the type-specific ones. */
enum {
    RES_MEMORY = 0,
    RES_IO = 1,
    RES_BUS = 2,
    RES_CONSUMER = 1u << 0, /* (ResourceProducer: 0) */
    RES_SUB_DECODE = 1u << 1,
    RES_MIN_FIXED = 1u << 2,
    RES_MAX_FIXED = 1u << 3,
    RES_MEM_RW = 1u << 0,
    RES_MEM_CACHEABLE = 1u << 1, /* _MEM, bits 2:1: 0 non-cacheable, 1 cacheable */
    RES_IO_ENTIRE_RANGE = 3,     /* _RNG, bits 1:0: ISA and non-ISA ports */
};

/* A Word (0x88), DWord (0x87) or QWord (0x8a) address space descriptor for the fixed range
 * [min, min + len), granularity and translation 0: tag, length, type, flags, then five fields of
 * width bytes. */
static void aml_address(struct aml *a, unsigned width, uint8_t type, uint8_t flags,
                        uint8_t type_flags, uint64_t min, uint64_t len)
{
    uint8_t b[3 + 3 + 5 * 8];
    b[0] = width == 2 ? 0x88 : width == 4 ? 0x87 : 0x8a;
    wr(b, 1, 2, 3 + 5 * width);
    b[3] = type;
    b[4] = (uint8_t)(flags | RES_MIN_FIXED | RES_MAX_FIXED); /* positive decode */
    b[5] = type_flags;
    uint64_t field[5] = { 0, min, min + len - 1, 0, len };
    for (unsigned i = 0; i < 5; i++) {
        wr(b, 6 + i * width, width, field[i]);
    }
    aml_bytes(a, b, 6 + 5 * width);
}

/* Name (_CRS, ResourceTemplate () { ... }): the Buffer's size, then the descriptors made by the
 * caller between aml_crs_open() and aml_crs_close(), then the end tag (0x79, checksum 0: none). */
static unsigned aml_crs_open(struct aml *a)
{
    aml_name(a, "_CRS");
    aml_byte(a, AML_BUFFER);
    return aml_open(a);
}

static void aml_crs_close(struct aml *a, unsigned start)
{
    static const uint8_t end_tag[2] = { 0x79, 0x00 };
    aml_bytes(a, end_tag, sizeof(end_tag));
    uint8_t b[9];
    unsigned n = aml_encode_integer(b, a->len - start);
    aml_insert(a, start, b, n);
    aml_close(a, start);
}

/* Device (name) { Name (_HID, EisaId (hid)) ...: the caller adds the rest, then aml_close(). */
static unsigned aml_device_open(struct aml *a, const char *name, const char *hid)
{
    aml_byte(a, AML_EXT);
    aml_byte(a, AML_DEVICE);
    unsigned start = aml_open(a);
    aml_bytes(a, name, 4);
    aml_name(a, "_HID");
    aml_eisa_id(a, hid);
    return start;
}

/* Package (n) { ...: the caller makes the n elements, then aml_close(). */
static unsigned aml_package_open(struct aml *a, uint8_t n)
{
    aml_byte(a, AML_PACKAGE);
    unsigned start = aml_open(a);
    aml_byte(a, n); /* NumElements */
    return start;
}

/* Name (_PRT, Package () { Package () { (slot << 16) | 0xffff, 0, 0, gsi }, ... }) for the slots
 * with an INTA line, in slot order (6.2.13: any function of the slot, pin INTA, Source 0: Source
 * Index is the GSI), each integer in its smallest encoding (slot 0's address is a WordConst);
 * nothing when there is none. */
static void aml_prt(struct aml *a, const struct acpi_config *c)
{
    _Static_assert(sizeof(c->pci_intx_gsi) <= 255, "an entry a slot: NumElements is one byte");
    const unsigned slots = sizeof(c->pci_intx_gsi);
    unsigned n = 0;
    for (unsigned s = 0; s < slots; s++) {
        n += c->pci_intx_gsi[s] != 0;
    }
    if (n == 0) {
        return;
    }
    aml_name(a, "_PRT");
    unsigned prt = aml_package_open(a, (uint8_t)n);
    for (unsigned s = 0; s < slots; s++) {
        if (c->pci_intx_gsi[s] == 0) {
            continue;
        }
        unsigned entry = aml_package_open(a, 4);
        aml_integer(a, (uint64_t)s << 16 | 0xffff); /* Address: the slot, any function */
        aml_integer(a, 0);                          /* Pin: INTA */
        aml_integer(a, 0);                          /* Source: none, a GSI */
        aml_integer(a, c->pci_intx_gsi[s]);         /* Source Index: the GSI */
        aml_close(a, entry);
    }
    aml_close(a, prt);
}

/* The PCI host bridge and its ECAM reservation (the ASL at the top). */
static void aml_pci(struct aml *a, const struct acpi_config *c)
{
    aml_byte(a, AML_SCOPE);
    unsigned scope = aml_open(a);
    aml_bytes(a, "\\_SB_", 5);

    unsigned dev = aml_device_open(a, "PCI0", "PNP0A08");
    aml_name(a, "_CID");
    aml_eisa_id(a, "PNP0A03");
    aml_name(a, "_SEG");
    aml_integer(a, 0);
    aml_name(a, "_BBN");
    aml_integer(a, 0);
    aml_name(a, "_UID");
    aml_integer(a, 0);
    unsigned crs = aml_crs_open(a);
    aml_address(a, 2, RES_BUS, 0, 0, 0, 1);
    aml_address(a, 2, RES_IO, 0, RES_IO_ENTIRE_RANGE, 0x0d00, 0x10000 - 0x0d00);
    aml_address(a, 4, RES_MEMORY, 0, RES_MEM_RW, c->mem32_base, c->mem32_size);
    if (c->mem64_size) {
        aml_address(a, 8, RES_MEMORY, 0, RES_MEM_RW | RES_MEM_CACHEABLE, c->mem64_base,
                    c->mem64_size);
    }
    aml_crs_close(a, crs);
    aml_prt(a, c);
    aml_close(a, dev);

    dev = aml_device_open(a, "MRES", "PNP0C02");
    crs = aml_crs_open(a);
    aml_address(a, 4, RES_MEMORY, RES_CONSUMER, RES_MEM_RW, c->ecam_base, ACPI_ECAM_SIZE);
    aml_crs_close(a, crs);
    aml_close(a, dev);

    aml_close(a, scope);
}

/* Whether [a, a + alen) and [b, b + blen) share a byte (neither wraps). */
static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

/* A PCI description acpi_build() can give: acpi_tables.h's rules. */
static bool pci_valid(const struct acpi_config *c)
{
    const uint64_t four_gib = 1ull << 32;
    const uint64_t apic_page = 0x1000;
    if (c->ecam_base % ACPI_ECAM_SIZE || c->ecam_base >= four_gib || c->mem32_size == 0 ||
        c->mem32_base >= four_gib || c->mem32_size > four_gib - c->mem32_base ||
        c->mem64_size > UINT64_MAX - c->mem64_base) {
        return false;
    }
    const uint64_t r[5][2] = { { c->ecam_base, ACPI_ECAM_SIZE },
                               { c->mem32_base, c->mem32_size },
                               { c->mem64_base, c->mem64_size },
                               { c->lapic_base, apic_page },
                               { c->ioapic_base, apic_page } };
    for (unsigned i = 0; i < 3; i++) {
        for (unsigned j = i + 1; j < 5; j++) {
            if (overlap(r[i][0], r[i][1], r[j][0], r[j][1])) {
                return false;
            }
        }
    }
    return true;
}

uint64_t acpi_build(uint8_t *area, uint64_t size, uint64_t gpa, const struct acpi_config *c)
{
    if (c->cpus == 0 || c->cpus > 255 || size < DSDT + HEADER || (c->pci && !pci_valid(c))) {
        return 0;
    }
    unsigned madt_len = MADT_LEN(c->cpus);
    memset(area, 0, DSDT + HEADER);

    uint8_t *f = area + FADT;
    header(f, "FACP", FADT_LEN, 6);
    wr(f, 36, 4, gpa + FACS);
    wr(f, 40, 4, gpa + DSDT);
    wr(f, 46, 2, ACPI_SCI_IRQ);
    /* SMI_CMD 0: ACPI is always on (PM1a_CNT reads SCI_EN). */
    wr(f, 56, 4, c->pm_base + ACPI_PM_EVT);
    wr(f, 64, 4, c->pm_base + ACPI_PM_CNT);
    f[88] = 4;         /* PM1_EVT_LEN */
    f[89] = 2;         /* PM1_CNT_LEN */
    if (c->pm_timer) { /* (optional since ACPI 5.0: block and length 0 without) */
        wr(f, 76, 4, c->pm_base + ACPI_PM_TMR);
        f[91] = 4; /* PM_TMR_LEN */
    }
    /* IAPC_BOOT_ARCH: no VGA, no 8042, no legacy devices; a CMOS RTC when there is one, whose
     * century register is CENTURY. */
    wr(f, 109, 2, (1u << 2) | (c->rtc ? 0 : 1u << 5));
    f[108] = c->rtc ? 0x32 : 0;
    /* WBINVD, C1 on all processors, power and sleep buttons not fixed, no RTC wake status
     * (FIX_RTC), a reset register. */
    wr(f, 112, 4, (1u << 0) | (1u << 2) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 10));
    gas_io(f + 116, 8, ACPI_RESET_PORT);
    f[128] = ACPI_RESET_VALUE;
    f[131] = 4; /* FADT minor version: 6.4 */
    wr(f, 132, 8, gpa + FACS);
    wr(f, 140, 8, gpa + DSDT);
    gas_io(f + 148, 32, c->pm_base + ACPI_PM_EVT);
    f[148 + 3] = 2; /* (PM1_STS and PM1_EN are 16-bit registers) */
    gas_io(f + 172, 16, c->pm_base + ACPI_PM_CNT);
    if (c->pm_timer) {
        gas_io(f + 208, 32, c->pm_base + ACPI_PM_TMR);
    }
    seal(f);

    uint8_t *s = area + FACS;
    memcpy(s, "FACS", 4);
    wr(s, 4, 4, FACS_LEN);
    s[32] = 2; /* version */

    /* DSDT: Name (_S5, Package (4) { 5, 5, 0, 0 }) — the SLP_TYP power-off writes — and the PCI
     * host bridge when there is one. */
    static const uint8_t s5[] = {
        0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, ACPI_SLP_TYP_S5, 0x0a, ACPI_SLP_TYP_S5,
        0x00, 0x00
    };
    uint8_t *d = area + DSDT;
    uint64_t room = size - DSDT - HEADER;
    struct aml a = { d + HEADER, 0, room < 0x10000 ? (unsigned)room : 0x10000, false };
    aml_bytes(&a, s5, sizeof(s5));
    if (c->pci) {
        aml_pci(&a, c);
    }
    if (a.full) {
        return 0;
    }
    header(d, "DSDT", HEADER + a.len, 2);
    seal(d);

    if (c->pci) {
        uint8_t *g = area + MCFG;
        header(g, "MCFG", MCFG_LEN, 1);
        /* 8 reserved bytes, then one allocation: bus 0 of segment 0. */
        wr(g, HEADER + 8, 8, c->ecam_base);
        wr(g, HEADER + 16, 2, 0);
        g[HEADER + 18] = 0; /* start bus */
        g[HEADER + 19] = 0; /* end bus */
        seal(g);
    }

    uint8_t *m = area + MADT;
    header(m, "APIC", madt_len, 5);
    wr(m, 36, 4, c->lapic_base);
    wr(m, 40, 4, 0); /* no 8259s (no PCAT_COMPAT) */
    uint8_t *e = m + 44;
    bool used[256] = { false };
    for (unsigned i = 0; i < c->cpus; i++, e += 8) {
        uint8_t id = c->apic_ids ? c->apic_ids[i] : (uint8_t)i;
        if (id == 0xff || used[id]) {
            return 0; /* the broadcast id, or one twice */
        }
        used[id] = true;
        e[0] = 0; /* processor local APIC */
        e[1] = 8;
        e[2] = (uint8_t)i; /* ACPI processor UID */
        e[3] = id;
        wr(e, 4, 4, 1); /* enabled */
    }
    unsigned ioapic_id = 0;
    while (used[ioapic_id]) {
        ioapic_id++; /* the lowest id no local APIC has (at most 254 are taken) */
    }
    e[0] = 1; /* I/O APIC, GSI base 0 */
    e[1] = 12;
    e[2] = (uint8_t)ioapic_id;
    wr(e, 4, 4, c->ioapic_base);
    wr(e, 8, 4, 0);
    e += 12;
    /* ISA IRQ 0 (the PIT) on GSI 2, as PCs have it; the SCI level, active high. */
    static const struct {
        uint8_t irq;
        uint32_t gsi;
        uint16_t flags;
    } iso[2] = { { 0, 2, 0 }, { ACPI_SCI_IRQ, ACPI_SCI_IRQ, 0x000d } };
    for (unsigned i = 0; i < 2; i++, e += 10) {
        e[0] = 2;
        e[1] = 10;
        e[2] = 0; /* ISA */
        e[3] = iso[i].irq;
        wr(e, 4, 4, iso[i].gsi);
        wr(e, 8, 2, iso[i].flags);
    }
    seal(m);

    uint8_t *x = area + XSDT;
    header(x, "XSDT", HEADER + (c->pci ? 24 : 16), 1);
    wr(x, HEADER, 8, gpa + FADT);
    wr(x, HEADER + 8, 8, gpa + MADT);
    if (c->pci) {
        wr(x, HEADER + 16, 8, gpa + MCFG);
    }
    seal(x);

    uint8_t *r = area + RSDP;
    memcpy(r, "RSD PTR ", 8);
    memcpy(r + 9, "KEEL  ", 6);
    r[15] = 2; /* ACPI 2.0+: the XSDT */
    wr(r, 20, 4, 36);
    wr(r, 24, 8, gpa + XSDT);
    r[8] = checksum(r, 20);
    r[32] = checksum(r, 36);
    return gpa + RSDP;
}

/* The loader's commands (QEMU's BiosLinkerLoaderEntry: a le32 command, then its fields). */
enum { LOADER_ALLOCATE = 1, LOADER_ADD_POINTER = 2, LOADER_ADD_CHECKSUM = 3 };
#define LOADER_FILE 56
#define LOADER_ZONE_HIGH 1
#define LOADER_ZONE_FSEG 2

struct script {
    uint8_t *p;
    unsigned len, max;
    bool full;
};

static uint8_t *command(struct script *s, uint32_t cmd)
{
    if (s->full || s->max - s->len < ACPI_LOADER_ENTRY) {
        s->full = true;
        return NULL;
    }
    uint8_t *e = s->p + s->len;
    s->len += ACPI_LOADER_ENTRY;
    memset(e, 0, ACPI_LOADER_ENTRY);
    wr(e, 0, 4, cmd);
    return e;
}

static void allocate(struct script *s, const char *file, uint32_t align, uint8_t zone)
{
    uint8_t *e = command(s, LOADER_ALLOCATE);
    if (e) {
        memcpy(e + 4, file, strlen(file)); /* (file names are short constants) */
        wr(e, 4 + LOADER_FILE, 4, align);
        e[4 + LOADER_FILE + 4] = zone;
    }
}

static void add_pointer(struct script *s, const char *dest, const char *src, uint32_t offset,
                        uint8_t bytes)
{
    uint8_t *e = command(s, LOADER_ADD_POINTER);
    if (e) {
        memcpy(e + 4, dest, strlen(dest));
        memcpy(e + 4 + LOADER_FILE, src, strlen(src));
        wr(e, 4 + 2 * LOADER_FILE, 4, offset);
        e[4 + 2 * LOADER_FILE + 4] = bytes;
    }
}

static void add_checksum(struct script *s, const char *file, uint32_t at, uint32_t start,
                         uint32_t length)
{
    uint8_t *e = command(s, LOADER_ADD_CHECKSUM);
    if (e) {
        memcpy(e + 4, file, strlen(file));
        wr(e, 4 + LOADER_FILE, 4, at);
        wr(e, 4 + LOADER_FILE + 4, 4, start);
        wr(e, 4 + LOADER_FILE + 8, 4, length);
    }
}

/* A table of the tables blob: its checksum zeroed, for the loader to compute. */
static void table_checksum(struct script *s, uint8_t *area, uint32_t at)
{
    area[at + 9] = 0;
    add_checksum(s, ACPI_LOADER_TABLES_FILE, at + 9, at, table_len(area + at));
}

unsigned acpi_build_for_loader(uint8_t *area, uint64_t size, uint64_t *tables_size,
                               uint8_t rsdp[36], uint8_t *script, unsigned script_max,
                               const struct acpi_config *c)
{
    /* Built at address 0, every pointer is an offset into the area: what ADD_POINTER wants. (The
     * RSDP's address is then 0 too: its signature says whether acpi_build() made the tables.) */
    if (size < 8) {
        return 0;
    }
    memset(area, 0, 8);
    acpi_build(area, size, 0, c);
    if (memcmp(area + RSDP, "RSD PTR ", 8) != 0) {
        return 0;
    }
    const char *tables = ACPI_LOADER_TABLES_FILE, *rsdp_file = ACPI_LOADER_RSDP_FILE;
    struct script s = { script, 0, script_max, false };
    memcpy(rsdp, area + RSDP, 36);
    memset(area + RSDP, 0, 36); /* (in the tables blob it is nothing) */
    allocate(&s, rsdp_file, 16, LOADER_ZONE_FSEG);
    allocate(&s, tables, 64, LOADER_ZONE_HIGH); /* (FACS wants 64-byte alignment) */
    /* The RSDP's XSDT address, its checksums (the first 20 bytes, then all 36). */
    add_pointer(&s, rsdp_file, tables, 24, 8);
    rsdp[8] = rsdp[32] = 0;
    add_checksum(&s, rsdp_file, 8, 0, 20);
    add_checksum(&s, rsdp_file, 32, 0, 36);
    uint32_t xsdt_entries = (table_len(area + XSDT) - HEADER) / 8;
    for (uint32_t i = 0; i < xsdt_entries; i++) {
        add_pointer(&s, tables, tables, XSDT + HEADER + 8 * i, 8);
    }
    table_checksum(&s, area, XSDT);
    add_pointer(&s, tables, tables, FADT + 36, 4);  /* FIRMWARE_CTRL: the FACS */
    add_pointer(&s, tables, tables, FADT + 40, 4);  /* DSDT */
    add_pointer(&s, tables, tables, FADT + 132, 8); /* X_FIRMWARE_CTRL */
    add_pointer(&s, tables, tables, FADT + 140, 8); /* X_DSDT */
    table_checksum(&s, area, FADT);
    table_checksum(&s, area, MADT);
    if (c->pci) {
        table_checksum(&s, area, MCFG);
    }
    table_checksum(&s, area, DSDT);
    if (s.full) {
        return 0;
    }
    *tables_size = DSDT + table_len(area + DSDT);
    return s.len;
}
