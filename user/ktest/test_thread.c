// SPDX-License-Identifier: MIT
// Threads: CONTROL (task, UTCB, handlers), EX_REGS (old registers, cancel, redirect), STATE,
// STATS, rights, death with the task, and a thread deleting itself.
#include <keel/ktest.h>
#include "ktest_util.h"

static volatile int flag[4];
static volatile uint64_t counter[4];
static volatile int64_t seen_err;

static void flags_clear(void)
{
    for (unsigned i = 0; i < 4; i++) {
        flag[i] = 0;
        counter[i] = 0;
    }
    seen_err = 0;
}

/* Counts in counter[i] until flag[i] is set, then exits. */
static void spinner(uint64_t i)
{
    while (!flag[i]) {
        counter[i]++;
    }
}

static void set_flag(uint64_t i)
{
    flag[i] = 1;
}

KTEST(thread_control_errors)
{
    uint64_t t = cap_new(), task;
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_THREAD, t), 0);
    REQUIRE(ktask_create(KEEL_ROOT_FACTORY, &task) >= 0);
    uint64_t utcb = KEEL_ROOT_UTCB_ADDR + 62 * KEEL_UTCB_SIZE; /* unused by the tests */
    CHECK_EQ(KOBJ(t, KEEL_THREAD_CONTROL, ~0ull, utcb, 0, 0), -KEEL_EINVAL); /* no task yet */
    CHECK_EQ(KOBJ(t, KEEL_THREAD_CONTROL, KEEL_ROOT_TASK, utcb, 0), -KEEL_EINVAL); /* too short */
    CHECK_EQ(KOBJ(t, KEEL_THREAD_CONTROL, KEEL_ROOT_FACTORY, utcb, 0, 0), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(t, KEEL_THREAD_CONTROL, 1000, utcb, 0, 0), -KEEL_ENOCAP);
    CHECK_EQ(KOBJ(t, KEEL_THREAD_CONTROL, KEEL_ROOT_TASK, utcb + 8, 0, 0), -KEEL_EFAULT);
    CHECK_EQ(KOBJ(t, KEEL_THREAD_CONTROL, KEEL_ROOT_TASK, utcb + 512, 0, 0), -KEEL_EFAULT);
    CHECK_EQ(KOBJ(t, KEEL_THREAD_CONTROL, KEEL_ROOT_TASK, 0x100000, 0, 0), -KEEL_EFAULT);
    CHECK_EQ(KOBJ(t, KEEL_THREAD_CONTROL, KEEL_ROOT_TASK,
                  KEEL_ROOT_UTCB_ADDR + (1ull << KEEL_ROOT_UTCB_ORDER), 0, 0), -KEEL_EFAULT);
    CHECK_EQ(KOBJ(t, KEEL_THREAD_CONTROL, KEEL_ROOT_TASK, KEEL_ROOT_UTCB_ADDR - KEEL_UTCB_SIZE, 0, 0),
             -KEEL_EFAULT);
    /* In a child task the area is smaller (16 KiB). */
    uint64_t t2 = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_THREAD, t2), 0);
    CHECK_EQ(KOBJ(t2, KEEL_THREAD_CONTROL, task, KEEL_ROOT_UTCB_ADDR + (1ull << CHILD_UTCB_ORDER), 0, 0),
             -KEEL_EFAULT);
    /* Missing W on the task. */
    uint64_t ro = cap_new();
    REQUIRE_EQ(ktask_give_cap(KEEL_ROOT_TASK, task, KEEL_CAP_R | KEEL_CAP_S, ro), 0);
    CHECK_EQ(KOBJ(t2, KEEL_THREAD_CONTROL, ro, KEEL_ROOT_UTCB_ADDR, 0, 0), -KEEL_EPERM);
    /* A good bind, a move to another slot of the same task, and no move to another task. */
    CHECK_EQ(KOBJ(t, KEEL_THREAD_CONTROL, KEEL_ROOT_TASK, utcb, 0, 0), 0);
    CHECK_EQ(KOBJ(t, KEEL_THREAD_CONTROL, ~0ull, utcb + KEEL_UTCB_SIZE, 0, ~0ull), 0);
    CHECK_EQ(KOBJ(t, KEEL_THREAD_CONTROL, task, KEEL_ROOT_UTCB_ADDR, 0, 0), -KEEL_EBUSY);
    CHECK_EQ(thread_state(t), 0); /* bound, but never given a pc */
    cap_free(ro);
    cap_free(t2);
    cap_free(t);
    cap_free(task);
}

