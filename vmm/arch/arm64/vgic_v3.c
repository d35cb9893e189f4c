// SPDX-License-Identifier: MIT
/*
 * The GICv3 distributor and redistributors of a VM (see vgic.h). Affinity routing only (ARE is
 * always on), one security state (DS reads as one), no LPIs or ITS. Each INTID has: enable,
 * group, priority, edge or level, the device's line level and, for edges and software-set
 * pending, a latch. An interrupt goes into one list register of its target vCPU at a time;
 * level ones carry the EOI bit, so their deactivation ends the run and the line is looked at
 * again. The kernel's own injection of the virtual timer (INTID 27) uses LRs the model does not
 * own; they are left alone.
 */
#include "vgic.h"
#include <keel/rt.h>
#include <string.h>

#define VGIC_SPIS 96 /* INTIDs 32..127 */
#define VTIMER_INTID 27
#define LR_STATE (KEEL_VGIC_LR_PENDING | KEEL_VGIC_LR_ACTIVE)

enum {
    GICD_CTLR = 0x0, GICD_TYPER = 0x4, GICD_IIDR = 0x8, GICD_TYPER2 = 0xc,
    GICD_IGROUPR = 0x80, GICD_ISENABLER = 0x100, GICD_ICENABLER = 0x180,
    GICD_ISPENDR = 0x200, GICD_ICPENDR = 0x280, GICD_ISACTIVER = 0x300, GICD_ICACTIVER = 0x380,
    GICD_IPRIORITYR = 0x400, GICD_ITARGETSR = 0x800, GICD_ICFGR = 0xc00, GICD_IGRPMODR = 0xd00,
    GICD_IROUTER = 0x6000, GIC_PIDR2 = 0xffe8,
    GICR_CTLR = 0x0, GICR_IIDR = 0x4, GICR_TYPER = 0x8, GICR_WAKER = 0x14,
    GICR_FRAME = 0x20000, GICR_SGI = 0x10000,
};
#define CTLR_ENABLE_G0 1u
#define CTLR_ENABLE_G1 2u
#define CTLR_ARE (1u << 4)
#define CTLR_DS (1u << 6)
#define PIDR2_GICV3 0x3b

struct vgic_irq {
    uint8_t priority;
    uint8_t target;   /* vCPU index (SPIs; from IROUTER) */
    uint8_t in_lr;    /* vCPU index + 1 while in one of its list registers */
    bool enabled, group1, edge, line, latch;
    uint64_t router;
};

struct vgic {
    struct vm *vm;
    uint32_t ctlr;
    struct vgic_irq spi[VGIC_SPIS];
    struct vgic_irq priv[VM_MAX_VCPUS][32]; /* SGIs and PPIs, per redistributor */
    uint32_t waker[VM_MAX_VCPUS];
    /* Per vCPU, the INTIDs that may have become deliverable (a set bit is looked at, at the next
     * fill of its list registers; a clear bit is certainly not deliverable there). */
    uint64_t maybe[VM_MAX_VCPUS][(32 + VGIC_SPIS) / 64];
    bool warned_no_lrs;
};

static struct vgic the_vgic; /* one VM per VMM */

static struct vgic_irq *irq_of(struct vgic *g, unsigned cpu, unsigned intid)
{
    if (intid < 32) {
        return &g->priv[cpu][intid];
    }
    return intid < 32 + VGIC_SPIS ? &g->spi[intid - 32] : NULL;
}

static bool pending(const struct vgic_irq *i)
{
    return i->latch || (!i->edge && i->line);
}

static bool deliverable(const struct vgic *g, const struct vgic_irq *i)
{
    uint32_t group_on = i->group1 ? CTLR_ENABLE_G1 : CTLR_ENABLE_G0;
    return i->enabled && !i->in_lr && pending(i) && (g->ctlr & group_on);
}

static void mark(struct vgic *g, unsigned cpu, unsigned intid)
{
    g->maybe[cpu][intid / 64] |= 1ull << (intid % 64);
}

/* Marks that intid may be deliverable to cpu now, and makes cpu look. */
static void wake(struct vgic *g, unsigned cpu, unsigned intid)
{
    if (cpu < g->vm->vcpu_count) {
        mark(g, cpu, intid);
        vcpu_kick(&g->vm->vcpus[cpu]);
    }
}

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

void vm_irq_set(struct vm *vm, unsigned intid, bool level)
{
    struct vgic *g = vm->gic;
    struct vgic_irq *i = g && intid >= 32 ? irq_of(g, 0, intid) : NULL;
    if (!i) {
        return;
    }
    bool rise = level && !i->line;
    i->line = level;
    if (rise) {
        if (i->edge) {
            i->latch = true;
        }
        wake(g, i->target, intid);
    }
}

