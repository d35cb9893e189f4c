// SPDX-License-Identifier: MIT
// Scheduler objects: thread placement (CPU, priority, quantum), CPU partitions, budgets and CPU
// statistics (see keel/scheduler.h).
#include <keel/scheduler.h>
#include <keel/sched.h>
#include <keel/quota.h>
#include <keel/thread.h>
#include <keel/percpu.h>
#include <keel/timeout.h>
#include <keel/budget.h>
#include <keel/kobj_call.h>
#include <keel/arch/timer.h>
#include <uapi/keel/fpage.h>

struct scheduler scheduler_root = { .obj = KOBJ_STATIC(scheduler_root.obj, KEEL_OBJ_SCHEDULER),
                                    .max_prio = SCHED_PRIOS - 1,
                                    .cpus = (1ull << KEEL_MAX_CPUS) - 1 };

/* Whether a Scheduler made from parent may have a budget of budget_us per period_us: none asked
 * (0, 0) shares parent's, if any; one of its own only where parent has none. */
static bool budget_allowed(const struct scheduler *parent, uint64_t budget_us, uint64_t period_us)
{
    if (!budget_us && !period_us) {
        return true;
    }
    return !parent->budget && period_us >= BUDGET_MIN_PERIOD_US &&
           period_us <= BUDGET_MAX_PERIOD_US && budget_us >= BUDGET_MIN_US &&
           budget_us <= period_us;
}

struct scheduler *scheduler_create(struct quota *q, const struct scheduler *parent,
                                   const struct scheduler_limits *l, int *err)
{
    if (l->max_prio < 1 || l->max_prio > parent->max_prio ||
        !(l->cpus & ((1ull << cpu_count) - 1)) || (l->cpus & ~parent->cpus) ||
        !budget_allowed(parent, l->budget_us, l->period_us)) {
        *err = -KEEL_ERANGE;
        return NULL;
    }
    struct scheduler *s = quota_alloc(q, sizeof(*s));
    if (!s) {
        *err = -KEEL_ENOMEM;
        return NULL;
    }
    kobj_init(&s->obj, KEEL_OBJ_SCHEDULER, q);
    s->max_prio = (unsigned)l->max_prio;
    s->cpus = l->cpus;
    if (l->budget_us) {
        s->budget = s;
        s->budget_us = l->budget_us;
        s->period_us = l->period_us;
        budget_init(s, l->budget_us, l->period_us);
    } else if (parent->budget) {
        s->budget = parent->budget;
        kobj_get(&s->budget->obj);
    }
    return s;
}

static uint64_t ns_from_ticks(uint64_t ticks)
{
    uint64_t f = arch_timer_freq();
    return ticks / f * 1000000000ull + ticks % f * 1000000000ull / f;
}

static int64_t run_thread(const struct scheduler *s, struct kobj_msg *m)
{
    int err;
    if (!kmsg_has(m, 4)) {
        return -KEEL_EINVAL;
    }
    struct kobj *o = kobj_lookup(m->caller, m->mr[1], KEEL_OBJ_THREAD, KEEL_CAP_W, &err);
    if (!o) {
        return err;
    }
    uint64_t cpu = m->mr[2], prio = m->mr[3], quantum_us = m->mr[4];
    if (cpu >= cpu_count || !cpus[cpu].online || prio < 1 || prio > s->max_prio ||
        quantum_us > 10000000) {
        return -KEEL_ERANGE;
    }
    if (!(s->cpus & (1ull << cpu))) {
        return -KEEL_EPERM; /* not in this Scheduler's partition */
    }
    struct thread *t = container_of(o, struct thread, obj);
    if (t->state == TS_DEAD) {
        return -KEEL_ENOENT;
    }
    /* Out of its run queue while its place changes; then back, unless its (new) budget holds
     * it. A thread its old budget held may be free to run under the new one. */
    bool queued = list_linked(&t->rq_link), held = budget_holds(t);
    int r = budget_set(t, s->budget);
    if (r < 0) {
        return r; /* its new budget has as many threads as it may */
    }
    if (queued) {
        sched_remove(t);
    }
    t->prio = (uint8_t)prio;
    if (quantum_us) {
        t->quantum = timeout_ticks_from_us(quantum_us);
    }
    if ((queued || held) && t->cpu == &cpus[cpu]) {
        sched_ready(t); /* (moving: sched_migrate readies it at its new home) */
    }
    t->cpu->need_resched = true; /* its place among the ready threads changed */
    sched_migrate(t, &cpus[cpu]);
    return 0;
}


static int64_t scheduler_invoke(struct kobj *o, unsigned rights, struct kobj_msg *m)
{
    struct scheduler *s = container_of(o, struct scheduler, obj);
    switch (kmsg_op(m)) {
    case KEEL_SCHED_RUN:
        return rights & KEEL_CAP_W ? run_thread(s, m) : -KEEL_EPERM;
    case KEEL_SCHED_INFO: {
        uint64_t online = 0;
        for (unsigned i = 0; i < cpu_count; i++) {
            online |= (uint64_t)cpus[i].online << i;
        }
        m->mr[0] = cpu_count;
        m->mr[1] = online;
        m->mr[2] = arch_timer_freq();
        m->mr[3] = s->max_prio;
        m->mr[4] = s->cpus & ((1ull << cpu_count) - 1);
        m->mr[5] = s->budget ? s->budget->budget_us : 0;
        m->mr[6] = s->budget ? s->budget->period_us : 0;
        m->out_words = 7;
        return 0;
    }
    case KEEL_SCHED_IDLE:
        if (!kmsg_has(m, 1) || m->mr[1] >= cpu_count) {
            return -KEEL_ERANGE;
        }
        m->mr[0] = cpus[m->mr[1]].idle ? scheduler_thread_ns(cpus[m->mr[1]].idle) : 0;
        m->out_words = 1;
        return 0;
    case KEEL_SCHED_BUDGET:
        if (!kmsg_has(m, 1) || m->mr[1] >= cpu_count) {
            return -KEEL_ERANGE;
        }
        if (!s->budget) {
            return -KEEL_ENOENT;
        }
        m->mr[0] = s->budget->own.cpu[m->mr[1]].throttles;
        m->mr[1] = s->budget->own.cpu[m->mr[1]].throttled;
        m->out_words = 2;
        return 0;
    default:
        return -KEEL_EPROTO;
    }
}

/* CPU time of a thread, including the running stretch (Thread STATS, Scheduler IDLE). */
uint64_t scheduler_thread_ns(struct thread *t)
{
    uint64_t ticks = t->cpu_ticks;
    if (sched_running_on(t)) {
        ticks += arch_timer_now() - t->ran_since;
    }
    return ns_from_ticks(ticks);
}

static void scheduler_release(struct kobj *o)
{
    struct scheduler *s = container_of(o, struct scheduler, obj);
    if (s->budget == s) {
        budget_release(s);
    } else if (s->budget) {
        kobj_put(&s->budget->obj);
    }
}

const struct kobj_ops scheduler_ops = {
    .size = sizeof(struct scheduler),
    .release = scheduler_release,
    .invoke = scheduler_invoke,
};
