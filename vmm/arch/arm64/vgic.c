// SPDX-License-Identifier: MIT
/*
 * The interrupt controller model of a VM (see vgic_model.h): per INTID enable, group, priority,
 * edge or level, the device's line level and, for edges and software-set pending, a latch. An
 * interrupt goes into one list register of its target vCPU at a time, the highest priorities
 * first; with all in use, one of higher priority takes the place of the lowest only pending
 * there, else the run ends when they drain (UNDERFLOW); level ones carry the EOI
 * bit, so their deactivation ends the run and the line is looked at again. The kernel's own
 * injection of the virtual timer (INTID 27) uses list registers the model does not own; they are
 * left alone. The model tells the kernel when it may inject it (KEEL_VGIC_VTIMER_ON: INTID 27
 * and its group enabled) and ends the kernel's hold on it when the guest dropped it
 * (vtimer_release; uapi/keel/vcpu_state_arm64.h).
 */
#include "vgic_model.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <string.h>

static struct vgic the_vgic; /* one VM per VMM */

struct vgic_irq *vgic_irq_of(struct vgic *g, unsigned cpu, unsigned intid)
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
    /* (Atomic: candidates() reads them without the lock.) */
    __atomic_fetch_or(&g->maybe[cpu][intid / 64], 1ull << (intid % 64), __ATOMIC_RELAXED);
}

/* Marks that intid may be deliverable to cpu now, and makes cpu look. */
void vgic_wake(struct vgic *g, unsigned cpu, unsigned intid)
{
    if (cpu < g->vm->vcpu_count) {
        mark(g, cpu, intid);
        vcpu_kick(&g->vm->vcpus[cpu]);
    }
}

void vm_irq_set(struct vm *vm, unsigned intid, bool level)
{
    struct vgic *g = vm->arch.gic;
    struct vgic_irq *i = g && intid >= 32 ? vgic_irq_of(g, 0, intid) : NULL;
    if (!i) {
        return;
    }
    vm_lock(&vm->irq_lock);
    bool rise = level && !i->line;
    i->line = level;
    if (rise) {
        if (i->edge) {
            i->latch = true;
        }
        vgic_wake(g, i->target, intid);
    }
    vm_unlock(&vm->irq_lock);
}

void vgic_ppi_level(struct vm *vm, struct vcpu *v, unsigned intid, bool level)
{
    struct vgic *g = vm->arch.gic;
    struct vgic_irq *i = g && intid >= 16 && intid < 32 ? &g->priv[v->id][intid] : NULL;
    if (!i || __atomic_load_n(&i->line, __ATOMIC_RELAXED) == level) {
        return; /* (the common case: no change, no lock) */
    }
    vm_lock(&vm->irq_lock);
    i->line = level;
    if (level) {
        i->latch |= i->edge; /* (a guest may have made it edge: GICR_ICFGR1) */
        mark(g, v->id, intid);
    }
    vm_unlock(&vm->irq_lock);
}

/* Whether v's virtual timer asserts its interrupt at count now (ENABLE, not IMASK, due), from
 * what the area had at v's last exit. */
static bool vtimer_level(const struct keel_vcpu_state *s, uint64_t now)
{
    return (s->cntv_ctl_el0 & 3) == 1 && now >= s->cntv_cval_el0;
}

/* The state bits (pending, active) of intid in cpu's list registers: the model's entries and the
 * kernel's own for the virtual timer. (cpu's area as at its last exit: current when cpu is the
 * vCPU asking, as a guest reading its own redistributor is.) */
static uint64_t lr_state_of(struct vgic *g, unsigned cpu, unsigned intid)
{
    uint64_t st = 0;
    if (cpu < g->vm->vcpu_count) {
        const struct keel_vcpu_state *s = g->vm->vcpus[cpu].state;
        for (unsigned l = 0; l < KEEL_VGIC_LRS; l++) {
            uint64_t lr = __atomic_load_n(&s->vgic_lr[l], __ATOMIC_RELAXED);
            st |= (uint32_t)lr == intid ? lr & LR_STATE : 0;
        }
    }
    return st;
}

