/* SPDX-License-Identifier: MIT */
/*
 * The VMM's locks: one per device (struct mmio_device's, taken around each access and by the
 * I/O threads that feed it: a link's frames, console input) and one for the interrupt
 * controller model (vm->irq_lock, which its own windows share, taken inside a device's when it
 * raises a line, never the other way round), so that vCPUs working on different devices do not
 * wait for each other. Held for short stretches only (one register access, one queue's
 * requests), so a ticket spin lock is enough, with one caution: the holder
 * may be a thread of lower priority on the same CPU (an I/O thread), which never runs while we
 * spin. After a while of spinning, the waiter sleeps a little to let it.
 * The innermost is vm->report_lock (vm_report's table of lines said): taken under any other,
 * held over no call.
 */
#pragma once
#include <stdint.h>
#include <keel/sys.h>

#define VM_LOCK_SPINS 2000
#define VM_LOCK_SLEEP_US 50

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
    for (unsigned spins = 0; __atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me; spins++) {
        if (spins < VM_LOCK_SPINS) {
            cpu_relax();
        } else {
            keel_wait(VM_LOCK_SLEEP_US, 0); /* nobody sends to us: a short sleep */
            spins = 0;
        }
    }
}

static inline void vm_unlock(struct vm_lock *l)
{
    __atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}
