// SPDX-License-Identifier: MIT
/*
 * The IPC fast path: the two operations a client/server pair spends its life in — a call to a
 * server waiting in an open receive, and the server's reply-and-wait to a caller waiting for it —
 * when both threads are on this CPU, the partner may run now (sched_can_hand_over), the message
 * is untyped words, and no timeout needs arming or disarming. The message is copied and the CPU
 * handed straight to the partner (sched_hand_over). Anything else returns before changing any
 * state, and the general path (ipc.c) takes over. It makes no calls before it leaves, so that
 * the compiler saves no registers for it.
 *
 * A thread that blocks here keeps nothing on its kernel stack: it continues at fast_resume()
 * (thread.resume), whoever wakes it. So when the partner blocked here too, as client and server
 * do in turn, the hand-over is no kernel context switch at all: this CPU leaves through the
 * partner's user frame.
 */
#include <keel/ipc.h>
#include <keel/thread.h>
#include <keel/task.h>
#include <keel/ipc_gate.h>
#include <keel/percpu.h>
#include <keel/sched.h>
#include <keel/bkl.h>
#include <arch/regs.h>
#include <uapi/keel/syscall.h>
#include <uapi/keel/err.h>
#include <uapi/keel/fpage.h>

static inline __attribute__((always_inline)) void copy_words(struct thread *snd, struct thread *rcv,
                                                             uint64_t tag, uint64_t label)
{
    const uint64_t *src = snd->utcb->mr, *end = src + keel_tag_words(tag);
    uint64_t *dst = rcv->utcb->mr;
    while (src < end) {
        *dst++ = *src++;
    }
    rcv->rcv_tag = tag & ~(uint64_t)KEEL_TAG_ERROR;
    rcv->rcv_label = label;
    rcv->ipc_error = 0;
}

/* Plain words, nothing else: the only messages the fast path carries. (Words and items, the low
 * twelve bits, read as one number are at most 64 exactly when there are no items and at most 64
 * words.) */
static bool plain(uint64_t tag)
{
    _Static_assert(KEEL_TAG_ITEMS_SHIFT == 7 && KEEL_MR_COUNT < (1u << 7), "tag layout");
    return (tag & ((KEEL_TAG_ITEMS_MASK << KEEL_TAG_ITEMS_SHIFT) | KEEL_TAG_WORDS_MASK)) <=
               KEEL_MR_COUNT &&
           keel_tag_label(tag) != KEEL_PROTO_KOBJ;
}

/* Where a thread that blocked here continues, on its otherwise empty kernel stack: its system
 * call returns the IPC's outcome, which whoever woke it left in the thread. */
static void fast_resume(struct arch_regs *r)
{
    struct thread *self = this_cpu()->current;
    if (self->ipc_error) {
        self->utcb->tcr[KEEL_TCR_ERROR] = (uint64_t)-self->ipc_error;
        arch_regs_set_arg(r, 0, keel_tag(self->ipc_error, 0, 0) | KEEL_TAG_ERROR);
        arch_regs_set_arg(r, 3, 0);
    } else {
        arch_regs_set_arg(r, 0, self->rcv_tag);
        arch_regs_set_arg(r, 3, self->rcv_label);
    }
    sched_switched();
    sched_exit_to_user();
    bkl_unlock();
}

/* A call through c to a server waiting in an open receive: returns the server, or NULL. */
static inline struct thread *fast_call(struct thread *self, struct cap *c, uint64_t tag)
{
    if (c->obj->type != KEEL_OBJ_IPC_GATE || !(c->rights & KEEL_CAP_R)) {
        return NULL;
    }
    struct ipc_gate *g = container_of(c->obj, struct ipc_gate, obj);
    struct thread *s = ipc_gate_thread(g);
    if (!s || s->state != TS_RECV || !s->recv_open || s->timeout.cpu || !sched_can_hand_over(s)) {
        return NULL;
    }
    copy_words(self, s, tag, g->label);
    s->recv_open = false;
    s->utcb->tcr[KEEL_TCR_ITEMS_RCVD] = 0;
    s->reply_to = self;
    kobj_link_set_live(&self->partner, &s->obj); /* awaits s's reply (s lives: a gate links it) */
    return s;
}

/* A reply to the caller waiting for it, then an open wait: returns the caller, or NULL. */
static inline struct thread *fast_reply_wait(struct thread *self, uint64_t tag)
{
    struct thread *c = self->reply_to;
    if (!c || c->state != TS_RECV || !thread_waits_on(c, self) || c->kipc != KIPC_NONE || c->timeout.cpu ||
        !list_empty(&self->senders) || !list_empty(&self->pending_irqs) || !sched_can_hand_over(c)) {
        return NULL;
    }
    copy_words(self, c, tag, 0);
    kobj_link_clear(&c->partner);
    self->reply_to = NULL;
    self->recv_open = true; /* (self, running, waits on nothing: its partner link is not set) */
    return c;
}

void ipc_fast(struct thread *self, uint64_t tag, uint64_t sel, uint64_t timeouts)
{
    unsigned ops = sel & ((1u << KEEL_CAP_SHIFT) - 1);
    struct thread *partner = NULL;
    bool never = (uint32_t)(timeouts >> 32) == KEEL_TIMEOUT_NEVER; /* the receive timeout */
    if (ops == KEEL_OP_CALL && plain(tag) && never) {
        struct cap *c = objspace_lookup(&self->task->caps, sel >> KEEL_CAP_SHIFT);
        if (c && c->obj) {
            partner = fast_call(self, c, tag);
        }
    } else if (ops == KEEL_OP_REPLY_WAIT && plain(tag) && never) {
        partner = fast_reply_wait(self, tag);
    }
    if (partner) {
        self->state = TS_RECV;
        sched_hand_over(self, partner, fast_resume);
    }
}
