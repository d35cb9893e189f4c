// SPDX-License-Identifier: MIT
// Helpers of the kernel test suite (see ktest_util.h).
#include "ktest_util.h"

extern char __image_start[], __image_end[];

#if defined(__aarch64__)
__asm__(".text\n"
        ".globl ktest_thread_entry\n"
        "ktest_thread_entry:\n"
        "    ldp x0, x1, [sp]\n"
        "    blr x1\n"
        "    b kthread_exit\n"
        ".globl ktest_load\n.globl ktest_load_insn\n"
        "ktest_load:\n"
        "ktest_load_insn:\n"
        "    ldr x0, [x0]\n"
        "    ret\n"
        ".globl ktest_store\n.globl ktest_store_insn\n"
        "ktest_store:\n"
        "ktest_store_insn:\n"
        "    str x1, [x0]\n"
        "    ret\n"
        ".globl ktest_undef\n.globl ktest_undef_insn\n"
        "ktest_undef:\n"
        "ktest_undef_insn:\n"
        "    .word 0\n"
        "    ret\n");
#elif defined(__riscv)
__asm__(".text\n"
        ".globl ktest_thread_entry\n"
        "ktest_thread_entry:\n"
        "    ld a0, 0(sp)\n"
        "    ld a1, 8(sp)\n"
        "    jalr a1\n"
        "    j kthread_exit\n"
        ".globl ktest_load\n.globl ktest_load_insn\n"
        "ktest_load:\n"
        "ktest_load_insn:\n"
        "    ld a0, 0(a0)\n"
        "    ret\n"
        ".globl ktest_store\n.globl ktest_store_insn\n"
        "ktest_store:\n"
        "ktest_store_insn:\n"
        "    sd a1, 0(a0)\n"
        "    ret\n"
        ".globl ktest_undef\n.globl ktest_undef_insn\n"
        "ktest_undef:\n"
        "ktest_undef_insn:\n"
        "    .word 0\n"
        "    ret\n");
#elif defined(__x86_64__)
__asm__(".text\n"
        ".globl ktest_thread_entry\n"
        "ktest_thread_entry:\n"
        "    movq (%rsp), %rdi\n"
        "    movq 8(%rsp), %rax\n"
        "    call *%rax\n"
        "    jmp kthread_exit\n"
        ".globl ktest_load\n.globl ktest_load_insn\n"
        "ktest_load:\n"
        "ktest_load_insn:\n"
        "    movq (%rdi), %rax\n"
        "    ret\n"
        ".globl ktest_store\n.globl ktest_store_insn\n"
        "ktest_store:\n"
        "ktest_store_insn:\n"
        "    movq %rsi, (%rdi)\n"
        "    ret\n"
        ".globl ktest_undef\n.globl ktest_undef_insn\n"
        "ktest_undef:\n"
        "ktest_undef_insn:\n"
        "    ud2\n"
        "    ret\n");
#else
#error "ktest: no thread entry for this architecture"
#endif

#define ROOT_UTCBS (1u << (KEEL_ROOT_UTCB_ORDER - 10))
#define CHILD_UTCBS (1u << (CHILD_UTCB_ORDER - 10))
#define MAX_TASK_CAPS 4096
#define WARM_CAPS 2048

static uint64_t root_utcb_used = 1; /* slot 0: the root thread */
static uint16_t child_utcb_used[MAX_TASK_CAPS];
static uint64_t free_caps[1024];
static unsigned free_cap_count;

void ktest_init(void)
{
    /* Secondary CPUs come up while the first tests run; the cross-CPU tests want them all. */
    uint64_t want = rt_kip()->cpu_count;
    for (unsigned i = 0; i < 2000 && cpus_online() < want; i++) {
        sleep_us(1000);
    }
    /* Give the capability slots the tests use a table leaf now, once. */
    for (uint64_t idx = KEEL_ROOT_FIRST_FREE; idx < KEEL_ROOT_FIRST_FREE + WARM_CAPS; idx += 32) {
        KOBJ(KEEL_ROOT_TASK, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_cap(KEEL_ROOT_VCON, 0, KEEL_CAP_R),
             idx);
        KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, idx);
    }
}

uint64_t cap_new(void)
{
    return free_cap_count ? free_caps[--free_cap_count] : rt_cap_alloc();
}

void cap_free(uint64_t cap)
{
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, cap);
    if (free_cap_count < 1024) {
        free_caps[free_cap_count++] = cap;
    }
}

uint64_t cap_new_warm(void)
{
    uint64_t c = cap_new();
    if (c >= KEEL_ROOT_FIRST_FREE + WARM_CAPS) {
        KOBJ(KEEL_ROOT_TASK, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_cap(KEEL_ROOT_VCON, 0, KEEL_CAP_R),
             c);
        KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, c);
    }
    return c;
}

