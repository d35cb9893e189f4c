// SPDX-License-Identifier: MIT
/*
 * VM exits on arm64, dispatched by the exception class of ESR_EL2: data aborts on MMIO (decoded
 * from the syndrome: register, width, direction, sign extension), HVC and SMC calls (SMCCC 1.1,
 * PSCI 1.1),
 * WFI, trapped system registers (SGI generation, debug). Guest mistakes are reported (a bounded
 * number of lines, vm_report()) and the guest goes on: an access no device takes reads as zero
 * and writes nothing; an access the VMM cannot decode (no syndrome, e.g. a load pair) and an
 * instruction fetch from outside RAM come back to the guest as a synchronous external abort, as
 * on a bus with nothing there (the syndrome's decoding: syndrome.c). Anything else stops the VM with a message; nothing the guest
 * does stops the VMM.
 */
#include "../../vm.h"
#include "../../vcpu.h"
#include "vgic.h"
#include "syndrome.h"
#include "ptimer.h"
#include "../../vm_timer.h"
#include "../../lock.h"
#include "../../dev/passthrough.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <uapi/keel/vcpu.h>
#include <hw/arm64_esr.h>
#include <hw/psci.h>
#include <format.h>
#include <string.h>
#include <stddef.h>

#define ICC_SGI1R_EL1 0x3a3016 /* ISS of MSR ICC_SGI1R_EL1: Op0 3, Op2 5, Op1 0, CRn 12, CRm 11 */

static uint64_t *reg(struct keel_vcpu_state *s, unsigned n, uint64_t *zero)
{
    *zero = 0;
    return n == 31 ? zero : &s->x[n]; /* register 31 is XZR for loads and stores */
}

static int data_abort(struct vcpu *v, struct keel_vcpu_state *s, uint64_t esr)
{
    struct vm *vm = v->vm;
    struct arm64_mmio a;
    gpa_t gpa = gpa_init(s->exit_gpa);
    if (!arm64_mmio_decode(esr, &a)) {
        vm_report(vm, "guest access at 0x%lx without a syndrome (pc 0x%lx): abort injected",
                  (unsigned long)gpa_val(gpa), (unsigned long)s->pc);
        if (vcpu_state_sync(v) != 0) {
            return -1;
        }
        arm64_inject_abort(s, false, esr & (1u << 6));
        return 0;
    }
    struct mmio_device *d = vm_device_at(vm, gpa);
    uint64_t off = d ? gpa_val(gpa) - gpa_val(d->base) : 0;
    uint64_t value = a.write ? arm64_mmio_store_value(s, &a) : 0;
    bool ok = vm_device_access(d, off, a.width, a.write, &value);
    if (!ok) {
        char where[48];
        if (d) {
            snformat(where, sizeof(where), "refused by %s", d->name);
        }
        vm_report(vm, "guest %s of %u bytes at 0x%lx: %s (pc 0x%lx)", a.write ? "write" : "read",
                  a.width, (unsigned long)gpa_val(gpa), d ? where : "no device there",
                  (unsigned long)s->pc);
        value = 0; /* reads of nothing return zero; the guest goes on */
    }
    arm64_mmio_complete(s, &a, value);
    return 0;
}

/*
 * The EL1 physical timer (ptimer.h): its registers per vCPU here, its level drives PPI 30 of the
 * vCPU's redistributor (looked at before each resume and wait: ptimer_sync), and one device
 * timer (vm_timer.h, added at the first arming: most guests never use this timer) kicks a vCPU
 * whose timer comes due while its guest runs, so that it exits and the line rises. Each vCPU's
 * kick deadline (ptimer_due) and the device timer's are changed under ptimer_lock only, so the
 * device timer always has the earliest; a vCPU is kicked once per arming (its due then none).
 */
static struct vm_lock ptimer_lock;
static struct vm_timer ptimer_timer;
static struct vm *ptimer_vm; /* (one VM per VMM) */
static bool ptimer_timer_added;

/* The earliest kick deadline of the VM's vCPUs to the device timer. With ptimer_lock. */
static void ptimer_timer_update(struct vm *vm)
{
    uint64_t next = UINT64_MAX;
    for (unsigned i = 0; i < vm->vcpu_count; i++) {
        uint64_t due = vm->vcpus[i].arch.ptimer_due;
        next = due < next ? due : next;
    }
    if (ptimer_timer_added) {
        vm_timer_set(&ptimer_timer, next);
    }
}

