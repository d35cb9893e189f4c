// SPDX-License-Identifier: MIT
/*
 * A thread killed while the kernel works for it starts nothing new and never runs again (and a
 * refused binding changes nothing). Written as reproductions by a review of the kobj_link change
 * (813dcea): each case failed, or crashed the kernel, before the fixes that followed it; their
 * commits name the code paths. A killed thread used to set new links, become a handler's
 * reply_to and a timeout's target, be freed, and then be woken by the reply or the timeout.
 */
#include "ktest_util.h"
#include <string.h>

#if defined(__aarch64__)
#include <uapi/keel/vcpu.h>

#define RV_GUEST_PA 0x80000000ull
#define RV_TRIES 5

static uint64_t rv_vm, rv_area;
static volatile int rv_in_guest, rv_after, rv_bind_err;
static volatile uint64_t rv_after_tag;

/* A VMM thread whose guest makes the kernel's null hypercall in a loop: every one takes the big
 * lock on the way out of the guest. The resume is SEND|RECV|OPEN with a receive timeout: a kernel
 * object call, then an open wait. Nothing after the call may run once the thread is killed. */
static void rv_vcpu(uint64_t self)
{
    struct keel_vcpu_state *s = (struct keel_vcpu_state *)(uintptr_t)rv_area;
    if (KOBJ(self, KEEL_THREAD_VCPU, rv_vm, rv_area) != 0) {
        rv_bind_err = 1;
        kthread_exit();
    }
    memset(s, 0, sizeof(*s));
    s->pc = RV_GUEST_PA;
    s->pstate = 0x3c5;         /* EL1h, DAIF masked */
    s->sys.sctlr_el1 = 0x30d00800; /* MMU off */
    keel_utcb()->mr[0] = KEEL_THREAD_VCPU_RESUME;
    rv_in_guest = 1;
    uint64_t label = 0;
    uint64_t tag = keel_sys_invoke(keel_tag(KEEL_PROTO_KOBJ, 1, 0),
                                   keel_sel(self, KEEL_OP_SEND | KEEL_OP_RECV | KEEL_OP_OPEN),
                                   KEEL_TIMEOUTS(0, 20000), &label);
    rv_after_tag = tag;
    rv_after = 1; /* a killed thread must never get here */
    kthread_exit();
}

/* A VMM thread killed (its last capability released) while its guest runs: its CPU leaves the
 * guest for a null hypercall and waits for the big lock while the kill runs; then arch_vcpu_run
 * sees state != READY and returns EXIT_EVENT into the rest of the system call, whose open receive
 * blocks the dead thread with a timeout armed. The thread is freed when its CPU switches away;
 * the timeout still fires on it (per-CPU timeout list -> freed thread) and makes it ready again. */
KTEST(lifetime_vcpu_thread_killed_in_its_guest_does_no_more_of_its_system_call)
{
    if (cpus_online() < 2) {
        return;
    }
    uint32_t *page = rt_page_alloc();
    REQUIRE(page);
    page[0] = 0xd2b8c000; /* mov x0, #0xc6000000 (KEEL_HVC_NULL) */
    page[1] = 0xd4000002; /* hvc #0 */
    page[2] = 0x17fffffe; /* b page[0] */
    rv_vm = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, rv_vm, 0, KEEL_TASK_VM), 0);
    REQUIRE_EQ(KOBJ(rv_vm, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                    keel_fpage_mem((uint64_t)(uintptr_t)page, 12, KEEL_FP_RWX), RV_GUEST_PA),
               0);
    rv_area = root_utcb_page_alloc();
    REQUIRE(rv_area);
    for (unsigned i = 0; i < RV_TRIES && !ktest_failed_now; i++) {
        rv_in_guest = rv_after = rv_bind_err = 0;
        rv_after_tag = 0;
        struct kthread t;
        kthread_prepare(&t);
        REQUIRE_EQ(kthread_run(&t, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, rv_vcpu, t.cap, 0, 0), 0);
        REQUIRE_EQ(kthread_place(&t, 1, 1, 0), 0);
        REQUIRE(wait_flag(&rv_in_guest, 2000));
        sleep_us(20000); /* well inside its guest loop */
        CHECK_EQ(rv_bind_err, 0);
        CHECK_EQ(rv_after, 0);
        /* The kill: its last capability. */
        REQUIRE_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, t.cap), 0);
        sleep_us(100000); /* the 20 ms receive timeout would have fired */
        CHECK_EQ(rv_after, 0);
        if (rv_after) {
            printf("ktest: try %u: the killed vCPU thread returned from its system call with tag "
                   "0x%lx\n",
                   i, (unsigned long)rv_after_tag);
        }
        kthread_free(&t); /* (the slot is empty already) */
    }
    root_utcb_page_free(rv_area);
    cap_free(rv_vm);
    rt_page_free(page);
}
#endif

