// SPDX-License-Identifier: MIT
/*
 * The ACPI tables Keel reads on x86_64: the RSDP (in the EBDA or the BIOS area), the RSDT/XSDT,
 * and the MADT ("APIC") for local APIC ids, the I/O APIC and ISA interrupt overrides. Read-only,
 * through the direct map; checksums are checked on the RSDP and the MADT.
 */
#include <keel/printk.h>
#include <arch/mmu.h>
#include <arch/x86.h>
#include <string.h>

struct acpi_header {
    char sig[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem[6], oem_table[8];
    uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

enum { MADT_LAPIC = 0, MADT_IOAPIC = 1, MADT_OVERRIDE = 2 };

static const void *va(uint64_t pa) { return kva_from_pa(pa_init(pa)); }

static bool checksum_ok(const void *p, uint32_t len)
{
    uint8_t sum = 0;
    for (uint32_t i = 0; i < len; i++) {
        sum = (uint8_t)(sum + ((const uint8_t *)p)[i]);
    }
    return sum == 0;
}

static const uint8_t *rsdp_in(uint64_t start, uint64_t len)
{
    for (uint64_t a = start; a + 20 <= start + len; a += 16) {
        const uint8_t *p = va(a);
        if (memcmp(p, "RSD PTR ", 8) == 0 && checksum_ok(p, 20)) {
            return p;
        }
    }
    return NULL;
}

/* The MADT, found once and remembered (NULL: no ACPI). */
static const struct acpi_header *madt(void)
{
    static const struct acpi_header *found;
    static bool searched;
    if (searched) {
        return found;
    }
    searched = true;
    uint64_t ebda = (uint64_t)*(const uint16_t *)va(0x40e) << 4;
    const uint8_t *rsdp = ebda ? rsdp_in(ebda, 1024) : NULL;
    if (!rsdp) {
        rsdp = rsdp_in(0xe0000, 0x20000);
    }
    if (!rsdp) {
        return NULL;
    }
    uint32_t rsdt_pa;
    uint64_t xsdt_pa = 0;
    memcpy(&rsdt_pa, rsdp + 16, 4);
    if (rsdp[15] >= 2) {
        memcpy(&xsdt_pa, rsdp + 24, 8);
    }
    const struct acpi_header *sdt = va(xsdt_pa ? xsdt_pa : rsdt_pa);
    unsigned width = xsdt_pa ? 8 : 4;
    for (uint32_t off = sizeof(*sdt); off + width <= sdt->length; off += width) {
        uint64_t pa = 0;
        memcpy(&pa, (const uint8_t *)sdt + off, width);
        const struct acpi_header *t = va(pa);
        if (memcmp(t->sig, "APIC", 4) == 0 && checksum_ok(t, t->length)) {
            found = t;
        }
    }
    return found;
}

/* The index-th MADT entry of `type`, or NULL. */
static const uint8_t *madt_find(unsigned type, unsigned index)
{
    const struct acpi_header *m = madt();
    if (!m) {
        return NULL;
    }
    const uint8_t *p = (const uint8_t *)m + sizeof(*m) + 8, *end = (const uint8_t *)m + m->length;
    for (; p + 2 <= end && p[1] >= 2; p += p[1]) {
        if (p[0] == type && index-- == 0) {
            return p;
        }
    }
    return NULL;
}

unsigned acpi_cpus(uint64_t *apic_ids, unsigned max)
{
    unsigned n = 0;
    const uint8_t *e;
    for (unsigned i = 0; (e = madt_find(MADT_LAPIC, i)) != NULL; i++) {
        uint32_t flags;
        memcpy(&flags, e + 4, 4);
        if (flags & 1) { /* enabled */
            if (n < max) {
                apic_ids[n] = e[3];
            }
            n++;
        }
    }
    if (n == 0) { /* no ACPI: just this CPU */
        apic_ids[0] = lapic_id();
        n = 1;
    }
    return n;
}

bool acpi_ioapic(paddr_t *base, unsigned *gsi_base)
{
    const uint8_t *e = madt_find(MADT_IOAPIC, 0);
    if (!e) {
        return false;
    }
    uint32_t addr, gsi;
    memcpy(&addr, e + 4, 4);
    memcpy(&gsi, e + 8, 4);
    *base = pa_init(addr);
    *gsi_base = gsi;
    return true;
}

unsigned acpi_isa_gsi(unsigned isa_irq, bool *active_low, bool *level)
{
    const uint8_t *e;
    *active_low = false;
    *level = false;
    for (unsigned i = 0; (e = madt_find(MADT_OVERRIDE, i)) != NULL; i++) {
        if (e[3] == isa_irq) {
            uint32_t gsi;
            uint16_t flags;
            memcpy(&gsi, e + 4, 4);
            memcpy(&flags, e + 8, 2);
            *active_low = (flags & 3) == 3;
            *level = ((flags >> 2) & 3) == 3;
            return gsi;
        }
    }
    return isa_irq;
}