static void ptimer_expired(struct vm_timer *t, uint64_t now)
{
    (void)t;
    struct vm *vm = ptimer_vm;
    vm_lock(&ptimer_lock);
    for (unsigned i = 0; i < vm->vcpu_count; i++) {
        struct vcpu *v = &vm->vcpus[i];
        if (v->arch.ptimer_due <= now) {
            v->arch.ptimer_due = UINT64_MAX;
            vcpu_kick(v); /* its exit raises the line (ptimer_sync) */
        }
    }
    ptimer_timer_update(vm);
    vm_unlock(&ptimer_lock);
}

/* After a write to v's timer at now: when to kick it. */
static void ptimer_rearm(struct vcpu *v, uint64_t now)
{
    struct vm *vm = v->vm;
    uint64_t due = ptimer_deadline(&v->arch.ptimer);
    vm_lock(&ptimer_lock);
    v->arch.ptimer_due = due > now ? due : UINT64_MAX; /* (due already: ptimer_sync raises it) */
    if (due != UINT64_MAX && !ptimer_timer_added && !ptimer_vm) {
        ptimer_vm = vm;
        ptimer_timer.expired = ptimer_expired;
        /* (A thread and two slots at run time: nothing else takes slots then, and other vCPUs
         * wait for ptimer_lock. If it fails, WFI still wakes for the timer.) */
        ptimer_timer_added = vm_timer_add(vm, &ptimer_timer) == 0;
    }
    ptimer_timer_update(vm);
    vm_unlock(&ptimer_lock);
}

/* PPI 30 of v's redistributor as v's physical timer says at now. */
static void ptimer_sync(struct vcpu *v, uint64_t now)
{
    vgic_ppi_level(v->vm, v, PTIMER_INTID, ptimer_level(&v->arch.ptimer, now));
}

/* Until the guest has an interrupt to take, or may have: as WFI does (wait_for_interrupt). Its
 * timers are its sources besides the devices: sleep until the earlier is due (a receive that
 * times out); the kernel injects the virtual timer's interrupt as soon as the guest runs, the
 * physical timer's line is raised before it does (ptimer_sync). While the kernel holds the
 * virtual timer's interrupt (the guest has not deactivated the last one yet) that timer cannot
 * wake the guest: look again in a millisecond, as with no timer armed. The counter's frequency
 * is the kernel's (CNTFRQ_EL0, passed on in our environment page). */
static void wait_for_wakeup(struct vcpu *v, struct keel_vcpu_state *s)
{
    uint64_t now = keel_cycles();
    ptimer_sync(v, now);
    vgic_flush(v->vm, v);
    if (vgic_has_pending(v->vm, v)) {
        return;
    }
    uint64_t ctl = s->cntv_ctl_el0, freq = rt_timer_freq();
    uint64_t wake = UINT64_MAX, pdue = ptimer_deadline(&v->arch.ptimer);
    if ((ctl & 1) && !(ctl & 2) && !s->vtimer_held) {
        wake = s->cntv_cval_el0;
    }
    if (pdue > now && pdue < wake) { /* (due already and not taken: it cannot wake it) */
        wake = pdue;
    }
    uint64_t us = 1000; /* no timer armed: look again in a millisecond */
    if (wake != UINT64_MAX) {
        us = wake > now ? (wake - now) * 1000000 / freq + 1 : 0;
    }
    if (us) {
        v->wfi_sleeps++;
        /* A kick (an interrupt for us from another thread) ends the wait early; so does a
         * passed-through device's interrupt (its Irq is attached to this thread: an open wait). */
        uint32_t t = us < 1000000 ? (uint32_t)us : 1000000;
        uint64_t label;
        if (!passthrough_on(v)) {
            keel_receive(v->kick, t, 0);
        } else if (!keel_tag_is_error(keel_wait(t, &label))) {
            passthrough_message(v, label);
        }
    }
}

/* WFI: the guest has nothing to do until an interrupt. WFE goes on at once. */
static int wait_for_interrupt(struct vcpu *v, struct keel_vcpu_state *s, uint64_t esr)
{
    s->pc += 4;
    if (!(esr & 1)) {
        wait_for_wakeup(v, s);
    }
    return 0;
}

/* The vCPU whose MPIDR is mpidr (its affinity fields: Aff3 [39:32], Aff2..0 [23:0]; PSCI asks
 * the other bits to be zero), or NULL. */
static struct vcpu *vcpu_by_mpidr(struct vm *vm, uint64_t mpidr)
{
    if (mpidr & ~0xff00ffffffull) {
        return NULL;
    }
    for (unsigned i = 0; i < vm->vcpu_count; i++) {
        if (vm->vcpus[i].mpidr == mpidr) {
            return &vm->vcpus[i];
        }
    }
    return NULL;
}

