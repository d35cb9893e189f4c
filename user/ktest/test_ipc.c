// SPDX-License-Identifier: MIT
// IPC: call/reply through gates, send and receive, open and closed waits, queues, timeouts,
// errors, cancellation by peer death, cross-CPU calls, and typed items (memory, capabilities).
#include <keel/ktest.h>
#include "ktest_util.h"
#include <stdbool.h>

#define WIN 0x1000000000ull /* receive windows in child tasks: far from the image */

static volatile int server_ready;
static volatile uint64_t server_seen_label;
static volatile unsigned server_calls; /* messages the echo server received */

/* Echo server: answers each call with its words plus one, label = words sum. */
static void echo_server(void)
{
    uint64_t label;
    uint64_t tag = keel_wait(KEEL_TIMEOUT_NEVER, &label);
    server_ready = 1;
    for (;;) {
        server_seen_label = label;
        server_calls++;
        struct keel_utcb *u = keel_utcb();
        unsigned n = keel_tag_words(tag);
        int64_t sum = 0;
        for (unsigned i = 0; i < n; i++) {
            sum += (int64_t)u->mr[i];
            u->mr[i] += 1;
        }
        tag = keel_reply_wait(keel_tag(sum, n, 0), KEEL_TIMEOUT_NEVER, &label);
        while (keel_tag_is_error(tag)) {
            tag = keel_wait(KEEL_TIMEOUT_NEVER, &label); /* the reply failed: no receive happened */
        }
    }
}

struct server {
    struct kthread t;
    uint64_t gate;
};

static int server_start(struct server *s, uint64_t label)
{
    server_ready = 0;
    if (kthread_start(&s->t, KEEL_ROOT_TASK, echo_server, 0, 0)) {
        return -1;
    }
    s->gate = cap_new();
    return (int)KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_GATE, s->gate, s->t.cap, label);
}

static void server_stop(struct server *s)
{
    cap_free(s->gate);
    kthread_free(&s->t);
}

/* What a helper thread saw. */
struct result {
    volatile int done;
    volatile int64_t err; /* 0 or -keel_err */
    volatile uint64_t tag, label, mr0, items;
};
static struct result res[4];

static void result_clear(void)
{
    for (unsigned i = 0; i < 4; i++) {
        res[i] = (struct result){ 0 };
    }
}

static void note(struct result *r, uint64_t tag, uint64_t label)
{
    r->tag = tag;
    r->label = label;
    r->err = keel_tag_is_error(tag) ? keel_ipc_error() : 0;
    r->mr0 = keel_utcb()->mr[0];
    r->items = keel_utcb()->tcr[KEEL_TCR_ITEMS_RCVD];
    r->done = 1;
}

/* Blocks in a closed receive from itself (accepting nobody) until ex_regs cancels it, notes the
 * error in res[0], then waits openly and notes what arrives in res[1]. */
static void not_receiving(uint64_t mycap)
{
    note(&res[0], keel_receive(mycap, KEEL_TIMEOUT_NEVER, 0), 0);
    uint64_t label;
    uint64_t tag = keel_wait(KEEL_TIMEOUT_NEVER, &label);
    note(&res[1], tag, label);
}

/* Sends MR0 = id through gate (arg: gate | id << 32), notes the result in res[id]. */
static void sender(uint64_t arg)
{
    unsigned id = (unsigned)(arg >> 32);
    keel_utcb()->mr[0] = id;
    note(&res[id], keel_send(arg & 0xffffffff, keel_tag(0x50 + id, 1, 0), KEEL_TIMEOUT_NEVER), 0);
}

/* Calls gate (arg: gate | id << 32) with MR0 = id, notes the result in res[id]. */
static void caller(uint64_t arg)
{
    unsigned id = (unsigned)(arg >> 32);
    keel_utcb()->mr[0] = id;
    note(&res[id], keel_call(arg & 0xffffffff, keel_tag(0x60 + id, 1, 0), KEEL_NEVER, 0), 0);
}

/* Receives one call (res[0]), then blocks in a closed receive from itself without replying until
 * canceled (res[1]), then tries to reply (res[2]). */
static void silent_server(uint64_t mycap)
{
    uint64_t label;
    uint64_t tag = keel_wait(KEEL_TIMEOUT_NEVER, &label);
    note(&res[0], tag, label);
    note(&res[1], keel_receive(mycap, KEEL_TIMEOUT_NEVER, 0), 0);
    note(&res[2], keel_reply(keel_tag(0, 0, 0)), 0);
}

static int start_with_self(struct kthread *t, kthread_fn fn)
{
    kthread_prepare(t);
    return kthread_run(t, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, fn, t->cap, 0, 0);
}

KTEST(ipc_call_reply_through_gate)
{
    struct server s;
    REQUIRE_EQ(server_start(&s, 0x1234), 0);
    struct keel_utcb *u = keel_utcb();
    u->mr[0] = 10;
    u->mr[1] = 20;
    u->mr[2] = 30;
    uint64_t tag = keel_call(s.gate, keel_tag(5, 3, 0), KEEL_NEVER, 0);
    REQUIRE(!keel_tag_is_error(tag));
    CHECK_EQ(keel_tag_label(tag), 60);
    CHECK_EQ(keel_tag_words(tag), 3);
    CHECK_EQ(u->mr[0], 11);
    CHECK_EQ(u->mr[2], 31);
    CHECK_EQ(server_seen_label, 0x1234);
    server_stop(&s);
}

KTEST(ipc_many_calls)
{
    struct server s;
    REQUIRE_EQ(server_start(&s, 1), 0);
    struct keel_utcb *u = keel_utcb();
    for (uint64_t i = 0; i < 1000; i++) {
        u->mr[0] = i;
        uint64_t tag = keel_call(s.gate, keel_tag(0, 1, 0), KEEL_NEVER, 0);
        REQUIRE(!keel_tag_is_error(tag));
        REQUIRE_EQ(u->mr[0], i + 1);
    }
    server_stop(&s);
}

KTEST(ipc_all_message_registers_are_copied)
{
    struct server s;
    REQUIRE_EQ(server_start(&s, 1), 0);
    struct keel_utcb *u = keel_utcb();
    for (unsigned i = 0; i < KEEL_MR_COUNT; i++) {
        u->mr[i] = 1000 + i * 7;
    }
    uint64_t tag = keel_call(s.gate, keel_tag(0, KEEL_MR_COUNT, 0), KEEL_NEVER, 0);
    REQUIRE(!keel_tag_is_error(tag));
    CHECK_EQ(keel_tag_words(tag), KEEL_MR_COUNT);
    for (unsigned i = 0; i < KEEL_MR_COUNT; i++) {
        REQUIRE_EQ(u->mr[i], 1000 + i * 7 + 1);
    }
    server_stop(&s);
}

KTEST(ipc_send_zero_timeout_without_receiver)
{
    result_clear();
    struct kthread t;
    REQUIRE_EQ(start_with_self(&t, not_receiving), 0);
    REQUIRE(wait_state(t.cap, 2, 1000)); /* blocked, but not for us */
    uint64_t g = kgate_create(KEEL_ROOT_FACTORY, t.cap, 0x77);
    REQUIRE(g);
    keel_utcb()->mr[0] = 5;
    uint64_t tag = keel_send(g, keel_tag(1, 1, 0), KEEL_TIMEOUT_ZERO);
    CHECK(keel_tag_is_error(tag));
    CHECK_EQ(keel_ipc_error(), -KEEL_ETIMEOUT);
    CHECK_EQ(thread_state(t.cap), 2); /* still waiting where it was */
    CHECK_EQ(res[0].done, 0);
    /* Now let it wait openly: the same zero-timeout send gets through. */
    REQUIRE_EQ(KOBJ(t.cap, KEEL_THREAD_EX_REGS, 0, 0,
                    KEEL_EXREGS_CANCEL | KEEL_EXREGS_KEEP_PC | KEEL_EXREGS_KEEP_SP), 0);
    REQUIRE(wait_flag(&res[0].done, 1000));
    CHECK_EQ(res[0].err, -KEEL_ECANCELED);
    REQUIRE(wait_state(t.cap, 2, 1000));
    keel_utcb()->mr[0] = 5;
    tag = keel_send(g, keel_tag(1, 1, 0), KEEL_TIMEOUT_ZERO);
    CHECK(!keel_tag_is_error(tag));
    REQUIRE(wait_flag(&res[1].done, 1000));
    CHECK_EQ(res[1].err, 0);
    CHECK_EQ(res[1].label, 0x77);
    CHECK_EQ(keel_tag_label(res[1].tag), 1);
    CHECK_EQ(res[1].mr0, 5);
    cap_free(g);
    kthread_free(&t);
}