/* ---- A thread killed while its exception waits for the big lock ---- */

#define RF_COPY_BASE 16384u /* copies of the victim's capability in a child task: a long revoke */
#define RF_COPY_ORDER 13u
#define RF_TRIES 32

static volatile uint64_t rf_count, rf_replies, rf_reply_errs;

/* Takes exceptions in a loop; its handler skips each undefined instruction. */
static void rf_victim(uint64_t arg)
{
    (void)arg;
    for (;;) {
        ktest_undef();
        rf_count = rf_count + 1;
    }
}

/* The victim's exception handler, on the victim's CPU above it: reply-and-wait. */
static void rf_handler(uint64_t arg)
{
    (void)arg;
    uint64_t label = 0, tag = keel_wait(KEEL_TIMEOUT_NEVER, &label);
    for (;;) {
        if (keel_tag_is_error(tag) || keel_tag_label(tag) != KEEL_PROTO_EXCEPTION) {
            tag = keel_wait(KEEL_TIMEOUT_NEVER, &label);
            continue;
        }
        struct keel_utcb *u = keel_utcb();
        uint64_t pc = u->mr[1], sp = u->mr[2];
        u->mr[0] = pc + KTEST_UNDEF_LEN;
        u->mr[1] = sp;
        rf_replies = rf_replies + 1;
        tag = keel_reply_wait(keel_tag(0, 2, 0), KEEL_TIMEOUT_NEVER, &label);
    }
}

/* A thread killed (its last capability released) while its CPU, on the way in with an
 * exception, waits for the big lock: fault_exception() runs for the dead thread anyway (only the
 * system-call path tests for that), its kernel IPC links it to the handler and makes it the
 * handler's reply_to, and it is freed when its CPU switches away. The handler's reply then
 * reaches freed memory (ipc_reply -> transfer -> wake -> sched_ready) and the dead thread runs
 * again. Racy: the victim must trap while the kill's system call holds the lock (a revoke of
 * 2^13 copies of its capability makes that last), so it is tried several times. */
