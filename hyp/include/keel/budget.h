/* SPDX-License-Identifier: MIT */
/*
 * CPU-time budgets. A Scheduler may carry a budget: its threads together may run `budget` ticks
 * of every `period` ticks on each CPU, at their priority. The threads it places draw from it
 * (thread.budget, a counted pointer), so do the threads they create, and Schedulers made from it
 * share it: a program cannot shed its budget or make more by making threads or Schedulers. Once
 * the budget of a CPU is used up in a period, its threads homed there are throttled: out of the
 * run queue, whatever their state, until the period ends. Migration draws from the new CPU's
 * share from then on; IPC passes nothing on (a server runs on its own budget, if any).
 *
 * Periods follow each other while the budget's threads keep a CPU busy. When one of them is to
 * run on a CPU where none of them ran (woken, or switched to after others ran), a new period
 * starts at once if what is left of the budget would be more than its share of what is left of
 * the period (the constant bandwidth server's rule): with hard throttling, a busy stretch of the
 * budget's threads on a CPU lasts at most `budget`, which bounds how long a lower priority there
 * waits for them (while nothing higher preempts them in the middle).
 *
 * Events (budget_cpu.timer): while a thread of the budget runs on a CPU, the end of the budget
 * or of the period there, whichever is first; while the CPU's share is throttled, its refill.
 * A Scheduler's memory stays while a thread or Scheduler draws from it; when it goes, nothing
 * draws from it, so nothing runs on it, and its refills are disarmed (budget_release).
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <keel/timeout.h>
#include <keel/percpu.h>

#define BUDGET_MIN_US 10
#define BUDGET_MIN_PERIOD_US 1000
#define BUDGET_MAX_PERIOD_US 10000000
/* Threads that may draw from one budget: throttling and refilling walk a CPU's share of them
 * under the big lock, which must stay short for the other CPUs. */
#define BUDGET_MAX_THREADS 256

struct thread;
struct scheduler;

/* A budget's share of one CPU. */
struct budget_cpu {
    uint64_t used;       /* ticks run in the present period, up to `since` */
    uint64_t since;      /* ticks: a thread of the budget runs here since then (0: none) */
    uint64_t period_end; /* ticks: the present period ends then */
    bool throttled;
    uint64_t throttles;   /* times throttled (Scheduler BUDGET) */
    struct timeout timer; /* see above */
    struct list members;  /* the budget's threads homed on this CPU (thread.budget_link) */
    struct scheduler *owner;
    unsigned cpu;
};

struct budget {
    uint64_t budget, period; /* ticks */
    unsigned threads;        /* drawing from it (at most BUDGET_MAX_THREADS) */
    struct budget_cpu cpu[KEEL_MAX_CPUS];
};

/* A Scheduler's own budget of budget_us per period_us. */
void budget_init(struct scheduler *s, uint64_t budget_us, uint64_t period_us);
/* The Scheduler is freed: no more events. */
void budget_release(struct scheduler *s);
/* t draws from s's budget from now on (NULL: none); a new thread, from its creator's. EBUSY: s's
 * budget has BUDGET_MAX_THREADS already (t keeps what it had). */
int budget_set(struct thread *t, struct scheduler *s);
/* t's home moves to `to` (sched_migrate): it draws from that CPU's share from now on. */
void budget_migrate(struct thread *t, struct percpu *to);
/* sched_ready: whether t may join its run queue; throttles its budget on its CPU if it is used
 * up. */
bool budget_admit(struct thread *t);
/* The switch on CPU c from prev to next at now: charges prev's budget, arms next's event. */
void budget_switch_slow(struct percpu *c, struct thread *prev, struct thread *next, uint64_t now);
/* Whether t is held out of its run queue by its budget: READY, in no queue, and current nowhere
 * (one moved while it ran is queued by the CPU it ran on when that switches away). */
bool budget_holds(const struct thread *t);
