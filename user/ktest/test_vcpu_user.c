// SPDX-License-Identifier: MIT
// Plain vCPU mode (uapi/keel/vcpu_user.h): Irqs enter at the thread's entry point under its
// virtual interrupt flag, and VCPU_USER_RESUME goes back to where it was.
#include <keel/ktest.h>
#include "ktest_util.h"
#include <uapi/keel/vcpu_user.h>
#include <string.h>

static struct keel_vcpu_user *vu_area;
static uint64_t vu_thread;
static volatile uint64_t vu_spins, vu_entered, vu_label, vu_event;

static void vu_spinner(uint64_t arg)
{
    (void)arg;
    for (;;) {
        vu_spins = vu_spins + 1;
    }
}

/* The entry: note the event, turn the flag back on, and go back to what was interrupted. */
static void vu_entry(uint64_t arg)
{
    (void)arg;
    vu_label = vu_area->label;
    vu_event = vu_area->event;
    vu_entered = vu_entered + 1;
    vu_area->flags |= KEEL_VCPU_USER_IRQ_ON;
    KOBJ(vu_thread, KEEL_THREAD_VCPU_USER_RESUME);
    for (;;) { /* not reached: the resume leaves through the saved frame */
    }
}

static int wait_for(volatile uint64_t *v, uint64_t value)
{
    for (unsigned i = 0; i < 2000 && *v != value; i++) {
        sleep_us(1000);
    }
    return *v == value;
}

KTEST(vcpu_user_irq_enters_under_the_flag_and_resume_returns)
{
    struct kthread t;
    kthread_prepare(&t);
    REQUIRE_EQ(kthread_run(&t, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, vu_spinner, 0, 0, 0), 0);
    REQUIRE_EQ(kthread_place(&t, cpus_online() > 1 ? 1 : 0, 50, 0), 0);
    vu_thread = t.cap;
    uint64_t area = root_utcb_page_alloc();
    REQUIRE(area);
    vu_area = (struct keel_vcpu_user *)(uintptr_t)area;
    memset(vu_area, 0, sizeof(*vu_area));
    uint64_t *stack = rt_page_alloc();
    REQUIRE(stack);
    uint64_t *top = (uint64_t *)((char *)stack + KEEL_PAGE_SIZE) - 2;
    top[0] = 0;
    top[1] = (uint64_t)(uintptr_t)vu_entry;
    extern char ktest_thread_entry[];
    uint64_t entry = (uint64_t)(uintptr_t)ktest_thread_entry, sp = (uint64_t)(uintptr_t)top;

    /* Bad areas and entries are refused. */
    CHECK_EQ(KOBJ(t.cap, KEEL_THREAD_VCPU_USER, area + 8, entry, sp), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(t.cap, KEEL_THREAD_VCPU_USER, (uint64_t)(uintptr_t)stack, entry, sp), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(t.cap, KEEL_THREAD_VCPU_USER, area, 1ull << 62, sp), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(t.cap, KEEL_THREAD_VCPU_USER), -KEEL_EINVAL);
    REQUIRE_EQ(KOBJ(t.cap, KEEL_THREAD_VCPU_USER, area, entry, sp), 0);
    /* Resuming is the thread's own business. */
    CHECK_EQ(KOBJ(t.cap, KEEL_THREAD_VCPU_USER_RESUME), -KEEL_EINVAL);

    uint64_t irq = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ, irq), 0);
    REQUIRE_EQ(KOBJ(irq, KEEL_IRQ_ATTACH, t.cap, 0x77), 0);

    /* Flag off: the event waits, the thread runs on. */
    REQUIRE_EQ(KOBJ(irq, KEEL_IRQ_TRIGGER), 0);
    uint64_t s0 = vu_spins;
    sleep_us(30000);
    CHECK_EQ(vu_entered, 0);
    CHECK(vu_spins != s0);
    /* Flag on: it enters (at the thread's next way out of the kernel, a timer tick at most). */
    vu_area->flags = KEEL_VCPU_USER_IRQ_ON;
    CHECK(wait_for(&vu_entered, 1));
    CHECK_EQ(vu_label, 0x77);
    CHECK_EQ(vu_event, KEEL_VCPU_USER_EV_IRQ);
    CHECK_EQ(vu_area->entries, 1);
    /* Resumed: the loop goes on where it was. */
    uint64_t s1 = vu_spins;
    sleep_us(30000);
    CHECK(vu_spins != s1);
    /* With the flag on, the next one enters at once (an IPI if it runs elsewhere). */
    REQUIRE_EQ(KOBJ(irq, KEEL_IRQ_TRIGGER), 0);
    CHECK(wait_for(&vu_entered, 2));
    CHECK_EQ(vu_area->entries, 2);
    uint64_t s2 = vu_spins;
    sleep_us(30000);
    CHECK(vu_spins != s2);

    CHECK_EQ(KOBJ(t.cap, KEEL_THREAD_VCPU_USER, 0, 0, 0), 0);
    cap_free(irq);
    kthread_free(&t);
    rt_page_free(stack);
    root_utcb_page_free(area);
}

