// SPDX-License-Identifier: MIT
/*
 * Extended vCPU mode on arm64: the guest runs at EL1/EL0 with stage 2 (the VM task's table) and
 * traps configured so that it cannot touch what it does not own. From the state area (which the
 * VMM may change at any time) the kernel reads what it checks once (PC, PSTATE, each list
 * register), takes the general registers directly, the EL1 registers only when the VMM marks
 * them dirty (they live in the thread's private part and, while it keeps its CPU, in the CPU),
 * and runs the guest until an exit the VMM must see. Interrupts that arrive while the
 * guest runs are the kernel's: it handles them, may schedule, and goes back into the guest
 * unless something arrived for the VMM thread.
 */
#include <keel/arch/vcpu_ext.h>
#include <keel/thread.h>
#include <keel/task.h>
#include <keel/percpu.h>
#include <keel/sched.h>
#include <keel/bkl.h>
#include <keel/irq.h>
#include <keel/arch/pt.h>
#include <arch/sysreg.h>
#include <uapi/keel/vcpu.h>
#include <uapi/keel/err.h>
#include <string.h>
#include "vgic.h"
#include "internal.h"

#define FP_SIZE (32 * 16 + 16)
#define VTIMER_INTID VGIC_VTIMER_INTID

/* The kernel-only part of a vCPU: FP/SIMD (q0..q31, FPSR, FPCR: fpsimd.S; guests only, Keel and
 * its tasks use none; loaded on the guest's first FP access in a run, a CPTR_EL2.TFP trap, saved
 * when the run ends), the GIC's virtual CPU interface, and the EL1 registers. Of these, the
 * ones tasks use too (HOST_SHARED) are swapped at every exit to the VMM; the others the host
 * never touches, so they stay in the CPU while the vCPU thread keeps it (sys_live) and come out
 * only when it switches away (arch_vcpu_switch_out), or when the VMM asks (the area's sync). */
struct vcpu_private {
    uint8_t fp[FP_SIZE] __attribute__((aligned(16)));
    struct vgic_state vgic;
    struct keel_arm64_sys sys;
    bool sys_live;
    uint64_t serror_esr; /* an SError the guest left pending at an exit: its next exit */
};

const uint64_t arch_vcpu_state_size = sizeof(struct keel_vcpu_state);
const uint64_t arch_vcpu_private_size = sizeof(struct vcpu_private);

void arch_vcpu_release(struct thread *t)
{
    (void)t; /* nothing of it stays in a CPU once it is not current there */
}

/* Guest: stage 2 on, physical interrupts and aborts to EL2, traps of SMC, WFI, set/way cache
 * maintenance, implementation-defined and auxiliary control registers, and reads of the ID
 * registers of group 3 (TID3: answered here, id_register). */
#define HCR_GUEST                                                                                  \
    (HCR_VM | HCR_SWIO | (1ull << 2) /* PTW */ | HCR_FMO | HCR_IMO | HCR_AMO |                     \
     (1ull << 9) /* FB */ | (1ull << 10) /* BSU inner */ | HCR_TWI | HCR_TSC |                     \
     (1ull << 18) /* TID3 */ | (1ull << 20) /* TIDCP */ | (1ull << 21) /* TACR */ | HCR_TSW |      \
     HCR_RW)
#define CPTR_HOST 0x33ffull
#define CPTR_GUEST (CPTR_HOST | (1ull << 10)) /* TFP: FP/SIMD traps until this run loads it */
#define MDCR_GUEST ((1ull << 5) | (1ull << 6) | (1ull << 9) | (1ull << 10) | (1ull << 11))
#define SCTLR_EL1_HOST (0x30d00800ull | (1u << 14) | (1u << 15) | (1u << 26))

/* PSTATE a guest may have: NZCV, DAIF, AArch64 EL0t, EL1t or EL1h, and what later
 * architecture versions add that only concerns its own EL1 and EL0: PAN (v8.1), UAO (v8.2), DIT
 * (v8.4), TCO, SSBS and BTYPE (v8.5), and SS (software step). What an exit saved must come back:
 * Linux runs its kernel with PAN set on any v8.1 CPU. */
