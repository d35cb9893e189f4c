// SPDX-License-Identifier: MIT
/*
 * The invoke system call: resolve the capability, then either run a kernel object's protocol or
 * carry out IPC through an Ipc_gate, then the optional receive. Everything the caller passes is
 * checked here or in the object's handler; failures come back as a tag with KEEL_TAG_ERROR and
 * the code in the UTCB.
 */
#include <keel/syscall.h>
#include <keel/thread.h>
#include <keel/task.h>
#include <keel/ipc.h>
#include <keel/ipc_gate.h>
#include <keel/irq.h>
#include <keel/percpu.h>
#include <keel/sched.h>
#include <keel/bkl.h>
#include <keel/kobj_call.h>
#include <keel/vcpu_user.h>
#include <uapi/keel/vcpu_user.h>
#include <uapi/keel/fpage.h>

struct kobj *kobj_lookup(struct thread *self, uint64_t idx, unsigned type, unsigned rights,
                         int *err)
{
    struct cap *c = objspace_lookup(&self->task->caps, idx);
    if (!c || !c->obj) {
        *err = -KEEL_ENOCAP;
        return NULL;
    }
    if (type != KEEL_OBJ_NONE && c->obj->type != type) {
        *err = -KEEL_EINVAL;
        return NULL;
    }
    if ((c->rights & rights) != rights) {
        *err = -KEEL_EPERM;
        return NULL;
    }
    return c->obj;
}

/* Runs a kernel object's protocol; returns the reply tag. */
static uint64_t invoke_kobj(struct thread *self, struct cap *c, uint64_t tag)
{
    struct kobj_msg m = {
        .caller = self,
        .mr = self->utcb->mr,
        .words = keel_tag_words(tag),
    };
    int64_t res;
    if (keel_tag_label(tag) != KEEL_PROTO_KOBJ) {
        res = -KEEL_EPROTO;
    } else if (kmsg_op(&m) == KEEL_ANY_TYPE) {
        res = c->obj->type;
    } else if (!(c->rights & KEEL_CAP_R)) {
        res = -KEEL_EPERM;
    } else {
        res = kobj_ops_table[c->obj->type]->invoke(c->obj, c->rights, &m);
    }
    return keel_tag(res, res < 0 ? 0 : m.out_words, 0);
}

/* The send half. Returns 0 or -err; *reply is set when a kernel object or a call answered. */
static int do_send(struct thread *self, uint64_t idx, unsigned ops, uint64_t tag,
                   uint64_t timeouts, uint64_t *reply, uint64_t *label)
{
    if (ops & KEEL_OP_REPLY) {
        return ipc_reply(self, tag);
    }
    struct cap *c = objspace_lookup(&self->task->caps, idx);
    if (!c || !c->obj) {
        return -KEEL_ENOCAP;
    }
    bool call = (ops & KEEL_OP_RECV) && !(ops & KEEL_OP_OPEN);
    if (c->obj->type != KEEL_OBJ_IPC_GATE || keel_tag_label(tag) == KEEL_PROTO_KOBJ) {
        *reply = invoke_kobj(self, c, tag);
        *label = 0;
        return 0;
    }
    struct ipc_gate *g = container_of(c->obj, struct ipc_gate, obj);
    if (!(c->rights & KEEL_CAP_R)) {
        return -KEEL_EPERM;
    }
    if (keel_tag_words(tag) + 2 * keel_tag_items(tag) > KEEL_MR_COUNT) {
        return -KEEL_EMSGSIZE;
    }
    struct thread *server = ipc_gate_thread(g);
    if (!server) {
        return -KEEL_ENOENT;
    }
    int err = ipc_send(self, server, tag, g->label, (uint32_t)timeouts, call,
                       (uint32_t)(timeouts >> 32));
    if (!err && call) {
        *reply = self->rcv_tag;
        *label = self->rcv_label;
    }
    return err;
}

/* A closed receive from the thread or Irq behind capability idx. */
static int do_closed_receive(struct thread *self, uint64_t idx, uint32_t timeout)
{
    struct cap *c = objspace_lookup(&self->task->caps, idx);
    if (!c || !c->obj) {
        return -KEEL_ENOCAP;
    }
    if (c->obj->type == KEEL_OBJ_THREAD) {
        return ipc_receive(self, container_of(c->obj, struct thread, obj), NULL, timeout);
    }
    if (c->obj->type == KEEL_OBJ_IRQ) {
        struct irq *irq = container_of(c->obj, struct irq, obj);
        if (irq_thread(irq) != self) {
            return -KEEL_ENOENT;
        }
        return ipc_receive(self, NULL, irq, timeout);
    }
    return -KEEL_EINVAL;
}

