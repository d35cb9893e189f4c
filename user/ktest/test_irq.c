// SPDX-License-Identifier: MIT
// Irq objects (attach, trigger, pending delivery, closed receive, detach, destruction) and the
// Icu (info, bind errors, line ownership).
#include <keel/ktest.h>
#include "ktest_util.h"

static volatile int done;
static volatile int64_t got_err;
static volatile uint64_t got_label;

static uint64_t irq_new(void)
{
    uint64_t c = cap_new();
    if (KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ, c) != 0) {
        cap_free(c);
        return 0;
    }
    return c;
}

KTEST(irq_trigger_delivers_label_once)
{
    uint64_t irq = irq_new();
    REQUIRE(irq);
    /* Not attached: a trigger goes nowhere. */
    CHECK_EQ(KOBJ(irq, KEEL_IRQ_TRIGGER), 0);
    CHECK(keel_tag_is_error(keel_wait(KEEL_TIMEOUT_ZERO, 0)));
    REQUIRE_EQ(KOBJ(irq, KEEL_IRQ_ATTACH, KEEL_ROOT_THREAD, 0x1234), 0);
    for (unsigned i = 0; i < 3; i++) {
        CHECK_EQ(KOBJ(irq, KEEL_IRQ_TRIGGER), 0); /* pending: they coalesce */
    }
    uint64_t label = 0;
    uint64_t tag = keel_wait(KEEL_TIMEOUT_ZERO, &label);
    REQUIRE_EQ(ipc_err(tag), 0);
    CHECK_EQ(label, 0x1234);
    CHECK_EQ(keel_tag_words(tag), 0);
    CHECK_EQ(keel_tag_items(tag), 0);
    tag = keel_wait(KEEL_TIMEOUT_ZERO, 0);
    CHECK(keel_tag_is_error(tag));
    CHECK_EQ(keel_ipc_error(), -KEEL_ETIMEOUT);
    /* Again after delivery. */
    CHECK_EQ(KOBJ(irq, KEEL_IRQ_TRIGGER), 0);
    CHECK_EQ(ipc_err(keel_wait(KEEL_TIMEOUT_ZERO, &label)), 0);
    CHECK_EQ(label, 0x1234);
    cap_free(irq);
}

KTEST(irq_closed_receive_on_irq_cap)
{
    uint64_t a = irq_new(), b = irq_new(), other = irq_new();
    REQUIRE(a && b && other);
    REQUIRE_EQ(KOBJ(a, KEEL_IRQ_ATTACH, KEEL_ROOT_THREAD, 1), 0);
    REQUIRE_EQ(KOBJ(b, KEEL_IRQ_ATTACH, KEEL_ROOT_THREAD, 2), 0);
    CHECK_EQ(KOBJ(a, KEEL_IRQ_TRIGGER), 0);
    CHECK_EQ(KOBJ(b, KEEL_IRQ_TRIGGER), 0);
    uint64_t label = 0;
    CHECK_EQ(ipc_err(keel_receive(b, KEEL_TIMEOUT_ZERO, &label)), 0); /* b, though a came first */
    CHECK_EQ(label, 2);
    CHECK(keel_tag_is_error(keel_receive(b, KEEL_TIMEOUT_ZERO, 0)));
    CHECK_EQ(keel_ipc_error(), -KEEL_ETIMEOUT);
    CHECK_EQ(ipc_err(keel_receive(a, KEEL_TIMEOUT_ZERO, &label)), 0);
    CHECK_EQ(label, 1);
    /* An Irq that is not attached to us cannot be waited for. */
    CHECK(keel_tag_is_error(keel_receive(other, KEEL_TIMEOUT_ZERO, 0)));
    CHECK_EQ(keel_ipc_error(), -KEEL_ENOENT);
    /* A finite closed wait on an Irq that does not come times out. */
    CHECK(keel_tag_is_error(keel_receive(a, 5000, 0)));
    CHECK_EQ(keel_ipc_error(), -KEEL_ETIMEOUT);
    cap_free(a);
    cap_free(b);
    cap_free(other);
}

/* Waits for the Irq `irq` (closed), notes the label. */
static void irq_waiter(uint64_t irq)
{
    uint64_t label = 0;
    uint64_t tag = keel_receive(irq, KEEL_TIMEOUT_NEVER, &label);
    got_err = ipc_err(tag);
    got_label = label;
    done = 1;
}

KTEST(irq_wakes_blocked_thread_on_any_cpu)
{
    unsigned n = cpus_online();
    for (unsigned cpu = 0; cpu < n; cpu++) {
        done = 0;
        got_label = 0;
        uint64_t irq = irq_new();
        REQUIRE(irq);
        struct kthread t;
        kthread_prepare(&t);
        /* It runs only once we block or move it, so it is attached before it waits. */
        REQUIRE_EQ(kthread_run(&t, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, irq_waiter, irq, 0, 0), 0);
        REQUIRE_EQ(KOBJ(irq, KEEL_IRQ_ATTACH, t.cap, 0x500 + cpu), 0);
        REQUIRE_EQ(kthread_place(&t, cpu, ROOT_PRIO, 0), 0);
        REQUIRE(wait_state(t.cap, 2, 1000));
        CHECK_EQ(done, 0);
        CHECK_EQ(KOBJ(irq, KEEL_IRQ_TRIGGER), 0);
        CHECK(wait_flag(&done, 1000));
        CHECK_EQ(got_err, 0);
        CHECK_EQ(got_label, 0x500 + cpu);
        kthread_free(&t);
        cap_free(irq);
    }
}

