// SPDX-License-Identifier: MIT
// Factories: creation of every object type, destination checks, quotas and their nesting.
#include <keel/ktest.h>
#include "ktest_util.h"

KTEST(factory_creates_every_type)
{
    static const struct { uint64_t op; int type; } kinds[] = {
        { KEEL_FACTORY_TASK, KEEL_OBJ_TASK },     { KEEL_FACTORY_THREAD, KEEL_OBJ_THREAD },
        { KEEL_FACTORY_GATE, KEEL_OBJ_IPC_GATE }, { KEEL_FACTORY_IRQ, KEEL_OBJ_IRQ },
        { KEEL_FACTORY_FACTORY, KEEL_OBJ_FACTORY },
    };
    for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        uint64_t c = cap_new();
        int64_t r = kinds[i].op == KEEL_FACTORY_FACTORY ? KOBJ(KEEL_ROOT_FACTORY, kinds[i].op, c, 65536)
                  : kinds[i].op == KEEL_FACTORY_GATE    ? KOBJ(KEEL_ROOT_FACTORY, kinds[i].op, c, ~0ull, 0)
                                                        : KOBJ(KEEL_ROOT_FACTORY, kinds[i].op, c, 0);
        CHECK_EQ(r, 0);
        CHECK_EQ(KOBJ(c, KEEL_ANY_TYPE), kinds[i].type);
        cap_free(c);
    }
}

KTEST(factory_destination_checks)
{
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ, KEEL_ROOT_TASK), -KEEL_EEXIST);
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ, 0), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ, 1ull << 40), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ), -KEEL_EINVAL);
}

KTEST(factory_quota_is_enforced_and_returned)
{
    uint64_t f = cap_new();
    uint64_t parent_before = factory_used(KEEL_ROOT_FACTORY);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, f, 8192), 0);
    CHECK(factory_used(KEEL_ROOT_FACTORY) >= parent_before + 8192); /* the limit is charged */
    uint64_t caps[256];
    unsigned made = 0;
    int64_t r = 0;
    for (; made < 256; made++) {
        caps[made] = cap_new();
        r = KOBJ(f, KEEL_FACTORY_GATE, caps[made], ~0ull, 0);
        if (r < 0) {
            break;
        }
    }
    CHECK_EQ(r, -KEEL_ENOMEM);
    CHECK(made > 0 && made < 256);
    CHECK(factory_used(f) <= 8192);
    for (unsigned i = 0; i <= made && i < 256; i++) {
        cap_free(caps[i]);
    }
    CHECK_EQ(factory_used(f), 0);
    cap_free(f);
    CHECK_EQ(factory_used(KEEL_ROOT_FACTORY), parent_before);
}

KTEST(nested_factory_cannot_exceed_parent)
{
    uint64_t f = cap_new(), g = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, f, 16384), 0);
    CHECK_EQ(KOBJ(f, KEEL_FACTORY_FACTORY, g, 1ull << 20), -KEEL_ENOMEM);
    CHECK_EQ(KOBJ(f, KEEL_FACTORY_FACTORY, g, 4096), 0);
    CHECK_EQ(KOBJ(g, KEEL_FACTORY_INFO), 0);
    CHECK_EQ(keel_utcb()->mr[0], 4096);
    cap_free(g);
    cap_free(f);
}

/* INFO MR2: the most used at once, kept after what made it is freed (the root task reports a
 * program's need from it). */
KTEST(factory_info_reports_the_peak)
{
    uint64_t f = cap_new(), g = cap_new(), t = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, f, 1ull << 20), 0);
    REQUIRE_EQ(KOBJ(f, KEEL_FACTORY_INFO), 0);
    CHECK_EQ(keel_utcb()->mr[2], 0);
    REQUIRE_EQ(KOBJ(f, KEEL_FACTORY_FACTORY, g, 65536), 0);
    REQUIRE_EQ(KOBJ(f, KEEL_FACTORY_TASK, t, keel_fpage_mem(KEEL_ROOT_UTCB_ADDR, 16, KEEL_FP_RW)),
               0);
    REQUIRE_EQ(KOBJ(f, KEEL_FACTORY_INFO), 0);
    uint64_t used = keel_utcb()->mr[1];
    CHECK(used > 65536);
    CHECK_EQ(keel_utcb()->mr[2], used);
    cap_free(t);
    cap_free(g);
    REQUIRE_EQ(KOBJ(f, KEEL_FACTORY_INFO), 0);
    CHECK(keel_utcb()->mr[1] < used);
    CHECK_EQ(keel_utcb()->mr[2], used);
    cap_free(f);
}