KTEST(ipc_send_finite_timeout_expires)
{
    result_clear();
    struct kthread t;
    REQUIRE_EQ(start_with_self(&t, not_receiving), 0);
    REQUIRE(wait_state(t.cap, 2, 1000));
    uint64_t g = kgate_create(KEEL_ROOT_FACTORY, t.cap, 0);
    REQUIRE(g);
    uint64_t freq = rt_kip()->timer_freq;
    uint64_t t0 = keel_cycles();
    uint64_t tag = keel_send(g, keel_tag(1, 0, 0), 20000);
    uint64_t dt = keel_cycles() - t0;
    CHECK(keel_tag_is_error(tag));
    CHECK_EQ(keel_ipc_error(), -KEEL_ETIMEOUT);
    CHECK(dt >= freq / 50 - freq / 1000);
    CHECK(dt < freq);
    CHECK_EQ(res[0].done, 0);
    cap_free(g);
    kthread_free(&t);
}

KTEST(ipc_receive_zero_timeout)
{
    uint64_t tag = keel_wait(KEEL_TIMEOUT_ZERO, 0);
    CHECK(keel_tag_is_error(tag));
    CHECK_EQ(keel_ipc_error(), -KEEL_ETIMEOUT);
}

KTEST(ipc_receive_finite_timeout_expires)
{
    uint64_t freq = rt_kip()->timer_freq;
    uint64_t t0 = keel_cycles();
    uint64_t tag = keel_wait(20000, 0); /* 20 ms */
    uint64_t dt = keel_cycles() - t0;
    CHECK(keel_tag_is_error(tag));
    CHECK_EQ(keel_ipc_error(), -KEEL_ETIMEOUT);
    CHECK(dt >= freq / 50 - freq / 1000);
    CHECK(dt < freq); /* and not much later than asked */
}

KTEST(ipc_unbound_gate_is_enoent)
{
    uint64_t g = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_GATE, g, ~0ull, 0), 0);
    uint64_t tag = keel_call(g, keel_tag(0, 0, 0), KEEL_NEVER, 0);
    CHECK(keel_tag_is_error(tag));
    CHECK_EQ(keel_ipc_error(), -KEEL_ENOENT);
    cap_free(g);
}

KTEST(ipc_too_many_words_is_emsgsize)
{
    struct server s;
    REQUIRE_EQ(server_start(&s, 1), 0);
    uint64_t tag = keel_call(s.gate, keel_tag(0, 60, 4), KEEL_NEVER, 0);
    CHECK(keel_tag_is_error(tag));
    CHECK_EQ(keel_ipc_error(), -KEEL_EMSGSIZE);
    tag = keel_call(s.gate, keel_tag(0, KEEL_MR_COUNT + 1, 0), KEEL_NEVER, 0);
    CHECK(keel_tag_is_error(tag));
    CHECK_EQ(keel_ipc_error(), -KEEL_EMSGSIZE);
    CHECK_EQ(server_ready, 0); /* nothing reached the server */
    server_stop(&s);
}

KTEST(ipc_send_then_open_receive)
{
    result_clear();
    uint64_t g = kgate_create(KEEL_ROOT_FACTORY, KEEL_ROOT_THREAD, 0xabc);
    REQUIRE(g);
    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, KEEL_ROOT_TASK, sender, g | 1ull << 32, 0, 0), 0);
    REQUIRE(wait_state(t.cap, 2, 1000)); /* queued: we are not receiving */
    CHECK_EQ(res[1].done, 0);
    uint64_t label = 0;
    uint64_t tag = keel_wait(100000, &label);
    REQUIRE(!keel_tag_is_error(tag));
    CHECK_EQ(label, 0xabc);
    CHECK_EQ(keel_tag_label(tag), 0x51);
    CHECK_EQ(keel_tag_words(tag), 1);
    CHECK_EQ(keel_utcb()->mr[0], 1);
    REQUIRE(wait_flag(&res[1].done, 1000)); /* the sender went on */
    CHECK_EQ(res[1].err, 0);
    /* A plain send leaves nothing to reply to. */
    tag = keel_reply(keel_tag(0, 0, 0));
    CHECK(keel_tag_is_error(tag));
    CHECK_EQ(keel_ipc_error(), -KEEL_ENOENT);
    kthread_free(&t);
    cap_free(g);
}

KTEST(ipc_queued_senders_are_served_in_fifo_order)
{
    result_clear();
    uint64_t g = kgate_create(KEEL_ROOT_FACTORY, KEEL_ROOT_THREAD, 9);
    REQUIRE(g);
    struct kthread t[3];
    for (unsigned i = 0; i < 3; i++) {
        REQUIRE_EQ(kthread_start_arg(&t[i], KEEL_ROOT_TASK, sender, g | (uint64_t)(i + 1) << 32, 0, 0), 0);
        REQUIRE(wait_state(t[i].cap, 2, 1000)); /* queued before the next one starts */
    }
    for (unsigned i = 0; i < 3; i++) {
        uint64_t tag = keel_wait(100000, 0);
        REQUIRE(!keel_tag_is_error(tag));
        CHECK_EQ(keel_utcb()->mr[0], i + 1);
        CHECK_EQ(keel_tag_label(tag), 0x51 + i);
    }
    CHECK(keel_tag_is_error(keel_wait(KEEL_TIMEOUT_ZERO, 0)));
    for (unsigned i = 0; i < 3; i++) {
        CHECK(wait_flag(&res[i + 1].done, 1000));
        kthread_free(&t[i]);
    }
    cap_free(g);
}

KTEST(ipc_closed_receive_takes_only_that_sender)
{
    result_clear();
    uint64_t g = kgate_create(KEEL_ROOT_FACTORY, KEEL_ROOT_THREAD, 3);
    REQUIRE(g);
    struct kthread a, b;
    REQUIRE_EQ(kthread_start_arg(&a, KEEL_ROOT_TASK, sender, g | 1ull << 32, 0, 0), 0);
    REQUIRE(wait_state(a.cap, 2, 1000));
    REQUIRE_EQ(kthread_start_arg(&b, KEEL_ROOT_TASK, sender, g | 2ull << 32, 0, 0), 0);
    REQUIRE(wait_state(b.cap, 2, 1000));
    /* a queued first, but we wait for b. */
    uint64_t label = 0;
    uint64_t tag = keel_receive(b.cap, 100000, &label);
    REQUIRE(!keel_tag_is_error(tag));
    CHECK_EQ(keel_utcb()->mr[0], 2);
    CHECK_EQ(label, 3);
    CHECK(wait_flag(&res[2].done, 1000));
    CHECK_EQ(res[1].done, 0);
    /* Nothing more from b. */
    tag = keel_receive(b.cap, KEEL_TIMEOUT_ZERO, 0);
    CHECK(keel_tag_is_error(tag));
    CHECK_EQ(keel_ipc_error(), -KEEL_ETIMEOUT);
    tag = keel_wait(100000, 0);
    REQUIRE(!keel_tag_is_error(tag));
    CHECK_EQ(keel_utcb()->mr[0], 1);
    CHECK(wait_flag(&res[1].done, 1000));
    kthread_free(&a);
    kthread_free(&b);
    cap_free(g);
}

KTEST(ipc_closed_receive_errors)
{
    CHECK(keel_tag_is_error(keel_receive(1000, KEEL_TIMEOUT_ZERO, 0)));
    CHECK_EQ(keel_ipc_error(), -KEEL_ENOCAP);
    uint64_t g = kgate_create(KEEL_ROOT_FACTORY, ~0ull, 0);
    REQUIRE(g);
    CHECK(keel_tag_is_error(keel_receive(g, KEEL_TIMEOUT_ZERO, 0)));
    CHECK_EQ(keel_ipc_error(), -KEEL_EINVAL); /* neither a thread nor an Irq */
    CHECK(keel_tag_is_error(keel_receive(KEEL_ROOT_FACTORY, KEEL_TIMEOUT_ZERO, 0)));
    CHECK_EQ(keel_ipc_error(), -KEEL_EINVAL);
    cap_free(g);
}

