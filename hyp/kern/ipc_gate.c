// SPDX-License-Identifier: MIT
// Ipc_gate objects (see keel/ipc_gate.h).
#include <keel/ipc_gate.h>
#include <keel/thread.h>
#include <keel/task.h>
#include <keel/quota.h>
#include <keel/kobj_call.h>
#include <uapi/keel/fpage.h>

/* The thread it is bound to dies. */
static void bound_cut(struct kobj_link *l)
{
    ipc_gate_unbind(container_of(l, struct ipc_gate, bound));
}

struct ipc_gate *ipc_gate_create(struct quota *q, int *err)
{
    struct ipc_gate *g = quota_alloc(q, sizeof(*g));
    if (!g) {
        *err = -KEEL_ENOMEM;
        return NULL;
    }
    kobj_init(&g->obj, KEEL_OBJ_IPC_GATE, q);
    kobj_link_init(&g->bound, bound_cut);
    return g;
}

int ipc_gate_bind(struct ipc_gate *g, struct thread *t, uint64_t label)
{
    int err = kobj_link_check(&t->obj);
    if (err) {
        return err; /* refused: the gate stays bound where it was */
    }
    ipc_gate_unbind(g);
    kobj_link_set_live(&g->bound, &t->obj);
    g->label = label;
    return 0;
}

void ipc_gate_unbind(struct ipc_gate *g)
{
    kobj_link_clear(&g->bound);
}

static int64_t gate_invoke(struct kobj *o, unsigned rights, struct kobj_msg *m)
{
    struct ipc_gate *g = container_of(o, struct ipc_gate, obj);
    switch (kmsg_op(m)) {
    case KEEL_GATE_BIND: {
        if (!(rights & KEEL_CAP_W)) {
            return -KEEL_EPERM;
        }
        if (!kmsg_has(m, 2)) {
            return -KEEL_EINVAL;
        }
        int err;
        struct kobj *t = kobj_lookup(m->caller, m->mr[1], KEEL_OBJ_THREAD, KEEL_CAP_W, &err);
        if (!t) {
            return err;
        }
        return ipc_gate_bind(g, container_of(t, struct thread, obj), m->mr[2]);
    }
    case KEEL_GATE_INFO:
        m->mr[0] = g->label;
        m->mr[1] = g->bound.to != NULL;
        m->out_words = 2;
        return 0;
    default:
        return -KEEL_EPROTO;
    }
}

static void gate_teardown(struct kobj *o)
{
    ipc_gate_unbind(container_of(o, struct ipc_gate, obj));
}

const struct kobj_ops ipc_gate_ops = {
    .size = sizeof(struct ipc_gate),
    .teardown = gate_teardown,
    .invoke = gate_invoke,
};
