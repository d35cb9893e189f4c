// SPDX-License-Identifier: MIT
// Page faults and exceptions as IPC: a pager thread in the root task answers a child task's
// faults with map items; revoked mappings fault again; exceptions go to a handler that can set
// pc and sp; threads without a usable pager or handler are halted and the kernel goes on.
#include <keel/ktest.h>
#include "ktest_util.h"

#define X 0x2000000000ull   /* where the child faults: nothing is mapped there */
#define PAGER_SLOT 10       /* the pager gate in the child task */
#define EXC_SLOT 11         /* the exception handler gate in the child task */
#define PAGER_LABEL 0xfa
#define EXC_LABEL 0xec

enum pager_mode { MAP_RW, MAP_R_THEN_RW, EMPTY_FIRST, HOLD };

struct fault_msg {
    uint64_t tag, label, mr[4];
};

static volatile enum pager_mode mode;
static volatile unsigned faults;
static struct fault_msg seen[8];
static volatile uint64_t pager_page;

/* Answers page faults (and, through another gate, exceptions) according to `mode`. */
static void pager(uint64_t unused)
{
    (void)unused;
    for (;;) {
        uint64_t label;
        uint64_t tag = keel_wait(KEEL_TIMEOUT_NEVER, &label);
        if (keel_tag_is_error(tag)) {
            continue;
        }
        struct keel_utcb *u = keel_utcb();
        unsigned i = faults < 8 ? faults : 7;
        seen[i].tag = tag;
        seen[i].label = label;
        for (unsigned w = 0; w < 4; w++) {
            seen[i].mr[w] = u->mr[w];
        }
        faults++;
        if (mode == HOLD) {
            continue; /* never answers: the faulting thread stays blocked */
        }
        if (mode == EMPTY_FIRST && faults == 1) {
            keel_reply(keel_tag(0, 0, 0)); /* nothing mapped: it faults again */
            continue;
        }
        unsigned rights = KEEL_FP_RW;
        if (mode == MAP_R_THEN_RW && u->mr[1] != KEEL_PF_WRITE) {
            rights = KEEL_FP_R;
        }
        uint64_t addr = u->mr[0];
        u->mr[0] = keel_item_ctl(addr, 0); /* the hotspot places it at the faulting page */
        u->mr[1] = keel_fpage_mem(pager_page, 12, rights);
        keel_reply(keel_tag(0, 0, 1));
    }
}

/* Answers exceptions: records them, then resumes the thread at MR0 = pc, MR1 = sp taken from
 * exc_resume_pc / exc_resume_sp. */
static volatile uint64_t exc_resume_pc, exc_resume_sp;
static void exc_handler(uint64_t unused)
{
    (void)unused;
    for (;;) {
        uint64_t label;
        uint64_t tag = keel_wait(KEEL_TIMEOUT_NEVER, &label);
        if (keel_tag_is_error(tag)) {
            continue;
        }
        struct keel_utcb *u = keel_utcb();
        unsigned i = faults < 8 ? faults : 7;
        seen[i].tag = tag;
        seen[i].label = label;
        for (unsigned w = 0; w < 4; w++) {
            seen[i].mr[w] = u->mr[w];
        }
        faults++;
        u->mr[0] = exc_resume_pc;
        u->mr[1] = exc_resume_sp;
        keel_reply(keel_tag(0, 2, 0));
    }
}

struct setup {
    uint64_t task;
    struct kthread pager, handler;
    uint64_t pager_gate, exc_gate; /* in the root task */
    uint64_t *page;
};

static void reset(enum pager_mode m)
{
    mode = m;
    faults = 0;
    for (unsigned i = 0; i < 8; i++) {
        seen[i] = (struct fault_msg){ 0 };
    }
}

