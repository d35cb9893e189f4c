// SPDX-License-Identifier: MIT
// CPU partitions and CPU-time budgets of Scheduler objects (keel/scheduler.h, keel/budget.h):
// a Scheduler's CPU mask confines what it places, and the threads a thread so confined makes;
// a budget holds a spinning high priority to its share, per CPU, across migration and IPC, is
// shared by the Schedulers made from it and by the threads its threads make, and outlives the
// capability of its Scheduler while threads draw from it.
#include <keel/ktest.h>
#include "ktest_util.h"

#define PERIOD_US 20000
#define BUDGET_US 6000 /* 30 % (periods long against the emulator's timer jitter) */

static volatile int stop;
static volatile uint64_t spins[4];

static void spin_until_stopped(uint64_t i)
{
    while (!stop) {
        spins[i]++;
    }
}

static uint64_t thread_ns(uint64_t cap)
{
    return KOBJ(cap, KEEL_THREAD_STATS) == 0 ? keel_utcb()->mr[0] : 0;
}

static uint64_t stats_word(uint64_t cap, unsigned i)
{
    return KOBJ(cap, KEEL_THREAD_STATS) == 0 ? keel_utcb()->mr[i] : ~0ull;
}

static uint64_t all_cpus(void)
{
    return (1ull << rt_kip()->cpu_count) - 1;
}

/* A Scheduler from the root's, charged to factory f. */
static int64_t scheduler_new(uint64_t f, uint64_t cap, uint64_t cpus, uint64_t budget_us,
                             uint64_t period_us)
{
    return KOBJ(f, KEEL_FACTORY_SCHEDULER, cap, KEEL_ROOT_SCHEDULER, 250, cpus, budget_us,
                period_us);
}

KTEST(sched_partition_confines_placement)
{
    unsigned n = rt_kip()->cpu_count;
    uint64_t last = 1ull << (n - 1);
    uint64_t f = cap_new(), part = cap_new(), sub = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, f, 65536), 0);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_INFO), 0);
    CHECK_EQ(keel_utcb()->mr[4], all_cpus());
    CHECK_EQ(keel_utcb()->mr[5], 0); /* the root's: no budget */
    REQUIRE_EQ(KOBJ(f, KEEL_FACTORY_SCHEDULER, part, KEEL_ROOT_SCHEDULER, 60, last), 0);
    REQUIRE_EQ(KOBJ(part, KEEL_SCHED_INFO), 0);
    CHECK_EQ(keel_utcb()->mr[4], last);

    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, KEEL_ROOT_TASK, spin_until_stopped, 0, 0, 0), 0);
    stop = 1; /* it need not spin here */
    CHECK_EQ(KOBJ(part, KEEL_SCHED_RUN, t.cap, n - 1, 10, 0), 0);
    CHECK_EQ(thread_cpu(t.cap), n - 1);
    if (n > 1) {
        CHECK_EQ(KOBJ(part, KEEL_SCHED_RUN, t.cap, 0, 10, 0), -KEEL_EPERM);
        CHECK_EQ(thread_cpu(t.cap), n - 1); /* refused: not moved */
        /* A mask that is not within its source's, empty, or beyond it: refused. */
        CHECK_EQ(KOBJ(f, KEEL_FACTORY_SCHEDULER, sub, part, 60, 1), -KEEL_ERANGE);
        CHECK_EQ(KOBJ(f, KEEL_FACTORY_SCHEDULER, sub, part, 60, last | 1), -KEEL_ERANGE);
    }
    CHECK_EQ(KOBJ(f, KEEL_FACTORY_SCHEDULER, sub, part, 60, 0), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(f, KEEL_FACTORY_SCHEDULER, sub, part, 60, last << 1), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, sub), 0);
    /* Without a mask it takes its source's. */
    REQUIRE_EQ(KOBJ(f, KEEL_FACTORY_SCHEDULER, sub, part, 30), 0);
    REQUIRE_EQ(KOBJ(sub, KEEL_SCHED_INFO), 0);
    CHECK_EQ(keel_utcb()->mr[4], last);
    if (n > 1) {
        CHECK_EQ(KOBJ(sub, KEEL_SCHED_RUN, t.cap, 0, 10, 0), -KEEL_EPERM);
    }
    kthread_free(&t);
    cap_free(sub);
    cap_free(part);
    cap_free(f);
}

