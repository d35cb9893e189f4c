// SPDX-License-Identifier: MIT
/*
 * Plain vCPU mode (uapi/keel/vcpu_user.h): a thread's Irqs enter at its entry point, guarded by a
 * virtual interrupt flag in its state area, instead of arriving as messages. Entering happens on
 * the thread's way out of the kernel (sched_exit_slow, when vu_event is set), so that a thread
 * not in the mode pays one test on that way and nothing else.
 */
#include <keel/vcpu_user.h>
#include <keel/thread.h>
#include <keel/task.h>
#include <keel/irq.h>
#include <keel/sched.h>
#include <keel/percpu.h>
#include <keel/kobj_call.h>
#include <arch/regs.h>
#include <uapi/keel/vcpu_user.h>
#include <string.h>

_Static_assert(sizeof(struct arch_regs) <= KEEL_VCPU_USER_FRAME_WORDS * 8, "frame does not fit");
_Static_assert(sizeof(struct keel_vcpu_user) <= PAGE_SIZE, "state area is one page");

int64_t vcpu_user_bind(struct thread *t, struct kobj_msg *m)
{
    if (!kmsg_has(m, 3) || !t->task || t->vm) {
        return -KEEL_EINVAL;
    }
    uint64_t va = m->mr[1], pc = m->mr[2], sp = m->mr[3];
    if (!va) {
        t->vu = NULL;
        t->vu_event = false;
        return 0;
    }
    if ((va & (PAGE_SIZE - 1)) || !task_in_utcb_area(t->task, va_init(va), PAGE_SIZE) ||
        pc >= ARCH_USER_VA_LIMIT || sp >= ARCH_USER_VA_LIMIT) {
        return -KEEL_EINVAL;
    }
    struct keel_vcpu_user *vu = task_utcb_kva(t->task, va_init(va));
    if (!vu) {
        return -KEEL_EINVAL;
    }
    t->vu = vu;
    t->vu_pc = pc;
    t->vu_sp = sp;
    t->vu_event = !list_empty(&t->pending_irqs);
    return 0;
}

void vcpu_user_notify(struct thread *t)
{
    t->vu_event = true;
    if (t->cpu->current == t && t->cpu != this_cpu()) {
        sched_poke(t->cpu); /* running elsewhere: make it come in, and out through the entry */
    }
}

void vcpu_user_enter(struct thread *t)
{
    struct keel_vcpu_user *vu = t->vu;
    if (!vu || list_empty(&t->pending_irqs)) {
        t->vu_event = false;
        return;
    }
    if (!(__atomic_load_n(&vu->flags, __ATOMIC_RELAXED) & KEEL_VCPU_USER_IRQ_ON)) {
        return; /* stays set: RESUME with the flag on enters it */
    }
    struct irq *irq = container_of(t->pending_irqs.next, struct irq, pending_link);
    list_remove(&irq->pending_link);
    t->vu_event = !list_empty(&t->pending_irqs);
    struct arch_regs *r = thread_regs(t);
    memcpy(vu->frame, r, sizeof(*r));
    vu->flags &= ~(uint64_t)KEEL_VCPU_USER_IRQ_ON;
    vu->event = KEEL_VCPU_USER_EV_IRQ;
    vu->label = irq->label;
    vu->entries++;
    arch_regs_set_pc(r, t->vu_pc);
    arch_regs_set_sp(r, t->vu_sp);
}

int64_t vcpu_user_resume(struct thread *t, struct kobj_msg *m)
{
    if (m->caller != t || !t->vu) {
        return -KEEL_EINVAL;
    }
    struct arch_regs f;
    memcpy(&f, t->vu->frame, sizeof(f)); /* a copy: the area is the thread's to change */
    if (arch_regs_pc(&f) >= ARCH_USER_VA_LIMIT) {
        return -KEEL_EINVAL;
    }
    arch_regs_sanitize_user(&f, thread_regs(t));
    *thread_regs(t) = f;
    t->frame_set = true; /* the system call leaves through this frame, no reply in it */
    t->vu_event = !list_empty(&t->pending_irqs);
    return 0;
}
