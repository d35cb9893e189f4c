// SPDX-License-Identifier: MIT
// Memory: Task MAP / UNMAP / MEM_INFO — sharing, rights that only shrink, recursive revocation
// across tasks, holes, replacement, bad flexpages, the UTCB area, the sigma0 mapping of the
// root task, and large flexpages.
#include <keel/ktest.h>
#include "ktest_util.h"
#include <stdbool.h>
#include <string.h>

#define X 0x2000000000ull /* addresses in child tasks, far from the image */
#define Y 0x2100000000ull
#define VA_BITS ((unsigned)rt_kip()->user_va_bits) /* 39 on arm64, 38 on riscv64 (Sv39) */
#define VA_LIMIT (1ull << VA_BITS)

/* A task with a UTCB area and nothing else. */
static uint64_t bare_task(void)
{
    uint64_t c = cap_new();
    if (KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, c,
             keel_fpage_mem(KEEL_ROOT_UTCB_ADDR, CHILD_UTCB_ORDER, KEEL_FP_RW)) != 0) {
        cap_free(c);
        return 0;
    }
    return c;
}

static uint64_t map(uint64_t dst, uint64_t src, uint64_t addr, unsigned order, unsigned rights, uint64_t to)
{
    return (uint64_t)KOBJ(dst, KEEL_TASK_MAP, src, keel_fpage_mem(addr, order, rights), to);
}

static int64_t unmap(uint64_t task, uint64_t addr, unsigned order, unsigned flags)
{
    return KOBJ(task, KEEL_TASK_UNMAP, keel_fpage_mem(addr, order, KEEL_FP_RWX), flags);
}

/* 2 MiB of the root's memory, 2 MiB aligned, that sigma0 gave it as one block (NULL if not). */
static uint64_t *root_block(void)
{
    uint64_t *mem = rt_pages_alloc_aligned(512, 1ull << 21);
    if (mem) {
        mem[0] = 1; /* ours by sigma0, as a block */
        CHECK_EQ(ktask_mem_order(KEEL_ROOT_TASK, (uint64_t)(uintptr_t)mem), 21);
    }
    return mem;
}

/* Gives count pages from mem on back to the root's allocator. */
static void root_pages_free(void *mem, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        rt_page_free((char *)mem + (uint64_t)i * KEEL_PAGE_SIZE);
    }
}

static volatile int done;
static volatile uint64_t loaded;

/* Reads the word at arg, writes it plus one to arg + 8. */
static void rw_probe(uint64_t addr)
{
    loaded = ktest_load(addr);
    ktest_store(addr + 8, loaded + 1);
    done = 1;
}

KTEST(mem_map_shares_page_with_child)
{
    done = 0;
    uint64_t *p = rt_page_alloc();
    REQUIRE(p);
    p[0] = 0x1111beef;
    uint64_t task;
    REQUIRE(ktask_create(KEEL_ROOT_FACTORY, &task) >= 0);
    REQUIRE_EQ(map(task, KEEL_ROOT_TASK, (uint64_t)(uintptr_t)p, 12, KEEL_FP_RW, X), 0);
    CHECK_EQ(KOBJ(task, KEEL_TASK_MEM_INFO, X + 0x123), 1);
    CHECK_EQ(keel_utcb()->mr[0], KEEL_FP_RW);
    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, task, rw_probe, X, 0, 0), 0);
    REQUIRE(wait_flag(&done, 1000));
    CHECK_EQ(loaded, 0x1111beef);
    CHECK_EQ(p[1], 0x1111bef0); /* its write, seen here: one page, two addresses */
    kthread_free(&t);
    cap_free(task);
    rt_page_free(p);
}

KTEST(mem_rights_only_shrink)
{
    uint64_t *p = rt_page_alloc();
    REQUIRE(p);
    uint64_t pa = (uint64_t)(uintptr_t)p;
    uint64_t a = bare_task(), b = bare_task();
    REQUIRE(a && b);
    REQUIRE_EQ(map(a, KEEL_ROOT_TASK, pa, 12, KEEL_FP_R, X), 0);
    CHECK_EQ(ktask_mem_rights(a, X), KEEL_FP_R);
    /* Passed on with more rights than it has: still R. */
    REQUIRE_EQ(map(b, a, X, 12, KEEL_FP_RWX, Y), 0);
    CHECK_EQ(ktask_mem_rights(b, Y), KEEL_FP_R);
    /* The same source mapping it again with more rights widens it in place; b keeps R. */
    REQUIRE_EQ(map(a, KEEL_ROOT_TASK, pa, 12, KEEL_FP_RW, X), 0);
    CHECK_EQ(ktask_mem_rights(a, X), KEEL_FP_RW);
    CHECK_EQ(ktask_mem_rights(b, Y), KEEL_FP_R);
    /* Only X; and no rights at all maps nothing. */
    REQUIRE_EQ(map(a, KEEL_ROOT_TASK, pa, 12, KEEL_FP_X, X + 0x1000), 0);
    CHECK_EQ(ktask_mem_rights(a, X + 0x1000), KEEL_FP_X);
    REQUIRE_EQ(map(a, KEEL_ROOT_TASK, pa, 12, 0, X + 0x2000), 0);
    CHECK_EQ(KOBJ(a, KEEL_TASK_MEM_INFO, X + 0x2000), 0);
    cap_free(a);
    cap_free(b);
    rt_page_free(p);
}