/* A thread confined to a CPU makes a thread: the new one is homed on that CPU too, so a program
 * without a Scheduler for other CPUs never gets there. */
static volatile uint64_t made_cpu;
static volatile int made;
static void make_a_thread(uint64_t cap)
{
    made_cpu = KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_THREAD, cap) == 0 ? thread_cpu(cap) : ~0ull;
    made = 1;
}

KTEST(sched_partition_holds_for_threads_made_there)
{
    unsigned n = rt_kip()->cpu_count;
    uint64_t f = cap_new(), part = cap_new(), made_cap = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, f, 65536), 0);
    REQUIRE_EQ(KOBJ(f, KEEL_FACTORY_SCHEDULER, part, KEEL_ROOT_SCHEDULER, 250, 1ull << (n - 1)), 0);
    made = 0;
    made_cpu = ~0ull;
    struct kthread t;
    kthread_prepare(&t);
    REQUIRE_EQ(kthread_run(&t, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, make_a_thread, made_cap, 0, 0),
               0);
    REQUIRE_EQ(KOBJ(part, KEEL_SCHED_RUN, t.cap, n - 1, ROOT_PRIO + 10, 0), 0);
    CHECK(wait_flag(&made, 2000));
    CHECK_EQ(made_cpu, n - 1);
    kthread_free(&t);
    cap_free(made_cap);
    cap_free(part);
    cap_free(f);
}

KTEST(sched_budget_arguments)
{
    uint64_t f = cap_new(), b = cap_new(), sub = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, f, 65536), 0);
    uint64_t all = all_cpus();
    CHECK_EQ(KOBJ(f, KEEL_FACTORY_SCHEDULER, b, KEEL_ROOT_SCHEDULER, 250, all, 3000), -KEEL_EINVAL);
    CHECK_EQ(scheduler_new(f, b, all, 3001, 3000), -KEEL_ERANGE);   /* more than its period */
    CHECK_EQ(scheduler_new(f, b, all, 9, 3000), -KEEL_ERANGE);      /* below 10 us */
    CHECK_EQ(scheduler_new(f, b, all, 50, 99), -KEEL_ERANGE);       /* period below 100 us */
    CHECK_EQ(scheduler_new(f, b, all, 50, 10000001), -KEEL_ERANGE); /* period above 10 s */
    CHECK_EQ(scheduler_new(f, b, all, 0, 3000), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, b), 0);
    CHECK_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_BUDGET, 0), -KEEL_ENOENT);
    REQUIRE_EQ(scheduler_new(f, b, all, BUDGET_US, PERIOD_US), 0);
    REQUIRE_EQ(KOBJ(b, KEEL_SCHED_INFO), 0);
    CHECK_EQ(keel_utcb()->mr[5], BUDGET_US);
    CHECK_EQ(keel_utcb()->mr[6], PERIOD_US);
    CHECK_EQ(KOBJ(b, KEEL_SCHED_BUDGET, rt_kip()->cpu_count), -KEEL_ERANGE);
    REQUIRE_EQ(KOBJ(b, KEEL_SCHED_BUDGET, 0), 0);
    CHECK_EQ(keel_utcb()->mr[0], 0);
    /* Made from a budgeted one: it shares that budget, and may not set one of its own. */
    CHECK_EQ(KOBJ(f, KEEL_FACTORY_SCHEDULER, sub, b, 250, all, 1000, PERIOD_US), -KEEL_ERANGE);
    REQUIRE_EQ(KOBJ(f, KEEL_FACTORY_SCHEDULER, sub, b, 100), 0);
    REQUIRE_EQ(KOBJ(sub, KEEL_SCHED_INFO), 0);
    CHECK_EQ(keel_utcb()->mr[5], BUDGET_US);
    CHECK_EQ(keel_utcb()->mr[6], PERIOD_US);
    cap_free(sub);
    cap_free(b);
    cap_free(f);
}

