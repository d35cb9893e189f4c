// SPDX-License-Identifier: MIT
/*
 * The lifetime fuzzer: objects made, bound, used and destroyed by threads on every CPU at once,
 * their capability slots refilled, so that new objects land in dead ones' memory while others
 * still wait on, send to or are bound to the old ones.
 *
 * LFUZZ_WORKERS workers, each in a child task of its own on CPU (i mod CPUs), make random calls
 * from a fixed seed. No choice depends on a result, so a seed always gives the same calls (the
 * interleaving across CPUs, and so the results, still vary); draws from one random word are
 * sequenced statements, never two in one argument list (whose order C leaves open). Every task
 * the fuzzer uses has the same capability layout:
 *
 *   SL_SELF, SL_FACTORY, SL_SCHED, SL_ME   its task, the fuzz factory, a Scheduler whose ceiling
 *                                          is below the workers, its own thread (worker tasks)
 *   SL_WTASK/WTHREAD/WGATE + p             worker p's task, thread, and a gate bound to it
 *   SL_TURN + p                            the Irq that gives worker p its turn (below)
 *   SL_OWN + k (16)                        what this worker made: threads, gates, Irqs, tasks, a
 *                                          factory (k's kind is fixed: K_* below)
 *   SL_FOREIGN + p * 16 + k                a copy of worker p's SL_OWN + k (mapped by p, or
 *                                          passed on by another worker)
 *   SL_INBOX (16)                          the capability receive window of IPC
 *
 * A worker creates into its own slots (from the fuzz factory or a factory it made), releases them
 * (the object dies, all copies are revoked), maps them into other workers' tasks and into tasks it
 * made, starts threads ("minions") bound to its task or to any task it has, moves them between
 * CPUs, cancels their IPC, binds gates and attaches Irqs to any thread it can name, triggers
 * Irqs, calls, sends, waits, replies and receives (from threads and Irqs) with short timeouts,
 * passes capabilities and memory in typed items, and maps and unmaps memory between tasks. A
 * minion does IPC of its own (also waits that never time out: they end when the partner dies, or
 * with the minion; calls between minions take the fast path when it applies), on whatever its
 * task holds at those slots, cancels other threads' IPC, and in a worker's task releases what the
 * worker made there (itself too, now and then: a thread whose last capability it released). It
 * also faults on purpose (a load or store in the receive area, an undefined instruction): its
 * pager and exception handler are gates the worker chose (Thread CONTROL), so the faults become
 * kernel-made calls to whatever thread is bound there, whose answer maps memory or sets the
 * minion's pc and sp to random words (it then faults on; nothing of the test lies there).
 *
 * Turns (lfuzz_turns, the ktest case): the workers pass a token, so that mostly one makes calls
 * at a time, and minions are quiet (lf_minion). Under an emulator that gives each CPU a host
 * thread on fewer host cores, CPUs that all enter the kernel crawl (lf_wait_turn). The soak runs
 * the CPUs in turn on one host thread instead, and the workers all at once (docs/ktest.md).
 *
 * What keeps the test itself safe: a minion's stack belongs to its owner's slot (only the thread
 * made there runs on it, and only the owner starts it: releasing the slot kills it first); no
 * grant moves an owner's original out of its slot; every thread has a UTCB of its own in any task
 * (lf_utcb: shared message registers would turn one thread's call into another's); memory is
 * mapped and unmapped only in the scratch areas (LF_MEM, LF_RCV), never over the image, stacks
 * or UTCBs; workers never block without a timeout; threads run at user level only in the
 * program's image, which every task has.
 *
 * At the end the worker tasks, and with them every object and thread of the round, are
 * destroyed: the fuzz factory's use must come back to 0, the kernel's free memory to exactly
 * where it was, and the kernel must still work. A worker that makes no call for LF_HANG_MS is a
 * failure, reported with its state, pc and operation.
 */
#include <keel/ktest.h>
#include "ktest_util.h"
#include "lfuzz.h"

#define LF_PRIO 30              /* the workers' priority; minions run below it */
#define LF_QUOTA (16ull << 20)  /* the fuzz factory's */
#define LF_HANG_MS 60000        /* a worker that makes no call for this long is stuck */
#define LF_MEM 0x1000000000ull  /* a worker's own LF_MEM_PAGES pages (given by the root) */
#define LF_MEM_PAGES 4
#define LF_RCV (LF_MEM + 0x100000) /* where memory mapped to a task lands: 64 KiB */
#define LF_RCV_ORDER 16
#define LF_STACK 4096
#define LF_UTCB_ORDER 15        /* 32 UTCBs in every task: the worker's and one per minion */
#define LF_TURN_US 100000000     /* a worker waits this long for its turn, then takes it anyway */
#define LF_TURN_LABEL 0x7700
#define LF_KTEST_SEED 0x11fe7177e5eedull
#define LF_KTEST_CALLS 250ull   /* per worker: 1000 in all */

/* Capability slots, the same in every task of the fuzzer. */
enum {
    SL_SELF = 8,
    SL_FACTORY = 9,
    SL_SCHED = 10,
    SL_ME = 11,
    SL_WTASK = 12,
    SL_WTHREAD = 16,
    SL_WGATE = 20,
    SL_TURN = 24, /* + p: the Irq that gives worker p its turn (no fuzz operation reaches it) */
    SL_OWN = 32,
    SL_FOREIGN = 64,
    SL_INBOX = 128,
};
/* The kinds of the 16 own slots. */
enum {
    K_THREAD = 0, N_THREAD = 7,
    K_GATE = 7, N_GATE = 3,
    K_IRQ = 10, N_IRQ = 3,
    K_TASK = 13, N_TASK = 2,
    K_FACTORY = 15,
    N_OWN = 16,
};
_Static_assert(SL_TURN + LFUZZ_WORKERS <= SL_OWN && SL_FOREIGN + LFUZZ_WORKERS * N_OWN <= SL_INBOX,
               "slot layout");