KTEST(thread_ex_regs_errors)
{
    uint64_t t = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_THREAD, t), 0);
    CHECK_EQ(KOBJ(t, KEEL_THREAD_EX_REGS, 0x1000, 0x2000, 0), -KEEL_EINVAL); /* unbound */
    CHECK_EQ(thread_state(t), 0);
    REQUIRE_EQ(KOBJ(t, KEEL_THREAD_CONTROL, KEEL_ROOT_TASK, KEEL_ROOT_UTCB_ADDR + 62 * KEEL_UTCB_SIZE, 0, 0), 0);
    CHECK_EQ(KOBJ(t, KEEL_THREAD_EX_REGS, 0x1000, 0x2000), -KEEL_EINVAL); /* too short */
    CHECK_EQ(KOBJ(t, KEEL_THREAD_EX_REGS, 1ull << 39, 0x2000, 0), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(t, KEEL_THREAD_EX_REGS, ~0ull, 0x2000, 0), -KEEL_ERANGE);
    CHECK_EQ(thread_state(t), 0); /* none of that started it */
    CHECK_EQ(KOBJ(t, 99), -KEEL_EPROTO);
    cap_free(t);
}

KTEST(thread_operations_need_w_right)
{
    flags_clear();
    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, KEEL_ROOT_TASK, spinner, 0, 0, 0), 0);
    uint64_t ro = cap_new();
    REQUIRE_EQ(ktask_give_cap(KEEL_ROOT_TASK, t.cap, KEEL_CAP_R, ro), 0);
    CHECK_EQ(KOBJ(ro, KEEL_THREAD_CONTROL, ~0ull, t.utcb, 0, ~0ull), -KEEL_EPERM);
    CHECK_EQ(KOBJ(ro, KEEL_THREAD_EX_REGS, 0, 0, KEEL_EXREGS_KEEP_PC | KEEL_EXREGS_KEEP_SP), -KEEL_EPERM);
    CHECK_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_RUN, ro, 0, 10, 0), -KEEL_EPERM);
    CHECK_EQ(KOBJ(ro, KEEL_THREAD_STATS), 0);
    CHECK_EQ(KOBJ(ro, KEEL_THREAD_STATE), 1);
    uint64_t none = cap_new();
    REQUIRE_EQ(ktask_give_cap(KEEL_ROOT_TASK, t.cap, 0, none), 0);
    CHECK_EQ(KOBJ(none, KEEL_THREAD_STATE), -KEEL_EPERM);
    CHECK_EQ(KOBJ(none, KEEL_ANY_TYPE), KEEL_OBJ_THREAD);
    flag[0] = 1;
    cap_free(none);
    cap_free(ro);
    kthread_free(&t);
}

KTEST(thread_ex_regs_returns_old_pc_and_sp)
{
    struct kthread t;
    kthread_prepare(&t);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_THREAD, t.cap), 0);
    t.task = KEEL_ROOT_TASK;
    t.utcb = KEEL_ROOT_UTCB_ADDR + 62 * KEEL_UTCB_SIZE;
    REQUIRE_EQ(KOBJ(t.cap, KEEL_THREAD_CONTROL, KEEL_ROOT_TASK, t.utcb, 0, 0), 0);
    uint64_t top = (uint64_t)(uintptr_t)t.stack + KEEL_PAGE_SIZE;
    /* A fresh thread has pc = sp = 0; this starts it in kthread_exit (waits forever). */
    REQUIRE_EQ(KOBJ(t.cap, KEEL_THREAD_EX_REGS, (uint64_t)(uintptr_t)kthread_exit, top, 0), 0);
    CHECK_EQ(keel_utcb()->mr[0], 0);
    CHECK_EQ(keel_utcb()->mr[1], 0);
    REQUIRE(wait_state(t.cap, 2, 1000));
    /* Now it sits in the system call inside kthread_exit, its stack a little below the top. */
    REQUIRE_EQ(KOBJ(t.cap, KEEL_THREAD_EX_REGS, 0, 0, KEEL_EXREGS_KEEP_PC | KEEL_EXREGS_KEEP_SP), 0);
    uint64_t pc = keel_utcb()->mr[0], sp = keel_utcb()->mr[1];
    CHECK(pc > (uint64_t)(uintptr_t)kthread_exit && pc < (uint64_t)(uintptr_t)kthread_exit + 64);
    CHECK(sp <= top && sp > top - 256);
    /* Keeping both changed nothing; a second look gives the same values. */
    REQUIRE_EQ(KOBJ(t.cap, KEEL_THREAD_EX_REGS, 0, 0, KEEL_EXREGS_KEEP_PC | KEEL_EXREGS_KEEP_SP), 0);
    CHECK_EQ(keel_utcb()->mr[0], pc);
    CHECK_EQ(keel_utcb()->mr[1], sp);
    CHECK_EQ(thread_state(t.cap), 2);
    t.utcb = 0; /* not from the allocator */
    kthread_free(&t);
}