/* Runs for about ms with the root thread asleep at ROOT_PRIO: what a spinning thread above it
 * and one below it get of CPU 0 is the budget's doing. Returns the ns elapsed. */
static uint64_t let_run(unsigned ms)
{
    uint64_t t0 = now_us();
    for (unsigned i = 0; i < ms; i++) {
        sleep_us(1000);
    }
    return (now_us() - t0) * 1000;
}

/* share of whole, in per mille */
static uint64_t permille(uint64_t share, uint64_t whole)
{
    return whole ? share * 1000 / whole : 0;
}

KTEST(sched_budget_share_leaves_the_rest_to_a_lower_priority)
{
    uint64_t f = cap_new(), b = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, f, 65536), 0);
    REQUIRE_EQ(scheduler_new(f, b, all_cpus(), BUDGET_US, PERIOD_US), 0);
    stop = 0;
    struct kthread hi, lo;
    REQUIRE_EQ(kthread_start_arg(&hi, KEEL_ROOT_TASK, spin_until_stopped, 0, 0, 0), 0);
    REQUIRE_EQ(kthread_start_arg(&lo, KEEL_ROOT_TASK, spin_until_stopped, 1, 0, 0), 0);
    REQUIRE_EQ(kthread_place(&lo, 0, ROOT_PRIO - 50, 0), 0);
    REQUIRE_EQ(KOBJ(b, KEEL_SCHED_RUN, hi.cap, 0, ROOT_PRIO + 50, 0), 0);
    CHECK_EQ(stats_word(hi.cap, 4), 1);
    CHECK_EQ(stats_word(lo.cap, 4), 0);
    let_run(50); /* settle */
    uint64_t h0 = thread_ns(hi.cap), l0 = thread_ns(lo.cap);
    uint64_t elapsed = let_run(500);
    uint64_t h = thread_ns(hi.cap) - h0, l = thread_ns(lo.cap) - l0;
    stop = 1;
    REQUIRE_EQ(KOBJ(b, KEEL_SCHED_BUDGET, 0), 0);
    uint64_t throttles = keel_utcb()->mr[0];
    printf("ktest: budget 30 %%: high %lu ns, low %lu ns of %lu ns; %lu throttles\n",
           (unsigned long)h, (unsigned long)l, (unsigned long)elapsed, (unsigned long)throttles);
    /* 30 % of the CPU (its periods' slack and the emulator's timer jitter aside) ... */
    CHECK(permille(h, elapsed) >= 250);
    CHECK(permille(h, elapsed) <= 360);
    /* ... and the lower priority the rest but what the root thread took to sleep. */
    CHECK(permille(l, elapsed) >= 600);
    CHECK(throttles >= 15); /* once in (nearly) every period of the 500 ms */
    kthread_free(&hi);
    kthread_free(&lo);
    cap_free(b);
    cap_free(f);
}

static uint64_t idle_ns(unsigned cpu)
{
    return KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_IDLE, cpu) == 0 ? keel_utcb()->mr[0] : 0;
}

/* The budget is per CPU: a thread moved between CPUs every 2 ms draws from each CPU's share of
 * its budget in turn, and neither CPU gives it more than 30 %: CPU 1 stays idle the rest of the
 * time (no spinner below it: two emulated CPUs spinning on this machine's two cores delay the
 * emulator's timers by up to 10 ms, which no budget survives). CPU 0's idle time is not checked:
 * the root thread's share of it grows with the host's load (it is charged while the host does
 * not run the emulated CPU), the budgeted thread's does not (its budget counts that time too). */
