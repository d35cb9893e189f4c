// SPDX-License-Identifier: MIT
/*
 * Host tests of the arm64 GIC model's view of the timers (vmm/arch/arm64/vgic.c, vgic_v3.c) and
 * of the emulated EL1 physical timer's registers (ptimer.c):
 * - the kernel is told to inject the virtual timer (KEEL_VGIC_VTIMER_ON) only while the guest has
 *   INTID 27 and its group enabled, with the group and priority the guest gave it;
 * - GICR_ISPENDR0 shows INTID 27 pending while the timer asserts it (held by the kernel or not),
 *   and not once the guest turned the timer off; the kernel's hold then ends and enabling the
 *   interrupt delivers nothing; GICR_ISACTIVER0 shows what is active in a list register;
 * - PPI 30's level (vgic_ppi_level) makes it pending and delivered once, as a level interrupt;
 * - more interrupts in flight than list registers (seven SGIs, PPIs and SPIs over six priorities,
 *   four LRs): every LR used, the highest priorities first, the rest waiting with an exit asked
 *   for, refilled as the guest finishes, each delivered once; an edge while active is active and
 *   pending in its one LR; a level line still high is delivered again; a higher priority that
 *   comes while all are in use (one active) takes the place of the lowest pending one;
 * - CNTP_CTL/CVAL/TVAL arithmetic: ISTATUS, TVAL's 32-bit signed view, the deadline.
 * The vCPUs' areas are plain memory; the counter is host_cycles.
 */
#include "unit.h"
#include "vm.h"
#include "vcpu.h"
#include "vgic_model.h"
#include "ptimer.h"
#include <keel/rt.h>

uint64_t host_cycles;
struct keel_utcb host_utcb;

static struct vm vm;
static struct keel_vcpu_state states[2];
static struct mmio_device devices[2];
static unsigned device_count, kicks;

struct mmio_device *vm_device_add(struct vm *v, const char *name, gpa_t base, uint64_t size)
{
    (void)v;
    struct mmio_device *d = &devices[device_count++];
    *d = (struct mmio_device){ .name = name, .base = base, .size = size };
    return d;
}

void vm_report(struct vm *v, const char *fmt, ...)
{
    (void)v, (void)fmt;
}

void vcpu_kick(struct vcpu *v)
{
    (void)v;
    kicks++;
}

#define REDIST 1
#define SGI(off) (0x10000 + (off))
#define GICR_ISENABLER0 SGI(0x100)
#define GICR_ICENABLER0 SGI(0x180)
#define GICR_ISPENDR0 SGI(0x200)
#define GICR_ISACTIVER0 SGI(0x300)
#define GICR_IGROUPR0 SGI(0x80)
#define GICR_IPRIORITYR SGI(0x400)

static uint64_t rd(unsigned dev, uint64_t off, unsigned width)
{
    uint64_t v = 0;
    CHECK(devices[dev].access(&devices[dev], off, width, false, &v));
    return v;
}

static void wr(unsigned dev, uint64_t off, unsigned width, uint64_t v)
{
    CHECK(devices[dev].access(&devices[dev], off, width, true, &v));
}

static bool pending_bit(unsigned intid)
{
    return (rd(REDIST, GICR_ISPENDR0, 4) >> intid) & 1;
}

/* The lists registers of vCPU 0 that hold intid. */
static unsigned lrs_with(unsigned intid)
{
    unsigned n = 0;
    for (unsigned l = 0; l < KEEL_VGIC_LRS; l++) {
        n += (uint32_t)states[0].vgic_lr[l] == intid && (states[0].vgic_lr[l] & LR_STATE);
    }
    return n;
}

