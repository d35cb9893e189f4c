// SPDX-License-Identifier: MIT
// Per-CPU fixed-priority round-robin scheduler (see keel/sched.h).
#include <keel/sched.h>
#include <keel/thread.h>
#include <keel/percpu.h>
#include <keel/timeout.h>
#include <keel/kobj.h>
#include <keel/bkl.h>
#include <keel/arch/timer.h>
#include <keel/arch/irqchip.h>
#include <keel/arch/context.h>
#include <keel/printk.h>
#include <keel/console.h>
#include <keel/vcpu_user.h>
#include <keel/budget.h>

void sched_init_cpu(struct percpu *c)
{
    for (unsigned i = 0; i < SCHED_PRIOS; i++) {
        list_init(&c->rq.prio[i]);
    }
    list_init(&c->timeouts);
}

/* rq_add and rq_del are inlined so that the IPC hand-over makes no call before it leaves. */
static inline __attribute__((always_inline)) void rq_add(struct runqueue *rq, struct thread *t,
                                                         bool front)
{
    if (front) {
        list_push_front(&rq->prio[t->prio], &t->rq_link);
    } else {
        list_push_back(&rq->prio[t->prio], &t->rq_link);
    }
    rq->bitmap[t->prio / 64] |= 1ull << (t->prio % 64);
    rq->summary |= 1ull << (t->prio / 64);
}

static inline __attribute__((always_inline)) void rq_del(struct runqueue *rq, struct thread *t)
{
    list_remove(&t->rq_link);
    if (list_empty(&rq->prio[t->prio])) {
        rq->bitmap[t->prio / 64] &= ~(1ull << (t->prio % 64));
        if (!rq->bitmap[t->prio / 64]) {
            rq->summary &= ~(1ull << (t->prio / 64));
        }
    }
}

static struct thread *rq_best(struct runqueue *rq)
{
    if (!rq->summary) {
        return NULL;
    }
    unsigned w = arch_fls64(rq->summary);
    unsigned p = w * 64 + arch_fls64(rq->bitmap[w]);
    return container_of(rq->prio[p].next, struct thread, rq_link);
}

void sched_remove(struct thread *t)
{
    if (list_linked(&t->rq_link)) {
        rq_del(&t->cpu->rq, t);
    }
}

/* Whether t runs on a CPU other than its home (moved there while it ran): that CPU queues it at
 * home when it switches away (switch_to), not before. */
static bool running_away(const struct thread *t)
{
    struct percpu *on = sched_running_on(t);
    return on && on != t->cpu;
}

void sched_ready(struct thread *t)
{
    t->state = TS_READY;
    if (list_linked(&t->rq_link) || running_away(t) || (t->budget && !budget_admit(t))) {
        return;
    }
    struct percpu *c = t->cpu;
    if (c->current == t) {
        /* Still on its CPU (it blocked and is woken before switching away): keep its turn. */
        rq_add(&c->rq, t, true);
        return;
    }
    rq_add(&c->rq, t, false);
    if (t->prio > c->current->prio) {
        if (c->online) {
            sched_poke(c);
        } else {
            c->need_resched = true;
        }
    }
}

static uint32_t poked_cpus; /* bit per CPU whose poked_at is set */

static uint64_t retry_ticks(void)
{
    static uint64_t ticks; /* IPI_RETRY_US in timer ticks, once the timer is known */
    if (!ticks) {
        ticks = timeout_ticks_from_us(IPI_RETRY_US);
    }
    return ticks;
}

void sched_poke_done(struct percpu *c)
{
    c->poked_at = 0;
    poked_cpus &= ~(1u << c->id);
}

/* IPIs are acknowledged by the target CPU scheduling (schedule() clears poked_at), not by the
 * interrupt: under QEMU 7.2 some IPIs to riscv64 harts never arrive (docs/kernel.md), and a lost
 * one would leave an idle CPU asleep with work queued. sched_poke_retry() sends them again. */
void sched_poke(struct percpu *c)
{
    c->need_resched = true;
    if (c == this_cpu()) {
        return;
    }
    if (!c->poked_at) {
        c->poked_at = arch_timer_now() | 1; /* | 1: never 0, which means none */
        poked_cpus |= 1u << c->id;
    }
    arch_irq_send_ipi(c->id);
}

/* The idle loop: with an IPI of ours outstanding, the timer must come within IPI_RETRY_US (it
 * then sends again what is still not acted on). Cheap when nothing is outstanding or the timer
 * is already close: this runs on every way into idle, cross-CPU IPC's included. */
