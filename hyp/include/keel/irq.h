/* SPDX-License-Identifier: MIT */
/*
 * Irq: an asynchronous signal without payload, delivered to the thread it is attached to as a
 * message whose label is the Irq's label. Fired by software (TRIGGER) or by a hardware line bound
 * through the Icu; a hardware line is masked when it fires and unmasked by Irq UNMASK.
 */
#pragma once
#include <stdint.h>
#include <keel/kobj.h>

#define IRQ_NO_LINE (~0u)

struct irq {
    struct kobj obj;
    struct thread *thread;     /* attached to (no reference: detached when the thread dies) */
    struct list attach_link;   /* in thread->irqs */
    struct list pending_link;  /* in thread->pending_irqs while fired and not received */
    uint64_t label;
    unsigned line;             /* bound hardware line or IRQ_NO_LINE */
};

struct irq *irq_create(struct quota *q, int *err);
void irq_attach(struct irq *irq, struct thread *t, uint64_t label);
void irq_detach(struct irq *irq);
void irq_fire(struct irq *irq);
/* A hardware line fired (arch interrupt code, line already masked). */
void irq_line_fired(unsigned line);
int irq_bind_line(struct irq *irq, unsigned line, unsigned mode);
void irq_unbind_line(struct irq *irq);
