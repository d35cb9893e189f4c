/* SPDX-License-Identifier: MIT */
/*
 * Plain vCPU mode: a thread takes its events (Irqs attached to it) at an entry point of its own
 * instead of as messages, with a virtual interrupt flag, the way a guest kernel on a CPU would.
 * Thread VCPU_USER binds the thread to a state area (a page of its task's UTCB area) and an entry
 * pc and sp. While the flag (KEEL_VCPU_USER_IRQ_ON in flags) is set and an event is pending, the
 * kernel saves the thread's user registers in the area, clears the flag, writes the event, and
 * lets the thread continue at the entry with the entry stack. Thread VCPU_USER_RESUME (on itself)
 * goes back: registers from the area (a user frame: the kernel keeps only the user-settable
 * bits of the status), the flag from the area, and events pending then enter at once.
 */
#pragma once
#include <stdint.h>

#define KEEL_VCPU_USER_IRQ_ON 1u /* flags: events may enter (the virtual interrupt flag) */

enum keel_vcpu_user_event {
    KEEL_VCPU_USER_EV_IRQ = 1, /* an Irq attached to the thread fired: label */
};

/* The user register frame, as the kernel saves it (struct arch_regs: arm64 x0-x30, sp, pc,
 * pstate; riscv64 x0-x31, pc, sstatus; x86_64 see hyp/arch/x86_64/include/arch/regs.h). */
#define KEEL_VCPU_USER_FRAME_WORDS 64

struct keel_vcpu_user {
    uint64_t flags;
    uint64_t event; /* enum keel_vcpu_user_event, written by the kernel on entry */
    uint64_t label;
    uint64_t entries; /* events entered so far (the kernel counts) */
    uint64_t frame[KEEL_VCPU_USER_FRAME_WORDS];
};