KTEST(factory_needs_write_right)
{
    uint64_t ro = cap_new(), c = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                    keel_fpage_cap(KEEL_ROOT_FACTORY, 0, KEEL_CAP_R), ro), 0);
    CHECK_EQ(KOBJ(ro, KEEL_FACTORY_IRQ, c), -KEEL_EPERM);
    CHECK(KOBJ(ro, KEEL_FACTORY_INFO) >= 0);
    cap_free(ro);
}

KTEST(task_with_bad_utcb_area_is_refused)
{
    uint64_t c = cap_new();
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, c, keel_fpage_mem(0x1000, 13, KEEL_FP_RW)),
             -KEEL_EINVAL); /* not aligned to its size */
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, c, keel_fpage_mem(0x100000, 30, KEEL_FP_RW)),
             -KEEL_EINVAL); /* too large */
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, c, keel_fpage_cap(0, 4, 0)), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, c), 0);
}

#define FX 0x2000000000ull /* addresses in child tasks */

static volatile int calls_done, setup_err;

/* Echo server for the task-destruction test: answers calls forever. */
static void fx_server(uint64_t unused)
{
    (void)unused;
    uint64_t tag = keel_wait(KEEL_TIMEOUT_NEVER, 0);
    for (;;) {
        tag = keel_reply_wait(keel_tag(0, keel_tag_words(tag), 0), KEEL_TIMEOUT_NEVER, 0);
    }
}

/* Capability slots in the task of the task-destruction test. */
enum { FX_FACTORY = 10, FX_GATE = 20, FX_IRQ, FX_SUB, FX_INNER, FX_SERVER = 30, FX_SELF };

/* Makes objects of its own with the factory it was given (only its task holds them), then calls
 * the server through its gate a hundred times. */
static void fx_client(uint64_t unused)
{
    (void)unused;
    if (KOBJ(FX_FACTORY, KEEL_FACTORY_GATE, FX_GATE, FX_SERVER, 1) ||
        KOBJ(FX_FACTORY, KEEL_FACTORY_IRQ, FX_IRQ) || KOBJ(FX_IRQ, KEEL_IRQ_ATTACH, FX_SELF, 2) ||
        KOBJ(FX_IRQ, KEEL_IRQ_TRIGGER) || KOBJ(FX_FACTORY, KEEL_FACTORY_FACTORY, FX_SUB, 65536) ||
        KOBJ(FX_SUB, KEEL_FACTORY_TASK, FX_INNER, keel_fpage_mem(KEEL_ROOT_UTCB_ADDR, 12, KEEL_FP_RW))) {
        setup_err = 1;
        return;
    }
    for (unsigned i = 0; i < 100; i++) {
        keel_utcb()->mr[0] = i;
        if (keel_tag_is_error(keel_call(FX_GATE, keel_tag(1, 1, 0), KEEL_NEVER, 0))) {
            setup_err = 2;
            return;
        }
    }
    calls_done = 1;
}