KTEST(ipc_reply_wait_serves_concurrent_callers)
{
    result_clear();
    struct server s;
    REQUIRE_EQ(server_start(&s, 0x99), 0);
    struct kthread c[3];
    unsigned ncpu = cpus_online();
    for (unsigned i = 0; i < 3; i++) {
        REQUIRE_EQ(kthread_start_arg(&c[i], KEEL_ROOT_TASK, caller, s.gate | (uint64_t)(i + 1) << 32, 0, 0), 0);
        if (ncpu > 1) {
            CHECK_EQ(kthread_place(&c[i], (i + 1) % ncpu, ROOT_PRIO, 0), 0);
        }
    }
    for (unsigned i = 0; i < 3; i++) {
        REQUIRE(wait_flag(&res[i + 1].done, 2000));
        CHECK_EQ(res[i + 1].err, 0);
        CHECK_EQ(res[i + 1].mr0, i + 2);              /* its own word plus one */
        CHECK_EQ(keel_tag_label(res[i + 1].tag), i + 1); /* the sum of its words */
        CHECK_EQ(res[i + 1].label, 0);                 /* replies carry no gate label */
        kthread_free(&c[i]);
    }
    server_stop(&s);
}

KTEST(ipc_call_receive_timeout_expires)
{
    result_clear();
    struct kthread s;
    REQUIRE_EQ(start_with_self(&s, silent_server), 0);
    uint64_t g = kgate_create(KEEL_ROOT_FACTORY, s.cap, 0x5);
    REQUIRE(g);
    uint64_t t0 = keel_cycles(), freq = rt_kip()->timer_freq;
    uint64_t tag = keel_call(g, keel_tag(1, 0, 0), KEEL_TIMEOUTS(KEEL_TIMEOUT_NEVER, 20000), 0);
    uint64_t dt = keel_cycles() - t0;
    CHECK(keel_tag_is_error(tag));
    CHECK_EQ(keel_ipc_error(), -KEEL_ETIMEOUT);
    CHECK(dt >= freq / 50 - freq / 1000);
    REQUIRE(wait_flag(&res[0].done, 1000)); /* the send half did arrive */
    CHECK_EQ(res[0].label, 0x5);
    /* The server's late reply finds nobody waiting. */
    REQUIRE(wait_state(s.cap, 2, 1000));
    REQUIRE_EQ(KOBJ(s.cap, KEEL_THREAD_EX_REGS, 0, 0,
                    KEEL_EXREGS_CANCEL | KEEL_EXREGS_KEEP_PC | KEEL_EXREGS_KEEP_SP), 0);
    REQUIRE(wait_flag(&res[2].done, 1000));
    CHECK_EQ(res[1].err, -KEEL_ECANCELED);
    CHECK_EQ(res[2].err, -KEEL_ENOENT);
    cap_free(g);
    kthread_free(&s);
}

KTEST(ipc_callee_destroyed_during_call_is_ecanceled)
{
    result_clear();
    struct kthread s, c;
    REQUIRE_EQ(start_with_self(&s, silent_server), 0);
    uint64_t g = kgate_create(KEEL_ROOT_FACTORY, s.cap, 0x6);
    REQUIRE(g);
    REQUIRE_EQ(kthread_start_arg(&c, KEEL_ROOT_TASK, caller, g | 3ull << 32, 0, 0), 0);
    REQUIRE(wait_flag(&res[0].done, 1000)); /* the server has the call */
    REQUIRE(wait_state(c.cap, 2, 1000));    /* the caller awaits the reply */
    kthread_free(&s);
    REQUIRE(wait_flag(&res[3].done, 1000));
    CHECK_EQ(res[3].err, -KEEL_ECANCELED);
    /* The gate lost its thread with it. */
    CHECK_EQ(KOBJ(g, KEEL_GATE_INFO), 0);
    CHECK_EQ(keel_utcb()->mr[1], 0);
    CHECK(keel_tag_is_error(keel_call(g, keel_tag(0, 0, 0), KEEL_NEVER, 0)));
    CHECK_EQ(keel_ipc_error(), -KEEL_ENOENT);
    kthread_free(&c);
    cap_free(g);
}

KTEST(ipc_receiver_destroyed_while_sender_queued)
{
    result_clear();
    struct kthread r, c;
    REQUIRE_EQ(start_with_self(&r, not_receiving), 0);
    REQUIRE(wait_state(r.cap, 2, 1000));
    uint64_t g = kgate_create(KEEL_ROOT_FACTORY, r.cap, 0);
    REQUIRE(g);
    REQUIRE_EQ(kthread_start_arg(&c, KEEL_ROOT_TASK, sender, g | 2ull << 32, 0, 0), 0);
    REQUIRE(wait_state(c.cap, 2, 1000)); /* queued at r */
    kthread_free(&r);
    REQUIRE(wait_flag(&res[2].done, 1000));
    CHECK_EQ(res[2].err, -KEEL_ECANCELED);
    kthread_free(&c);
    cap_free(g);
}

KTEST(ipc_reply_to_destroyed_caller_is_enoent)
{
    result_clear();
    struct kthread s, c;
    REQUIRE_EQ(start_with_self(&s, silent_server), 0);
    uint64_t g = kgate_create(KEEL_ROOT_FACTORY, s.cap, 0);
    REQUIRE(g);
    REQUIRE_EQ(kthread_start_arg(&c, KEEL_ROOT_TASK, caller, g | 3ull << 32, 0, 0), 0);
    REQUIRE(wait_flag(&res[0].done, 1000));
    REQUIRE(wait_state(c.cap, 2, 1000));
    kthread_free(&c); /* the caller dies while the server holds its call */
    REQUIRE(wait_state(s.cap, 2, 1000));
    REQUIRE_EQ(KOBJ(s.cap, KEEL_THREAD_EX_REGS, 0, 0,
                    KEEL_EXREGS_CANCEL | KEEL_EXREGS_KEEP_PC | KEEL_EXREGS_KEEP_SP), 0);
    REQUIRE(wait_flag(&res[2].done, 1000));
    CHECK_EQ(res[2].err, -KEEL_ENOENT);
    CHECK_EQ(res[3].done, 0); /* the dead caller never ran again */
    kthread_free(&s);
    cap_free(g);
}

KTEST(ipc_to_inactive_thread_is_enoent)
{
    /* A thread without task and UTCB, then one bound but never started. */
    uint64_t t = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_THREAD, t), 0);
    uint64_t g = kgate_create(KEEL_ROOT_FACTORY, t, 0);
    REQUIRE(g);
    CHECK(keel_tag_is_error(keel_call(g, keel_tag(0, 0, 0), KEEL_NEVER, 0)));
    CHECK_EQ(keel_ipc_error(), -KEEL_ENOENT);
    REQUIRE_EQ(KOBJ(t, KEEL_THREAD_CONTROL, KEEL_ROOT_TASK, KEEL_ROOT_UTCB_ADDR + 63 * KEEL_UTCB_SIZE, 0, 0), 0);
    CHECK_EQ(thread_state(t), 0);
    CHECK(keel_tag_is_error(keel_send(g, keel_tag(0, 0, 0), KEEL_TIMEOUT_NEVER)));
    CHECK_EQ(keel_ipc_error(), -KEEL_ENOENT);
    cap_free(g);
    cap_free(t);
}

KTEST(ipc_gate_bind_info_and_errors)
{
    struct server s;
    REQUIRE_EQ(server_start(&s, 0x10), 0);
    uint64_t g = kgate_create(KEEL_ROOT_FACTORY, ~0ull, 0);
    REQUIRE(g);
    CHECK_EQ(KOBJ(g, KEEL_GATE_INFO), 0);
    CHECK_EQ(keel_utcb()->mr[1], 0);
    CHECK_EQ(KOBJ(g, KEEL_GATE_BIND, s.t.cap, 0x20), 0);
    CHECK_EQ(KOBJ(g, KEEL_GATE_INFO), 0);
    CHECK_EQ(keel_utcb()->mr[0], 0x20);
    CHECK_EQ(keel_utcb()->mr[1], 1);
    /* Two gates to one server: it tells them apart by label. */
    CHECK(!keel_tag_is_error(keel_call(g, keel_tag(0, 0, 0), KEEL_NEVER, 0)));
    CHECK_EQ(server_seen_label, 0x20);
    CHECK(!keel_tag_is_error(keel_call(s.gate, keel_tag(0, 0, 0), KEEL_NEVER, 0)));
    CHECK_EQ(server_seen_label, 0x10);
    /* Errors. */
    CHECK_EQ(KOBJ(g, KEEL_GATE_BIND, KEEL_ROOT_TASK, 0), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(g, KEEL_GATE_BIND, 1000, 0), -KEEL_ENOCAP);
    CHECK_EQ(KOBJ(g, KEEL_GATE_BIND, s.t.cap), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(g, 77), -KEEL_EPROTO);
    uint64_t ro = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_cap(g, 0, KEEL_CAP_R), ro), 0);
    CHECK_EQ(KOBJ(ro, KEEL_GATE_BIND, s.t.cap, 1), -KEEL_EPERM);
    CHECK_EQ(KOBJ(ro, KEEL_GATE_INFO), 0);
    CHECK_EQ(keel_utcb()->mr[0], 0x20);
    /* A label shown to the server cannot be changed through the gate the client holds. */
    CHECK(!keel_tag_is_error(keel_call(ro, keel_tag(0, 0, 0), KEEL_NEVER, 0)));
    CHECK_EQ(server_seen_label, 0x20);
    cap_free(ro);
    cap_free(g);
    server_stop(&s);
}