/* The operations and their weights. */
#define LF_OPS(X)                                                                            \
    X(CREATE, 10) X(RELEASE, 4) X(SHARE, 8) X(DROP, 2) X(START, 6) X(CONTROL, 1) X(RUN, 2)  \
    X(CANCEL, 2) X(STATE, 2) X(GATE_BIND, 3) X(GATE_INFO, 1) X(IRQ_ATTACH, 3)                 \
    X(IRQ_DETACH, 1) X(IRQ_TRIGGER, 4) X(CALL, 5) X(SEND, 3) X(WAIT, 3) X(REPLY_WAIT, 3)      \
    X(RECV_THREAD, 2) X(RECV_IRQ, 2) X(MAP, 3) X(UNMAP, 2) X(TYPE, 1)
enum lf_op {
#define LF_ENUM(n, w) OP_##n,
    LF_OPS(LF_ENUM)
#undef LF_ENUM
    OP_COUNT
};
static const uint8_t op_weight[OP_COUNT] = {
#define LF_WEIGHT(n, w) w,
    LF_OPS(LF_WEIGHT)
#undef LF_WEIGHT
};
static const char *const op_name[OP_COUNT] = {
#define LF_NAME(n, w) #n,
    LF_OPS(LF_NAME)
#undef LF_NAME
};

struct lf_worker {
    volatile uint64_t calls;  /* system calls made (of operations: not the turns') */
    volatile uint64_t turns, turn_timeouts;
    volatile unsigned op;     /* the operation under way (for a report) */
    volatile int done;
    uint64_t target;
    uint64_t seed;
    uint64_t outcome[KEEL_ERR_COUNT];
};

struct lf_minion {
    volatile uint64_t ops, starts;
    uint64_t outcome[KEEL_ERR_COUNT];
};

/* Shared by the root and every task (all see the program's image). */
static struct {
    struct lf_worker w[LFUZZ_WORKERS];
    struct lf_minion m[LFUZZ_WORKERS][N_THREAD];
    uint64_t ncpu;
    int turns;              /* the workers take turns (lf_wait_turn) */
    uint64_t cycles_per_us; /* the KIP is the root's: children get the timer rate here */
} lf;

/* A minion's stack: that of the thread in its owner's slot SL_OWN + K_THREAD + j. */
static uint8_t lf_stack[LFUZZ_WORKERS][N_THREAD][LF_STACK] __attribute__((aligned(16)));

extern char __image_start[], __image_end[];

int lfuzz_verbose;
int lfuzz_turns = 1;

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* splitmix64: a well-mixed seed from any number (xorshift must not start at 0). */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x ? x : 1;
}

/* The next digit in base n of a random word (a few digits per word, no further draws). */
static uint64_t rnd(uint64_t *r, uint64_t n)
{
    uint64_t v = *r % n;
    *r /= n;
    return v;
}

static uint64_t slot_of(uint64_t p, uint64_t k)
{
    return p == LFUZZ_WORKERS ? SL_OWN + k : SL_FOREIGN + p * N_OWN + k;
}

/* A slot of the given kind: this task's own (half the time), or a copy of another worker's. */
static uint64_t pick_kind(uint64_t *r, unsigned base, unsigned n)
{
    uint64_t p = rnd(r, 2 * LFUZZ_WORKERS);
    return slot_of(p < LFUZZ_WORKERS ? p : LFUZZ_WORKERS, base + rnd(r, n));
}

/* Threads to bind, attach, receive from or query: also the workers. */
static uint64_t pick_thread(uint64_t *r)
{
    return rnd(r, 6) == 0 ? SL_WTHREAD + rnd(r, LFUZZ_WORKERS) : pick_kind(r, K_THREAD, N_THREAD);
}

/* Threads to move, cancel or bind to a task: never a worker. */
static uint64_t pick_minion(uint64_t *r)
{
    return pick_kind(r, K_THREAD, N_THREAD);
}

static uint64_t pick_gate(uint64_t *r)
{
    return rnd(r, 4) == 0 ? SL_WGATE + rnd(r, LFUZZ_WORKERS) : pick_kind(r, K_GATE, N_GATE);
}

static uint64_t pick_irq(uint64_t *r)
{
    return pick_kind(r, K_IRQ, N_IRQ);
}

/* Tasks to map into or bind threads to: workers' tasks and the tasks workers made. */
static uint64_t pick_task(uint64_t *r)
{
    return rnd(r, 3) == 0 ? SL_WTASK + rnd(r, LFUZZ_WORKERS) : pick_kind(r, K_TASK, N_TASK);
}

/* Short: mostly none, never unbounded. */
static uint32_t pick_timeout(uint64_t *r)
{
    uint64_t k = rnd(r, 20);
    uint64_t us = k < 10 ? 0 : k < 17 ? 1 + rnd(r, 100) : k < 19 ? 100 + rnd(r, 900)
                                                                : 1000 + rnd(r, 2000);
    return (uint32_t)us;
}

/* The UTCB of the thread made in worker w's slot SL_OWN + j, in whatever task it is bound to: its
 * own (0 is the worker's), so no two threads share one (their message registers would mix). */
static uint64_t lf_utcb(uint64_t w, uint64_t j)
{
    return KEEL_ROOT_UTCB_ADDR + (1 + w * N_THREAD + j) * KEEL_UTCB_SIZE;
}
_Static_assert(1 + LFUZZ_WORKERS * N_THREAD <= 1u << (LF_UTCB_ORDER - 10), "a UTCB per minion");

