// SPDX-License-Identifier: MIT
/*
 * The system call fuzzer: two threads of a child task make FUZZ_ITERATIONS random invocations
 * each (xorshift, fixed seeds): random capability indexes (real capabilities placed at random
 * slots, small numbers, anything), operation flags, tags (labels, words, items), message words
 * (opcodes, capability indexes, flexpages, addresses), typed items, receive windows and short
 * timeouts (never an unbounded wait). Then the root checks that the kernel is alive and
 * consistent: objects can be made and used, IPC works, and once the fuzzed task, everything it
 * made and its factory are gone, the kernel memory level is back where it started.
 *
 * What the fuzzed task holds keeps it from destroying itself (the test would stop early, not
 * fail): its own task and thread capabilities lack W, memory windows and grant items stay in a
 * scratch region, capability windows and grants in a scratch range of slots. Everything else it
 * may do to itself and to the objects it was given.
 */
#include <keel/ktest.h>
#include "ktest_util.h"

#define FUZZ_THREADS 2
#define FUZZ_ITERATIONS 60000ull /* per thread: 120 000 in all */
#define SCRATCH 0x1000000000ull  /* memory the fuzzed task may map, unmap and grant freely */
#define SCRATCH_ORDER 24
#define CAP_SCRATCH 256          /* capability slots it may receive into and grant from */
#define CAP_SCRATCH_ORDER 8
#define NSLOTS 14

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* The slots of the real capabilities in the fuzzed task (chosen at random, fixed seed). */
static uint64_t slot[NSLOTS];
static volatile uint64_t fuzz_count[FUZZ_THREADS];
/* Outcomes: [0] success, [e] failure with keel_err e (what the fuzzer reached). */
static uint64_t outcome[FUZZ_THREADS][KEEL_ERR_COUNT];
static volatile int fuzz_done[FUZZ_THREADS];

static uint64_t pick_cap(uint64_t *s)
{
    uint64_t r = rng_next(s) % 16;
    if (r < 11) {
        return slot[rng_next(s) % NSLOTS];
    }
    if (r < 14) {
        return rng_next(s) % 1100; /* around the used slots and the scratch range */
    }
    return rng_next(s);
}

static uint64_t pick_fpage(uint64_t *s, int scratch_only)
{
    uint64_t r = rng_next(s);
    if (scratch_only || r % 4 == 0) {
        if ((r >> 8) % 2) {
            unsigned order = 12 + (unsigned)(rng_next(s) % (SCRATCH_ORDER - 12 + 1));
            uint64_t base = SCRATCH + (rng_next(s) & ((1ull << SCRATCH_ORDER) - 1) & ~((1ull << order) - 1));
            return keel_fpage_mem(base, order, (unsigned)(rng_next(s) & 7));
        }
        unsigned order = (unsigned)(rng_next(s) % (CAP_SCRATCH_ORDER + 1));
        uint64_t base = CAP_SCRATCH + (rng_next(s) & ((1ull << CAP_SCRATCH_ORDER) - 1) & ~((1ull << order) - 1));
        return keel_fpage_cap(base, order, (unsigned)(rng_next(s) & 15));
    }
    switch (r % 4) {
    case 1: /* memory, any order, any base (alignment mostly right) */
        return keel_fpage_mem(rng_next(s) & ((1ull << 40) - 1) & ~((1ull << (r >> 40) % 40) - 1),
                              (unsigned)((r >> 20) % 48), (unsigned)(r >> 50));
    case 2: /* capabilities, any order, any base */
        return keel_fpage_cap(rng_next(s) % 70000, (unsigned)((r >> 20) % 50), (unsigned)(r >> 50));
    default: /* anything */
        return rng_next(s);
    }
}

static uint64_t pick_word(uint64_t *s)
{
    uint64_t r = rng_next(s);
    switch (r % 10) {
    case 0:
    case 1:
    case 2:
        return pick_cap(s);
    case 3:
    case 4:
        return pick_fpage(s, 0);
    case 5:
        return (r >> 8) % 300; /* small numbers: CPUs, priorities, lines, lengths, modes */
    case 6:
        return ~0ull;
    case 7:
        return KEEL_ROOT_UTCB_ADDR + ((r >> 8) % 32) * 512; /* near UTCB slots */
    case 8:
        return rng_next(s) & ((1ull << 39) - 1);
    default:
        return rng_next(s);
    }
}

