// SPDX-License-Identifier: MIT
// Threads and tasks for the root task's programs (see keel/spawn.h).
#include <keel/spawn.h>
#include <keel/rt.h>

extern char __image_start[], __image_end[];

int rt_thread_start(struct rt_thread *t, uint64_t task, uint64_t utcb, void (*fn)(void),
                    uint64_t pager, uint64_t exc)
{
    t->cap = rt_cap_alloc();
    t->stack = rt_page_alloc();
    t->utcb = utcb;
    if (!t->stack) {
        return -KEEL_ENOMEM;
    }
    int64_t r = KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_THREAD, t->cap);
    if (r >= 0 && task != KEEL_ROOT_TASK) {
        r = rt_task_map_page(task, t->stack, KEEL_FP_RW);
    }
    if (r >= 0) {
        r = KOBJ(t->cap, KEEL_THREAD_CONTROL, task, utcb, pager, exc);
    }
    if (r >= 0) {
        r = KOBJ(t->cap, KEEL_THREAD_EX_REGS, (uint64_t)(uintptr_t)fn,
                 (uint64_t)(uintptr_t)t->stack + KEEL_PAGE_SIZE, 0);
    }
    return r < 0 ? (int)r : 0;
}

int64_t rt_task_map_page(uint64_t task, void *page, unsigned rights)
{
    uint64_t a = (uint64_t)(uintptr_t)page;
    return KOBJ(task, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_mem(a, 12, rights), a);
}

int64_t rt_task_create(uint64_t factory, uint64_t cap)
{
    int64_t r = KOBJ(factory, KEEL_FACTORY_TASK, cap,
                     keel_fpage_mem(KEEL_ROOT_UTCB_ADDR, SPAWN_CHILD_UTCB_ORDER, KEEL_FP_RW));
    /* The program image: text, data and bss, at the same addresses (2 MiB flexpages). */
    uint64_t start = (uint64_t)(uintptr_t)__image_start & ~((1ull << 21) - 1);
    for (uint64_t a = start; r >= 0 && a < (uint64_t)(uintptr_t)__image_end; a += 1ull << 21) {
        r = KOBJ(cap, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_mem(a, 21, KEEL_FP_RWX), a);
    }
    if (r >= 0) {
        r = KOBJ(cap, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                 keel_fpage_cap(KEEL_ROOT_VCON, 0, KEEL_CAP_ALL), KEEL_ROOT_VCON);
    }
    return r;
}

int64_t rt_thread_run(uint64_t thread, unsigned cpu, unsigned prio, uint64_t quantum_us)
{
    return KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_RUN, thread, cpu, prio, quantum_us);
}