KTEST(mem_unmap_revokes_recursively_across_tasks)
{
    uint64_t *p = rt_page_alloc();
    REQUIRE(p);
    uint64_t pa = (uint64_t)(uintptr_t)p;
    uint64_t a = bare_task(), b = bare_task(), c = bare_task();
    REQUIRE(a && b && c);
    for (unsigned round = 0; round < 3; round++) {
        /* root -> a (X) -> b (Y) -> c (X) */
        REQUIRE_EQ(map(a, KEEL_ROOT_TASK, pa, 12, KEEL_FP_RW, X), 0);
        REQUIRE_EQ(map(b, a, X, 12, KEEL_FP_RW, Y), 0);
        REQUIRE_EQ(map(c, b, Y, 12, KEEL_FP_R, X), 0);
        CHECK_EQ(ktask_mem_rights(c, X), KEEL_FP_R);
        if (round == 0) {
            /* From the root: everyone below loses it, the root keeps it. */
            REQUIRE_EQ(unmap(KEEL_ROOT_TASK, pa, 12, 0), 0);
            CHECK_EQ(ktask_mem_rights(a, X), 0);
            CHECK_EQ(ktask_mem_rights(KEEL_ROOT_TASK, pa), KEEL_FP_RWX);
        } else if (round == 1) {
            /* From the middle: a keeps it. */
            REQUIRE_EQ(unmap(a, X, 12, 0), 0);
            CHECK_EQ(ktask_mem_rights(a, X), KEEL_FP_RW);
        } else {
            /* b removes its own (SELF) and with it c's; a keeps it. */
            REQUIRE_EQ(unmap(b, Y, 12, KEEL_UNMAP_SELF), 0);
            CHECK_EQ(ktask_mem_rights(a, X), KEEL_FP_RW);
        }
        CHECK_EQ(ktask_mem_rights(b, Y), 0);
        CHECK_EQ(ktask_mem_rights(c, X), 0);
    }
    /* Unmapping what is not there is no error. */
    CHECK_EQ(unmap(c, X, 12, KEEL_UNMAP_SELF), 0);
    cap_free(c);
    cap_free(b);
    cap_free(a);
    rt_page_free(p);
}

KTEST(mem_holes_stay_holes)
{
    uint64_t *p0 = rt_page_alloc(), *p2 = rt_page_alloc();
    REQUIRE(p0 && p2);
    uint64_t a = bare_task(), b = bare_task();
    REQUIRE(a && b);
    /* a: pages 0 and 2 of a 16 KiB flexpage at X; b gets the flexpage at Y. */
    REQUIRE_EQ(map(a, KEEL_ROOT_TASK, (uint64_t)(uintptr_t)p0, 12, KEEL_FP_RW, X), 0);
    REQUIRE_EQ(map(a, KEEL_ROOT_TASK, (uint64_t)(uintptr_t)p2, 12, KEEL_FP_RW, X + 0x2000), 0);
    REQUIRE_EQ(map(b, a, X, 14, KEEL_FP_RW, Y), 0);
    CHECK_EQ(ktask_mem_rights(b, Y), KEEL_FP_RW);
    CHECK_EQ(ktask_mem_rights(b, Y + 0x1000), 0);
    CHECK_EQ(ktask_mem_rights(b, Y + 0x2000), KEEL_FP_RW);
    CHECK_EQ(ktask_mem_rights(b, Y + 0x3000), 0);
    /* Removing a's flexpage (SELF) empties all of it in both. */
    REQUIRE_EQ(unmap(a, X, 14, KEEL_UNMAP_SELF), 0);
    CHECK_EQ(ktask_mem_rights(a, X + 0x2000), 0);
    CHECK_EQ(ktask_mem_rights(b, Y + 0x2000), 0);
    cap_free(a);
    cap_free(b);
    rt_page_free(p0);
    rt_page_free(p2);
}

KTEST(mem_map_replaces_existing_mapping)
{
    uint64_t *p = rt_page_alloc(), *q = rt_page_alloc();
    REQUIRE(p && q);
    uint64_t a = bare_task();
    REQUIRE(a);
    REQUIRE_EQ(map(a, KEEL_ROOT_TASK, (uint64_t)(uintptr_t)p, 12, KEEL_FP_RW, X), 0);
    REQUIRE_EQ(map(a, KEEL_ROOT_TASK, (uint64_t)(uintptr_t)q, 12, KEEL_FP_R, X), 0);
    CHECK_EQ(ktask_mem_rights(a, X), KEEL_FP_R); /* q's, not p's */
    /* Revoking p no longer touches X; revoking q does. */
    REQUIRE_EQ(unmap(KEEL_ROOT_TASK, (uint64_t)(uintptr_t)p, 12, 0), 0);
    CHECK_EQ(ktask_mem_rights(a, X), KEEL_FP_R);
    REQUIRE_EQ(unmap(KEEL_ROOT_TASK, (uint64_t)(uintptr_t)q, 12, 0), 0);
    CHECK_EQ(ktask_mem_rights(a, X), 0);
    cap_free(a);
    rt_page_free(p);
    rt_page_free(q);
}

