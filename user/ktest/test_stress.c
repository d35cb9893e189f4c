// SPDX-License-Identifier: MIT
/*
 * SMP stress: several tasks on all CPUs doing IPC (to a server in the next task, so calls cross
 * tasks and CPUs), mapping and unmapping shared pages into themselves, and creating and deleting
 * objects, for a bounded time, while the root task maps and unmaps the same pages elsewhere and
 * calls the servers too. Afterwards everything is released and the kernel memory level must be
 * back where it started.
 */
#include <keel/ktest.h>
#include "ktest_util.h"

#define WORKERS 4
#define PAGES 4
#define WX 0x2000000000ull /* where workers map the shared pages */
#define STRESS_MS 1500
#define STRESS_MIN_ROUNDS 16 /* each worker at least, however slowly the emulator runs */

/* Capability slots in each worker task. */
enum { SL_NEXT_GATE = 20, SL_SELF_TASK, SL_SOURCE, SL_FACTORY, SL_SCRATCH = 30 };

struct worker_result {
    volatile uint64_t calls, maps, objects, errors;
    volatile int done;
};

static struct worker_result wres[WORKERS];

/* A line now and then while it runs: on Bochs (15 s of the host's time per guest second, more on a
 * busy host) the case lasts minutes, and the harness takes a console silent that long for a hang
 * (qemu_run --silence); these lines stop when the work stops. */
#define REPORT_MS 500
static void progress(uint64_t root_ops)
{
    uint64_t calls = 0;
    for (unsigned i = 0; i < WORKERS; i++) {
        calls += wres[i].calls;
    }
    printf("stress: so far %lu calls by workers, %lu rounds by the root\n", (unsigned long)calls,
           (unsigned long)root_ops);
}
static volatile uint64_t stress_end;   /* cycle counter value when workers stop */
static uint64_t page_addr[PAGES];       /* the shared pages, at the same address in the source */

static void stress_server(uint64_t unused)
{
    (void)unused;
    uint64_t tag = keel_wait(KEEL_TIMEOUT_NEVER, 0);
    for (;;) {
        struct keel_utcb *u = keel_utcb();
        unsigned n = keel_tag_words(tag);
        for (unsigned i = 0; i < n; i++) {
            u->mr[i] += 1;
        }
        tag = keel_reply_wait(keel_tag(0, n, 0), KEEL_TIMEOUT_NEVER, 0);
    }
}

static void stress_client(uint64_t id)
{
    struct worker_result *r = &wres[id];
    struct keel_utcb *u = keel_utcb();
    for (uint64_t it = 0; it < STRESS_MIN_ROUNDS || keel_cycles() < stress_end; it++) {
        /* A call to the next task's server. */
        u->mr[0] = id;
        u->mr[1] = it;
        uint64_t tag = keel_call(SL_NEXT_GATE, keel_tag(0, 2, 0), KEEL_NEVER, 0);
        if (keel_tag_is_error(tag) || u->mr[0] != id + 1 || u->mr[1] != it + 1) {
            r->errors++;
        }
        r->calls++;
        /* Map a shared page into our own task, check what it holds, unmap it. */
        unsigned p = (unsigned)((it + id) % PAGES);
        uint64_t va = WX + (id * PAGES + p) * KEEL_PAGE_SIZE;
        if (KOBJ(SL_SELF_TASK, KEEL_TASK_MAP, SL_SOURCE, keel_fpage_mem(page_addr[p], 12, KEEL_FP_R), va) != 0 ||
            ktest_load(va) != 0x5700 + p ||
            KOBJ(SL_SELF_TASK, KEEL_TASK_UNMAP, keel_fpage_mem(va, 12, 0), KEEL_UNMAP_SELF) != 0) {
            r->errors++;
        }
        r->maps++;
        /* Now and then an object made and deleted. */
        if (it % 8 == id % 8) {
            uint64_t op = it % 3 == 0 ? KEEL_FACTORY_GATE : it % 3 == 1 ? KEEL_FACTORY_IRQ : KEEL_FACTORY_THREAD;
            int64_t e = op == KEEL_FACTORY_GATE ? KOBJ(SL_FACTORY, op, SL_SCRATCH, ~0ull, it)
                                                : KOBJ(SL_FACTORY, op, SL_SCRATCH);
            if (e != 0 || KOBJ(SL_SELF_TASK, KEEL_TASK_RELEASE, SL_SCRATCH) != 0) {
                r->errors++;
            }
            r->objects++;
        }
    }
    r->done = 1;
}