KTEST_DEADLINE(lifetime_thread_killed_while_its_exception_waits_for_the_lock_stays_dead, 120)
{
    if (cpus_online() < 2) {
        return;
    }
    struct kthread h;
    kthread_prepare(&h);
    REQUIRE_EQ(kthread_run(&h, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, rf_handler, 0, 0, 0), 0);
    REQUIRE_EQ(kthread_place(&h, 1, 2, 0), 0);
    uint64_t gate = kgate_create(KEEL_ROOT_FACTORY, h.cap, 0x7e);
    REQUIRE(gate);
    REQUIRE(wait_state(h.cap, 2, 1000));
    for (unsigned i = 0; i < RF_TRIES && !ktest_failed_now; i++) {
        uint64_t k;
        REQUIRE(ktask_create(KEEL_ROOT_FACTORY, &k) >= 0);
        struct kthread t;
        kthread_prepare(&t);
        REQUIRE_EQ(kthread_run(&t, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, rf_victim, 0, 0, gate), 0);
        /* 2^13 copies of its capability in k, all descendants of the root task's. */
        REQUIRE_EQ(ktask_give_cap(k, t.cap, KEEL_CAP_ALL, RF_COPY_BASE), 0);
        for (unsigned j = 0; j < RF_COPY_ORDER; j++) {
            REQUIRE_EQ(KOBJ(k, KEEL_TASK_MAP, k, keel_fpage_cap(RF_COPY_BASE, j, KEEL_CAP_ALL),
                            RF_COPY_BASE + (1u << j)),
                       0);
        }
        rf_count = 0;
        REQUIRE_EQ(kthread_place(&t, 1, 1, 0), 0);
        for (unsigned w = 0; w < 1000 && rf_count < 50; w++) {
            sleep_us(1000);
        }
        REQUIRE(rf_count >= 50); /* it loops through its handler */
        uint64_t t0 = now_us();
        REQUIRE_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, t.cap), 0); /* the kill */
        uint64_t t1 = now_us();
        uint64_t c0 = rf_count;
        sleep_us(50000);
        uint64_t c1 = rf_count;
        printf("ktest: try %u: kill took %lu us, the killed thread went on %lu times\n", i,
               (unsigned long)(t1 - t0), (unsigned long)(c1 - c0));
        CHECK_EQ(c1, c0); /* a killed thread runs nothing after its kill */
        kthread_free(&t);
        cap_free(k);
    }
    kthread_free(&h);
    cap_free(gate);
}

#if defined(__aarch64__)
/* ---- arm64 TPIDR_EL0 in plain vCPU mode ---- */
#include <uapi/keel/vcpu_user.h>

static volatile uint64_t tp_prog_saw, tp_entry_saw;
static volatile int tp_done, tp_go;
static uint64_t tp_thread, tp_task, tp_prog_sp, tp_area;

static uint64_t tp_read(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, tpidr_el0" : "=r"(v));
    return v;
}

static void tp_write(uint64_t v)
{
    __asm__ volatile("msr tpidr_el0, %0" ::"r"(v));
}

/* The program in user_task: what thread pointer does it find, and which one does it leave? */
static void tp_program(uint64_t arg)
{
    (void)arg;
    tp_prog_saw = tp_read();
    tp_write(0xbbbb0000bbbbull);
    ktest_undef(); /* enters the vCPU's entry */
    for (;;) {
    }
}

/* The vCPU's entry, in its own task. */
static void tp_entry(uint64_t arg)
{
    (void)arg;
    tp_entry_saw = tp_read();
    tp_done = 1;
    kthread_exit();
}

static void tp_vcpu_main(uint64_t arg)
{
    (void)arg;
    while (!tp_go) {
        sleep_us(1000);
    }
    tp_write(0xaaaa0000aaaaull); /* the vCPU's own thread pointer (its TLS) */
    struct keel_vcpu_user *a = (struct keel_vcpu_user *)(uintptr_t)tp_area;
    extern char ktest_thread_entry[];
    for (unsigned i = 0; i < KEEL_VCPU_USER_FRAME_WORDS; i++) {
        a->frame[i] = 0;
    }
    a->frame[32] = (uint64_t)(uintptr_t)ktest_thread_entry; /* pc */
    a->frame[31] = tp_prog_sp;                              /* sp */
    a->user_task = tp_task;
    a->flags = KEEL_VCPU_USER_USER_MODE;
    KOBJ(tp_thread, KEEL_THREAD_VCPU_USER_RESUME);
    kthread_exit();
}

/* Plain vCPU mode runs user_task (another task, another protection domain) on the vCPU thread.
 * TPIDR_EL0 is in no frame: the program in user_task starts with the vCPU's own thread pointer,
 * and the value the program leaves is what the vCPU's entry finds (its TLS pointer, chosen by
 * the program it supervises). riscv64 and x86_64 keep tp / r15 in the frame and reload the UTCB
 * pointer at the entry. */