static uint64_t pick_opcode(uint64_t *s)
{
    uint64_t r = rng_next(s) % 16;
    return r < 8 ? r : r < 14 ? 1 + rng_next(s) % 5 : r == 14 ? KEEL_ANY_TYPE : rng_next(s);
}

static uint32_t pick_timeout(uint64_t *s)
{
    uint64_t r = rng_next(s) % 8;
    return r < 5 ? KEEL_TIMEOUT_ZERO : (uint32_t)(1 + rng_next(s) % 300); /* never unbounded */
}

static void fuzz_thread(uint64_t id)
{
    uint64_t seed = 0x6b65656c2d66757aull ^ (id * 0x9e3779b97f4a7c15ull);
    uint64_t *s = &seed;
    struct keel_utcb *u = keel_utcb();
    for (uint64_t n = 0; n < FUZZ_ITERATIONS; n++) {
        uint64_t r = rng_next(s);
        /* Receive windows: none, or somewhere in the scratch areas. */
        if (r % 8 == 0) {
            u->br[KEEL_BR_MEM] = (r >> 8) % 2 ? pick_fpage(s, 1) : 0;
            if (keel_fpage_kind(u->br[KEEL_BR_MEM]) != KEEL_FP_MEM) {
                u->br[KEEL_BR_MEM] = 0;
            }
            u->br[KEEL_BR_CAP] = (r >> 9) % 2 ? keel_fpage_cap(CAP_SCRATCH, CAP_SCRATCH_ORDER, KEEL_CAP_ALL) : 0;
        }
        /* The message. */
        unsigned words = (r >> 16) % 4 == 0 ? (unsigned)(rng_next(s) % 128) : (unsigned)(rng_next(s) % 8);
        unsigned items = (r >> 18) % 4 == 0 ? (unsigned)(rng_next(s) % 32) : (unsigned)(rng_next(s) % 3);
        int64_t label = (r >> 20) % 2 ? KEEL_PROTO_KOBJ : (int64_t)(rng_next(s) % 5) - 2;
        u->mr[0] = pick_opcode(s);
        unsigned fill = words + 2 * items + 1 < KEEL_MR_COUNT ? words + 2 * items + 1 : KEEL_MR_COUNT;
        for (unsigned i = 1; i < fill; i++) {
            u->mr[i] = pick_word(s);
        }
        unsigned w = words < KEEL_MR_COUNT ? words : 0;
        for (unsigned i = 0; i < items && w + 2 * i + 1 < KEEL_MR_COUNT; i++) {
            int grant = rng_next(s) % 4 == 0;
            uint64_t fp = pick_fpage(s, grant); /* grants only from the scratch areas */
            u->mr[w + 2 * i] = keel_item_ctl(rng_next(s), grant);
            u->mr[w + 2 * i + 1] = fp;
        }
        /* The invocation. */
        uint64_t ops = (r >> 24) % 16 == 0 ? (r >> 28) & 0xff : (r >> 28) & 0xf;
        uint64_t sel = keel_sel(pick_cap(s), (unsigned)ops);
        if ((r >> 36) % 64 == 0) {
            sel = rng_next(s); /* garbage selector */
        }
        uint64_t tag = keel_sys_invoke(keel_tag(label, words, items), sel,
                                       KEEL_TIMEOUTS(pick_timeout(s), pick_timeout(s)), 0);
        int64_t e = keel_tag_is_error(tag) ? (int64_t)u->tcr[KEEL_TCR_ERROR]
                  : keel_tag_label(tag) < 0 && keel_tag_label(tag) > -KEEL_ERR_COUNT ? -keel_tag_label(tag)
                                                                                     : 0;
        outcome[id][e >= 0 && e < KEEL_ERR_COUNT ? e : 0]++;
        fuzz_count[id] = n + 1;
    }
    fuzz_done[id] = 1;
}