/* Waits (open, NEVER); notes the error in seen_err and sets flag[1]. Then waits again. */
static void receive_once(uint64_t unused)
{
    (void)unused;
    uint64_t tag = keel_wait(KEEL_TIMEOUT_NEVER, 0);
    seen_err = ipc_err(tag);
    flag[1] = 1;
}

/* Sends through gate arg (NEVER); notes the error in seen_err and sets flag[1]. */
static void send_once(uint64_t gate)
{
    uint64_t tag = keel_send(gate, keel_tag(0, 0, 0), KEEL_TIMEOUT_NEVER);
    seen_err = ipc_err(tag);
    flag[1] = 1;
}

KTEST(thread_ex_regs_cancel_aborts_ipc)
{
    flags_clear();
    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, KEEL_ROOT_TASK, receive_once, 0, 0, 0), 0);
    REQUIRE(wait_state(t.cap, 2, 1000));
    /* Without CANCEL the wait goes on. */
    REQUIRE_EQ(KOBJ(t.cap, KEEL_THREAD_EX_REGS, 0, 0, KEEL_EXREGS_KEEP_PC | KEEL_EXREGS_KEEP_SP), 0);
    sleep_us(5000);
    CHECK_EQ(flag[1], 0);
    CHECK_EQ(thread_state(t.cap), 2);
    REQUIRE_EQ(KOBJ(t.cap, KEEL_THREAD_EX_REGS, 0, 0,
                    KEEL_EXREGS_CANCEL | KEEL_EXREGS_KEEP_PC | KEEL_EXREGS_KEEP_SP), 0);
    REQUIRE(wait_flag(&flag[1], 1000));
    CHECK_EQ(seen_err, -KEEL_ECANCELED);
    kthread_free(&t);

    /* A queued sender is taken out of the queue. */
    flags_clear();
    uint64_t g = kgate_create(KEEL_ROOT_FACTORY, KEEL_ROOT_THREAD, 0);
    REQUIRE(g);
    REQUIRE_EQ(kthread_start_arg(&t, KEEL_ROOT_TASK, send_once, g, 0, 0), 0);
    REQUIRE(wait_state(t.cap, 2, 1000));
    REQUIRE_EQ(KOBJ(t.cap, KEEL_THREAD_EX_REGS, 0, 0,
                    KEEL_EXREGS_CANCEL | KEEL_EXREGS_KEEP_PC | KEEL_EXREGS_KEEP_SP), 0);
    REQUIRE(wait_flag(&flag[1], 1000));
    CHECK_EQ(seen_err, -KEEL_ECANCELED);
    uint64_t tag = keel_wait(KEEL_TIMEOUT_ZERO, 0);
    CHECK(keel_tag_is_error(tag)); /* nothing was left queued for us */
    CHECK_EQ(keel_ipc_error(), -KEEL_ETIMEOUT);
    /* Cancelling a thread that is not in IPC does nothing. */
    CHECK_EQ(KOBJ(t.cap, KEEL_THREAD_EX_REGS, 0, 0,
                  KEEL_EXREGS_CANCEL | KEEL_EXREGS_KEEP_PC | KEEL_EXREGS_KEEP_SP), 0);
    kthread_free(&t);
    cap_free(g);
}