KTEST(ipc_gate_without_r_right_is_eperm)
{
    struct server s;
    REQUIRE_EQ(server_start(&s, 1), 0);
    uint64_t wo = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_cap(s.gate, 0, KEEL_CAP_W), wo), 0);
    CHECK(keel_tag_is_error(keel_call(wo, keel_tag(0, 0, 0), KEEL_NEVER, 0)));
    CHECK_EQ(keel_ipc_error(), -KEEL_EPERM);
    CHECK_EQ(KOBJ(wo, KEEL_GATE_INFO), -KEEL_EPERM);
    CHECK_EQ(KOBJ(wo, KEEL_ANY_TYPE), KEEL_OBJ_IPC_GATE); /* needs no right */
    CHECK_EQ(server_ready, 0);
    cap_free(wo);
    server_stop(&s);
}

/* The same refusal on the fast path (ipc_fast.c): the server already waits in its open receive,
 * on the caller's CPU at the caller's priority, so that a plain call could hand the CPU straight
 * to it. A call through a capability with every right but R is still EPERM, and the server
 * receives nothing. (The case above calls before the server ever waited: the general path.) */
KTEST(ipc_fast_path_gate_without_r_right_is_eperm)
{
    struct server s;
    REQUIRE_EQ(server_start(&s, 1), 0);
    server_calls = 0;
    uint64_t cpu = thread_cpu(KEEL_ROOT_THREAD);
    REQUIRE_EQ(kthread_place(&s.t, (unsigned)cpu, ROOT_PRIO, 0), 0);
    /* The handshake: one call through the gate itself; the server's reply-and-wait leaves it
     * waiting in an open receive, on this CPU. */
    struct keel_utcb *u = keel_utcb();
    u->mr[0] = 7;
    REQUIRE_EQ(ipc_err(keel_call(s.gate, keel_tag(0, 1, 0), KEEL_NEVER, 0)), 0);
    CHECK_EQ(u->mr[0], 8);
    REQUIRE(wait_state(s.t.cap, 2, 1000));
    CHECK_EQ(thread_cpu(s.t.cap), cpu);
    CHECK_EQ(server_calls, 1);
    uint64_t nor = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                    keel_fpage_cap(s.gate, 0, KEEL_CAP_ALL & ~KEEL_CAP_R), nor),
               0);
    for (unsigned i = 0; i < 3; i++) {
        u->mr[0] = 100 + i;
        uint64_t tag = keel_call(nor, keel_tag(0, 1, 0), KEEL_NEVER, 0);
        CHECK(keel_tag_is_error(tag));
        CHECK_EQ(ipc_err(tag), -KEEL_EPERM);
        CHECK_EQ(u->mr[0], 100 + i); /* no reply came */
        CHECK_EQ(server_calls, 1);
        CHECK_EQ(thread_state(s.t.cap), 2); /* still waiting */
    }
    /* The server still answers through the gate. */
    u->mr[0] = 41;
    CHECK_EQ(ipc_err(keel_call(s.gate, keel_tag(0, 1, 0), KEEL_NEVER, 0)), 0);
    CHECK_EQ(u->mr[0], 42);
    CHECK_EQ(server_calls, 2);
    cap_free(nor);
    server_stop(&s);
}

KTEST(ipc_cross_cpu_call)
{
    struct server s;
    REQUIRE_EQ(server_start(&s, 0x33), 0);
    unsigned ncpu = cpus_online();
    if (ncpu < 2) {
        /* One CPU: there is no CPU 1 to move to, and calls still work on CPU 0. */
        CHECK_EQ(kthread_place(&s.t, 1, ROOT_PRIO, 0), -KEEL_ERANGE);
        CHECK_EQ(thread_cpu(s.t.cap), 0);
    }
    struct keel_utcb *u = keel_utcb();
    for (uint64_t i = 0; i < 600; i++) {
        unsigned cpu = ncpu > 1 ? 1 + (unsigned)(i / 200) % (ncpu - 1) : 0;
        if (i % 200 == 0) {
            REQUIRE_EQ(kthread_place(&s.t, cpu, ROOT_PRIO, 0), 0);
            CHECK_EQ(thread_cpu(s.t.cap), cpu);
        }
        u->mr[0] = i;
        u->mr[1] = ~i;
        uint64_t tag = keel_call(s.gate, keel_tag(0, 2, 0), KEEL_NEVER, 0);
        REQUIRE(!keel_tag_is_error(tag));
        REQUIRE_EQ(u->mr[0], i + 1);
        REQUIRE_EQ(u->mr[1], ~i + 1);
        REQUIRE_EQ(thread_cpu(s.t.cap), cpu); /* it stays where it was put */
    }
    server_stop(&s);
}

/* --- Typed items ---------------------------------------------------------------------------- */

/* A receiver in a child task: sets its windows (arg: BR0 | BR1 index << 48 in res[0].mr0 is not
 * possible, so the windows come from globals), waits once, notes the result in res[0], and
 * reads the first word of its memory window at item_probe (if set) into res[1].mr0. */
static volatile uint64_t item_br0, item_br1, item_probe;

static void item_receiver(uint64_t arg)
{
    (void)arg;
    struct keel_utcb *u = keel_utcb();
    u->br[KEEL_BR_MEM] = item_br0;
    u->br[KEEL_BR_CAP] = item_br1;
    uint64_t label;
    uint64_t tag = keel_wait(KEEL_TIMEOUT_NEVER, &label);
    note(&res[0], tag, label);
    if (!res[0].err && item_probe) {
        res[1].mr0 = ktest_load(item_probe);
    }
    if (!res[0].err && item_br1) {
        /* Use the capability that arrived: hotspot slot 5 of the window. */
        res[1].err = KOBJ(keel_fpage_cap_index(item_br1) + 5, KEEL_ANY_TYPE);
    }
    res[1].done = 1;
}

struct child {
    uint64_t task;
    struct kthread t;
    uint64_t gate; /* in the root task, to t */
};

static int child_receiver(struct child *c)
{
    if (ktask_create(KEEL_ROOT_FACTORY, &c->task) < 0) {
        return -1;
    }
    if (kthread_start_arg(&c->t, c->task, item_receiver, 0, 0, 0) != 0) {
        return -1;
    }
    c->gate = kgate_create(KEEL_ROOT_FACTORY, c->t.cap, 0x1);
    return c->gate ? 0 : -1;
}

static void child_free(struct child *c)
{
    cap_free(c->gate);
    kthread_free(&c->t);
    cap_free(c->task);
}

KTEST(ipc_map_memory_item_into_window)
{
    result_clear();
    uint64_t *page = rt_page_alloc();
    REQUIRE(page);
    page[0] = 0x600dcafe;
    item_br0 = keel_fpage_mem(WIN, 16, KEEL_FP_RW); /* 64 KiB window */
    item_br1 = 0;
    item_probe = WIN + 0x3000;
    struct child c;
    REQUIRE_EQ(child_receiver(&c), 0);
    REQUIRE(wait_state(c.t.cap, 2, 1000));
    struct keel_utcb *u = keel_utcb();
    u->mr[0] = 42;
    u->mr[1] = keel_item_ctl(0x3000, 0); /* hotspot: the 4th page of the window */
    u->mr[2] = keel_fpage_mem((uint64_t)(uintptr_t)page, 12, KEEL_FP_RWX);
    uint64_t tag = keel_send(c.gate, keel_tag(2, 1, 1), KEEL_TIMEOUT_NEVER);
    CHECK_EQ(ipc_err(tag), 0);
    REQUIRE(wait_flag(&res[1].done, 1000));
    CHECK_EQ(res[0].err, 0);
    CHECK_EQ(res[0].mr0, 42);
    CHECK_EQ(keel_tag_items(res[0].tag), 1);
    CHECK_EQ(res[0].items, 1);
    CHECK_EQ(res[1].mr0, 0x600dcafe);
    /* Rights: the window's RW and the item's RWX meet at RW; nothing else in the window. */
    CHECK_EQ(ktask_mem_rights(c.task, WIN + 0x3000), KEEL_FP_RW);
    CHECK_EQ(ktask_mem_rights(c.task, WIN), 0);
    CHECK_EQ(ktask_mem_rights(c.task, WIN + 0x4000), 0);
    /* Revoking the root's page takes it from the child too. */
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_UNMAP, keel_fpage_mem((uint64_t)(uintptr_t)page, 12, 0), 0), 0);
    CHECK_EQ(ktask_mem_rights(c.task, WIN + 0x3000), 0);
    CHECK_EQ(page[0], 0x600dcafe);
    child_free(&c);
    rt_page_free(page);
}

