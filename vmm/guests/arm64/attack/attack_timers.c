// SPDX-License-Identifier: MIT
/*
 * The platform as a guest sees it (not an attack: what an outside conformance suite checks):
 * the EL1 physical timer works (CNTP_*: registers, PPI 30 taken after WFI, 1 ms armed); the
 * virtual timer's INTID 27 follows what the guest did at its redistributor (disabled: pending in
 * GICR_ISPENDR0 and not delivered until enabled; no longer pending once the timer is off;
 * delivered with the priority the guest gave it, active in GICR_ISACTIVER0 while it handles it);
 * the PMU is absent, and consistently so (ID_AA64DFR0_EL1.PMUVer 0, its registers UNDEFINED).
 * IRQs stay masked at the CPU: the guest takes interrupts by reading ICC_IAR1_EL1.
 */
#include "attack.h"

#define SGI_FRAME (GICR + 0x10000)
#define GICR_IGROUPR0 (SGI_FRAME + 0x80)
#define GICR_ISENABLER0 (SGI_FRAME + 0x100)
#define GICR_ICENABLER0 (SGI_FRAME + 0x180)
#define GICR_ISPENDR0 (SGI_FRAME + 0x200)
#define GICR_ICPENDR0 (SGI_FRAME + 0x280)
#define GICR_ISACTIVER0 (SGI_FRAME + 0x300)
#define GICR_IPRIORITYR (SGI_FRAME + 0x400)
#define GICR_ICFGR1 (SGI_FRAME + 0xc04)
#define VTIMER 27
#define PTIMER 30
#define SPURIOUS 1023

#define SYSREG_W(name, v) __asm__ volatile("msr " name ", %0; isb" : : "r"((uint64_t)(v)))
#define SYSREG_R(name, v) __asm__ volatile("isb; mrs %0, " name : "=r"(v))
#define ICC_PMR_EL1 "S3_0_C4_C6_0"
#define ICC_IAR1_EL1 "S3_0_C12_C12_0"
#define ICC_EOIR1_EL1 "S3_0_C12_C12_1"
#define ICC_RPR_EL1 "S3_0_C12_C11_3"
#define ICC_IGRPEN1_EL1 "S3_0_C12_C12_7"

static uint64_t pcount(void)
{
    uint64_t v;
    SYSREG_R("cntpct_el0", v);
    return v;
}

static uint64_t ms(uint64_t n)
{
    return counter_freq() / 1000 * n;
}

/* The interrupt the CPU interface gives (ICC_IAR1_EL1: it is then active), waiting in WFI for
 * at most `wait` counts; SPURIOUS if none came. */
static uint32_t take(uint64_t wait)
{
    uint64_t end = counter() + wait, intid;
    for (;;) {
        SYSREG_R(ICC_IAR1_EL1, intid);
        if ((uint32_t)intid != SPURIOUS || counter() >= end) {
            return (uint32_t)intid;
        }
        __asm__ volatile("wfi");
    }
}

static void spin(uint64_t counts)
{
    for (uint64_t end = counter() + counts; counter() < end;) {
    }
}

static bool bit(uint64_t reg, unsigned n)
{
    return (mmio_r32(reg) >> n) & 1;
}

/* The GIC as a guest driver leaves it for the timers (gic_garbage() left everything off): group
 * 1 on, the two timer PPIs level, group 1, priority 0x80, disabled; the CPU interface open. */
static void gic_for_timers(void)
{
    mmio_w32(GICD, 0x2); /* EnableGrp1 (ARE and DS are fixed) */
    mmio_w32(GICR_ICENABLER0, 1u << VTIMER | 1u << PTIMER);
    mmio_w32(GICR_ICPENDR0, 1u << VTIMER | 1u << PTIMER);
    mmio_w32(GICR_ICFGR1, 0); /* PPIs level */
    mmio_w32(GICR_IGROUPR0, 1u << VTIMER | 1u << PTIMER);
    mmio_w8(GICR_IPRIORITYR + VTIMER, 0x80);
    mmio_w8(GICR_IPRIORITYR + PTIMER, 0x80);
    SYSREG_W(ICC_PMR_EL1, 0xff);
    SYSREG_W(ICC_IGRPEN1_EL1, 1);
}

