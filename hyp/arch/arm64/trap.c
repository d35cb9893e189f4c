// SPDX-License-Identifier: MIT
// Exception dispatch at EL2 for tasks at EL0: the exception class (ESR_EL2.EC) selects the
// handler; every entry takes the big lock, and every exit schedules and releases it.
#include <keel/syscall.h>
#include <keel/thread.h>
#include <keel/percpu.h>
#include <keel/sched.h>
#include <keel/bkl.h>
#include <keel/kobj.h>
#include <keel/printk.h>
#include <arch/sysreg.h>
#include <hw/arm64_esr.h>
#include <keel/arch/pt.h>
#include <uapi/keel/syscall.h>
#include "internal.h"

/* Leaving the kernel: run whoever should run, free what died, let the other CPUs in. */
static void exit_to_user(void)
{
    sched_exit_to_user();
    bkl_unlock();
}

/* Out of line: inlined, its registers would be saved on every system call's way in. */
static __attribute__((noinline)) void user_abort(struct arch_regs *r, uint64_t esr, bool exec)
{
    if (arch_pt_fault_fixup()) {
        return; /* the task's table had no VMID yet: it has one now */
    }
    uint64_t iss = ESR_ISS(esr);
    unsigned fsc = iss & 0x3f;
    uint64_t far = sysreg_read(far_el2);
    /* Translation (0b0001xx), access flag (0b0010xx) and permission (0b0011xx) faults are page
     * faults; alignment and the rest are exceptions. */
    if (fsc >= 0x04 && fsc <= 0x0f) {
        unsigned access = exec ? KEEL_PF_EXEC : (iss & (1u << 6)) ? KEEL_PF_WRITE : KEEL_PF_READ;
        fault_page(r, far, access);
    } else {
        fault_exception(r, ESR_EC(esr), far);
    }
}

void arch_trap_user_sync(struct arch_regs *r)
{
    uint64_t esr = sysreg_read(esr_el2);
    if (ESR_EC(esr) == EC_SVC64) {
        syscall_entry(r);
        return;
    }
    bkl_lock();
    switch (ESR_EC(esr)) {
    case EC_DABT_LOW:
        user_abort(r, esr, false);
        break;
    case EC_IABT_LOW:
        user_abort(r, esr, true);
        break;
    default:
        fault_exception(r, ESR_EC(esr), ESR_ISS(esr));
        break;
    }
    exit_to_user();
}

void arch_trap_user_irq(struct arch_regs *r)
{
    (void)r;
    bkl_lock();
    arch_gic_handle();
    exit_to_user();
}

void arch_trap_user_serror(struct arch_regs *r)
{
    bkl_lock();
    fault_exception(r, EC_SERROR, sysreg_read(esr_el2));
    exit_to_user();
}

/* An interrupt in the idle loop: handle it; the idle loop then schedules. */
void arch_trap_kernel_irq(struct arch_regs *r)
{
    (void)r;
    bkl_lock();
    arch_gic_handle();
    bkl_unlock();
}

noreturn void arch_trap_kernel_sync(struct arch_regs *r)
{
    uint64_t esr = sysreg_read(esr_el2);
    panic("kernel exception: ESR 0x%lx (EC 0x%lx) at pc 0x%lx, FAR 0x%lx, lr 0x%lx",
          (unsigned long)esr, (unsigned long)ESR_EC(esr), (unsigned long)r->pc,
          (unsigned long)sysreg_read(far_el2), (unsigned long)r->x[30]);
}

/* An SError at EL2. The kernel touches no device that raises one: it is a guest's, left pending
 * at its exit and taken on purpose (vcpu_el2.c), or the machine is broken. */
void arch_trap_kernel_serror(struct arch_regs *r)
{
    struct percpu *c = this_cpu();
    uint64_t esr = sysreg_read(esr_el2);
    if (!c->arch.serror_expected) {
        panic("SError in the kernel: ESR 0x%lx at pc 0x%lx", (unsigned long)esr,
              (unsigned long)r->pc);
    }
    c->arch.serror_esr = esr;
}

noreturn void arch_trap_bad_vector(struct arch_regs *r)
{
    panic("unexpected exception vector at pc 0x%lx, ESR 0x%lx", (unsigned long)r->pc,
          (unsigned long)sysreg_read(esr_el2));
}