#define PSTATE_GUEST                                                                               \
    (0xf0000000ull | (0xfull << 22) /* PAN UAO DIT TCO */ | (1ull << 21) /* SS */ |                \
     (1ull << 12) /* SSBS */ | (3ull << 10) /* BTYPE */ | 0x3c0 /* DAIF */ | 0xf /* M */)
static bool pstate_ok(uint64_t p)
{
    unsigned m = p & 0x1f;
    return (p & ~PSTATE_GUEST) == 0 && (m == 0x0 || m == 0x4 || m == 0x5);
}

/* The EL1 registers no task uses: they can stay in the CPU while the VMM handles an exit. */
static void guest_only_load(const struct keel_arm64_sys *s)
{
    sysreg_write(ttbr0_el1, s->ttbr0_el1);
    sysreg_write(ttbr1_el1, s->ttbr1_el1);
    sysreg_write(tcr_el1, s->tcr_el1);
    sysreg_write(esr_el1, s->esr_el1);
    sysreg_write(far_el1, s->far_el1);
    sysreg_write(afsr0_el1, s->afsr0_el1);
    sysreg_write(afsr1_el1, s->afsr1_el1);
    sysreg_write(mair_el1, s->mair_el1);
    sysreg_write(amair_el1, s->amair_el1);
    sysreg_write(vbar_el1, s->vbar_el1);
    sysreg_write(contextidr_el1, s->contextidr_el1);
    sysreg_write(tpidr_el1, s->tpidr_el1);
    sysreg_write(elr_el1, s->elr_el1);
    sysreg_write(spsr_el1, s->spsr_el1);
    sysreg_write(par_el1, s->par_el1);
    sysreg_write(csselr_el1, s->csselr_el1);
    sysreg_write(sp_el1, s->sp_el1);
    sysreg_write(vmpidr_el2, s->vmpidr | (1ull << 31));
}

static void guest_only_save(struct keel_arm64_sys *s)
{
    s->ttbr0_el1 = sysreg_read(ttbr0_el1);
    s->ttbr1_el1 = sysreg_read(ttbr1_el1);
    s->tcr_el1 = sysreg_read(tcr_el1);
    s->esr_el1 = sysreg_read(esr_el1);
    s->far_el1 = sysreg_read(far_el1);
    s->afsr0_el1 = sysreg_read(afsr0_el1);
    s->afsr1_el1 = sysreg_read(afsr1_el1);
    s->mair_el1 = sysreg_read(mair_el1);
    s->amair_el1 = sysreg_read(amair_el1);
    s->vbar_el1 = sysreg_read(vbar_el1);
    s->contextidr_el1 = sysreg_read(contextidr_el1);
    s->tpidr_el1 = sysreg_read(tpidr_el1);
    s->elr_el1 = sysreg_read(elr_el1);
    s->spsr_el1 = sysreg_read(spsr_el1);
    s->par_el1 = sysreg_read(par_el1);
    s->csselr_el1 = sysreg_read(csselr_el1);
    s->sp_el1 = sysreg_read(sp_el1);
}

/* HOST_SHARED: the EL0/EL1 registers tasks use too (stage 1 off, traps of EL0's cache and FP
 * use, counters, thread pointers, EL0's stack), swapped at every exit and resume. */
static void shared_load(const struct keel_arm64_sys *s)
{
    sysreg_write(sctlr_el1, s->sctlr_el1);
    sysreg_write(cpacr_el1, s->cpacr_el1);
    sysreg_write(cntkctl_el1, s->cntkctl_el1);
    sysreg_write(tpidr_el0, s->tpidr_el0);
    sysreg_write(tpidrro_el0, s->tpidrro_el0);
    sysreg_write(sp_el0, s->sp_el0);
}

static void shared_save(struct keel_arm64_sys *s)
{
    s->sctlr_el1 = sysreg_read(sctlr_el1);
    s->cpacr_el1 = sysreg_read(cpacr_el1);
    s->cntkctl_el1 = sysreg_read(cntkctl_el1);
    s->tpidr_el0 = sysreg_read(tpidr_el0);
    s->tpidrro_el0 = sysreg_read(tpidrro_el0);
    s->sp_el0 = sysreg_read(sp_el0);
}

