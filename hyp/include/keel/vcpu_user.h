/* SPDX-License-Identifier: MIT */
/* Plain vCPU mode of threads (see uapi/keel/vcpu_user.h and kern/vcpu_user.c). */
#pragma once
#include <stdint.h>

struct thread;
struct kobj_msg;
struct irq;

/* Thread VCPU_USER: bind t to a state area and an entry (area 0: leave the mode). */
int64_t vcpu_user_bind(struct thread *t, struct kobj_msg *m);
/* Thread VCPU_USER_RESUME: t (the caller) continues with its area's frame and flag. */
int64_t vcpu_user_resume(struct thread *t, struct kobj_msg *m);
/* An Irq of t's fired and waits in t->pending_irqs: t takes it at its entry when it can. */
void vcpu_user_notify(struct thread *t);
/* On t's way out of the kernel (vu_event set): enters the oldest pending event if the flag lets. */
void vcpu_user_enter(struct thread *t);
