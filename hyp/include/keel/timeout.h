/* SPDX-License-Identifier: MIT */
/* Timeouts (a thread's IPC timeout, its budget's events): per-CPU lists sorted by deadline (timer
 * ticks), checked on every timer interrupt. */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <keel/list.h>

struct percpu;

struct timeout {
    struct list link;
    uint64_t deadline;
    struct percpu *cpu; /* NULL when not armed */
    void (*fire)(struct timeout *t); /* called once it is due (it is disarmed then) */
};

void timeout_arm(struct timeout *t, struct percpu *cpu, uint64_t deadline);
void timeout_disarm_slow(struct timeout *t);
static inline void timeout_disarm(struct timeout *t)
{
    if (t->cpu) {
        timeout_disarm_slow(t);
    }
}
/* The earliest deadline on cpu, or UINT64_MAX. */
uint64_t timeout_next(struct percpu *cpu);
/* Fires every timeout on cpu whose deadline is <= now. */
void timeout_expire(struct percpu *cpu, uint64_t now);
/* Converts a relative time in microseconds into timer ticks. */
uint64_t timeout_ticks_from_us(uint64_t us);