KTEST(lifetime_arm64_vcpu_and_its_user_task_program_keep_their_own_thread_pointers)
{
    struct kthread t;
    kthread_prepare(&t);
    tp_task = cap_new_warm();
    uint64_t *prog_stack = rt_page_alloc(), *entry_stack = rt_page_alloc();
    tp_area = root_utcb_page_alloc();
    REQUIRE(prog_stack && entry_stack && tp_area);
    memset((void *)(uintptr_t)tp_area, 0, KEEL_PAGE_SIZE);
    REQUIRE_EQ(ktask_create_in(KEEL_ROOT_FACTORY, tp_task), 0);
    REQUIRE_EQ(ktask_map_page(tp_task, prog_stack, KEEL_FP_RW), 0);
    uint64_t *ptop = prog_stack + KEEL_PAGE_SIZE / 8 - 2;
    ptop[0] = 0;
    ptop[1] = (uint64_t)(uintptr_t)tp_program;
    tp_prog_sp = (uint64_t)(uintptr_t)ptop;
    uint64_t *etop = entry_stack + KEEL_PAGE_SIZE / 8 - 2;
    etop[0] = 0;
    etop[1] = (uint64_t)(uintptr_t)tp_entry;
    tp_go = tp_done = 0;
    tp_prog_saw = tp_entry_saw = 0;
    REQUIRE_EQ(kthread_run(&t, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, tp_vcpu_main, 0, 0, 0), 0);
    tp_thread = t.cap;
    extern char ktest_thread_entry[];
    REQUIRE_EQ(KOBJ(t.cap, KEEL_THREAD_VCPU_USER, tp_area, (uint64_t)(uintptr_t)ktest_thread_entry,
                    (uint64_t)(uintptr_t)etop),
               0);
    tp_go = 1;
    REQUIRE(wait_flag(&tp_done, 2000));
    printf("ktest: program in user_task saw TPIDR_EL0 0x%lx, the vCPU's entry found 0x%lx\n",
           (unsigned long)tp_prog_saw, (unsigned long)tp_entry_saw);
    CHECK(tp_prog_saw != 0xaaaa0000aaaaull);  /* the vCPU's thread pointer reached the program */
    CHECK_EQ(tp_entry_saw, 0xaaaa0000aaaaull); /* the program's value reached the vCPU's entry */
    kthread_free(&t);
    cap_free(tp_task);
    rt_page_free(prog_stack);
    rt_page_free(entry_stack);
    root_utcb_page_free(tp_area);
}
#endif

/* ---- Error paths of Ipc_gate BIND and Irq ATTACH ---- */

static volatile int eb_done, eb_go;
static volatile int64_t eb_err;
static volatile uint64_t eb_label, eb_irq;

static void eb_parked(uint64_t mycap)
{
    keel_receive(mycap, KEEL_TIMEOUT_NEVER, 0);
    kthread_exit();
}

/* Waits for the Irq alone (closed receive on it), 500 ms at most. */
static void eb_irq_waiter(uint64_t arg)
{
    (void)arg;
    while (!eb_go) {
        sleep_us(1000);
    }
    uint64_t label = 0, tag = keel_receive(eb_irq, 500000, &label);
    eb_err = ipc_err(tag);
    eb_label = label;
    eb_done = 1;
    kthread_exit();
}

/* BIND and ATTACH unbind / detach first, then find the new thread dead and answer ENOENT: the
 * refused call has cut the gate from its server and the Irq (and its pending fire) from its
 * thread. */