KTEST(mem_map_onto_its_own_source_is_eexist)
{
    uint64_t *p = rt_page_alloc();
    REQUIRE(p);
    uint64_t pa = (uint64_t)(uintptr_t)p;
    uint64_t a = bare_task();
    REQUIRE(a);
    REQUIRE_EQ(map(a, KEEL_ROOT_TASK, pa, 12, KEEL_FP_RW, X), 0);
    /* Back into the root over the mapping a's comes from. */
    CHECK_EQ(map(KEEL_ROOT_TASK, a, X, 12, KEEL_FP_RW, pa), -KEEL_EEXIST);
    CHECK_EQ(ktask_mem_rights(KEEL_ROOT_TASK, pa), KEEL_FP_RWX);
    CHECK_EQ(ktask_mem_rights(a, X), KEEL_FP_RW);
    /* Onto itself: nothing happens. */
    CHECK_EQ(map(a, a, X, 12, KEEL_FP_RW, X), 0);
    CHECK_EQ(ktask_mem_rights(a, X), KEEL_FP_RW);
    CHECK_EQ(p[0], 0);
    cap_free(a);
    rt_page_free(p);
}

KTEST(mem_bad_flexpages_and_arguments)
{
    uint64_t *p = rt_page_alloc();
    REQUIRE(p);
    uint64_t pa = (uint64_t)(uintptr_t)p;
    uint64_t a = bare_task();
    REQUIRE(a);
    CHECK_EQ(map(a, KEEL_ROOT_TASK, pa, 11, KEEL_FP_RW, X), -KEEL_EINVAL);          /* order < 12 */
    CHECK_EQ(map(a, KEEL_ROOT_TASK, pa, 63, KEEL_FP_RW, X), -KEEL_EINVAL);          /* absurd order */
    CHECK_EQ(map(a, KEEL_ROOT_TASK, (pa & ~0x1fffull) | 0x1000, 13, KEEL_FP_RW, X), -KEEL_EINVAL);
    CHECK_EQ(map(a, KEEL_ROOT_TASK, pa & ~0x1fffull, 13, KEEL_FP_RW, X + 0x1000), -KEEL_EINVAL);
    CHECK_EQ(map(a, KEEL_ROOT_TASK, pa, 12, KEEL_FP_RW, X + 8), -KEEL_EINVAL);      /* unaligned */
    CHECK_EQ(map(a, KEEL_ROOT_TASK, 0, VA_BITS + 1, KEEL_FP_RW, 0), -KEEL_ERANGE); /* > the space */
    CHECK_EQ(map(a, KEEL_ROOT_TASK, pa, 12, KEEL_FP_RW, VA_LIMIT), -KEEL_ERANGE);
    CHECK_EQ(map(a, KEEL_ROOT_TASK, pa, 12, KEEL_FP_RW, KEEL_ROOT_UTCB_ADDR), -KEEL_EINVAL);
    CHECK_EQ(map(a, KEEL_ROOT_TASK, pa & ~0x1fffffull, 21, KEEL_FP_RW, KEEL_ROOT_UTCB_ADDR),
             -KEEL_EINVAL); /* overlaps the UTCB area */
    CHECK_EQ(KOBJ(a, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage(0, pa, 12, KEEL_FP_RW), X), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(a, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage(3, pa, 12, KEEL_FP_RW), X), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(a, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_mem(pa, 12, KEEL_FP_RW)), -KEEL_EINVAL);
    CHECK_EQ(map(a, KEEL_ROOT_THREAD, pa, 12, KEEL_FP_RW, X), -KEEL_EINVAL);         /* not a task */
    CHECK_EQ(map(a, 1000, pa, 12, KEEL_FP_RW, X), -KEEL_ENOCAP);
    uint64_t ro = cap_new();
    REQUIRE_EQ(ktask_give_cap(KEEL_ROOT_TASK, KEEL_ROOT_TASK, KEEL_CAP_R, ro), 0);
    CHECK_EQ(map(a, ro, pa, 12, KEEL_FP_RW, X), -KEEL_EPERM);   /* source without W */
    CHECK_EQ(map(ro, a, X, 12, KEEL_FP_RW, pa), -KEEL_EPERM);   /* destination without W */
    CHECK_EQ(unmap(ro, pa, 12, 0), -KEEL_EPERM);
    CHECK_EQ(KOBJ(ro, KEEL_TASK_MEM_INFO, pa), 1);              /* queries need only R */
    cap_free(ro);
    /* Nothing of that got mapped. */
    CHECK_EQ(ktask_mem_rights(a, X), 0);
    CHECK_EQ(ktask_mem_rights(a, X + 0x1000), 0);
    /* The last page below the limit is fine. */
    CHECK_EQ(map(a, KEEL_ROOT_TASK, pa, 12, KEEL_FP_RW, VA_LIMIT - 0x1000), 0);
    CHECK_EQ(ktask_mem_rights(a, VA_LIMIT - 0x1000), KEEL_FP_RW);
    /* Unmap checks its flexpage too. */
    CHECK_EQ(unmap(a, X, 11, 0), -KEEL_EINVAL);
    CHECK_EQ(unmap(a, X + 0x1000, 13, 0), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(a, KEEL_TASK_UNMAP, keel_fpage(0, X, 12, 0), 0), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(a, KEEL_TASK_UNMAP, keel_fpage_mem(X, 12, 0)), -KEEL_EINVAL);
    cap_free(a);
    rt_page_free(p);
}

