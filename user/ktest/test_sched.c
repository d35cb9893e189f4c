// SPDX-License-Identifier: MIT
// The Scheduler object: INFO, RUN and its errors, priority ceilings of Schedulers made by a
// Factory, priorities (preemption), round robin among equals, migration between CPUs, idle time.
#include <keel/ktest.h>
#include "ktest_util.h"

static volatile int flag[4];
static volatile uint64_t counter[4];
static volatile uint64_t deadline;

static void set_flag(uint64_t i)
{
    flag[i] = 1;
}

/* Counts in counter[i] until flag[i] is set. */
static void spinner(uint64_t i)
{
    while (!flag[i]) {
        counter[i]++;
    }
}

/* Counts in counter[i] until the cycle counter passes `deadline`. */
static void timed_spinner(uint64_t i)
{
    while (keel_cycles() < deadline) {
        counter[i]++;
    }
}

static void receive_then_flag(uint64_t i)
{
    keel_wait(KEEL_TIMEOUT_NEVER, 0);
    flag[i] = 1;
}

static void clear(void)
{
    for (unsigned i = 0; i < 4; i++) {
        flag[i] = 0;
        counter[i] = 0;
    }
}

KTEST(sched_info_matches_kip)
{
    REQUIRE_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_INFO), 0);
    struct keel_utcb *u = keel_utcb();
    uint64_t n = rt_kip()->cpu_count;
    CHECK_EQ(u->mr[0], n);
    CHECK_EQ(u->mr[1], (1ull << n) - 1); /* all up (ktest_init waited for them) */
    CHECK_EQ(u->mr[2], rt_kip()->timer_freq);
    CHECK(u->mr[2] > 0);
    uint64_t ro = cap_new();
    REQUIRE_EQ(ktask_give_cap(KEEL_ROOT_TASK, KEEL_ROOT_SCHEDULER, KEEL_CAP_R, ro), 0);
    CHECK_EQ(KOBJ(ro, KEEL_SCHED_INFO), 0);
    CHECK_EQ(KOBJ(ro, KEEL_SCHED_IDLE, 0), 0);
    CHECK_EQ(KOBJ(ro, KEEL_SCHED_RUN, KEEL_ROOT_THREAD, 0, ROOT_PRIO, 0), -KEEL_EPERM);
    CHECK_EQ(KOBJ(ro, 42), -KEEL_EPROTO);
    cap_free(ro);
}

KTEST(sched_run_errors)
{
    clear();
    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, KEEL_ROOT_TASK, receive_then_flag, 0, 0, 0), 0);
    uint64_t n = rt_kip()->cpu_count;
    CHECK_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_RUN, t.cap, n, 10, 0), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_RUN, t.cap, ~0ull, 10, 0), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_RUN, t.cap, 0, 0, 0), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_RUN, t.cap, 0, 256, 0), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_RUN, t.cap, 0, 10, 10000001), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_RUN, t.cap, 0, 10), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_RUN, KEEL_ROOT_TASK, 0, 10, 0), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_RUN, 1000, 0, 10, 0), -KEEL_ENOCAP);
    CHECK_EQ(thread_cpu(t.cap), 0); /* none of that moved it */
    /* The extremes that are allowed. */
    CHECK_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_RUN, t.cap, n - 1, 1, 10000000), 0);
    CHECK_EQ(thread_cpu(t.cap), n - 1);
    CHECK_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_RUN, t.cap, 0, 255, 1), 0);
    REQUIRE(wait_state(t.cap, 2, 1000));
    CHECK_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_RUN, t.cap, 0, 1, 0), 0);
    kthread_free(&t);
    CHECK_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_IDLE, n), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_IDLE), -KEEL_ERANGE);
}