void sched_poke_watch(void)
{
    struct percpu *c = this_cpu();
    if (!(poked_cpus & ~(1u << c->id))) {
        return;
    }
    uint64_t due = arch_timer_now() + retry_ticks();
    if (due < c->timer_armed) {
        c->timer_armed = due;
        arch_timer_set_deadline(due);
    }
}

void sched_poke_retry(uint64_t now)
{
    uint64_t retry = retry_ticks();
    for (unsigned i = 0; i < cpu_count; i++) {
        struct percpu *c = &cpus[i];
        if (!c->poked_at || c == this_cpu()) {
            continue;
        }
        if (now - c->poked_at >= retry) {
            if (!c->ipis_resent++) {
                printk("sched: CPU %u did not act on an IPI for %u us: sent again (reported once)\n",
                       c->id, (unsigned)((now - c->poked_at) * 1000000 / arch_timer_freq()));
            }
            c->poked_at = now | 1;
            arch_irq_send_ipi(c->id);
        }
    }
}

void sched_ask(uint32_t mask, unsigned what)
{
    uint64_t retry = retry_ticks(), sent = arch_timer_now();
    for (unsigned i = 0; i < cpu_count; i++) {
        if (mask & (1u << i)) {
            __atomic_fetch_or(&cpus[i].asked, what, __ATOMIC_RELEASE);
            arch_irq_send_ipi(i);
        }
    }
    for (unsigned i = 0; i < cpu_count; i++) {
        while ((mask & (1u << i)) && (__atomic_load_n(&cpus[i].asked, __ATOMIC_ACQUIRE) & what)) {
            uint64_t now = arch_timer_now();
            if (now - sent >= retry) {
                cpus[i].ipis_resent++;
                arch_irq_send_ipi(i);
                sent = now;
            }
            arch_cpu_relax();
        }
    }
}

struct percpu *sched_running_on(const struct thread *t)
{
    for (unsigned i = 0; i < cpu_count; i++) {
        if (cpus[i].current == t) {
            return &cpus[i];
        }
    }
    return NULL;
}

void sched_kick(struct thread *t)
{
    struct percpu *c = sched_running_on(t);
    if (c && c != this_cpu() && c->online) {
        sched_poke(c);
    }
}

void sched_migrate(struct thread *t, struct percpu *to)
{
    struct percpu *from = t->cpu;
    if (from == to) {
        return;
    }
    bool queued = list_linked(&t->rq_link), held = budget_holds(t);
    if (queued) {
        rq_del(&from->rq, t);
    }
    t->cpu = to;
    budget_migrate(t, to);
    list_remove(&t->home_link);
    list_push_back(&to->homed, &t->home_link);
    if (t->timeout.cpu) {
        uint64_t d = t->timeout.deadline;
        timeout_disarm(&t->timeout);
        timeout_arm(&t->timeout, to, d);
        /* Its new CPU may have no timer event due that early (an idle CPU may have none at
         * all): make it program its timer again. */
        if (to == this_cpu()) {
            sched_program_timer();
        } else {
            sched_poke(to);
        }
    }
    if (from->current == t) {
        /* Running (or about to run) there: that CPU hands it over when it switches away. */
        sched_poke(from);
        return;
    }
    if (queued || held) {
        sched_ready(t); /* (one its budget held there may run here) */
    }
}

/* Programs the timer only for an earlier event than the one already armed: a later one is found
 * when the armed one fires (sched_timer_tick re-arms), which keeps timer writes off the IPC path. */
void sched_program_timer(void)
{
    struct percpu *c = this_cpu();
    uint64_t next = timeout_next(c);
    if (c->current != c->idle && c->slice_end < next) {
        next = c->slice_end;
    }
    if (console_pending()) { /* the UART is behind: come back for it (11 characters a ms) */
        uint64_t drain = arch_timer_now() + timeout_ticks_from_us(1000);
        next = drain < next ? drain : next;
    }
    if (next < c->timer_armed) {
        c->timer_armed = next;
        arch_timer_set_deadline(next);
    }
}

/* The bookkeeping of every switch (CPU time, the new quantum, the address space); inlined into
 * both callers, as it is the hot half of every IPC hand-over. */
static inline __attribute__((always_inline)) void switch_begin(struct percpu *c, struct thread *prev,
                                                              struct thread *next)
{
    uint64_t now = arch_timer_now();
    prev->cpu_ticks += now - prev->ran_since;
    next->ran_since = now;
    next->switches++;
    c->current = next;
    c->slice_end = now + next->quantum;
    if (prev->budget || next->budget) {
        budget_switch_slow(c, prev, next, now);
    }
    arch_thread_switch(prev, next);
}

