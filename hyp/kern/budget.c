// SPDX-License-Identifier: MIT
// CPU-time budgets (see keel/budget.h).
#include <keel/budget.h>
#include <keel/scheduler.h>
#include <keel/sched.h>
#include <keel/thread.h>
#include <keel/percpu.h>
#include <keel/timeout.h>
#include <keel/arch/timer.h>

static void budget_event(struct timeout *to);

void budget_init(struct scheduler *s, uint64_t budget_us, uint64_t period_us)
{
    s->own.budget = timeout_ticks_from_us(budget_us);
    s->own.period = timeout_ticks_from_us(period_us);
    for (unsigned i = 0; i < KEEL_MAX_CPUS; i++) {
        s->own.cpu[i] = (struct budget_cpu){ .owner = s, .cpu = i };
        s->own.cpu[i].timer.fire = budget_event;
        list_init(&s->own.cpu[i].members);
    }
}

void budget_release(struct scheduler *s)
{
    for (unsigned i = 0; i < KEEL_MAX_CPUS; i++) {
        timeout_disarm(&s->own.cpu[i].timer);
    }
}

static struct budget_cpu *share(const struct thread *t, const struct percpu *c)
{
    return &t->budget->own.cpu[c->id];
}

/* Arms b's event for deadline on its CPU, and that CPU's timer if it would come too late. */
static void arm(struct budget_cpu *b, uint64_t deadline)
{
    struct percpu *c = &cpus[b->cpu];
    timeout_disarm(&b->timer);
    timeout_arm(&b->timer, c, deadline);
    if (deadline < c->timer_armed) {
        if (c == this_cpu()) {
            c->timer_armed = deadline;
            arch_timer_set_deadline(deadline);
        } else {
            sched_poke(c); /* it programs its timer when it schedules */
        }
    }
}

static void new_period(struct budget_cpu *b, uint64_t now)
{
    b->used = 0;
    b->period_end = now + b->owner->own.period;
    if (b->since) {
        b->since = now;
    }
}

/* None of b's threads ran on its CPU, and one is to: the constant bandwidth server's rule (a new
 * period now, unless what is left of this one is worth no more than its share). */
static void start_anew(struct budget_cpu *b, uint64_t now)
{
    const struct budget *o = &b->owner->own;
    uint64_t left = o->budget > b->used ? o->budget - b->used : 0;
    if (now >= b->period_end || (unsigned __int128)left * o->period >
                                    (unsigned __int128)(b->period_end - now) * o->budget) {
        new_period(b, now);
    }
}

/* A thread of b's budget runs on b's CPU: its event comes when the budget or the period ends. */
static void arm_running(struct budget_cpu *b, uint64_t now)
{
    uint64_t budget = b->owner->own.budget;
    uint64_t end = now + (budget > b->used ? budget - b->used : 0); /* used up: at once */
    arm(b, end < b->period_end ? end : b->period_end);
}

/* A thread of b's budget starts running on b's CPU at now. */
static void run_on(struct budget_cpu *b, uint64_t now)
{
    if (!b->throttled) {
        start_anew(b, now);
    }
    b->since = now;
    if (!b->throttled) { /* (throttled: placed under it while running, by RUN: the refill arms) */
        arm_running(b, now);
    }
}

/* Charges what ran on b's CPU up to now. */
static void charge(struct budget_cpu *b, uint64_t now)
{
    if (b->since) {
        b->used += now - b->since;
        b->since = now;
    }
}

/* A thread of b's budget stops running on b's CPU at now. */
static void stop_on(struct budget_cpu *b, uint64_t now)
{
    charge(b, now);
    b->since = 0;
    if (!b->throttled) {
        timeout_disarm(&b->timer);
    }
}

/* b's budget is used up: its threads homed on its CPU leave the run queue until the refill. */
static void throttle(struct budget_cpu *b)
{
    struct percpu *c = &cpus[b->cpu];
    struct list *pos;
    b->throttled = true;
    b->throttles++;
    list_for_each (pos, &b->members) {
        sched_remove(container_of(pos, struct thread, budget_link));
    }
    if (c->current->budget == b->owner) {
        sched_poke(c); /* it switches away (a thread that moved here runs on elsewhere) */
    }
    arm(b, b->period_end);
}

static void refill(struct budget_cpu *b, uint64_t now)
{
    struct list *pos;
    uint64_t budget = b->owner->own.budget;
    /* What ran after the throttle (until its CPU switched away: the big lock may have kept it)
     * is paid from the new period. */
    uint64_t over = b->used > budget ? b->used - budget : 0;
    b->throttled = false;
    new_period(b, now);
    b->used = over < budget ? over : budget;
    if (b->since) {
        arm_running(b, now); /* one of its threads runs here (placed while it was throttled) */
    }
    list_for_each (pos, &b->members) {
        struct thread *t = container_of(pos, struct thread, budget_link);
        if (budget_holds(t)) {
            sched_ready(t);
        }
    }
}

static void budget_event(struct timeout *to)
{
    struct budget_cpu *b = container_of(to, struct budget_cpu, timer);
    uint64_t now = arch_timer_now();
    if (b->throttled) {
        refill(b, now);
        return;
    }
    if (!b->since) {
        return; /* (none of its threads runs here: the event is disarmed then) */
    }
    charge(b, now);
    if (now >= b->period_end) {
        new_period(b, now);
    }
    if (b->used >= b->owner->own.budget) {
        throttle(b);
    } else {
        arm_running(b, now);
    }
}

int budget_set(struct thread *t, struct scheduler *s)
{
    if (t->budget == s) {
        return 0; /* the same budget: nothing fresh from being placed again */
    }
    if (s && s->own.threads >= BUDGET_MAX_THREADS) {
        return -KEEL_EBUSY;
    }
    struct percpu *on = sched_running_on(t);
    uint64_t now = arch_timer_now();
    if (t->budget) {
        if (on) {
            stop_on(share(t, on), now); /* what it ran so far goes to the old budget */
        }
        list_remove(&t->budget_link);
        t->budget->own.threads--;
        kobj_put(&t->budget->obj);
    }
    t->budget = s;
    if (s) {
        kobj_get(&s->obj);
        s->own.threads++;
        list_push_back(&share(t, t->cpu)->members, &t->budget_link);
        if (on) {
            run_on(share(t, on), now);
            if (share(t, on)->throttled) {
                sched_poke(on);
            }
        }
    }
    return 0;
}

void budget_migrate(struct thread *t, struct percpu *to)
{
    if (t->budget) {
        list_remove(&t->budget_link);
        list_push_back(&share(t, to)->members, &t->budget_link);
    }
}

bool budget_holds(const struct thread *t)
{
    return t->state == TS_READY && !list_linked(&t->rq_link) && !sched_running_on(t);
}

bool budget_admit(struct thread *t)
{
    struct budget_cpu *b = share(t, t->cpu);
    if (b->throttled) {
        return false;
    }
    if (!b->since) {
        start_anew(b, arch_timer_now()); /* (none of its threads runs there) */
    }
    if (b->used >= t->budget->own.budget) {
        throttle(b);
        return false;
    }
    return true;
}

void budget_switch_slow(struct percpu *c, struct thread *prev, struct thread *next, uint64_t now)
{
    if (prev->budget == next->budget) {
        return; /* the same budget runs on (charged at its event) */
    }
    if (prev->budget) {
        stop_on(share(prev, c), now);
    }
    if (next->budget) {
        run_on(share(next, c), now);
    }
}