KTEST(thread_ex_regs_redirects_running_thread)
{
    flags_clear();
    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, KEEL_ROOT_TASK, spinner, 0, 0, 0), 0);
    unsigned ncpu = cpus_online();
    if (ncpu > 1) {
        REQUIRE_EQ(kthread_place(&t, 1, ROOT_PRIO, 0), 0); /* running there while we look */
        REQUIRE(wait_state(t.cap, 1, 100));
        uint64_t c0 = counter[0], t0 = now_us();
        while (counter[0] == c0 && now_us() - t0 < 1000000) {
        }
        REQUIRE(counter[0] != c0);
    } else {
        /* Let it spin a little (it runs while we sleep, and is preempted when we wake): as
         * long as that takes on a loaded host, not a fixed 2 ms (its first run may come late). */
        for (unsigned i = 0; i < 2000 && counter[0] == 0; i++) {
            sleep_us(1000);
        }
        REQUIRE(counter[0] != 0);
    }
    /* Send it to set_flag(2) on a fresh frame at the top of its stack. */
    uint64_t *top = (uint64_t *)((char *)t.stack + KEEL_PAGE_SIZE) - 2;
    top[0] = 2;
    top[1] = (uint64_t)(uintptr_t)set_flag;
    extern char ktest_thread_entry[];
    REQUIRE_EQ(KOBJ(t.cap, KEEL_THREAD_EX_REGS, (uint64_t)(uintptr_t)ktest_thread_entry,
                    (uint64_t)(uintptr_t)top, 0), 0);
    CHECK(wait_flag(&flag[2], 1000));
    CHECK(wait_state(t.cap, 2, 1000)); /* and then it waits in kthread_exit */
    uint64_t c = counter[0];
    sleep_us(2000);
    CHECK_EQ(counter[0], c); /* no longer spinning */
    kthread_free(&t);
}

KTEST(thread_state_follows_its_life)
{
    flags_clear();
    uint64_t t = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_THREAD, t), 0);
    CHECK_EQ(thread_state(t), 0); /* new */
    cap_free(t);
    struct kthread s;
    REQUIRE_EQ(kthread_start_arg(&s, KEEL_ROOT_TASK, receive_once, 0, 0, 0), 0);
    CHECK_EQ(thread_state(s.cap), 1); /* ready: we run at a higher priority */
    REQUIRE(wait_state(s.cap, 2, 1000)); /* then blocked in its receive */
    uint64_t g = kgate_create(KEEL_ROOT_FACTORY, s.cap, 0);
    REQUIRE(g);
    CHECK_EQ(ipc_err(keel_send(g, keel_tag(0, 0, 0), KEEL_TIMEOUT_NEVER)), 0);
    REQUIRE(wait_flag(&flag[1], 1000));
    CHECK_EQ(seen_err, 0);
    CHECK(wait_state(s.cap, 2, 1000)); /* in kthread_exit's wait */
    cap_free(g);
    kthread_free(&s);
}

KTEST(thread_stats_count_time_and_switches)
{
    flags_clear();
    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, KEEL_ROOT_TASK, spinner, 0, 0, 0), 0);
    REQUIRE_EQ(KOBJ(t.cap, KEEL_THREAD_STATS), 0);
    CHECK_EQ(keel_utcb()->mr[0], 0); /* has not run yet */
    CHECK_EQ(keel_utcb()->mr[1], 0);
    CHECK_EQ(keel_utcb()->mr[2], 0);
    sleep_us(30000); /* it runs while we sleep */
    REQUIRE_EQ(KOBJ(t.cap, KEEL_THREAD_STATS), 0);
    uint64_t ns = keel_utcb()->mr[0], sw = keel_utcb()->mr[1];
    CHECK(ns >= 10000000ull);  /* at least 10 of the 30 ms */
    CHECK(ns <= 200000000ull); /* and not absurdly more */
    CHECK(sw >= 1);
    /* Our own statistics grow as we run. */
    REQUIRE_EQ(KOBJ(KEEL_ROOT_THREAD, KEEL_THREAD_STATS), 0);
    uint64_t mine = keel_utcb()->mr[0];
    spin_us(5000);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_THREAD, KEEL_THREAD_STATS), 0);
    CHECK(keel_utcb()->mr[0] >= mine + 4000000ull);
    CHECK_EQ(keel_utcb()->mr[2], 0); /* the root thread lives on CPU 0 */
    flag[0] = 1;
    kthread_free(&t);
}