/* A Factory makes Schedulers with a priority ceiling no higher than their source's. */
KTEST(sched_ceiling_limits_priorities)
{
    REQUIRE_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_INFO), 0);
    CHECK_EQ(keel_utcb()->mr[3], 255);
    uint64_t f = cap_new(), lim = cap_new(), sub = cap_new(), ro = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, f, 65536), 0);
    uint64_t used = factory_used(f);
    REQUIRE_EQ(KOBJ(f, KEEL_FACTORY_SCHEDULER, lim, KEEL_ROOT_SCHEDULER, 60), 0);
    CHECK(factory_used(f) > used); /* charged to the factory */
    CHECK_EQ(KOBJ(lim, KEEL_ANY_TYPE), KEEL_OBJ_SCHEDULER);
    REQUIRE_EQ(KOBJ(lim, KEEL_SCHED_INFO), 0);
    CHECK_EQ(keel_utcb()->mr[3], 60);
    CHECK_EQ(keel_utcb()->mr[0], rt_kip()->cpu_count);

    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, KEEL_ROOT_TASK, receive_then_flag, 0, 0, 0), 0);
    uint64_t n = rt_kip()->cpu_count;
    CHECK_EQ(KOBJ(lim, KEEL_SCHED_RUN, t.cap, n - 1, 61, 0), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(lim, KEEL_SCHED_RUN, t.cap, n - 1, 255, 0), -KEEL_ERANGE);
    CHECK_EQ(thread_cpu(t.cap), 0); /* refused: not moved */
    CHECK_EQ(KOBJ(lim, KEEL_SCHED_RUN, t.cap, n - 1, 60, 0), 0);
    CHECK_EQ(thread_cpu(t.cap), n - 1);
    CHECK_EQ(KOBJ(lim, KEEL_SCHED_RUN, t.cap, 0, 1, 0), 0);
    CHECK_EQ(thread_cpu(t.cap), 0);

    /* A ceiling above the source's, or 0, is refused; below it is fine. */
    CHECK_EQ(KOBJ(f, KEEL_FACTORY_SCHEDULER, sub, lim, 61), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(f, KEEL_FACTORY_SCHEDULER, sub, lim, 0), -KEEL_ERANGE);
    REQUIRE_EQ(KOBJ(f, KEEL_FACTORY_SCHEDULER, sub, lim, 30), 0);
    CHECK_EQ(KOBJ(sub, KEEL_SCHED_RUN, t.cap, 0, 31, 0), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(sub, KEEL_SCHED_RUN, t.cap, 0, 30, 0), 0);
    cap_free(sub);

    /* The source needs W and must be a Scheduler; the ceiling is a required argument. */
    REQUIRE_EQ(ktask_give_cap(KEEL_ROOT_TASK, lim, KEEL_CAP_R, ro), 0);
    CHECK_EQ(KOBJ(f, KEEL_FACTORY_SCHEDULER, sub, ro, 10), -KEEL_EPERM);
    CHECK_EQ(KOBJ(ro, KEEL_SCHED_RUN, t.cap, 0, 10, 0), -KEEL_EPERM);
    CHECK_EQ(KOBJ(f, KEEL_FACTORY_SCHEDULER, sub, KEEL_ROOT_TASK, 10), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(f, KEEL_FACTORY_SCHEDULER, sub, KEEL_ROOT_SCHEDULER), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, sub), 0); /* none of that made one */
    kthread_free(&t);
    cap_free(ro);
    cap_free(lim);
    CHECK_EQ(factory_used(f), used); /* its memory came back */
    cap_free(f);
}

KTEST(sched_higher_priority_runs_first)
{
    clear();
    struct kthread hi, lo;
    REQUIRE_EQ(kthread_start_arg(&lo, KEEL_ROOT_TASK, set_flag, 1, 0, 0), 0);
    REQUIRE_EQ(kthread_start_arg(&hi, KEEL_ROOT_TASK, set_flag, 0, 0, 0), 0);
    /* Both ready below us: neither runs while we do. */
    CHECK_EQ(kthread_place(&lo, 0, ROOT_PRIO - 50, 0), 0);
    spin_us(15000); /* more than a quantum, without entering the kernel */
    CHECK_EQ(flag[0] + flag[1], 0);
    /* Raised above us, hi runs before this call even returns to us. */
    CHECK_EQ(kthread_place(&hi, 0, ROOT_PRIO + 50, 0), 0);
    CHECK_EQ(flag[0], 1);
    CHECK_EQ(flag[1], 0);
    CHECK(wait_flag(&flag[1], 1000)); /* now lo, once we block */
    kthread_free(&hi);
    kthread_free(&lo);
}