/* ---- registers with one bit, two bits or one byte per INTID ---- */

enum bit_reg { R_GROUP, R_SET_ENABLE, R_CLEAR_ENABLE, R_SET_PEND, R_CLEAR_PEND, R_ACTIVE, R_GRPMOD };

static uint32_t bits_read(struct vgic *g, unsigned cpu, unsigned first, enum bit_reg r)
{
    uint32_t v = 0;
    for (unsigned b = 0; b < 32; b++) {
        struct vgic_irq *i = irq_of(g, cpu, first + b);
        bool on = false;
        if (!i) {
            break;
        }
        switch (r) {
        case R_GROUP: on = i->group1; break;
        case R_SET_ENABLE: case R_CLEAR_ENABLE: on = i->enabled; break;
        case R_SET_PEND: case R_CLEAR_PEND: on = pending(i); break;
        case R_ACTIVE: case R_GRPMOD: on = false; break;
        }
        v |= (uint32_t)on << b;
    }
    return v;
}

static void bits_write(struct vgic *g, unsigned cpu, unsigned first, enum bit_reg r, uint32_t v)
{
    for (unsigned b = 0; b < 32; b++) {
        struct vgic_irq *i = irq_of(g, cpu, first + b);
        bool bit = (v >> b) & 1;
        if (!i) {
            break;
        }
        switch (r) {
        case R_GROUP: i->group1 = bit; break;
        case R_SET_ENABLE: i->enabled |= bit; break;
        case R_CLEAR_ENABLE: i->enabled &= !bit; break;
        case R_SET_PEND: i->latch |= bit; break;
        case R_CLEAR_PEND: i->latch &= !bit; break;
        case R_ACTIVE: case R_GRPMOD: break; /* active state lives in the LRs; one group mode */
        }
        if (bit && (r == R_SET_ENABLE || r == R_SET_PEND || r == R_GROUP)) {
            wake(g, first + b < 32 ? cpu : i->target, first + b);
        }
    }
}

/* The registers of INTIDs [first, first + 32 or more) at off in a bank that starts with
 * IGROUPR, as the distributor (SPIs) and a redistributor's SGI frame (SGIs, PPIs) both have. */
static bool bank_access(struct vgic *g, unsigned cpu, uint64_t off, unsigned width, bool write,
                        uint64_t *v, unsigned limit)
{
    static const struct { uint32_t base; enum bit_reg r; } bit_regs[] = {
        { GICD_IGROUPR, R_GROUP },       { GICD_ISENABLER, R_SET_ENABLE },
        { GICD_ICENABLER, R_CLEAR_ENABLE }, { GICD_ISPENDR, R_SET_PEND },
        { GICD_ICPENDR, R_CLEAR_PEND },  { GICD_ISACTIVER, R_ACTIVE },
        { GICD_ICACTIVER, R_ACTIVE },    { GICD_IGRPMODR, R_GRPMOD },
    };
    for (unsigned k = 0; k < sizeof(bit_regs) / sizeof(bit_regs[0]); k++) {
        if (off >= bit_regs[k].base && off < bit_regs[k].base + limit / 8) {
            if (width != 4) {
                return false;
            }
            unsigned first = (unsigned)(off - bit_regs[k].base) * 8;
            if (write) {
                bits_write(g, cpu, first, bit_regs[k].r, (uint32_t)*v);
            } else {
                *v = bits_read(g, cpu, first, bit_regs[k].r);
            }
            return true;
        }
    }
    if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + limit) {
        if (width != 1 && width != 4) {
            return false;
        }
        unsigned first = (unsigned)(off - GICD_IPRIORITYR);
        uint64_t r = 0;
        for (unsigned b = 0; b < width; b++) {
            struct vgic_irq *i = irq_of(g, cpu, first + b);
            if (i && write) {
                i->priority = (uint8_t)(*v >> (8 * b));
            } else if (i) {
                r |= (uint64_t)i->priority << (8 * b);
            }
        }
        if (!write) {
            *v = r;
        }
        return true;
    }
    if (off >= GICD_ICFGR && off < GICD_ICFGR + limit / 4) {
        if (width != 4) {
            return false;
        }
        unsigned first = (unsigned)(off - GICD_ICFGR) * 4;
        uint32_t r = 0;
        for (unsigned b = 0; b < 16; b++) {
            struct vgic_irq *i = irq_of(g, cpu, first + b);
            if (i && write && first + b >= 16) { /* SGIs are always edge */
                i->edge = (*v >> (2 * b + 1)) & 1;
            }
            r |= (uint32_t)(i && i->edge) << (2 * b + 1);
        }
        if (!write) {
            *v = r;
        }
        return true;
    }
    return false;
}