KTEST(factory_destroying_task_returns_all_memory)
{
    /* Everything the root task itself needs is taken before measuring. */
    struct kthread t[2];
    kthread_prepare(&t[0]);
    kthread_prepare(&t[1]);
    uint64_t f = cap_new_warm(), task = cap_new_warm();
    uint64_t *pages[4];
    for (unsigned i = 0; i < 4; i++) {
        pages[i] = rt_page_alloc();
        REQUIRE(pages[i]);
    }
    calls_done = 0;
    setup_err = 0;
    uint64_t kmem0 = kmem_free(), root0 = factory_used(KEEL_ROOT_FACTORY);

    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, f, 1ull << 20), 0);
    CHECK_EQ(factory_used(f), 0);
    REQUIRE(ktask_create_in(f, task) >= 0);
    /* Two threads from f: a server, and a client that makes a gate to it, an Irq (left pending
     * at itself), a factory and a task from that factory, all held by the task alone. */
    REQUIRE_EQ(kthread_run(&t[0], f, task, fx_server, 0, 0, 0), 0);
    REQUIRE_EQ(ktask_give_cap(task, f, KEEL_CAP_ALL, FX_FACTORY), 0);
    REQUIRE_EQ(ktask_give_cap(task, t[0].cap, KEEL_CAP_ALL, FX_SERVER), 0);
    /* The client runs only once we block (it is below us), so it has FX_SELF by then. */
    REQUIRE_EQ(kthread_run(&t[1], f, task, fx_client, 0, 0, 0), 0);
    REQUIRE_EQ(ktask_give_cap(task, t[1].cap, KEEL_CAP_ALL, FX_SELF), 0);
    /* Mappings in different page tables. */
    static const uint64_t where[4] = { FX, FX + 0x1000, FX + (2ull << 20), FX + (1ull << 30) };
    for (unsigned i = 0; i < 4; i++) {
        REQUIRE_EQ(KOBJ(task, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                        keel_fpage_mem((uint64_t)(uintptr_t)pages[i], 12, KEEL_FP_RW), where[i]), 0);
    }
    for (unsigned i = 0; i < 2000 && !calls_done && !setup_err; i++) {
        sleep_us(1000);
    }
    CHECK_EQ(setup_err, 0);
    for (uint64_t slot = FX_GATE; slot <= FX_INNER; slot++) {
        CHECK_EQ(KOBJ(task, KEEL_TASK_CAP_VALID, slot), 1);
    }
    CHECK(factory_used(f) > 8 * KEEL_PAGE_SIZE);
    CHECK(kmem_free() < kmem0);

    /* The task's capability and its threads' go: everything made for it returns to f. */
    cap_free(task);
    kthread_free(&t[0]);
    kthread_free(&t[1]);
    uint64_t used = factory_used(f);
    for (unsigned i = 0; i < 200 && used; i++) {
        sleep_us(1000);
        used = factory_used(f);
    }
    CHECK_EQ(used, 0);
    cap_free(f);
    CHECK_EQ(factory_used(KEEL_ROOT_FACTORY), root0);
    CHECK_EQ(kmem_free_settled(kmem0), kmem0);
    for (unsigned i = 0; i < 4; i++) {
        rt_page_free(pages[i]);
    }
}

KTEST(factory_quota_exhausted_for_every_type)
{
    uint64_t f = cap_new(), c = cap_new(), g = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, f, 4096), 0);
    /* A thread (a kernel stack page and more), a task (tables, UTCB pages) and a factory that
     * would need more than all of it: refused, and nothing of them stays charged. */
    CHECK_EQ(KOBJ(f, KEEL_FACTORY_THREAD, c), -KEEL_ENOMEM);
    CHECK_EQ(factory_used(f), 0);
    CHECK_EQ(KOBJ(f, KEEL_FACTORY_TASK, c, keel_fpage_mem(KEEL_ROOT_UTCB_ADDR, 12, KEEL_FP_RW)), -KEEL_ENOMEM);
    CHECK_EQ(factory_used(f), 0);
    CHECK_EQ(KOBJ(f, KEEL_FACTORY_TASK, c, 0), -KEEL_ENOMEM);
    CHECK_EQ(factory_used(f), 0);
    CHECK_EQ(KOBJ(f, KEEL_FACTORY_FACTORY, c, 4096), -KEEL_ENOMEM); /* its own object too */
    CHECK_EQ(KOBJ(f, KEEL_FACTORY_FACTORY, c, 4097), -KEEL_ENOMEM);
    CHECK_EQ(factory_used(f), 0);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, c), 0);
    /* Small objects fit. */
    CHECK_EQ(KOBJ(f, KEEL_FACTORY_IRQ, c), 0);
    CHECK(factory_used(f) > 0);
    cap_free(c);
    CHECK_EQ(factory_used(f), 0);
    /* A factory with no quota at all makes nothing. */
    REQUIRE_EQ(KOBJ(f, KEEL_FACTORY_FACTORY, g, 0), 0);
    c = cap_new();
    CHECK_EQ(KOBJ(g, KEEL_FACTORY_IRQ, c), -KEEL_ENOMEM);
    CHECK_EQ(KOBJ(g, KEEL_FACTORY_INFO), 0);
    CHECK_EQ(keel_utcb()->mr[0], 0);
    CHECK_EQ(keel_utcb()->mr[1], 0);
    cap_free(c);
    cap_free(g);
    cap_free(f);
}