/* lf_utcb of the thread in slot (own or a copy), as seen by worker w. */
static uint64_t lf_slot_utcb(uint64_t w, uint64_t slot)
{
    return slot < SL_FOREIGN ? lf_utcb(w, slot - SL_OWN - K_THREAD)
                             : lf_utcb((slot - SL_FOREIGN) / N_OWN, (slot - SL_FOREIGN) % N_OWN);
}

/* A message in the caller's UTCB: a few words, sometimes typed items (capabilities or memory from
 * the areas that may be passed on; grants only of copies and received memory). */
static uint64_t lf_message(uint64_t r)
{
    struct keel_utcb *u = keel_utcb();
    unsigned words = (unsigned)rnd(&r, 5);
    for (unsigned i = 0; i < words; i++) {
        u->mr[i] = r + i;
    }
    unsigned items = rnd(&r, 4) == 0 ? (unsigned)(1 + rnd(&r, 2)) : 0;
    for (unsigned i = 0; i < items; i++) {
        int grant = 0;
        uint64_t fp;
        unsigned rights = (unsigned)rnd(&r, 16);
        switch (rnd(&r, 4)) {
        case 0: { /* own objects, 1, 2 or 4 slots (naturally aligned) */
            uint64_t base = SL_OWN + 4 * rnd(&r, 4);
            fp = keel_fpage_cap(base, (unsigned)rnd(&r, 3), rights);
            break;
        }
        case 1: { /* copies of others' or received ones */
            uint64_t base = SL_FOREIGN + 4 * rnd(&r, 20);
            fp = keel_fpage_cap(base, (unsigned)rnd(&r, 3), rights);
            grant = (int)rnd(&r, 2);
            break;
        }
        case 2:
            fp = keel_fpage_mem(LF_MEM + (rnd(&r, LF_MEM_PAGES) << 12), 12, rights & 7);
            break;
        default:
            fp = keel_fpage_mem(LF_RCV + (rnd(&r, 16) << 12), 12, rights & 7);
            grant = (int)rnd(&r, 2);
            break;
        }
        /* The hotspot lies in the receive area: a page fault's pager maps to it absolutely. */
        u->mr[words + 2 * i] = keel_item_ctl(LF_RCV + (rnd(&r, 16) << 12), grant);
        u->mr[words + 2 * i + 1] = fp;
    }
    return keel_tag((int64_t)rnd(&r, 8), words, items);
}

/* One IPC: the tag (the message is in the UTCB), the capability, the operation, the timeouts. */
static uint64_t ipc(uint64_t tag, uint64_t cap, unsigned ops, uint32_t snd, uint32_t rcv)
{
    return keel_sys_invoke(tag, keel_sel(cap, ops), KEEL_TIMEOUTS(snd, rcv), 0);
}

static void set_windows(void)
{
    struct keel_utcb *u = keel_utcb();
    u->br[KEEL_BR_MEM] = keel_fpage_mem(LF_RCV, LF_RCV_ORDER, KEEL_FP_RWX);
    u->br[KEEL_BR_CAP] = keel_fpage_cap(SL_INBOX, 4, KEEL_CAP_ALL);
}

/* A thread a worker started: IPC on whatever its task holds, until it dies. It blocks for long
 * (often for good: until a partner dies, or itself) and naps after a failure, so the minions on
 * all CPUs enter the kernel rarely: CPUs that all enter it without pause crawl under an emulator
 * on few host cores (see lf_wait_turn). When the workers take turns (the emulator gives each CPU
 * a host thread), a minion is quiet: it waits without a timeout (or none at all), its naps are
 * waits for any message, so only what others do to it wakes it (each timer that fires on an idle
 * CPU costs it the kernel lock there: ~5 times fewer calls a second with timed minions). */
static void lf_minion(uint64_t arg)
{
    struct lf_minion *m = &lf.m[(arg >> 4) % LFUZZ_WORKERS][(arg & 15) % N_THREAD];
    uint64_t s = arg | 1;
    set_windows();
    for (;;) {
        uint64_t r = rng_next(&s), a = rng_next(&s);
        uint64_t k = rnd(&a, 10);
        uint32_t t = k < 5 || (lf.turns && k >= 6) ? KEEL_TIMEOUT_NEVER
                   : k < 6                       ? 0
                                                 : (uint32_t)(20000 + rnd(&a, 480000));
        uint64_t tag = 0;
        int64_t e = 0;
        switch (rnd(&r, 20)) {
        case 0:
        case 1:
        case 2:
            tag = ipc(0, 0, KEEL_OP_WAIT, 0, t);
            break;
        case 3:
        case 4:
            tag = ipc(lf_message(a), 0, KEEL_OP_REPLY_WAIT, 0, t);
            break;
        case 5:
        case 6:
        case 7:
            uint64_t gate = pick_gate(&r);
            tag = ipc(lf_message(a), gate, KEEL_OP_CALL, rnd(&r, 2) ? t : 0, t);
            break;
        case 8:
            tag = ipc(lf_message(a), pick_gate(&r), KEEL_OP_SEND, t, 0);
            break;
        case 9:
        case 10:
        case 11:
            tag = ipc(0, pick_thread(&r), KEEL_OP_RECV, 0, t);
            break;
        case 12:
            tag = ipc(0, pick_irq(&r), KEEL_OP_RECV, 0, t);
            break;
        case 13:
            e = KOBJ(pick_irq(&r), KEEL_IRQ_TRIGGER);
            e = e < 0 ? e : -KEEL_ETIMEOUT; /* (did not block: a nap follows) */
            break;
        case 14: /* in a worker's task: anything the worker made, also this thread itself */
            e = KOBJ(SL_SELF, KEEL_TASK_RELEASE, SL_OWN + rnd(&r, N_OWN));
            e = e < 0 ? e : -KEEL_ETIMEOUT;
            break;
        case 15:
            e = KOBJ(pick_minion(&r), KEEL_THREAD_EX_REGS, 0, 0,
                     KEEL_EXREGS_CANCEL | KEEL_EXREGS_KEEP_PC | KEEL_EXREGS_KEEP_SP);
            e = e < 0 ? e : -KEEL_ETIMEOUT;
            break;
        case 16: /* a page fault where nothing may be mapped: to its pager (or it halts) */
            if (rnd(&r, 2)) {
                ktest_load(LF_RCV + (rnd(&r, 16) << 12));
            } else {
                ktest_store(LF_RCV + (rnd(&r, 16) << 12), r);
            }
            e = -KEEL_ETIMEOUT;
            break;
        case 17: /* an exception: to its handler, whose answer may send it anywhere */
            ktest_undef();
            e = -KEEL_ETIMEOUT;
            break;
        default: { /* at user level, where a kill from another CPU finds it */
            uint64_t end = keel_cycles() + (20 + rnd(&r, 200)) * lf.cycles_per_us;
            while (keel_cycles() < end) {
            }
            e = -KEEL_ETIMEOUT;
            break;
        }
        }
        m->ops++;
        e = e ? e : ipc_err(tag);
        m->outcome[e < 0 && e > -KEEL_ERR_COUNT ? -e : 0]++;
        if (e != 0 && e != -KEEL_ECANCELED) { /* a nap: failures come back at once */
            uint32_t nap = (uint32_t)(50000 + rnd(&a, 150000));
            ipc(0, 0, KEEL_OP_WAIT, 0, lf.turns ? KEEL_TIMEOUT_NEVER : nap);
        }
    }
}

