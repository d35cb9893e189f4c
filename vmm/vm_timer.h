/* SPDX-License-Identifier: MIT */
/*
 * Deadlines of device models (vm_timer.c): one thread of the VMM, started with the first timer,
 * sleeps until the earliest deadline of the registered timers and calls each one that has come
 * due. It is how a device acts at a time of its own while its guest does nothing: a watchdog
 * must bark while the guest spins with interrupts masked (no exit at all) or waits in WFI
 * (the VMM sleeps only until the guest's own timer). Neither the vCPU loop nor the kernel gives
 * the VMM that on arm64 and riscv64 (the kernel keeps no VMM deadline there; x86_64's
 * timer_deadline is vCPU 0's, and only while it runs or halts), so the timer is a thread of its
 * own, which raises lines (vm_irq_set kicks the vCPU) or resets the VM (vm_reset) from outside.
 *
 * Deadlines are in keel_cycles() (the kernel's clock, rt_timer_freq() a second). A device sets
 * its timer's deadline with its own lock held (vm_timer_set) and its expired() takes that lock,
 * so the deadline always follows the device's state; a deadline moved earlier wakes the thread,
 * one moved later lets it wake at the earlier one, find nothing due and sleep again.
 */
#pragma once
#include "vm.h"

#define VM_MAX_TIMERS 4

struct vm_timer {
    /* Called on the timer thread once keel_cycles() has reached `due`, at now; the deadline is
     * then none (UINT64_MAX) until the device sets the next (vm_timer_set, under its lock). */
    void (*expired)(struct vm_timer *t, uint64_t now);
    uint64_t due; /* (atomic) keel_cycles() at which expired() is called; UINT64_MAX: never */
};

/* Registers t (its deadline none) and starts the timer thread with the first: 0, or -err after
 * saying why (too many timers; the thread's objects). Platform set-up only (one VM per VMM). */
int64_t vm_timer_add(struct vm *vm, struct vm_timer *t);
/* Sets t's deadline (UINT64_MAX: none). Any thread; a device calls it with its lock held. */
void vm_timer_set(struct vm_timer *t, uint64_t due);
