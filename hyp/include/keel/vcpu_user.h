/* SPDX-License-Identifier: MIT */
/* Plain vCPU mode of threads (see uapi/keel/vcpu_user.h and kern/vcpu_user.c). */
#pragma once
#include <stdbool.h>
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
/* A trap of the current thread t while it runs in user_task: enters it as an event (switching
 * back to t's own task) and returns true; false when t is in its own task (handle it as usual).
 * For EV_PAGE_FAULT a is the address and b the access; for EV_EXCEPTION the cause and detail. */
bool vcpu_user_trap(struct thread *t, unsigned event, uint64_t a, uint64_t b);
/* The thread's end: it lets go of user_task. */
void vcpu_user_release(struct thread *t);