KTEST(sched_budget_share_holds_across_migration)
{
    unsigned n = cpus_online();
    if (n < 2) {
        return;
    }
    uint64_t f = cap_new(), b = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, f, 65536), 0);
    REQUIRE_EQ(scheduler_new(f, b, all_cpus(), BUDGET_US, PERIOD_US), 0);
    stop = 0;
    struct kthread hi;
    REQUIRE_EQ(kthread_start_arg(&hi, KEEL_ROOT_TASK, spin_until_stopped, 0, 0, 0), 0);
    REQUIRE_EQ(KOBJ(b, KEEL_SCHED_RUN, hi.cap, 0, ROOT_PRIO + 50, 0), 0);
    let_run(20);
    uint64_t h0 = thread_ns(hi.cap), i0 = idle_ns(0), i1 = idle_ns(1);
    uint64_t t0 = now_us();
    for (unsigned i = 0; i < 200; i++) {
        REQUIRE_EQ(KOBJ(b, KEEL_SCHED_RUN, hi.cap, i % 2 ? 0 : 1, ROOT_PRIO + 50, 0), 0);
        sleep_us(2000);
    }
    uint64_t elapsed = (now_us() - t0) * 1000;
    uint64_t h = thread_ns(hi.cap) - h0, a = idle_ns(0) - i0, c = idle_ns(1) - i1;
    stop = 1;
    printf("ktest: budget 30 %% moving: high %lu ns, idle %lu + %lu ns of 2 x %lu ns\n",
           (unsigned long)h, (unsigned long)a, (unsigned long)c, (unsigned long)elapsed);
    CHECK(permille(h, elapsed) >= 250); /* it ran ... */
    CHECK(permille(h, elapsed) <= 720); /* ... at most 30 % (+ slack) of each of two CPUs */
    CHECK(permille(c, elapsed) >= 620); /* CPU 1 is left its 70 % */
    kthread_free(&hi);
    cap_free(b);
    cap_free(f);
}

/* A client and its server, both under one budget, calling each other as fast as they can: they
 * share the budget (IPC passes the CPU, not a fresh budget), and the lower priority gets 70 %. */
static volatile uint64_t calls;
static void serve(uint64_t unused)
{
    keel_wait(KEEL_TIMEOUT_NEVER, 0);
    for (;;) {
        keel_reply_wait(keel_tag(0, 0, 0), KEEL_TIMEOUT_NEVER, 0);
    }
}
static void call_forever(uint64_t gate)
{
    while (!stop) {
        keel_call(gate, keel_tag(0, 0, 0), KEEL_TIMEOUTS(KEEL_TIMEOUT_NEVER, KEEL_TIMEOUT_NEVER),
                  0);
        calls++;
    }
}

KTEST(sched_budget_share_holds_across_ipc)
{
    uint64_t f = cap_new(), b = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, f, 65536), 0);
    REQUIRE_EQ(scheduler_new(f, b, all_cpus(), BUDGET_US, PERIOD_US), 0);
    stop = 0;
    calls = 0;
    struct kthread srv, cli, lo;
    REQUIRE_EQ(kthread_start_arg(&srv, KEEL_ROOT_TASK, serve, 0, 0, 0), 0);
    REQUIRE(wait_state(srv.cap, 2, 1000));
    uint64_t g = kgate_create(KEEL_ROOT_FACTORY, srv.cap, 0);
    REQUIRE(g);
    REQUIRE_EQ(kthread_start_arg(&lo, KEEL_ROOT_TASK, spin_until_stopped, 1, 0, 0), 0);
    REQUIRE_EQ(kthread_place(&lo, 0, ROOT_PRIO - 50, 0), 0);
    REQUIRE_EQ(KOBJ(b, KEEL_SCHED_RUN, srv.cap, 0, ROOT_PRIO + 50, 0), 0);
    REQUIRE_EQ(kthread_start_arg(&cli, KEEL_ROOT_TASK, call_forever, g, 0, 0), 0);
    REQUIRE_EQ(KOBJ(b, KEEL_SCHED_RUN, cli.cap, 0, ROOT_PRIO + 50, 0), 0);
    let_run(50);
    uint64_t s0 = thread_ns(srv.cap), c0 = thread_ns(cli.cap), l0 = thread_ns(lo.cap);
    uint64_t n0 = calls;
    uint64_t elapsed = let_run(500);
    uint64_t s = thread_ns(srv.cap) - s0, c = thread_ns(cli.cap) - c0, l = thread_ns(lo.cap) - l0;
    uint64_t n = calls - n0;
    stop = 1;
    printf("ktest: budget 30 %% over IPC: client %lu ns + server %lu ns, low %lu ns of %lu ns, "
           "%lu calls\n",
           (unsigned long)c, (unsigned long)s, (unsigned long)l, (unsigned long)elapsed,
           (unsigned long)n);
    CHECK(n > 100);
    CHECK(permille(s + c, elapsed) >= 250);
    CHECK(permille(s + c, elapsed) <= 360);
    CHECK(permille(l, elapsed) >= 600);
    kthread_free(&cli);
    kthread_free(&srv);
    kthread_free(&lo);
    cap_free(g);
    cap_free(b);
    cap_free(f);
}

