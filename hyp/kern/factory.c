// SPDX-License-Identifier: MIT
// Factory objects (see keel/factory.h).
#include <keel/factory.h>
#include <keel/task.h>
#include <keel/thread.h>
#include <keel/ipc_gate.h>
#include <keel/irq.h>
#include <keel/scheduler.h>
#include <keel/kobj_call.h>
#include <keel/quota.h>
#include <uapi/keel/fpage.h>

struct factory root_factory = { .obj = KOBJ_STATIC(root_factory.obj, KEEL_OBJ_FACTORY) };

/* Installs a new object's first capability (all rights) at idx in the caller's space. */
static int64_t install(struct thread *self, struct cap *slot, struct factory *f, struct kobj *o)
{
    o->owner = &f->obj;
    kobj_get(&f->obj);
    cap_install(slot, o, KEEL_CAP_ALL);
    (void)self;
    return 0;
}

static struct kobj *create(struct factory *f, uint64_t op, struct kobj_msg *m, int *err)
{
    struct quota *q = &f->quota;
    switch (op) {
    case KEEL_FACTORY_TASK: {
        uint64_t fp = kmsg_has(m, 2) ? m->mr[2] : 0, flags = kmsg_has(m, 3) ? m->mr[3] : 0;
        if ((fp && keel_fpage_kind(fp) != KEEL_FP_MEM) || (flags & ~(uint64_t)KEEL_TASK_VM)) {
            *err = -KEEL_EINVAL;
            return NULL;
        }
        struct task *t = task_create(q, va_init(keel_fpage_base(fp)), fp ? keel_fpage_order(fp) : 0,
                                     flags & KEEL_TASK_VM, err);
        return t ? &t->obj : NULL;
    }
    case KEEL_FACTORY_THREAD: {
        struct thread *t = thread_create(q, err);
        return t ? &t->obj : NULL;
    }
    case KEEL_FACTORY_GATE: {
        struct kobj *th = NULL;
        if (kmsg_has(m, 2) && m->mr[2] != ~0ull) {
            th = kobj_lookup(m->caller, m->mr[2], KEEL_OBJ_THREAD, KEEL_CAP_W, err);
            if (!th) {
                return NULL;
            }
        }
        struct ipc_gate *g = ipc_gate_create(q, err);
        if (g) {
            g->label = kmsg_has(m, 3) ? m->mr[3] : 0; /* an unbound gate keeps its label too */
        }
        if (g && th && (*err = ipc_gate_bind(g, container_of(th, struct thread, obj), g->label))) {
            quota_free(q, g, sizeof(*g)); /* a dead thread: no gate (nothing else knows it yet) */
            return NULL;
        }
        return g ? &g->obj : NULL;
    }
    case KEEL_FACTORY_IRQ: {
        struct irq *irq = irq_create(q, err);
        return irq ? &irq->obj : NULL;
    }
    case KEEL_FACTORY_SCHEDULER: {
        if (!kmsg_has(m, 3)) {
            *err = -KEEL_EINVAL;
            return NULL;
        }
        struct kobj *p = kobj_lookup(m->caller, m->mr[2], KEEL_OBJ_SCHEDULER, KEEL_CAP_W, err);
        if (!p) {
            return NULL;
        }
        struct scheduler *parent = container_of(p, struct scheduler, obj);
        struct scheduler_limits l = { .max_prio = m->mr[3], .cpus = parent->cpus };
        if (kmsg_has(m, 4)) {
            l.cpus = m->mr[4];
        }
        if (kmsg_has(m, 6)) {
            l.budget_us = m->mr[5];
            l.period_us = m->mr[6];
        } else if (kmsg_has(m, 5)) {
            *err = -KEEL_EINVAL; /* a budget without its period */
            return NULL;
        }
        struct scheduler *s = scheduler_create(q, parent, &l, err);
        return s ? &s->obj : NULL;
    }
    case KEEL_FACTORY_FACTORY: {
        if (!kmsg_has(m, 2)) {
            *err = -KEEL_EINVAL;
            return NULL;
        }
        if ((*err = quota_charge(q, m->mr[2])) != 0) {
            return NULL;
        }
        struct factory *nf = quota_alloc(q, sizeof(*nf));
        if (!nf) {
            quota_uncharge(q, m->mr[2]);
            *err = -KEEL_ENOMEM;
            return NULL;
        }
        kobj_init(&nf->obj, KEEL_OBJ_FACTORY, q);
        nf->quota.limit = m->mr[2];
        return &nf->obj;
    }
    default:
        *err = -KEEL_EPROTO;
        return NULL;
    }
}

static int64_t factory_invoke(struct kobj *o, unsigned rights, struct kobj_msg *m)
{
    struct factory *f = container_of(o, struct factory, obj);
    uint64_t op = kmsg_op(m);
    if (op == KEEL_FACTORY_INFO) {
        m->mr[0] = f->quota.limit;
        m->mr[1] = f->quota.used;
        m->mr[2] = f->quota.peak;
        m->out_words = 3;
        return 0;
    }
    if (!(rights & KEEL_CAP_W)) {
        return -KEEL_EPERM;
    }
    if (op < KEEL_FACTORY_TASK || op > KEEL_FACTORY_SCHEDULER) { /* INFO was answered above */
        return -KEEL_EPROTO;
    }
    if (!kmsg_has(m, 1)) {
        return -KEEL_EINVAL;
    }
    int err = 0;
    struct cap *slot = objspace_slot(&m->caller->task->caps, m->mr[1], &err);
    if (!slot) {
        return err;
    }
    if (slot->obj) {
        return -KEEL_EEXIST;
    }
    struct kobj *n = create(f, op, m, &err);
    if (!n) {
        return err;
    }
    return install(m->caller, slot, f, n);
}

static void factory_release(struct kobj *o)
{
    struct factory *f = container_of(o, struct factory, obj);
    if (o->quota) {
        quota_uncharge(o->quota, f->quota.limit);
    }
}

const struct kobj_ops factory_ops = {
    .size = sizeof(struct factory),
    .release = factory_release,
    .invoke = factory_invoke,
};
