// SPDX-License-Identifier: MIT
// The arm64 parts of a VM's platform from its device tree: the GIC (v3 or v2) and interrupt specifiers.
#include "../../platform.h"
#include "vgic.h"
#include <keel/rt.h>
#include <fdt_util.h>
#include <libfdt.h>

int arch_device_create(struct vm *vm, const void *fdt, int node)
{
    uint64_t dist, dist_size, redist, redist_size;
    if (fdt_node_check_compatible(fdt, node, "arm,cortex-a15-gic") == 0 ||
        fdt_node_check_compatible(fdt, node, "arm,gic-400") == 0) {
        if (!fdt_util_reg(fdt, node, 0, &dist, &dist_size) ||
            !fdt_util_reg(fdt, node, 1, &redist, &redist_size)) {
            printf("vmm: %s: the GICv2 node needs reg = <distributor>, <cpu interface>\n", vm->name);
            return -1;
        }
        return vgic_create_v2(vm, gpa_init(dist), gpa_init(redist)) == 0 ? 1 : -1;
    }
    if (fdt_node_check_compatible(fdt, node, "arm,gic-v3") != 0) {
        return 0;
    }
    if (!fdt_util_reg(fdt, node, 0, &dist, &dist_size) ||
        !fdt_util_reg(fdt, node, 1, &redist, &redist_size)) {
        printf("vmm: %s: the GICv3 node needs reg = <distributor>, <redistributors>\n", vm->name);
        return -1;
    }
    return vgic_create(vm, gpa_init(dist), gpa_init(redist), redist_size) == 0 ? 1 : -1;
}

bool arch_device_irq(const void *fdt, int node, unsigned *intid)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, "interrupts", &len);
    if (!p || len < 12 || fdt32_ld(&p[0]) != 0 || fdt32_ld(&p[1]) >= 988) {
        return false; /* the GIC's three cells, an SPI */
    }
    *intid = 32 + fdt32_ld(&p[1]);
    return true;
}