/* Switches this CPU from its current thread to next (which the caller chose). */
static void switch_to(struct percpu *c, struct thread *prev, struct thread *next)
{
    /* A thread preempted while ready keeps the rest of its quantum: else one that a
     * higher-priority thread interrupts more often than its quantum would start afresh every
     * time and never let its equals have their turn. (A thread that blocks starts afresh.) */
    uint64_t left = prev->state == TS_READY && prev != c->idle ? c->slice_end : 0;
    switch_begin(c, prev, next);
    uint64_t now = next->ran_since;
    prev->slice_left = left > now ? left - now : 0;
    if (next->slice_left) {
        c->slice_end = now + next->slice_left;
        next->slice_left = 0;
    }
    if (prev->state == TS_READY && prev != c->idle && !list_linked(&prev->rq_link)) {
        /* Migrated while running here (queue it on its new CPU once switched away: the big
         * lock keeps the other CPU off it until this switch has saved its state), or held by
         * its budget (which decides again: it may have been placed under another meanwhile). */
        sched_ready(prev);
    }
    if (next->resume) { /* new, or blocked in the IPC fast path: starts afresh on its stack */
        arch_context_init(&next->ctx, thread_regs(next), next->resume);
        next->resume = NULL;
    }
    arch_context_switch(&prev->ctx, &next->ctx);
    sched_switched(); /* prev runs again here, perhaps on another CPU than it left */
}

void schedule(void)
{
    struct percpu *c = this_cpu();
    struct thread *prev = c->current;
    c->need_resched = false;
    sched_poke_done(c); /* what an IPI asked for is done */
    struct thread *next = rq_best(&c->rq);
    if (!next) {
        next = c->idle;
    }
    if (next != prev) {
        switch_to(c, prev, next);
    } else {
        sched_program_timer();
    }
}

noreturn void sched_hand_over(struct thread *prev, struct thread *next, arch_resume_fn *resume)
{
    struct percpu *c = this_cpu();
    next->state = TS_READY;
    if (list_linked(&prev->rq_link) && prev->prio == next->prio && !list_linked(&next->rq_link)) {
        /* The common case, a call between equals: next takes prev's place at the head. */
        list_replace(&prev->rq_link, &next->rq_link);
    } else {
        if (list_linked(&prev->rq_link)) {
            rq_del(&c->rq, prev);
        }
        if (!list_linked(&next->rq_link)) {
            rq_add(&c->rq, next, true);
        }
    }
    prev->resume = resume; /* its kernel stack is dropped: nothing on it is needed any more */
    switch_begin(c, prev, next);
    arch_resume_fn *fn = next->resume;
    if (fn) { /* blocked here too: no kernel context to switch to, straight to its exit */
        next->resume = NULL;
        arch_continue_on(thread_regs(next), fn);
    }
    arch_context_switch(&prev->ctx, &next->ctx); /* next continues in the kernel where it blocked */
    panic("sched_hand_over: a dropped kernel context was resumed");
}

void sched_reap_slow(void)
{
    struct percpu *c = this_cpu();
    struct thread *t = c->reap;
    if (t && t != c->current) {
        c->reap = NULL;
        kobj_put(&t->obj);
    }
}

void sched_preempt(void)
{
    bkl_unlock();
    arch_irq_window();
    bkl_lock();
    struct percpu *c = this_cpu();
    if (c->need_resched && c->current->state == TS_READY) {
        schedule();
    }
}

void sched_exit_slow(void)
{
    /* Tear down first: what died may be the current thread itself (it released its own last
     * capability, or its task's), which must then not go back to user level; and again after
     * each switch back, until nothing is left and it may go. A dead thread never comes back
     * from schedule(). */
    for (;;) {
        kobj_reap();
        struct percpu *c = this_cpu();
        if (!c->need_resched && c->current->state == TS_READY) {
            break;
        }
        schedule();
    }
    struct thread *t = this_cpu()->current;
    if (t->regs_pending) {
        thread_set_regs(t, t->pending_pc, t->pending_sp); /* ex_regs while it ran elsewhere */
    }
    if (t->vcpu.event) {
        vcpu_user_enter(t); /* plain vCPU mode: an event at its entry point, if its flag lets */
    }
}

void sched_timer_tick(void)
{
    struct percpu *c = this_cpu();
    uint64_t now = arch_timer_now();
    c->timer_armed = UINT64_MAX; /* it fired (the arch code masked it) */
    console_poll();
    c->need_resched = true;
    timeout_expire(c, now);
    sched_poke_retry(now);
    struct thread *t = c->current;
    if (t != c->idle && now >= c->slice_end && t->state == TS_READY && list_linked(&t->rq_link)) {
        /* Quantum used up: round robin within its priority. */
        rq_del(&c->rq, t);
        rq_add(&c->rq, t, false);
        c->slice_end = now + t->quantum;
    }
}
