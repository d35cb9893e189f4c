// SPDX-License-Identifier: MIT
// Platform_control CPU_OFF / CPU_ON: threads leave a CPU that goes off, and it comes back.
#include <keel/ktest.h>
#include "ktest_util.h"

static volatile int cpu_ctl_woken;

static void wait_then_note(void)
{
    keel_wait(KEEL_TIMEOUT_NEVER, 0);
    cpu_ctl_woken = 1;
    kthread_exit();
}

static uint64_t online_mask(void)
{
    KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_INFO);
    return keel_utcb()->mr[1];
}

static int64_t thread_cpu_of(uint64_t t)
{
    int64_t r = KOBJ(t, KEEL_THREAD_STATS);
    return r < 0 ? r : (int64_t)keel_utcb()->mr[2];
}

KTEST(platform_cpu_off_and_on)
{
    uint64_t ncpu = rt_kip()->cpu_count;
    CHECK_EQ(KOBJ(KEEL_ROOT_PLATFORM, KEEL_PLATFORM_CPU_OFF, 0), -KEEL_ERANGE); /* the boot CPU */
    CHECK_EQ(KOBJ(KEEL_ROOT_PLATFORM, KEEL_PLATFORM_CPU_OFF, ncpu), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(KEEL_ROOT_PLATFORM, KEEL_PLATFORM_CPU_ON, 1ull << 40), -KEEL_ERANGE);
    if (ncpu < 2) {
        CHECK_EQ(KOBJ(KEEL_ROOT_PLATFORM, KEEL_PLATFORM_CPU_OFF, 1), -KEEL_ERANGE);
        return;
    }
    unsigned cpu = (unsigned)ncpu - 1;
    /* A thread homed on that CPU, blocked in a receive. */
    cpu_ctl_woken = 0;
    struct kthread t;
    REQUIRE_EQ(kthread_start(&t, KEEL_ROOT_TASK, wait_then_note, 0, 0), 0);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_RUN, t.cap, cpu, 100, 0), 0);
    CHECK_EQ(thread_cpu_of(t.cap), cpu);
    uint64_t g = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_GATE, g, t.cap, 0), 0);

    REQUIRE_EQ(KOBJ(KEEL_ROOT_PLATFORM, KEEL_PLATFORM_CPU_OFF, cpu), 0);
    CHECK_EQ(online_mask() & (1ull << cpu), 0);
    CHECK_EQ(thread_cpu_of(t.cap), 0); /* moved to the boot CPU */
    CHECK_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_RUN, t.cap, cpu, 100, 0), -KEEL_ERANGE);
    /* It still works where it went. */
    uint64_t tag = keel_send(g, keel_tag(0, 0, 0), KEEL_TIMEOUT_NEVER);
    CHECK(!keel_tag_is_error(tag));
    CHECK(wait_flag(&cpu_ctl_woken, 1000));

    /* On again. The firmware refuses until the stopped hart has finished its stop, which takes
     * that hart's turn on the host: up to seconds with four emulated harts on a busy two-core
     * host (100 ms was seen to be too short on riscv64). */
    int64_t r = -KEEL_EBUSY;
    for (unsigned i = 0; i < 10000 && r == -KEEL_EBUSY; i++) {
        r = KOBJ(KEEL_ROOT_PLATFORM, KEEL_PLATFORM_CPU_ON, cpu);
        if (r == -KEEL_EBUSY) {
            sleep_us(1000);
        }
    }
    CHECK_EQ(r, 0);
    for (unsigned i = 0; i < 10000 && !(online_mask() & (1ull << cpu)); i++) {
        sleep_us(1000);
    }
    CHECK(online_mask() & (1ull << cpu));
    CHECK_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_RUN, t.cap, cpu, 100, 0), 0);
    CHECK_EQ(thread_cpu_of(t.cap), cpu);
    cap_free(g);
    kthread_free(&t);
}