static void ptimer_steps(void)
{
    step_begin("ptimer-registers");
    uint64_t v, start = pcount();
    SYSREG_W("cntp_ctl_el0", 0);
    SYSREG_W("cntp_cval_el0", start + ms(2000)); /* (far: exits may be slow; TVAL is 32 bits) */
    SYSREG_R("cntp_cval_el0", v);
    step_want("CNTP_CVAL_EL0 read back", v, start + ms(2000));
    SYSREG_W("cntp_ctl_el0", 3); /* enabled, masked: not due, no ISTATUS */
    SYSREG_R("cntp_ctl_el0", v);
    step_want("CNTP_CTL_EL0 (ENABLE, IMASK)", v, 3);
    SYSREG_R("cntp_tval_el0", v);
    int32_t tval = (int32_t)v;
    if (tval <= 0 || (uint64_t)tval > ms(2000)) {
        step_fail("CNTP_TVAL_EL0 %d: not within the 2 s armed", (int)tval);
    }
    uint64_t before = pcount();
    SYSREG_W("cntp_tval_el0", 0u - (uint32_t)ms(1)); /* 1 ms ago */
    uint64_t after = pcount();
    SYSREG_R("cntp_ctl_el0", v);
    step_want("CNTP_CTL_EL0 after a negative TVAL (ISTATUS)", v, 7);
    SYSREG_R("cntp_cval_el0", v);
    if (v < before - ms(1) || v > after - ms(1)) {
        step_fail("CNTP_CVAL_EL0 0x%lx not 1 ms before the count at the write", (unsigned long)v);
    }
    SYSREG_W("cntp_ctl_el0", 0);
    step_end();

    /* The virtual timer armed for much later too: the WFI must end for the earlier of the two
     * (within 3 s, whatever the host's load), not at the virtual timer's 10 s. */
    step_begin("ptimer-interrupt-in-wfi");
    gic_for_timers();
    mmio_w32(GICR_ISENABLER0, 1u << PTIMER);
    SYSREG_W("cntv_cval_el0", counter() + ms(10000));
    SYSREG_W("cntv_ctl_el0", 1);
    start = pcount();
    SYSREG_W("cntp_cval_el0", start + ms(1));
    SYSREG_W("cntp_ctl_el0", 1);
    uint32_t got = take(ms(5000));
    after = pcount();
    step_want("the interrupt taken (PPI 30)", got, PTIMER);
    if (got == PTIMER) {
        if (after - start < ms(1) || after - start > ms(3000)) {
            step_fail("taken %lu us after arming for 1 ms",
                      (unsigned long)((after - start) / (counter_freq() / 1000000)));
        }
        SYSREG_R("cntp_ctl_el0", v);
        step_want("CNTP_CTL_EL0 in the handler (ENABLE, ISTATUS)", v, 5);
        step_want("GICR_ISACTIVER0 bit 30 while handled", bit(GICR_ISACTIVER0, PTIMER), 1);
        SYSREG_W("cntp_ctl_el0", 0); /* the line drops */
        SYSREG_W(ICC_EOIR1_EL1, PTIMER);
        step_want("GICR_ISACTIVER0 bit 30 after EOI", bit(GICR_ISACTIVER0, PTIMER), 0);
        step_want("GICR_ISPENDR0 bit 30 with the timer off", bit(GICR_ISPENDR0, PTIMER), 0);
        step_want("no second interrupt", take(ms(3)), SPURIOUS);
    }
    SYSREG_W("cntp_ctl_el0", 0);
    SYSREG_W("cntv_ctl_el0", 0);
    mmio_w32(GICR_ICENABLER0, 1u << PTIMER);
    step_end();
}

