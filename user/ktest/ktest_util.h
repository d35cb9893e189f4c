/* SPDX-License-Identifier: MIT */
/* Helpers of the kernel test suite: threads and tasks that share the test program's image. */
#pragma once
#include <stdint.h>
#include <keel/sys.h>
#include <keel/rt.h>

#define CHILD_UTCB_ORDER 14 /* 16 KiB: 16 UTCBs per child task */

struct kthread {
    uint64_t cap;   /* thread capability in the root task */
    uint64_t utcb;  /* its UTCB address (in its task) */
    void *stack;    /* one page, mapped at the same address in its task */
};

void ktest_init(void);
/* A new capability slot; released again by cap_free(). */
uint64_t cap_new(void);
void cap_free(uint64_t cap);
/* Creates a thread in task (KEEL_ROOT_TASK or a child) that runs fn; pager/exc: gate caps in
 * that task or 0. Returns 0 or -err. */
int kthread_start(struct kthread *t, uint64_t task, void (*fn)(void), uint64_t pager, uint64_t exc);
void kthread_free(struct kthread *t);
/* A child task whose address space holds this program's image and the Vcon at KEEL_ROOT_VCON. */
int64_t ktask_create(uint64_t factory, uint64_t *cap);
/* Maps one root page into task at the same address. */
int64_t ktask_map_page(uint64_t task, void *page, unsigned rights);
/* Ends the calling thread: waits forever. */
__attribute__((noreturn)) void kthread_exit(void);
/* Busy-waits until *flag becomes nonzero or about `ms` milliseconds pass; returns the flag. */
int wait_flag(volatile int *flag, unsigned ms);
/* Sleeps by an IPC receive timeout. */
void sleep_us(uint32_t us);
uint64_t factory_used(uint64_t factory);
uint64_t kmem_free(void);
