// SPDX-License-Identifier: MIT
/*
 * Direct delivery of a hardware line to a guest (Irq DIRECT, docs/vcpu.md "Direct interrupt
 * delivery"). An Irq bound to a line through the Icu is given to a vCPU thread with the guest's
 * INTID for it. When the line fires, the controller acknowledges it and drops its priority but
 * leaves it active (it cannot signal again), and the kernel puts it into a list register of its
 * own, as a hardware entry, before the vCPU's next entry: the guest's deactivation of the
 * virtual interrupt deactivates the physical one. No exit to the VMM on the way.
 *
 *   line fires ─> irq_direct_fired ──(VMM said: not now)──> the ordinary way (mask, notify)
 *                     │ PENDING: the vCPU kicked (IPI where its guest runs, else the kick Irq)
 *                     v
 *   vCPU entry ─> irq_direct_due ─(VMM says: not now)─> irq_direct_fallback (the ordinary way)
 *                     │ IN_GUEST: in the kernel's list register (arch)
 *                     v
 *   guest deactivates ─> irq_direct_done: IDLE
 *
 * Lifetimes: irq->vcpu is a link to the vCPU thread, which points back (thread.vcpu.direct)
 * exactly while it is set; irq->kick a link to the kick Irq. Whatever ends the delivery (Irq
 * DIRECT ~0 or to another vCPU, Icu UNBIND, the Irq's teardown, the vCPU thread's death, a new
 * Thread VCPU binding) deactivates a line still active for the vCPU (PENDING or IN_GUEST): the
 * device is never left silent. An entry still in a list register of a CPU where the guest runs
 * is dropped at that vCPU's next exit (the kernel keeps it only while IN_GUEST).
 */
#include <keel/irq.h>
#include <keel/thread.h>
#include <keel/sched.h>
#include <keel/percpu.h>
#include <keel/kobj_call.h>
#include <keel/arch/irqchip.h>
#include <uapi/keel/fpage.h>

/* The vCPU thread dies. */
static void vcpu_cut(struct kobj_link *l)
{
    irq_direct_end(container_of(l, struct irq, vcpu));
}

/* The kick Irq dies: kicks go nowhere. */
static void kick_cut(struct kobj_link *l)
{
    kobj_link_clear(l);
}

void irq_direct_init(struct irq *irq)
{
    kobj_link_init(&irq->vcpu, vcpu_cut);
    kobj_link_init(&irq->kick, kick_cut);
    irq->direct = IRQ_DIRECT_IDLE;
    irq->routed_cpu = ~0u;
}

void irq_direct_end(struct irq *irq)
{
    struct thread *t = irq_vcpu(irq);
    bool active = irq->direct != IRQ_DIRECT_IDLE && irq->line != IRQ_NO_LINE;
    if (t) {
        t->vcpu.direct = NULL; /* its next exit drops the kernel's list register entry */
        struct percpu *on = sched_running_on(t);
        if (on && on != this_cpu()) {
            /* Its guest may hold the line in a hardware entry there: out of the guest before
             * the line is deactivated here, or the guest could deactivate it once more after
             * it was given to the ordinary way (or to another vCPU). */
            sched_poke(on);
            sched_ask(1u << on->id, SCHED_ASK_IN_KERNEL);
        }
    }
    if (active) {
        arch_irq_line_deactivate(irq->line); /* (its priority was dropped at the acknowledge) */
    }
    if (irq->routed_cpu != ~0u && irq->line != IRQ_NO_LINE) {
        arch_irq_line_route(irq->line, 0); /* where the ordinary way wants it: the boot CPU */
    }
    irq->direct = IRQ_DIRECT_IDLE;
    irq->again = false;
    irq->routed_cpu = ~0u;
    kobj_link_clear(&irq->vcpu);
    kobj_link_clear(&irq->kick);
}

/* CPU cpu goes off: lines routed to it for their vCPU go to the boot CPU (where its threads
 * go); the vCPU's next entry routes them to wherever it runs then. */
void irq_direct_cpu_off(unsigned cpu)
{
    for (unsigned line = 0; line < IRQ_MAX_LINES; line++) {
        struct irq *irq = irq_of_line(line);
        if (irq && irq->routed_cpu == cpu) {
            arch_irq_line_route(line, 0);
            irq->routed_cpu = 0;
        }
    }
}

/* Thread VCPU on t: a new binding starts without a direct Irq. */
void irq_direct_thread_rebound(struct thread *t)
{
    if (t->vcpu.direct) {
        irq_direct_end(t->vcpu.direct);
    }
}