KTEST(sched_equal_priorities_round_robin)
{
    clear();
    struct kthread a, b;
    /* Above both while setting up, so that neither runs before the other is ready. */
    REQUIRE_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_RUN, KEEL_ROOT_THREAD, 0, 200, 0), 0);
    deadline = keel_cycles() + rt_kip()->timer_freq / 10; /* 100 ms from now */
    REQUIRE_EQ(kthread_start_arg(&a, KEEL_ROOT_TASK, timed_spinner, 0, 0, 0), 0);
    REQUIRE_EQ(kthread_start_arg(&b, KEEL_ROOT_TASK, timed_spinner, 1, 0, 0), 0);
    REQUIRE_EQ(kthread_place(&a, 0, 150, 2000), 0); /* 2 ms quanta */
    REQUIRE_EQ(kthread_place(&b, 0, 150, 2000), 0);
    CHECK_EQ(counter[0] + counter[1], 0);
    /* Dropping below them: they share CPU 0 until the deadline, then we go on. */
    REQUIRE_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_RUN, KEEL_ROOT_THREAD, 0, ROOT_PRIO, 0), 0);
    CHECK(keel_cycles() >= deadline);
    uint64_t ca = counter[0], cb = counter[1];
    CHECK(ca > 0 && cb > 0);
    /* Shares of the same order, not one after the other (then the second would get nothing;
     * the bound is loose because emulated CPUs lose host time unevenly). */
    CHECK(ca < cb * 8 && cb < ca * 8);
    REQUIRE_EQ(KOBJ(a.cap, KEEL_THREAD_STATS), 0);
    uint64_t sa = keel_utcb()->mr[1];
    REQUIRE_EQ(KOBJ(b.cap, KEEL_THREAD_STATS), 0);
    uint64_t sb = keel_utcb()->mr[1];
    CHECK(sa >= 5 && sb >= 5); /* many turns each */
    kthread_free(&a);
    kthread_free(&b);
}

/* A thread woken while one of its own priority runs waits for that one's quantum to end: only a
 * higher priority preempts. The root sleeps 1 ms while a spinner of its priority with a 100 ms
 * quantum has the CPU: the sleep ends when the quantum does. (Waking preempted equals once,
 * and no test noticed: ci/mutations.txt.) */
KTEST(sched_woken_thread_does_not_preempt_an_equal)
{
    clear();
    struct kthread a;
    REQUIRE_EQ(kthread_start_arg(&a, KEEL_ROOT_TASK, spinner, 0, 0, 0), 0);
    REQUIRE_EQ(kthread_place(&a, 0, ROOT_PRIO, 100000), 0);
    sleep_us(1000); /* its first turn: what it had left of a quantum from before it was placed */
    uint64_t t0 = now_us();
    sleep_us(1000); /* a whole quantum of its own now */
    uint64_t slept = now_us() - t0;
    flag[0] = 1;
    kthread_free(&a);
    printf("ktest: slept %lu us\n", (unsigned long)slept);
    CHECK(slept >= 50000);
}

/* A higher-priority thread that wakes more often than the quantum (the root, here, every 1 ms
 * against 10 ms quanta) must not keep two equal threads from taking turns: a preempted thread
 * goes on with the rest of its quantum, not a fresh one. */