KTEST(factory_outlives_its_capability_while_objects_live)
{
    uint64_t root0 = factory_used(KEEL_ROOT_FACTORY);
    uint64_t f = cap_new(), g = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, f, 65536), 0);
    REQUIRE_EQ(KOBJ(f, KEEL_FACTORY_GATE, g, ~0ull, 0x42), 0);
    cap_free(f);
    CHECK_EQ(KOBJ(f, KEEL_ANY_TYPE), -KEEL_ENOCAP);
    /* Its gate still works, and still pays for the factory it came from. */
    CHECK_EQ(KOBJ(g, KEEL_GATE_INFO), 0);
    CHECK_EQ(keel_utcb()->mr[0], 0x42);
    CHECK(factory_used(KEEL_ROOT_FACTORY) >= root0 + 65536);
    cap_free(g);
    CHECK_EQ(factory_used(KEEL_ROOT_FACTORY), root0);
}

KTEST(factory_argument_errors)
{
    uint64_t c = cap_new();
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, 0, c), -KEEL_EPROTO);
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, 8, c), -KEEL_EPROTO);
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, c), -KEEL_EINVAL);  /* no quota */
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, c, ~0ull), -KEEL_ENOMEM);
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_GATE, c, KEEL_ROOT_TASK, 0), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_GATE, c, 1000, 0), -KEEL_ENOCAP);
    uint64_t ro = cap_new();
    REQUIRE_EQ(ktask_give_cap(KEEL_ROOT_TASK, KEEL_ROOT_THREAD, KEEL_CAP_R, ro), 0);
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_GATE, c, ro, 0), -KEEL_EPERM);
    cap_free(ro);
    /* UTCB areas: too small, beyond the space, not a memory flexpage. */
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, c, keel_fpage_mem(0x100000, 11, KEEL_FP_RW)), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, c, keel_fpage_mem(1ull << 39, 12, KEEL_FP_RW)), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, c, keel_fpage(3, 0x100000, 12, 0)), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, c), 0);
    cap_free(c);
}

KTEST(factory_task_without_utcb_area)
{
    uint64_t t = cap_new(), th = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, t, 0), 0);
    CHECK_EQ(KOBJ(t, KEEL_ANY_TYPE), KEEL_OBJ_TASK);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_THREAD, th), 0);
    /* No thread can run there: there is no UTCB to give it. */
    CHECK_EQ(KOBJ(th, KEEL_THREAD_CONTROL, t, KEEL_ROOT_UTCB_ADDR, 0, 0), -KEEL_EFAULT);
    CHECK_EQ(KOBJ(th, KEEL_THREAD_CONTROL, t, 0, 0, 0), -KEEL_EFAULT);
    /* Its address space works all the same (nothing stops mapping where a UTCB area would be). */
    CHECK_EQ(KOBJ(t, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_mem((uint64_t)(uintptr_t)rt_kip() & 0, 12, 0), FX), 0);
    cap_free(th);
    cap_free(t);
}