/* A free UTCB slot of task; 0 when none is left. */
static uint64_t utcb_alloc(uint64_t task)
{
    if (task == KEEL_ROOT_TASK) {
        for (unsigned i = 1; i < ROOT_UTCBS; i++) {
            if (!(root_utcb_used & (1ull << i))) {
                root_utcb_used |= 1ull << i;
                return KEEL_ROOT_UTCB_ADDR + i * KEEL_UTCB_SIZE;
            }
        }
        return 0;
    }
    uint16_t *used = &child_utcb_used[task % MAX_TASK_CAPS];
    for (unsigned i = 0; i < CHILD_UTCBS; i++) {
        if (!(*used & (1u << i))) {
            *used = (uint16_t)(*used | (1u << i));
            return KEEL_ROOT_UTCB_ADDR + i * KEEL_UTCB_SIZE;
        }
    }
    return 0;
}

static void utcb_release(uint64_t task, uint64_t utcb)
{
    if (!utcb) {
        return;
    }
    unsigned i = (unsigned)((utcb - KEEL_ROOT_UTCB_ADDR) / KEEL_UTCB_SIZE);
    if (task == KEEL_ROOT_TASK) {
        root_utcb_used &= ~(1ull << i);
    } else {
        child_utcb_used[task % MAX_TASK_CAPS] &= (uint16_t)~(1u << i);
    }
}

uint64_t root_utcb_page_alloc(void)
{
    const unsigned per_page = KEEL_PAGE_SIZE / KEEL_UTCB_SIZE;
    for (unsigned i = per_page; i + per_page <= ROOT_UTCBS; i += per_page) {
        uint64_t mask = ((1ull << per_page) - 1) << i;
        if (!(root_utcb_used & mask)) {
            root_utcb_used |= mask;
            return KEEL_ROOT_UTCB_ADDR + i * KEEL_UTCB_SIZE;
        }
    }
    return 0;
}

void root_utcb_page_free(uint64_t va)
{
    const unsigned per_page = KEEL_PAGE_SIZE / KEEL_UTCB_SIZE;
    unsigned i = (unsigned)((va - KEEL_ROOT_UTCB_ADDR) / KEEL_UTCB_SIZE);
    root_utcb_used &= ~(((1ull << per_page) - 1) << i);
}

void kthread_prepare(struct kthread *t)
{
    t->cap = cap_new_warm();
    t->stack = rt_page_alloc();
    t->utcb = 0;
    t->task = 0;
}

int kthread_run(struct kthread *t, uint64_t factory, uint64_t task, kthread_fn fn, uint64_t arg,
                uint64_t pager, uint64_t exc)
{
    if (!t->stack) {
        return -KEEL_ENOMEM;
    }
    t->task = task;
    t->utcb = utcb_alloc(task);
    if (!t->utcb) {
        return -KEEL_EBUSY;
    }
    int64_t r = KOBJ(factory, KEEL_FACTORY_THREAD, t->cap);
    if (r < 0) {
        return (int)r;
    }
    if (task != KEEL_ROOT_TASK && (r = ktask_map_page(task, t->stack, KEEL_FP_RW)) < 0) {
        return (int)r;
    }
    uint64_t *top = (uint64_t *)((char *)t->stack + KEEL_PAGE_SIZE) - 2;
    top[0] = arg;
    top[1] = (uint64_t)(uintptr_t)fn;
    r = KOBJ(t->cap, KEEL_THREAD_CONTROL, task, t->utcb, pager, exc);
    if (r < 0) {
        return (int)r;
    }
    r = KOBJ(t->cap, KEEL_THREAD_EX_REGS, (uint64_t)(uintptr_t)ktest_thread_entry,
             (uint64_t)(uintptr_t)top, 0);
    return r < 0 ? (int)r : 0;
}

int kthread_start_arg(struct kthread *t, uint64_t task, kthread_fn fn, uint64_t arg, uint64_t pager,
                      uint64_t exc)
{
    kthread_prepare(t);
    return kthread_run(t, KEEL_ROOT_FACTORY, task, fn, arg, pager, exc);
}

static void call_void(uint64_t fn)
{
    ((void (*)(void))(uintptr_t)fn)();
}

int kthread_start(struct kthread *t, uint64_t task, void (*fn)(void), uint64_t pager, uint64_t exc)
{
    return kthread_start_arg(t, task, call_void, (uint64_t)(uintptr_t)fn, pager, exc);
}

void kthread_free(struct kthread *t)
{
    cap_free(t->cap);
    if (t->task != KEEL_ROOT_TASK && t->stack) {
        /* The page goes back to the allocator: take it from wherever it was mapped. */
        KOBJ(KEEL_ROOT_TASK, KEEL_TASK_UNMAP,
             keel_fpage_mem((uint64_t)(uintptr_t)t->stack, 12, KEEL_FP_RWX), 0);
    }
    utcb_release(t->task, t->utcb);
    if (t->stack) {
        rt_page_free(t->stack);
    }
    t->stack = 0;
    t->utcb = 0;
}

