// SPDX-License-Identifier: MIT
// The arm64 parts of a VM's platform from its device tree: the GIC (v3 or v2) and interrupt specifiers.
#include "../../platform.h"
#include "vgic.h"
#include <keel/rt.h>
#include <fdt_util.h>
#include <libfdt.h>

static int gicv2_from_dt(struct vm *vm, const void *fdt, int node)
{
    uint64_t dist, dist_size, cpuif, cpuif_size;
    if (!fdt_util_reg(fdt, node, 0, &dist, &dist_size) ||
        !fdt_util_reg(fdt, node, 1, &cpuif, &cpuif_size)) {
        printf("vmm: %s: the GICv2 node needs reg = <distributor>, <cpu interface>\n", vm->name);
        return -1;
    }
    return vgic_create_v2(vm, gpa_init(dist), gpa_init(cpuif)) == 0 ? 0 : -1;
}

static int gicv3_from_dt(struct vm *vm, const void *fdt, int node)
{
    uint64_t dist, dist_size, redist, redist_size;
    if (!fdt_util_reg(fdt, node, 0, &dist, &dist_size) ||
        !fdt_util_reg(fdt, node, 1, &redist, &redist_size)) {
        printf("vmm: %s: the GICv3 node needs reg = <distributor>, <redistributors>\n", vm->name);
        return -1;
    }
    return vgic_create(vm, gpa_init(dist), gpa_init(redist), redist_size) == 0 ? 0 : -1;
}

const struct device_model arch_device_models[] = {
    { "arm,gic-v3", gicv3_from_dt },
    { "arm,cortex-a15-gic", gicv2_from_dt },
    { "arm,gic-400", gicv2_from_dt },
    { NULL, NULL },
};

bool arch_irq_cells(const fdt32_t *p, int len, unsigned *intid)
{
    if (len < 12 || fdt32_ld(&p[0]) != 0 || fdt32_ld(&p[1]) >= 988) {
        return false; /* the GIC's three cells, an SPI */
    }
    *intid = 32 + fdt32_ld(&p[1]);
    return true;
}

bool arch_pci_mmio64_window(uint64_t ram_end, uint64_t *base, uint64_t *size)
{
    (void)ram_end, (void)base, (void)size;
    return false; /* (the tree's ranges say it: firmware here reads them) */
}
