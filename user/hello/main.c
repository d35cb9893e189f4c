// SPDX-License-Identifier: MIT
// A program the root task starts: greets, uses some heap (page faults served by the root task),
// and exits with a status the root task reports. With args "overrun" it touches memory beyond
// its budget and is stopped. Given the Scheduler (keel,scheduler), it moves itself to the next
// CPU, says where it runs, and finds it cannot raise its priority; with args "cpus" it tries every
// CPU instead (its partition), and with "spin" it spins for 300 ms and says how much of that its
// CPU-time budget let it run.
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/progenv.h>
#include <stdbool.h>
#include <string.h>

/* Moves itself to every CPU in turn: its partition decides where it may go. */
static void try_cpus(const struct keel_progenv *env, uint64_t cpus)
{
    for (uint64_t cpu = 0; cpu < cpus; cpu++) {
        int64_t r = KOBJ(KEEL_PROG_SCHEDULER, KEEL_SCHED_RUN, KEEL_ROOT_THREAD, cpu, env->priority,
                         0);
        KOBJ(KEEL_ROOT_THREAD, KEEL_THREAD_STATS);
        printf("%s: cpus: run on CPU %lu: %s, on CPU %lu\n", env->name, (unsigned long)cpu,
               keel_strerror(r), (unsigned long)keel_utcb()->mr[2]);
    }
}

/* Spins for 300 ms and says what share of them it ran, against its budget (if any; 10 points
 * over it are the emulator's late timer on a loaded host, not the budget's). */
static void spin(const struct keel_progenv *env, uint64_t budget_us, uint64_t period_us)
{
    KOBJ(KEEL_ROOT_THREAD, KEEL_THREAD_STATS);
    uint64_t ns0 = keel_utcb()->mr[0], t0 = keel_cycles(), len = env->timer_freq * 3 / 10;
    while (keel_cycles() - t0 < len) {
    }
    KOBJ(KEEL_ROOT_THREAD, KEEL_THREAD_STATS);
    uint64_t wall_ns = (keel_cycles() - t0) * 1000000000 / env->timer_freq;
    uint64_t pct = (keel_utcb()->mr[0] - ns0) * 100 / wall_ns;
    uint64_t allowed = period_us ? budget_us * 100 / period_us : 100;
    printf("%s: spun 300 ms, ran %lu %% of it: %s its budget of %lu %%\n", env->name,
           (unsigned long)pct, pct <= allowed + 10 ? "within" : "BEYOND", (unsigned long)allowed);
}

int main(void)
{
    const struct keel_progenv *env = rt_progenv();
    if (!env) {
        printf("hello: not started by the root task\n");
        return 1;
    }
    printf("hello from %s (args \"%s\")\n", env->name, env->args);
    uint64_t *heap = (uint64_t *)(uintptr_t)KEEL_PROG_HEAP_BASE;
    uint64_t words = env->heap_size / 8, sum = 0;
    for (uint64_t i = 0; i < words; i += 512) { /* one word per page: every page faults once */
        heap[i] = i;
        sum += heap[i];
    }
    printf("%s: %lu KiB of heap, checksum %lu\n", env->name, (unsigned long)(env->heap_size >> 10),
           (unsigned long)sum);
    bool sched = KOBJ(KEEL_PROG_SCHEDULER, KEEL_ANY_TYPE) == KEEL_OBJ_SCHEDULER &&
                 KOBJ(KEEL_PROG_SCHEDULER, KEEL_SCHED_INFO) == 0;
    if (sched && strcmp(env->args, "cpus") == 0) {
        try_cpus(env, keel_utcb()->mr[0]);
    } else if (sched && strcmp(env->args, "spin") == 0) {
        spin(env, keel_utcb()->mr[5], keel_utcb()->mr[6]);
    } else if (sched) {
        uint64_t to = (env->cpu + 1) % keel_utcb()->mr[0];
        int64_t r = KOBJ(KEEL_PROG_SCHEDULER, KEEL_SCHED_RUN, KEEL_ROOT_THREAD, to, env->priority, 0);
        KOBJ(KEEL_ROOT_THREAD, KEEL_THREAD_STATS);
        printf("%s: scheduler: run on CPU %lu: %s, now on CPU %lu\n", env->name,
               (unsigned long)to, keel_strerror(r), (unsigned long)keel_utcb()->mr[2]);
        r = KOBJ(KEEL_PROG_SCHEDULER, KEEL_SCHED_RUN, KEEL_ROOT_THREAD, to, env->priority + 1, 0);
        printf("%s: scheduler: priority %lu: %s\n", env->name,
               (unsigned long)env->priority + 1, keel_strerror(r));
    }
    if (strcmp(env->args, "overrun") == 0) {
        rt_flush();
        heap[words] = 1; /* one page past the budget: the root task refuses it */
        printf("%s: FAIL: still running after an overrun\n", env->name);
    }
    return (int)(sum % 251);
}
