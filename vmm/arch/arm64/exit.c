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

/* Until the guest has an interrupt to take, or may have: as WFI does (wait_for_interrupt). The
 * one source it can have today is its virtual timer: sleep until it is due (a receive that times
 * out); the kernel injects the timer's interrupt as soon as the guest runs. While the kernel
 * holds the timer's interrupt (the guest has not deactivated the last one yet) the timer cannot
 * wake the guest: look again in a millisecond, as with no timer armed. The counter's frequency
 * is the kernel's (CNTFRQ_EL0, passed on in our environment page). */
static void wait_for_wakeup(struct vcpu *v, struct keel_vcpu_state *s)
{
    vgic_flush(v->vm, v);
    if (vgic_has_pending(v->vm, v)) {
        return;
    }
    uint64_t ctl = s->cntv_ctl_el0, freq = rt_timer_freq();
    uint64_t us = 1000; /* no timer armed: look again in a millisecond */
    if ((ctl & 1) && !(ctl & 2) && !s->vtimer_held) {
        uint64_t now = keel_cycles();
        us = s->cntv_cval_el0 > now ? (s->cntv_cval_el0 - now) * 1000000 / freq + 1 : 0;
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

/* A trapped system-register access: SGI generation goes to the interrupt controller model;
 * debug and performance-monitor registers (which the kernel keeps from guests) and
 * implementation-defined ones read as zero and ignore writes. */
static int system_register(struct vcpu *v, struct keel_vcpu_state *s, uint64_t esr)
{
    unsigned rt = (esr >> 5) & 31;
    bool read = esr & 1;
    uint64_t zero;
    if (!read && (esr & 0x3ffc1e) == ICC_SGI1R_EL1) {
        vgic_sgi(v->vm, v, *reg(s, rt, &zero));
        s->pc += 4;
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
}