KTEST(factory_vm_task)
{
    uint64_t vm = cap_new(), t = cap_new();
    uint64_t *p = rt_page_alloc();
    REQUIRE(p);
    /* A VM task has no UTCB area; unknown flags are refused. */
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, vm, keel_fpage_mem(KEEL_ROOT_UTCB_ADDR, 12, KEEL_FP_RW),
                  KEEL_TASK_VM), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, vm, 0, 2), -KEEL_EINVAL);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, vm, 0, KEEL_TASK_VM), 0);
    CHECK_EQ(KOBJ(vm, KEEL_ANY_TYPE), KEEL_OBJ_TASK);
    /* Guest memory is mapped like any other; guest-physical addresses are its addresses. */
    CHECK_EQ(KOBJ(vm, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_mem((uint64_t)(uintptr_t)p, 12, KEEL_FP_RWX),
                  0x80000000), 0);
    CHECK_EQ(KOBJ(vm, KEEL_TASK_MEM_INFO, 0x80000000), 1);
    CHECK_EQ(KOBJ(vm, KEEL_TASK_UNMAP, keel_fpage_mem(0x80000000, 12, KEEL_FP_RWX), KEEL_UNMAP_SELF), 0);
    CHECK_EQ(KOBJ(vm, KEEL_TASK_MEM_INFO, 0x80000000), 0);
    /* Its guest-physical space ends where MEM_INFO says (MR1): riscv64 2^48 with Sv48x4, else
     * 2^41 (Sv39x4), arm64 and x86_64 2^39. The last page maps, a page at the
     * end does not; the tables for it (four levels on riscv64) go back with the task. */
    CHECK_EQ(KOBJ(vm, KEEL_TASK_MEM_INFO, 0), 0);
    uint64_t end = keel_utcb()->mr[1];
#if defined(__riscv)
    CHECK(end == 1ull << 48 || end == 1ull << 41); /* which one: the boot line (system tests) */
#else
    CHECK_EQ(end, 1ull << 39);
#endif
    CHECK_EQ(KOBJ(vm, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_mem((uint64_t)(uintptr_t)p, 12, KEEL_FP_RW),
                  end - KEEL_PAGE_SIZE), 0);
    CHECK_EQ(KOBJ(vm, KEEL_TASK_MEM_INFO, end - KEEL_PAGE_SIZE), 1);
    CHECK_EQ(keel_utcb()->mr[0], KEEL_FP_RW);
    CHECK_EQ(KOBJ(vm, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_mem((uint64_t)(uintptr_t)p, 12, KEEL_FP_RW), end),
             -KEEL_ERANGE);
    CHECK_EQ(KOBJ(vm, KEEL_TASK_UNMAP, keel_fpage_mem(end - KEEL_PAGE_SIZE, 12, KEEL_FP_RWX), KEEL_UNMAP_SELF), 0);
    CHECK_EQ(KOBJ(vm, KEEL_TASK_MEM_INFO, end - KEEL_PAGE_SIZE), 0);
    CHECK_EQ(KOBJ(vm, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_mem((uint64_t)(uintptr_t)p, 12, KEEL_FP_RW),
                  end - KEEL_PAGE_SIZE), 0); /* left mapped: the task's release takes it */
    /* A task's own space ends at the architecture's user limit. */
    REQUIRE_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_MEM_INFO, 0), 0);
    CHECK(keel_utcb()->mr[1] >= (1ull << 38) && keel_utcb()->mr[1] <= (1ull << 47));
    /* Thread VCPU binds to VM tasks only. */
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, t, 0), 0);
    CHECK_EQ(KOBJ(KEEL_ROOT_THREAD, KEEL_THREAD_VCPU, t, KEEL_ROOT_UTCB_ADDR + 2 * KEEL_PAGE_SIZE), -KEEL_EINVAL);
    cap_free(t);
    cap_free(vm);
    rt_page_free(p);
}

/* The whole guest-physical range of a VM task: mappings at its bottom and top (riscv64 Sv48x4:
 * four levels of tables, in the hardware and in the mapping directory) are paid by its factory,
 * and all of it comes back when the task goes. */
