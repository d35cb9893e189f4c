// SPDX-License-Identifier: MIT
/*
 * What the lifetime fuzzer (test_lifetime_fuzz.c) found, each reduced to a short deterministic
 * case. Run them alone with "only=lfuzz_finding" in a ktest.conf in the initrd (docs/ktest.md).
 */
#include <keel/ktest.h>
#include "ktest_util.h"

#define KT_BIG_ORDER 24 /* 16 MiB mapped into a task: its teardown holds the kernel lock a while */

static volatile int kt_go;
static volatile uint64_t kt_delay; /* cycles the trapper waits after kt_go */

/* Spins until kt_go, waits kt_delay cycles, then executes an undefined instruction. */
static void kt_trapper(uint64_t unused)
{
    (void)unused;
    while (!kt_go) {
        __asm__ volatile("" ::: "memory");
    }
    uint64_t end = keel_cycles() + kt_delay;
    while (keel_cycles() < end) {
    }
    ktest_undef();
    kthread_exit();
}

/*
 * A thread killed while it traps into the kernel on another CPU runs its fault afterwards, dead.
 *
 * Thread t runs in task x on CPU 1 and executes an undefined instruction while CPU 0 holds the
 * kernel lock: its CPU waits in bkl_wait. CPU 0, in one call, releases a big task (its teardown
 * takes a while) and then x, which kills t: thread_teardown asks t's CPU to be in the kernel
 * (sched_ask), which bkl_wait answers, and marks t dead. Then CPU 1 takes the lock and goes on
 * with the trap: arch_trap_user_sync -> fault_exception() for t, which checks nothing (only the
 * system call path, invoke(), stops a thread killed on its way in). Its exception handler is
 * looked up in its dead task (ENOCAP) and halt_thread() sets it INACTIVE: the dead thread is
 * back, and Thread EX_REGS would start it again (thread_set_regs readies a bound inactive
 * thread; seen: EX_REGS then took it, it faulted in its empty task, and within a second the
 * kernel panicked, arm64 "kernel exception: ESR 0x97c38044 (EC 0x25) ... FAR 0x83e3a9401000",
 * x86_64 "kernel exception 14 (error 0x11) at rip 0x0", so this case no longer does that). With
 * a handler it can reach, kernel_ipc() queues the dead thread at the handler and blocks it; its
 * memory, whose last reference waits in percpu.reap for it to leave the CPU, is then freed while
 * it is still linked there: the fuzzer's panics (the kernel at pc 0 with lr 0, a memory
 * directory entry 0x500000000 in unmap_tables) and hangs came from that. arm64, riscv64 and
 * x86_64 alike: each trap path takes the lock and calls fault_page()/fault_exception().
 *
 * Expected: t is DEAD once the release returns. Up to 24 tries, the trap 0-575 us after the
 * release starts, stopping at the first t found otherwise (seen within a few tries on arm64 and
 * x86_64 with four CPUs; QEMU's round robin on riscv64 did not hit the window).
 */
KTEST(lfuzz_finding_a_thread_killed_while_it_traps_stays_dead)
{
    if (cpus_online() < 2) {
        return; /* needs a CPU for the trapping thread beside the root's */
    }
    void *big = rt_pages_alloc_aligned(1ull << (KT_BIG_ORDER - 12), 1ull << KT_BIG_ORDER);
    REQUIRE(big);
    /* Two adjacent slots, the first even: one UNMAP of a two-slot flexpage releases both, big
     * task first (teardowns run in the order the last capabilities went). */
    uint64_t c0 = rt_cap_alloc(), c1 = rt_cap_alloc(), c2 = rt_cap_alloc();
    uint64_t base = c0 % 2 == 0 ? c0 : c1;
    REQUIRE(c1 == c0 + 1 && c2 == c1 + 1);
    unsigned tries = 0;
    int64_t state = KEEL_THREAD_STATE_DEAD;
    for (unsigned i = 0; i < 24 && state == KEEL_THREAD_STATE_DEAD; i++) {
        kt_go = 0;
        kt_delay = rt_kip()->timer_freq / 1000000 * (25 * i);
        REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, base, 0), 0);
        REQUIRE_EQ(KOBJ(base, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                        keel_fpage_mem((uint64_t)(uintptr_t)big, KT_BIG_ORDER, KEEL_FP_RW), 0),
                   0);
        REQUIRE(ktask_create_in(KEEL_ROOT_FACTORY, base + 1) >= 0);
        struct kthread t;
        kthread_prepare(&t);
        REQUIRE_EQ(kthread_run(&t, KEEL_ROOT_FACTORY, base + 1, kt_trapper, 0, 0, 0), 0);
        REQUIRE_EQ(kthread_place(&t, 1, 50, 0), 0);
        sleep_us(2000); /* t spins on CPU 1 */
        kt_go = 1;
        uint64_t both = keel_fpage_cap(base, 1, KEEL_CAP_ALL);
        KOBJ(KEEL_ROOT_TASK, KEEL_TASK_UNMAP, both, KEEL_UNMAP_SELF);
        sleep_us(2000);
        state = thread_state(t.cap);
        tries++;
        t.utcb = 0;
        kthread_free(&t);
    }
    printf("lfuzz finding: %u tries; the last killed thread's state %ld (3 dead, 0 inactive)\n",
           tries, (long)state);
    CHECK_EQ(state, KEEL_THREAD_STATE_DEAD);
    cap_free(c0);
    cap_free(c1);
    cap_free(c2);
    for (uint64_t a = 0; a < 1ull << KT_BIG_ORDER; a += KEEL_PAGE_SIZE) {
        rt_page_free((char *)big + a);
    }
}