/* What ISPENDR / ISACTIVER show of intid (on cpu's redistributor for SGIs and PPIs): the model's
 * pending state and the list register's. The virtual timer's is its level (a level interrupt is
 * pending while asserted, whether the kernel has taken it yet or not); the latch the kernel's
 * hold left (vgic_vtimer) counts only while the timer still asserts it (vtimer_release drops it
 * at the next resume), one the guest set (ISPENDR0) always. */
static uint64_t shown_state(struct vgic *g, unsigned cpu, unsigned intid, const struct vgic_irq *i)
{
    unsigned where = intid < 32 ? cpu : i->in_lr ? i->in_lr - 1u : VM_MAX_VCPUS;
    uint64_t st = lr_state_of(g, where, intid);
    bool shown = pending(i);
    if (intid == VTIMER_INTID && cpu < g->vm->vcpu_count) {
        const struct keel_vcpu_state *s = g->vm->vcpus[cpu].state;
        bool level = vtimer_level(s, keel_cycles());
        shown = level || (shown && !__atomic_load_n(&s->vtimer_held, __ATOMIC_RELAXED));
    }
    return shown ? st | KEEL_VGIC_LR_PENDING : st;
}

/* ---- registers with one bit, two bits or one byte per INTID ---- */

enum bit_reg { R_GROUP, R_SET_ENABLE, R_CLEAR_ENABLE, R_SET_PEND, R_CLEAR_PEND, R_ACTIVE, R_GRPMOD };

static uint32_t bits_read(struct vgic *g, unsigned cpu, unsigned first, enum bit_reg r)
{
    uint32_t v = 0;
    for (unsigned b = 0; b < 32; b++) {
        struct vgic_irq *i = vgic_irq_of(g, cpu, first + b);
        bool on = false;
        if (!i) {
            break;
        }
        switch (r) {
        case R_GROUP: on = i->group1; break;
        case R_SET_ENABLE: case R_CLEAR_ENABLE: on = i->enabled; break;
        case R_SET_PEND:
        case R_CLEAR_PEND:
            on = shown_state(g, cpu, first + b, i) & KEEL_VGIC_LR_PENDING;
            break;
        case R_ACTIVE:
            on = shown_state(g, cpu, first + b, i) & KEEL_VGIC_LR_ACTIVE;
            break;
        case R_GRPMOD:
            on = false;
            break;
        }
        v |= (uint32_t)on << b;
    }
    return v;
}

static void bits_write(struct vgic *g, unsigned cpu, unsigned first, enum bit_reg r, uint32_t v)
{
    for (unsigned b = 0; b < 32; b++) {
        struct vgic_irq *i = vgic_irq_of(g, cpu, first + b);
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
            vgic_wake(g, first + b < 32 ? cpu : i->target, first + b);
        }
    }
}

/* The registers of INTIDs [first, first + 32 or more) at off in a bank that starts with
 * IGROUPR, as the distributor (SPIs) and a redistributor's SGI frame (SGIs, PPIs) both have. */