/* A child task with a pager gate at PAGER_SLOT and an exception gate at EXC_SLOT. */
static int setup(struct setup *s)
{
    s->page = rt_page_alloc();
    if (!s->page || ktask_create(KEEL_ROOT_FACTORY, &s->task) < 0) {
        return -1;
    }
    pager_page = (uint64_t)(uintptr_t)s->page;
    if (kthread_start_arg(&s->pager, KEEL_ROOT_TASK, pager, 0, 0, 0) ||
        kthread_start_arg(&s->handler, KEEL_ROOT_TASK, exc_handler, 0, 0, 0)) {
        return -1;
    }
    s->pager_gate = kgate_create(KEEL_ROOT_FACTORY, s->pager.cap, PAGER_LABEL);
    s->exc_gate = kgate_create(KEEL_ROOT_FACTORY, s->handler.cap, EXC_LABEL);
    if (!s->pager_gate || !s->exc_gate ||
        ktask_give_cap(s->task, s->pager_gate, KEEL_CAP_R | KEEL_CAP_S, PAGER_SLOT) ||
        ktask_give_cap(s->task, s->exc_gate, KEEL_CAP_R | KEEL_CAP_S, EXC_SLOT)) {
        return -1;
    }
    return 0;
}

static void teardown(struct setup *s)
{
    cap_free(s->task);
    cap_free(s->pager_gate);
    cap_free(s->exc_gate);
    if (s->pager.stack) {
        kthread_free(&s->pager);
    }
    kthread_free(&s->handler);
    rt_page_free(s->page);
}

static volatile int phase, go;
static volatile uint64_t loaded;

/* Reads X + 0x10, writes it plus one to X + 0x18. */
static void read_then_write(uint64_t unused)
{
    (void)unused;
    loaded = ktest_load(X + 0x10);
    ktest_store(X + 0x18, loaded + 1);
    phase = 1;
}

KTEST(fault_goes_to_pager_and_resumes)
{
    phase = 0;
    reset(MAP_RW);
    struct setup s;
    REQUIRE_EQ(setup(&s), 0);
    s.page[2] = 0xfeedf00d;
    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, s.task, read_then_write, 0, PAGER_SLOT, EXC_SLOT), 0);
    REQUIRE(wait_flag(&phase, 1000));
    CHECK_EQ(faults, 1); /* the read faulted; the write found the page writable */
    CHECK_EQ(keel_tag_label(seen[0].tag), KEEL_PROTO_PAGE_FAULT);
    CHECK_EQ(keel_tag_words(seen[0].tag), 3);
    CHECK_EQ(seen[0].label, PAGER_LABEL);
    CHECK_EQ(seen[0].mr[0], X + 0x10);
    CHECK_EQ(seen[0].mr[1], KEEL_PF_READ);
    CHECK_EQ(seen[0].mr[2], (uint64_t)(uintptr_t)ktest_load_insn);
    CHECK_EQ(loaded, 0xfeedf00d);
    CHECK_EQ(s.page[3], 0xfeedf00e);
    CHECK_EQ(ktask_mem_rights(s.task, X), KEEL_FP_RW);
    kthread_free(&t);
    teardown(&s);
}

KTEST(fault_write_to_read_only_page_is_a_write_fault)
{
    phase = 0;
    reset(MAP_R_THEN_RW);
    struct setup s;
    REQUIRE_EQ(setup(&s), 0);
    s.page[2] = 7;
    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, s.task, read_then_write, 0, PAGER_SLOT, EXC_SLOT), 0);
    REQUIRE(wait_flag(&phase, 1000));
    CHECK_EQ(faults, 2);
    CHECK_EQ(seen[0].mr[1], KEEL_PF_READ);
    CHECK_EQ(seen[1].mr[0], X + 0x18);
    CHECK_EQ(seen[1].mr[1], KEEL_PF_WRITE);
    CHECK_EQ(seen[1].mr[2], (uint64_t)(uintptr_t)ktest_store_insn);
    CHECK_EQ(s.page[3], 8);
    CHECK_EQ(ktask_mem_rights(s.task, X), KEEL_FP_RW);
    kthread_free(&t);
    teardown(&s);
}

