// SPDX-License-Identifier: MIT
/*
 * The GICv3 register front end of the VM's interrupt controller (vgic_model.h): the distributor
 * and one redistributor per vCPU as MMIO devices, and SGIs from the trapped ICC_SGI1R_EL1.
 * Affinity routing only (ARE is always on), one security state (DS reads as one), no LPIs or ITS.
 * Message-based SPIs (GICD_TYPER.MBIS): GICD_SETSPI_NSR / GICD_CLRSPI_NSR, which PCI functions'
 * MSIs write (the device tree's msi-controller and mbi-ranges on the GIC node tell Linux).
 */
#include "vgic_model.h"
#include "../../platform.h"
#include <keel/rt.h>
#include <string.h>

static unsigned route(struct vgic *g, uint64_t router)
{
    if (router & (1ull << 31)) {
        return 0; /* "any participating CPU": the first */
    }
    uint64_t aff = (router & 0xffffff) | ((router >> 32 & 0xff) << 24);
    for (unsigned c = 0; c < g->vm->vcpu_count; c++) {
        uint64_t m = g->vm->vcpus[c].mpidr;
        if (((m & 0xffffff) | ((m >> 32 & 0xff) << 24)) == aff) {
            return c;
        }
    }
    return 0;
}

/* GICD_SETSPI_NSR (set) or GICD_CLRSPI_NSR: the SPI's pending latch, as GICD_ISPENDR /
 * ICPENDR set it (a level SPI's wire stays its device's) (vm->irq_lock held). Other INTIDs are
 * ignored, as the architecture says. */
static void spi_message(struct vgic *g, uint32_t intid, bool set)
{
    if (intid < 32 || intid >= 32 + VGIC_SPIS) {
        return;
    }
    struct vgic_irq *i = &g->spi[intid - 32];
    i->latch = set;
    if (set) {
        vgic_wake(g, i->target, intid);
    }
}

void arch_msi_send(struct vm *vm, uint64_t address, uint32_t data)
{
    struct vgic *g = vm->arch.gic;
    if (!g || g->version != 3 || address != g->dist_base + GICD_SETSPI_NSR) {
        vm_report(vm, "MSI to 0x%llx (data 0x%x): not the GICv3's GICD_SETSPI_NSR",
                  (unsigned long long)address, data);
        return;
    }
    vm_lock(&vm->irq_lock);
    spi_message(g, data & 0x3ff, true);
    vm_unlock(&vm->irq_lock);
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
            g->ctlr = ((uint32_t)*v & (CTLR_ENABLE_G0 | CTLR_ENABLE_G1)) | CTLR_ARE | CTLR_DS;
            for (unsigned c = 0; c < g->vm->vcpu_count; c++) {
                memset(g->maybe[c], 0xff, sizeof(g->maybe[c])); /* group enables: look at all */
                vgic_wake(g, c, 0);
            }
        } else {
            *v = g->ctlr; /* RWP (bit 31) is never set: changes take effect at once */
        }
        return true;
    case GICD_TYPER: /* ITLinesNumber, MBIS, 10 INTID bits, no LPIs, no security extension */
        return vgic_const32(write, width, v, ((32 + VGIC_SPIS) / 32 - 1) | (1u << 16) | (9u << 19));
    case GICD_SETSPI_NSR:
    case GICD_CLRSPI_NSR:
        if (width != 4) {
            return false;
        }
        if (write) {
            spi_message(g, (uint32_t)*v & 0x3ff, off == GICD_SETSPI_NSR);
        } else {
            *v = 0; /* write-only */
        }
        return true;
    case GICD_IIDR:
    case GICD_TYPER2:
        return vgic_const32(write, width, v, 0);
    case GIC_PIDR2:
        return vgic_const32(write, width, v, PIDR2_GICV3);
    }
    if (off >= GICD_IROUTER + 32 * 8 && off < GICD_IROUTER + (32 + VGIC_SPIS) * 8) {
        struct vgic_irq *i = &g->spi[(off - GICD_IROUTER) / 8 - 32];
        unsigned shift = (off & 4) * 8;
        if (width != 8 && width != 4) {
            return false;
        }
        uint64_t mask = (width == 8 ? ~0ull : 0xffffffffull) << shift;
        if (write) {
            i->router = (i->router & ~mask) | ((*v << shift) & mask & 0xff800000ffffffull);
            unsigned t = route(g, i->router);
            if (t != i->target && !i->in_lr) {
                i->target = (uint8_t)t;
                vgic_wake(g, t, (unsigned)((off - GICD_IROUTER) / 8));
            }
        } else {
            *v = (i->router & mask) >> shift;
        }
        return true;
    }
    if (off >= GICD_ITARGETSR && off < GICD_ITARGETSR + 0x400) {
        if (!write) {
            *v = 0; /* RAZ/WI with affinity routing */
        }
        return true;
    }
    /* INTIDs below 32 are the redistributors' with affinity routing: RAZ/WI here. */
    long first = vgic_bank_first_intid(off);
    if (first >= 0 && first < 32) {
        if (!write) {
            *v = 0;
        }
        return width == 4 || (width == 1 && off >= GICD_IPRIORITYR && off < GICD_ITARGETSR);
    }
    return vgic_bank_access(g, 0, off, width, write, v, 32 + VGIC_SPIS);
}