bool vgic_bank_access(struct vgic *g, unsigned cpu, uint64_t off, unsigned width, bool write,
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
            struct vgic_irq *i = vgic_irq_of(g, cpu, first + b);
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
            struct vgic_irq *i = vgic_irq_of(g, cpu, first + b);
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
long vgic_bank_first_intid(uint64_t off)
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

struct vgic *vgic_model_create(struct vm *vm, unsigned version)
{
    struct vgic *g = &the_vgic;
    if (vm->arch.gic) {
        printf("vmm: %s: one interrupt controller per VM\n", vm->name);
        return NULL;
    }
    memset(g, 0, sizeof(*g));
    g->vm = vm;
    g->version = version;
    for (unsigned c = 0; c < VM_MAX_VCPUS; c++) {
        for (unsigned i = 0; i < 16; i++) {
            g->priv[c][i].edge = true; /* SGIs */
            g->priv[c][i].enabled = true;
        }
    }
    vm->arch.gic = g;
    return g;
}

/* Whether the kernel may inject v's timer interrupt itself: INTID 27 enabled at v's
 * redistributor and its group enabled at the distributor; with the group and priority the guest
 * gave it. (Read without the lock: a change comes with an exit of v, whose next resume looks
 * again.) */
static uint32_t vtimer_flag(struct vgic *g, struct vcpu *v)
{
    const struct vgic_irq *t = &g->priv[v->id][VTIMER_INTID];
    bool group1 = __atomic_load_n(&t->group1, __ATOMIC_RELAXED);
    uint32_t group_on = group1 ? CTLR_ENABLE_G1 : CTLR_ENABLE_G0;
    bool on = __atomic_load_n(&t->enabled, __ATOMIC_RELAXED) &&
              (__atomic_load_n(&g->ctlr, __ATOMIC_RELAXED) & group_on);
    return on ? KEEL_VGIC_VTIMER_ON | (group1 ? KEEL_VGIC_VTIMER_GROUP1 : 0) |
                    KEEL_VGIC_VTIMER_PRIORITY(__atomic_load_n(&t->priority, __ATOMIC_RELAXED))
              : 0;
}

int arch_vm_irq_passthrough(struct vm *vm, unsigned intid, void (*eoi)(void *ctx), void *ctx)
{
    struct vgic *g = vm->arch.gic;
    struct vgic_irq *i = g && intid >= 32 ? vgic_irq_of(g, 0, intid) : NULL;
    if (!i) {
        return -1;
    }
    vm_lock(&vm->irq_lock);
    bool room = !i->passthrough && g->passthrough_count < VM_MAX_PASSTHROUGH;
    if (room) { /* (a line is one device's) */
        g->passthrough[g->passthrough_count++] = (struct vgic_passthrough){ intid, eoi, ctx };
        i->passthrough = true;
    }
    vm_unlock(&vm->irq_lock);
    return room ? 0 : -1;
}

/* The guest has finished passthrough line intid: its device's hook. */
static void passthrough_end(struct vgic *g, unsigned intid)
{
    for (unsigned k = 0; k < g->passthrough_count; k++) {
        if (g->passthrough[k].intid == intid) {
            g->passthrough[k].eoi(g->passthrough[k].ctx);
        }
    }
}

void arch_vm_irq_direct(struct vm *vm, unsigned intid)
{
    if (vm->arch.gic) {
        __atomic_store_n(&vm->arch.gic->direct_intid, intid, __ATOMIC_RELEASE);
    }
}

/* What the kernel may do with the INTID it delivers to v directly (vgic_direct): ON when the
 * guest may take it now: enabled, its group enabled, routed to v, and not in the model's hands
 * (in a list register, or pending in the model: it came through the VMM last time). (Read
 * without the lock: a change comes with an exit of v, whose next resume looks again.) */
static uint32_t direct_word(struct vgic *g, struct vcpu *v)
{
    unsigned intid = __atomic_load_n(&g->direct_intid, __ATOMIC_ACQUIRE);
    const struct vgic_irq *i = intid ? vgic_irq_of(g, v->id, intid) : NULL;
    if (!i) {
        return 0;
    }
    bool group1 = __atomic_load_n(&i->group1, __ATOMIC_RELAXED);
    uint32_t group_on = group1 ? CTLR_ENABLE_G1 : CTLR_ENABLE_G0;
    bool on = __atomic_load_n(&i->enabled, __ATOMIC_RELAXED) &&
              (__atomic_load_n(&g->ctlr, __ATOMIC_RELAXED) & group_on) &&
              __atomic_load_n(&i->target, __ATOMIC_RELAXED) == v->id &&
              !__atomic_load_n(&i->in_lr, __ATOMIC_RELAXED) &&
              !__atomic_load_n(&i->line, __ATOMIC_RELAXED) &&
              !__atomic_load_n(&i->latch, __ATOMIC_RELAXED);
    return on ? KEEL_VGIC_DIRECT_ON | (group1 ? KEEL_VGIC_DIRECT_GROUP1 : 0) |
                    KEEL_VGIC_DIRECT_PRIORITY(__atomic_load_n(&i->priority, __ATOMIC_RELAXED))
              : 0;
}

/* The kernel holds v's timer interrupt until the guest deactivates it from a list register.
 * When it is in none and the model no longer has it pending (the guest cleared it: GICR
 * ICPENDR0; or the timer no longer asserts it: the guest disabled, masked or re-armed it while
 * INTID 27 was disabled), that will not come: let the kernel look at the timer's level again,
 * as a level interrupt's pending state follows its line on hardware. */
static void vtimer_release(struct vgic *g, struct vcpu *v)
{
    struct keel_vcpu_state *s = v->state;
    if (lr_state_of(g, v->id, VTIMER_INTID)) {
        return;
    }
    vm_lock(&g->vm->irq_lock);
    struct vgic_irq *t = &g->priv[v->id][VTIMER_INTID];
    if (t->latch && !vtimer_level(s, keel_cycles())) {
        t->latch = false; /* (what the kernel took it for has gone) */
    }
    if (!t->latch) {
        s->vtimer_held = 0;
    }
    vm_unlock(&g->vm->irq_lock);
}

void vgic_model_reset(struct vm *vm)
{
    struct vgic *g = vm->arch.gic;
    if (!g) {
        return;
    }
    vm_lock(&vm->irq_lock);
    /* The registers as at power on; the lines stay as the devices drive them. */
    for (unsigned i = 0; i < VGIC_SPIS; i++) {
        g->spi[i] = (struct vgic_irq){ .line = g->spi[i].line,
                                       .passthrough = g->spi[i].passthrough };
    }
    for (unsigned c = 0; c < VM_MAX_VCPUS; c++) {
        for (unsigned i = 0; i < 32; i++) {
            g->priv[c][i] = (struct vgic_irq){ .edge = i < 16, .enabled = i < 16 };
        }
        g->waker[c] = 0;
    }
    g->ctlr = 0;
    memset(g->maybe, 0, sizeof(g->maybe));
    for (unsigned c = 0; c < vm->vcpu_count; c++) {
        struct vcpu *v = &vm->vcpus[c];
        memset(v->state->vgic_lr, 0, sizeof(v->state->vgic_lr));
        v->state->vgic_flags = 0;
        v->state->vtimer_held = 0;
        v->arch.lr_owned = 0;
    }
    vm_unlock(&vm->irq_lock);
}

void vgic_send_sgi(struct vgic *g, unsigned intid, uint32_t targets)
{
    for (unsigned c = 0; c < g->vm->vcpu_count; c++) {
        if (targets & (1u << c)) {
            g->priv[c][intid & 15].latch = true;
            vgic_wake(g, c, intid & 15);
        }
    }
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
            struct vgic_irq *i = vgic_irq_of(g, cpu, n);
            if ((n >= 32 && i->target != cpu) || !deliverable(g, i)) {
                __atomic_fetch_and(&g->maybe[cpu][w], ~(1ull << (n % 64)), __ATOMIC_RELAXED);
            } else if (!best || i->priority < best->priority) {
                best = i;
                *intid = n;
            }
        }
    }
    return best;
}