KTEST(ipc_map_capability_item_into_window)
{
    result_clear();
    item_br0 = 0;
    item_br1 = keel_fpage_cap(64, 4, KEEL_CAP_ALL); /* slots 64..79 */
    item_probe = 0;
    struct child c;
    REQUIRE_EQ(child_receiver(&c), 0);
    REQUIRE(wait_state(c.t.cap, 2, 1000));
    uint64_t g = kgate_create(KEEL_ROOT_FACTORY, ~0ull, 0);
    REQUIRE(g);
    struct keel_utcb *u = keel_utcb();
    u->mr[0] = keel_item_ctl(5ull << KEEL_ITEM_HOTSPOT_SHIFT, 0);
    u->mr[1] = keel_fpage_cap(g, 0, KEEL_CAP_R | KEEL_CAP_S);
    uint64_t tag = keel_send(c.gate, keel_tag(0, 0, 1), KEEL_TIMEOUT_NEVER);
    CHECK_EQ(ipc_err(tag), 0);
    REQUIRE(wait_flag(&res[1].done, 1000));
    CHECK_EQ(res[0].err, 0);
    CHECK_EQ(res[0].items, 1);
    CHECK_EQ(res[1].err, KEEL_OBJ_IPC_GATE); /* the child could use it at slot 69 */
    CHECK_EQ(KOBJ(c.task, KEEL_TASK_CAP_VALID, 69), 1);
    CHECK_EQ(KOBJ(c.task, KEEL_TASK_CAP_VALID, 64), 0);
    /* Deleting the gate revokes the child's copy. */
    cap_free(g);
    CHECK_EQ(KOBJ(c.task, KEEL_TASK_CAP_VALID, 69), 0);
    child_free(&c);
}

/* What a receiver found in its message registers, message by message. */
#define MR_SEEN 8
static volatile struct {
    int done;
    uint64_t tag, label, items, mr[MR_SEEN];
} mr_seen[2];

/* In a child task: both windows (item_br0, item_br1), then two open waits, each message's tag,
 * label, items received and first MR_SEEN message registers noted in mr_seen[]. */
static void mr_receiver(uint64_t arg)
{
    (void)arg;
    struct keel_utcb *u = keel_utcb();
    u->br[KEEL_BR_MEM] = item_br0;
    u->br[KEEL_BR_CAP] = item_br1;
    for (unsigned m = 0; m < 2; m++) {
        for (unsigned i = 0; i < MR_SEEN; i++) {
            u->mr[i] = 0xdead0000 + i; /* what the kernel does not write stays so */
        }
        uint64_t label;
        uint64_t tag = keel_wait(KEEL_TIMEOUT_NEVER, &label);
        mr_seen[m].tag = tag;
        mr_seen[m].label = label;
        mr_seen[m].items = u->tcr[KEEL_TCR_ITEMS_RCVD];
        for (unsigned i = 0; i < MR_SEEN; i++) {
            mr_seen[m].mr[i] = u->mr[i];
        }
        mr_seen[m].done = 1;
    }
}

/* The receiver's message registers hold the words, then each typed item's two words (control
 * word, flexpage) as the sender wrote them (docs/abi.md, UTCB). Items never take the fast path:
 * the first message finds the receiver waiting, the second (sent before the receiver has run
 * again, when both are on one CPU) waits in its queue until the receiver takes it. */
KTEST(ipc_item_words_reach_the_receiver_after_the_words)
{
    for (unsigned m = 0; m < 2; m++) {
        mr_seen[m].done = 0;
    }
    uint64_t *page = rt_page_alloc(), *page2 = rt_page_alloc();
    REQUIRE(page && page2);
    page[0] = 0x1001;
    page2[0] = 0x2002;
    item_br0 = keel_fpage_mem(WIN, 16, KEEL_FP_RW);
    item_br1 = keel_fpage_cap(64, 4, KEEL_CAP_ALL);
    struct child c;
    REQUIRE_EQ(ktask_create(KEEL_ROOT_FACTORY, &c.task), 0);
    REQUIRE_EQ(kthread_start_arg(&c.t, c.task, mr_receiver, 0, 0, 0), 0);
    c.gate = kgate_create(KEEL_ROOT_FACTORY, c.t.cap, 0x77);
    REQUIRE(c.gate);
    uint64_t g = kgate_create(KEEL_ROOT_FACTORY, ~0ull, 0);
    REQUIRE(g);
    REQUIRE(wait_state(c.t.cap, 2, 1000));
    /* Three words, then a memory item and a capability item. */
    const uint64_t first[7] = {
        0x1111,
        0x2222,
        0x3333,
        keel_item_ctl(0x3000, 0),
        keel_fpage_mem((uint64_t)(uintptr_t)page, 12, KEEL_FP_RW),
        keel_item_ctl(5ull << KEEL_ITEM_HOTSPOT_SHIFT, 0),
        keel_fpage_cap(g, 0, KEEL_CAP_R | KEEL_CAP_S),
    };
    /* One word, then a capability item and a memory item. */
    const uint64_t second[5] = {
        0x4444,
        keel_item_ctl(6ull << KEEL_ITEM_HOTSPOT_SHIFT, 0),
        keel_fpage_cap(g, 0, KEEL_CAP_R | KEEL_CAP_S),
        keel_item_ctl(0x5000, 0),
        keel_fpage_mem((uint64_t)(uintptr_t)page2, 12, KEEL_FP_R),
    };
    struct keel_utcb *u = keel_utcb();
    for (unsigned i = 0; i < 7; i++) {
        u->mr[i] = first[i];
    }
    CHECK_EQ(ipc_err(keel_send(c.gate, keel_tag(0x31, 3, 2), KEEL_TIMEOUT_NEVER)), 0);
    for (unsigned i = 0; i < 5; i++) {
        u->mr[i] = second[i];
    }
    CHECK_EQ(ipc_err(keel_send(c.gate, keel_tag(0x32, 1, 2), KEEL_TIMEOUT_NEVER)), 0);
    REQUIRE(wait_flag(&mr_seen[1].done, 1000));
    const uint64_t *want[2] = { first, second };
    const unsigned words[2] = { 3, 1 }, len[2] = { 7, 5 };
    for (unsigned m = 0; m < 2; m++) {
        CHECK_EQ(mr_seen[m].done, 1);
        CHECK_EQ(keel_tag_is_error(mr_seen[m].tag), 0);
        CHECK_EQ(keel_tag_label(mr_seen[m].tag), 0x31 + m);
        CHECK_EQ(keel_tag_words(mr_seen[m].tag), words[m]);
        CHECK_EQ(keel_tag_items(mr_seen[m].tag), 2);
        CHECK_EQ(mr_seen[m].label, 0x77);
        CHECK_EQ(mr_seen[m].items, 2);
        for (unsigned i = 0; i < MR_SEEN; i++) {
            uint64_t expect = i < len[m] ? want[m][i] : 0xdead0000 + i;
            CHECK_EQ(mr_seen[m].mr[i], expect);
        }
    }
    /* And the items were carried out. */
    CHECK_EQ(ktask_mem_rights(c.task, WIN + 0x3000), KEEL_FP_RW);
    CHECK_EQ(ktask_mem_rights(c.task, WIN + 0x5000), KEEL_FP_R);
    CHECK_EQ(KOBJ(c.task, KEEL_TASK_CAP_VALID, 69), 1);
    CHECK_EQ(KOBJ(c.task, KEEL_TASK_CAP_VALID, 70), 1);
    cap_free(g);
    child_free(&c);
    rt_page_free(page);
    rt_page_free(page2);
}