KTEST(mem_info_reports_rights)
{
    extern char __image_start[];
    static volatile uint64_t data_word = 1;
    uint64_t text = (uint64_t)(uintptr_t)__image_start;
    uint64_t data = (uint64_t)(uintptr_t)&data_word;
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_MEM_INFO, text), 1);
    uint64_t r = keel_utcb()->mr[0];
    CHECK((r & KEEL_FP_R) && (r & KEEL_FP_X)); /* text (the ELF's segment flags decide W) */
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_MEM_INFO, data), 1);
    r = keel_utcb()->mr[0];
    CHECK((r & KEEL_FP_R) && (r & KEEL_FP_W));
    /* Memory the root task touched: all rights (sigma0). */
    uint64_t *p = rt_page_alloc();
    REQUIRE(p);
    CHECK_EQ(ktask_mem_rights(KEEL_ROOT_TASK, (uint64_t)(uintptr_t)p + 0x800), KEEL_FP_RWX);
    rt_page_free(p);
    CHECK_EQ(data_word, 1);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_MEM_INFO, X), 0);
    CHECK_EQ(keel_utcb()->mr[0], 0);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_MEM_INFO, VA_LIMIT), 0);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_MEM_INFO, ~0ull), 0);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_MEM_INFO), -KEEL_EINVAL);
}

KTEST(mem_root_task_gets_physical_memory_on_touch)
{
    /* A page in the middle of RAM: not the kernel's, not yet given to anyone. */
    const struct keel_kip *k = rt_kip();
    REQUIRE(k->ram_count >= 1);
    uint64_t a = (k->ram[0].base + k->ram[0].size / 2 + 0x5000) & ~0xfffull;
    for (uint64_t i = 0; i < k->reserved_count; i++) {
        REQUIRE(a < k->reserved[i].base || a >= k->reserved[i].base + k->reserved[i].size);
    }
    REQUIRE(a < k->initrd_base || a >= k->initrd_base + k->initrd_size);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_MEM_INFO, a), 0);
    ktest_store(a, 0x5150);
    CHECK_EQ(ktest_load(a), 0x5150);
    CHECK_EQ(ktask_mem_rights(KEEL_ROOT_TASK, a), KEEL_FP_RWX);
    ktest_store(a, 0);
}

KTEST(mem_large_flexpages)
{
    extern char __image_start[];
    uint64_t img = (uint64_t)(uintptr_t)__image_start & ~((1ull << 21) - 1);
    uint64_t task;
    REQUIRE(ktask_create(KEEL_ROOT_FACTORY, &task) >= 0); /* maps the image in 2 MiB flexpages */
    uint64_t text = (uint64_t)(uintptr_t)__image_start;
    CHECK_EQ(ktask_mem_rights(task, text), ktask_mem_rights(KEEL_ROOT_TASK, text));
    /* Moved on whole to another task at another 2 MiB boundary. */
    uint64_t b = bare_task();
    REQUIRE(b);
    CHECK_EQ(map(b, task, img, 21, KEEL_FP_R, X), 0);
    CHECK_EQ(ktask_mem_rights(b, X + (text - img)), KEEL_FP_R);
    /* Unmapping the task's flexpage (SELF) clears it here and there, not in the root. */
    CHECK_EQ(unmap(task, img, 21, KEEL_UNMAP_SELF), 0);
    CHECK_EQ(ktask_mem_rights(task, text), 0);
    CHECK_EQ(ktask_mem_rights(b, X + (text - img)), 0);
    CHECK(ktask_mem_rights(KEEL_ROOT_TASK, text) != 0);
    cap_free(b);
    cap_free(task);
}

