// SPDX-License-Identifier: MIT
/*
 * Trap dispatch on x86_64. From user level: exceptions through a table indexed by vector (page
 * faults become pager IPC, everything else exception IPC), the system call, and interrupts; every
 * entry takes the big lock, and every exit schedules and releases it. From the kernel (only the
 * idle loop runs with interrupts on): interrupts are handled, exceptions are kernel bugs. TLB
 * flush requests never take the big lock: the CPU that sent them holds it and waits.
 */
#include <keel/syscall.h>
#include <keel/thread.h>
#include <keel/percpu.h>
#include <keel/sched.h>
#include <keel/bkl.h>
#include <keel/kobj.h>
#include <keel/printk.h>
#include <arch/msr.h>
#include <arch/x86.h>
#include <uapi/keel/syscall.h>
#include "internal.h"

#define PF_WRITE (1u << 1)
#define PF_FETCH (1u << 4)


static void exit_to_user(void)
{
    sched_exit_to_user();
    bkl_unlock();
}

static void user_page_fault(struct arch_regs *r)
{
    unsigned access = (r->error & PF_FETCH) ? KEEL_PF_EXEC : (r->error & PF_WRITE) ? KEEL_PF_WRITE
                                                                                   : KEEL_PF_READ;
    fault_page(r, read_cr2(), access);
}

static void user_exception(struct arch_regs *r)
{
    fault_exception(r, r->vector, r->error);
}

/* An NMI is not the interrupted thread's doing: note it and go on. */
static void nmi(struct arch_regs *r)
{
    printk("x86: NMI at rip 0x%lx\n", (unsigned long)r->rip);
}

/* A machine check is the hardware's: nothing to go on with. */
static void machine_check(struct arch_regs *r)
{
    panic("machine check at rip 0x%lx", (unsigned long)r->rip);
}

typedef void (*exception_fn)(struct arch_regs *r);

/* Every exception vector has a slot; page faults become pager IPC, NMIs and machine checks are
 * the kernel's, the rest exception IPC. */
static const exception_fn user_exceptions[32] = {
    [0 ... 1] = user_exception,
    [2] = nmi,
    [3 ... 13] = user_exception,
    [14] = user_page_fault,
    [15 ... 17] = user_exception,
    [18] = machine_check,
    [19 ... 31] = user_exception,
};

/* An interrupt (vector >= 32), with the big lock held. */
static void interrupt(unsigned vector)
{
    switch (vector) {
    case VECTOR_TIMER: /* (ended before the lock: eoi_before_lock) */
        sched_timer_tick();
        break;
    case VECTOR_RESCHED:
        this_cpu()->need_resched = true;
        break;
    case VECTOR_SPURIOUS:
        break; /* no EOI for the spurious vector */
    default:
        ioapic_handle(vector);
        break;
    }
}

/* The IPI and the timer are ended before the lock is taken: one still in service would keep its
 * whole class (15) out, and with it what ends arch_cpu_sleep, should this CPU sleep for the lock:
 * it would never wake. (Both are edge-triggered; a device line stays masked by the I/O APIC.) */
static void eoi_before_lock(unsigned vector)
{
    if (vector == VECTOR_RESCHED || vector == VECTOR_TIMER) {
        lapic_eoi();
    }
}

void arch_trap_user(struct arch_regs *r)
{
    if (r->vector == VECTOR_TLB) {
        lapic_eoi();
        arch_tlb_flush_local();
        return;
    }
    eoi_before_lock((unsigned)r->vector);
    bkl_lock();
    if (r->vector < 32) {
        user_exceptions[r->vector](r);
    } else {
        interrupt((unsigned)r->vector);
    }
    exit_to_user();
}

/* An interrupt that ended arch_cpu_sleep (only class 15 gets in there; VECTOR_TLB is taken
 * before), without the lock: the IPI's sender wrote down why (need_resched, asked, the lock), and
 * the timer is bkl_sleep's bound (bkl_wait puts the kernel's deadline back once it has the lock). */
static void sleep_interrupt(unsigned vector)
{
    if (vector == VECTOR_RESCHED || vector == VECTOR_TIMER) {
        lapic_eoi();
    } else if (vector != VECTOR_SPURIOUS) { /* (no EOI for that one) */
        panic("vector %u got past the task priority in arch_cpu_sleep", vector);
    }
}

void arch_trap_kernel(struct arch_regs *r)
{
    if (r->vector == 2) {
        nmi(r);
        return;
    }
    if (r->vector < 32) {
        panic("kernel exception %lu (error 0x%lx) at rip 0x%lx, cr2 0x%lx, rsp 0x%lx",
              (unsigned long)r->vector, (unsigned long)r->error, (unsigned long)r->rip,
              (unsigned long)read_cr2(), (unsigned long)r->rsp);
    }
    if (r->vector == VECTOR_TLB) {
        lapic_eoi();
        arch_tlb_flush_local();
        return;
    }
    if (this_cpu()->arch.sleeping) {
        sleep_interrupt((unsigned)r->vector); /* (the lock is someone else's) */
        return;
    }
    eoi_before_lock((unsigned)r->vector);
    bkl_lock();
    interrupt((unsigned)r->vector);
    bkl_unlock();
}