/* Whether pc can be where a CPU starts: aligned, in guest RAM. */
static bool entry_ok(struct vm *vm, uint64_t pc)
{
    return !(pc & 3) && guest_mem_ptr(vm, gpa_init(pc), 4);
}

static int64_t psci_cpu_on(struct vm *vm, uint64_t target, uint64_t pc, uint64_t ctx)
{
    struct vcpu *t = vcpu_by_mpidr(vm, target);
    if (!t) {
        return PSCI_INVALID_PARAMETERS;
    }
    if (!entry_ok(vm, pc)) {
        return PSCI_INVALID_ADDRESS; /* (PSCI 1.0, 5.6: an entry point known to be invalid) */
    }
    int64_t r = vcpu_power_on(t, pc, ctx);
    if (r == -KEEL_EBUSY) {
        return __atomic_load_n(&t->power, __ATOMIC_ACQUIRE) == VCPU_ON ? PSCI_ALREADY_ON : PSCI_ON_PENDING;
    }
    if (r < 0) {
        printf("vmm: %s: cannot start vCPU %u: %s\n", vm->name, t->id, keel_strerror(r));
        return PSCI_INTERNAL_FAILURE;
    }
    return PSCI_SUCCESS;
}

/* PSCI_FEATURES: SUCCESS for every function answered here (for CPU_SUSPEND its flags, 0: the
 * original power_state format, platform-coordinated mode only), NOT_SUPPORTED for the rest.
 * SMCCC_VERSION is there as SMCCC 1.1 asks, for callers to find it (DEN 0028). */
static int64_t psci_features(uint32_t fn)
{
    switch (fn) {
    case PSCI_VERSION:
    case PSCI_CPU_SUSPEND:
    case PSCI_CPU_SUSPEND32:
    case PSCI_CPU_OFF:
    case PSCI_CPU_ON:
    case PSCI_CPU_ON32:
    case PSCI_AFFINITY_INFO:
    case PSCI_AFFINITY_INFO32:
    case PSCI_MIGRATE_INFO_TYPE:
    case PSCI_SYSTEM_OFF:
    case PSCI_SYSTEM_RESET:
    case PSCI_FEATURES:
    case SMCCC_VERSION:
        return PSCI_SUCCESS;
    default:
        return PSCI_NOT_SUPPORTED;
    }
}

static int64_t psci_affinity_info(struct vm *vm, uint64_t target, uint64_t lowest_level)
{
    static const int64_t state[] = { [VCPU_OFF] = PSCI_AFFINITY_OFF,
                                     [VCPU_ON_PENDING] = PSCI_AFFINITY_ON_PENDING,
                                     [VCPU_ON] = PSCI_AFFINITY_ON };
    /* Level 0 only (above it is optional from PSCI 1.0 on: INVALID_PARAMETERS, 5.7). */
    struct vcpu *t = (uint32_t)lowest_level == 0 ? vcpu_by_mpidr(vm, target) : NULL;
    return t ? state[__atomic_load_n(&t->power, __ATOMIC_ACQUIRE)] : PSCI_INVALID_PARAMETERS;
}

/* CPU_SUSPEND: every state is a standby, entered as WFI and left at the next wake-up event with
 * SUCCESS; a power-down request is met that way too, as the spec lets an implementation do
 * (5.4: a power down may end as a standby, the call then returning SUCCESS; KVM does the same),
 * so its entry point is only checked. Nothing of the guest's context is lost. */
static int64_t psci_cpu_suspend(struct vcpu *v, struct keel_vcpu_state *s, uint64_t power_state,
                                uint64_t pc)
{
    if ((uint32_t)power_state & PSCI_POWER_STATE_RESERVED) { /* (a 32-bit parameter) */
        return PSCI_INVALID_PARAMETERS;
    }
    if ((power_state & PSCI_POWER_STATE_POWERDOWN) && !entry_ok(v->vm, pc)) {
        return PSCI_INVALID_ADDRESS;
    }
    wait_for_wakeup(v, s);
    return PSCI_SUCCESS;
}

/* SMCCC_ARCH_FEATURES: the calling convention's own functions are there; the errata workarounds
 * are not (nothing here does them: claiming one would tell the guest it is protected). */
static int64_t smccc_arch_features(uint32_t fn)
{
    return fn == SMCCC_VERSION || fn == SMCCC_ARCH_FEATURES ? PSCI_SUCCESS : SMCCC_NOT_SUPPORTED;
}

