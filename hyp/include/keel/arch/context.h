/* SPDX-License-Identifier: MIT */
/* The architecture contract: thread register state and kernel context switching. */
#pragma once
#include <stdnoreturn.h>
#include <arch/regs.h>

/* Saves callee-saved state into *from and resumes *to. */
void arch_context_switch(struct arch_context *from, struct arch_context *to);
/* Prepares ctx so that its first switch-in runs entry() on the stack ending at stack_top, and
 * then returns to user level with the frame at stack_top. */
void arch_context_init(struct arch_context *ctx, void *stack_top, void (*entry)(void));
/* Leaves the kernel through the frame at the top of the current kernel stack. */
noreturn void arch_return_to_user(struct arch_regs *frame);
/* Switches the per-CPU user state (address space, kernel stack for the next entry) to thread t's. */
struct thread;
void arch_thread_switch_in(struct thread *t);