KTEST(mem_whole_space_flexpages_are_quick)
{
    /* Flexpages as large as the space: the empty parts must not cost time per page (the kernel
     * holds its lock meanwhile, so every CPU would wait). */
    uint64_t a = bare_task(), b = bare_task();
    REQUIRE(a && b);
    uint64_t *p = rt_page_alloc();
    REQUIRE(p);
    REQUIRE_EQ(map(a, KEEL_ROOT_TASK, (uint64_t)(uintptr_t)p, 12, KEEL_FP_RW, X), 0);
    uint64_t t0 = now_us();
    CHECK_EQ(map(b, a, X, 36, KEEL_FP_RW, X), 0); /* 64 GiB: all but the UTCB area's part */
    CHECK_EQ(ktask_mem_rights(b, X), KEEL_FP_RW);
    CHECK_EQ(unmap(a, 0, VA_BITS, 0), 0);
    CHECK_EQ(ktask_mem_rights(b, X), 0);
    CHECK_EQ(unmap(a, 0, VA_BITS, KEEL_UNMAP_SELF), 0);
    CHECK_EQ(ktask_mem_rights(a, X), 0);
    uint64_t dt = now_us() - t0;
    /* A naive walk takes 2^27 page steps: billions of emulated instructions, tens of seconds.
     * This is wall-clock time on an emulator that may share its host (0.55 s was seen with
     * another test running beside it): the bound tells the two apart, not more. */
    CHECK_LT(dt, 5000000);
    cap_free(a);
    cap_free(b);
    rt_page_free(p);
}

/* More tasks than the TLB has tags (arm64 VMIDs, riscv64 ASIDs: 255 each): every task, run in
 * turn on every CPU, sees its own page at the same address. (QEMU drops its TLB whenever the tag
 * changes, so a missed invalidation would not show here: tests/unit test_asid checks the tag
 * logic; this checks that tags are given and taken back as tasks come and go, and run.) */
#define MANY_TASKS 300
static volatile uint64_t many_seen[MANY_TASKS], many_wrong;

/* Three turns, 20 ms apart (an open wait that nobody answers: sleep_us needs the root's thread
 * capability), then it waits for good. */
static void many_worker(uint64_t i)
{
    for (unsigned turn = 0; turn < 3; turn++) {
        if (ktest_load(X) != 0x7a50000 + i) {
            many_wrong = many_wrong + 1;
        }
        many_seen[i] = many_seen[i] + 1;
        keel_wait(20000, 0);
    }
    keel_wait(KEEL_TIMEOUT_NEVER, 0);
}

KTEST_DEADLINE(mem_more_tasks_than_tlb_tags_each_sees_its_own_page, 120)
{
    static struct kthread t[MANY_TASKS];
    static uint64_t task[MANY_TASKS];
    static uint64_t *page[MANY_TASKS];
    unsigned ncpu = cpus_online();
    for (unsigned i = 0; i < MANY_TASKS; i++) {
        kthread_prepare(&t[i]);
        task[i] = cap_new_warm();
        page[i] = rt_page_alloc();
        REQUIRE(page[i]);
        page[i][0] = 0x7a50000 + i;
        many_seen[i] = 0;
    }
    many_wrong = 0;
    uint64_t kmem0 = kmem_free();
    for (unsigned i = 0; i < MANY_TASKS; i++) {
        REQUIRE(ktask_create_in(KEEL_ROOT_FACTORY, task[i]) >= 0);
        REQUIRE_EQ(KOBJ(task[i], KEEL_TASK_MAP, KEEL_ROOT_TASK,
                        keel_fpage_mem((uint64_t)(uintptr_t)page[i], 12, KEEL_FP_R), X), 0);
        REQUIRE_EQ(kthread_run(&t[i], KEEL_ROOT_FACTORY, task[i], many_worker, i, 0, 0), 0);
        REQUIRE_EQ(kthread_place(&t[i], i % ncpu, 50, 0), 0);
        if (i % 50 == 49) {
            printf("ktest: %u tasks started\n", i + 1); /* (a loaded host: seconds each) */
            ktest_progress();
        }
    }
    /* Three rounds each: every round through the tasks runs out of tags at least once. */
    unsigned slow = 0;
    for (unsigned ms = 0; ms < 20000; ms++) {
        unsigned i = 0;
        while (i < MANY_TASKS && many_seen[i] >= 3) {
            i++;
        }
        if (i == MANY_TASKS) {
            break;
        }
        slow = i;
        if (ms % 1000 == 999) {
            /* Under a loaded host this takes tens of seconds: the run is not silent meanwhile
             * (the system tests fail a run that says nothing for 30 s). */
            printf("ktest: task %u of %u is the first still to have its three turns\n", i,
                   MANY_TASKS);
            ktest_progress();
        }
        sleep_us(1000);
    }
    for (unsigned i = 0; i < MANY_TASKS; i++) {
        if (many_seen[i] < 3) {
            CHECK_EQ(slow, MANY_TASKS); /* names the first task that did not get there */
            break;
        }
    }
    CHECK_EQ(many_wrong, 0);
    for (unsigned i = 0; i < MANY_TASKS; i++) {
        kthread_free(&t[i]);
        cap_free(task[i]);
    }
    CHECK_EQ(kmem_free_settled(kmem0), kmem0);
    for (unsigned i = 0; i < MANY_TASKS; i++) {
        rt_page_free(page[i]);
    }
}

