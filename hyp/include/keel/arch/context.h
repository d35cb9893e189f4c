/* SPDX-License-Identifier: MIT */
/* The architecture contract: thread register state and kernel context switching. */
#pragma once
#include <stdnoreturn.h>
#include <arch/regs.h>

/* What a thread runs on its kernel stack, below its user frame, before it leaves through the frame
 * (thread.resume): its first entry, or the end of an IPC it blocked in. */
typedef void arch_resume_fn(struct arch_regs *frame);

/* Saves callee-saved state into *from and resumes *to. */
void arch_context_switch(struct arch_context *from, struct arch_context *to);
/* Prepares ctx so that its next switch-in runs fn(frame) on the stack ending at the frame, then
 * returns to user level through the frame. */
void arch_context_init(struct arch_context *ctx, struct arch_regs *frame, arch_resume_fn *fn);
/* Runs fn(frame) on the stack ending at frame (the current thread's kernel stack, holding nothing
 * but its user frame), then returns to user level through the frame. The stack it leaves is
 * dropped. */
noreturn void arch_continue_on(struct arch_regs *frame, arch_resume_fn *fn);
/* Switches the per-CPU user state from thread prev's to next's (prev == next: next's address
 * space changed, plain vCPU mode's user_task or back): address space, kernel stack for the next
 * entry, and the user registers no frame holds (arm64 TPIDR_EL0), so that nothing of one
 * thread's user state reaches another, nor the vCPU's that of the program in its user_task.
 * Defined always_inline (link-time inlining): it is the hot half of every IPC's switch, and a
 * third caller (kern/vcpu_user.c) must not make the compiler take it out of line. */
struct thread;
void arch_thread_switch(struct thread *prev, struct thread *next);