static void test_vtimer_flags(void)
{
    struct vcpu *v = &vm.vcpus[0];
    vgic_flush(&vm, v);
    CHECK_EQ(states[0].vgic_flags & KEEL_VGIC_VTIMER_ON, 0); /* disabled at power on */
    wr(0, GICD_CTLR, 4, CTLR_ENABLE_G1);
    wr(REDIST, GICR_IGROUPR0, 4, 1u << 27);
    wr(REDIST, GICR_IPRIORITYR + 27, 1, 0x70);
    wr(REDIST, GICR_ISENABLER0, 4, 1u << 27);
    vgic_flush(&vm, v);
    CHECK_EQ(states[0].vgic_flags,
             KEEL_VGIC_VTIMER_ON | KEEL_VGIC_VTIMER_GROUP1 | KEEL_VGIC_VTIMER_PRIORITY(0x70));
    wr(REDIST, GICR_IGROUPR0, 4, 0); /* group 0, which is off */
    vgic_flush(&vm, v);
    CHECK_EQ(states[0].vgic_flags & KEEL_VGIC_VTIMER_ON, 0);
    wr(0, GICD_CTLR, 4, CTLR_ENABLE_G0 | CTLR_ENABLE_G1);
    wr(REDIST, GICR_IPRIORITYR + 27, 1, 0xa0);
    vgic_flush(&vm, v);
    CHECK_EQ(states[0].vgic_flags, KEEL_VGIC_VTIMER_ON | KEEL_VGIC_VTIMER_PRIORITY(0xa0));
    wr(REDIST, GICR_IGROUPR0, 4, 1u << 27);
}

static void test_vtimer_pending(void)
{
    struct vcpu *v = &vm.vcpus[0];
    struct keel_vcpu_state *s = &states[0];
    wr(REDIST, GICR_ICENABLER0, 4, 1u << 27);
    host_cycles = 1000;
    s->cntv_cval_el0 = 2000;
    s->cntv_ctl_el0 = 1;
    CHECK(!pending_bit(27)); /* not due yet */
    host_cycles = 2000;
    CHECK(pending_bit(27)); /* asserted: pending, before the kernel took it */
    s->cntv_ctl_el0 = 3;
    CHECK(!pending_bit(27)); /* masked */
    s->cntv_ctl_el0 = 1;
    /* The kernel took it, INTID 27 disabled: held, the model has it. */
    s->vtimer_held = 1;
    vgic_vtimer(&vm, v);
    vgic_flush(&vm, v);
    CHECK_EQ(lrs_with(27), 0); /* not delivered while disabled */
    CHECK(pending_bit(27));
    CHECK_EQ(s->vtimer_held, 1);
    /* The guest turns its timer off: no longer pending; the hold ends; nothing to deliver. */
    s->cntv_ctl_el0 = 0;
    CHECK(!pending_bit(27));
    vgic_flush(&vm, v);
    CHECK_EQ(s->vtimer_held, 0);
    wr(REDIST, GICR_ISENABLER0, 4, 1u << 27);
    vgic_flush(&vm, v);
    CHECK_EQ(lrs_with(27), 0);
    /* Disabled, fired, then enabled while it still asserts: delivered by the model, once. */
    wr(REDIST, GICR_ICENABLER0, 4, 1u << 27);
    s->cntv_ctl_el0 = 1;
    s->vtimer_held = 1;
    vgic_vtimer(&vm, v);
    vgic_flush(&vm, v);
    CHECK_EQ(lrs_with(27), 0);
    wr(REDIST, GICR_ISENABLER0, 4, 1u << 27);
    vgic_flush(&vm, v);
    CHECK_EQ(lrs_with(27), 1);
    /* Taken: active in ISACTIVER0 (and pending in ISPENDR0 while the timer asserts it). */
    for (unsigned l = 0; l < KEEL_VGIC_LRS; l++) {
        if ((uint32_t)s->vgic_lr[l] == 27) {
            CHECK_EQ((s->vgic_lr[l] >> 48) & 0xff, 0xa0);
            s->vgic_lr[l] = (s->vgic_lr[l] & ~KEEL_VGIC_LR_PENDING) | KEEL_VGIC_LR_ACTIVE;
        }
    }
    CHECK_EQ((rd(REDIST, GICR_ISACTIVER0, 4) >> 27) & 1, 1);
    s->cntv_ctl_el0 = 0;
    CHECK(!pending_bit(27));
    for (unsigned l = 0; l < KEEL_VGIC_LRS; l++) {
        if ((uint32_t)s->vgic_lr[l] == 27) {
            s->vgic_lr[l] &= ~LR_STATE; /* deactivated (the kernel ends its hold) */
        }
    }
    s->vtimer_held = 0;
    CHECK_EQ((rd(REDIST, GICR_ISACTIVER0, 4) >> 27) & 1, 0);
    vgic_flush(&vm, v);
    CHECK_EQ(lrs_with(27), 0);
}