/* Reads X (phase 1), waits for `go`, reads X again (phase 2). */
static void read_twice(uint64_t unused)
{
    (void)unused;
    loaded = ktest_load(X);
    phase = 1;
    while (!go) {
    }
    loaded = ktest_load(X);
    phase = 2;
}

KTEST(fault_after_revocation_faults_again)
{
    phase = 0;
    go = 0;
    reset(MAP_RW);
    struct setup s;
    REQUIRE_EQ(setup(&s), 0);
    s.page[0] = 1;
    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, s.task, read_twice, 0, PAGER_SLOT, EXC_SLOT), 0);
    REQUIRE(wait_flag(&phase, 1000));
    CHECK_EQ(faults, 1);
    CHECK_EQ(loaded, 1);
    /* Revoke what the pager gave; the next touch goes to the pager again. */
    REQUIRE_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_UNMAP, keel_fpage_mem(pager_page, 12, 0), 0), 0);
    CHECK_EQ(ktask_mem_rights(s.task, X), 0);
    s.page[0] = 2;
    go = 1;
    for (unsigned i = 0; i < 1000 && phase != 2; i++) {
        sleep_us(1000);
    }
    CHECK_EQ(phase, 2);
    CHECK_EQ(faults, 2);
    CHECK_EQ(seen[1].mr[0], X);
    CHECK_EQ(loaded, 2);
    kthread_free(&t);
    teardown(&s);
}

/* A thread of the root task (its pager the test's): reads X, removes X from its own task, reads
 * X again, all on one CPU in one address space, with no switch between that would drop the
 * translation anyway: the unmap itself must (x86_64 invlpg; once left out unnoticed:
 * ci/mutations.txt). */
static volatile int64_t unmapped;
static void read_unmap_read(uint64_t unused)
{
    (void)unused;
    loaded = ktest_load(X);
    unmapped = KOBJ(KEEL_ROOT_TASK, KEEL_TASK_UNMAP, keel_fpage_mem(X, 12, KEEL_FP_RWX),
                    KEEL_UNMAP_SELF);
    loaded += ktest_load(X); /* faults again: the pager maps the page again */
    phase = 2;
}

KTEST(fault_after_own_unmap_faults_again)
{
    phase = 0;
    reset(MAP_RW);
    struct setup s;
    REQUIRE_EQ(setup(&s), 0);
    s.page[0] = 7;
    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, KEEL_ROOT_TASK, read_unmap_read, 0, s.pager_gate, s.exc_gate),
               0);
    REQUIRE(wait_flag(&phase, 1000));
    CHECK_EQ(unmapped, 0);
    CHECK_EQ(faults, 2);
    CHECK_EQ(seen[1].mr[0], X);
    CHECK_EQ(loaded, 14);
    kthread_free(&t);
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_UNMAP, keel_fpage_mem(X, 12, KEEL_FP_RWX), KEEL_UNMAP_SELF);
    teardown(&s);
}

KTEST(fault_answered_with_nothing_faults_again)
{
    phase = 0;
    reset(EMPTY_FIRST);
    struct setup s;
    REQUIRE_EQ(setup(&s), 0);
    s.page[2] = 3;
    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, s.task, read_then_write, 0, PAGER_SLOT, EXC_SLOT), 0);
    REQUIRE(wait_flag(&phase, 1000));
    CHECK_EQ(faults, 2);
    CHECK_EQ(seen[1].mr[0], seen[0].mr[0]);
    CHECK_EQ(seen[1].mr[2], seen[0].mr[2]);
    CHECK_EQ(loaded, 3);
    kthread_free(&t);
    teardown(&s);
}

static void set_phase(uint64_t v)
{
    phase = (int)v;
}