/* The peer: answers whatever arrives (words back), with receive windows of its own. */
static void fuzz_peer(uint64_t unused)
{
    (void)unused;
    struct keel_utcb *u = keel_utcb();
    u->br[KEEL_BR_MEM] = keel_fpage_mem(SCRATCH, SCRATCH_ORDER, KEEL_FP_RWX);
    u->br[KEEL_BR_CAP] = keel_fpage_cap(CAP_SCRATCH, CAP_SCRATCH_ORDER, KEEL_CAP_ALL);
    uint64_t tag = keel_wait(KEEL_TIMEOUT_NEVER, 0);
    for (;;) {
        unsigned n = keel_tag_is_error(tag) ? 0 : keel_tag_words(tag);
        tag = keel_reply_wait(keel_tag(1, n < KEEL_MR_COUNT ? n : 0, 0), KEEL_TIMEOUT_NEVER, 0);
        while (keel_tag_is_error(tag)) {
            /* The reply failed (the caller gave up waiting, or was not a caller): the receive
             * half did not happen, so wait on our own. */
            tag = keel_wait(KEEL_TIMEOUT_NEVER, 0);
        }
    }
}

static volatile int echo_ok;
static void fuzz_echo(uint64_t unused)
{
    (void)unused;
    uint64_t tag = keel_wait(KEEL_TIMEOUT_NEVER, 0);
    for (;;) {
        keel_utcb()->mr[0] += 1;
        tag = keel_reply_wait(keel_tag(0, keel_tag_words(tag), 0), KEEL_TIMEOUT_NEVER, 0);
    }
}

/* The kernel still works: make objects, call through a new gate, revoke a mapping. */
void ktest_check_kernel_alive(void)
{
    struct kthread e;
    REQUIRE_EQ(kthread_start_arg(&e, KEEL_ROOT_TASK, fuzz_echo, 0, 0, 0), 0);
    uint64_t g = kgate_create(KEEL_ROOT_FACTORY, e.cap, 3);
    REQUIRE(g);
    for (uint64_t i = 0; i < 50; i++) {
        keel_utcb()->mr[0] = i;
        uint64_t tag = keel_call(g, keel_tag(0, 1, 0), KEEL_NEVER, 0);
        REQUIRE_EQ(ipc_err(tag), 0);
        REQUIRE_EQ(keel_utcb()->mr[0], i + 1);
    }
    uint64_t irq = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ, irq), 0);
    REQUIRE_EQ(KOBJ(irq, KEEL_IRQ_ATTACH, KEEL_ROOT_THREAD, 9), 0);
    REQUIRE_EQ(KOBJ(irq, KEEL_IRQ_TRIGGER), 0);
    uint64_t label = 0;
    CHECK_EQ(ipc_err(keel_wait(KEEL_TIMEOUT_ZERO, &label)), 0);
    CHECK_EQ(label, 9);
    cap_free(irq);
    cap_free(g);
    kthread_free(&e);
}

