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

int main(void)
{
    freq = rt_kip()->timer_freq;
    null_syscall();
    ipc_round_trip("ipc-call-reply-same-cpu", 0);
    if (rt_kip()->cpu_count > 1) {
        ipc_round_trip("ipc-call-reply-cross-cpu", 1);
    }
    printf("BENCH DONE\n");
    rt_flush();
    KOBJ(KEEL_ROOT_PLATFORM, KEEL_PLATFORM_POWER_OFF);
    return 0;
}