/* user_task: the vCPU runs a program in another task; every trap of it enters at the entry. */

#if defined(__aarch64__)
enum { UT_PC = 32, UT_SP = 31, UT_RET = 0 };
#elif defined(__riscv)
enum { UT_PC = 32, UT_SP = 2, UT_RET = 10 };
#elif defined(__x86_64__)
enum { UT_PC = 17, UT_SP = 20, UT_RET = 14 };
#endif
#define UT_LOG 8
#define UT_SYSCALL_ANSWER 0x5ca1100ull

struct ut_entry_log {
    uint64_t event, saved_flags, pc, a, b;
};

static struct keel_vcpu_user *ut_area;
static uint64_t ut_thread, ut_task, ut_ro, ut_vm, ut_nocap, ut_prog_sp;
static void *ut_fresh;
static volatile int ut_go, ut_task_deleted;
static volatile int64_t ut_refused_vm, ut_refused_nocap, ut_refused_own, ut_refused_ro;
static volatile uint64_t ut_n, ut_loaded, ut_sys, ut_spins, ut_gone;
static struct ut_entry_log ut_log[UT_LOG];

/* The program in user_task (the task holds this image at the same addresses). It touches no
 * UTCB: what the kernel sees of it are its traps. */
static void ut_program(uint64_t canary)
{
    ktest_store(canary, 0xbad); /* not mapped in this task: the entry maps a page of its own */
    ut_loaded = ktest_load(canary);
    ut_sys = keel_call(KEEL_ROOT_FACTORY, keel_tag(KEEL_PROTO_KOBJ, 1, 0), KEEL_NEVER, 0);
    ktest_undef();
    for (;;) {
        ut_spins = ut_spins + 1;
    }
}

/* The vCPU's entry, in its own task: what a guest kernel does with its process's traps. */
static void ut_entry(uint64_t arg)
{
    (void)arg;
    struct keel_vcpu_user *a = ut_area;
    uint64_t *f = a->frame;
    struct ut_entry_log e = { a->event, a->saved_flags, f[UT_PC], 0, 0 };
    switch (a->event) {
    case KEEL_VCPU_USER_EV_PAGE_FAULT:
        e.a = a->addr;
        e.b = a->access;
        if (!ut_task_deleted) {
            KOBJ(ut_task, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                 keel_fpage_mem((uint64_t)(uintptr_t)ut_fresh, 12, KEEL_FP_RW), a->addr & ~4095ull);
        }
        break;
    case KEEL_VCPU_USER_EV_SYSCALL:
        e.a = f[UT_RET]; /* the call's tag */
        f[UT_RET] = UT_SYSCALL_ANSWER;
        break;
    case KEEL_VCPU_USER_EV_EXCEPTION:
        e.a = a->cause;
        f[UT_PC] += KTEST_UNDEF_LEN;
        break;
    case KEEL_VCPU_USER_EV_IRQ:
        e.a = a->label;
        break;
    }
    if (ut_n < UT_LOG) {
        ut_log[ut_n] = e;
    }
    ut_n = ut_n + 1;
    if (ut_task_deleted) {
        ut_gone = 1; /* its program is gone with its task: the vCPU stays in its own */
        kthread_exit();
    }
    a->flags = a->saved_flags | KEEL_VCPU_USER_IRQ_ON;
    KOBJ(ut_thread, KEEL_THREAD_VCPU_USER_RESUME);
}

static void ut_frame_init(uint64_t *f, uint64_t pc, uint64_t sp)
{
    for (unsigned i = 0; i < KEEL_VCPU_USER_FRAME_WORDS; i++) {
        f[i] = 0;
    }
    f[UT_PC] = pc;
    f[UT_SP] = sp;
#if defined(__riscv)
    __asm__("mv %0, gp" : "=r"(f[3]));
#endif
}