/* A budgeted thread's threads draw from its budget: making threads makes no budget. */
static void make_and_spin(uint64_t cap)
{
    made_cpu = KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_THREAD, cap) == 0 ? stats_word(cap, 4) : ~0ull;
    made = 1;
    spin_until_stopped(0);
}

KTEST(sched_budget_goes_with_the_threads_a_thread_makes)
{
    uint64_t f = cap_new(), b = cap_new(), made_cap = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, f, 65536), 0);
    REQUIRE_EQ(scheduler_new(f, b, all_cpus(), BUDGET_US, PERIOD_US), 0);
    made = 0;
    stop = 0;
    made_cpu = ~0ull;
    struct kthread t;
    kthread_prepare(&t);
    REQUIRE_EQ(kthread_run(&t, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, make_and_spin, made_cap, 0, 0),
               0);
    REQUIRE_EQ(KOBJ(b, KEEL_SCHED_RUN, t.cap, 0, ROOT_PRIO + 10, 0), 0);
    CHECK(wait_flag(&made, 2000));
    CHECK_EQ(made_cpu, 1);
    stop = 1;
    kthread_free(&t);
    cap_free(made_cap);
    cap_free(b);
    cap_free(f);
}

/* The Scheduler's capability goes while its budget holds a thread (its refill armed): the
 * budget stays in force for that thread; once the thread goes too, the Scheduler's memory
 * returns to its factory and no refill of it fires any more. */
KTEST(sched_budget_outlives_its_capability)
{
    uint64_t f = cap_new(), b = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, f, 65536), 0);
    uint64_t used = factory_used(f);
    REQUIRE_EQ(scheduler_new(f, b, all_cpus(), 1000, 100000), 0); /* 1 ms of every 100 ms */
    stop = 0;
    struct kthread hi;
    REQUIRE_EQ(kthread_start_arg(&hi, KEEL_ROOT_TASK, spin_until_stopped, 0, 0, 0), 0);
    REQUIRE_EQ(KOBJ(b, KEEL_SCHED_RUN, hi.cap, 0, ROOT_PRIO + 50, 0), 0);
    sleep_us(5000);
    CHECK_EQ(stats_word(hi.cap, 5), 1); /* held until its refill, 95 ms on */
    cap_free(b);
    CHECK(factory_used(f) > used); /* the thread keeps it */
    uint64_t h0 = thread_ns(hi.cap);
    sleep_us(20000);
    CHECK_EQ(thread_ns(hi.cap), h0); /* still held: no fresh budget */
    kthread_free(&hi);
    CHECK_EQ(factory_used(f), used);
    sleep_us(200000); /* two refills would have come: nothing fires on freed memory */
    cap_free(f);
}

/* A thread moved while it runs stays current on its old CPU until that CPU switches away, and is
 * queued at its new home only then: placing it again meanwhile must not queue it there too (it
 * would run on two CPUs at once, on one kernel stack). Its stack shows it: a copy of it running
 * elsewhere overwrites what it wrote while it spins. */
