// SPDX-License-Identifier: MIT
// Per-CPU fixed-priority round-robin scheduler (see keel/sched.h).
#include <keel/sched.h>
#include <keel/thread.h>
#include <keel/percpu.h>
#include <keel/timeout.h>
#include <keel/arch/timer.h>
#include <keel/arch/irqchip.h>
#include <keel/arch/context.h>

void sched_init_cpu(struct percpu *c)
{
    for (unsigned i = 0; i < SCHED_PRIOS; i++) {
        list_init(&c->rq.prio[i]);
    }
    list_init(&c->timeouts);
}

static void rq_add(struct runqueue *rq, struct thread *t, bool front)
{
    if (front) {
        list_push_front(&rq->prio[t->prio], &t->rq_link);
    } else {
        list_push_back(&rq->prio[t->prio], &t->rq_link);
    }
    rq->bitmap[t->prio / 64] |= 1ull << (t->prio % 64);
}

static void rq_del(struct runqueue *rq, struct thread *t)
{
    list_remove(&t->rq_link);
    if (list_empty(&rq->prio[t->prio])) {
        rq->bitmap[t->prio / 64] &= ~(1ull << (t->prio % 64));
    }
}

/* Index of the highest set bit of v (v != 0); no libgcc call on any architecture. */
static unsigned high_bit(uint64_t v)
{
    unsigned n = 0;
    for (unsigned s = 32; s; s >>= 1) {
        if (v >> s) {
            v >>= s;
            n += s;
        }
    }
    return n;
}

static struct thread *rq_best(struct runqueue *rq)
{
    for (int w = SCHED_PRIOS / 64 - 1; w >= 0; w--) {
        if (rq->bitmap[w]) {
            unsigned p = (unsigned)w * 64 + high_bit(rq->bitmap[w]);
            return container_of(rq->prio[p].next, struct thread, rq_link);
        }
    }
    return NULL;
}

void sched_remove(struct thread *t)
{
    if (list_linked(&t->rq_link)) {
        rq_del(&t->cpu->rq, t);
    }
}

void sched_ready(struct thread *t)
{
    t->state = TS_READY;
    if (list_linked(&t->rq_link)) {
        return;
    }
    struct percpu *c = t->cpu;
    if (c->current == t) {
        /* Still on its CPU (it blocked and is woken before switching away): keep its turn. */
        rq_add(&c->rq, t, true);
        return;
    }
    rq_add(&c->rq, t, false);
    if (c != this_cpu() && c->online && t->prio > c->current->prio) {
        arch_irq_send_ipi(c->id);
    }
}

void sched_migrate(struct thread *t, struct percpu *to)
{
    struct percpu *from = t->cpu;
    if (from == to) {
        return;
    }
    bool queued = list_linked(&t->rq_link);
    if (queued) {
        rq_del(&from->rq, t);
    }
    t->cpu = to;
    if (t->timeout.cpu) {
        uint64_t d = t->timeout.deadline;
        timeout_disarm(&t->timeout);
        timeout_arm(&t->timeout, to, d);
    }
    if (from->current == t) {
        /* Running (or about to run) there: that CPU hands it over when it switches away. */
        if (from != this_cpu()) {
            arch_irq_send_ipi(from->id);
        }
        return;
    }
    if (queued) {
        sched_ready(t);
    }
}

void sched_program_timer(void)
{
    struct percpu *c = this_cpu();
    uint64_t next = timeout_next(c);
    if (c->current != c->idle && c->slice_end < next) {
        next = c->slice_end;
    }
    arch_timer_set_deadline(next);
}

void schedule(void)
{
    struct percpu *c = this_cpu();
    struct thread *prev = c->current;
    struct thread *next = rq_best(&c->rq);
    if (!next) {
        next = c->idle;
    }
    uint64_t now = arch_timer_now();
    if (next != prev) {
        prev->cpu_ticks += now - prev->ran_since;
        next->ran_since = now;
        next->switches++;
        c->switches++;
        c->current = next;
        c->slice_end = now + next->quantum;
        arch_thread_switch_in(next);
        if (prev->cpu != c && prev->state == TS_READY) {
            /* Migrated while running here: queue it on its new CPU once switched away. The
             * big lock keeps the other CPU off it until this switch has saved its state. */
            sched_ready(prev);
        }
        arch_context_switch(&prev->ctx, &next->ctx);
        sched_reap();
    }
    sched_program_timer();
}

void sched_reap(void)
{
    struct percpu *c = this_cpu();
    struct thread *t = c->reap;
    if (t && t != c->current) {
        c->reap = NULL;
        kobj_put(&t->obj);
    }
}

void sched_timer_tick(void)
{
    struct percpu *c = this_cpu();
    uint64_t now = arch_timer_now();
    timeout_expire(c, now);
    struct thread *t = c->current;
    if (t != c->idle && now >= c->slice_end && t->state == TS_READY && list_linked(&t->rq_link)) {
        /* Quantum used up: round robin within its priority. */
        rq_del(&c->rq, t);
        rq_add(&c->rq, t, false);
        c->slice_end = now + t->quantum;
    }
}