static void ut_vcpu_main(uint64_t arg)
{
    (void)arg;
    while (!ut_go) {
        sleep_us(1000);
    }
    struct keel_vcpu_user *a = ut_area;
    extern char ktest_thread_entry[];
    ut_frame_init(a->frame, (uint64_t)(uintptr_t)ktest_thread_entry, ut_prog_sp);
    a->flags = KEEL_VCPU_USER_USER_MODE;
    a->user_task = ut_vm;
    ut_refused_vm = KOBJ(ut_thread, KEEL_THREAD_VCPU_USER_RESUME);
    a->user_task = ut_nocap;
    ut_refused_nocap = KOBJ(ut_thread, KEEL_THREAD_VCPU_USER_RESUME);
    a->user_task = KEEL_ROOT_TASK;
    ut_refused_own = KOBJ(ut_thread, KEEL_THREAD_VCPU_USER_RESUME);
    a->user_task = ut_ro;
    ut_refused_ro = KOBJ(ut_thread, KEEL_THREAD_VCPU_USER_RESUME);
    a->user_task = ut_task;
    a->flags = KEEL_VCPU_USER_USER_MODE | KEEL_VCPU_USER_IRQ_ON;
    KOBJ(ut_thread, KEEL_THREAD_VCPU_USER_RESUME);
}

