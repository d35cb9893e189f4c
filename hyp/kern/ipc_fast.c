// SPDX-License-Identifier: MIT
/*
 * The IPC fast path: the two operations a client/server pair spends its life in — a call to a
 * server waiting in an open receive, and the server's reply-and-wait to a caller waiting for it —
 * when both threads are on this CPU, the message is untyped words, and no timeout needs arming.
 * The message is copied and the CPU handed straight to the partner (sched_hand_over). Anything
 * else returns false before changing any state, and the general path (ipc.c) takes over.
 */
#include <keel/ipc.h>
#include <keel/thread.h>
#include <keel/task.h>
#include <keel/ipc_gate.h>
#include <keel/percpu.h>
#include <keel/sched.h>
#include <uapi/keel/syscall.h>
#include <uapi/keel/err.h>
#include <uapi/keel/fpage.h>

static void copy_words(struct thread *snd, struct thread *rcv, uint64_t tag, uint64_t label)
{
    unsigned words = keel_tag_words(tag);
    const uint64_t *src = snd->utcb->mr;
    uint64_t *dst = rcv->utcb->mr;
    for (unsigned i = 0; i < words; i++) {
        dst[i] = src[i];
    }
    rcv->rcv_tag = tag & ~(uint64_t)KEEL_TAG_ERROR;
    rcv->rcv_label = label;
    rcv->ipc_error = 0;
    timeout_disarm(&rcv->timeout);
}

/* Plain words, nothing else: the only messages the fast path carries. */
static bool plain(uint64_t tag)
{
    return keel_tag_items(tag) == 0 && keel_tag_words(tag) <= KEEL_MR_COUNT &&
           keel_tag_label(tag) != KEEL_PROTO_KOBJ;
}

bool ipc_fast_call(struct thread *self, struct cap *c, uint64_t tag, uint64_t timeouts)
{
    if (!plain(tag) || (uint32_t)(timeouts >> 32) != KEEL_TIMEOUT_NEVER ||
        c->obj->type != KEEL_OBJ_IPC_GATE || !(c->rights & KEEL_CAP_R)) {
        return false;
    }
    struct ipc_gate *g = container_of(c->obj, struct ipc_gate, obj);
    struct thread *s = g->thread;
    if (!s || s->state != TS_RECV || !s->recv_open || !sched_can_hand_over(s)) {
        return false;
    }
    copy_words(self, s, tag, g->label);
    s->recv_open = false;
    s->utcb->tcr[KEEL_TCR_ITEMS_RCVD] = 0;
    s->reply_to = self;
    self->partner = s;
    self->state = TS_RECV;
    sched_hand_over(self, s);
    return true;
}

bool ipc_fast_reply_wait(struct thread *self, uint64_t tag, uint64_t timeouts)
{
    struct thread *c = self->reply_to;
    if (!plain(tag) || (uint32_t)(timeouts >> 32) != KEEL_TIMEOUT_NEVER || !c ||
        c->state != TS_RECV || c->partner != self || c->kipc != KIPC_NONE ||
        !list_empty(&self->senders) || !list_empty(&self->pending_irqs) || !sched_can_hand_over(c)) {
        return false;
    }
    copy_words(self, c, tag, 0);
    c->partner = NULL;
    self->reply_to = NULL;
    self->state = TS_RECV;
    self->recv_open = true;
    self->partner = NULL;
    self->recv_from = NULL;
    sched_hand_over(self, c);
    return true;
}