KTEST(ipc_items_map_at_most_2_mib_and_512_slots)
{
    /* An IPC has no preemption point: its items together may cover at most
     * KEEL_ITEMS_MAX_PAGES pages and KEEL_ITEMS_MAX_CAPS slots (as placed in the windows, holes
     * included), else EMSGSIZE for both sides, before anything is mapped. */
    uint64_t *page = rt_page_alloc();
    REQUIRE(page);
    page[0] = 0x5151;
    uint64_t pa = (uint64_t)(uintptr_t)page, block = pa & ~((1ull << 21) - 1);
    uint64_t big = pa & ~((1ull << 22) - 1);
    const struct {
        uint64_t br0, br1;
        unsigned n;
        uint64_t item[4];
        int64_t err;
    } cases[] = {
        { keel_fpage_mem(WIN, 22, KEEL_FP_RW), 0, 1,
          { keel_item_ctl(0, 0), keel_fpage_mem(big, 22, KEEL_FP_RW) }, -KEEL_EMSGSIZE },
        { keel_fpage_mem(WIN, 22, KEEL_FP_RW), 0, 2,
          { keel_item_ctl(0, 0), keel_fpage_mem(block, 21, KEEL_FP_RW),
            keel_item_ctl(1ull << 21, 0), keel_fpage_mem(block, 21, KEEL_FP_RW) }, -KEEL_EMSGSIZE },
        { 0, keel_fpage_cap(1024, 10, KEEL_CAP_ALL), 1,
          { keel_item_ctl(0, 0), keel_fpage_cap(0, 10, KEEL_CAP_R | KEEL_CAP_S) }, -KEEL_EMSGSIZE },
        { keel_fpage_mem(WIN, 21, KEEL_FP_RW), 0, 1,
          { keel_item_ctl(0, 0), keel_fpage_mem(block, 21, KEEL_FP_RW) }, 0 },
    };
    for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        result_clear();
        item_br0 = cases[k].br0;
        item_br1 = cases[k].br1;
        item_probe = 0;
        struct child c;
        REQUIRE_EQ(child_receiver(&c), 0);
        REQUIRE(wait_state(c.t.cap, 2, 1000));
        struct keel_utcb *u = keel_utcb();
        for (unsigned i = 0; i < 2 * cases[k].n; i++) {
            u->mr[i] = cases[k].item[i];
        }
        uint64_t tag = keel_send(c.gate, keel_tag(0, 0, cases[k].n), KEEL_TIMEOUT_NEVER);
        CHECK_EQ(ipc_err(tag), cases[k].err);
        REQUIRE(wait_flag(&res[0].done, 1000));
        CHECK_EQ(res[0].err, cases[k].err);
        CHECK_EQ(ktask_mem_rights(c.task, WIN + (pa - block)), cases[k].err ? 0 : KEEL_FP_RW);
        CHECK_EQ(KOBJ(c.task, KEEL_TASK_CAP_VALID, 1024 + KEEL_ROOT_TASK), 0);
        child_free(&c);
    }
    rt_page_free(page);
}

KTEST(ipc_capability_item_onto_a_capability_passed_on_is_ebusy)
{
    /* c holds a gate at slot 69 and has passed it on to d. An IPC item onto slot 69 would revoke
     * d's copy: refused (EBUSY), nothing changes. Task MAP onto it replaces it (in steps) and
     * d's copy goes. */
    result_clear();
    item_br0 = 0;
    item_br1 = keel_fpage_cap(64, 4, KEEL_CAP_ALL);
    item_probe = 0;
    struct child c;
    REQUIRE_EQ(child_receiver(&c), 0);
    REQUIRE(wait_state(c.t.cap, 2, 1000));
    uint64_t d, g = kgate_create(KEEL_ROOT_FACTORY, ~0ull, 0), g2 = kgate_create(KEEL_ROOT_FACTORY, ~0ull, 0);
    REQUIRE(g && g2);
    REQUIRE(ktask_create(KEEL_ROOT_FACTORY, &d) >= 0);
    REQUIRE_EQ(KOBJ(c.task, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_cap(g, 0, KEEL_CAP_ALL), 69), 0);
    REQUIRE_EQ(KOBJ(d, KEEL_TASK_MAP, c.task, keel_fpage_cap(69, 0, KEEL_CAP_ALL), 69), 0);
    struct keel_utcb *u = keel_utcb();
    u->mr[0] = keel_item_ctl(5ull << KEEL_ITEM_HOTSPOT_SHIFT, 0);
    u->mr[1] = keel_fpage_cap(g2, 0, KEEL_CAP_R | KEEL_CAP_S);
    uint64_t tag = keel_send(c.gate, keel_tag(0, 0, 1), KEEL_TIMEOUT_NEVER);
    CHECK_EQ(ipc_err(tag), -KEEL_EBUSY);
    REQUIRE(wait_flag(&res[0].done, 1000));
    CHECK_EQ(res[0].err, -KEEL_EBUSY);
    CHECK_EQ(KOBJ(c.task, KEEL_TASK_CAP_VALID, 69), 1);
    CHECK_EQ(KOBJ(d, KEEL_TASK_CAP_VALID, 69), 1);
    CHECK_EQ(KOBJ(c.task, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_cap(g2, 0, KEEL_CAP_ALL), 69), 0);
    CHECK_EQ(KOBJ(c.task, KEEL_TASK_CAP_VALID, 69), 1);
    CHECK_EQ(KOBJ(d, KEEL_TASK_CAP_VALID, 69), 0);
    cap_free(g); /* (nothing of it is left in c or d) */
    CHECK_EQ(KOBJ(c.task, KEEL_TASK_CAP_VALID, 69), 1);
    cap_free(g2);
    CHECK_EQ(KOBJ(c.task, KEEL_TASK_CAP_VALID, 69), 0);
    cap_free(d);
    child_free(&c);
}

KTEST(ipc_item_without_window_is_enoent)
{
    result_clear();
    uint64_t *page = rt_page_alloc();
    REQUIRE(page);
    item_br0 = 0;
    item_br1 = keel_fpage_cap(64, 4, KEEL_CAP_ALL); /* a window, but for capabilities */
    item_probe = 0;
    struct child c;
    REQUIRE_EQ(child_receiver(&c), 0);
    REQUIRE(wait_state(c.t.cap, 2, 1000));
    struct keel_utcb *u = keel_utcb();
    u->mr[0] = keel_item_ctl(0, 0);
    u->mr[1] = keel_fpage_mem((uint64_t)(uintptr_t)page, 12, KEEL_FP_RW);
    uint64_t tag = keel_send(c.gate, keel_tag(0, 0, 1), KEEL_TIMEOUT_NEVER);
    CHECK(keel_tag_is_error(tag));
    CHECK_EQ(keel_ipc_error(), -KEEL_ENOENT);
    REQUIRE(wait_flag(&res[0].done, 1000));
    CHECK_EQ(res[0].err, -KEEL_ENOENT); /* the receiver learns it too */
    CHECK_EQ(ktask_mem_rights(c.task, (uint64_t)(uintptr_t)page), 0);
    child_free(&c);
    rt_page_free(page);
}

/* Grants one page from its task to the receiver behind gate (arg), notes the result in res[2]. */
static volatile uint64_t grant_page;
static volatile unsigned grant_rights = KEEL_FP_RW;
static void granter(uint64_t gate)
{
    struct keel_utcb *u = keel_utcb();
    u->mr[0] = keel_item_ctl(0, 1);
    u->mr[1] = keel_fpage_mem(grant_page, 12, grant_rights);
    note(&res[2], keel_send(gate, keel_tag(0, 0, 1), KEEL_TIMEOUT_NEVER), 0);
}

KTEST(ipc_grant_item_moves_mapping)
{
    result_clear();
    uint64_t *page = rt_page_alloc();
    REQUIRE(page);
    page[0] = 0x9a9a;
    uint64_t pa = (uint64_t)(uintptr_t)page;
    grant_page = pa;
    item_br0 = keel_fpage_mem(WIN, 12, KEEL_FP_RW);
    item_br1 = 0;
    item_probe = WIN;
    struct child b;
    REQUIRE_EQ(child_receiver(&b), 0);
    REQUIRE(wait_state(b.t.cap, 2, 1000));
    /* Task a gets the page and a gate to b's receiver (slot 20), then grants the page on. */
    uint64_t a;
    REQUIRE(ktask_create(KEEL_ROOT_FACTORY, &a) >= 0);
    REQUIRE_EQ(ktask_map_page(a, page, KEEL_FP_RW), 0);
    REQUIRE_EQ(ktask_give_cap(a, b.gate, KEEL_CAP_R | KEEL_CAP_S, 20), 0);
    CHECK_EQ(ktask_mem_rights(a, pa), KEEL_FP_RW);
    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, a, granter, 20, 0, 0), 0);
    REQUIRE(wait_flag(&res[1].done, 1000));
    CHECK(wait_flag(&res[2].done, 1000));
    CHECK_EQ(res[2].err, 0);
    CHECK_EQ(res[0].err, 0);
    CHECK_EQ(res[1].mr0, 0x9a9a);
    CHECK_EQ(ktask_mem_rights(a, pa), 0);              /* gone from the granter */
    CHECK_EQ(ktask_mem_rights(b.task, WIN), KEEL_FP_RW); /* now in the receiver */
    /* It took the granter's place below the root's page: revoking that reaches it. */
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_UNMAP, keel_fpage_mem(pa, 12, 0), 0), 0);
    CHECK_EQ(ktask_mem_rights(b.task, WIN), 0);
    kthread_free(&t);
    cap_free(a);
    child_free(&b);
    rt_page_free(page);
}

