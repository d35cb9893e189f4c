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

struct irq {
    struct kobj obj;
    struct kobj_link attached; /* the thread it is attached to; cut (detached) when that dies */
    struct list pending_link;  /* in thread->pending_irqs while fired and not received */
    uint64_t label;
    unsigned line;             /* bound hardware line or IRQ_NO_LINE */
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
