// SPDX-License-Identifier: MIT
/*
 * Kernel benchmarks, run as the root task under QEMU -icount shift=0 (the virtual clock advances
 * one nanosecond per instruction, so counter ticks convert to instructions). Prints one line per
 * figure: "BENCH <name> <instructions per operation>".
 */
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/spawn.h>
#include <format.h>

#define ROUNDS 10000

static uint64_t freq;

/* Instructions for `ticks` counter ticks (1 instruction = 1 ns under -icount shift=0). */
static uint64_t instructions(uint64_t ticks)
{
    return ticks * 1000000000ull / freq;
}

static void report(const char *name, uint64_t ticks, uint64_t ops)
{
    /* Tenths of an instruction per operation, to keep the figures comparable. */
    uint64_t x10 = instructions(ticks) * 10 / ops;
    printf("BENCH %s %lu.%lu\n", name, (unsigned long)(x10 / 10), (unsigned long)(x10 % 10));
}

static void null_syscall(void)
{
    uint64_t t0 = keel_cycles();
    for (unsigned i = 0; i < ROUNDS; i++) {
        keel_sys_invoke(0, 0, 0, 0); /* no operation: enter and leave the kernel */
    }
    report("null-syscall", keel_cycles() - t0, ROUNDS);
}

/* The server: replies to every call with the same words. */
static void echo_server(void)
{
    uint64_t tag = keel_wait(KEEL_TIMEOUT_NEVER, 0);
    for (;;) {
        tag = keel_reply_wait(keel_tag(0, keel_tag_words(tag), 0), KEEL_TIMEOUT_NEVER, 0);
    }
}

static void ipc_round_trip(const char *name, unsigned server_cpu)
{
    uint64_t task = rt_cap_alloc(), gate = rt_cap_alloc();
    struct rt_thread server;
    if (rt_task_create(KEEL_ROOT_FACTORY, task) < 0 ||
        rt_thread_start(&server, task, KEEL_ROOT_UTCB_ADDR, echo_server, 0, 0) < 0 ||
        rt_thread_run(server.cap, server_cpu, 100, 0) < 0 ||
        KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_GATE, gate, server.cap, 1) < 0) {
        printf("BENCH %s failed to set up\n", name);
        return;
    }
    keel_call(gate, keel_tag(0, 2, 0), KEEL_NEVER, 0); /* warm up: server waiting */
    uint64_t t0 = keel_cycles();
    for (unsigned i = 0; i < ROUNDS; i++) {
        keel_call(gate, keel_tag(0, 2, 0), KEEL_NEVER, 0);
    }
    uint64_t dt = keel_cycles() - t0;
    char n[64];
    report(name, dt, ROUNDS);
    snformat(n, sizeof(n), "%s-one-way", name);
    report(n, dt, 2 * ROUNDS);
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, gate);
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, server.cap);
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, task);
}

/* Bounded kernel work (docs/kernel.md): how long the kernel keeps interrupts off (and the big
 * lock held) at a stretch while it builds and tears down large spaces. CPU 0 builds a delegation
 * chain of TEARDOWN_CHAIN tasks ending in a 256 MiB address space (one page mapped 65536 times,
 * by Task MAPs of 2 MiB flexpages), unmaps that space in one Task UNMAP, builds it again, and
 * destroys the chain's first task, which revokes everything below it; then it replaces and
 * releases what was passed on (revoke_by_map_and_release) and destroys a task with 64 threads. An observer at a higher
 * priority on the same CPU sleeps 1 ms at a time and keeps how late it woke: its timer interrupt
 * waits for the next preemption point. On one CPU under -icount the virtual time
 * is this CPU's instructions alone (a second CPU would interleave its own slices of QEMU's round
 * robin). */
#define TEARDOWN_WINDOW 0x10000000ull
#define TEARDOWN_BASE 0x40000000ull
#define TEARDOWN_CHAIN 8
#define TEARDOWN_COPIES 128
/* How late a 1 ms tick of a guest may at most come (50 ms of virtual time under -icount
 * shift=0); bench/<arch>-teardown-lock-wait fails above it. */