static void test_ptimer_line(void)
{
    struct vcpu *v = &vm.vcpus[0];
    struct keel_vcpu_state *s = &states[0];
    wr(REDIST, GICR_IGROUPR0, 4, 1u << 27 | 1u << PTIMER_INTID);
    wr(REDIST, GICR_ISENABLER0, 4, 1u << PTIMER_INTID);
    vgic_ppi_level(&vm, v, PTIMER_INTID, false);
    vgic_flush(&vm, v);
    CHECK(!pending_bit(PTIMER_INTID));
    CHECK_EQ(lrs_with(PTIMER_INTID), 0);
    vgic_ppi_level(&vm, v, PTIMER_INTID, true);
    CHECK(pending_bit(PTIMER_INTID));
    vgic_flush(&vm, v);
    CHECK_EQ(lrs_with(PTIMER_INTID), 1);
    for (unsigned l = 0; l < KEEL_VGIC_LRS; l++) {
        if ((uint32_t)s->vgic_lr[l] == PTIMER_INTID) {
            CHECK(s->vgic_lr[l] & KEEL_VGIC_LR_EOI); /* level: its end is seen */
            s->vgic_lr[l] &= ~LR_STATE;              /* taken and ended, line still high */
        }
    }
    vgic_flush(&vm, v);
    CHECK_EQ(lrs_with(PTIMER_INTID), 1); /* level still high: again */
    for (unsigned l = 0; l < KEEL_VGIC_LRS; l++) {
        if ((uint32_t)s->vgic_lr[l] == PTIMER_INTID) {
            s->vgic_lr[l] &= ~LR_STATE;
        }
    }
    vgic_ppi_level(&vm, v, PTIMER_INTID, false); /* the guest turned the timer off */
    vgic_flush(&vm, v);
    CHECK_EQ(lrs_with(PTIMER_INTID), 0);
    CHECK(!pending_bit(PTIMER_INTID));
}

/* ---- more interrupts in flight than list registers ---- */

enum {
    SGI_LOW = 1,
    SGI_HIGH = 2,
    PPI_LEVEL = 23,
    SPI_EDGE = 33,
    SPI_LEVEL = 34,
    SPI_LOW = 35,
    SPI_TOP = 40,
    SPI_LATE = 41
};
static const unsigned in_flight[] = { SGI_LOW,   SGI_HIGH, PPI_LEVEL, SPI_EDGE,
                                      SPI_LEVEL, SPI_LOW,  SPI_TOP,   SPI_LATE };
static unsigned delivered[64];

static unsigned lr_priority(uint64_t lr)
{
    return (unsigned)(lr >> 48) & 0xff;
}

/* Whether intid shows pending to the guest (GICR_ISPENDR0 / GICD_ISPENDR1). */
static bool shown_pending(unsigned intid)
{
    return intid < 32 ? pending_bit(intid) : (rd(0, GICD_ISPENDR + 4, 4) >> (intid - 32)) & 1;
}

static unsigned priority_of(unsigned intid)
{
    return (unsigned)rd(intid < 32 ? REDIST : 0,
                        (intid < 32 ? GICR_IPRIORITYR : GICD_IPRIORITYR) + intid, 1);
}

/* After a fill of vCPU 0's list registers: only the ones the kernel lets the VMM use, each INTID
 * in one; while an interrupt waits outside them, all of them in use, none pending at a lower
 * priority than it (GIC: a lower value is a higher priority), and an exit asked for when they
 * drain (KEEL_VGIC_UNDERFLOW, ICH_HCR_EL2.UIE). Returns how many wait. */
