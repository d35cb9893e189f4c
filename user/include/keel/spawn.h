/* SPDX-License-Identifier: MIT */
/* Threads and tasks for the root task's programs (tests, benchmarks): a child task shares the
 * program's image (mapped at the same addresses) and gets its own UTCB area and capabilities. */
#pragma once
#include <stdint.h>
#include <keel/sys.h>

#define SPAWN_CHILD_UTCB_ORDER 14 /* 16 KiB: 16 UTCBs per child task */

struct rt_thread {
    uint64_t cap;  /* thread capability in the root task */
    uint64_t utcb; /* its UTCB address (in its task) */
    void *stack;   /* one page, mapped at the same address in its task */
};

/* Creates a thread in task (KEEL_ROOT_TASK or a child made by rt_task_create) running fn with
 * utcb at the given UTCB address; pager/exc: gate caps in that task or 0. Returns 0 or -err. */
int rt_thread_start(struct rt_thread *t, uint64_t task, uint64_t utcb, void (*fn)(void),
                    uint64_t pager, uint64_t exc);
/* Creates a child task at capability `cap` from factory: this program's image and the Vcon
 * (at KEEL_ROOT_VCON) mapped in, UTCB area at KEEL_ROOT_UTCB_ADDR. Returns 0 or -err. */
int64_t rt_task_create(uint64_t factory, uint64_t cap);
/* Maps one of the root task's pages into task at the same address. */
int64_t rt_task_map_page(uint64_t task, void *page, unsigned rights);
/* Places a thread: CPU, priority, quantum (us, 0: keep). */
int64_t rt_thread_run(uint64_t thread, unsigned cpu, unsigned prio, uint64_t quantum_us);
