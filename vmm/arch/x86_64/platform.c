// SPDX-License-Identifier: MIT
// The x86_64 parts of a VM's platform from its device tree: the ISA bus (I/O ports, ports.c). No
// interrupt controller model yet (LAPIC and I/O APIC come with Linux guests): device models
// run without interrupts.
#include "../../platform.h"
#include "ports.h"
#include <keel/rt.h>
#include <libfdt.h>

int arch_device_create(struct vm *vm, const void *fdt, int node)
{
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
