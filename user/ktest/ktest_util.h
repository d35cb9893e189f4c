/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the kernel test suite: threads and tasks that share the test program's image,
 * capability slots, timing, and a few architecture probes (a load, a store and an undefined
 * instruction at known addresses, for the fault tests).
 *
 * Every thread made here runs fn(arg) on a page of its own as stack; when fn returns it waits
 * forever (kthread_exit). Threads in child tasks see the root task's image (text, data, bss) at
 * the same addresses, so tests exchange results through volatile globals.
 */
#pragma once
#include <stdint.h>
#include <keel/sys.h>
#include <keel/rt.h>
#include <keel/ktest.h>

#define CHILD_UTCB_ORDER 14 /* 16 KiB: 16 UTCBs per child task */
#define ROOT_PRIO 100       /* the root thread's priority (set by the kernel) */

struct kthread {
    uint64_t cap;   /* thread capability in the root task */
    uint64_t task;  /* the task cap it runs in */
    uint64_t utcb;  /* its UTCB address (in its task) */
    void *stack;    /* one page, mapped at the same address in its task */
};

typedef void (*kthread_fn)(uint64_t arg);

/* A whole page of the root task's UTCB area no thread uses (a state area), and back. */
uint64_t root_utcb_page_alloc(void);
void root_utcb_page_free(uint64_t va);

/* CHECK that a < b (unsigned), showing both values when not. */
#define CHECK_LT(a, b)                                                                       \
    do {                                                                                     \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                                     \
        if (!(a_ < b_)) {                                                                    \
            ktest_fail(__FILE__, __LINE__, #a " < " #b, (int64_t)a_, (int64_t)b_);           \
        }                                                                                    \
    } while (0)

/* The error of an IPC's returned tag: 0 or -keel_err. */
static inline int64_t ipc_err(uint64_t tag)
{
    return keel_tag_is_error(tag) ? keel_ipc_error() : 0;
}

void ktest_init(void);
/* A new capability slot; released again by cap_free(). */
uint64_t cap_new(void);
void cap_free(uint64_t cap);
/* A new slot whose capability-table leaf already exists, so that filling it later costs the
 * root task no kernel memory (for tests that compare kernel memory before and after). */
uint64_t cap_new_warm(void);

/* Creates a thread in task (KEEL_ROOT_TASK or a child) that runs fn(arg); pager/exc: gate caps
 * in that task or 0. Returns 0 or -err. */
int kthread_start(struct kthread *t, uint64_t task, void (*fn)(void), uint64_t pager, uint64_t exc);
int kthread_start_arg(struct kthread *t, uint64_t task, kthread_fn fn, uint64_t arg, uint64_t pager,
                      uint64_t exc);
/* The same in two steps, with the thread object from `factory`: prepare takes a (warm) cap slot
 * and a stack page; run creates, binds and starts the thread. */
void kthread_prepare(struct kthread *t);
int kthread_run(struct kthread *t, uint64_t factory, uint64_t task, kthread_fn fn, uint64_t arg,
                uint64_t pager, uint64_t exc);
void kthread_free(struct kthread *t);
/* Scheduler RUN: cpu, priority, quantum (us, 0: keep). Returns the label. */
int64_t kthread_place(const struct kthread *t, unsigned cpu, unsigned prio, uint64_t quantum_us);
/* Thread STATE / STATS cpu of a thread cap. */
int64_t thread_state(uint64_t cap);
uint64_t thread_cpu(uint64_t cap);
/* Polls the thread's STATE until it is `state`, at most about `ms` milliseconds. */
int wait_state(uint64_t cap, int64_t state, unsigned ms);

/* A child task whose address space holds this program's image and the Vcon at KEEL_ROOT_VCON. */
int64_t ktask_create(uint64_t factory, uint64_t *cap);
/* The same into the given (empty) slot. */
int64_t ktask_create_in(uint64_t factory, uint64_t cap);
/* Maps one root page into task at the same address. */
int64_t ktask_map_page(uint64_t task, void *page, unsigned rights);
/* Maps root capability `src` into task's slot `dst` with `rights`. */
int64_t ktask_give_cap(uint64_t task, uint64_t src, unsigned rights, uint64_t dst);
/* MEM_INFO of addr in task: rights (0 when unmapped). */
uint64_t ktask_mem_rights(uint64_t task, uint64_t addr);
/* MEM_INFO of addr in task: the order of the mapping that holds it (12, 21; 0 when unmapped). */
unsigned ktask_mem_order(uint64_t task, uint64_t addr);
/* A gate from `factory` bound to thread cap `thread` (~0: unbound); 0 on failure. */
uint64_t kgate_create(uint64_t factory, uint64_t thread, uint64_t label);

/* Ends the calling thread: waits forever. */
__attribute__((noreturn)) void kthread_exit(void);
/* Busy-waits until *flag becomes nonzero or about `ms` milliseconds pass; returns the flag. */
int wait_flag(volatile int *flag, unsigned ms);
/* Sleeps by an IPC receive timeout. */
void sleep_us(uint32_t us);
/* Spins without entering the kernel for `us` microseconds. */
void spin_us(uint64_t us);
uint64_t now_us(void);
uint64_t factory_used(uint64_t factory);
uint64_t kmem_free(void);
/* Polls until kernel memory free is `expect` (threads still current on another CPU are freed
 * when it switches away); returns the last value seen. */
uint64_t kmem_free_settled(uint64_t expect);
unsigned cpus_online(void);
/* Checks that the kernel still works: a thread and a gate made, 50 calls through it, an Irq
 * triggered and received (test_fuzz.c). Returns at the first failure, which it records. */
void ktest_check_kernel_alive(void);

/* Architecture probes (ktest_util.c). The load / store / undefined instruction sit at the
 * *_insn labels, which is the pc the kernel reports for a fault there. */
uint64_t ktest_load(uint64_t addr);
void ktest_store(uint64_t addr, uint64_t value);
void ktest_undef(void);
extern char ktest_load_insn[], ktest_store_insn[], ktest_undef_insn[];
/* Where a new thread starts ([sp] = arg, [sp + 8] = fn): it calls fn(arg), then exits. */
extern char ktest_thread_entry[];
#if defined(__aarch64__)
#define KTEST_UNDEF_CAUSE 0u /* ESR_EL2.EC: unknown reason */
#define KTEST_UNDEF_LEN 4u
#elif defined(__riscv)
#define KTEST_UNDEF_CAUSE 2u /* scause: illegal instruction */
#define KTEST_UNDEF_LEN 4u
#elif defined(__x86_64__)
#define KTEST_UNDEF_CAUSE 6u /* #UD */
#define KTEST_UNDEF_LEN 2u /* ud2 */
#endif
