// SPDX-License-Identifier: MIT
// The x86_64 parts of a VM's platform from its device tree: the local APICs (lapic.c), the I/O
// APIC (ioapic.c: the lines device models raise) and the ISA bus (I/O ports, ports.c).
#include "../../platform.h"
#include "ports.h"
#include "lapic.h"
#include "ioapic.h"
#include <keel/rt.h>
#include <fdt_util.h>
#include <libfdt.h>

static int ioapic_from_dt(struct vm *vm, const void *fdt, int node)
{
    uint64_t base, size;
    if (!fdt_util_reg(fdt, node, 0, &base, &size) || size != 0x1000 ||
        ioapic_create(vm, gpa_init(base)) != 0) {
        printf("vmm: %s: one I/O APIC node, reg = <base 0x1000>\n", vm->name);
        return -1;
    }
    vm->arch.ioapic_base = base;
    return 0;
}

static int lapic_from_dt(struct vm *vm, const void *fdt, int node)
{
    uint64_t base, size;
    if (!fdt_util_reg(fdt, node, 0, &base, &size) || size != 0x1000) {
        printf("vmm: %s: the LAPIC node needs reg = <base 0x1000>\n", vm->name);
        return -1;
    }
    if (lapic_create(vm, gpa_init(base)) != 0) {
        printf("vmm: %s: too many devices\n", vm->name);
        return -1;
    }
    vm->arch.lapic_base = base;
    return 0;
}

static int isa_from_dt(struct vm *vm, const void *fdt, int node)
{
    return ports_create_isa(vm, fdt, node) == 0 ? 0 : -1;
}

const struct device_model arch_device_models[] = {
    { "intel,ce4100-ioapic", ioapic_from_dt },
    { "intel,ce4100-lapic", lapic_from_dt },
    { "isa", isa_from_dt },
    { NULL, NULL },
};

void arch_msi_send(struct vm *vm, uint64_t address, uint32_t data)
{
    vm_lock(&vm->irq_lock);
    lapic_msi(vm, address, data);
    vm_unlock(&vm->irq_lock);
}

/* interrupts = <line type> (the I/O APIC's two cells; type ignored: the models' lines are
 * active high, and the redirection entry says edge or level), or one cell, the line. */
bool arch_irq_cells(const fdt32_t *p, int len, unsigned *intid)
{
    if ((len != 4 && len != 8) || fdt32_ld(&p[0]) >= 24) {
        return false;
    }
    *intid = fdt32_ld(&p[0]);
    return true;
}

/* OVMF's 64-bit PCI window (PlatformInitLib's PlatformAddressWidthFromCpuid and its dynamic MMIO
 * window, as Debian's 2022.11 build does it, seen at 0xe000000000 on QEMU with 40 bits): with
 * CPUID 0x80000008's physical address width PB taken as valid (41 or more, 36 or 39 on Intel, 40
 * on AMD; at most 46, and 40 without 1 GiB pages), the top eighth of the address space,
 * [2^PB - 2^(PB-3), 2^PB). The guest's CPUID is the host's here (exit.c passes leaf 0x80000008
 * through), so this is the window the firmware will program 64-bit BARs into. With a width it
 * does not trust (40 bits on Intel, Bochs' case), OVMF falls back to its classic window: 32 GiB
 * (PcdPciMmio64Size) from the end of RAM above 4 GiB, aligned to its size (0x800000000 for a VM
 * whose RAM is all below 4 GiB: seen on Bochs). */
bool arch_pci_mmio64_window(uint64_t ram_end, uint64_t *base, uint64_t *size)
{
    const uint64_t classic = 32ull << 30;
    uint32_t r[4], e[4];
    x86_cpuid(0x80000000u, 0, r);
    if (r[0] < 0x80000008u) {
        return false;
    }
    x86_cpuid(0x80000001u, 0, e);
    x86_cpuid(0x80000008u, 0, r);
    unsigned pb = r[0] & 0xff;
    bool intel = x86_vendor_is("Genu"), amd = x86_vendor_is("Auth");
    if (!(pb >= 41 || (intel && (pb == 36 || pb == 39)) || (amd && pb == 40))) {
        uint64_t first = ram_end > (1ull << 32) ? ram_end : 1ull << 32;
        *base = (first + classic - 1) & ~(classic - 1);
        *size = classic;
        return true;
    }
    unsigned cap = (e[3] & (1u << 26)) ? 46 : 40;
    pb = pb > cap ? cap : pb;
    *base = (1ull << pb) - (1ull << (pb - 3));
    *size = 1ull << (pb - 3);
    return true;
}

/* No passthrough lines or direct delivery here (dev/passthrough.c): arm64's GIC model only. */
int arch_vm_irq_passthrough(struct vm *vm, unsigned intid, void (*eoi)(void *ctx), void *ctx)
{
    (void)vm;
    (void)intid;
    (void)eoi;
    (void)ctx;
    return -1;
}

void arch_vm_irq_direct(struct vm *vm, unsigned intid)
{
    (void)vm;
    (void)intid;
}
