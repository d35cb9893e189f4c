/* SPDX-License-Identifier: MIT */
/*
 * The VM's interrupt controller model, shared by its GICv3 (vgic_v3.c) and GICv2 (vgic_v2.c)
 * register front ends: interrupt state per INTID and the list registers (vgic.c). Everything
 * here runs with the interrupt controller's lock (vm->irq_lock) held.
 */
#pragma once
#include "vgic.h"

#define VGIC_SPIS 96 /* INTIDs 32..127 */
#define VTIMER_INTID 27
#define LR_STATE (KEEL_VGIC_LR_PENDING | KEEL_VGIC_LR_ACTIVE)

enum {
    GICD_CTLR = 0x0,
    GICD_TYPER = 0x4,
    GICD_IIDR = 0x8,
    GICD_TYPER2 = 0xc,
    GICD_SETSPI_NSR = 0x40,
    GICD_CLRSPI_NSR = 0x48,
    GICD_IGROUPR = 0x80,
    GICD_ISENABLER = 0x100,
    GICD_ICENABLER = 0x180,
    GICD_ISPENDR = 0x200,
    GICD_ICPENDR = 0x280,
    GICD_ISACTIVER = 0x300,
    GICD_ICACTIVER = 0x380,
    GICD_IPRIORITYR = 0x400,
    GICD_ITARGETSR = 0x800,
    GICD_ICFGR = 0xc00,
    GICD_IGRPMODR = 0xd00,
    GICD_IROUTER = 0x6000,
    GIC_PIDR2 = 0xffe8,
    GICR_CTLR = 0x0,
    GICR_IIDR = 0x4,
    GICR_TYPER = 0x8,
    GICR_WAKER = 0x14,
    GICR_FRAME = 0x20000,
    GICR_SGI = 0x10000,
};
#define CTLR_ENABLE_G0 1u
#define CTLR_ENABLE_G1 2u
#define CTLR_ARE (1u << 4)
#define CTLR_DS (1u << 6)
#define PIDR2_GICV3 0x3b

/* A 32-bit register that reads as value and ignores writes (identification, type, RAZ/WI). */
static inline bool vgic_const32(bool write, unsigned width, uint64_t *v, uint64_t value)
{
    if (!write) {
        *v = value;
    }
    return width == 4;
}

struct vgic_irq {
    uint8_t priority;
    uint8_t target;   /* vCPU index (SPIs; from IROUTER) */
    uint8_t in_lr;    /* vCPU index + 1 while in one of its list registers */
    bool enabled, group1, edge, line, latch;
    bool passthrough; /* a board device's line: its deactivation calls its vgic.passthrough[] */
    uint64_t router;
};

struct vgic {
    struct vm *vm;
    unsigned version;    /* 2 or 3: which register front end */
    uint32_t ctlr;
    struct vgic_irq spi[VGIC_SPIS];
    struct vgic_irq priv[VM_MAX_VCPUS][32]; /* SGIs and PPIs, per redistributor */
    uint32_t waker[VM_MAX_VCPUS];
    /* Per vCPU, the INTIDs that may have become deliverable (a set bit is looked at, at the next
     * fill of its list registers; a clear bit is certainly not deliverable there). */
    uint64_t maybe[VM_MAX_VCPUS][(32 + VGIC_SPIS) / 64];
    bool warned_no_lrs;
    /* The passthrough lines and what the guest's deactivation of each calls
     * (arch_vm_irq_passthrough), and the INTID the kernel delivers to vCPU 0 directly
     * (arch_vm_irq_direct; 0: none). */
    struct vgic_passthrough {
        unsigned intid;
        void (*eoi)(void *ctx);
        void *ctx;
    } passthrough[VM_MAX_PASSTHROUGH];
    unsigned passthrough_count;
    unsigned direct_intid;
    uint64_t dist_base; /* guest-physical (GICv3: where MSIs to GICD_SETSPI_NSR arrive) */
};


struct vgic_irq *vgic_irq_of(struct vgic *g, unsigned cpu, unsigned intid);
/* Marks that intid may be deliverable to cpu now, and makes cpu look. */
void vgic_wake(struct vgic *g, unsigned cpu, unsigned intid);
/* Sets up the model of vm (version 2 or 3); NULL when the VM already has one. */
struct vgic *vgic_model_create(struct vm *vm, unsigned version);
/* The registers of INTIDs [first, first + limit) at off in a bank that starts with IGROUPR, as
 * a distributor and a GICv3 redistributor's SGI frame have; cpu banks INTIDs below 32. */
bool vgic_bank_access(struct vgic *g, unsigned cpu, uint64_t off, unsigned width, bool write,
                      uint64_t *v, unsigned limit);
/* The first INTID a distributor bank register covers, or -1. */
long vgic_bank_first_intid(uint64_t off);
/* SGI intid from vCPU from to every vCPU in the mask (bit n: vCPU n). */
void vgic_send_sgi(struct vgic *g, unsigned intid, uint32_t targets);