static volatile uint64_t torn;
static void spin_and_check_own_stack(uint64_t unused)
{
    (void)unused;
    volatile uint64_t mine[4];
    while (!stop) {
        uint64_t v = keel_cycles();
        for (unsigned i = 0; i < 4; i++) {
            mine[i] = v;
        }
        spin_us(300);
        for (unsigned i = 0; i < 4; i++) {
            if (mine[i] != v) {
                torn++;
                break;
            }
        }
        sleep_us(700);
    }
}

KTEST_DEADLINE(sched_thread_moved_while_running_runs_once, 120)
{
    unsigned n = cpus_online();
    if (n < 2) {
        return;
    }
    stop = 0;
    torn = 0;
    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, KEEL_ROOT_TASK, spin_and_check_own_stack, 0, 0, 0), 0);
    for (unsigned i = 0; i < 400; i++) {
        REQUIRE_EQ(kthread_place(&t, 1, ROOT_PRIO + 10, 0), 0);
        spin_us(100 + (i * 37) % 500);
        REQUIRE_EQ(kthread_place(&t, 0, ROOT_PRIO + 10, 0), 0);
        REQUIRE_EQ(kthread_place(&t, n > 2 ? 2 : 0, ROOT_PRIO + 10, 0), 0);
        sleep_us(2000);
        if (i % 100 == 99) { /* 8 s idle, a minute on a loaded host: not silent meanwhile */
            printf("ktest: %u of 400 moves\n", i + 1);
            ktest_progress();
        }
    }
    stop = 1;
    CHECK_EQ(torn, 0);
    kthread_free(&t);
}

/* At most BUDGET_MAX_THREADS (256) threads draw from one budget: RUN of one more, and a thread of
 * the budget making one more, are EBUSY, and leave nothing behind. */
static volatile int64_t make_result;
static void make_one(uint64_t cap)
{
    make_result = KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_THREAD, cap);
    made = 1;
}

KTEST(sched_budget_has_at_most_256_threads)
{
    uint64_t f = cap_new(), b = cap_new(), extra = cap_new(), made_cap = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, f, 4 << 20), 0);
    REQUIRE_EQ(scheduler_new(f, b, all_cpus(), BUDGET_US, PERIOD_US), 0);
    static uint64_t caps[255];
    for (unsigned i = 0; i < 255; i++) { /* never started: they only draw from it */
        caps[i] = cap_new();
        REQUIRE_EQ(KOBJ(f, KEEL_FACTORY_THREAD, caps[i]), 0);
        REQUIRE_EQ(KOBJ(b, KEEL_SCHED_RUN, caps[i], 0, 10, 0), 0);
    }
    made = 0;
    make_result = 1;
    struct kthread t; /* the 256th: it tries to make a 257th */
    kthread_prepare(&t);
    REQUIRE_EQ(kthread_run(&t, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, make_one, made_cap, 0, 0), 0);
    uint64_t used = factory_used(f);
    REQUIRE_EQ(KOBJ(b, KEEL_SCHED_RUN, t.cap, 0, ROOT_PRIO + 10, 0), 0);
    CHECK(wait_flag(&made, 2000));
    CHECK_EQ(make_result, -KEEL_EBUSY);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, made_cap), 0);
    REQUIRE_EQ(KOBJ(f, KEEL_FACTORY_THREAD, extra), 0);
    CHECK_EQ(KOBJ(b, KEEL_SCHED_RUN, extra, 0, 10, 0), -KEEL_EBUSY);
    CHECK_EQ(stats_word(extra, 4), 0); /* refused: no budget, not moved */
    cap_free(extra);
    CHECK_EQ(factory_used(f), used);
    /* One goes: there is room again. */
    cap_free(caps[0]);
    extra = cap_new();
    REQUIRE_EQ(KOBJ(f, KEEL_FACTORY_THREAD, extra), 0);
    CHECK_EQ(KOBJ(b, KEEL_SCHED_RUN, extra, 0, 10, 0), 0);
    cap_free(extra);
    for (unsigned i = 1; i < 255; i++) {
        cap_free(caps[i]);
    }
    kthread_free(&t);
    cap_free(made_cap);
    cap_free(b);
    cap_free(f);
}