KTEST(thread_of_destroyed_task_is_dead)
{
    flags_clear();
    uint64_t task;
    REQUIRE(ktask_create(KEEL_ROOT_FACTORY, &task) >= 0);
    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, task, receive_once, 0, 0, 0), 0);
    REQUIRE(wait_state(t.cap, 2, 1000));
    uint64_t g = kgate_create(KEEL_ROOT_FACTORY, t.cap, 0);
    REQUIRE(g);
    cap_free(task);
    CHECK_EQ(thread_state(t.cap), KEEL_THREAD_STATE_DEAD);
    CHECK_EQ(KOBJ(t.cap, KEEL_THREAD_EX_REGS, 0, 0, KEEL_EXREGS_KEEP_PC | KEEL_EXREGS_KEEP_SP), -KEEL_ENOENT);
    CHECK_EQ(KOBJ(t.cap, KEEL_THREAD_CONTROL, ~0ull, t.utcb, 0, 0), -KEEL_ENOENT);
    CHECK_EQ(kthread_place(&t, 0, 10, 0), -KEEL_ENOENT);
    CHECK(keel_tag_is_error(keel_send(g, keel_tag(0, 0, 0), KEEL_TIMEOUT_NEVER)));
    CHECK_EQ(keel_ipc_error(), -KEEL_ENOENT);
    CHECK_EQ(flag[1], 0); /* its receive never came back */
    cap_free(g);
    kthread_free(&t);
}

/* Releases its own (only) capability, then counts: it must not get that far. */
static volatile uint64_t after_suicide;
static void suicide(uint64_t mycap)
{
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, mycap);
    for (;;) {
        after_suicide++;
        keel_receive(mycap, 1000, 0); /* a timeout that would outlive the thread */
    }
}

KTEST(thread_deleting_itself_stops)
{
    after_suicide = 0;
    struct kthread t;
    kthread_prepare(&t);
    uint64_t before = factory_used(KEEL_ROOT_FACTORY);
    REQUIRE_EQ(kthread_run(&t, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, suicide, t.cap, 0, 0), 0);
    /* It runs when this CPU has time for it: on an emulator sharing a busy host that can take
     * well over the 20 ms this used to allow. */
    for (unsigned i = 0; i < 5000 && KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, t.cap) != 0; i++) {
        sleep_us(1000);
    }
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, t.cap), 0);
    CHECK_EQ(after_suicide, 0);
    sleep_us(5000); /* any timeout it left armed would fire now */
    CHECK_EQ(factory_used(KEEL_ROOT_FACTORY), before);
    kthread_free(&t);
}

KTEST(thread_killed_while_running_on_other_cpus)
{
    /* A task whose threads spin on every CPU goes away, threads and all, while they run. */
    unsigned n = cpus_online();
    struct kthread t[8];
    uint64_t f = cap_new(), task = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, f, 2ull << 20), 0);
    for (unsigned round = 0; round < 3; round++) {
        flags_clear();
        REQUIRE(ktask_create_in(f, task) >= 0);
        for (unsigned i = 0; i < n && i < 4; i++) {
            kthread_prepare(&t[i]);
            REQUIRE_EQ(kthread_run(&t[i], f, task, spinner, i, 0, 0), 0);
            /* Below us on CPU 0, alone on the others. */
            REQUIRE_EQ(kthread_place(&t[i], i, i ? ROOT_PRIO : 50, 0), 0);
        }
        /* Wait until those on other CPUs run (counting). */
        for (unsigned i = 1; i < n && i < 4; i++) {
            uint64_t t0 = now_us();
            while (counter[i] == 0 && now_us() - t0 < 1000000) {
            }
            CHECK(counter[i] != 0);
        }
        /* The task first (its threads die with it), then the thread capabilities. */
        if (round == 1) {
            for (unsigned i = 0; i < n && i < 4; i++) {
                KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, t[i].cap);
            }
        }
        KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, task);
        for (unsigned i = 1; i < n && i < 4; i++) {
            uint64_t c = counter[i];
            sleep_us(5000);
            CHECK_EQ(counter[i], c); /* stopped */
        }
        for (unsigned i = 0; i < n && i < 4; i++) {
            kthread_free(&t[i]);
        }
        uint64_t used = factory_used(f);
        for (unsigned i = 0; i < 500 && used; i++) {
            sleep_us(1000);
            used = factory_used(f);
        }
        CHECK_EQ(used, 0);
    }
    cap_free(task);
    cap_free(f);
}