static int64_t note(struct lf_worker *me, int64_t r)
{
    me->calls++;
    me->outcome[r < 0 && r > -KEEL_ERR_COUNT ? -r : 0]++;
    return r;
}

/* Notes the outcome of an IPC (its returned tag). */
static void lf_ipc(struct lf_worker *me, uint64_t tag)
{
    note(me, ipc_err(tag));
}

/* A task of its own: the program's image mapped (its threads run there), or none at all. */
static void lf_create_task(struct lf_worker *me, uint64_t factory, uint64_t slot)
{
    if (note(me, KOBJ(factory, KEEL_FACTORY_TASK, slot,
                      keel_fpage_mem(KEEL_ROOT_UTCB_ADDR, LF_UTCB_ORDER, KEEL_FP_RW))) != 0) {
        return;
    }
    uint64_t start = (uint64_t)(uintptr_t)__image_start & ~((1ull << 21) - 1);
    for (uint64_t a = start; a < (uint64_t)(uintptr_t)__image_end; a += 1ull << 21) {
        uint64_t fp = keel_fpage_mem(a, 21, KEEL_FP_RWX);
        if (note(me, KOBJ(slot, KEEL_TASK_MAP, SL_SELF, fp, a)) != 0) {
            note(me, KOBJ(SL_SELF, KEEL_TASK_RELEASE, slot));
            return;
        }
    }
}

static void lf_create(struct lf_worker *me, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t k = rnd(&a, N_OWN), slot = SL_OWN + k;
    uint64_t f = k != K_FACTORY && rnd(&a, 4) == 0 ? SL_OWN + K_FACTORY : SL_FACTORY;
    if (k < K_GATE) {
        note(me, KOBJ(f, KEEL_FACTORY_THREAD, slot));
    } else if (k < K_IRQ) {
        uint64_t to = rnd(&a, 4), t = to == 0   ? ~0ull /* unbound */
                                    : to == 1 ? pick_thread(&b)
                                              : SL_OWN + K_THREAD + rnd(&b, N_THREAD);
        note(me, KOBJ(f, KEEL_FACTORY_GATE, slot, t, c & 0xffff));
    } else if (k < K_TASK) {
        note(me, KOBJ(f, KEEL_FACTORY_IRQ, slot));
    } else if (k < K_FACTORY) {
        lf_create_task(me, f, slot);
    } else {
        note(me, KOBJ(SL_FACTORY, KEEL_FACTORY_FACTORY, slot, (16 + rnd(&b, 240)) << 10));
    }
}

/* A pager or exception handler for Thread CONTROL: a gate slot (in the thread's task), or none. */
static uint64_t lf_handler(uint64_t *r)
{
    return rnd(r, 3) ? pick_gate(r) : 0;
}

/* Scheduler RUN: a CPU, a priority below the workers', sometimes a new quantum. */
static void lf_run(struct lf_worker *me, uint64_t thread, uint64_t *r)
{
    uint64_t cpu = rnd(r, lf.ncpu), prio = 1 + rnd(r, LF_PRIO - 1);
    uint64_t quantum = rnd(r, 3) ? 0 : 100 + rnd(r, 10000);
    note(me, KOBJ(SL_SCHED, KEEL_SCHED_RUN, thread, cpu, prio, quantum));
}

/* Binds (maybe), places (maybe) and starts the thread in own slot j on its stack. */
static void lf_start(struct lf_worker *me, uint64_t w, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t j = rnd(&a, N_THREAD), t = SL_OWN + K_THREAD + j;
    if (rnd(&a, 4)) {
        uint64_t task = rnd(&a, 3) ? SL_SELF : pick_task(&b);
        uint64_t pager = lf_handler(&c), exc = lf_handler(&c);
        note(me, KOBJ(t, KEEL_THREAD_CONTROL, task, lf_utcb(w, j), pager, exc));
    }
    if (rnd(&a, 2)) {
        lf_run(me, t, &a);
    }
    uint64_t *top = (uint64_t *)(void *)(lf_stack[w][j] + LF_STACK) - 2;
    top[0] = (c & ~0xffull) | w << 4 | j;
    top[1] = (uint64_t)(uintptr_t)lf_minion;
    if (note(me, KOBJ(t, KEEL_THREAD_EX_REGS, (uint64_t)(uintptr_t)ktest_thread_entry,
                      (uint64_t)(uintptr_t)top, 0)) == 0) {
        lf.m[w][j].starts++;
    }
}

