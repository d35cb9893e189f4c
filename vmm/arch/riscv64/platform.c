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

bool arch_device_irq(const void *fdt, int node, unsigned *intid)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, "interrupts", &len);
    if (!p || len != 4 || fdt32_ld(&p[0]) == 0) {
        return false; /* the PLIC's one cell: a source number */
    }
    *intid = fdt32_ld(&p[0]);
    return true;
}