KTEST(vcpu_user_task_runs_a_program_in_another_task_whose_traps_all_enter)
{
    /* Everything the root task itself needs comes first (touched pages, warm slots), so that
     * kernel memory can be compared at the end. */
    struct kthread t;
    kthread_prepare(&t);
    ut_task = cap_new_warm();
    ut_ro = cap_new_warm();
    ut_vm = cap_new_warm();
    ut_nocap = cap_new();
    uint64_t irq = cap_new_warm();
    volatile uint64_t *canary = rt_page_alloc();
    uint64_t *prog_stack = rt_page_alloc(), *entry_stack = rt_page_alloc();
    ut_fresh = rt_page_alloc();
    uint64_t area = root_utcb_page_alloc();
    REQUIRE(canary && prog_stack && entry_stack && ut_fresh && area);
    canary[0] = 0;
    memset(prog_stack, 0, KEEL_PAGE_SIZE);
    memset(entry_stack, 0, KEEL_PAGE_SIZE);
    memset(ut_fresh, 0, KEEL_PAGE_SIZE);
    uint64_t kmem0 = kmem_free();

    REQUIRE_EQ(ktask_create_in(KEEL_ROOT_FACTORY, ut_task), 0);
    REQUIRE_EQ(ktask_give_cap(KEEL_ROOT_TASK, ut_task, KEEL_CAP_R, ut_ro), 0);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, ut_vm, 0, KEEL_TASK_VM), 0);
    /* The program's stack is shared; the canary page is the vCPU task's only. */
    REQUIRE_EQ(ktask_map_page(ut_task, prog_stack, KEEL_FP_RW), 0);
    REQUIRE_EQ(ktask_mem_rights(ut_task, (uint64_t)(uintptr_t)canary), 0);
    ut_area = (struct keel_vcpu_user *)(uintptr_t)area;
    memset(ut_area, 0, sizeof(*ut_area));
    uint64_t *ptop = prog_stack + KEEL_PAGE_SIZE / 8 - 2;
    ptop[0] = (uint64_t)(uintptr_t)canary;
    ptop[1] = (uint64_t)(uintptr_t)ut_program;
    ut_prog_sp = (uint64_t)(uintptr_t)ptop;
    uint64_t *etop = entry_stack + KEEL_PAGE_SIZE / 8 - 2;
    etop[0] = 0;
    etop[1] = (uint64_t)(uintptr_t)ut_entry;
    ut_go = ut_task_deleted = 0;
    ut_n = ut_spins = ut_gone = ut_loaded = ut_sys = 0;

    REQUIRE_EQ(kthread_run(&t, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, ut_vcpu_main, 0, 0, 0), 0);
    REQUIRE_EQ(kthread_place(&t, cpus_online() > 1 ? 1 : 0, 50, 0), 0);
    ut_thread = t.cap;
    extern char ktest_thread_entry[];
    REQUIRE_EQ(KOBJ(t.cap, KEEL_THREAD_VCPU_USER, area, (uint64_t)(uintptr_t)ktest_thread_entry,
                    (uint64_t)(uintptr_t)etop), 0);
    ut_go = 1;

    /* It runs the program to its loop: a page fault, a system call, an exception, each at the
     * entry, each resumed into the task. */
    CHECK(wait_for(&ut_n, 3));
    uint64_t s0 = ut_spins;
    sleep_us(20000);
    CHECK(ut_spins != s0);
    CHECK_EQ(ut_refused_vm, -KEEL_EINVAL);      /* a VM task runs guests, not programs */
    CHECK_EQ(ut_refused_nocap, -KEEL_ENOCAP);
    CHECK_EQ(ut_refused_own, -KEEL_EINVAL);     /* its own task is not another one */
    CHECK_EQ(ut_refused_ro, -KEEL_EPERM);       /* running in a task needs its W right */
    cap_free(ut_ro);
    CHECK_EQ(ut_log[0].event, KEEL_VCPU_USER_EV_PAGE_FAULT);
    CHECK_EQ(ut_log[0].a, (uint64_t)(uintptr_t)canary);
    CHECK_EQ(ut_log[0].b, KEEL_PF_WRITE);
    CHECK_EQ(ut_log[0].pc, (uint64_t)(uintptr_t)ktest_store_insn);
    CHECK_EQ(ut_log[0].saved_flags, KEEL_VCPU_USER_USER_MODE | KEEL_VCPU_USER_IRQ_ON);
    CHECK_EQ(ut_log[1].event, KEEL_VCPU_USER_EV_SYSCALL);
    CHECK_EQ(ut_log[1].a, keel_tag(KEEL_PROTO_KOBJ, 1, 0));
    CHECK_EQ(ut_log[2].event, KEEL_VCPU_USER_EV_EXCEPTION);
    CHECK_EQ(ut_log[2].a, KTEST_UNDEF_CAUSE);
    CHECK_EQ(ut_log[2].pc, (uint64_t)(uintptr_t)ktest_undef_insn);
    CHECK_EQ(ut_n, 3);
    CHECK_EQ(ut_area->entries, 3);
    /* Its store went to the page the entry gave the task, not to the vCPU task's page there;
     * its system call was answered by the entry, not by the kernel. */
    CHECK_EQ(canary[0], 0);
    CHECK_EQ(((volatile uint64_t *)ut_fresh)[0], 0xbad);
    CHECK_EQ(ut_loaded, 0xbad);
    CHECK_EQ(ut_sys, UT_SYSCALL_ANSWER);

    /* While it runs in the task it cannot be rebound; an Irq enters from the task and resumes. */
    CHECK_EQ(KOBJ(t.cap, KEEL_THREAD_VCPU_USER, 0, 0, 0), -KEEL_EBUSY);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ, irq), 0);
    REQUIRE_EQ(KOBJ(irq, KEEL_IRQ_ATTACH, t.cap, 0x99), 0);
    REQUIRE_EQ(KOBJ(irq, KEEL_IRQ_TRIGGER), 0);
    CHECK(wait_for(&ut_n, 4));
    CHECK_EQ(ut_log[3].event, KEEL_VCPU_USER_EV_IRQ);
    CHECK_EQ(ut_log[3].a, 0x99);
    CHECK_EQ(ut_log[3].saved_flags, KEEL_VCPU_USER_USER_MODE | KEEL_VCPU_USER_IRQ_ON);
    uint64_t s1 = ut_spins;
    sleep_us(20000);
    CHECK(ut_spins != s1);

    /* The task's last capability goes while the vCPU runs in it: its program faults, the fault
     * enters, and the vCPU goes on in its own task. */
    ut_task_deleted = 1;
    cap_free(ut_task);
    CHECK(wait_for(&ut_gone, 1));
    CHECK_EQ(ut_log[4].event, KEEL_VCPU_USER_EV_PAGE_FAULT);
    CHECK_EQ(ut_n, 5);
    CHECK(wait_state(t.cap, 2, 1000)); /* blocked: waiting in kthread_exit */

    kthread_free(&t);
    cap_free(irq);
    cap_free(ut_vm);
    cap_free(ut_nocap);
    rt_page_free((void *)canary);
    rt_page_free(prog_stack);
    rt_page_free(entry_stack);
    rt_page_free(ut_fresh);
    root_utcb_page_free(area);
    /* The task's memory came back with the vCPU's reference to it. */
    CHECK_EQ(kmem_free_settled(kmem0), kmem0);
}