/*
 * An HVC or trapped SMC (the same conduit either way: the guest's tree may say "hvc" or "smc").
 * SMC Calling Convention 1.1 (DEN 0028): the function ID is W0; an SMC32/HVC32 call (bit 30
 * clear) has 32-bit arguments, so the upper halves of x1..x3 are ignored; x0 gets the result,
 * x1..x17 stay as they were; an unknown function, and a call whose immediate is not 0 (not an
 * SMCCC call), get NOT_SUPPORTED (-1). PSCI 1.1 on top: the functions psci_features() lists.
 */
static int psci(struct vcpu *v, struct keel_vcpu_state *s, uint64_t esr)
{
    struct vm *vm = v->vm;
    uint32_t fn = (uint32_t)s->x[0];
    uint64_t a1 = s->x[1], a2 = s->x[2], a3 = s->x[3];
    if (!(fn & PSCI_SMC64)) {
        a1 = (uint32_t)a1, a2 = (uint32_t)a2, a3 = (uint32_t)a3;
    }
    int64_t r = PSCI_NOT_SUPPORTED;
    if (esr & 0xffff) {
        s->x[0] = (uint64_t)SMCCC_NOT_SUPPORTED; /* HVC/SMC #imm, imm not 0: not SMCCC */
        return 0;
    }
    switch (fn) {
    case SMCCC_VERSION:
        r = SMCCC_VERSION_1_1;
        break;
    case SMCCC_ARCH_FEATURES:
        r = smccc_arch_features((uint32_t)a1);
        break;
    case PSCI_VERSION:
        r = 0x10001; /* 1.1 */
        break;
    case PSCI_FEATURES:
        r = psci_features((uint32_t)a1);
        break;
    case PSCI_CPU_SUSPEND:
    case PSCI_CPU_SUSPEND32:
        r = psci_cpu_suspend(v, s, a1, a2);
        break;
    case PSCI_CPU_ON:
    case PSCI_CPU_ON32:
        r = psci_cpu_on(vm, a1, a2, a3);
        break;
    case PSCI_CPU_OFF:
        __atomic_store_n(&v->power, VCPU_OFF, __ATOMIC_RELEASE);
        return 0; /* does not return to the guest (until a CPU_ON) */
    case PSCI_AFFINITY_INFO:
    case PSCI_AFFINITY_INFO32:
        r = psci_affinity_info(vm, a1, a2);
        break;
    case PSCI_MIGRATE_INFO_TYPE:
        r = PSCI_TOS_NOT_PRESENT_MP; /* no Trusted OS: MIGRATE and MIGRATE_INFO_UP_CPU are not */
        break;
    case PSCI_SYSTEM_OFF:
        vm->exit_status = (int64_t)s->x[1];
        vm_stop(vm);
        return 0;
    case PSCI_SYSTEM_RESET:
        vm_reset(vm, (int64_t)s->x[1]); /* (x1: the status, should the VM stop instead) */
        return 0;
    }
    s->x[0] = (uint64_t)r;
    return 0;
}

/* Whether a trapped MSR/MRS names a PMU register: op0 3 and CRn 9 with CRm 12-14 (PMCR_EL0 ..
 * PMUSERENR_EL0, PMINTEN*_EL1, PMMIR_EL1), or op1 3, CRn 14 and CRm 8-15 (the event counters
 * and their types, PMCCFILTR_EL0). */
static bool pmu_register(uint64_t esr)
{
    unsigned op0 = (esr >> 20) & 3, op1 = (esr >> 14) & 7, crn = (esr >> 10) & 15;
    unsigned crm = (esr >> 1) & 15;
    return op0 == 3 &&
           ((crn == 9 && crm >= 12 && crm <= 14) || (op1 == 3 && crn == 14 && crm >= 8));
}

/* A trapped system-register access: SGI generation goes to the interrupt controller model, the
 * EL1 physical timer to its emulation; the PMU's registers are UNDEFINED (the guest has no
 * PMU: the kernel's ID registers say so, docs/vcpu.md); debug and implementation-defined ones
 * read as zero and ignore writes. */