void arch_vcpu_switch_out(struct thread *t)
{
    struct vcpu_private *p = t->vcpu.arch;
    if (p && p->sys_live) {
        guest_only_save(&p->sys);
        if (vgic_available()) {
            vgic_state_save(&p->vgic);
        }
        p->sys_live = false;
    }
}

/* What ordinary tasks (and the VMM) expect of the EL1/EL0 registers. */
static void load_host(struct thread *self)
{
    sysreg_write(cntv_ctl_el0, 0); /* the guest's timer must not fire for the host */
    sysreg_write(hcr_el2, HCR_TASK);
    sysreg_write(cptr_el2, CPTR_HOST);
    sysreg_write(mdcr_el2, 0);
    sysreg_write(sctlr_el1, SCTLR_EL1_HOST);
    sysreg_write(cpacr_el1, 0);
    sysreg_write(cntkctl_el1, 3);
    sysreg_write(cnthctl_el2, 3);
    sysreg_write(tpidrro_el0, va_val(self->utcb_uva));
    sysreg_write(tpidr_el0, self->ctx.tpidr_el0); /* the VMM's own, kept at arch_vcpu_begin */
    arch_pt_activate(&self->task->mem.pt);
}

int64_t arch_vcpu_begin(struct vcpu_run *r, struct thread *self, struct task *vm, void *area,
                        uint64_t dirty)
{
    struct keel_vcpu_state *a = area;
    struct vcpu_private *p = self->vcpu.arch;
    r->pstate = __atomic_load_n(&a->pstate, __ATOMIC_RELAXED);
    r->pc = __atomic_load_n(&a->pc, __ATOMIC_RELAXED);
    r->vgic_flags = __atomic_load_n(&a->vgic_flags, __ATOMIC_RELAXED);
    r->vgic_direct = __atomic_load_n(&a->vgic_direct, __ATOMIC_RELAXED);
    if (!pstate_ok(r->pstate) ||
        (r->vgic_flags & ~(KEEL_VGIC_UNDERFLOW | KEEL_VGIC_NO_PENDING | KEEL_VGIC_VTIMER_BITS)) ||
        (r->vgic_direct &
         ~(KEEL_VGIC_DIRECT_ON | KEEL_VGIC_DIRECT_GROUP1 | KEEL_VGIC_DIRECT_PRIORITY(0xff)))) {
        return -KEEL_EINVAL; /* (the list registers are checked as they are loaded) */
    }
    self->vcpu.direct_on = (r->vgic_direct & KEEL_VGIC_DIRECT_ON) != 0;
    if (dirty & KEEL_VCPU_SYNC_SYS) {
        memcpy(&p->sys, &a->sys, sizeof(p->sys)); /* (any values: the guest's own registers) */
        p->sys_live = false;
    }
    r->area = a;
    r->cntv_ctl = a->cntv_ctl_el0;
    r->cntv_cval = a->cntv_cval_el0;
    r->vtimer_held = __atomic_load_n(&a->vtimer_held, __ATOMIC_RELAXED) != 0;
    r->self = self;
    r->vm = vm;
    r->p = p;
    r->fp_live = false;
    r->vgic = vgic_available() ? &p->vgic : NULL;
    self->ctx.tpidr_el0 = sysreg_read(tpidr_el0); /* the guest's replaces it: load_host restores */
    return 0;
}

void arch_vcpu_load(struct vcpu_run *r)
{
    struct vcpu_private *p = r->p;
    if (!p->sys_live) {
        guest_only_load(&p->sys);
        if (r->vgic) {
            vgic_state_load(r->vgic);
        }
        p->sys_live = true;
    }
    shared_load(&p->sys);
    sysreg_write(cntv_cval_el0, r->cntv_cval);
    sysreg_write(cntv_ctl_el0, r->cntv_ctl);
}

