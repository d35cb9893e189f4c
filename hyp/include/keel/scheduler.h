/* SPDX-License-Identifier: MIT */
/*
 * Scheduler objects: thread placement (CPU, priority, quantum), CPU partitions, CPU-time budgets
 * and CPU statistics. The kernel starts with one that allows every priority and CPU and sets no
 * budget (the root task's); a Factory makes more from one it holds with W, each at most what its
 * source allows: a priority ceiling no higher, a subset of its CPUs, and, when the source sets a
 * budget, that same budget (keel/budget.h). A program given one can place its threads only within
 * what its parent chose.
 */
#pragma once
#include <stdint.h>
#include <keel/kobj.h>
#include <keel/budget.h>

struct quota;
struct thread;

struct scheduler {
    struct kobj obj;
    unsigned max_prio;             /* RUN accepts priorities 1..max_prio */
    uint64_t cpus;                 /* RUN accepts these CPUs (bit per CPU) */
    struct scheduler *budget;      /* the threads RUN places draw from this one's budget: itself,
                               * its source's (reference held) or NULL: none */
    uint64_t budget_us, period_us; /* of its own budget (0: none) */
    struct budget own;
};

/* The root task's Scheduler: priorities up to SCHED_PRIOS - 1, every CPU, no budget. */
extern struct scheduler scheduler_root;

/* The limits of a Scheduler made from another (FACTORY_SCHEDULER). */
struct scheduler_limits {
    uint64_t max_prio, cpus, budget_us, period_us;
};

/* A Scheduler within parent's limits (else ERANGE): a ceiling in 1..parent's, a non-empty subset
 * of its CPUs, and a budget of its own (budget_us of every period_us) only when parent has none. */
struct scheduler *scheduler_create(struct quota *q, const struct scheduler *parent,
                                   const struct scheduler_limits *l, int *err);
/* The CPU time t has used, in ns (Thread STATS). */
uint64_t scheduler_thread_ns(struct thread *t);