static void lf_map(struct lf_worker *me, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t dst = rnd(&a, 4) ? pick_task(&b) : SL_SELF;
    unsigned order = 12 + (unsigned)rnd(&a, 3);
    uint64_t mask = ~((1ull << order) - 1);
    uint64_t src = rnd(&a, 2) ? LF_MEM + ((rnd(&a, LF_MEM_PAGES) << 12) & mask)
                              : LF_RCV + ((rnd(&a, 16) << 12) & mask);
    uint64_t dbase = LF_RCV + ((rnd(&a, 16) << 12) & mask);
    uint64_t fp = keel_fpage_mem(src, order, (unsigned)rnd(&c, 8));
    note(me, KOBJ(dst, KEEL_TASK_MAP, SL_SELF, fp, dbase));
}

/* Unmaps in the receive area of any task, or (never with SELF) the worker's own pages. */
static void lf_unmap(struct lf_worker *me, uint64_t a, uint64_t b)
{
    uint64_t t = rnd(&a, 3) ? SL_SELF : pick_task(&b);
    if (t == SL_SELF && rnd(&a, 2)) {
        unsigned order = 12 + (unsigned)rnd(&a, 3);
        note(me, KOBJ(t, KEEL_TASK_UNMAP, keel_fpage_mem(LF_MEM, order, KEEL_FP_RWX), 0));
        return;
    }
    unsigned order = 12 + (unsigned)rnd(&a, 5);
    uint64_t base = LF_RCV + ((rnd(&a, 16) << 12) & ~((1ull << order) - 1));
    note(me, KOBJ(t, KEEL_TASK_UNMAP, keel_fpage_mem(base, order, KEEL_FP_RWX),
                  rnd(&a, 2) ? KEEL_UNMAP_SELF : 0));
}

static void lf_do(struct lf_worker *me, uint64_t w, unsigned op, uint64_t a, uint64_t b, uint64_t c)
{
    switch (op) {
    case OP_CREATE:
        lf_create(me, a, b, c);
        break;
    case OP_RELEASE:
        note(me, KOBJ(SL_SELF, KEEL_TASK_RELEASE, SL_OWN + rnd(&a, N_OWN)));
        break;
    case OP_SHARE: {
        uint64_t dst = pick_task(&b);
        unsigned rights = (unsigned)rnd(&c, 16);
        if (rnd(&a, 4) == 0) { /* pass a copy on, to the same place in dst */
            uint64_t s = SL_FOREIGN + rnd(&a, LFUZZ_WORKERS * N_OWN);
            note(me, KOBJ(dst, KEEL_TASK_MAP, SL_SELF, keel_fpage_cap(s, 0, rights), s));
        } else {
            unsigned order = (unsigned)rnd(&a, 5); /* 1 to all 16 slots */
            uint64_t k = rnd(&a, N_OWN) & ~((1ull << order) - 1);
            note(me, KOBJ(dst, KEEL_TASK_MAP, SL_SELF, keel_fpage_cap(SL_OWN + k, order, rights),
                          SL_FOREIGN + w * N_OWN + k));
        }
        break;
    }
    case OP_DROP: {
        uint64_t slot = rnd(&a, 4) ? SL_FOREIGN + rnd(&a, LFUZZ_WORKERS * N_OWN)
                                   : SL_INBOX + rnd(&a, 16);
        note(me, KOBJ(SL_SELF, KEEL_TASK_RELEASE, slot));
        break;
    }
    case OP_START:
        lf_start(me, w, a, b, c);
        break;
    case OP_CONTROL: {
        uint64_t t = pick_minion(&a), task = pick_task(&b);
        uint64_t pager = lf_handler(&c), exc = lf_handler(&c);
        note(me, KOBJ(t, KEEL_THREAD_CONTROL, task, lf_slot_utcb(w, t), pager, exc));
        break;
    }
    case OP_RUN:
        lf_run(me, pick_minion(&a), &b);
        break;
    case OP_CANCEL:
        note(me, KOBJ(pick_minion(&a), KEEL_THREAD_EX_REGS, 0, 0,
                      KEEL_EXREGS_CANCEL | KEEL_EXREGS_KEEP_PC | KEEL_EXREGS_KEEP_SP));
        break;
    case OP_STATE:
        note(me, KOBJ(pick_thread(&a), rnd(&b, 2) ? KEEL_THREAD_STATE : KEEL_THREAD_STATS));
        break;
    case OP_GATE_BIND:
        note(me, KOBJ(pick_gate(&a), KEEL_GATE_BIND, pick_thread(&b), c & 0xffff));
        break;
    case OP_GATE_INFO:
        note(me, KOBJ(pick_gate(&a), KEEL_GATE_INFO));
        break;
    case OP_IRQ_ATTACH:
        note(me, KOBJ(pick_irq(&a), KEEL_IRQ_ATTACH, pick_thread(&b), c & 0xffff));
        break;
    case OP_IRQ_DETACH:
        note(me, KOBJ(pick_irq(&a), KEEL_IRQ_DETACH));
        break;
    case OP_IRQ_TRIGGER:
        note(me, KOBJ(pick_irq(&a), KEEL_IRQ_TRIGGER));
        break;
    case OP_CALL: {
        uint32_t snd = pick_timeout(&c);
        lf_ipc(me, ipc(lf_message(b), pick_gate(&a), KEEL_OP_CALL, snd, pick_timeout(&c)));
        break;
    }
    case OP_SEND:
        lf_ipc(me, ipc(lf_message(b), pick_gate(&a), KEEL_OP_SEND, pick_timeout(&c), 0));
        break;
    case OP_WAIT:
        lf_ipc(me, ipc(0, 0, KEEL_OP_WAIT, 0, pick_timeout(&c)));
        break;
    case OP_REPLY_WAIT:
        lf_ipc(me, ipc(lf_message(b), 0, KEEL_OP_REPLY_WAIT, 0, pick_timeout(&c)));
        break;
    case OP_RECV_THREAD:
        lf_ipc(me, ipc(0, pick_thread(&a), KEEL_OP_RECV, 0, pick_timeout(&c)));
        break;
    case OP_RECV_IRQ:
        lf_ipc(me, ipc(0, pick_irq(&a), KEEL_OP_RECV, 0, pick_timeout(&c)));
        break;
    case OP_MAP:
        lf_map(me, a, b, c);
        break;
    case OP_UNMAP:
        lf_unmap(me, a, b);
        break;
    default: /* OP_TYPE */
        if (rnd(&a, 4) == 0) {
            note(me, KOBJ(SL_OWN + K_FACTORY, KEEL_FACTORY_INFO));
        } else {
            uint64_t slot = rnd(&a, 2) ? SL_OWN + rnd(&a, N_OWN) : SL_FOREIGN + rnd(&a, 80);
            note(me, KOBJ(slot, KEEL_ANY_TYPE));
        }
        break;
    }
}

