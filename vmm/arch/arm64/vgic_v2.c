// SPDX-License-Identifier: MIT
/*
 * The GICv2 register front end of the VM's interrupt controller (vgic_model.h): the distributor
 * as an MMIO device (INTIDs below 32 banked per vCPU, targets by CPU mask, SGIs through
 * GICD_SGIR). The guest's CPU interface (GICC) is the hardware's virtual one (GICV), which the
 * kernel maps at the address of the VM device tree's GICC (Task MAP_VIRT_CPUIF).
 *
 *   intc@8000000 { compatible = "arm,cortex-a15-gic"; #interrupt-cells = <3>; interrupt-controller;
 *                  reg = <0x0 0x8000000 0x0 0x10000>, <0x0 0x8010000 0x0 0x2000>; };
 */
#include "vgic_model.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <string.h>

enum { GICD_SGIR = 0xf00, GICD_CPENDSGIR = 0xf10, GICD_SPENDSGIR = 0xf20 };
#define PIDR2_GICV2 0x2b
#define CTLR_ENABLE 1u /* one security state: group 0 (what Linux uses), as an IRQ */

static unsigned caller(struct vgic *g)
{
    struct vcpu *v = vcpu_self(g->vm);
    return v ? v->id : 0;
}

/* ITARGETSR: a byte per INTID, the CPU mask; below 32 read-only, the caller's own. */
static bool targets_access(struct vgic *g, unsigned first, unsigned width, bool write, uint64_t *v)
{
    uint64_t r = 0;
    for (unsigned b = 0; b < width; b++) {
        unsigned intid = first + b;
        struct vgic_irq *i = vgic_irq_of(g, caller(g), intid);
        if (!i) {
            continue;
        }
        if (intid < 32) {
            r |= (uint64_t)(1u << caller(g)) << (8 * b);
        } else if (write) {
            uint8_t mask = (uint8_t)(*v >> (8 * b));
            unsigned t = mask ? (unsigned)__builtin_ctz(mask) : 0; /* the first CPU named */
            if (t < g->vm->vcpu_count && t != i->target && !i->in_lr) {
                i->target = (uint8_t)t;
                vgic_wake(g, t, intid);
            }
        } else {
            r |= (uint64_t)(1u << i->target) << (8 * b);
        }
    }
    if (!write) {
        *v = r;
    }
    return true;
}

static bool dist_access(struct mmio_device *d, uint64_t off, unsigned width, bool write, uint64_t *v)
{
    struct vgic *g = d->state;
    switch (off) {
    case GICD_CTLR:
        if (width != 4) {
            return false;
        }
        if (write) {
            g->ctlr = (uint32_t)*v & CTLR_ENABLE;
            for (unsigned c = 0; c < g->vm->vcpu_count; c++) {
                memset(g->maybe[c], 0xff, sizeof(g->maybe[c]));
                vgic_wake(g, c, 0);
            }
        } else {
            *v = g->ctlr;
        }
        return true;
    case GICD_TYPER: /* ITLinesNumber, CPUNumber, no security extensions */
        return vgic_const32(write, width, v, ((32 + VGIC_SPIS) / 32 - 1) | ((g->vm->vcpu_count - 1) << 5));
    case GICD_IIDR:
        return vgic_const32(write, width, v, 0);
    case GIC_PIDR2:
        return vgic_const32(write, width, v, PIDR2_GICV2);
    case GICD_SGIR: {
        if (!write || width != 4) {
            return false;
        }
        uint32_t r = (uint32_t)*v, self = 1u << caller(g), all = (1u << g->vm->vcpu_count) - 1;
        uint32_t list = (r >> 16) & 0xff, filter = (r >> 24) & 3;
        uint32_t targets = filter == 0 ? list : filter == 1 ? all & ~self : filter == 2 ? self : 0;
        vgic_send_sgi(g, r & 0xf, targets & all);
        return true;
    }
    }
    if (off >= GICD_ITARGETSR && off < GICD_ITARGETSR + 32 + VGIC_SPIS) {
        return (width == 1 || width == 4) &&
               targets_access(g, (unsigned)(off - GICD_ITARGETSR), width, write, v);
    }
    if (off >= GICD_CPENDSGIR && off < GICD_SPENDSGIR + 16) {
        if (!write) {
            *v = 0; /* SGI sources are not tracked */
        }
        return width == 4 || width == 1;
    }
    return vgic_bank_access(g, caller(g), off, width, write, v, 32 + VGIC_SPIS);
}

int vgic_create_v2(struct vm *vm, gpa_t dist, gpa_t cpuif)
{
    int64_t r = KOBJ(vm->task, KEEL_TASK_MAP_VIRT_CPUIF, gpa_val(cpuif));
    if (r < 0) {
        printf("vmm: %s: no virtual GICv2 CPU interface from the kernel (%s): is the board's GIC a "
               "GICv2 with the virtualization extensions?\n", vm->name, keel_strerror(r));
        return -1;
    }
    struct mmio_device *dd = vm_device_add(vm, "gicv2-dist", dist, 0x1000);
    struct vgic *g = dd ? vgic_model_create(vm, 2) : NULL;
    if (!g) {
        printf("vmm: %s: cannot add the GICv2\n", vm->name);
        return -1;
    }
    dd->state = g;
    dd->lock = &vm->irq_lock; /* the model's state is one */
    dd->access = dist_access;
    return 0;
}