/* Blocks split under a reader: SPLIT_BLOCKS 2 MiB blocks of the root's memory mapped whole into a
 * task, whose thread reads a tag from every page of them, over and over, on another CPU. */
#define SPLIT_BLOCKS 8u
#define SPLIT_TAG(b, p) (0x5b000000ull + ((uint64_t)(b) << 12) + (p))
static volatile uint64_t split_passes, split_wrong;
static volatile unsigned split_skip[SPLIT_BLOCKS]; /* the page of each block not to read (512: none) */

static void split_reader(uint64_t base)
{
    for (;;) {
        for (unsigned b = 0; b < SPLIT_BLOCKS; b++) {
            for (unsigned p = 0; p < 512; p++) {
                if (p != split_skip[b] &&
                    ktest_load(base + ((uint64_t)b << 21) + ((uint64_t)p << 12)) != SPLIT_TAG(b, p)) {
                    split_wrong++;
                }
            }
        }
        split_passes++;
    }
}

/* Waits until the reader has begun and ended a whole pass after this call. */
static bool split_reader_passes(void)
{
    uint64_t p0 = split_passes;
    for (unsigned ms = 0; ms < 5000; ms++) {
        if (split_passes >= p0 + 2) {
            return true;
        }
        sleep_us(1000);
    }
    return false;
}

KTEST(mem_block_split_under_a_reader_on_another_cpu)
{
    /* The root takes one page of each block back from the task (children only) while the reader
     * runs on another CPU: the task's block is split into pages under it (arm64: through an
     * invalid entry, break before make; riscv64 and x86_64: a table in the block's place, then
     * the invalidation), the root's stays a block, and the reader never faults on the pages
     * that stay (it has no pager: a fault would stop it) nor reads a wrong tag. */
    unsigned cpu = cpus_online() > 1 ? 1 : 0; /* (on one CPU: preempted between its reads) */
    uint64_t *mem = rt_pages_alloc_aligned(512 * SPLIT_BLOCKS, 1ull << 21);
    REQUIRE(mem);
    uint64_t base = (uint64_t)(uintptr_t)mem;
    for (unsigned b = 0; b < SPLIT_BLOCKS; b++) {
        split_skip[b] = 512;
        for (unsigned p = 0; p < 512; p++) {
            mem[(b * 512 + p) * 512] = SPLIT_TAG(b, p);
        }
        REQUIRE_EQ(ktask_mem_order(KEEL_ROOT_TASK, base + ((uint64_t)b << 21)), 21);
    }
    uint64_t task;
    REQUIRE(ktask_create(KEEL_ROOT_FACTORY, &task) >= 0);
    for (unsigned b = 0; b < SPLIT_BLOCKS; b++) {
        REQUIRE_EQ(map(task, KEEL_ROOT_TASK, base + ((uint64_t)b << 21), 21, KEEL_FP_R,
                       X + ((uint64_t)b << 21)), 0);
        CHECK_EQ(ktask_mem_order(task, X + ((uint64_t)b << 21) + 0x3000), 21);
    }
    split_passes = split_wrong = 0;
    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, task, split_reader, X, 0, 0), 0);
    REQUIRE_EQ(kthread_place(&t, cpu, 50, 0), 0);
    CHECK(split_reader_passes());
    for (unsigned b = 0; b < SPLIT_BLOCKS; b++) {
        unsigned page = 5 + 61 * b;
        split_skip[b] = page;
        CHECK(split_reader_passes()); /* it skips the page from now on */
        CHECK_EQ(unmap(KEEL_ROOT_TASK, base + ((uint64_t)b << 21) + ((uint64_t)page << 12), 12, 0), 0);
        CHECK_EQ(ktask_mem_rights(task, X + ((uint64_t)b << 21) + ((uint64_t)page << 12)), 0);
        CHECK_EQ(ktask_mem_order(task, X + ((uint64_t)b << 21) + ((uint64_t)(page + 1) << 12)), 12);
        CHECK_EQ(ktask_mem_order(KEEL_ROOT_TASK, base + ((uint64_t)b << 21) + ((uint64_t)page << 12)), 21);
    }
    CHECK(split_reader_passes()); /* still alive: no fault on the pages that stayed */
    CHECK_EQ(split_wrong, 0);
    kthread_free(&t);
    cap_free(task);
    root_pages_free(mem, 512 * SPLIT_BLOCKS);
}