/* The first INTID a distributor bank register covers, or -1. */
static long bank_first_intid(uint64_t off)
{
    if (off >= GICD_IGROUPR && off < GICD_IPRIORITYR) {
        return (long)(off & 0x7f) * 8;
    }
    if (off >= GICD_IPRIORITYR && off < GICD_ITARGETSR) {
        return (long)(off - GICD_IPRIORITYR);
    }
    if (off >= GICD_ICFGR && off < GICD_IGRPMODR) {
        return (long)(off - GICD_ICFGR) * 4;
    }
    if (off >= GICD_IGRPMODR && off < GICD_IGRPMODR + 0x80) {
        return (long)(off - GICD_IGRPMODR) * 8;
    }
    return -1;
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
                wake(g, c, 0);
            }
        } else {
            *v = g->ctlr; /* RWP (bit 31) is never set: changes take effect at once */
        }
        return true;
    case GICD_TYPER: /* ITLinesNumber, 10 INTID bits, no LPIs, no security extension */
        if (!write) {
            *v = ((32 + VGIC_SPIS) / 32 - 1) | (9u << 19);
        }
        return width == 4;
    case GICD_IIDR:
    case GICD_TYPER2:
        if (!write) {
            *v = 0;
        }
        return width == 4;
    case GIC_PIDR2:
        if (!write) {
            *v = PIDR2_GICV3;
        }
        return width == 4;
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
                wake(g, t, (unsigned)((off - GICD_IROUTER) / 8));
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
    long first = bank_first_intid(off);
    if (first >= 0 && first < 32) {
        if (!write) {
            *v = 0;
        }
        return width == 4 || (width == 1 && off >= GICD_IPRIORITYR && off < GICD_ITARGETSR);
    }
    return bank_access(g, 0, off, width, write, v, 32 + VGIC_SPIS);
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
        return bank_access(g, cpu, off - GICR_SGI, width, write, v, 32);
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
        if (!write) {
            *v = PIDR2_GICV3;
        }
        return width == 4;
    case GICR_CTLR:
    case GICR_IIDR:
    default:
        if (!write) {
            *v = 0;
        }
        return width == 4;
    }
}

int vgic_create(struct vm *vm, gpa_t dist, gpa_t redist, uint64_t redist_size)
{
    struct vgic *g = &the_vgic;
    if (vm->gic || redist_size < (uint64_t)vm->vcpu_count * GICR_FRAME) {
        printf("vmm: %s: the GICv3 needs a redistributor frame (128 KiB) per CPU\n", vm->name);
        return -1;
    }
    memset(g, 0, sizeof(*g));
    g->vm = vm;
    g->ctlr = CTLR_ARE | CTLR_DS;
    for (unsigned c = 0; c < VM_MAX_VCPUS; c++) {
        for (unsigned i = 0; i < 16; i++) {
            g->priv[c][i].edge = true; /* SGIs */
            g->priv[c][i].enabled = true;
        }
    }
    struct mmio_device *dd = vm_device_add(vm, "gicv3-dist", dist, 0x10000);
    struct mmio_device *rd = vm_device_add(vm, "gicv3-redist", redist,
                                           (uint64_t)vm->vcpu_count * GICR_FRAME);
    if (!dd || !rd) {
        printf("vmm: %s: too many devices\n", vm->name);
        return -1;
    }
    dd->state = rd->state = g;
    dd->access = dist_access;
    rd->access = redist_access;
    vm->gic = g;
    return 0;
}

/* ---- list registers ---- */

/* The deliverable interrupt of highest priority among cpu's candidates; candidates that are not
 * deliverable are dropped (what makes them deliverable again marks them again). */
static struct vgic_irq *best_deliverable(struct vgic *g, unsigned cpu, unsigned *intid)
{
    struct vgic_irq *best = NULL;
    for (unsigned w = 0; w < (32 + VGIC_SPIS) / 64; w++) {
        for (uint64_t bits = g->maybe[cpu][w]; bits; bits &= bits - 1) {
            unsigned n = w * 64 + (unsigned)__builtin_ctzll(bits);
            struct vgic_irq *i = irq_of(g, cpu, n);
            if ((n >= 32 && i->target != cpu) || !deliverable(g, i)) {
                g->maybe[cpu][w] &= ~(1ull << (n % 64));
            } else if (!best || i->priority < best->priority) {
                best = i;
                *intid = n;
            }
        }
    }
    return best;
}