KTEST(lifetime_refused_gate_bind_and_irq_attach_leave_the_old_binding_alone)
{
    /* A dead thread (killed with its task), its capability kept. */
    uint64_t task;
    REQUIRE(ktask_create(KEEL_ROOT_FACTORY, &task) >= 0);
    struct kthread d;
    kthread_prepare(&d);
    REQUIRE_EQ(kthread_run(&d, KEEL_ROOT_FACTORY, task, eb_parked, 0, 0, 0), 0);
    REQUIRE(wait_state(d.cap, 2, 1000));
    cap_free(task);
    REQUIRE_EQ(thread_state(d.cap), KEEL_THREAD_STATE_DEAD);

    /* A live server; a gate bound to it. */
    eb_done = eb_go = 0;
    eb_err = 1;
    eb_irq = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ, eb_irq), 0);
    struct kthread s;
    kthread_prepare(&s);
    REQUIRE_EQ(kthread_run(&s, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, eb_irq_waiter, 0, 0, 0), 0);
    uint64_t g = kgate_create(KEEL_ROOT_FACTORY, s.cap, 0x11);
    REQUIRE(g);
    CHECK_EQ(KOBJ(g, KEEL_GATE_BIND, d.cap, 0x22), -KEEL_ENOENT);
    REQUIRE_EQ(KOBJ(g, KEEL_GATE_INFO), 0);
    CHECK_EQ(keel_utcb()->mr[1], 1); /* still bound to its server */

    /* An Irq attached to the server, fired while it is not waiting: pending. */
    REQUIRE_EQ(KOBJ(eb_irq, KEEL_IRQ_ATTACH, s.cap, 0x33), 0);
    REQUIRE_EQ(KOBJ(eb_irq, KEEL_IRQ_TRIGGER), 0);
    CHECK_EQ(KOBJ(eb_irq, KEEL_IRQ_ATTACH, d.cap, 0x44), -KEEL_ENOENT);
    eb_go = 1;
    REQUIRE(wait_flag(&eb_done, 2000));
    printf("ktest: after the refused ATTACH the old thread's receive on the Irq: %ld, label 0x%lx\n",
           (long)eb_err, (unsigned long)eb_label);
    CHECK_EQ(eb_err, 0);        /* still attached, its fire still pending */
    CHECK_EQ(eb_label, 0x33);

    kthread_free(&s);
    kthread_free(&d);
    cap_free(g);
    cap_free(eb_irq);
}

/* ---- A new thread whose last capability goes in a system call that then blocks ---- */

static volatile int fe_ran, fe_after_exc, fe_exc_seen;

/* Its first instructions: note it ran, take an exception, note it came back. */
static void fe_new_thread(uint64_t arg)
{
    (void)arg;
    fe_ran = 1;
    ktest_undef();
    fe_after_exc = 1;
    kthread_exit();
}

/* Answers exceptions by skipping the undefined instruction. */
static void fe_handler(uint64_t arg)
{
    (void)arg;
    uint64_t label = 0, tag = keel_wait(KEEL_TIMEOUT_NEVER, &label);
    for (;;) {
        if (keel_tag_is_error(tag) || keel_tag_label(tag) != KEEL_PROTO_EXCEPTION) {
            tag = keel_wait(KEEL_TIMEOUT_NEVER, &label);
            continue;
        }
        struct keel_utcb *u = keel_utcb();
        u->mr[0] = u->mr[1] + KTEST_UNDEF_LEN;
        u->mr[1] = u->mr[2];
        fe_exc_seen = fe_exc_seen + 1;
        tag = keel_reply_wait(keel_tag(0, 2, 0), KEEL_TIMEOUT_NEVER, &label);
    }
}

/* The root thread releases a ready, never-run thread's last capability in a system call that
 * goes on to an open wait (SEND|RECV|OPEN on the Task: RELEASE, then wait). The release only
 * queues the teardown; the wait blocks before any reap, and schedule() switches to the new
 * thread, whose first entry (thread_first_entry) reaps the queue, killing itself, and then
 * leaves for user level without looking: the dead thread runs. Its exception then goes through
 * fault_exception() as a dead thread (as in the racy case above), it is freed when the CPU
 * switches away, and the handler's reply makes the freed thread run on. Deterministic. */
