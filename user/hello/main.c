// SPDX-License-Identifier: MIT
// A program the root task starts: greets, uses some heap (page faults served by the root task),
// and exits with a status the root task reports. With args "overrun" it touches memory beyond
// its budget and is stopped. Given the Scheduler (keel,scheduler), it moves itself to the next
// CPU, says where it runs, and finds it cannot raise its priority.
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/progenv.h>
#include <string.h>

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
    if (KOBJ(KEEL_PROG_SCHEDULER, KEEL_ANY_TYPE) == KEEL_OBJ_SCHEDULER &&
        KOBJ(KEEL_PROG_SCHEDULER, KEEL_SCHED_INFO) == 0) {
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