/*
 * Direct delivery (kern/irq_direct.c): the kernel's list register holds the direct Irq's entry
 * while it is IN_GUEST (a hardware entry: the guest's deactivation deactivates the physical
 * line; no EOI bit, no maintenance), nothing otherwise (a stale entry, its delivery ended, is
 * dropped). A pending one goes in when the VMM says the guest may take it, else the ordinary way.
 */
static int64_t direct_prepare(struct vcpu_run *r)
{
    struct irq *cur = r->self->vcpu.direct;
    if (!cur) {
        r->vgic->direct_lr = 0; /* (none: the common case, kept short) */
        return 0;
    }
    if (cur->direct != IRQ_DIRECT_IN_GUEST) {
        r->vgic->direct_lr = 0;
    }
    struct irq *due = irq_direct_due(r->self);
    if (!due) {
        return 0;
    }
    if (r->vgic_direct & KEEL_VGIC_DIRECT_ON) {
        r->vgic->direct_lr = KEEL_VGIC_LR_PENDING | KEEL_VGIC_LR_HW | (uint64_t)due->line << 32 |
                             (r->vgic_direct & KEEL_VGIC_DIRECT_GROUP1 ? KEEL_VGIC_LR_GROUP1 : 0) |
                             KEEL_VGIC_LR_PRIORITY(r->vgic_direct) | due->vintid;
        irq_direct_injected(due);
        return 0;
    }
    return irq_direct_fallback(due, r->self) ? KEEL_VCPU_EXIT_EVENT : 0;
}

/* After the guest's run: the entry went invalid: the guest deactivated the line. */
static void direct_saved(struct vcpu_run *r)
{
    struct irq *cur = r->self->vcpu.direct;
    if (cur && cur->direct == IRQ_DIRECT_IN_GUEST &&
        !(r->vgic->direct_lr & (KEEL_VGIC_LR_PENDING | KEEL_VGIC_LR_ACTIVE))) {
        r->vgic->direct_lr = 0;
        irq_direct_done(cur);
    }
}

int64_t arch_vcpu_prepare(struct vcpu_run *r)
{
    if (r->p->serror_esr) { /* (after the exit it came with was dealt with) */
        r->area->exit_esr = r->p->serror_esr;
        r->area->exit_far = 0;
        r->area->exit_gpa = 0;
        r->p->serror_esr = 0;
        return KEEL_VCPU_EXIT_TRAP;
    }
    sysreg_write(hcr_el2, HCR_GUEST);
    sysreg_write(cptr_el2, r->fp_live ? CPTR_HOST : CPTR_GUEST);
    sysreg_write(mdcr_el2, MDCR_GUEST);
    sysreg_write(cnthctl_el2, 1); /* the counter, but not the EL1 physical timer: that traps */
    arch_pt_activate(&r->vm->mem.pt);
    arch_gic_vtimer_mask(r->vtimer_held); /* (this CPU's last guest may have held its own) */
    if (r->vgic) {
        int64_t exit = direct_prepare(r);
        if (exit != 0) {
            return exit;
        }
        if (!vgic_load(r->area->vgic_lr, r->vgic_flags & ~KEEL_VGIC_VTIMER_BITS,
                       r->vgic->direct_lr)) {
            return -KEEL_EINVAL; /* a list register with the HW bit or the direct vINTID */
        }
    }
    return 0;
}

uint64_t arch_vcpu_enter(struct vcpu_run *r)
{
    sysreg_write(elr_el2, r->pc);
    sysreg_write(spsr_el2, r->pstate);
    sysreg_write(vbar_el2, (uint64_t)(uintptr_t)arch_guest_vectors);
    uint64_t kind = arch_guest_enter(r->area->x);
    sysreg_write(vbar_el2, (uint64_t)(uintptr_t)arch_vectors);
    r->pc = sysreg_read(elr_el2);
    r->pstate = sysreg_read(spsr_el2);
    return kind;
}

/* The guest's first FP/SIMD access in this run: its registers, then on. */
static int64_t fp_first_use(struct vcpu_run *r)
{
    if (r->fp_live) {
        return KEEL_VCPU_EXIT_TRAP;
    }
    sysreg_write(cptr_el2, CPTR_HOST);
    isb();
    arch_fpsimd_load(r->p->fp);
    r->fp_live = true;
    return VCPU_GO_ON;
}