KTEST(fault_without_pager_halts_thread)
{
    reset(MAP_RW);
    struct setup s;
    REQUIRE_EQ(setup(&s), 0);
    /* No pager; a pager slot with a Vcon in it; a gate bound to nobody. */
    uint64_t unbound = kgate_create(KEEL_ROOT_FACTORY, ~0ull, 0);
    REQUIRE(unbound);
    REQUIRE_EQ(ktask_give_cap(s.task, unbound, KEEL_CAP_R, 12), 0);
    static const uint64_t pagers[] = { 0, KEEL_ROOT_VCON, 12, 1000 };
    for (unsigned i = 0; i < 4; i++) {
        phase = 0;
        struct kthread t;
        REQUIRE_EQ(kthread_start_arg(&t, s.task, read_then_write, 0, pagers[i], 0), 0);
        sleep_us(3000);
        CHECK(wait_state(t.cap, 0, 1000)); /* halted */
        CHECK_EQ(phase, 0);
        CHECK_EQ(faults, 0);
        /* A halted thread can be started again elsewhere. */
        uint64_t *top = (uint64_t *)((char *)t.stack + KEEL_PAGE_SIZE) - 2;
        top[0] = 5;
        top[1] = (uint64_t)(uintptr_t)set_phase;
        REQUIRE_EQ(KOBJ(t.cap, KEEL_THREAD_EX_REGS, (uint64_t)(uintptr_t)ktest_thread_entry,
                        (uint64_t)(uintptr_t)top, 0), 0);
        CHECK(wait_flag(&phase, 1000));
        CHECK_EQ(phase, 5);
        kthread_free(&t);
    }
    cap_free(unbound);
    teardown(&s);
}

KTEST(fault_pager_destroyed_while_thread_waits)
{
    phase = 0;
    reset(HOLD);
    struct setup s;
    REQUIRE_EQ(setup(&s), 0);
    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, s.task, read_then_write, 0, PAGER_SLOT, EXC_SLOT), 0);
    for (unsigned i = 0; i < 1000 && faults == 0; i++) {
        sleep_us(1000);
    }
    REQUIRE_EQ(faults, 1);
    CHECK_EQ(thread_state(t.cap), 2); /* in its fault IPC */
    kthread_free(&s.pager);
    CHECK(wait_state(t.cap, 0, 1000)); /* no pager left: halted */
    CHECK_EQ(phase, 0);
    kthread_free(&t);
    teardown(&s);
}

KTEST(fault_on_instruction_fetch_reports_exec)
{
    reset(HOLD);
    struct setup s;
    REQUIRE_EQ(setup(&s), 0);
    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, s.task, (kthread_fn)(uintptr_t)(X + 0x40), 0, PAGER_SLOT, EXC_SLOT), 0);
    for (unsigned i = 0; i < 1000 && faults == 0; i++) {
        sleep_us(1000);
    }
    REQUIRE_EQ(faults, 1);
    CHECK_EQ(seen[0].mr[0], X + 0x40);
    CHECK_EQ(seen[0].mr[1], KEEL_PF_EXEC);
    CHECK_EQ(seen[0].mr[2], X + 0x40);
    kthread_free(&t); /* dies in its fault IPC */
    teardown(&s);
}

static void undefined(uint64_t unused)
{
    (void)unused;
    ktest_undef();
    phase = 99; /* not reached: the handler resumes it elsewhere */
}