/* Blocks in a closed receive from itself; after the cancel, waits openly (notes the label). */
static void busy_then_wait(uint64_t mycap)
{
    keel_receive(mycap, KEEL_TIMEOUT_NEVER, 0);
    uint64_t label = 0;
    uint64_t tag = keel_wait(KEEL_TIMEOUT_NEVER, &label);
    got_err = ipc_err(tag);
    got_label = label;
    done = 1;
}

KTEST(irq_stays_pending_until_open_wait)
{
    done = 0;
    uint64_t irq = irq_new();
    REQUIRE(irq);
    struct kthread t;
    kthread_prepare(&t);
    REQUIRE_EQ(kthread_run(&t, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, busy_then_wait, t.cap, 0, 0), 0);
    REQUIRE(wait_state(t.cap, 2, 1000));
    REQUIRE_EQ(KOBJ(irq, KEEL_IRQ_ATTACH, t.cap, 0x77), 0);
    CHECK_EQ(KOBJ(irq, KEEL_IRQ_TRIGGER), 0);
    sleep_us(2000);
    CHECK_EQ(done, 0); /* its closed receive is not for Irqs */
    CHECK_EQ(KOBJ(t.cap, KEEL_THREAD_EX_REGS, 0, 0,
                  KEEL_EXREGS_CANCEL | KEEL_EXREGS_KEEP_PC | KEEL_EXREGS_KEEP_SP), 0);
    CHECK(wait_flag(&done, 1000));
    CHECK_EQ(got_err, 0);
    CHECK_EQ(got_label, 0x77);
    kthread_free(&t);
    cap_free(irq);
}

KTEST(irq_detach_drops_pending_and_stops_delivery)
{
    uint64_t irq = irq_new();
    REQUIRE(irq);
    REQUIRE_EQ(KOBJ(irq, KEEL_IRQ_ATTACH, KEEL_ROOT_THREAD, 5), 0);
    CHECK_EQ(KOBJ(irq, KEEL_IRQ_TRIGGER), 0);
    CHECK_EQ(KOBJ(irq, KEEL_IRQ_DETACH), 0);
    CHECK(keel_tag_is_error(keel_wait(KEEL_TIMEOUT_ZERO, 0)));
    CHECK_EQ(KOBJ(irq, KEEL_IRQ_TRIGGER), 0);
    CHECK(keel_tag_is_error(keel_wait(KEEL_TIMEOUT_ZERO, 0)));
    CHECK_EQ(KOBJ(irq, KEEL_IRQ_DETACH), 0); /* twice is fine */
    /* Attaching again replaces the label. */
    REQUIRE_EQ(KOBJ(irq, KEEL_IRQ_ATTACH, KEEL_ROOT_THREAD, 6), 0);
    REQUIRE_EQ(KOBJ(irq, KEEL_IRQ_ATTACH, KEEL_ROOT_THREAD, 7), 0);
    CHECK_EQ(KOBJ(irq, KEEL_IRQ_TRIGGER), 0);
    uint64_t label = 0;
    CHECK_EQ(ipc_err(keel_wait(KEEL_TIMEOUT_ZERO, &label)), 0);
    CHECK_EQ(label, 7);
    CHECK(keel_tag_is_error(keel_wait(KEEL_TIMEOUT_ZERO, 0)));
    cap_free(irq);
}

KTEST(irq_destroyed_while_pending)
{
    uint64_t irq = irq_new();
    REQUIRE(irq);
    REQUIRE_EQ(KOBJ(irq, KEEL_IRQ_ATTACH, KEEL_ROOT_THREAD, 5), 0);
    CHECK_EQ(KOBJ(irq, KEEL_IRQ_TRIGGER), 0);
    cap_free(irq); /* pending at our thread when it goes */
    CHECK(keel_tag_is_error(keel_wait(KEEL_TIMEOUT_ZERO, 0)));
    CHECK_EQ(keel_ipc_error(), -KEEL_ETIMEOUT);
}

KTEST(irq_thread_destroyed_detaches)
{
    done = 0;
    uint64_t irq = irq_new();
    REQUIRE(irq);
    struct kthread t;
    kthread_prepare(&t);
    REQUIRE_EQ(kthread_run(&t, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, busy_then_wait, t.cap, 0, 0), 0);
    REQUIRE(wait_state(t.cap, 2, 1000));
    REQUIRE_EQ(KOBJ(irq, KEEL_IRQ_ATTACH, t.cap, 1), 0);
    CHECK_EQ(KOBJ(irq, KEEL_IRQ_TRIGGER), 0); /* pending at t */
    kthread_free(&t);
    CHECK_EQ(KOBJ(irq, KEEL_IRQ_TRIGGER), 0); /* goes nowhere now */
    REQUIRE_EQ(KOBJ(irq, KEEL_IRQ_ATTACH, KEEL_ROOT_THREAD, 2), 0);
    CHECK_EQ(KOBJ(irq, KEEL_IRQ_TRIGGER), 0);
    uint64_t label = 0;
    CHECK_EQ(ipc_err(keel_wait(KEEL_TIMEOUT_ZERO, &label)), 0);
    CHECK_EQ(label, 2);
    CHECK_EQ(done, 0);
    cap_free(irq);
}

