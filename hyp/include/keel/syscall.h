/* SPDX-License-Identifier: MIT */
/* Kernel entries from user level that the architecture code calls. */
#pragma once
#include <stdint.h>
#include <arch/regs.h>

/* The invoke system call (uapi/keel/syscall.h) of the current thread, from the architecture's
 * entry (frame saved, pc past the call, the big lock not held). Takes the lock, does the call and
 * what leaving the kernel needs (keel/sched.h), and releases the lock; the architecture then
 * returns to user level through the frame (of the thread current by then). */
void syscall_entry(struct arch_regs *r);
/* A user page fault at addr with KEEL_PF_* access: goes to the pager (or, for the root task,
 * is resolved from physical memory). */
void fault_page(struct arch_regs *r, uint64_t addr, unsigned access);
/* Any other exception: goes to the exception handler. */
void fault_exception(struct arch_regs *r, uint64_t cause, uint64_t detail);