static int system_register(struct vcpu *v, struct keel_vcpu_state *s, uint64_t esr)
{
    unsigned rt = (esr >> 5) & 31;
    bool read = esr & 1;
    uint64_t zero;
    enum ptimer_reg timer_reg;
    if (!read && (esr & 0x3ffc1e) == ICC_SGI1R_EL1) {
        vgic_sgi(v->vm, v, *reg(s, rt, &zero));
        s->pc += 4;
        return 0;
    }
    if (ptimer_reg_of(esr, &timer_reg)) {
        uint64_t now = keel_cycles();
        if (read) {
            *reg(s, rt, &zero) = ptimer_read(&v->arch.ptimer, timer_reg, now);
        } else {
            ptimer_write(&v->arch.ptimer, timer_reg, *reg(s, rt, &zero), now);
            ptimer_rearm(v, now);
        }
        s->pc += 4;
        return 0;
    }
    if (pmu_register(esr)) {
        if (vcpu_state_sync(v) != 0) {
            return -1;
        }
        arm64_inject_undefined(s);
        return 0;
    }
    if (read) {
        *reg(s, rt, &zero) = 0;
    }
    s->pc += 4;
    return 0;
}

static int trap(struct vcpu *v, struct keel_vcpu_state *s)
{
    uint64_t esr = s->exit_esr;
    switch (esr >> 26) {
    case EC_WFX:
        return wait_for_interrupt(v, s, esr);
    case EC_SYS64:
        return system_register(v, s, esr);
    case EC_DABT_LOW:
        return data_abort(v, s, esr);
    case EC_IABT_LOW: /* stage 2: an instruction fetch from outside RAM */
        if (vcpu_state_sync(v) != 0) {
            return -1;
        }
        if (s->pc - s->sys.vbar_el1 < 0x800) {
            printf("vmm: %s: the guest's exception vectors at 0x%lx are outside RAM; stopping "
                   "the VM\n",
                   v->vm->name, (unsigned long)s->sys.vbar_el1);
            return -1; /* an abort would only come back here */
        }
        vm_report(v->vm, "guest runs code at 0x%lx, outside RAM: abort injected",
                  (unsigned long)s->exit_gpa);
        arm64_inject_abort(s, true, false);
        return 0;
    case EC_HVC64:
        return psci(v, s, esr); /* the return address is already past the HVC */
    case EC_SMC64:
        s->pc += 4; /* a trapped SMC (HCR_EL2.TSC) returns to itself */
        return psci(v, s, esr);
    case EC_SERROR: /* (the guest's memory is emulated or RAM: a device passed through) */
        printf("vmm: %s: SError, ESR 0x%lx: a device the guest was given reported an error; "
               "stopping the VM\n",
               v->vm->name, (unsigned long)esr);
        return -1;
    default:
        printf("vmm: %s: unhandled exit, ESR 0x%lx at pc 0x%lx; stopping the VM\n", v->vm->name,
               (unsigned long)esr, (unsigned long)s->pc);
        return -1;
    }
}

int arch_vcpu_exit(struct vcpu *v, int64_t reason)
{
    switch (reason) {
    case KEEL_VCPU_EXIT_TRAP:
        return trap(v, v->state);
    case KEEL_VCPU_EXIT_VTIMER:
        if (!v->vm->arch.gic && v->vm->vtimer_exits++ == 0) {
            printf("vmm: %s: virtual timer fired\n", v->vm->name); /* no GIC: it stays held */
        }
        vgic_vtimer(v->vm, v);
        return 0;
    default: /* EVENT, VGIC: the list registers are looked at before resuming */
        return 0;
    }
}

void arch_vcpu_before_resume(struct vcpu *v)
{
    ptimer_sync(v, keel_cycles());
    vgic_flush(v->vm, v);
}

bool arch_vm_reset(struct vm *vm)
{
    vgic_model_reset(vm);
    return true;
}

void arch_vcpu_reset(struct vcpu *v, uint64_t entry, uint64_t ctx)
{
    struct keel_vcpu_state *s = v->state;
    /* Everything but the list registers: the interrupt controller model owns those. */
    memset(s, 0, offsetof(struct keel_vcpu_state, vgic_lr));
    memset(&s->sys, 0, sizeof(s->sys));
    s->sync.dirty = KEEL_VCPU_SYNC_SYS;
    s->x[0] = ctx;
    s->sys.vmpidr = v->mpidr;
    s->pc = entry;
    s->pstate = 0x3c5; /* EL1h, interrupts masked: as the Linux boot protocol asks */
    s->sys.sctlr_el1 = 0x30d00800; /* MMU and caches off */
    v->arch.ptimer = (struct ptimer){ 0 }; /* off */
    vm_lock(&ptimer_lock);
    v->arch.ptimer_due = UINT64_MAX;
    vm_unlock(&ptimer_lock);
}