KTEST(irq_operation_errors)
{
    uint64_t irq = irq_new();
    REQUIRE(irq);
    CHECK_EQ(KOBJ(irq, KEEL_IRQ_ATTACH, KEEL_ROOT_TASK, 0), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(irq, KEEL_IRQ_ATTACH, 1000, 0), -KEEL_ENOCAP);
    CHECK_EQ(KOBJ(irq, KEEL_IRQ_ATTACH, KEEL_ROOT_THREAD), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(irq, KEEL_IRQ_UNMASK), -KEEL_ENOENT); /* no hardware line */
    CHECK_EQ(KOBJ(irq, 9), -KEEL_EPROTO);
    uint64_t ro = cap_new(), thr = cap_new();
    REQUIRE_EQ(ktask_give_cap(KEEL_ROOT_TASK, irq, KEEL_CAP_R, ro), 0);
    REQUIRE_EQ(ktask_give_cap(KEEL_ROOT_TASK, KEEL_ROOT_THREAD, KEEL_CAP_R, thr), 0);
    CHECK_EQ(KOBJ(ro, KEEL_IRQ_ATTACH, KEEL_ROOT_THREAD, 0), -KEEL_EPERM);
    CHECK_EQ(KOBJ(irq, KEEL_IRQ_ATTACH, thr, 0), -KEEL_EPERM); /* the thread needs W too */
    CHECK_EQ(KOBJ(ro, KEEL_IRQ_DETACH), -KEEL_EPERM);
    REQUIRE_EQ(KOBJ(irq, KEEL_IRQ_ATTACH, KEEL_ROOT_THREAD, 3), 0);
    CHECK_EQ(KOBJ(ro, KEEL_IRQ_TRIGGER), 0); /* triggering needs only R */
    uint64_t label = 0;
    CHECK_EQ(ipc_err(keel_wait(KEEL_TIMEOUT_ZERO, &label)), 0);
    CHECK_EQ(label, 3);
    cap_free(thr);
    cap_free(ro);
    cap_free(irq);
}

KTEST(icu_info_and_bind_errors)
{
    REQUIRE_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_INFO), 0);
    uint64_t lines = keel_utcb()->mr[0], first = keel_utcb()->mr[1];
    CHECK(lines > first);
    CHECK(lines <= 1024);
#if defined(__aarch64__)
    CHECK_EQ(first, 32); /* GIC: SGIs and PPIs stay with the kernel */
#endif
    uint64_t a = irq_new(), b = irq_new();
    REQUIRE(a && b);
    uint64_t l1 = lines - 1, l2 = lines - 2; /* no device of the virt board uses these */
    CHECK_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_BIND, a, first - 1, 0), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_BIND, a, lines, 0), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_BIND, a, 1ull << 32, 0), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_BIND, a, l1, 2), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_BIND, KEEL_ROOT_THREAD, l1, 0), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_BIND, 1000, l1, 0), -KEEL_ENOCAP);
    CHECK_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_BIND, a, l1), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_BIND), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(KEEL_ROOT_ICU, 99, 0), -KEEL_EPROTO);
    /* One line, one Irq. */
    CHECK_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_BIND, a, l1, KEEL_IRQ_MODE_EDGE_RISING), 0);
    CHECK_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_BIND, b, l1, 0), -KEEL_EBUSY);
    CHECK_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_BIND, a, l2, 0), -KEEL_EBUSY);
    CHECK_EQ(KOBJ(a, KEEL_IRQ_UNMASK), 0);
    CHECK_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_MASK, l1), 0);
    CHECK_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_UNMASK, l1), 0);
    CHECK_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_MASK, first - 1), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_UNMASK, lines), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_UNBIND, a), 0);
    CHECK_EQ(KOBJ(a, KEEL_IRQ_UNMASK), -KEEL_ENOENT);
    CHECK_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_BIND, b, l1, 0), 0);
    /* Destroying the Irq frees its line. */
    cap_free(b);
    CHECK_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_BIND, a, l1, 0), 0);
    /* Without W only INFO works. */
    uint64_t ro = cap_new();
    REQUIRE_EQ(ktask_give_cap(KEEL_ROOT_TASK, KEEL_ROOT_ICU, KEEL_CAP_R, ro), 0);
    CHECK_EQ(KOBJ(ro, KEEL_ICU_INFO), 0);
    CHECK_EQ(KOBJ(ro, KEEL_ICU_UNBIND, a), -KEEL_EPERM);
    CHECK_EQ(KOBJ(ro, KEEL_ICU_MASK, l1), -KEEL_EPERM);
    cap_free(ro);
    cap_free(a);
}
