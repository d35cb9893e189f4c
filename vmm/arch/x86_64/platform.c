// SPDX-License-Identifier: MIT
// The x86_64 parts of a VM's platform from its device tree: the local APICs (lapic.c) and the ISA
// bus (I/O ports, ports.c). No I/O APIC model yet: device models run without interrupt lines.
#include "../../platform.h"
#include "ports.h"
#include "lapic.h"
#include <keel/rt.h>
#include <fdt_util.h>
#include <libfdt.h>

int arch_device_create(struct vm *vm, const void *fdt, int node)
{
    uint64_t base, size;
    if (fdt_node_check_compatible(fdt, node, "intel,ce4100-lapic") == 0) {
        if (!fdt_util_reg(fdt, node, 0, &base, &size) || size != 0x1000) {
            printf("vmm: %s: the LAPIC node needs reg = <base 0x1000>\n", vm->name);
            return -1;
        }
        if (lapic_create(vm, gpa_init(base)) != 0) {
            printf("vmm: %s: too many devices\n", vm->name);
            return -1;
        }
        return 1;
    }
    if (fdt_node_check_compatible(fdt, node, "isa") != 0) {
        return 0;
    }
    return ports_create_isa(vm, fdt, node) == 0 ? 1 : -1;
}

bool arch_device_irq(const void *fdt, int node, unsigned *intid)
{
    (void)fdt;
    (void)node;
    (void)intid;
    return false; /* no interrupt controller to name a line of */
}

void vm_irq_set(struct vm *vm, unsigned intid, bool level)
{
    (void)intid;
    (void)level;
    vm->arch.irq_reports++; /* no interrupt controller: nothing to raise */
}