static void vtimer_steps(void)
{
    uint64_t rpr;
    step_begin("vtimer-disabled-is-pending-not-delivered");
    gic_for_timers(); /* INTID 27 disabled */
    mmio_w8(GICR_IPRIORITYR + VTIMER, 0x90);
    SYSREG_W("cntv_cval_el0", counter() + ms(1));
    SYSREG_W("cntv_ctl_el0", 1);
    spin(ms(5)); /* fired meanwhile: the kernel took it and held it */
    step_want("nothing delivered while disabled", take(0), SPURIOUS);
    step_want("GICR_ISPENDR0 bit 27", bit(GICR_ISPENDR0, VTIMER), 1);
    step_want("nothing delivered after WFIs", take(ms(3)), SPURIOUS);
    mmio_w32(GICR_ISENABLER0, 1u << VTIMER);
    uint32_t got = take(ms(100));
    step_want("taken once enabled (INTID 27)", got, VTIMER);
    if (got == VTIMER) {
        SYSREG_R(ICC_RPR_EL1, rpr);
        step_want("its running priority (GICR_IPRIORITYR)", rpr, 0x90);
        step_want("GICR_ISACTIVER0 bit 27 while handled", bit(GICR_ISACTIVER0, VTIMER), 1);
        SYSREG_W("cntv_ctl_el0", 0);
        SYSREG_W(ICC_EOIR1_EL1, VTIMER);
    }
    step_want("GICR_ISPENDR0 bit 27 with the timer off", bit(GICR_ISPENDR0, VTIMER), 0);
    step_end();

    step_begin("vtimer-pending-ends-with-the-timer");
    mmio_w32(GICR_ICENABLER0, 1u << VTIMER);
    SYSREG_W("cntv_cval_el0", counter() + ms(1));
    SYSREG_W("cntv_ctl_el0", 1);
    spin(ms(5));
    step_want("GICR_ISPENDR0 bit 27 while asserted", bit(GICR_ISPENDR0, VTIMER), 1);
    SYSREG_W("cntv_ctl_el0", 0); /* the level drops: no longer pending (it is level) */
    step_want("GICR_ISPENDR0 bit 27 with the timer off", bit(GICR_ISPENDR0, VTIMER), 0);
    mmio_w32(GICR_ISENABLER0, 1u << VTIMER);
    step_want("nothing delivered once enabled", take(ms(3)), SPURIOUS);
    step_end();

    /* Enabled from the start: the kernel injects it without the VMM, at the guest's priority. */
    step_begin("vtimer-enabled-at-its-priority");
    mmio_w8(GICR_IPRIORITYR + VTIMER, 0x70);
    step_want("IPRIORITYR of 27 read back", mmio_r8(GICR_IPRIORITYR + VTIMER), 0x70);
    SYSREG_W("cntv_cval_el0", counter() + ms(1));
    SYSREG_W("cntv_ctl_el0", 1);
    got = take(ms(2000));
    step_want("taken (INTID 27)", got, VTIMER);
    if (got == VTIMER) {
        SYSREG_R(ICC_RPR_EL1, rpr);
        step_want("its running priority", rpr, 0x70);
        SYSREG_W("cntv_ctl_el0", 0);
        SYSREG_W(ICC_EOIR1_EL1, VTIMER);
    }
    SYSREG_W("cntv_ctl_el0", 0);
    mmio_w32(GICR_ICENABLER0, 1u << VTIMER);
    step_end();
}

static void pmu_steps(void)
{
    step_begin("pmu-absent-consistently");
    uint64_t dfr0, v = 0;
    SYSREG_R("id_aa64dfr0_el1", dfr0);
    step_want("ID_AA64DFR0_EL1.PMUVer", (dfr0 >> 8) & 0xf, 0);
    if ((dfr0 & 0xf) < 6) {
        step_fail("ID_AA64DFR0_EL1.DebugVer %lu: not the CPU's (v8: 6 or more)",
                  (unsigned long)(dfr0 & 0xf));
    }
    guest_traps.expecting = true;
    unsigned traps = guest_traps.count;
    __asm__ volatile("mrs %0, pmccntr_el0" : "+r"(v));
    step_want("PMCCNTR_EL0 read: exceptions", guest_traps.count - traps, 1);
    step_want("its class (unknown: UNDEFINED)", guest_traps.esr >> 26, 0);
    __asm__ volatile("msr pmcr_el0, %0" : : "r"(1ull));
    __asm__ volatile("mrs %0, pmcr_el0" : "+r"(v));
    __asm__ volatile("msr pmcntenset_el0, %0" : : "r"(1ull << 31));
    step_want("PMCR_EL0 write, read and PMCNTENSET_EL0 write: exceptions",
              guest_traps.count - traps, 4);
    guest_traps.expecting = false;
    step_end();
}

void attack_timers(void)
{
    ptimer_steps();
    vtimer_steps();
    pmu_steps();
    mmio_w32(GICD, 0); /* quiet again, as gic_garbage() left it */
    SYSREG_W(ICC_IGRPEN1_EL1, 0);
}
