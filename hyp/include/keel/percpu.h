/* SPDX-License-Identifier: MIT */
/* Per-CPU state. The kernel runs under one big lock (keel/bkl.h), so other CPUs' run queues and
 * timeouts may be touched while holding it; hardware per-CPU state is only touched locally. */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <keel/list.h>
#include <arch/cpu.h>

#define KEEL_MAX_CPUS 8
#define SCHED_PRIOS 256

struct thread;

struct runqueue {
    uint64_t summary;                   /* bit w: bitmap[w] is not empty */
    uint64_t bitmap[SCHED_PRIOS / 64];
    struct list prio[SCHED_PRIOS];
};

struct percpu {
    struct arch_percpu arch; /* first: the trap entry code finds it at offset 0 */
    unsigned id;
    uint64_t hwid;           /* MPIDR affinity / hart id */
    bool online;
    bool starting;           /* CPU_ON sent, not up yet */
    void *idle_stack;        /* page of its idle loop's stack (secondary CPUs) */
    struct list homed;       /* threads whose home this CPU is (thread.home_link) */
    struct thread *current;
    struct thread *idle;
    struct list timeouts;    /* armed timeouts of threads homed here, by deadline */
    uint64_t slice_end;      /* timer ticks: end of the current thread's quantum */
    uint64_t timer_armed;    /* deadline the timer is programmed for (UINT64_MAX: none) */
    bool need_resched;       /* a better thread may be ready: schedule before leaving */
    uint32_t asked;          /* SCHED_ASK_* the lock holder waits for (sched_ask, bkl_wait) */
    uint32_t bkl_ticket;     /* the big lock's ticket it sleeps for (in bkl_sleepers: bkl_sleep) */
    uint64_t poked_at;       /* timer ticks: IPI sent, not acted on yet (0: none; sched_poke) */
    uint64_t ipis_resent;
    uint64_t idle_ticks;
    struct thread *reap;     /* freed thread that was current here: free once switched away */
    struct runqueue rq;      /* last: its 4 KiB would push the fields above out of short offsets */
};

extern struct percpu cpus[KEEL_MAX_CPUS];
extern unsigned cpu_count; /* CPUs present (from the device tree, at most KEEL_MAX_CPUS) */

static inline struct percpu *this_cpu(void) { return arch_this_cpu(); }