KTEST_DEADLINE(smp_stress_ipc_and_map_returns_kernel_memory, 120)
{
    unsigned ncpu = cpus_online();
    /* Everything the root task needs, before measuring. */
    struct kthread server[WORKERS], client[WORKERS];
    uint64_t task[WORKERS], gate[WORKERS];
    for (unsigned i = 0; i < WORKERS; i++) {
        kthread_prepare(&server[i]);
        kthread_prepare(&client[i]);
        task[i] = cap_new_warm();
        gate[i] = cap_new_warm();
        wres[i] = (struct worker_result){ 0 };
    }
    uint64_t f = cap_new_warm(), source = cap_new_warm(), other = cap_new_warm();
    uint64_t *pages[PAGES];
    for (unsigned p = 0; p < PAGES; p++) {
        pages[p] = rt_page_alloc();
        REQUIRE(pages[p]);
        pages[p][0] = 0x5700 + p;
        page_addr[p] = (uint64_t)(uintptr_t)pages[p];
    }
    uint64_t kmem0 = kmem_free(), root0 = factory_used(KEEL_ROOT_FACTORY);

    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, f, 8ull << 20), 0);
    /* A source task holding the shared pages, and another the root maps them into. */
    REQUIRE_EQ(KOBJ(f, KEEL_FACTORY_TASK, source, 0), 0);
    REQUIRE_EQ(KOBJ(f, KEEL_FACTORY_TASK, other, 0), 0);
    for (unsigned p = 0; p < PAGES; p++) {
        REQUIRE_EQ(ktask_map_page(source, pages[p], KEEL_FP_RW), 0);
    }
    for (unsigned i = 0; i < WORKERS; i++) {
        REQUIRE(ktask_create_in(f, task[i]) >= 0);
        REQUIRE_EQ(kthread_run(&server[i], f, task[i], stress_server, 0, 0, 0), 0);
        REQUIRE_EQ(KOBJ(f, KEEL_FACTORY_GATE, gate[i], server[i].cap, i), 0);
        REQUIRE_EQ(ktask_give_cap(task[i], task[i], KEEL_CAP_ALL, SL_SELF_TASK), 0);
        REQUIRE_EQ(ktask_give_cap(task[i], source, KEEL_CAP_ALL, SL_SOURCE), 0);
        REQUIRE_EQ(ktask_give_cap(task[i], f, KEEL_CAP_ALL, SL_FACTORY), 0);
    }
    stress_end = keel_cycles() + rt_kip()->timer_freq / 1000 * STRESS_MS;
    for (unsigned i = 0; i < WORKERS; i++) {
        REQUIRE_EQ(ktask_give_cap(task[i], gate[(i + 1) % WORKERS], KEEL_CAP_R | KEEL_CAP_S, SL_NEXT_GATE), 0);
        REQUIRE_EQ(kthread_run(&client[i], f, task[i], stress_client, i, 0, 0), 0);
        /* Below the root's priority on CPU 0, so that the root keeps going there too. */
        REQUIRE_EQ(kthread_place(&client[i], i % ncpu, 50, 1000), 0);
        REQUIRE_EQ(kthread_place(&server[i], (i + 1) % ncpu, 60, 1000), 0);
    }
    /* The root meanwhile: maps and unmaps the same pages elsewhere, and calls the servers. */
    uint64_t root_ops = 0, root_errors = 0, report = rt_kip()->timer_freq / 1000 * REPORT_MS;
    uint64_t next_report = keel_cycles() + report;
    struct keel_utcb *u = keel_utcb();
    while (root_ops < STRESS_MIN_ROUNDS || keel_cycles() < stress_end) {
        if (keel_cycles() >= next_report) {
            progress(root_ops);
            next_report = keel_cycles() + report;
        }
        unsigned p = (unsigned)(root_ops % PAGES);
        if (KOBJ(other, KEEL_TASK_MAP, source, keel_fpage_mem(page_addr[p], 12, KEEL_FP_RW), WX) != 0 ||
            KOBJ(other, KEEL_TASK_UNMAP, keel_fpage_mem(WX, 12, 0), KEEL_UNMAP_SELF) != 0) {
            root_errors++;
        }
        u->mr[0] = root_ops;
        uint64_t tag = keel_call(gate[root_ops % WORKERS], keel_tag(0, 1, 0), KEEL_NEVER, 0);
        if (keel_tag_is_error(tag) || u->mr[0] != root_ops + 1) {
            root_errors++;
        }
        root_ops++;
        if (root_ops % 16 == 0) {
            sleep_us(200); /* let the workers on CPU 0 in */
        }
    }
    uint64_t calls = 0, maps = 0, objects = 0;
    for (unsigned i = 0; i < WORKERS; i++) {
        for (unsigned ms = 0; ms < 20000 && !wres[i].done; ms++) {
            sleep_us(1000);
            if (ms % REPORT_MS == REPORT_MS - 1) {
                progress(root_ops);
            }
        }
        CHECK_EQ(wres[i].done, 1);
        CHECK_EQ(wres[i].errors, 0);
        CHECK(wres[i].calls >= STRESS_MIN_ROUNDS);
        calls += wres[i].calls;
        maps += wres[i].maps;
        objects += wres[i].objects;
    }
    CHECK_EQ(root_errors, 0);
    CHECK(root_ops > 0);
    printf("stress: %u CPUs, %lu calls, %lu map+unmap, %lu objects by workers; root %lu rounds\n", ncpu,
           (unsigned long)calls, (unsigned long)maps, (unsigned long)objects, (unsigned long)root_ops);

    /* Release all of it: the factory's used bytes, then the kernel's free memory, come back. */
    for (unsigned i = 0; i < WORKERS; i++) {
        KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, task[i]);
        KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, gate[i]);
        kthread_free(&client[i]);
        kthread_free(&server[i]);
    }
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, source);
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, other);
    uint64_t used = factory_used(f);
    for (unsigned i = 0; i < 500 && used; i++) {
        sleep_us(1000);
        used = factory_used(f);
    }
    CHECK_EQ(used, 0);
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, f);
    CHECK_EQ(factory_used(KEEL_ROOT_FACTORY), root0);
    CHECK_EQ(kmem_free_settled(kmem0), kmem0);
    for (unsigned i = 0; i < WORKERS; i++) {
        cap_free(task[i]);
        cap_free(gate[i]);
    }
    cap_free(f);
    cap_free(source);
    cap_free(other);
    for (unsigned p = 0; p < PAGES; p++) {
        rt_page_free(pages[p]);
    }
}