/* Whether cpu has candidates (read without the lock). */
static bool candidates(struct vgic *g, unsigned cpu)
{
    uint64_t any = 0;
    for (unsigned w = 0; w < (32 + VGIC_SPIS) / 64; w++) {
        any |= __atomic_load_n(&g->maybe[cpu][w], __ATOMIC_RELAXED);
    }
    return any != 0;
}

/* With all of v's list registers in use: the one only pending there, of lower priority than
 * priority and the lowest such, is given back to the model, its pending state with it (an edge's
 * or software's in the latch; a level line's is its line). Returns the freed LR, or -1. (The
 * guest is to see the highest priority pending first, as on a GIC; and pending LRs the guest
 * masks, by PMR or a running priority, never drain: they must not keep a higher one out.) */
static int give_back_lower(struct vgic *g, struct vcpu *v, unsigned count, uint8_t priority)
{
    struct keel_vcpu_state *s = v->state;
    int victim = -1;
    for (unsigned l = 0; l < count; l++) {
        uint64_t lr = s->vgic_lr[l];
        unsigned p = (unsigned)(lr >> 48) & 0xff;
        if ((v->arch.lr_owned >> l & 1) && (lr & LR_STATE) == KEEL_VGIC_LR_PENDING &&
            p > priority && (victim < 0 || p > ((s->vgic_lr[victim] >> 48) & 0xff))) {
            victim = (int)l;
        }
    }
    if (victim >= 0) {
        unsigned intid = v->arch.lr_intid[victim];
        struct vgic_irq *i = vgic_irq_of(g, v->id, intid);
        i->in_lr = 0;
        i->latch |= i->edge || !i->line;
        s->vgic_lr[victim] = 0;
        v->arch.lr_owned &= ~(1u << victim);
        mark(g, v->id, intid);
    }
    return victim;
}