KTEST(factory_vm_task_whole_range_returns_its_memory)
{
    uint64_t f = cap_new(), vm = cap_new();
    uint64_t *p = rt_page_alloc();
    REQUIRE(p);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, f, 1ull << 20), 0);
    uint64_t before = factory_used(f);
    REQUIRE_EQ(KOBJ(f, KEEL_FACTORY_TASK, vm, 0, KEEL_TASK_VM), 0);
    REQUIRE_EQ(KOBJ(vm, KEEL_TASK_MEM_INFO, 0), 0);
    uint64_t end = keel_utcb()->mr[1];
    uint64_t fp = keel_fpage_mem((uint64_t)(uintptr_t)p, 12, KEEL_FP_RW);
    uint64_t at[] = { 0, end / 2, end - (1ull << 30), end - KEEL_PAGE_SIZE };
    for (unsigned i = 0; i < 4; i++) {
        CHECK_EQ(KOBJ(vm, KEEL_TASK_MAP, KEEL_ROOT_TASK, fp, at[i]), 0);
    }
    uint64_t mapped = factory_used(f);
    CHECK(mapped > before);
    for (unsigned i = 0; i < 4; i++) {
        CHECK_EQ(KOBJ(vm, KEEL_TASK_MEM_INFO, at[i]), 1);
    }
    /* Unmapping the whole range at once finds them all (the directory walk skips the holes). */
    unsigned bits = 0;
    while ((1ull << bits) < end) {
        bits++;
    }
    CHECK_EQ(KOBJ(vm, KEEL_TASK_UNMAP, keel_fpage_mem(0, bits, KEEL_FP_RWX), KEEL_UNMAP_SELF), 0);
    for (unsigned i = 0; i < 4; i++) {
        CHECK_EQ(KOBJ(vm, KEEL_TASK_MEM_INFO, at[i]), 0);
    }
    for (unsigned i = 0; i < 4; i++) {
        CHECK_EQ(KOBJ(vm, KEEL_TASK_MAP, KEEL_ROOT_TASK, fp, at[i]), 0);
    }
    cap_free(vm); /* released with its mappings */
    uint64_t used = factory_used(f);
    for (unsigned i = 0; i < 500 && used != before; i++) {
        sleep_us(1000); /* a dying object may be freed on a later way out of the kernel */
        used = factory_used(f);
    }
    CHECK_EQ(used, before);
    cap_free(f);
    rt_page_free(p);
}

KTEST(factory_pays_for_page_tables_and_mappings)
{
    uint64_t f = cap_new(), t = cap_new();
    uint64_t *p = rt_page_alloc();
    REQUIRE(p);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, f, 1ull << 20), 0);
    REQUIRE_EQ(KOBJ(f, KEEL_FACTORY_TASK, t, keel_fpage_mem(KEEL_ROOT_UTCB_ADDR, 12, KEEL_FP_RW)), 0);
    uint64_t u0 = factory_used(f);
    REQUIRE_EQ(KOBJ(t, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_mem((uint64_t)(uintptr_t)p, 12, KEEL_FP_RW), FX), 0);
    uint64_t u1 = factory_used(f);
    CHECK(u1 >= u0 + 2 * KEEL_PAGE_SIZE); /* new tables for a new region */
    /* A neighbour in the same tables costs only its mapping node. */
    REQUIRE_EQ(KOBJ(t, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_mem((uint64_t)(uintptr_t)p, 12, KEEL_FP_RW),
                    FX + 0x1000), 0);
    uint64_t u2 = factory_used(f);
    CHECK(u2 > u1 && u2 < u1 + KEEL_PAGE_SIZE);
    /* Capability slots too. */
    REQUIRE_EQ(ktask_give_cap(t, KEEL_ROOT_VCON, KEEL_CAP_R, 5000), 0);
    CHECK(factory_used(f) > u2);
    /* A quota too small for the next table: ENOMEM, and nothing half-made stays. */
    uint64_t g = cap_new(), t2 = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, g, 9 * KEEL_PAGE_SIZE), 0);
    REQUIRE_EQ(KOBJ(g, KEEL_FACTORY_TASK, t2, 0), 0);
    uint64_t v0 = factory_used(g);
    int64_t r = 0;
    unsigned i;
    for (i = 0; i < 64 && r == 0; i++) {
        r = KOBJ(t2, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_mem((uint64_t)(uintptr_t)p, 12, KEEL_FP_RW),
                 FX + ((uint64_t)i << 30));
    }
    CHECK_EQ(r, -KEEL_ENOMEM);
    CHECK(i > 1);
    CHECK(factory_used(g) > v0);
    cap_free(t2);
    CHECK_EQ(factory_used(g), 0);
    cap_free(g);
    cap_free(t);
    CHECK_EQ(factory_used(f), 0);
    cap_free(f);
    rt_page_free(p);
}