static unsigned check_lrs(void)
{
    const struct keel_vcpu_state *s = &states[0];
    unsigned used = 0, lowest_in_lr = 0, waiting = 0;
    for (unsigned l = 0; l < KEEL_VGIC_LRS; l++) {
        uint64_t lr = s->vgic_lr[l];
        if (lr & LR_STATE) {
            CHECK(l < s->vgic_lr_count);
            CHECK_EQ(lrs_with((uint32_t)lr), 1);
            used++;
            if ((lr & LR_STATE) == KEEL_VGIC_LR_PENDING && lr_priority(lr) > lowest_in_lr) {
                lowest_in_lr = lr_priority(lr);
            }
        }
    }
    for (unsigned k = 0; k < sizeof(in_flight) / sizeof(in_flight[0]); k++) {
        unsigned n = in_flight[k];
        if (shown_pending(n) && lrs_with(n) == 0) {
            waiting++;
            CHECK(priority_of(n) >= lowest_in_lr);
        }
    }
    if (waiting) {
        CHECK_EQ(used, s->vgic_lr_count);
    }
    CHECK_EQ(!!(s->vgic_flags & KEEL_VGIC_UNDERFLOW), waiting != 0);
    return waiting;
}

/* The guest takes the interrupt the virtual CPU interface signals (the pending-only list
 * register of highest priority) and finishes it: acknowledge, EOI, deactivate. Returns its
 * INTID, or 0 when nothing is pending. */
static unsigned guest_take(void)
{
    struct keel_vcpu_state *s = &states[0];
    int best = -1;
    for (unsigned l = 0; l < KEEL_VGIC_LRS; l++) {
        if ((s->vgic_lr[l] & LR_STATE) == KEEL_VGIC_LR_PENDING &&
            (best < 0 || lr_priority(s->vgic_lr[l]) < lr_priority(s->vgic_lr[best]))) {
            best = (int)l;
        }
    }
    if (best < 0) {
        return 0;
    }
    unsigned intid = (uint32_t)s->vgic_lr[best];
    s->vgic_lr[best] &= ~LR_STATE;
    delivered[intid]++;
    return intid;
}

