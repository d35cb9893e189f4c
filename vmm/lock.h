/* SPDX-License-Identifier: MIT */
/*
 * The VM lock: one per VM, held while device models and the interrupt controller model change
 * state, whichever vCPU or I/O thread runs them. Held for short stretches only (one register
 * access, one queue's requests), so a ticket spin lock is enough.
 */
#pragma once
#include <stdint.h>

static inline void cpu_relax(void)
{
#if defined(__aarch64__)
    __asm__ volatile("yield" ::: "memory");
#elif defined(__x86_64__)
    __asm__ volatile("pause" ::: "memory");
#else
    __asm__ volatile("" ::: "memory");
#endif
}

struct vm_lock {
    uint32_t next, owner;
};

static inline void vm_lock(struct vm_lock *l)
{
    uint32_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me) {
        cpu_relax();
    }
}

static inline void vm_unlock(struct vm_lock *l)
{
    __atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}
