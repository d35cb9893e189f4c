// SPDX-License-Identifier: MIT
// Irq objects and hardware line binding (see keel/irq.h).
#include <keel/irq.h>
#include <keel/ipc.h>
#include <keel/thread.h>
#include <keel/quota.h>
#include <keel/kobj_call.h>
#include <keel/arch/irqchip.h>
#include <uapi/keel/fpage.h>

static struct irq *line_owner[IRQ_MAX_LINES];

/* The thread it is attached to dies. */
static void attached_cut(struct kobj_link *l)
{
    irq_detach(container_of(l, struct irq, attached));
}

struct irq *irq_create(struct quota *q, int *err)
{
    struct irq *irq = quota_alloc(q, sizeof(*irq));
    if (!irq) {
        *err = -KEEL_ENOMEM;
        return NULL;
    }
    kobj_init(&irq->obj, KEEL_OBJ_IRQ, q);
    kobj_link_init(&irq->attached, attached_cut);
    list_init(&irq->pending_link);
    irq->line = IRQ_NO_LINE;
    irq_direct_init(irq);
    return irq;
}

int irq_attach(struct irq *irq, struct thread *t, uint64_t label)
{
    int err = kobj_link_check(&t->obj);
    if (err) {
        return err; /* refused: the Irq stays where it was */
    }
    irq_detach(irq);
    kobj_link_set_live(&irq->attached, &t->obj);
    irq->label = label;
    return 0;
}

void irq_detach(struct irq *irq)
{
    if (list_linked(&irq->pending_link)) {
        list_remove(&irq->pending_link);
    }
    kobj_link_clear(&irq->attached);
}

void irq_fire(struct irq *irq)
{
    struct thread *t = irq_thread(irq);
    if (t) {
        ipc_notify_irq(t, irq);
    }
}

struct irq *irq_of_line(unsigned line)
{
    return line < IRQ_MAX_LINES ? line_owner[line] : NULL;
}

void irq_line_fired(unsigned line)
{
    if (line < IRQ_MAX_LINES && line_owner[line]) {
        irq_fire(line_owner[line]);
    }
}

int irq_bind_line(struct irq *irq, unsigned line, unsigned mode)
{
    if (line < arch_irq_first_user_line() || line >= arch_irq_line_count() || line >= IRQ_MAX_LINES) {
        return -KEEL_ERANGE;
    }
    if (line_owner[line] || irq->line != IRQ_NO_LINE) {
        return -KEEL_EBUSY;
    }
    int err = arch_irq_line_set_mode(line, mode);
    if (err) {
        return err;
    }
    line_owner[line] = irq;
    irq->line = line;
    arch_irq_line_unmask(line);
    return 0;
}

void irq_unbind_line(struct irq *irq)
{
    if (irq->line != IRQ_NO_LINE) {
        /* Masked (and the mask in effect) before a line its vCPU had is deactivated: a level
         * line cannot signal once more on its way to nobody. */
        arch_irq_line_mask_sync(irq->line);
        irq_direct_end(irq);
        line_owner[irq->line] = NULL;
        irq->line = IRQ_NO_LINE;
    }
}

static int64_t irq_invoke(struct kobj *o, unsigned rights, struct kobj_msg *m)
{
    struct irq *irq = container_of(o, struct irq, obj);
    int err;
    switch (kmsg_op(m)) {
    case KEEL_IRQ_ATTACH: {
        if (!(rights & KEEL_CAP_W)) {
            return -KEEL_EPERM;
        }
        if (!kmsg_has(m, 2)) {
            return -KEEL_EINVAL;
        }
        struct kobj *t = kobj_lookup(m->caller, m->mr[1], KEEL_OBJ_THREAD, KEEL_CAP_W, &err);
        if (!t) {
            return err;
        }
        return irq_attach(irq, container_of(t, struct thread, obj), m->mr[2]);
    }
    case KEEL_IRQ_DETACH:
        if (!(rights & KEEL_CAP_W)) {
            return -KEEL_EPERM;
        }
        irq_detach(irq);
        return 0;
    case KEEL_IRQ_TRIGGER:
        irq_fire(irq);
        return 0;
    case KEEL_IRQ_UNMASK:
        if (irq->line == IRQ_NO_LINE) {
            return -KEEL_ENOENT;
        }
        arch_irq_line_unmask(irq->line);
        return 0;
    case KEEL_IRQ_DIRECT:
        if (!(rights & KEEL_CAP_W)) {
            return -KEEL_EPERM;
        }
        return irq_direct_invoke(irq, m);
    default:
        return -KEEL_EPROTO;
    }
}

static void irq_teardown(struct kobj *o)
{
    struct irq *irq = container_of(o, struct irq, obj);
    irq_unbind_line(irq);
    irq_direct_end(irq);
    irq_detach(irq);
}

const struct kobj_ops irq_ops = {
    .size = sizeof(struct irq),
    .teardown = irq_teardown,
    .invoke = irq_invoke,
};