static unsigned pick_op(uint64_t r)
{
    unsigned total = 0;
    for (unsigned i = 0; i < OP_COUNT; i++) {
        total += op_weight[i];
    }
    uint64_t x = r % total;
    unsigned op = 0;
    while (x >= op_weight[op]) {
        x -= op_weight[op++];
    }
    return op;
}

/* Turns: the workers pass a token round (their turn Irqs), so that mostly one of them makes
 * calls at a time; the minions still run on every CPU meanwhile. Under an emulator that gives each
 * CPU a host thread on fewer host cores, CPUs that all enter the kernel crawl: the kernel lock is
 * a ticket lock, and a CPU whose turn it is may not be running on the host (seen: all four CPUs
 * in bkl_wait). Measured on arm64, four CPUs, a busy two-core host: under 100 calls a second
 * without turns, 150-300 with turns and timed minions, 500-1800 with quiet ones; 20 000-100 000
 * with all CPUs in turn on one host thread. A token that goes missing (an open wait of the worker
 * took it) is replaced after LF_TURN_US; tokens that meet merge (an Irq is pending once). */
static void lf_wait_turn(struct lf_worker *me, uint64_t w)
{
    me->turns++;
    if (keel_tag_is_error(ipc(0, SL_TURN + w, KEEL_OP_RECV, 0, LF_TURN_US))) {
        me->turn_timeouts++;
    }
}

static void lf_pass_turn(uint64_t w)
{
    KOBJ(SL_TURN + (w + 1) % LFUZZ_WORKERS, KEEL_IRQ_TRIGGER);
}

static int lf_all_done(void)
{
    for (unsigned i = 0; i < LFUZZ_WORKERS; i++) {
        if (!lf.w[i].done) {
            return 0;
        }
    }
    return 1;
}

static void lf_worker_main(uint64_t w)
{
    struct lf_worker *me = &lf.w[w];
    uint64_t s = me->seed;
    set_windows();
    if (w && lf.turns) {
        lf_wait_turn(me, w); /* worker 0 starts with the token */
    }
    while (me->calls < me->target) {
        uint64_t r = rng_next(&s), a = rng_next(&s), b = rng_next(&s), c = rng_next(&s);
        unsigned op = pick_op(r);
        me->op = op;
        lf_do(me, w, op, a, b, c);
        if (lf.turns && (r >> 32) % 256 == 0) {
            lf_pass_turn(w);
            lf_wait_turn(me, w);
        }
    }
    me->done = 1;
    while (lf.turns && !lf_all_done()) { /* the others' turns go on through this one */
        lf_pass_turn(w);
        lf_wait_turn(me, w);
    }
    lf_pass_turn(w);
}

static void print_outcomes(const uint64_t *outcome)
{
    for (unsigned e = 0; e < KEEL_ERR_COUNT; e++) {
        if (outcome[e]) {
            printf(" %s %lu,", keel_strerror(e), (unsigned long)outcome[e]);
        }
    }
}

void lfuzz_print(const char *what, uint64_t seed, const struct lfuzz_result *res)
{
    printf("%s: seed 0x%lx, %u workers on %u CPUs: %lu calls in %lu ms (%lu/s), peak %lu KiB, "
           "%lu turns (%lu late); outcomes:",
           what, (unsigned long)seed, LFUZZ_WORKERS, cpus_online(), (unsigned long)res->calls,
           (unsigned long)(res->us / 1000),
           (unsigned long)(res->us ? res->calls * 1000000 / res->us : 0),
           (unsigned long)(res->peak_used >> 10), (unsigned long)res->turns,
           (unsigned long)res->turn_timeouts);
    print_outcomes(res->outcome);
    printf(" minions: %lu started, %lu operations ended:", (unsigned long)res->minion_starts,
           (unsigned long)res->minion_ops);
    print_outcomes(res->minion_outcome);
    printf("\n");
}

