// SPDX-License-Identifier: MIT
// Trap dispatch for tasks in U-mode (riscv64): scause selects the handler; every entry takes the
// big lock, and every exit schedules and releases it.
#include <keel/syscall.h>
#include <keel/thread.h>
#include <keel/percpu.h>
#include <keel/sched.h>
#include <keel/bkl.h>
#include <keel/kobj.h>
#include <keel/printk.h>
#include <arch/csr.h>
#include <keel/arch/pt.h>
#include <uapi/keel/syscall.h>
#include "internal.h"


static void exit_to_user(void)
{
    sched_exit_to_user();
    bkl_unlock();
}

/* ecall from U-mode (trap.S calls it apart, so the hot path pays for no other handler). */
void arch_syscall(struct arch_regs *r)
{
    r->pc += 4;
    syscall_entry(r);
}

void arch_trap_user(struct arch_regs *r)
{
    uint64_t cause = csr_read(scause), tval = csr_read(stval);
    bkl_lock();
    if (cause & SCAUSE_INTERRUPT) {
        arch_irq_handle((unsigned)(cause & 0xff));
    } else {
        switch (cause) {
        case EXC_INST_PAGE:
        case EXC_LOAD_PAGE:
        case EXC_STORE_PAGE:
            if (!arch_pt_fault_fixup()) {
                fault_page(r, tval, cause == EXC_INST_PAGE   ? KEEL_PF_EXEC
                                    : cause == EXC_LOAD_PAGE ? KEEL_PF_READ
                                                             : KEEL_PF_WRITE);
            }
            break;
        default:
            fault_exception(r, cause, tval);
            break;
        }
    }
    exit_to_user();
}

void arch_trap_kernel(struct arch_regs *r)
{
    uint64_t cause = csr_read(scause);
    extern char arch_stimecmp_probe[];
    extern volatile bool arch_stimecmp_refused;
    if (cause == EXC_ILLEGAL && r->pc == (uint64_t)(uintptr_t)arch_stimecmp_probe) {
        arch_stimecmp_refused = true; /* timer.c's probe: no Sstc for S-mode */
        r->pc += 4;
        return;
    }
    if (!(cause & SCAUSE_INTERRUPT)) {
        panic("kernel exception: scause 0x%lx at pc 0x%lx, stval 0x%lx, ra 0x%lx",
              (unsigned long)cause, (unsigned long)r->pc, (unsigned long)csr_read(stval),
              (unsigned long)r->x[1]);
    }
    bkl_lock();
    arch_irq_handle((unsigned)(cause & 0xff));
    bkl_unlock();
}