static void test_more_than_lrs(void)
{
    struct vcpu *v = &vm.vcpus[0];
    struct keel_vcpu_state *s = &states[0];
    static const struct {
        unsigned intid, priority;
    } prio[] = {
        { SGI_LOW, 0x80 },   { SGI_HIGH, 0x20 }, { PPI_LEVEL, 0x60 }, { SPI_EDGE, 0x40 },
        { SPI_LEVEL, 0x40 }, { SPI_LOW, 0xa0 },  { SPI_TOP, 0x10 },   { SPI_LATE, 0x00 },
    };
    CHECK_EQ(s->vgic_lr_count, 4); /* QEMU's GICv3 */
    wr(0, GICD_CTLR, 4, CTLR_ENABLE_G0 | CTLR_ENABLE_G1);
    for (unsigned k = 0; k < sizeof(prio) / sizeof(prio[0]); k++) {
        unsigned n = prio[k].intid;
        wr(n < 32 ? REDIST : 0, (n < 32 ? GICR_IPRIORITYR : GICD_IPRIORITYR) + n, 1,
           prio[k].priority);
    }
    wr(REDIST, GICR_IGROUPR0, 4,
       rd(REDIST, GICR_IGROUPR0, 4) | 1u << SGI_LOW | 1u << SGI_HIGH | 1u << PPI_LEVEL);
    wr(REDIST, GICR_ISENABLER0, 4, 1u << PPI_LEVEL);
    uint32_t spis = 1u << (SPI_EDGE - 32) | 1u << (SPI_LEVEL - 32) | 1u << (SPI_LOW - 32) |
                    1u << (SPI_TOP - 32) | 1u << (SPI_LATE - 32);
    wr(0, GICD_IGROUPR + 4, 4, spis);
    wr(0, GICD_ISENABLER + 4, 4, spis);
    wr(0, GICD_ICFGR + 8, 4,
       2u << 2 * (SPI_EDGE - 32) | 2u << 2 * (SPI_LOW - 32) |
           2u << 2 * (SPI_LATE - 32)); /* edge; the others level */
    vgic_flush(&vm, v);
    CHECK_EQ(v->arch.lr_owned, 0);

    /* Seven pending at once, over six priorities, two at 0x40: the four of highest priority go
     * into the four list registers, with their priority, group and (level ones) EOI. */
    vgic_send_sgi(vm.arch.gic, SGI_LOW, 1);
    wr(REDIST, GICR_ISPENDR0, 4, 1u << SGI_HIGH);
    vgic_ppi_level(&vm, v, PPI_LEVEL, true);
    vm_irq_set(&vm, SPI_LOW, true);
    vm_irq_set(&vm, SPI_LOW, false);
    vm_irq_set(&vm, SPI_EDGE, true);
    vm_irq_set(&vm, SPI_EDGE, false);
    vm_irq_set(&vm, SPI_LEVEL, true);
    vm_irq_set(&vm, SPI_TOP, true);
    vgic_flush(&vm, v);
    CHECK_EQ(check_lrs(), 3);
    static const unsigned first[] = { SPI_TOP, SGI_HIGH, SPI_EDGE, SPI_LEVEL };
    for (unsigned k = 0; k < 4; k++) {
        CHECK_EQ(lrs_with(first[k]), 1);
        for (unsigned l = 0; l < KEEL_VGIC_LRS; l++) {
            if ((uint32_t)s->vgic_lr[l] == first[k] && (s->vgic_lr[l] & LR_STATE)) {
                CHECK_EQ(lr_priority(s->vgic_lr[l]), priority_of(first[k]));
                CHECK(s->vgic_lr[l] & KEEL_VGIC_LR_GROUP1);
                CHECK_EQ(!!(s->vgic_lr[l] & KEEL_VGIC_LR_EOI),
                         first[k] == SPI_TOP || first[k] == SPI_LEVEL);
            }
        }
    }
    /* A fill with nothing finished changes nothing. */
    uint64_t before[KEEL_VGIC_LRS];
    memcpy(before, s->vgic_lr, sizeof(before));
    vgic_flush(&vm, v);
    CHECK(memcmp(before, s->vgic_lr, sizeof(before)) == 0);
    CHECK_EQ(check_lrs(), 3);

    /* The guest finishes two; each freed list register takes the next one waiting. */
    CHECK_EQ(guest_take(), SPI_TOP);
    vm_irq_set(&vm, SPI_TOP, false); /* (its device was served) */
    vgic_flush(&vm, v);
    CHECK_EQ(check_lrs(), 2);
    CHECK_EQ(lrs_with(PPI_LEVEL), 1);
    CHECK_EQ(guest_take(), SGI_HIGH);
    vgic_flush(&vm, v);
    CHECK_EQ(check_lrs(), 1);
    CHECK_EQ(lrs_with(SGI_LOW), 1);
    CHECK_EQ(lrs_with(SPI_LOW), 0);

    /* An edge while the guest has SPI_EDGE active: active and pending in its one list register
     * (GIC: an edge interrupt may be both), not a second one; its deactivation leaves it
     * pending, and it is taken again. */
    unsigned edge_lr = KEEL_VGIC_LRS;
    for (unsigned l = 0; l < KEEL_VGIC_LRS; l++) {
        if ((uint32_t)s->vgic_lr[l] == SPI_EDGE && (s->vgic_lr[l] & LR_STATE)) {
            edge_lr = l;
        }
    }
    CHECK(edge_lr < KEEL_VGIC_LRS);
    if (edge_lr == KEEL_VGIC_LRS) {
        return;
    }
    s->vgic_lr[edge_lr] ^= KEEL_VGIC_LR_PENDING | KEEL_VGIC_LR_ACTIVE; /* acknowledged */
    delivered[SPI_EDGE]++;
    vm_irq_set(&vm, SPI_EDGE, true);
    vm_irq_set(&vm, SPI_EDGE, false);
    vgic_flush(&vm, v);
    CHECK_EQ(s->vgic_lr[edge_lr] & LR_STATE, LR_STATE);
    CHECK_EQ(lrs_with(SPI_EDGE), 1);
    CHECK_EQ(check_lrs(), 1);
    s->vgic_lr[edge_lr] &= ~KEEL_VGIC_LR_ACTIVE; /* deactivated: the pending part stays */
    vgic_flush(&vm, v);
    CHECK_EQ(s->vgic_lr[edge_lr] & LR_STATE, KEEL_VGIC_LR_PENDING);
    CHECK_EQ(check_lrs(), 1);

    /* The rest, one at a time as the guest takes them: never a lower priority before a higher
     * one; SPI_LEVEL, still asserted when first finished, once more. */
    unsigned last = 0, taken = 0, n;
    while ((n = guest_take()) != 0) {
        CHECK(priority_of(n) >= last);
        last = priority_of(n);
        if (n == SPI_LEVEL && delivered[n] == 2) {
            vm_irq_set(&vm, SPI_LEVEL, false);
        }
        if (n == PPI_LEVEL) {
            vgic_ppi_level(&vm, v, PPI_LEVEL, false);
        }
        vgic_flush(&vm, v);
        check_lrs();
        CHECK(++taken <= 8);
    }
    CHECK_EQ(taken, 6); /* SPI_EDGE, SPI_LEVEL twice, PPI_LEVEL, SGI_LOW, SPI_LOW */
    static const struct {
        unsigned intid, times;
    } once[] = {
        { SGI_LOW, 1 },   { SGI_HIGH, 1 }, { PPI_LEVEL, 1 }, { SPI_EDGE, 2 },
        { SPI_LEVEL, 2 }, { SPI_LOW, 1 },  { SPI_TOP, 1 },   { SPI_LATE, 0 },
    };
    for (unsigned k = 0; k < sizeof(once) / sizeof(once[0]); k++) {
        CHECK_EQ(delivered[once[k].intid], once[k].times);
        CHECK(!shown_pending(once[k].intid));
    }
    CHECK_EQ(v->arch.lr_owned, 0);
    CHECK_EQ(s->vgic_flags & KEEL_VGIC_UNDERFLOW, 0);
}