/* A worker's task: the UTCB area of every fuzz task, the program's image. */
static int64_t lf_worker_task(uint64_t factory, uint64_t cap)
{
    int64_t r = KOBJ(factory, KEEL_FACTORY_TASK, cap,
                     keel_fpage_mem(KEEL_ROOT_UTCB_ADDR, LF_UTCB_ORDER, KEEL_FP_RW));
    uint64_t start = (uint64_t)(uintptr_t)__image_start & ~((1ull << 21) - 1);
    for (uint64_t a = start; r == 0 && a < (uint64_t)(uintptr_t)__image_end; a += 1ull << 21) {
        r = KOBJ(cap, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_mem(a, 21, KEEL_FP_RWX), a);
    }
    return r;
}

/* Reports a worker that stopped making calls: where it is and what it was doing. */
static void lf_report_stuck(unsigned i, const struct kthread *t)
{
    int64_t st = thread_state(t->cap);
    KOBJ(t->cap, KEEL_THREAD_EX_REGS, 0, 0, KEEL_EXREGS_KEEP_PC | KEEL_EXREGS_KEEP_SP);
    uint64_t pc = keel_utcb()->mr[0];
    printf("lifetime fuzz: worker %u stuck after %lu calls in %s: state %ld, pc 0x%lx\n", i,
           (unsigned long)lf.w[i].calls, op_name[lf.w[i].op % OP_COUNT], (long)st,
           (unsigned long)pc);
}

