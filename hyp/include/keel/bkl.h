/* SPDX-License-Identifier: MIT */
/*
 * The big kernel lock: taken on every entry from user level and in the idle loop, released on
 * the way back. Kernel code therefore runs on one CPU at a time (as in seL4), which keeps IPC,
 * migration and revocation across CPUs simple; kernel paths are short, and user level runs in
 * parallel on all CPUs. A ticket lock, so CPUs get it in order.
 */
#pragma once
#include <stdint.h>
#include <arch/cpu.h>
#include <keel/percpu.h>

struct ticket_lock {
    uint32_t next;
    uint32_t owner;
};

extern struct ticket_lock bkl;

static inline void ticket_lock(struct ticket_lock *l)
{
    uint32_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me) {
        arch_cpu_relax();
    }
}

static inline void ticket_unlock(struct ticket_lock *l)
{
    __atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

/* Taking it is entering the kernel, releasing it leaving: the CPU's in_kernel tells another CPU
 * whether this one still runs user level code (sched_wait_in_kernel). */
static inline void bkl_lock(void)
{
    __atomic_store_n(&this_cpu()->in_kernel, true, __ATOMIC_SEQ_CST);
    ticket_lock(&bkl);
}
static inline void bkl_unlock(void)
{
    __atomic_store_n(&this_cpu()->in_kernel, false, __ATOMIC_RELAXED);
    ticket_unlock(&bkl);
}