/* The general path: everything the fast path leaves. Apart, so that the fast path pays for none
 * of its registers. */
static __attribute__((noinline)) void invoke(struct thread *self, struct arch_regs *r)
{
    uint64_t tag = arch_regs_arg(r, 0), sel = arch_regs_arg(r, 1), timeouts = arch_regs_arg(r, 2);
    unsigned ops = sel & ((1u << KEEL_CAP_SHIFT) - 1);
    uint64_t idx = sel >> KEEL_CAP_SHIFT;
    uint64_t reply = 0, label = 0;
    bool have_reply = false;
    int err = 0;

    if (self->state != TS_READY) {
        /* Killed by another CPU on its way in: it goes no further, and leaving the kernel
         * switches away from it for good. */
        sched_exit_to_user();
        bkl_unlock();
        return;
    }
    if (vcpu_user_trap(self, KEEL_VCPU_USER_EV_SYSCALL, 0, 0)) {
        /* From user_task: an event at the vCPU's entry, never a use of its task's capabilities. */
        sched_exit_to_user();
        bkl_unlock();
        return;
    }
    if (!self->utcb) {
        err = -KEEL_EFAULT;
    } else if (ops & ~(unsigned)(KEEL_OP_SEND | KEEL_OP_RECV | KEEL_OP_OPEN | KEEL_OP_REPLY) ||
               ((ops & KEEL_OP_REPLY) && !(ops & KEEL_OP_SEND))) {
        err = -KEEL_EINVAL;
    } else if (ops & KEEL_OP_SEND) {
        reply = ~0ull;
        bool caller_waits = self->reply_to != NULL; /* (cleared when the caller stops waiting) */
        err = do_send(self, idx, ops, tag, timeouts, &reply, &label);
        have_reply = reply != ~0ull;
        if (!have_reply) {
            reply = 0; /* a send alone answers with an empty tag, not ~0 (which has the error flag) */
        }
        if (err && (ops & KEEL_OP_REPLY) && (ops & KEEL_OP_RECV) && !caller_waits) {
            /* Reply-and-wait whose caller is gone (timed out, destroyed): a server's loop goes
             * on to its wait, as in L4; the lost reply is not the server's error. A reply that
             * failed (its items: no memory left in the receiver's quota) is: no wait then. */
            err = 0;
        }
    }
    if (!err && (ops & KEEL_OP_RECV) && !(have_reply && !(ops & KEEL_OP_OPEN))) {
        /* What the send half released dies before the wait (a thread whose last capability
         * went must not run on while its killer waits); this thread may die with it. */
        kobj_reap();
        uint32_t rcv_timeout = (uint32_t)(timeouts >> 32);
        err = (ops & KEEL_OP_OPEN) ? ipc_receive(self, NULL, NULL, rcv_timeout)
                                   : do_closed_receive(self, idx, rcv_timeout);
        reply = self->rcv_tag;
        label = self->rcv_label;
    }
    if (err) {
        if (self->utcb) {
            self->utcb->tcr[KEEL_TCR_ERROR] = (uint64_t)-err;
        }
        reply = keel_tag(err, 0, 0) | KEEL_TAG_ERROR;
        label = 0;
    }
    if (self->frame_set) {
        self->frame_set = false; /* VCPU_USER_RESUME: it leaves through the frame it gave */
    } else {
        arch_regs_set_arg(r, 0, reply);
        arch_regs_set_arg(r, 3, label);
    }
    sched_exit_to_user();
    bkl_unlock();
}

void syscall_entry(struct arch_regs *r)
{
    bkl_lock();
    struct thread *self = this_cpu()->current;
    /* (A thread at user level has a UTCB: it is made ready only once bound to one, and keeps
     * it. One in user_task leaves as an event, through the general path.) */
    if (self->state == TS_READY && !thread_in_user_task(self)) {
        /* Returns only when it leaves the system call to the general path. */
        ipc_fast(self, arch_regs_arg(r, 0), arch_regs_arg(r, 1), arch_regs_arg(r, 2));
    }
    invoke(self, r);
}
