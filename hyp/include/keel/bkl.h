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

/* Waits for ticket me (main.c), doing meanwhile what the holder asks of this CPU (sched_ask):
 * one waiting here is in the kernel, and stays until it has the lock. Out of line, so that
 * taking a free lock (every system call) carries none of it. */
void bkl_wait(uint32_t me);

static inline void bkl_lock(void)
{
    uint32_t me = __atomic_fetch_add(&bkl.next, 1, __ATOMIC_RELAXED);
    if (__atomic_load_n(&bkl.owner, __ATOMIC_ACQUIRE) != me) {
        bkl_wait(me);
    }
}
/* CPUs (a bit each) that waited long for the lock and sleep in bkl_wait (main.c). */
extern uint32_t bkl_sleepers;
void bkl_wake_sleepers(uint32_t owner);

static inline void bkl_unlock(void)
{
    /* Store, full fence, load, as bkl_sleep's publish-fence-check: either the sleeper sees the
     * lock passed on, or we see it asleep and wake it. The fence is needed: without it the load
     * may pass the store (a plain load on any CPU; even LDAR after STLR under QEMU's TCG on an
     * x86 host, which emits no MFENCE between them: seen as four CPUs asleep, the lock free). */
    uint32_t owner = bkl.owner + 1;
    __atomic_store_n(&bkl.owner, owner, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&bkl_sleepers, __ATOMIC_RELAXED)) {
        bkl_wake_sleepers(owner);
    }
}