KTEST(sched_preempted_thread_keeps_the_rest_of_its_quantum)
{
    clear();
    struct kthread a, b;
    REQUIRE_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_RUN, KEEL_ROOT_THREAD, 0, 200, 0), 0);
    deadline = ~0ull;
    REQUIRE_EQ(kthread_start_arg(&a, KEEL_ROOT_TASK, timed_spinner, 0, 0, 0), 0);
    REQUIRE_EQ(kthread_start_arg(&b, KEEL_ROOT_TASK, timed_spinner, 1, 0, 0), 0);
    REQUIRE_EQ(kthread_place(&a, 0, 50, 10000), 0);
    REQUIRE_EQ(kthread_place(&b, 0, 50, 10000), 0);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_RUN, KEEL_ROOT_THREAD, 0, ROOT_PRIO, 0), 0);
    for (unsigned i = 0; i < 150; i++) {
        sleep_us(1000);
    }
    uint64_t ca = counter[0], cb = counter[1];
    CHECK(ca > 0 && cb > 0);
    CHECK(ca < cb * 8 && cb < ca * 8);
    kthread_free(&a);
    kthread_free(&b);
}

KTEST(sched_migration_moves_thread)
{
    clear();
    unsigned n = cpus_online();
    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, KEEL_ROOT_TASK, spinner, 0, 0, 0), 0);
    CHECK_EQ(thread_cpu(t.cap), 0);
    if (n < 2) {
        CHECK_EQ(kthread_place(&t, 1, ROOT_PRIO, 0), -KEEL_ERANGE);
        CHECK_EQ(thread_cpu(t.cap), 0);
    }
    for (unsigned cpu = 1; cpu < n; cpu++) {
        /* Below our priority: it can only make progress on a CPU other than ours. */
        REQUIRE_EQ(kthread_place(&t, cpu, ROOT_PRIO - 50, 0), 0);
        CHECK_EQ(thread_cpu(t.cap), cpu);
        /* It runs there while we spin here without giving up CPU 0 (the emulator's CPUs share
         * few host cores, so allow it time to be scheduled). */
        uint64_t c0 = counter[0], t0 = now_us();
        while (counter[0] == c0 && now_us() - t0 < 1000000) {
        }
        if (counter[0] == c0) {
            ktest_fail(__FILE__, __LINE__, "no progress on cpu (cpu, state)", cpu, thread_state(t.cap));
        }
    }
    /* Back to CPU 0 below us: it stops while we spin (once the CPU it ran on has let it go). */
    REQUIRE_EQ(kthread_place(&t, 0, 1, 0), 0);
    CHECK_EQ(thread_cpu(t.cap), 0);
    for (unsigned i = 0; i < 1000; i++) { /* until the CPU it ran on has switched away */
        REQUIRE_EQ(KOBJ(t.cap, KEEL_THREAD_STATS), 0);
        if (keel_utcb()->mr[3] == 0) {
            break;
        }
        spin_us(1000);
    }
    CHECK_EQ(keel_utcb()->mr[3], 0);
    uint64_t c1 = counter[0];
    spin_us(5000);
    CHECK_EQ(counter[0], c1);
    flag[0] = 1;
    kthread_free(&t);

    /* A blocked thread moves too, and runs where it was put once woken. */
    struct kthread r;
    REQUIRE_EQ(kthread_start_arg(&r, KEEL_ROOT_TASK, receive_then_flag, 1, 0, 0), 0);
    REQUIRE(wait_state(r.cap, 2, 1000));
    REQUIRE_EQ(kthread_place(&r, n - 1, ROOT_PRIO, 0), 0);
    CHECK_EQ(thread_cpu(r.cap), n - 1);
    CHECK_EQ(thread_state(r.cap), 2);
    uint64_t g = kgate_create(KEEL_ROOT_FACTORY, r.cap, 0);
    REQUIRE(g);
    CHECK_EQ(ipc_err(keel_send(g, keel_tag(0, 0, 0), KEEL_TIMEOUT_NEVER)), 0);
    CHECK(wait_flag(&flag[1], 1000));
    CHECK_EQ(thread_cpu(r.cap), n - 1);
    cap_free(g);
    kthread_free(&r);
}