KTEST(syscall_fuzzer_kernel_survives)
{
    unsigned ncpu = cpus_online();
    /* Setup, all from a factory of its own; the root's needs are met before measuring. */
    struct kthread fz[FUZZ_THREADS], peer, victim;
    for (unsigned i = 0; i < FUZZ_THREADS; i++) {
        kthread_prepare(&fz[i]);
        fuzz_count[i] = 0;
        fuzz_done[i] = 0;
    }
    kthread_prepare(&peer);
    kthread_prepare(&victim);
    uint64_t ff = cap_new_warm(), ft = cap_new_warm(), pt = cap_new_warm(), st = cap_new_warm(),
             irq = cap_new_warm(), pgate = cap_new_warm(), fgate[FUZZ_THREADS];
    for (unsigned i = 0; i < FUZZ_THREADS; i++) {
        fgate[i] = cap_new_warm();
    }
    uint64_t *pages[4];
    for (unsigned i = 0; i < 4; i++) {
        pages[i] = rt_page_alloc();
        REQUIRE(pages[i]);
    }
    ktest_check_kernel_alive(); /* (warms what that needs, too) */
    uint64_t kmem0 = kmem_free(), root0 = factory_used(KEEL_ROOT_FACTORY);

    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, ff, 4ull << 20), 0);
    REQUIRE(ktask_create_in(ff, ft) >= 0); /* the fuzzed task */
    REQUIRE(ktask_create_in(ff, pt) >= 0); /* the peer's task */
    REQUIRE_EQ(KOBJ(ff, KEEL_FACTORY_TASK, st, keel_fpage_mem(KEEL_ROOT_UTCB_ADDR, 12, KEEL_FP_RW)), 0);
    REQUIRE_EQ(kthread_run(&peer, ff, pt, fuzz_peer, 0, 0, 0), 0);
    REQUIRE_EQ(KOBJ(ff, KEEL_FACTORY_GATE, pgate, peer.cap, 0x9ee7), 0);
    /* A victim thread in the scratch task, bound but never started by us. */
    REQUIRE_EQ(KOBJ(ff, KEEL_FACTORY_THREAD, victim.cap), 0);
    REQUIRE_EQ(KOBJ(victim.cap, KEEL_THREAD_CONTROL, st, KEEL_ROOT_UTCB_ADDR, 0, 0), 0);
    REQUIRE_EQ(KOBJ(ff, KEEL_FACTORY_IRQ, irq), 0);
    /* Scratch memory in the fuzzed task. */
    for (unsigned i = 0; i < 4; i++) {
        REQUIRE_EQ(KOBJ(ft, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_mem((uint64_t)(uintptr_t)pages[i], 12,
                                                                            KEEL_FP_RW),
                        SCRATCH + i * 0x3000), 0);
    }
    /* Its Vcon may only read (its writes would garble the console). */
    REQUIRE_EQ(KOBJ(ft, KEEL_TASK_RELEASE, KEEL_ROOT_VCON), 0);

    /* The fuzz threads (not started yet: the gates to them come first). */
    for (unsigned i = 0; i < FUZZ_THREADS; i++) {
        REQUIRE_EQ(KOBJ(ff, KEEL_FACTORY_THREAD, fz[i].cap), 0);
        REQUIRE_EQ(KOBJ(ff, KEEL_FACTORY_GATE, fgate[i], fz[i].cap, 0xf0 + i), 0);
    }
    /* Real capabilities at random slots (fixed seed), 16..63, all different. */
    uint64_t seed = 0x510751075107ull;
    for (unsigned i = 0; i < NSLOTS; i++) {
        for (;;) {
            uint64_t c = 16 + rng_next(&seed) % 48;
            unsigned j;
            for (j = 0; j < i && slot[j] != c; j++) {
            }
            if (j == i) {
                slot[i] = c;
                break;
            }
        }
    }
    static const unsigned nr = KEEL_CAP_R | KEEL_CAP_S;
    const struct { uint64_t cap; unsigned rights; } give[NSLOTS] = {
        { ft, nr },                        /* its own task: no W */
        { fz[0].cap, nr },                 /* its own threads: no W */
        { fz[1].cap, nr },
        { st, KEEL_CAP_ALL },              /* a scratch task with a victim thread */
        { victim.cap, KEEL_CAP_ALL },
        { ff, KEEL_CAP_ALL },              /* its factory */
        { pgate, KEEL_CAP_ALL },           /* a gate to the peer */
        { fgate[0], KEEL_CAP_ALL },        /* gates to itself */
        { fgate[1], KEEL_CAP_ALL },
        { irq, KEEL_CAP_ALL },
        { KEEL_ROOT_ICU, KEEL_CAP_ALL },
        { KEEL_ROOT_SCHEDULER, KEEL_CAP_ALL },
        { KEEL_ROOT_PLATFORM, nr },        /* KMEM only */
        { KEEL_ROOT_VCON, nr },            /* read only */
    };
    for (unsigned i = 0; i < NSLOTS; i++) {
        REQUIRE_EQ(ktask_give_cap(ft, give[i].cap, give[i].rights, slot[i]), 0);
    }
    REQUIRE_EQ(KOBJ(irq, KEEL_IRQ_ATTACH, fz[0].cap, 0x11), 0);

    uint64_t t0 = now_us();
    for (unsigned i = 0; i < FUZZ_THREADS; i++) {
        /* Bind and start the thread object made above (kthread_run would make a new one). */
        fz[i].task = ft;
        fz[i].utcb = KEEL_ROOT_UTCB_ADDR + (i + 1) * KEEL_UTCB_SIZE;
        REQUIRE_EQ(ktask_map_page(ft, fz[i].stack, KEEL_FP_RW), 0);
        uint64_t *top = (uint64_t *)((char *)fz[i].stack + KEEL_PAGE_SIZE) - 2;
        top[0] = i;
        top[1] = (uint64_t)(uintptr_t)fuzz_thread;
        extern char ktest_thread_entry[];
        REQUIRE_EQ(KOBJ(fz[i].cap, KEEL_THREAD_CONTROL, ft, fz[i].utcb, 0, 0), 0);
        /* Both on CPU 1, with the peer: CPUs that hand work to each other all the time make
         * an emulator crawl when it has fewer host cores than CPUs and the host is busy (a
         * preempted holder of the kernel lock stalls the others). The stress case is the one
         * for cross-CPU traffic; here the root and whatever the fuzzer moves still come in from
         * other CPUs. */
        REQUIRE_EQ(kthread_place(&fz[i], ncpu > 1 ? 1 : 0, 50, 0), 0);
        REQUIRE_EQ(KOBJ(fz[i].cap, KEEL_THREAD_EX_REGS, (uint64_t)(uintptr_t)ktest_thread_entry,
                        (uint64_t)(uintptr_t)top, 0), 0);
    }
    REQUIRE_EQ(kthread_place(&peer, ncpu > 1 ? 1 : 0, 60, 0), 0);
    /* Wait for them (they never block for long); keep an eye on their progress. The limit is
     * generous: 1-2 s is usual, but four emulated CPUs on a loaded two-core host crawl. */
    for (unsigned ms = 0; ms < 120000; ms += 10) {
        int all = 1;
        for (unsigned i = 0; i < FUZZ_THREADS; i++) {
            all &= fuzz_done[i];
        }
        if (all) {
            break;
        }
        sleep_us(10000);
    }
    uint64_t total = 0;
    for (unsigned i = 0; i < FUZZ_THREADS; i++) {
        if (!fuzz_done[i]) {
            int64_t st_ = thread_state(fz[i].cap);
            KOBJ(fz[i].cap, KEEL_THREAD_EX_REGS, 0, 0, KEEL_EXREGS_KEEP_PC | KEEL_EXREGS_KEEP_SP);
            uint64_t pc = keel_utcb()->mr[0];
            printf("fuzz thread %u stuck after %lu: state %ld, pc 0x%lx\n", i, (unsigned long)fuzz_count[i],
                   (long)st_, (unsigned long)pc);
        }
        CHECK_EQ(fuzz_done[i], 1);
        total += fuzz_count[i];
    }
    CHECK(total >= 100000);
    printf("fuzz: %lu invocations in %lu ms; outcomes:", (unsigned long)total,
           (unsigned long)((now_us() - t0) / 1000));
    for (unsigned e = 0; e < KEEL_ERR_COUNT; e++) {
        uint64_t n = 0;
        for (unsigned i = 0; i < FUZZ_THREADS; i++) {
            n += outcome[i][e];
        }
        printf(" %s %lu,", e ? keel_strerror(e) : "ok", (unsigned long)n);
    }
    printf("\n");

    /* Alive and consistent. */
    ktest_check_kernel_alive();
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_ANY_TYPE), KEEL_OBJ_TASK);
    /* Everything goes: the fuzzed task (and all it made), its threads, the peer, the rest. */
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, ft);
    for (unsigned i = 0; i < FUZZ_THREADS; i++) {
        fz[i].utcb = 0;
        kthread_free(&fz[i]);
        KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, fgate[i]);
    }
    kthread_free(&peer);
    victim.task = KEEL_ROOT_TASK;
    victim.utcb = 0;
    kthread_free(&victim);
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, pt);
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, st);
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, irq);
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, pgate);
    uint64_t used = factory_used(ff);
    for (unsigned i = 0; i < 500 && used; i++) {
        sleep_us(1000);
        used = factory_used(ff);
    }
    CHECK_EQ(used, 0);
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, ff);
    CHECK_EQ(factory_used(KEEL_ROOT_FACTORY), root0);
    CHECK_EQ(kmem_free_settled(kmem0), kmem0);
    ktest_check_kernel_alive();
    for (unsigned i = 0; i < 4; i++) {
        rt_page_free(pages[i]);
    }
    cap_free(ff);
    cap_free(ft);
    cap_free(pt);
    cap_free(st);
    cap_free(irq);
    cap_free(pgate);
    for (unsigned i = 0; i < FUZZ_THREADS; i++) {
        cap_free(fgate[i]);
    }
}