KTEST(exception_goes_to_handler_which_sets_pc_and_sp)
{
    phase = 0;
    reset(MAP_RW);
    struct setup s;
    REQUIRE_EQ(setup(&s), 0);
    struct kthread t;
    kthread_prepare(&t);
    /* Where the handler sends it: set_phase(7) on a fresh frame below the top of its stack. */
    uint64_t *frame = (uint64_t *)((char *)t.stack + KEEL_PAGE_SIZE) - 64;
    frame[0] = 7;
    frame[1] = (uint64_t)(uintptr_t)set_phase;
    exc_resume_pc = (uint64_t)(uintptr_t)ktest_thread_entry;
    exc_resume_sp = (uint64_t)(uintptr_t)frame;
    REQUIRE_EQ(kthread_run(&t, KEEL_ROOT_FACTORY, s.task, undefined, 0, PAGER_SLOT, EXC_SLOT), 0);
    REQUIRE(wait_flag(&phase, 1000));
    CHECK_EQ(phase, 7);
    CHECK_EQ(faults, 1);
    CHECK_EQ(keel_tag_label(seen[0].tag), KEEL_PROTO_EXCEPTION);
    CHECK_EQ(keel_tag_words(seen[0].tag), 4);
    CHECK_EQ(seen[0].label, EXC_LABEL);
    CHECK_EQ(seen[0].mr[0], KTEST_UNDEF_CAUSE);
    CHECK_EQ(seen[0].mr[1], (uint64_t)(uintptr_t)ktest_undef_insn);
    uint64_t top = (uint64_t)(uintptr_t)t.stack + KEEL_PAGE_SIZE;
    CHECK(seen[0].mr[2] < top && seen[0].mr[2] > top - 512); /* its sp at the exception */
    kthread_free(&t);
    teardown(&s);
}

KTEST(exception_without_handler_halts_thread)
{
    phase = 0;
    reset(MAP_RW);
    struct setup s;
    REQUIRE_EQ(setup(&s), 0);
    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, s.task, undefined, 0, PAGER_SLOT, 0), 0);
    sleep_us(3000);
    CHECK(wait_state(t.cap, 0, 1000));
    CHECK_EQ(faults, 0);
    CHECK_EQ(phase, 0);
    /* The kernel is fine: the pager still answers another thread. */
    s.page[2] = 4;
    struct kthread u;
    REQUIRE_EQ(kthread_start_arg(&u, s.task, read_then_write, 0, PAGER_SLOT, EXC_SLOT), 0);
    CHECK(wait_flag(&phase, 1000));
    CHECK_EQ(loaded, 4);
    kthread_free(&u);
    kthread_free(&t);
    teardown(&s);
}

/* The kernel switches no FP/SIMD state for threads at user level, so the registers must be off
 * there: otherwise one task's values would be there for the next to read. */
static volatile int fp_used;
static void use_fp(uint64_t arg)
{
    (void)arg;
#if defined(__aarch64__)
    __asm__ volatile(".arch_extension fp\n fmov d7, xzr");
#elif defined(__riscv)
    __asm__ volatile(".word 0xf20003d3"); /* fmv.d.x f7, zero */
#elif defined(__x86_64__)
    __asm__ volatile("fninit"); /* x87 (SSE is off without CR4.OSFXSR) */
#endif
    fp_used = 1;
}

KTEST(fp_registers_are_off_at_user_level)
{
    fp_used = 0;
    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, KEEL_ROOT_TASK, use_fp, 0, 0, 0), 0);
    CHECK(wait_state(t.cap, 0, 1000)); /* halted: an exception, and it has no handler */
    CHECK_EQ(fp_used, 0);
    kthread_free(&t);
}

/* Of the counters, user level reads time only (keel_cycles): the others count for every task. */
static volatile int pmu_used;
static void read_pmu(uint64_t arg)
{
    (void)arg;
    uint64_t v;
#if defined(__aarch64__)
    __asm__ volatile("mrs %0, pmccntr_el0" : "=r"(v));
#elif defined(__riscv)
    __asm__ volatile("rdcycle %0" : "=r"(v));
#elif defined(__x86_64__)
    uint32_t lo, hi;
    __asm__ volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(0)); /* CR4.PCE off: #GP */
    v = lo | (uint64_t)hi << 32;
#endif
    (void)v;
    pmu_used = 1;
}

KTEST(performance_counters_are_off_at_user_level)
{
    pmu_used = 0;
    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, KEEL_ROOT_TASK, read_pmu, 0, 0, 0), 0);
    CHECK(wait_state(t.cap, 0, 1000)); /* halted: an exception, and it has no handler */
    CHECK_EQ(pmu_used, 0);
    kthread_free(&t);
}