int64_t kthread_place(const struct kthread *t, unsigned cpu, unsigned prio, uint64_t quantum_us)
{
    return KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_RUN, t->cap, cpu, prio, quantum_us);
}

int64_t thread_state(uint64_t cap)
{
    return KOBJ(cap, KEEL_THREAD_STATE);
}

uint64_t thread_cpu(uint64_t cap)
{
    if (KOBJ(cap, KEEL_THREAD_STATS) < 0) {
        return ~0ull;
    }
    return keel_utcb()->mr[2];
}

int wait_state(uint64_t cap, int64_t state, unsigned ms)
{
    for (unsigned i = 0; i < ms; i++) {
        if (thread_state(cap) == state) {
            return 1;
        }
        sleep_us(1000);
    }
    return thread_state(cap) == state;
}

int64_t ktask_map_page(uint64_t task, void *page, unsigned rights)
{
    uint64_t a = (uint64_t)(uintptr_t)page;
    return KOBJ(task, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_mem(a, 12, rights), a);
}

int64_t ktask_give_cap(uint64_t task, uint64_t src, unsigned rights, uint64_t dst)
{
    return KOBJ(task, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_cap(src, 0, rights), dst);
}

uint64_t ktask_mem_rights(uint64_t task, uint64_t addr)
{
    int64_t r = KOBJ(task, KEEL_TASK_MEM_INFO, addr);
    return r == 1 ? keel_utcb()->mr[0] : 0;
}

unsigned ktask_mem_order(uint64_t task, uint64_t addr)
{
    int64_t r = KOBJ(task, KEEL_TASK_MEM_INFO, addr);
    return r == 1 ? (unsigned)keel_utcb()->mr[2] : 0;
}

uint64_t kgate_create(uint64_t factory, uint64_t thread, uint64_t label)
{
    uint64_t g = cap_new();
    if (KOBJ(factory, KEEL_FACTORY_GATE, g, thread, label) != 0) {
        cap_free(g);
        return 0;
    }
    return g;
}

int64_t ktask_create(uint64_t factory, uint64_t *cap)
{
    *cap = cap_new();
    return ktask_create_in(factory, *cap);
}

int64_t ktask_create_in(uint64_t factory, uint64_t cap)
{
    int64_t r = KOBJ(factory, KEEL_FACTORY_TASK, cap,
                     keel_fpage_mem(KEEL_ROOT_UTCB_ADDR, CHILD_UTCB_ORDER, KEEL_FP_RW));
    if (r < 0) {
        return r;
    }
    child_utcb_used[cap % MAX_TASK_CAPS] = 0;
    /* The program image: text, data and bss, at the same addresses (2 MiB flexpages). */
    uint64_t start = (uint64_t)(uintptr_t)__image_start & ~((1ull << 21) - 1);
    for (uint64_t a = start; a < (uint64_t)(uintptr_t)__image_end; a += 1ull << 21) {
        r = KOBJ(cap, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_mem(a, 21, KEEL_FP_RWX), a);
        if (r < 0) {
            return r;
        }
    }
    return KOBJ(cap, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_cap(KEEL_ROOT_VCON, 0, KEEL_CAP_ALL),
                KEEL_ROOT_VCON);
}

void kthread_exit(void)
{
    for (;;) {
        keel_wait(KEEL_TIMEOUT_NEVER, 0);
    }
}

void sleep_us(uint32_t us)
{
    keel_receive(KEEL_ROOT_THREAD, us, 0); /* nobody sends: the timeout ends it */
}

uint64_t now_us(void)
{
    return keel_cycles() * 1000000 / rt_kip()->timer_freq;
}

void spin_us(uint64_t us)
{
    uint64_t end = keel_cycles() + us * rt_kip()->timer_freq / 1000000;
    while (keel_cycles() < end) {
    }
}

int wait_flag(volatile int *flag, unsigned ms)
{
    for (unsigned i = 0; i < ms && !*flag; i++) {
        sleep_us(1000);
    }
    return *flag;
}

uint64_t factory_used(uint64_t factory)
{
    KOBJ(factory, KEEL_FACTORY_INFO);
    return keel_utcb()->mr[1];
}

uint64_t kmem_free(void)
{
    KOBJ(KEEL_ROOT_PLATFORM, KEEL_PLATFORM_KMEM);
    return keel_utcb()->mr[0];
}

uint64_t kmem_free_settled(uint64_t expect)
{
    uint64_t v = kmem_free();
    for (unsigned i = 0; i < 200 && v != expect; i++) {
        sleep_us(1000);
        v = kmem_free();
    }
    return v;
}

unsigned cpus_online(void)
{
    if (KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_INFO) < 0) {
        return 0;
    }
    unsigned n = 0;
    for (uint64_t m = keel_utcb()->mr[1]; m; m &= m - 1) {
        n++; /* no __builtin_popcount: libgcc's uses SIMD, which user level may not */
    }
    return n;
}