static bool redist_access(struct mmio_device *d, uint64_t off, unsigned width, bool write, uint64_t *v)
{
    struct vgic *g = d->state;
    unsigned cpu = (unsigned)(off / GICR_FRAME);
    off %= GICR_FRAME;
    if (cpu >= g->vm->vcpu_count) {
        return false;
    }
    if (off >= GICR_SGI) {
        return vgic_bank_access(g, cpu, off - GICR_SGI, width, write, v, 32);
    }
    const struct vcpu *vc = &g->vm->vcpus[cpu];
    uint64_t aff = (vc->mpidr & 0xffffff) | ((vc->mpidr >> 32 & 0xff) << 24);
    uint64_t typer = aff << 32 | (uint64_t)cpu << 8 | (cpu + 1 == g->vm->vcpu_count ? 1u << 4 : 0);
    switch (off) {
    case GICR_TYPER:
    case GICR_TYPER + 4:
        if (!write) {
            *v = width == 8 ? typer : (uint32_t)(typer >> ((off & 4) * 8));
        }
        return width == 8 || width == 4;
    case GICR_WAKER: /* ProcessorSleep (bit 1) mirrored as ChildrenAsleep (bit 2) */
        if (write) {
            g->waker[cpu] = (uint32_t)*v & 2;
        } else {
            *v = g->waker[cpu] | (g->waker[cpu] << 1);
        }
        return width == 4;
    case GIC_PIDR2:
        return vgic_const32(write, width, v, PIDR2_GICV3);
    case GICR_CTLR:
    case GICR_IIDR:
    default:
        return vgic_const32(write, width, v, 0);
    }
}

int vgic_create(struct vm *vm, gpa_t dist, gpa_t redist, uint64_t redist_size)
{
    if (redist_size < (uint64_t)vm->vcpu_count * GICR_FRAME) {
        printf("vmm: %s: the GICv3 needs a redistributor frame (128 KiB) per CPU\n", vm->name);
        return -1;
    }
    struct mmio_device *dd = vm_device_add(vm, "gicv3-dist", dist, 0x10000);
    struct mmio_device *rd = vm_device_add(vm, "gicv3-redist", redist,
                                           (uint64_t)vm->vcpu_count * GICR_FRAME);
    struct vgic *g = dd && rd ? vgic_model_create(vm, 3) : NULL;
    if (!g) {
        printf("vmm: %s: cannot add the GICv3\n", vm->name);
        return -1;
    }
    g->ctlr = CTLR_ARE | CTLR_DS;
    g->dist_base = gpa_val(dist);
    dd->state = rd->state = g;
    dd->lock = rd->lock = &vm->irq_lock; /* the model's state is one */
    dd->access = dist_access;
    rd->access = redist_access;
    return 0;
}

void vgic_sgi(struct vm *vm, struct vcpu *from, uint64_t r)
{
    struct vgic *g = vm->arch.gic;
    if (!g) {
        return;
    }
    unsigned intid = (r >> 24) & 0xf;
    uint64_t aff321 = (r >> 16 & 0xff) << 8 | (r >> 32 & 0xff) << 16 | (r >> 48 & 0xff) << 24;
    unsigned rs = (r >> 44) & 0xf;
    vm_lock(&vm->irq_lock);
    for (unsigned c = 0; c < vm->vcpu_count; c++) {
        uint64_t m = vm->vcpus[c].mpidr;
        uint64_t aff = (m & 0xff00) | (m & 0xff0000) | ((m >> 32 & 0xff) << 24);
        unsigned aff0 = m & 0xff;
        bool hit = (r & (1ull << 40)) ? c != from->id
                                       : aff == aff321 && aff0 / 16 == rs && (r >> (aff0 % 16)) & 1;
        if (hit) {
            g->priv[c][intid].latch = true;
            vgic_wake(g, c, intid);
        }
    }
    vm_unlock(&vm->irq_lock);
}