KTEST(mem_a_block_is_passed_on_at_most_4096_times)
{
    /* A 2 MiB block mapped on page by page from a task (a block it was given): at most 4096
     * mappings are made from the block itself (every walk over them stays bounded), the next is
     * EBUSY; one taken back makes room again; and a page mapped from one of those pages (not
     * from the block) is no further bound. The root's own block (sigma0's, a size the root did
     * not choose) is split into its pages instead when it is full. */
    uint64_t *mem = root_block();
    REQUIRE(mem);
    uint64_t base = (uint64_t)(uintptr_t)mem;
    uint64_t holder = bare_task(), task = bare_task();
    REQUIRE(holder && task);
    REQUIRE_EQ(map(holder, KEEL_ROOT_TASK, base, 21, KEEL_FP_R, Y), 0);
    REQUIRE_EQ(ktask_mem_order(holder, Y), 21);
    unsigned made = 0;
    int64_t r = 0;
    for (; made < 5000; made++) {
        r = (int64_t)map(task, holder, Y + (made % 512) * KEEL_PAGE_SIZE, 12, KEEL_FP_R,
                         X + (uint64_t)made * KEEL_PAGE_SIZE);
        if (r != 0) {
            break;
        }
    }
    CHECK_EQ(r, -KEEL_EBUSY);
    CHECK_EQ(made, 4096);
    CHECK_EQ(unmap(task, X, 12, KEEL_UNMAP_SELF), 0);
    CHECK_EQ(map(task, holder, Y, 12, KEEL_FP_R, X), 0);
    /* From the task's page, not from the block: no such bound. */
    uint64_t other = bare_task();
    REQUIRE(other);
    for (unsigned i = 0; i < 8; i++) {
        CHECK_EQ(map(other, task, X, 12, KEEL_FP_R, X + i * KEEL_PAGE_SIZE), 0);
    }
    /* The root's block: 4096 pages from it and more; it is pages now, each of the holder's
     * block's pages too. */
    cap_free(other);
    cap_free(task);
    cap_free(holder);
    task = bare_task();
    REQUIRE(task);
    r = 0;
    for (made = 0; made < 4200 && r == 0; made++) {
        r = (int64_t)map(task, KEEL_ROOT_TASK, base + (made % 512) * KEEL_PAGE_SIZE, 12, KEEL_FP_R,
                         X + (uint64_t)made * KEEL_PAGE_SIZE);
    }
    CHECK_EQ(r, 0);
    CHECK_EQ(ktask_mem_order(KEEL_ROOT_TASK, base), 12);
    CHECK_EQ(ktask_mem_rights(task, X + 4199 * KEEL_PAGE_SIZE), KEEL_FP_R);
    cap_free(task);
    root_pages_free(mem, 512);
}

/* arm64 GICv2: the virtual CPU interface a VM task has (Task MAP_VIRT_CPUIF) has no record in the
 * mapping database; a 2 MiB block mapped over it must not drop it silently, nor may it go inside
 * a block (EEXIST both ways). Elsewhere there is no such interface: EPROTO. */
KTEST(mem_vm_cpu_interface_and_a_block_do_not_replace_each_other)
{
    uint64_t *mem = root_block();
    REQUIRE(mem);
    uint64_t base = (uint64_t)(uintptr_t)mem;
    uint64_t a = cap_new(), b = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, a, 0, KEEL_TASK_VM), 0);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, b, 0, KEEL_TASK_VM), 0);
    const uint64_t gicc = 0x8010000, window = 0x8000000; /* QEMU virt's GICC, its 2 MiB */
    int64_t r = KOBJ(a, KEEL_TASK_MAP_VIRT_CPUIF, gicc);
    if (r == -KEEL_EPROTO) {
        printf("ktest: no GICv2 virtual CPU interface here: skipped\n");
    } else {
        CHECK_EQ(r, 0);
        CHECK_EQ((int64_t)map(a, KEEL_ROOT_TASK, base, 21, KEEL_FP_RW, window), -KEEL_EEXIST);
        CHECK_EQ((int64_t)map(b, KEEL_ROOT_TASK, base, 21, KEEL_FP_RW, window), 0);
        CHECK_EQ(KOBJ(b, KEEL_TASK_MAP_VIRT_CPUIF, gicc), -KEEL_EEXIST);
        CHECK_EQ(ktask_mem_order(b, window), 21); /* the block stays */
    }
    cap_free(b);
    cap_free(a);
    root_pages_free(mem, 512);
}

/* A GiB of RAM, 1 GiB aligned, that nobody has: not the kernel's, no boot module in it, never
 * touched by the root task (0: none; the board has too little memory). The highest one: the
 * root's page allocator works upwards from the bottom. */
static uint64_t untouched_gib(void)
{
    const struct keel_kip *k = rt_kip();
    const uint64_t gib = 1ull << 30;
    for (uint64_t r = k->ram_count; r-- > 0;) {
        uint64_t end = k->ram[r].base + k->ram[r].size;
        for (uint64_t top = end & ~(gib - 1); top > gib && top - gib >= k->ram[r].base;
             top -= gib) {
            uint64_t g = top - gib;
            bool free = !(g < k->initrd_base + k->initrd_size && g + gib > k->initrd_base) &&
                        !(g < k->fdt_base + k->fdt_size && g + gib > k->fdt_base);
            for (uint64_t i = 0; i < k->reserved_count; i++) {
                free &= !(g < k->reserved[i].base + k->reserved[i].size &&
                          g + gib > k->reserved[i].base);
            }
            if (free && ktask_mem_rights(KEEL_ROOT_TASK, g) == 0) {
                return g;
            }
        }
    }
    return 0;
}

