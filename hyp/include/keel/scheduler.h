/* SPDX-License-Identifier: MIT */
/*
 * Scheduler objects: thread placement (CPU, priority, quantum) and CPU statistics. The kernel
 * starts with one that allows every priority (the root task's); a Factory makes more, each with a
 * priority ceiling no higher than the Scheduler it was made from, so a program given one cannot
 * run its threads above the priority its parent chose.
 */
#pragma once
#include <stdint.h>
#include <keel/kobj.h>

struct quota;

struct scheduler {
    struct kobj obj;
    unsigned max_prio; /* RUN accepts priorities 1..max_prio */
};

/* The root task's Scheduler: priorities up to SCHED_PRIOS - 1. */
extern struct scheduler scheduler_root;

/* A Scheduler whose ceiling is max_prio, which must lie in 1..parent->max_prio (else ERANGE). */
struct thread;
/* The CPU time t has used, in ns (Thread STATS). */
uint64_t scheduler_thread_ns(struct thread *t);
struct scheduler *scheduler_create(struct quota *q, const struct scheduler *parent,
                                   uint64_t max_prio, int *err);