KTEST(lifetime_new_thread_released_before_its_first_run_never_runs)
{
    fe_ran = fe_after_exc = fe_exc_seen = 0;
    struct kthread h;
    kthread_prepare(&h);
    REQUIRE_EQ(kthread_run(&h, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, fe_handler, 0, 0, 0), 0);
    REQUIRE_EQ(kthread_place(&h, 0, 2, 0), 0);
    REQUIRE(wait_state(h.cap, 2, 1000));
    uint64_t gate = kgate_create(KEEL_ROOT_FACTORY, h.cap, 0x5e);
    REQUIRE(gate);
    struct kthread n;
    kthread_prepare(&n);
    /* Ready on CPU 0 below the root thread: it has not run yet. */
    REQUIRE_EQ(kthread_run(&n, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, fe_new_thread, 0, 0, gate), 0);
    CHECK_EQ(thread_state(n.cap), KEEL_THREAD_STATE_READY);
    CHECK_EQ(fe_ran, 0);
    struct keel_utcb *u = keel_utcb();
    u->mr[0] = KEEL_TASK_RELEASE;
    u->mr[1] = n.cap;
    keel_sys_invoke(keel_tag(KEEL_PROTO_KOBJ, 2, 0),
                    keel_sel(KEEL_ROOT_TASK, KEEL_OP_SEND | KEEL_OP_RECV | KEEL_OP_OPEN),
                    KEEL_TIMEOUTS(0, 20000), 0);
    sleep_us(50000);
    printf("ktest: killed before its first run: it ran %d, its handler saw %d exception(s), it "
           "came back %d\n",
           fe_ran, (int)fe_exc_seen, fe_after_exc);
    CHECK_EQ(fe_ran, 0);       /* killed before it ever ran */
    CHECK_EQ(fe_exc_seen, 0);
    CHECK_EQ(fe_after_exc, 0);
    kthread_free(&n);
    kthread_free(&h);
    cap_free(gate);
}

/* ---- A preempted thread killed by the second reap of sched_exit_slow() ---- */

static volatile uint64_t se_spins;

static void se_spinner(uint64_t arg)
{
    (void)arg;
    for (;;) {
        se_spins = se_spins + 1;
    }
}

/* A thread spinning on CPU 0 below the root thread is preempted in sched_exit_slow()'s
 * schedule() (the root thread's sleep ends). The root thread releases its last capability in a
 * system call that goes on to an open wait: the wait blocks before any reap, schedule() returns
 * to the spinner inside sched_exit_slow(), whose second kobj_reap() kills it, and it returns to
 * user level anyway (no state check after that reap): the dead thread spins on. */
KTEST(lifetime_thread_released_while_preempted_runs_no_more)
{
    se_spins = 0;
    struct kthread a;
    kthread_prepare(&a);
    REQUIRE_EQ(kthread_run(&a, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, se_spinner, 0, 0, 0), 0);
    REQUIRE_EQ(kthread_place(&a, 0, 1, 0), 0);
    sleep_us(20000); /* it spins meanwhile, and is preempted in its way out when this ends */
    REQUIRE(se_spins > 0);
    struct keel_utcb *u = keel_utcb();
    u->mr[0] = KEEL_TASK_RELEASE;
    u->mr[1] = a.cap;
    uint64_t c0 = se_spins;
    keel_sys_invoke(keel_tag(KEEL_PROTO_KOBJ, 2, 0),
                    keel_sel(KEEL_ROOT_TASK, KEEL_OP_SEND | KEEL_OP_RECV | KEEL_OP_OPEN),
                    KEEL_TIMEOUTS(0, 20000), 0);
    uint64_t c1 = se_spins;
    sleep_us(20000);
    uint64_t c2 = se_spins;
    printf("ktest: spins before the release %lu, after it %lu, 20 ms later %lu\n",
           (unsigned long)c0, (unsigned long)c1, (unsigned long)c2);
    CHECK_EQ(c1, c0); /* dead before the release's system call returned */
    CHECK_EQ(c2, c0);
    kthread_free(&a);
}