#define TEARDOWN_LATE_LIMIT 50000000ull

static volatile int observer_stop, observer_done, observer_measure;
static volatile uint64_t observer_worst, observer_wakes;

static void observer(void)
{
    uint64_t period = freq / 1000;
    while (!observer_stop) {
        uint64_t t0 = keel_cycles();
        keel_wait(1000, 0);
        uint64_t dt = keel_cycles() - t0, late = dt > period ? dt - period : 0;
        if (observer_measure && late > observer_worst) {
            observer_worst = late;
        }
        observer_wakes += observer_measure;
    }
    observer_done = 1;
    keel_wait(KEEL_TIMEOUT_NEVER, 0);
}

static int64_t teardown_chain(const uint64_t *chain, uint64_t page)
{
    int64_t r = 0;
    for (unsigned i = 0; i <= TEARDOWN_CHAIN && r >= 0; i++) {
        r = KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, chain[i], 0, 0);
    }
    for (uint64_t off = 0; off < (1ull << 21) && r >= 0; off += KEEL_PAGE_SIZE) {
        r = KOBJ(chain[0], KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_mem(page, 12, KEEL_FP_RW),
                 TEARDOWN_WINDOW + off);
    }
    for (unsigned i = 1; i < TEARDOWN_CHAIN && r >= 0; i++) {
        r = KOBJ(chain[i], KEEL_TASK_MAP, chain[i - 1],
                 keel_fpage_mem(TEARDOWN_WINDOW, 21, KEEL_FP_RW), TEARDOWN_WINDOW);
    }
    for (uint64_t c = 0; c < TEARDOWN_COPIES && r >= 0; c++) {
        r = KOBJ(chain[TEARDOWN_CHAIN], KEEL_TASK_MAP, chain[TEARDOWN_CHAIN - 1],
                 keel_fpage_mem(TEARDOWN_WINDOW, 21, KEEL_FP_RW), TEARDOWN_BASE + (c << 21));
    }
    return r;
}

/* Replacing and releasing what was passed on: the chain again, then one Task MAP of a 2 MiB block
 * over the window of the chain's last but one task (each of its 512 pages has 128 copies below,
 * revoked first: 65536 revocations in one call), and a capability passed on 4096 times, released
 * in one Task RELEASE. */
#define FANOUT_CAPS 4096
static int64_t revoke_by_map_and_release(uint64_t *chain, uint64_t page)
{
    void *block = rt_pages_alloc_aligned(512, 1ull << 21);
    uint64_t gate = rt_cap_alloc(), holder = rt_cap_alloc();
    int64_t r = block ? teardown_chain(chain, page) : -KEEL_ENOMEM;
    if (r >= 0) {
        r = KOBJ(chain[TEARDOWN_CHAIN - 1], KEEL_TASK_MAP, KEEL_ROOT_TASK,
                 keel_fpage_mem((uint64_t)(uintptr_t)block, 21, KEEL_FP_RW), TEARDOWN_WINDOW);
    }
    for (unsigned i = 0; i <= TEARDOWN_CHAIN; i++) {
        KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, chain[i]);
    }
    if (r >= 0) {
        r = KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_GATE, gate, ~0ull, 0); /* unbound */
    }
    if (r >= 0) {
        r = KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, holder, 0, 0);
    }
    for (unsigned i = 0; i < FANOUT_CAPS && r >= 0; i++) {
        r = KOBJ(holder, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_cap(gate, 0, KEEL_CAP_ALL),
                 1024 + i);
    }
    if (r >= 0) {
        r = KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, gate);
    }
    if (r >= 0 && KOBJ(holder, KEEL_TASK_CAP_VALID, 1024 + FANOUT_CAPS - 1) != 0) {
        r = -KEEL_EEXIST; /* a copy outlived the release */
    }
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, holder);
    return r;
}

/* A task with as many threads as it can have (its UTCB area is at most 16 pages: 64 UTCBs), never
 * started, destroyed: its threads are killed in the teardown's steps too. */