/* The order of the largest mapping this CPU's tables take: 30 (1 GiB), or 21 on an x86_64 CPU
 * without 1 GiB pages (CPUID pdpe1gb). */
static unsigned largest_order(void)
{
#if defined(__x86_64__)
    uint32_t a = 0x80000001, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    (void)b;
    return d & (1u << 26) ? 30 : 21;
#else
    return 30;
#endif
}

KTEST(mem_gib_block_is_one_mapping_until_a_part_goes)
{
    /* A GiB of the root's memory is one mapping (sigma0's), mapped on whole to a task and from
     * there to a VM: one record and one page-table entry at each, a few hundred bytes of kernel
     * memory for all three instead of 40 KiB per MiB. One page of it taken back splits the
     * mappings derived from it only as far as that page needs (the GiB into 2 MiB blocks, the
     * one block into pages), and the task reads through what stays. (x86_64: 1 GiB pages where the
     * CPU has them, else 2 MiB; the board needs more than 1 GiB of memory for a free GiB.) */
    uint64_t g = untouched_gib();
    if (!g) {
        printf("ktest: no untouched GiB of memory on this board: skipped\n");
        return;
    }
    unsigned big = largest_order();
    uint64_t *mem = (uint64_t *)(uintptr_t)g;
    const uint64_t block3 = 3ull << 21, page = block3 + 7 * KEEL_PAGE_SIZE;
    mem[0] = 0x61b;
    mem[(page + KEEL_PAGE_SIZE) / 8] = 0x61c;
    CHECK_EQ(ktask_mem_order(KEEL_ROOT_TASK, g), big);
    CHECK_EQ(ktask_mem_order(KEEL_ROOT_TASK, g + 0x3ff45000ull), big);
    uint64_t task, vm = cap_new();
    REQUIRE(ktask_create(KEEL_ROOT_FACTORY, &task) >= 0);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, vm, 0, KEEL_TASK_VM), 0);
    const uint64_t gpa = 1ull << 30;
    uint64_t used = factory_used(KEEL_ROOT_FACTORY);
    REQUIRE_EQ(map(task, KEEL_ROOT_TASK, g, 30, KEEL_FP_RW, X), 0);
    REQUIRE_EQ(map(vm, task, X, 30, KEEL_FP_RWX, gpa), 0);
    uint64_t cost = factory_used(KEEL_ROOT_FACTORY) - used;
    printf("ktest: a GiB mapped on twice: %lu bytes of kernel memory\n", (unsigned long)cost);
    CHECK(big != 30 || cost <= 4 * KEEL_PAGE_SIZE); /* (2 MiB blocks: 512 records each) */
    CHECK_EQ(ktask_mem_order(task, X + 0x12345000ull), big);
    CHECK_EQ(ktask_mem_order(vm, gpa + page), big);
    done = 0;
    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, task, rw_probe, X, 0, 0), 0);
    REQUIRE(wait_flag(&done, 1000));
    CHECK_EQ(loaded, 0x61b);
    CHECK_EQ(mem[1], 0x61c); /* its write through its mapping, seen here */
    kthread_free(&t);

    /* The root takes one page back from those it gave it to (not from itself). */
    CHECK_EQ(unmap(KEEL_ROOT_TASK, g + page, 12, 0), 0);
    CHECK_EQ(ktask_mem_order(KEEL_ROOT_TASK, g + page), big);
    CHECK_EQ(ktask_mem_rights(task, X + page), 0);
    CHECK_EQ(ktask_mem_rights(vm, gpa + page), 0);
    CHECK_EQ(ktask_mem_order(task, X + page + KEEL_PAGE_SIZE), 12);
    CHECK_EQ(ktask_mem_order(vm, gpa + page - KEEL_PAGE_SIZE), 12);
    CHECK_EQ(ktask_mem_order(task, X), 21);
    CHECK_EQ(ktask_mem_order(vm, gpa + block3 + (1ull << 21)), 21);
    CHECK_EQ(ktask_mem_order(task, X + (1ull << 30) - KEEL_PAGE_SIZE), 21);
    done = 0;
    REQUIRE_EQ(kthread_start_arg(&t, task, rw_probe, X + page + KEEL_PAGE_SIZE, 0, 0), 0);
    REQUIRE(wait_flag(&done, 1000));
    CHECK_EQ(loaded, 0x61c); /* the page after it, now one of the task's 4 KiB pages */
    kthread_free(&t);
    cap_free(vm);
    cap_free(task);
    CHECK_EQ(unmap(KEEL_ROOT_TASK, g, 30, KEEL_UNMAP_SELF), 0); /* as it was: untouched */
    CHECK_EQ(ktask_mem_rights(KEEL_ROOT_TASK, g), 0);
}