KTEST(ipc_grant_of_a_page_passed_on_takes_what_came_from_it_along)
{
    /* a passed the page on to c before it grants it to b: the mapping moves with its place in
     * the tree, so c's copy now hangs below b's, and b taking it back (or the root's revoke)
     * removes c's copy. */
    result_clear();
    uint64_t *page = rt_page_alloc();
    REQUIRE(page);
    page[0] = 0x4242;
    uint64_t pa = (uint64_t)(uintptr_t)page;
    grant_page = pa;
    item_br0 = keel_fpage_mem(WIN, 12, KEEL_FP_RW);
    item_br1 = 0;
    item_probe = WIN;
    struct child b;
    REQUIRE_EQ(child_receiver(&b), 0);
    REQUIRE(wait_state(b.t.cap, 2, 1000));
    uint64_t a, c;
    REQUIRE(ktask_create(KEEL_ROOT_FACTORY, &a) >= 0);
    REQUIRE(ktask_create(KEEL_ROOT_FACTORY, &c) >= 0);
    REQUIRE_EQ(ktask_map_page(a, page, KEEL_FP_RW), 0);
    REQUIRE_EQ(KOBJ(c, KEEL_TASK_MAP, a, keel_fpage_mem(pa, 12, KEEL_FP_R), WIN), 0);
    REQUIRE_EQ(ktask_give_cap(a, b.gate, KEEL_CAP_R | KEEL_CAP_S, 20), 0);
    struct kthread t;
    grant_rights = KEEL_FP_R; /* a grant's rights only shrink too */
    REQUIRE_EQ(kthread_start_arg(&t, a, granter, 20, 0, 0), 0);
    REQUIRE(wait_flag(&res[1].done, 1000));
    CHECK(wait_flag(&res[2].done, 1000));
    grant_rights = KEEL_FP_RW;
    CHECK_EQ(res[2].err, 0);
    CHECK_EQ(res[0].err, 0);
    CHECK_EQ(res[1].mr0, 0x4242);
    CHECK_EQ(ktask_mem_rights(a, pa), 0);
    CHECK_EQ(ktask_mem_rights(b.task, WIN), KEEL_FP_R);
    CHECK_EQ(ktask_mem_rights(c, WIN), KEEL_FP_R); /* still there, now below b's */
    CHECK_EQ(KOBJ(b.task, KEEL_TASK_UNMAP, keel_fpage_mem(WIN, 12, 0), 0), 0);
    CHECK_EQ(ktask_mem_rights(c, WIN), 0);
    CHECK_EQ(ktask_mem_rights(b.task, WIN), KEEL_FP_R);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_UNMAP, keel_fpage_mem(pa, 12, 0), 0), 0);
    CHECK_EQ(ktask_mem_rights(b.task, WIN), 0);
    kthread_free(&t);
    cap_free(c);
    cap_free(a);
    child_free(&b);
    rt_page_free(page);
}

KTEST(mapping_trees_stop_at_64_levels)
{
    /* The root task's page (level 0) is mapped into t, then from each page of t to the next:
     * level 64 is the deepest (MAPDB_MAX_DEPTH), a map one deeper is ERANGE and changes
     * nothing. Bounded depth keeps the kernel's walks up a tree bounded. Capabilities alike. */
    uint64_t *page = rt_page_alloc();
    REQUIRE(page);
    uint64_t t;
    REQUIRE(ktask_create(KEEL_ROOT_FACTORY, &t) >= 0);
    REQUIRE_EQ(KOBJ(t, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                    keel_fpage_mem((uint64_t)(uintptr_t)page, 12, KEEL_FP_RW), WIN), 0);
    for (uint64_t level = 2; level <= 64; level++) {
        REQUIRE_EQ(KOBJ(t, KEEL_TASK_MAP, t, keel_fpage_mem(WIN + (level - 2) * 0x1000, 12, KEEL_FP_RW),
                        WIN + (level - 1) * 0x1000), 0);
    }
    CHECK_EQ(KOBJ(t, KEEL_TASK_MAP, t, keel_fpage_mem(WIN + 63 * 0x1000, 12, KEEL_FP_RW),
                  WIN + 64 * 0x1000), -KEEL_ERANGE);
    CHECK_EQ(ktask_mem_rights(t, WIN + 64 * 0x1000), 0);
    CHECK_EQ(ktask_mem_rights(t, WIN + 63 * 0x1000), KEEL_FP_RW);
    /* Revoking from the top takes all 63 levels below. */
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_UNMAP, keel_fpage_mem((uint64_t)(uintptr_t)page, 12, 0), 0), 0);
    CHECK_EQ(ktask_mem_rights(t, WIN), 0);
    CHECK_EQ(ktask_mem_rights(t, WIN + 63 * 0x1000), 0);

    uint64_t g = kgate_create(KEEL_ROOT_FACTORY, ~0ull, 0);
    REQUIRE(g);
    REQUIRE_EQ(KOBJ(t, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_cap(g, 0, KEEL_CAP_ALL), 100), 0);
    for (uint64_t level = 2; level <= 64; level++) {
        REQUIRE_EQ(KOBJ(t, KEEL_TASK_MAP, t, keel_fpage_cap(100 + level - 2, 0, KEEL_CAP_ALL),
                        100 + level - 1), 0);
    }
    CHECK_EQ(KOBJ(t, KEEL_TASK_MAP, t, keel_fpage_cap(163, 0, KEEL_CAP_ALL), 164), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(t, KEEL_TASK_CAP_VALID, 164), 0);
    CHECK_EQ(KOBJ(t, KEEL_TASK_CAP_VALID, 163), 1);
    cap_free(g);
    CHECK_EQ(KOBJ(t, KEEL_TASK_CAP_VALID, 163), 0);
    cap_free(t);
    rt_page_free(page);
}

/* b has the page, mapped from a, and with passed_on has passed it on to c; a then grants the page
 * to b at the same place (grant) or the root task maps it there from a (Task MAP, !grant). */
struct onto_same_page {
    uint64_t *page, pa, a, c;
    struct child b;
    struct kthread t;
};

static void onto_same_page_setup(struct onto_same_page *o, bool passed_on)
{
    *o = (struct onto_same_page){ 0 };
    result_clear();
    o->page = rt_page_alloc();
    REQUIRE(o->page);
    o->page[0] = 0x77aa;
    o->pa = (uint64_t)(uintptr_t)o->page;
    grant_page = o->pa;
    item_br0 = keel_fpage_mem(WIN, 12, KEEL_FP_RW);
    item_br1 = 0;
    item_probe = WIN;
    REQUIRE_EQ(child_receiver(&o->b), 0);
    REQUIRE(wait_state(o->b.t.cap, 2, 1000));
    REQUIRE(ktask_create(KEEL_ROOT_FACTORY, &o->a) >= 0);
    REQUIRE(ktask_create(KEEL_ROOT_FACTORY, &o->c) >= 0);
    REQUIRE_EQ(ktask_map_page(o->a, o->page, KEEL_FP_RW), 0);
    REQUIRE_EQ(KOBJ(o->b.task, KEEL_TASK_MAP, o->a, keel_fpage_mem(o->pa, 12, KEEL_FP_R), WIN), 0);
    if (passed_on) {
        REQUIRE_EQ(KOBJ(o->c, KEEL_TASK_MAP, o->b.task, keel_fpage_mem(WIN, 12, KEEL_FP_R), WIN), 0);
        CHECK_EQ(ktask_mem_rights(o->c, WIN), KEEL_FP_R);
    }
    CHECK_EQ(ktask_mem_rights(o->b.task, WIN), KEEL_FP_R);
    REQUIRE_EQ(ktask_give_cap(o->a, o->b.gate, KEEL_CAP_R | KEEL_CAP_S, 20), 0);
}

