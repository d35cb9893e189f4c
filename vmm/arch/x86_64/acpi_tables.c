// SPDX-License-Identifier: MIT
/*
 * The guest's ACPI tables (acpi_tables.h). Field offsets are the ACPI specification's (6.4:
 * 5.2.5.3 RSDP, 5.2.8 XSDT, 5.2.9 FADT, 5.2.10 FACS, 5.2.12 MADT); every table is checksummed.
 */
#include "acpi_tables.h"
#include <stdbool.h>
#include <string.h>

enum { RSDP = 0x0, XSDT = 0x40, FADT = 0x100, FACS = 0x240, DSDT = 0x280, MADT = 0x300 };
#define HEADER 36
#define FADT_LEN 276
#define FACS_LEN 64

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

static void seal(uint8_t *t)
{
    unsigned len = (unsigned)(t[4] | t[5] << 8 | t[6] << 16 | (unsigned)t[7] << 24);
    t[9] = 0;
    t[9] = checksum(t, len);
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

uint64_t acpi_build(uint8_t *area, uint64_t size, uint64_t gpa, const struct acpi_config *c)
{
    unsigned madt_len = HEADER + 8 + 8 * c->cpus + 12 + 10 * 2;
    if (c->cpus == 0 || c->cpus > 255 || size < MADT + madt_len) {
        return 0;
    }
    memset(area, 0, MADT + madt_len);

    uint8_t *f = area + FADT;
    header(f, "FACP", FADT_LEN, 6);
    wr(f, 36, 4, gpa + FACS);
    wr(f, 40, 4, gpa + DSDT);
    wr(f, 46, 2, ACPI_SCI_IRQ);
    /* SMI_CMD 0: ACPI is always on (PM1a_CNT reads SCI_EN). */
    wr(f, 56, 4, c->pm_base + ACPI_PM_EVT);
    wr(f, 64, 4, c->pm_base + ACPI_PM_CNT);
    f[88] = 4; /* PM1_EVT_LEN */
    f[89] = 2; /* PM1_CNT_LEN */
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

    /* DSDT: Name (_S5, Package (4) { 5, 5, 0, 0 }) — the SLP_TYP power-off writes. */
    static const uint8_t s5[] = {
        0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, ACPI_SLP_TYP_S5, 0x0a, ACPI_SLP_TYP_S5,
        0x00, 0x00
    };
    uint8_t *d = area + DSDT;
    header(d, "DSDT", HEADER + sizeof(s5), 2);
    memcpy(d + HEADER, s5, sizeof(s5));
    seal(d);

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
    header(x, "XSDT", HEADER + 16, 1);
    wr(x, HEADER, 8, gpa + FADT);
    wr(x, HEADER + 8, 8, gpa + MADT);
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
