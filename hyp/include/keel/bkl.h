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

static inline void ticket_unlock(struct ticket_lock *l)
{
    __atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

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
static inline void bkl_unlock(void) { ticket_unlock(&bkl); }