/* The kernel's own hypercall: answered here (ELR is past the HVC). */
static int64_t hvc(struct vcpu_run *r)
{
    if (r->area->x[0] != KEEL_HVC_NULL) {
        return KEEL_VCPU_EXIT_TRAP;
    }
    r->area->x[0] = 0;
    return VCPU_GO_ON;
}

/*
 * The ID registers of group 3 (op0 3, op1 0, CRn 0, CRm 1-7: ID_AA64*, ID_PFR*, MVFR*, ...), as
 * the CPU has them but without its PMU: guests get no PMU (MDCR_EL2 traps its registers, the
 * VMM makes them UNDEFINED, docs/vcpu.md), so ID_AA64DFR0_EL1.PMUVer and ID_DFR0_EL1.PerfMon say
 * "not implemented". Answered here, without an exit: guests read them often at boot.
 */
// clang-format off
#define ID_READ(m, o)                                                                              \
    case (m) * 8 + (o):                                                                            \
        __asm__ volatile("mrs %0, S3_0_C0_C" #m "_" #o : "=r"(v));                                 \
        break;
#define ID_ROW(m)                                                                                  \
    ID_READ(m, 0) ID_READ(m, 1) ID_READ(m, 2) ID_READ(m, 3)                                        \
    ID_READ(m, 4) ID_READ(m, 5) ID_READ(m, 6) ID_READ(m, 7)
// clang-format on
#define ID_DFR0 (1 * 8 + 2)     /* ID_DFR0_EL1 */
#define ID_AA64DFR0 (5 * 8 + 0) /* ID_AA64DFR0_EL1 */
#define ID_DFR0_PERFMON (0xfull << 24)
#define ID_AA64DFR0_PMUVER (0xfull << 8)

static uint64_t id_register_value(unsigned crm, unsigned op2)
{
    uint64_t v = 0;
    switch (crm * 8 + op2) {
        // clang-format off
    ID_ROW(1) ID_ROW(2) ID_ROW(3) ID_ROW(4) ID_ROW(5) ID_ROW(6) ID_ROW(7)
    default:
        break;
        // clang-format on
    }
    if (crm * 8 + op2 == ID_DFR0) {
        v &= ~ID_DFR0_PERFMON;
    } else if (crm * 8 + op2 == ID_AA64DFR0) {
        v &= ~ID_AA64DFR0_PMUVER;
    }
    return v;
}

static int64_t id_register(struct vcpu_run *r)
{
    uint64_t iss = sysreg_read(esr_el2) & 0x1ffffff;
    unsigned op0 = (iss >> 20) & 3, op1 = (iss >> 14) & 7, crn = (iss >> 10) & 15;
    unsigned crm = (iss >> 1) & 15, op2 = (iss >> 17) & 7, rt = (iss >> 5) & 31;
    if (op0 != 3 || op1 != 0 || crn != 0 || crm < 1 || crm > 7 || !(iss & 1)) {
        return KEEL_VCPU_EXIT_TRAP; /* any other register the VMM's */
    }
    if (rt != 31) { /* (31: XZR) */
        r->area->x[rt] = id_register_value(crm, op2);
    }
    r->pc += 4;
    r->pstate &= ~((3ull << 10) | (1ull << 21)); /* done: no branch target, the step taken */
    return VCPU_GO_ON;
}

/* A stage-2 fault the table can fix itself (it had no VMID yet: it has one now). */
static int64_t stage2_fault(struct vcpu_run *r)
{
    (void)r;
    return arch_pt_fault_fixup() ? VCPU_GO_ON : KEEL_VCPU_EXIT_TRAP;
}

/* The synchronous exits the kernel may finish itself, by exception class (ESR_EL2.EC). */
static int64_t (*const trap_here[64])(struct vcpu_run *) = {
    // clang-format off
    [EC_FP_ASIMD] = fp_first_use,
    [EC_HVC64] = hvc,
    [EC_SYS64] = id_register,
    [EC_IABT_LOW] = stage2_fault,
    [EC_DABT_LOW] = stage2_fault,
    // clang-format on
};

/*
 * The guest's timer interrupt is level: asserted while the timer condition holds. When it stops
 * a guest, gic.c disables it at the GIC, and it stays held (r->vtimer_held, also while the vCPU
 * is away: arch_vcpu_prepare) until the guest has deactivated INTID 27 in a list register: then
 * the timer's level counts again, as on hardware. (Masking it at the timer instead, as the
 * kernel once did, changes the guest's CNTV_CTL: a guest that takes the interrupt before it has
 * a handler for it never unmasks it again, EDK2 among them.) The list registers' EOI bit for
 * INTID 27 (vgic_load, vgic_inject_live) makes that deactivation a maintenance interrupt, which
 * the kernel answers itself unless the VMM's own entries or conditions want it too.
 */
static enum guest_irq vtimer_taken(struct vcpu_run *r, const uint64_t *lrs, enum guest_irq irq)
{
    bool timer_done = false, timer_live = false, others_done = false;
    for (unsigned i = 0; i < vgic_lr_count(); i++) {
        uint64_t lr = lrs[i];
        bool live = lr & (KEEL_VGIC_LR_PENDING | KEEL_VGIC_LR_ACTIVE);
        if ((uint32_t)lr == VTIMER_INTID && live) {
            timer_live = true;
        } else if (!live && (lr & KEEL_VGIC_LR_EOI)) {
            *((uint32_t)lr == VTIMER_INTID ? &timer_done : &others_done) = true;
        }
    }
    if (timer_done && !timer_live) {
        r->vtimer_held = false;
    }
    if (irq == GUEST_IRQ_MAINTENANCE && timer_done && !others_done &&
        !(r->vgic_flags & ~KEEL_VGIC_VTIMER_BITS)) {
        return GUEST_IRQ_KERNEL;
    }
    return irq;
}

static int64_t exit_reason(struct vcpu_run *r, uint64_t kind)
{
    enum guest_irq irq = kind != 0 ? arch_gic_handle_from_guest() : GUEST_IRQ_KERNEL;
    if (irq == GUEST_IRQ_VTIMER) {
        r->vtimer_held = true;
        if (r->vgic && (r->vgic_flags & KEEL_VGIC_VTIMER_ON) &&
            vgic_inject_live(VTIMER_INTID, r->vgic_flags & KEEL_VGIC_VTIMER_GROUP1,
                             KEEL_VGIC_VTIMER_PRIORITY_OF(r->vgic_flags))) {
            irq = GUEST_IRQ_KERNEL; /* delivered without the VMM */
        }
    }
    if (r->vgic) {
        uint64_t lrs[VGIC_MAX_LRS] = { 0 };
        vgic_save(lrs, &r->vgic->direct_lr); /* (the area is the VMM's memory: the kernel */
        for (unsigned i = 0; i < vgic_lr_count(); i++) { /* decides on its copy) */
            r->area->vgic_lr[i] = lrs[i];
        }
        direct_saved(r);
        irq = vtimer_taken(r, lrs, irq);
    }
    if (kind != 0) {
        return irq == GUEST_IRQ_VTIMER ? KEEL_VCPU_EXIT_VTIMER /* held; the VMM delivers it */
               : irq == GUEST_IRQ_MAINTENANCE ? KEEL_VCPU_EXIT_VGIC
                                              : VCPU_GO_ON; /* the kernel's interrupt */
    }
    uint64_t esr = sysreg_read(esr_el2);
    int64_t (*here)(struct vcpu_run *) = trap_here[ESR_EC(esr)];
    if (here && here(r) == VCPU_GO_ON) {
        return VCPU_GO_ON;
    }
    uint64_t far = sysreg_read(far_el2);
    r->area->exit_esr = esr;
    r->area->exit_far = far;
    r->area->exit_gpa = ((sysreg_read(hpfar_el2) >> 4) << 12) | (far & 0xfff);
    return KEEL_VCPU_EXIT_TRAP; /* the VMM's */
}

#define ISR_EL1_A (1ull << 8)   /* an SError is pending */
#define DISR_EL1_A (1ull << 31) /* an SError was deferred by an ESB */

/* Whether the CPU has the RAS extension (ID_AA64PFR0_EL1.RAS): its ESB synchronizes SErrors. */
static bool has_ras(void)
{
    static int ras = -1;
    if (ras < 0) {
        ras = ((sysreg_read(id_aa64pfr0_el1) >> 28) & 0xf) != 0;
    }
    return ras;
}

/* An SError a guest's device access raised may still be pending when it leaves (EL2 runs with
 * SError masked): it is the guest's, not that of whatever this CPU runs next. With RAS, an ESB
 * defers it into DISR_EL1 (SError masked at EL2), read and cleared here. Without, the guest's
 * accesses are completed (DSB) and one pending is taken here, on purpose
 * (arch_trap_kernel_serror), after the exit's ESR, FAR and ELR were read: taking it overwrites
 * them. Returns its syndrome as an ESR_EL2 (EC 0x2f), or 0. (KVM's guest exit does the same.) */
static uint64_t serror_take(void)
{
    if (has_ras()) {
        __asm__ volatile("hint #16\n isb" ::: "memory"); /* ESB */
        uint64_t disr;
        __asm__ volatile("mrs %0, S3_0_C12_C1_1" : "=r"(disr)); /* DISR_EL1 */
        if (!(disr & DISR_EL1_A)) {
            return 0;
        }
        __asm__ volatile("msr S3_0_C12_C1_1, xzr\n isb" ::: "memory");
        return (uint64_t)EC_SERROR << 26 | 1ull << 25 | (disr & 0x1ffffff); /* (IL; the ISS) */
    }
    __asm__ volatile("dsb sy\n isb" ::: "memory"); /* the guest's accesses have completed */
    if (!(sysreg_read(isr_el1) & ISR_EL1_A)) {
        return 0;
    }
    struct percpu *c = this_cpu();
    c->arch.serror_esr = 0;
    c->arch.serror_expected = true;
    __asm__ volatile("msr daifclr, #4\n isb\n msr daifset, #4\n isb" ::: "memory");
    c->arch.serror_expected = false;
    return c->arch.serror_esr;
}

int64_t arch_vcpu_exit(struct vcpu_run *r, uint64_t kind)
{
    int64_t exit = exit_reason(r, kind);
    uint64_t serror = serror_take();
    if (serror) {
        r->p->serror_esr = serror; /* the guest's: a TRAP exit before its next entry */
    }
    return exit;
}

void arch_vcpu_put(struct vcpu_run *r)
{
    if (r->fp_live) { /* another vCPU may use the FP/SIMD registers while we are away */
        sysreg_write(cptr_el2, CPTR_HOST);
        isb();
        arch_fpsimd_save(r->p->fp);
        r->fp_live = false;
    }
    shared_save(&r->p->sys);
    r->cntv_cval = sysreg_read(cntv_cval_el0);
    r->cntv_ctl = sysreg_read(cntv_ctl_el0);
    load_host(r->self);
}

/* The groups the VMM asked for (or all) into the area: the registers still in the CPU first. */
static void sync_out(struct vcpu_private *p, struct keel_vcpu_state *a, uint64_t groups)
{
    if (groups & KEEL_VCPU_SYNC_SYS) {
        if (p->sys_live) {
            guest_only_save(&p->sys);
        }
        memcpy(&a->sys, &p->sys, sizeof(a->sys));
    }
    a->sync.valid = groups & KEEL_VCPU_SYNC_SYS;
}

void arch_vcpu_end(struct vcpu_run *r, void *area)
{
    struct keel_vcpu_state *a = area;
    a->pc = r->pc;
    a->pstate = r->pstate;
    a->cntv_ctl_el0 = r->cntv_ctl;
    a->cntv_cval_el0 = r->cntv_cval;
    a->vtimer_held = r->vtimer_held;
    a->vgic_lr_count = r->vgic ? vgic_lr_count() : 0;
    sync_out(r->p, a, __atomic_load_n(&a->sync.want, __ATOMIC_RELAXED));
}

void arch_vcpu_sync(struct thread *t, void *area)
{
    sync_out(t->vcpu.arch, area, KEEL_VCPU_SYNC_SYS);
}
