/* SPDX-License-Identifier: MIT */
/*
 * Plain vCPU mode: a thread takes its events at an entry point of its own, with a virtual
 * interrupt flag, the way a guest kernel on a CPU would, and may run its "user mode" in another
 * task (user_task), the way that kernel runs its processes.
 *
 * Thread VCPU_USER binds the thread to a state area (a page of its task's UTCB area) and an entry
 * pc and sp. An event enters like this: the kernel saves the thread's user registers in `frame`,
 * copies `flags` to `saved_flags`, clears KEEL_VCPU_USER_IRQ_ON and KEEL_VCPU_USER_USER_MODE in
 * `flags`, writes `event` and what belongs to it, counts `entries`, switches back to the thread's
 * own task if it ran in user_task, and continues the thread at the entry with the entry stack
 * (and its UTCB pointer in the register the ABI keeps it in: riscv64 tp, x86_64 r15).
 *
 * Events:
 *  - an Irq attached to the thread fired: enters only while `flags` has IRQ_ON (it waits
 *    otherwise), in the thread's own task or in user_task alike;
 *  - while in user_task, every trap of the code there: a page fault, another exception, a system
 *    call. They always enter (they are synchronous); never a pager or exception handler, never a
 *    capability of the thread's task. In the thread's own task, faults go to its pager and
 *    exception handler as for any thread, and system calls are system calls.
 *
 * Thread VCPU_USER_RESUME (on itself) goes back: registers from `frame` (a user frame: the kernel
 * keeps only the user-settable bits of the status), the flag from `flags`, and, with USER_MODE in
 * `flags`, into the task whose capability is `user_task` (in the thread's task; W right; not a VM
 * task). Events pending with the flag on enter at once.
 */
#pragma once
#include <stdint.h>

#define KEEL_VCPU_USER_IRQ_ON 1u    /* flags: Irqs may enter (the virtual interrupt flag) */
#define KEEL_VCPU_USER_USER_MODE 2u /* flags: resume into user_task, not the thread's own task */

enum keel_vcpu_user_event {
    KEEL_VCPU_USER_EV_IRQ = 1,        /* an Irq attached to the thread fired: label */
    KEEL_VCPU_USER_EV_PAGE_FAULT = 2, /* in user_task: addr, access (KEEL_PF_*); pc at the access */
    KEEL_VCPU_USER_EV_EXCEPTION = 3,  /* in user_task: cause, detail; pc at the instruction */
    KEEL_VCPU_USER_EV_SYSCALL = 4,    /* in user_task: pc after the system call instruction */
};

/* The user register frame, as the kernel saves it (struct arch_regs: arm64 x0-x30, sp, pc,
 * pstate; riscv64 x0-x31, pc, sstatus; x86_64 see hyp/arch/x86_64/include/arch/regs.h). */
#define KEEL_VCPU_USER_FRAME_WORDS 64

struct keel_vcpu_user {
    uint64_t flags;       /* KEEL_VCPU_USER_*, the thread's to set */
    uint64_t saved_flags; /* flags when the last event entered (written by the kernel) */
    uint64_t user_task;   /* Task capability (index) that USER_MODE runs in */
    uint64_t event;       /* enum keel_vcpu_user_event of the last entry (written by the kernel) */
    uint64_t label;       /* EV_IRQ: the Irq's label */
    uint64_t addr;        /* EV_PAGE_FAULT: the faulting address */
    uint64_t access;      /* EV_PAGE_FAULT: KEEL_PF_READ, _WRITE or _EXEC */
    uint64_t cause;       /* EV_EXCEPTION: the architecture's code (arm64 ESR_EL2.EC, riscv64
                           * scause, x86_64 the vector) */
    uint64_t detail;      /* EV_EXCEPTION: arm64 ISS or FAR, riscv64 stval, x86_64 error code */
    uint64_t entries;     /* events entered so far (the kernel counts) */
    uint64_t frame[KEEL_VCPU_USER_FRAME_WORDS];
};
