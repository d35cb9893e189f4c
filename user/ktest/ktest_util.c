// SPDX-License-Identifier: MIT
// Helpers of the kernel test suite (see ktest_util.h).
#include "ktest_util.h"

extern char __image_start[], __image_end[];

static uint64_t root_utcb_next = KEEL_ROOT_UTCB_ADDR + KEEL_UTCB_SIZE;
static uint64_t free_caps[1024];
static unsigned free_cap_count;
static uint64_t child_utcb_next[4096];

void ktest_init(void)
{
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

static uint64_t utcb_for(uint64_t task)
{
    if (task == KEEL_ROOT_TASK) {
        uint64_t u = root_utcb_next;
        root_utcb_next += KEEL_UTCB_SIZE;
        if (root_utcb_next >= KEEL_ROOT_UTCB_ADDR + (1ull << KEEL_ROOT_UTCB_ORDER)) {
            root_utcb_next = KEEL_ROOT_UTCB_ADDR + KEEL_UTCB_SIZE; /* reuse: tests free threads */
        }
        return u;
    }
    uint64_t n = child_utcb_next[task % 4096]++;
    return KEEL_ROOT_UTCB_ADDR + (n % (1u << (CHILD_UTCB_ORDER - 10))) * KEEL_UTCB_SIZE;
}

int kthread_start(struct kthread *t, uint64_t task, void (*fn)(void), uint64_t pager, uint64_t exc)
{
    t->cap = cap_new();
    t->stack = rt_page_alloc();
    t->utcb = utcb_for(task);
    int64_t r = KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_THREAD, t->cap);
    if (r < 0) {
        return (int)r;
    }
    if (task != KEEL_ROOT_TASK && (r = ktask_map_page(task, t->stack, KEEL_FP_RW)) < 0) {
        return (int)r;
    }
    r = KOBJ(t->cap, KEEL_THREAD_CONTROL, task, t->utcb, pager, exc);
    if (r < 0) {
        return (int)r;
    }
    r = KOBJ(t->cap, KEEL_THREAD_EX_REGS, (uint64_t)(uintptr_t)fn,
             (uint64_t)(uintptr_t)t->stack + KEEL_PAGE_SIZE, 0);
    return r < 0 ? (int)r : 0;
}

void kthread_free(struct kthread *t)
{
    cap_free(t->cap);
    rt_page_free(t->stack);
}

int64_t ktask_map_page(uint64_t task, void *page, unsigned rights)
{
    uint64_t a = (uint64_t)(uintptr_t)page;
    return KOBJ(task, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_mem(a, 12, rights), a);
}

int64_t ktask_create(uint64_t factory, uint64_t *cap)
{
    *cap = cap_new();
    int64_t r = KOBJ(factory, KEEL_FACTORY_TASK, *cap,
                     keel_fpage_mem(KEEL_ROOT_UTCB_ADDR, CHILD_UTCB_ORDER, KEEL_FP_RW));
    if (r < 0) {
        return r;
    }
    child_utcb_next[*cap % 4096] = 0;
    /* The program image: text, data and bss, at the same addresses (2 MiB flexpages). */
    uint64_t start = (uint64_t)(uintptr_t)__image_start & ~((1ull << 21) - 1);
    for (uint64_t a = start; a < (uint64_t)(uintptr_t)__image_end; a += 1ull << 21) {
        r = KOBJ(*cap, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_mem(a, 21, KEEL_FP_RWX), a);
        if (r < 0) {
            return r;
        }
    }
    return KOBJ(*cap, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_cap(KEEL_ROOT_VCON, 0, KEEL_CAP_ALL),
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
