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
    test_ptimer_registers();
    return unit_done("test_vmm_arm64_gic");
}