KTEST(sched_idle_time_grows)
{
    unsigned n = cpus_online();
    uint64_t before[8] = { 0 };
    for (unsigned i = 0; i < n && i < 8; i++) {
        REQUIRE_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_IDLE, i), 0);
        before[i] = keel_utcb()->mr[0];
    }
    sleep_us(30000);
    for (unsigned i = 0; i < n && i < 8; i++) {
        REQUIRE_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_IDLE, i), 0);
        uint64_t d = keel_utcb()->mr[0] - before[i];
        CHECK(d >= 15000000ull);  /* most of the 30 ms */
        CHECK(d <= 500000000ull); /* and sane */
    }
    /* A busy CPU 0 is not idle. */
    REQUIRE_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_IDLE, 0), 0);
    uint64_t i0 = keel_utcb()->mr[0];
    spin_us(20000);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_IDLE, 0), 0);
    CHECK(keel_utcb()->mr[0] - i0 < 5000000ull);
}

/* Waits in a closed receive from itself for `us` (nobody sends): notes how long it took. */
static volatile uint64_t timed_wait_us;
static volatile int64_t timed_wait_err;
static void timed_wait(uint64_t mycap)
{
    uint64_t t0 = now_us();
    uint64_t tag = keel_receive(mycap, 30000, 0);
    timed_wait_err = ipc_err(tag);
    timed_wait_us = now_us() - t0;
    flag[2] = 1;
}

KTEST(sched_timeout_follows_migrated_thread)
{
    /* A thread blocked with a timeout moves to another CPU (idle, with no timer of its own
     * armed): its timeout must still end the wait there, on time. */
    unsigned n = cpus_online();
    for (unsigned cpu = 0; cpu < n; cpu++) {
        clear();
        timed_wait_us = 0;
        struct kthread t;
        kthread_prepare(&t);
        REQUIRE_EQ(kthread_run(&t, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, timed_wait, t.cap, 0, 0), 0);
        REQUIRE_EQ(kthread_place(&t, 0, ROOT_PRIO, 0), 0);
        REQUIRE(wait_state(t.cap, 2, 1000));
        REQUIRE_EQ(kthread_place(&t, n - 1 - cpu, ROOT_PRIO, 0), 0);
        for (unsigned ms = 0; ms < 2000 && !flag[2]; ms++) {
            sleep_us(1000);
        }
        if (!flag[2]) {
            ktest_fail(__FILE__, __LINE__, "timeout did not end the wait (cpu)", n - 1 - cpu, 0);
        }
        CHECK_EQ(timed_wait_err, -KEEL_ETIMEOUT);
        CHECK(timed_wait_us >= 29000);
        CHECK_LT(timed_wait_us, 1000000);
        kthread_free(&t);
    }
}

KTEST(sched_root_thread_moves_itself)
{
    unsigned n = cpus_online();
    CHECK_EQ(thread_cpu(KEEL_ROOT_THREAD), 0);
    for (unsigned cpu = n - 1; cpu > 0; cpu--) {
        /* The call returns on the new CPU; we go on working there. */
        REQUIRE_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_RUN, KEEL_ROOT_THREAD, cpu, ROOT_PRIO, 0), 0);
        CHECK_EQ(thread_cpu(KEEL_ROOT_THREAD), cpu);
        clear();
        struct kthread t;
        REQUIRE_EQ(kthread_start_arg(&t, KEEL_ROOT_TASK, set_flag, 3, 0, 0), 0);
        REQUIRE_EQ(kthread_place(&t, cpu, 1, 0), 0);
        CHECK(wait_flag(&flag[3], 1000)); /* it runs here once we sleep */
        kthread_free(&t);
    }
    REQUIRE_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_RUN, KEEL_ROOT_THREAD, 0, ROOT_PRIO, 0), 0);
    CHECK_EQ(thread_cpu(KEEL_ROOT_THREAD), 0);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_THREAD, KEEL_THREAD_STATS), 0);
    CHECK(keel_utcb()->mr[1] >= n - 1); /* switched in at least once per CPU */
}