#define MANY_THREADS 64
static int64_t many_threads_destroyed(void)
{
    uint64_t task = rt_cap_alloc(), thread = rt_cap_alloc();
    const uint64_t utcbs = 0x40000000ull; /* 64 KiB of UTCBs */
    int64_t r = KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, task, keel_fpage_mem(utcbs, 16, KEEL_FP_RW));
    for (unsigned i = 0; i < MANY_THREADS && r >= 0; i++) {
        r = KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_THREAD, thread);
        if (r >= 0) {
            r = KOBJ(thread, KEEL_THREAD_CONTROL, task, utcbs + i * KEEL_UTCB_SIZE, 0, 0);
        }
        if (r >= 0) { /* its capability lives in the task: the thread goes with it */
            r = KOBJ(task, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_cap(thread, 0, KEEL_CAP_ALL),
                     16 + i);
        }
        KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, thread);
    }
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, task);
    return r;
}

static void teardown_interrupts_off(void)
{
    uint64_t *page = rt_page_alloc();
    uint64_t chain[TEARDOWN_CHAIN + 1];
    for (unsigned i = 0; i <= TEARDOWN_CHAIN; i++) {
        chain[i] = rt_cap_alloc();
    }
    struct rt_thread obs;
    if (!page ||
        rt_thread_start(&obs, KEEL_ROOT_TASK, KEEL_ROOT_UTCB_ADDR + 8 * KEEL_UTCB_SIZE, observer, 0,
                        0) < 0 ||
        rt_thread_run(obs.cap, 0, 200, 0) < 0) {
        printf("BENCH teardown failed to set up\n");
        return;
    }
    keel_wait(5000, 0); /* the observer gets going */
    observer_measure = 1;
    if (teardown_chain(chain, (uint64_t)(uintptr_t)page) < 0 ||
        KOBJ(chain[TEARDOWN_CHAIN], KEEL_TASK_UNMAP, keel_fpage_mem(TEARDOWN_BASE, 28, KEEL_FP_RWX),
             KEEL_UNMAP_SELF) < 0) {
        printf("BENCH teardown failed to set up\n");
        return;
    }
    for (unsigned i = 0; i <= TEARDOWN_CHAIN; i++) {
        KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, chain[i]);
    }
    if (teardown_chain(chain, (uint64_t)(uintptr_t)page) < 0) {
        printf("BENCH teardown failed to set up\n");
        return;
    }
    uint64_t t0 = keel_cycles();
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, chain[0]);
    uint64_t took = keel_cycles() - t0;
    for (unsigned i = 1; i <= TEARDOWN_CHAIN; i++) {
        KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, chain[i]);
    }
    if (revoke_by_map_and_release(chain, (uint64_t)(uintptr_t)page) < 0 ||
        many_threads_destroyed() < 0) {
        printf("BENCH teardown failed to set up\n");
        return;
    }
    observer_measure = 0;
    observer_stop = 1;
    while (!observer_done) {
        keel_wait(1000, 0);
    }
    uint64_t worst = instructions(observer_worst);
    printf("BENCH irq-off-max-map-unmap-teardown %lu\n", (unsigned long)worst);
    printf("BENCH teardown-256mib-chain %lu\n", (unsigned long)instructions(took));
    printf("bench: the observer woke %lu times meanwhile\n",
           (unsigned long)observer_wakes);
    printf("%s\n", worst < TEARDOWN_LATE_LIMIT && observer_wakes > 2 ? "TEARDOWN LATENCY OK"
                                                                      : "TEARDOWN LATENCY TOO LONG");
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, obs.cap);
}

int main(void)
{
    freq = rt_kip()->timer_freq;
    null_syscall();
    ipc_round_trip("ipc-call-reply-same-cpu", 0);
    if (rt_kip()->cpu_count > 1) {
        ipc_round_trip("ipc-call-reply-cross-cpu", 1);
    }
    teardown_interrupts_off();
    printf("BENCH DONE\n");
    rt_flush();
    KOBJ(KEEL_ROOT_PLATFORM, KEEL_PLATFORM_POWER_OFF);
    return 0;
}
