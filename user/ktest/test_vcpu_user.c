// SPDX-License-Identifier: MIT
// Plain vCPU mode (uapi/keel/vcpu_user.h): Irqs enter at the thread's entry point under its
// virtual interrupt flag, and VCPU_USER_RESUME goes back to where it was.
#include <keel/ktest.h>
#include "ktest_util.h"
#include <uapi/keel/vcpu_user.h>

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
    vu_area->flags = 0;
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
