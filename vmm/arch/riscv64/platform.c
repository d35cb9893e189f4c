// SPDX-License-Identifier: MIT
// The riscv64 parts of a VM's platform from its device tree: the PLIC and its interrupt specifiers.
#include "../../platform.h"
#include "plic.h"
#include <keel/rt.h>
#include <fdt_util.h>
#include <libfdt.h>

static int plic_from_dt(struct vm *vm, const void *fdt, int node)
{
    uint64_t base, size, ndev;
    if (!fdt_util_reg(fdt, node, 0, &base, &size) ||
        !fdt_util_u64(fdt, node, "riscv,ndev", &ndev)) {
        printf("vmm: %s: the PLIC node needs reg and riscv,ndev\n", vm->name);
        return -1;
    }
    return plic_create(vm, gpa_init(base), size, (unsigned)ndev) == 0 ? 0 : -1;
}

const struct device_model arch_device_models[] = {
    { "riscv,plic0", plic_from_dt },
    { "sifive,plic-1.0.0", plic_from_dt },
    { NULL, NULL },
};

bool arch_irq_cells(const fdt32_t *p, int len, unsigned *intid)
{
    if (len != 4 || fdt32_ld(&p[0]) == 0) {
        return false; /* the PLIC's one cell: a source number */
    }
    *intid = fdt32_ld(&p[0]);
    return true;
}

/* No MSI controller is modelled yet (PCI functions use INTx here). */
void arch_msi_send(struct vm *vm, uint64_t address, uint32_t data)
{
    vm_report(vm, "MSI to 0x%llx (data 0x%x): this platform has no MSI controller",
              (unsigned long long)address, data);
}

bool arch_pci_mmio64_window(uint64_t ram_end, uint64_t *base, uint64_t *size)
{
    (void)ram_end, (void)base, (void)size;
    return false; /* (the tree's ranges say it: firmware here reads them) */
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