/* A higher priority arriving while all list registers are in use, one active: it takes the place
 * of the lowest pending one, which waits in the model (still pending) and comes after it. */
static void test_late_higher(void)
{
    struct vcpu *v = &vm.vcpus[0];
    struct keel_vcpu_state *s = &states[0];
    memset(delivered, 0, sizeof(delivered));
    vm_irq_set(&vm, SPI_LOW, true);
    vm_irq_set(&vm, SPI_LOW, false);
    vgic_send_sgi(vm.arch.gic, SGI_LOW, 1);
    wr(REDIST, GICR_ISPENDR0, 4, 1u << SGI_HIGH);
    vm_irq_set(&vm, SPI_LEVEL, true);
    vm_irq_set(&vm, SPI_EDGE, true);
    vm_irq_set(&vm, SPI_EDGE, false);
    vgic_flush(&vm, v);
    CHECK_EQ(check_lrs(), 1);
    CHECK_EQ(lrs_with(SPI_LOW), 0);
    /* The guest is in SGI_LOW's handler (active, the lowest priority there) with interrupts
     * masked; SPI_LATE at 0x00 rises. */
    unsigned active_lr = KEEL_VGIC_LRS;
    for (unsigned l = 0; l < KEEL_VGIC_LRS; l++) {
        if ((uint32_t)s->vgic_lr[l] == SGI_LOW && (s->vgic_lr[l] & LR_STATE)) {
            active_lr = l;
        }
    }
    CHECK(active_lr < KEEL_VGIC_LRS);
    if (active_lr == KEEL_VGIC_LRS) {
        return;
    }
    s->vgic_lr[active_lr] ^= KEEL_VGIC_LR_PENDING | KEEL_VGIC_LR_ACTIVE;
    delivered[SGI_LOW]++;
    vm_irq_set(&vm, SPI_LATE, true);
    vm_irq_set(&vm, SPI_LATE, false);
    vgic_flush(&vm, v);
    CHECK_EQ(lrs_with(SPI_LATE), 1);
    CHECK_EQ(lrs_with(SPI_EDGE), 0); /* the lowest pending one (an edge; first of two) gave way */
    CHECK(shown_pending(SPI_EDGE));
    CHECK_EQ(s->vgic_lr[active_lr] & LR_STATE, KEEL_VGIC_LR_ACTIVE); /* the active one kept */
    CHECK_EQ(check_lrs(), 2);
    CHECK_EQ(guest_take(), SPI_LATE);   /* (once the guest unmasks) */
    s->vgic_lr[active_lr] &= ~LR_STATE; /* SGI_LOW finished */
    vgic_flush(&vm, v);
    check_lrs();
    unsigned last = 0, taken = 0, n;
    while ((n = guest_take()) != 0) {
        CHECK(priority_of(n) >= last);
        last = priority_of(n);
        if (n == SPI_LEVEL) {
            vm_irq_set(&vm, SPI_LEVEL, false);
        }
        vgic_flush(&vm, v);
        check_lrs();
        CHECK(++taken <= 8);
    }
    CHECK_EQ(taken, 4); /* SGI_HIGH, SPI_EDGE, SPI_LEVEL, SPI_LOW */
    for (unsigned k = 0; k < sizeof(in_flight) / sizeof(in_flight[0]); k++) {
        CHECK_EQ(delivered[in_flight[k]], in_flight[k] != PPI_LEVEL && in_flight[k] != SPI_TOP);
        CHECK(!shown_pending(in_flight[k]));
    }
    CHECK_EQ(v->arch.lr_owned, 0);
}