void vgic_flush(struct vm *vm, struct vcpu *v)
{
    struct vgic *g = vm->arch.gic;
    struct keel_vcpu_state *s = v->state;
    if (!g) {
        s->vgic_flags = KEEL_VGIC_VTIMER_DEFAULT; /* no model: the guest's own GIC interface */
        return;
    }
    const uint32_t timer = vtimer_flag(g, v);
    s->vgic_direct = direct_word(g, v);
    if (s->vtimer_held) {
        vtimer_release(g, v);
    }
    if (!v->arch.lr_owned && !candidates(g, v->id)) {
        /* Nothing in its list registers, nothing to put there. (A candidate marked meanwhile
         * comes with a kick: the vCPU exits and looks again.) */
        s->vgic_flags = timer;
        return;
    }
    vm_lock(&vm->irq_lock);
    /* What the guest finished: level lines still high are pending again. */
    for (uint32_t owned = v->arch.lr_owned; owned; owned &= owned - 1) {
        unsigned l = (unsigned)__builtin_ctz(owned);
        struct vgic_irq *i = vgic_irq_of(g, v->id, v->arch.lr_intid[l]);
        bool taken_over = (uint32_t)s->vgic_lr[l] != v->arch.lr_intid[l]; /* the kernel's timer */
        if (!(s->vgic_lr[l] & LR_STATE) || taken_over) {
            if (!taken_over) {
                s->vgic_lr[l] = 0;
            }
            v->arch.lr_owned &= ~(1u << l);
            i->in_lr = 0;
            if (i->passthrough && !taken_over) {
                i->line = false; /* the device is asked again (Irq UNMASK) */
                passthrough_end(g, v->arch.lr_intid[l]);
            }
            mark(g, v->id, v->arch.lr_intid[l]);
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
    unsigned l = 0;
    while (count && (i = best_deliverable(g, v->id, &intid))) {
        while (l < count && (s->vgic_lr[l] & LR_STATE)) {
            l++; /* (the ones before are taken: the search goes on from here) */
        }
        if (l == count) {
            int freed = give_back_lower(g, v, count, i->priority);
            if (freed < 0) {
                more = true; /* all in use: exit when they drain */
                break;
            }
            l = (unsigned)freed;
        }
        s->vgic_lr[l] = KEEL_VGIC_LR_PENDING | KEEL_VGIC_LR_PRIORITY(i->priority) | intid |
                        (i->group1 ? KEEL_VGIC_LR_GROUP1 : 0) | (i->edge ? 0 : KEEL_VGIC_LR_EOI);
        v->arch.lr_owned |= 1u << l;
        v->arch.lr_intid[l] = intid;
        i->in_lr = (uint8_t)(v->id + 1);
        i->latch = false; /* an edge, or pending set by software: delivered once */
        __atomic_fetch_and(&g->maybe[v->id][intid / 64], ~(1ull << (intid % 64)), __ATOMIC_RELAXED);
    }
    s->vgic_flags = (more ? KEEL_VGIC_UNDERFLOW : 0) | timer;
    vm_unlock(&vm->irq_lock);
}

bool vgic_has_pending(struct vm *vm, struct vcpu *v)
{
    for (unsigned l = 0; l < KEEL_VGIC_LRS; l++) {
        if (v->state->vgic_lr[l] & KEEL_VGIC_LR_PENDING) {
            return true;
        }
    }
    for (unsigned w = 0; vm->arch.gic && w < (32 + VGIC_SPIS) / 64; w++) {
        if (__atomic_load_n(&vm->arch.gic->maybe[v->id][w], __ATOMIC_RELAXED)) {
            return true;
        }
    }
    return false;
}

void vgic_vtimer(struct vm *vm, struct vcpu *v)
{
    if (vm->arch.gic) {
        vm_lock(&vm->irq_lock);
        vm->arch.gic->priv[v->id][VTIMER_INTID].latch = true;
        mark(vm->arch.gic, v->id, VTIMER_INTID);
        vm_unlock(&vm->irq_lock);
    }
}
