/* SPDX-License-Identifier: MIT */
/*
 * Irq: an asynchronous signal without payload, delivered to the thread it is attached to as a
 * message whose label is the Irq's label. Fired by software (TRIGGER) or by a hardware line bound
 * through the Icu; a hardware line is masked when it fires and unmasked by Irq UNMASK.
 */
#pragma once
#include <stdint.h>
#include <keel/kobj.h>
#include <keel/thread.h>

#define IRQ_NO_LINE (~0u)

/* Direct delivery of its bound line to a vCPU (Irq DIRECT, kern/irq_direct.c). */
enum irq_direct_state {
    IRQ_DIRECT_IDLE,    /* the line is not active for the vCPU */
    IRQ_DIRECT_PENDING, /* acknowledged (priority dropped), active, not yet in the guest */
    IRQ_DIRECT_IN_GUEST /* in the vCPU's kernel list register: the guest deactivates it */
};

struct irq {
    struct kobj obj;
    struct kobj_link attached; /* the thread it is attached to; cut (detached) when that dies */
    struct list pending_link;  /* in thread->pending_irqs while fired and not received */
    uint64_t label;
    unsigned line;             /* bound hardware line or IRQ_NO_LINE */
    /* Direct delivery: the vCPU thread (its vcpu.direct points back while this is set; cut
     * when it dies: the line is deactivated), the guest's INTID for it, where it stands, the
     * CPU the line is routed to (~0: not yet), and the Irq triggered when it comes while the
     * vCPU is not in its guest (the VMM's kick; cut when that dies). */
    struct kobj_link vcpu;
    struct kobj_link kick;
    unsigned vintid;
    enum irq_direct_state direct;
    bool again; /* IN_GUEST, and the line came again after the guest's deactivation */
    unsigned routed_cpu;
};

struct irq *irq_create(struct quota *q, int *err);
/* The thread irq is attached to, or NULL. */
static inline struct thread *irq_thread(const struct irq *irq)
{
    return irq->attached.to ? container_of(irq->attached.to, struct thread, obj) : NULL;
}
/* Attaches irq to t (detaching it first). Returns 0, or -KEEL_ENOENT when t is dead. */
int irq_attach(struct irq *irq, struct thread *t, uint64_t label);
void irq_detach(struct irq *irq);
void irq_fire(struct irq *irq);
/* A hardware line fired (arch interrupt code, line already masked). */
void irq_line_fired(unsigned line);
int irq_bind_line(struct irq *irq, unsigned line, unsigned mode);
void irq_unbind_line(struct irq *irq);
/* The Irq bound to line, or NULL. */
struct irq *irq_of_line(unsigned line);

#define IRQ_MAX_LINES 1024 /* lines an Irq may be bound to: below this and the controller's count */

/* Direct delivery (kern/irq_direct.c). */
struct kobj_msg;
void irq_direct_init(struct irq *irq);
/* Irq DIRECT: MR1 vCPU thread cap (~0: end), MR2 virtual INTID, MR3 kick Irq cap (~0: none). */
int64_t irq_direct_invoke(struct irq *irq, struct kobj_msg *m);
/* Ends irq's direct delivery, if any: the vCPU's guest out of its CPU first (waits for it),
 * then a line left active for the vCPU is deactivated and routed to the boot CPU again. */
void irq_direct_end(struct irq *irq);
/* CPU cpu goes off (smp_cpu_off): directly delivered lines routed there go to the boot CPU. */
void irq_direct_cpu_off(unsigned cpu);
/* The vCPU thread irq is delivered to directly, or NULL. */
static inline struct thread *irq_vcpu(const struct irq *irq)
{
    return irq->vcpu.to ? container_of(irq->vcpu.to, struct thread, obj) : NULL;
}
/* From the interrupt controller, with the big lock: line, which has direct delivery, was
 * acknowledged and its priority dropped; it is still active. true: kept for the vCPU's guest
 * (injected before its next entry; the vCPU is kicked); false: the caller ends it the ordinary
 * way (mask, deactivate, irq_line_fired), as the VMM last said the guest may not take it. */
bool irq_direct_fired(unsigned line);
/* Before the vCPU thread self enters its guest: the direct Irq when it is pending for the
 * guest, or NULL. The caller then either puts it into a list register (irq_direct_injected)
 * or, when the guest may not take it now, calls irq_direct_fallback. */
struct irq *irq_direct_due(struct thread *self);
void irq_direct_injected(struct irq *irq);
/* The line goes the ordinary way after all: masked, deactivated, the attached thread told.
 * Returns whether that thread is self (an event for the VMM thread). */
bool irq_direct_fallback(struct irq *irq, struct thread *self);
/* The guest deactivated it (its list register entry went invalid). */
void irq_direct_done(struct irq *irq);
/* Thread VCPU on t (a new binding) and its release: no direct Irq any more. */
void irq_direct_thread_rebound(struct thread *t);
