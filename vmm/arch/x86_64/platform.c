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