static void test_ptimer_registers(void)
{
    struct ptimer t = { 0 };
    enum ptimer_reg r;
    /* MRS x3, CNTP_CTL_EL0 / MSR CNTP_TVAL_EL0, x5 / MRS x0, CNTP_CVAL_EL0; not CNTV_CTL_EL0. */
    CHECK(ptimer_reg_of(0x62000000ull | 0x32f804 | 3u << 5 | 1, &r) && r == PTIMER_CTL);
    CHECK(ptimer_reg_of(0x62000000ull | 0x30f804 | 5u << 5, &r) && r == PTIMER_TVAL);
    CHECK(ptimer_reg_of(0x62000000ull | 0x34f804 | 1, &r) && r == PTIMER_CVAL);
    CHECK(!ptimer_reg_of(0x62000000ull | 0x32f806 | 1, &r));
    CHECK_EQ(ptimer_deadline(&t), UINT64_MAX);
    ptimer_write(&t, PTIMER_CVAL, 5000, 100);
    ptimer_write(&t, PTIMER_CTL, ~0ull, 100);
    CHECK_EQ(ptimer_read(&t, PTIMER_CTL, 100), 3);  /* ENABLE, IMASK; ISTATUS read-only */
    CHECK_EQ(ptimer_deadline(&t), UINT64_MAX);      /* masked: never asserted */
    CHECK_EQ(ptimer_read(&t, PTIMER_CTL, 5000), 7); /* ISTATUS whatever IMASK says */
    CHECK(!ptimer_level(&t, 6000));
    ptimer_write(&t, PTIMER_CTL, 1, 100);
    CHECK_EQ(ptimer_deadline(&t), 5000);
    CHECK(!ptimer_level(&t, 4999));
    CHECK(ptimer_level(&t, 5000));
    CHECK_EQ(ptimer_read(&t, PTIMER_TVAL, 1000), 4000);
    CHECK_EQ(ptimer_read(&t, PTIMER_TVAL, 6000), (uint32_t)-1000);
    ptimer_write(&t, PTIMER_TVAL, (uint32_t)-300, 1000); /* sign-extended: 300 ago */
    CHECK_EQ(ptimer_read(&t, PTIMER_CVAL, 0), 700);
    ptimer_write(&t, PTIMER_TVAL, 0x7fffffff, 1ull << 40);
    CHECK_EQ(ptimer_deadline(&t), (1ull << 40) + 0x7fffffff);
    ptimer_write(&t, PTIMER_CTL, 0, 0);
    CHECK_EQ(ptimer_read(&t, PTIMER_CTL, 1ull << 41), 0); /* off: no ISTATUS */
    CHECK(!ptimer_level(&t, 1ull << 41));
}

int main(void)
{
    vm.name = "t";
    vm.vcpu_count = 2;
    for (unsigned i = 0; i < 2; i++) {
        vm.vcpus[i].vm = &vm;
        vm.vcpus[i].id = i;
        vm.vcpus[i].mpidr = i;
        vm.vcpus[i].state = &states[i];
        states[i].vgic_lr_count = 4;
    }
    CHECK_EQ(vgic_create(&vm, gpa_init(0x08000000), gpa_init(0x080a0000), 0x40000), 0);
    CHECK_EQ(device_count, 2);
    test_vtimer_flags();
    test_vtimer_pending();
    test_ptimer_line();
    test_more_than_lrs();
    test_late_higher();
    test_ptimer_registers();
    return unit_done("test_vmm_arm64_gic");
}
