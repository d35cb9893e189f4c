// SPDX-License-Identifier: MIT
// The Icu object: binds Irq objects to hardware interrupt lines (one per system, static).
#include <keel/irq.h>
#include <keel/kobj_call.h>
#include <keel/arch/irqchip.h>
#include <uapi/keel/fpage.h>

struct kobj icu_object = KOBJ_STATIC(icu_object, KEEL_OBJ_ICU);

static int64_t icu_invoke(struct kobj *o, unsigned rights, struct kobj_msg *m)
{
    (void)o;
    int err;
    uint64_t op = kmsg_op(m);
    if (op == KEEL_ICU_INFO) {
        m->mr[0] = arch_irq_line_count();
        m->mr[1] = arch_irq_first_user_line();
        m->out_words = 2;
        return 0;
    }
    if (!(rights & KEEL_CAP_W)) {
        return -KEEL_EPERM;
    }
    if (!kmsg_has(m, 1)) {
        return -KEEL_EINVAL;
    }
    switch (op) {
    case KEEL_ICU_BIND: {
        if (!kmsg_has(m, 3)) {
            return -KEEL_EINVAL;
        }
        struct kobj *irq = kobj_lookup(m->caller, m->mr[1], KEEL_OBJ_IRQ, KEEL_CAP_W, &err);
        if (!irq) {
            return err;
        }
        if (m->mr[2] > UINT32_MAX || m->mr[3] > KEEL_IRQ_MODE_EDGE_RISING) {
            return -KEEL_ERANGE;
        }
        return irq_bind_line(container_of(irq, struct irq, obj), (unsigned)m->mr[2], (unsigned)m->mr[3]);
    }
    case KEEL_ICU_UNBIND: {
        struct kobj *irq = kobj_lookup(m->caller, m->mr[1], KEEL_OBJ_IRQ, KEEL_CAP_W, &err);
        if (!irq) {
            return err;
        }
        irq_unbind_line(container_of(irq, struct irq, obj));
        return 0;
    }
    case KEEL_ICU_MASK:
    case KEEL_ICU_UNMASK:
        if (m->mr[1] < arch_irq_first_user_line() || m->mr[1] >= arch_irq_line_count()) {
            return -KEEL_ERANGE;
        }
        if (op == KEEL_ICU_MASK) {
            arch_irq_line_mask((unsigned)m->mr[1]);
        } else {
            arch_irq_line_unmask((unsigned)m->mr[1]);
        }
        return 0;
    default:
        return -KEEL_EPROTO;
    }
}

const struct kobj_ops icu_ops = { .invoke = icu_invoke };