void vgic_flush(struct vm *vm, struct vcpu *v)
{
    struct vgic *g = vm->gic;
    if (!g) {
        return;
    }
    struct keel_vcpu_state *s = v->state;
    vm_lock(&vm->lock);
    /* What the guest finished: level lines still high are pending again. */
    for (unsigned l = 0; l < KEEL_VGIC_LRS; l++) {
        if (!(v->lr_owned & (1u << l))) {
            continue;
        }
        struct vgic_irq *i = irq_of(g, v->id, v->lr_intid[l]);
        bool taken_over = (uint32_t)s->vgic_lr[l] != v->lr_intid[l]; /* the kernel's timer */
        if (!(s->vgic_lr[l] & LR_STATE) || taken_over) {
            if (!taken_over) {
                s->vgic_lr[l] = 0;
            }
            v->lr_owned &= ~(1u << l);
            i->in_lr = 0;
            mark(g, v->id, v->lr_intid[l]);
        } else if (i->latch && !(s->vgic_lr[l] & KEEL_VGIC_LR_PENDING)) {
            s->vgic_lr[l] |= KEEL_VGIC_LR_PENDING; /* an edge while active: pending again */
            i->latch = false;
        }
    }
    bool more = false;
    unsigned count = s->vgic_lr_count < KEEL_VGIC_LRS ? s->vgic_lr_count : KEEL_VGIC_LRS;
    unsigned intid = 0;
    struct vgic_irq *i;
    if (count == 0 && s->exit_esr && !g->warned_no_lrs && best_deliverable(g, v->id, &intid)) {
        g->warned_no_lrs = true;
        printf("vmm: %s: no GICv3 list registers (GICv2 board?): interrupts cannot be delivered\n",
               vm->name);
    }
    while (count && (i = best_deliverable(g, v->id, &intid))) {
        unsigned l = 0;
        while (l < count && (s->vgic_lr[l] & LR_STATE)) {
            l++;
        }
        if (l == count) {
            more = true; /* all in use: exit when they drain */
            break;
        }
        s->vgic_lr[l] = KEEL_VGIC_LR_PENDING | KEEL_VGIC_LR_PRIORITY(i->priority) | intid |
                        (i->group1 ? KEEL_VGIC_LR_GROUP1 : 0) | (i->edge ? 0 : KEEL_VGIC_LR_EOI);
        v->lr_owned |= 1u << l;
        v->lr_intid[l] = intid;
        i->in_lr = (uint8_t)(v->id + 1);
        i->latch = false; /* an edge, or pending set by software: delivered once */
        g->maybe[v->id][intid / 64] &= ~(1ull << (intid % 64));
    }
    s->vgic_flags = more ? KEEL_VGIC_UNDERFLOW : 0;
    vm_unlock(&vm->lock);
}

bool vgic_has_pending(struct vm *vm, struct vcpu *v)
{
    for (unsigned l = 0; l < KEEL_VGIC_LRS; l++) {
        if (v->state->vgic_lr[l] & KEEL_VGIC_LR_PENDING) {
            return true;
        }
    }
    for (unsigned w = 0; vm->gic && w < (32 + VGIC_SPIS) / 64; w++) {
        if (vm->gic->maybe[v->id][w]) {
            return true;
        }
    }
    return false;
}

void vgic_sgi(struct vm *vm, struct vcpu *from, uint64_t r)
{
    struct vgic *g = vm->gic;
    if (!g) {
        return;
    }
    unsigned intid = (r >> 24) & 0xf;
    uint64_t aff321 = (r >> 16 & 0xff) << 8 | (r >> 32 & 0xff) << 16 | (r >> 48 & 0xff) << 24;
    unsigned rs = (r >> 44) & 0xf;
    vm_lock(&vm->lock);
    for (unsigned c = 0; c < vm->vcpu_count; c++) {
        uint64_t m = vm->vcpus[c].mpidr;
        uint64_t aff = (m & 0xff00) | (m & 0xff0000) | ((m >> 32 & 0xff) << 24);
        unsigned aff0 = m & 0xff;
        bool hit = (r & (1ull << 40)) ? c != from->id
                                       : aff == aff321 && aff0 / 16 == rs && (r >> (aff0 % 16)) & 1;
        if (hit) {
            g->priv[c][intid].latch = true;
            wake(g, c, intid);
        }
    }
    vm_unlock(&vm->lock);
}

void vgic_vtimer(struct vm *vm, struct vcpu *v)
{
    if (vm->gic) {
        vm_lock(&vm->lock);
        vm->gic->priv[v->id][VTIMER_INTID].latch = true;
        mark(vm->gic, v->id, VTIMER_INTID);
        vm_unlock(&vm->lock);
    }
}