void lfuzz_round(uint64_t seed, uint64_t calls_per_worker, struct lfuzz_result *res)
{
    *res = (struct lfuzz_result){ 0 };
    unsigned ncpu = cpus_online();
    /* Everything the root needs, before measuring. */
    struct kthread wt[LFUZZ_WORKERS];
    uint64_t task[LFUZZ_WORKERS], gate[LFUZZ_WORKERS], turn[LFUZZ_WORKERS];
    void *pages[LFUZZ_WORKERS][LF_MEM_PAGES];
    for (unsigned i = 0; i < LFUZZ_WORKERS; i++) {
        kthread_prepare(&wt[i]);
        task[i] = cap_new_warm();
        gate[i] = cap_new_warm();
        turn[i] = cap_new_warm();
        for (unsigned k = 0; k < LF_MEM_PAGES; k++) {
            pages[i][k] = rt_page_alloc();
            REQUIRE(pages[i][k]);
        }
    }
    uint64_t ff = cap_new_warm(), sched = cap_new_warm();
    lf = (__typeof__(lf)){ 0 };
    lf.ncpu = ncpu;
    lf.turns = lfuzz_turns;
    lf.cycles_per_us = rt_kip()->timer_freq / 1000000 ? rt_kip()->timer_freq / 1000000 : 1;
    ktest_check_kernel_alive(); /* (warms what it needs) */
    uint64_t kmem0 = kmem_free(), root0 = factory_used(KEEL_ROOT_FACTORY);

    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, ff, LF_QUOTA), 0);
    REQUIRE_EQ(KOBJ(ff, KEEL_FACTORY_SCHEDULER, sched, KEEL_ROOT_SCHEDULER, LF_PRIO - 1), 0);
    for (unsigned i = 0; i < LFUZZ_WORKERS; i++) {
        REQUIRE_EQ(lf_worker_task(ff, task[i]), 0);
        REQUIRE_EQ(KOBJ(ff, KEEL_FACTORY_THREAD, wt[i].cap), 0);
        REQUIRE_EQ(KOBJ(ff, KEEL_FACTORY_GATE, gate[i], wt[i].cap, 0x700 + i), 0);
        REQUIRE_EQ(KOBJ(ff, KEEL_FACTORY_IRQ, turn[i]), 0);
        REQUIRE_EQ(KOBJ(turn[i], KEEL_IRQ_ATTACH, wt[i].cap, LF_TURN_LABEL + i), 0);
    }
    for (unsigned i = 0; i < LFUZZ_WORKERS; i++) {
        REQUIRE_EQ(ktask_give_cap(task[i], task[i], KEEL_CAP_ALL, SL_SELF), 0);
        REQUIRE_EQ(ktask_give_cap(task[i], ff, KEEL_CAP_ALL, SL_FACTORY), 0);
        REQUIRE_EQ(ktask_give_cap(task[i], sched, KEEL_CAP_ALL, SL_SCHED), 0);
        REQUIRE_EQ(ktask_give_cap(task[i], wt[i].cap, KEEL_CAP_ALL, SL_ME), 0);
        for (unsigned p = 0; p < LFUZZ_WORKERS; p++) {
            REQUIRE_EQ(ktask_give_cap(task[i], task[p], KEEL_CAP_ALL, SL_WTASK + p), 0);
            REQUIRE_EQ(ktask_give_cap(task[i], wt[p].cap, KEEL_CAP_ALL, SL_WTHREAD + p), 0);
            REQUIRE_EQ(ktask_give_cap(task[i], gate[p], KEEL_CAP_ALL, SL_WGATE + p), 0);
            REQUIRE_EQ(ktask_give_cap(task[i], turn[p], KEEL_CAP_R, SL_TURN + p), 0); /* trigger */
        }
        for (unsigned k = 0; k < LF_MEM_PAGES; k++) {
            REQUIRE_EQ(KOBJ(task[i], KEEL_TASK_MAP, KEEL_ROOT_TASK,
                            keel_fpage_mem((uint64_t)(uintptr_t)pages[i][k], 12, KEEL_FP_RW),
                            LF_MEM + k * KEEL_PAGE_SIZE),
                       0);
        }
        lf.w[i].seed = mix(seed ^ mix(i));
        lf.w[i].target = calls_per_worker;
    }
    /* The workers: UTCB 0 of their tasks, one per CPU (round robin), then started. */
    uint64_t t0 = now_us();
    for (unsigned i = 0; i < LFUZZ_WORKERS; i++) {
        wt[i].task = task[i];
        wt[i].utcb = 0; /* (not from ktest_util's allocator: kthread_free leaves it alone) */
        REQUIRE_EQ(ktask_map_page(task[i], wt[i].stack, KEEL_FP_RW), 0);
        uint64_t *top = (uint64_t *)((char *)wt[i].stack + KEEL_PAGE_SIZE) - 2;
        top[0] = i;
        top[1] = (uint64_t)(uintptr_t)lf_worker_main;
        REQUIRE_EQ(KOBJ(wt[i].cap, KEEL_THREAD_CONTROL, task[i], KEEL_ROOT_UTCB_ADDR, 0, 0), 0);
        REQUIRE_EQ(kthread_place(&wt[i], i % ncpu, LF_PRIO, 0), 0);
        REQUIRE_EQ(KOBJ(wt[i].cap, KEEL_THREAD_EX_REGS, (uint64_t)(uintptr_t)ktest_thread_entry,
                        (uint64_t)(uintptr_t)top, 0),
                   0);
    }
    /* Until all are done; one that makes no call for LF_HANG_MS is stuck. */
    uint64_t last[LFUZZ_WORKERS] = { 0 }, since[LFUZZ_WORKERS];
    for (unsigned i = 0; i < LFUZZ_WORKERS; i++) {
        since[i] = t0;
    }
    int stuck = 0;
    uint64_t shown = t0;
    for (;;) {
        int all = 1;
        uint64_t now = now_us();
        for (unsigned i = 0; i < LFUZZ_WORKERS; i++) {
            if (lf.w[i].done) {
                continue;
            }
            all = 0;
            if (lf.w[i].calls != last[i]) {
                last[i] = lf.w[i].calls;
                since[i] = now;
            } else if (now - since[i] > LF_HANG_MS * 1000ull) {
                lf_report_stuck(i, &wt[i]);
                stuck = 1;
            }
        }
        uint64_t used = factory_used(ff);
        res->peak_used = used > res->peak_used ? used : res->peak_used;
        if (lfuzz_verbose && now - shown > 2000000) {
            shown = now;
            uint64_t mops = 0;
            for (unsigned i = 0; i < LFUZZ_WORKERS; i++) {
                for (unsigned j = 0; j < N_THREAD; j++) {
                    mops += lf.m[i][j].ops;
                }
            }
            printf("lifetime fuzz: %lu ms:", (unsigned long)((now - t0) / 1000));
            for (unsigned i = 0; i < LFUZZ_WORKERS; i++) {
                printf(" w%u %lu calls %lu turns (%lu late) %s%s;", i, (unsigned long)lf.w[i].calls,
                       (unsigned long)lf.w[i].turns, (unsigned long)lf.w[i].turn_timeouts,
                       op_name[lf.w[i].op % OP_COUNT], lf.w[i].done ? " done" : "");
            }
            printf(" minions %lu ops, used %lu KiB\n", (unsigned long)mops,
                   (unsigned long)(used >> 10));
        }
        if (all || stuck) {
            break;
        }
        sleep_us(10000);
    }
    res->us = now_us() - t0;
    for (unsigned i = 0; i < LFUZZ_WORKERS; i++) {
        CHECK_EQ(lf.w[i].done, 1);
        res->calls += lf.w[i].calls;
        res->turns += lf.w[i].turns;
        res->turn_timeouts += lf.w[i].turn_timeouts;
        for (unsigned e = 0; e < KEEL_ERR_COUNT; e++) {
            res->outcome[e] += lf.w[i].outcome[e];
        }
        for (unsigned j = 0; j < N_THREAD; j++) {
            res->minion_ops += lf.m[i][j].ops;
            res->minion_starts += lf.m[i][j].starts;
            for (unsigned e = 0; e < KEEL_ERR_COUNT; e++) {
                res->minion_outcome[e] += lf.m[i][j].outcome[e];
            }
        }
    }
    CHECK(stuck || res->calls >= LFUZZ_WORKERS * calls_per_worker);

    /* Everything goes with the worker tasks: the workers, what they made, the threads bound there
     * and in the tasks they made. Then what the root made. */
    for (unsigned i = 0; i < LFUZZ_WORKERS; i++) {
        KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, task[i]);
    }
    for (unsigned i = 0; i < LFUZZ_WORKERS; i++) {
        CHECK_EQ(thread_state(wt[i].cap), KEEL_THREAD_STATE_DEAD);
        kthread_free(&wt[i]);
        KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, gate[i]);
        KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, turn[i]);
    }
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, sched);
    uint64_t used = factory_used(ff);
    for (unsigned i = 0; i < 2000 && used; i++) {
        sleep_us(1000);
        used = factory_used(ff);
    }
    CHECK_EQ(used, 0);
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, ff);
    CHECK_EQ(factory_used(KEEL_ROOT_FACTORY), root0);
    CHECK_EQ(kmem_free_settled(kmem0), kmem0);
    ktest_check_kernel_alive();
    for (unsigned i = 0; i < LFUZZ_WORKERS; i++) {
        for (unsigned k = 0; k < LF_MEM_PAGES; k++) {
            rt_page_free(pages[i][k]);
        }
        cap_free(task[i]);
        cap_free(gate[i]);
        cap_free(turn[i]);
    }
    cap_free(ff);
    cap_free(sched);
}

/* A short round of a fixed seed (docs/ktest.md: `make soak` runs long ones). */
KTEST(fuzz_lifetime_objects_recycled_across_cpus)
{
    struct lfuzz_result res;
    uint64_t t0 = now_us();
    lfuzz_round(LF_KTEST_SEED, LF_KTEST_CALLS, &res);
    lfuzz_print("lifetime fuzz", LF_KTEST_SEED, &res);
    printf("lifetime fuzz: the case took %lu ms\n", (unsigned long)((now_us() - t0) / 1000));
}