static void onto_same_page_grant(struct onto_same_page *o)
{
    REQUIRE_EQ(kthread_start_arg(&o->t, o->a, granter, 20, 0, 0), 0);
    REQUIRE(wait_flag(&res[1].done, 1000));
    CHECK(wait_flag(&res[2].done, 1000));
}

static void onto_same_page_free(struct onto_same_page *o)
{
    if (o->t.cap) {
        kthread_free(&o->t);
    }
    cap_free(o->c);
    cap_free(o->a);
    child_free(&o->b);
    rt_page_free(o->page);
}

KTEST(ipc_grant_onto_existing_mapping_of_same_page)
{
    /* b ends up with a's mapping in a's place under the root, with a's rights. */
    struct onto_same_page o;
    onto_same_page_setup(&o, false);
    onto_same_page_grant(&o);
    REQUIRE(!ktest_failed_now);
    CHECK_EQ(res[2].err, 0);
    CHECK_EQ(res[0].err, 0);
    CHECK_EQ(res[1].mr0, 0x77aa);
    CHECK_EQ(ktask_mem_rights(o.a, o.pa), 0);
    CHECK_EQ(ktask_mem_rights(o.b.task, WIN), KEEL_FP_RW); /* a's rights, not its old R */
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_UNMAP, keel_fpage_mem(o.pa, 12, 0), 0), 0);
    CHECK_EQ(ktask_mem_rights(o.b.task, WIN), 0);
    onto_same_page_free(&o);
}

KTEST(ipc_item_onto_a_mapping_passed_on_is_ebusy)
{
    /* Replacing b's mapping would revoke c's copy, work an IPC does not take on (its items do
     * bounded work): both sides get EBUSY, and nothing changed. */
    struct onto_same_page o;
    onto_same_page_setup(&o, true);
    onto_same_page_grant(&o);
    REQUIRE(!ktest_failed_now);
    CHECK_EQ(res[2].err, -KEEL_EBUSY);
    CHECK_EQ(res[0].err, -KEEL_EBUSY);
    CHECK_EQ(ktask_mem_rights(o.a, o.pa), KEEL_FP_RW);
    CHECK_EQ(ktask_mem_rights(o.b.task, WIN), KEEL_FP_R);
    CHECK_EQ(ktask_mem_rights(o.c, WIN), KEEL_FP_R);
    /* b can take back what it passed on (a Task UNMAP, preemptible) before such a message. */
    CHECK_EQ(KOBJ(o.b.task, KEEL_TASK_UNMAP, keel_fpage_mem(WIN, 12, 0), 0), 0);
    CHECK_EQ(ktask_mem_rights(o.c, WIN), 0);
    CHECK_EQ(ktask_mem_rights(o.b.task, WIN), KEEL_FP_R);
    onto_same_page_free(&o);
}

KTEST(task_map_onto_a_mapping_passed_on_replaces_it_and_what_came_from_it)
{
    /* Task MAP, which is preemptible, takes the revocation on (in steps). From a again, the
     * mapping would only widen in place (same frame, same source: c keeps its copy); from the
     * root task's own mapping it is replaced. */
    struct onto_same_page o;
    onto_same_page_setup(&o, true);
    REQUIRE(!ktest_failed_now);
    CHECK_EQ(KOBJ(o.b.task, KEEL_TASK_MAP, o.a, keel_fpage_mem(o.pa, 12, KEEL_FP_RW), WIN), 0);
    CHECK_EQ(ktask_mem_rights(o.b.task, WIN), KEEL_FP_RW);
    CHECK_EQ(ktask_mem_rights(o.c, WIN), KEEL_FP_R);
    CHECK_EQ(KOBJ(o.b.task, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_mem(o.pa, 12, KEEL_FP_R), WIN), 0);
    CHECK_EQ(ktask_mem_rights(o.b.task, WIN), KEEL_FP_R);
    CHECK_EQ(ktask_mem_rights(o.c, WIN), 0);
    CHECK_EQ(KOBJ(o.a, KEEL_TASK_UNMAP, keel_fpage_mem(o.pa, 12, 0), 0), 0);
    CHECK_EQ(ktask_mem_rights(o.b.task, WIN), KEEL_FP_R); /* no longer below a's */
    onto_same_page_free(&o);
}

/* Grants the capability in its task's slot 30 to the receiver behind the gate in slot 20. */
static void cap_granter(uint64_t unused)
{
    (void)unused;
    struct keel_utcb *u = keel_utcb();
    u->mr[0] = keel_item_ctl(2ull << KEEL_ITEM_HOTSPOT_SHIFT, 1);
    u->mr[1] = keel_fpage_cap(30, 0, KEEL_CAP_R); /* it has R|S: it goes with R alone */
    note(&res[2], keel_send(20, keel_tag(0, 0, 1), KEEL_TIMEOUT_NEVER), 0);
}

KTEST(ipc_grant_capability_item_moves_it)
{
    result_clear();
    item_br0 = 0;
    item_br1 = keel_fpage_cap(64, 4, KEEL_CAP_ALL);
    item_probe = 0;
    struct child b;
    REQUIRE_EQ(child_receiver(&b), 0);
    REQUIRE(wait_state(b.t.cap, 2, 1000));
    uint64_t a, g = kgate_create(KEEL_ROOT_FACTORY, ~0ull, 0);
    REQUIRE(g);
    REQUIRE(ktask_create(KEEL_ROOT_FACTORY, &a) >= 0);
    REQUIRE_EQ(ktask_give_cap(a, b.gate, KEEL_CAP_R | KEEL_CAP_S, 20), 0);
    REQUIRE_EQ(ktask_give_cap(a, g, KEEL_CAP_R | KEEL_CAP_S, 30), 0);
    struct kthread t;
    REQUIRE_EQ(kthread_start_arg(&t, a, cap_granter, 0, 0, 0), 0);
    REQUIRE(wait_flag(&res[1].done, 1000));
    CHECK(wait_flag(&res[2].done, 1000));
    CHECK_EQ(res[2].err, 0);
    CHECK_EQ(res[0].err, 0);
    CHECK_EQ(res[0].items, 1);
    CHECK_EQ(KOBJ(a, KEEL_TASK_CAP_VALID, 30), 0);     /* gone from the granter */
    CHECK_EQ(KOBJ(b.task, KEEL_TASK_CAP_VALID, 66), 1); /* at the hotspot in the window */
    /* With the rights the flexpage gave (R), not those it had (R|S): without S it is not passed
     * on, so mapping it back from the receiver brings nothing. */
    uint64_t back = cap_new();
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_MAP, b.task, keel_fpage_cap(66, 0, KEEL_CAP_ALL), back);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, back), 0);
    cap_free(back);
    /* It kept its place below our gate: deleting that takes it. */
    cap_free(g);
    CHECK_EQ(KOBJ(b.task, KEEL_TASK_CAP_VALID, 66), 0);
    kthread_free(&t);
    cap_free(a);
    child_free(&b);
}

KTEST(ipc_memory_item_into_utcb_area_is_einval)
{
    result_clear();
    uint64_t *page = rt_page_alloc();
    REQUIRE(page);
    item_br0 = keel_fpage_mem(KEEL_ROOT_UTCB_ADDR, 14, KEEL_FP_RW); /* its own UTCB area */
    item_br1 = 0;
    item_probe = 0;
    struct child c;
    REQUIRE_EQ(child_receiver(&c), 0);
    REQUIRE(wait_state(c.t.cap, 2, 1000));
    struct keel_utcb *u = keel_utcb();
    u->mr[0] = keel_item_ctl(0, 0);
    u->mr[1] = keel_fpage_mem((uint64_t)(uintptr_t)page, 12, KEEL_FP_RW);
    CHECK_EQ(ipc_err(keel_send(c.gate, keel_tag(0, 0, 1), KEEL_TIMEOUT_NEVER)), -KEEL_EINVAL);
    REQUIRE(wait_flag(&res[0].done, 1000));
    CHECK_EQ(res[0].err, -KEEL_EINVAL);
    /* Its UTCB still works: it reports through it above, and the kernel still answers it. */
    CHECK_EQ(KOBJ(c.task, KEEL_TASK_MEM_INFO, KEEL_ROOT_UTCB_ADDR), 0);
    child_free(&c);
    rt_page_free(page);
}

KTEST(ipc_reply_wait_without_caller_still_waits)
{
    /* Nothing to reply to: the reply is dropped and the wait happens (it times out here). */
    uint64_t tag = keel_reply_wait(keel_tag(0, 0, 0), 10000, 0);
    CHECK(keel_tag_is_error(tag));
    CHECK_EQ(keel_ipc_error(), -KEEL_ETIMEOUT);
}
