// SPDX-License-Identifier: MIT
// Timeouts (see keel/timeout.h).
#include <keel/timeout.h>
#include <keel/percpu.h>
#include <keel/arch/timer.h>

void timeout_arm(struct timeout *t, struct percpu *cpu, uint64_t deadline)
{
    struct list *pos;
    t->deadline = deadline;
    t->cpu = cpu;
    list_for_each(pos, &cpu->timeouts) {
        if (container_of(pos, struct timeout, link)->deadline > deadline) {
            break;
        }
    }
    list_insert_after(pos->prev, &t->link);
}

void timeout_disarm_slow(struct timeout *t)
{
    list_remove(&t->link);
    t->cpu = NULL;
}

uint64_t timeout_next(struct percpu *cpu)
{
    if (list_empty(&cpu->timeouts)) {
        return UINT64_MAX;
    }
    return container_of(cpu->timeouts.next, struct timeout, link)->deadline;
}

void timeout_expire(struct percpu *cpu, uint64_t now)
{
    while (!list_empty(&cpu->timeouts)) {
        struct timeout *t = container_of(cpu->timeouts.next, struct timeout, link);
        if (t->deadline > now) {
            break;
        }
        timeout_disarm(t);
        t->fire(t);
    }
}

uint64_t timeout_ticks_from_us(uint64_t us)
{
    uint64_t f = arch_timer_freq();
    return us / 1000000 * f + us % 1000000 * f / 1000000;
}