int64_t irq_direct_invoke(struct irq *irq, struct kobj_msg *m)
{
    int err;
    if (!kmsg_has(m, 1)) {
        return -KEEL_EINVAL;
    }
    if (m->mr[1] == ~0ull) {
        irq_direct_end(irq);
        return 0;
    }
    if (!kmsg_has(m, 2)) {
        return -KEEL_EINVAL;
    }
    /* Check everything first: a refusal leaves the old delivery as it was. */
    struct kobj *o = kobj_lookup(m->caller, m->mr[1], KEEL_OBJ_THREAD, KEEL_CAP_W, &err);
    if (!o) {
        return err;
    }
    struct thread *t = container_of(o, struct thread, obj);
    struct irq *kick = NULL;
    if (kmsg_has(m, 3) && m->mr[3] != ~0ull) {
        struct kobj *k = kobj_lookup(m->caller, m->mr[3], KEEL_OBJ_IRQ, KEEL_CAP_W, &err);
        if (!k) {
            return err;
        }
        kick = container_of(k, struct irq, obj);
        if (kick == irq) {
            return -KEEL_EINVAL;
        }
    }
    if (m->mr[2] > UINT32_MAX) {
        return -KEEL_ERANGE;
    }
    if ((err = arch_irq_direct_check((unsigned)m->mr[2])) != 0) {
        return err;
    }
    if (irq->line == IRQ_NO_LINE) {
        return -KEEL_ENOENT; /* the physical INTID comes only from the kernel's own binding */
    }
    if ((err = kobj_link_check(&t->obj)) != 0 || (kick && (err = kobj_link_check(&kick->obj)))) {
        return err; /* dying */
    }
    if (!t->vcpu.vm) {
        return -KEEL_EINVAL; /* not in extended vCPU mode */
    }
    if (t->vcpu.direct && t->vcpu.direct != irq) {
        return -KEEL_EBUSY; /* one per vCPU (one list register of the kernel's) */
    }
    /* Commit. Given again (to the same vCPU too): a reset, the line deactivated if active. */
    irq_direct_end(irq);
    kobj_link_set_live(&irq->vcpu, &t->obj);
    if (kick) {
        kobj_link_set_live(&irq->kick, &kick->obj);
    }
    irq->vintid = (unsigned)m->mr[2];
    t->vcpu.direct = irq;
    t->vcpu.direct_on = false; /* until the VMM says so at a resume */
    return 0;
}

bool irq_direct_fired(unsigned line)
{
    struct irq *irq = irq_of_line(line);
    struct thread *t = irq ? irq_vcpu(irq) : NULL;
    if (!t || !t->vcpu.direct_on) {
        return false;
    }
    if (irq->direct == IRQ_DIRECT_IN_GUEST) {
        /* The guest deactivated it and the line came again before the kernel saw that (it
         * looks at the list register at this exit, after the interrupt): pending once that is
         * seen (irq_direct_done). */
        irq->again = true;
        return true;
    }
    if (irq->direct == IRQ_DIRECT_PENDING) {
        return true; /* (a stale entry's deactivation let it in again: it is on its way) */
    }
    irq->direct = IRQ_DIRECT_PENDING;
    if (t->vcpu.running) {
        sched_kick(t); /* in its run loop: an IPI if its guest runs on another CPU */
    } else if (irq->kick.to) {
        irq_fire(container_of(irq->kick.to, struct irq, obj)); /* the VMM: resume it */
    }
    return true;
}

struct irq *irq_direct_due(struct thread *self)
{
    struct irq *irq = self->vcpu.direct;
    if (!irq) {
        return NULL;
    }
    unsigned cpu = this_cpu()->online ? this_cpu()->id : 0; /* (going off: irq_direct_cpu_off) */
    if (irq->routed_cpu != cpu) {
        arch_irq_line_route(irq->line, cpu); /* where the vCPU runs: its guest needs no IPI */
        irq->routed_cpu = cpu;
    }
    return irq->direct == IRQ_DIRECT_PENDING ? irq : NULL;
}

void irq_direct_injected(struct irq *irq)
{
    irq->direct = IRQ_DIRECT_IN_GUEST;
}

bool irq_direct_fallback(struct irq *irq, struct thread *self)
{
    arch_irq_line_mask_sync(irq->line); /* as the ordinary way leaves it: Irq UNMASK after */
    arch_irq_line_deactivate(irq->line);
    irq->direct = IRQ_DIRECT_IDLE;
    irq_fire(irq);
    return irq_thread(irq) == self;
}

void irq_direct_done(struct irq *irq)
{
    irq->direct = irq->again ? IRQ_DIRECT_PENDING : IRQ_DIRECT_IDLE;
    irq->again = false;
}
