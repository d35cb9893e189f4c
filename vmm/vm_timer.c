// SPDX-License-Identifier: MIT
/*
 * The device timer thread (see vm_timer.h). It waits on an Irq of its own with a timeout: the
 * timeout is its next deadline, the Irq a deadline moved earlier (vm_timer_set). An Irq
 * triggered while the thread is not waiting stays pending, so a deadline set between its look
 * at the timers and its wait is not missed. It runs on the VMM's CPU at the VMM's priority (the
 * vCPUs' too: placed through the VMM's Scheduler, keel,scheduler), so a guest that spins there
 * gives it the CPU at the end of its quantum at the latest. Without a Scheduler it stays at the
 * priority threads start with, below the vCPU's: it runs only while the guest waits (said once).
 */
#include "vm_timer.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/progenv.h>

#define TIMER_UTCB (KEEL_ROOT_UTCB_ADDR + 13 * KEEL_PAGE_SIZE) /* after net_link.c's two */
#define LONGEST_WAIT_US 1000000000u                            /* then it looks again */

static struct vm_timer *timers[VM_MAX_TIMERS];
static unsigned timer_count; /* (atomic: the thread reads it) */
static uint64_t timer_thread_cap, timer_irq;
static uint8_t stack[8192] __attribute__((aligned(16)));

/* The wait, in microseconds, from now to deadline next (rounded up: never early). */
static uint32_t wait_us(uint64_t next, uint64_t now, uint64_t freq)
{
    if (next == UINT64_MAX) {
        return KEEL_TIMEOUT_NEVER;
    }
    if (next <= now) {
        return KEEL_TIMEOUT_ZERO;
    }
    uint64_t d = next - now;
    if (d / freq >= LONGEST_WAIT_US / 1000000) {
        return LONGEST_WAIT_US;
    }
    return (uint32_t)(d * 1000000 / freq + 1);
}

static void timer_thread(void)
{
    uint64_t freq = rt_timer_freq();
    for (;;) {
        unsigned n = __atomic_load_n(&timer_count, __ATOMIC_ACQUIRE);
        uint64_t now = keel_cycles(), next = UINT64_MAX;
        bool fired = false;
        for (unsigned i = 0; i < n; i++) {
            struct vm_timer *t = timers[i];
            uint64_t due = __atomic_load_n(&t->due, __ATOMIC_ACQUIRE);
            /* Taken back first: a deadline the device sets meanwhile is its next. */
            if (due <= now && __atomic_compare_exchange_n(&t->due, &due, UINT64_MAX, false,
                                                          __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
                t->expired(t, now);
                fired = true;
            }
            due = __atomic_load_n(&t->due, __ATOMIC_ACQUIRE);
            next = due < next ? due : next;
        }
        if (!fired) { /* (after one that fired, look at them all again first) */
            keel_receive(timer_irq, wait_us(next, now, freq), 0);
        }
    }
}

int64_t vm_timer_add(struct vm *vm, struct vm_timer *t)
{
    unsigned n = __atomic_load_n(&timer_count, __ATOMIC_ACQUIRE);
    if (n == VM_MAX_TIMERS) {
        printf("vmm: %s: more than %u device timers\n", vm->name, VM_MAX_TIMERS);
        return -KEEL_ERANGE;
    }
    t->due = UINT64_MAX;
    timers[n] = t;
    if (n > 0) {
        __atomic_store_n(&timer_count, n + 1, __ATOMIC_RELEASE);
        return 0;
    }
    /* The first: the thread, with an Irq attached to it for deadlines moved earlier. */
    timer_thread_cap = rt_cap_alloc();
    timer_irq = rt_cap_alloc();
    bool placed;
    int64_t r = vm_thread_create(timer_thread_cap, TIMER_UTCB);
    if (r == 0) {
        r = KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ, timer_irq);
    }
    if (r == 0) {
        r = KOBJ(timer_irq, KEEL_IRQ_ATTACH, timer_thread_cap, 0);
    }
    if (r == 0) {
        __atomic_store_n(&timer_count, 1, __ATOMIC_RELEASE);
        r = vm_thread_start(timer_thread_cap, timer_thread, &stack[sizeof(stack)],
                            (unsigned)rt_progenv()->cpu, &placed);
    }
    if (r < 0) {
        printf("vmm: %s: the device timer thread: %s\n", vm->name, keel_strerror(r));
        __atomic_store_n(&timer_count, 0, __ATOMIC_RELEASE);
        return r;
    }
    if (!placed) {
        printf("vmm: %s: no Scheduler (keel,scheduler): device timers run only while the guest "
               "waits\n",
               vm->name);
    }
    return 0;
}

void vm_timer_set(struct vm_timer *t, uint64_t due)
{
    uint64_t old = __atomic_exchange_n(&t->due, due, __ATOMIC_ACQ_REL);
    if (due < old) {
        KOBJ(timer_irq, KEEL_IRQ_TRIGGER); /* the thread may sleep past it */
    }
}
