// SPDX-License-Identifier: MIT
/*
 * Plain vCPU mode (uapi/keel/vcpu_user.h): a thread's Irqs enter at its entry point, guarded by a
 * virtual interrupt flag in its state area, instead of arriving as messages; and the thread may
 * run its user mode in another task (user_task), whose every trap enters too. Irqs enter on the
 * thread's way out of the kernel (sched_exit_slow, when vu_event is set), so that a thread not in
 * the mode pays one test on that way; traps in user_task enter where the trap is handled.
 * Which page table a thread runs on is thread->space: the context switch loads it.
 */
#include <keel/vcpu_user.h>
#include <keel/thread.h>
#include <keel/task.h>
#include <keel/irq.h>
#include <keel/sched.h>
#include <keel/percpu.h>
#include <keel/kobj_call.h>
#include <keel/arch/context.h>
#include <arch/regs.h>
#include <uapi/keel/vcpu_user.h>
#include <uapi/keel/fpage.h>
#include <string.h>

_Static_assert(sizeof(struct arch_regs) <= KEEL_VCPU_USER_FRAME_WORDS * 8, "frame does not fit");
_Static_assert(sizeof(struct keel_vcpu_user) <= PAGE_SIZE, "state area is one page");

/* t (current here) now runs in space: load its page table. Out of line: one copy here of the
 * switch code that is inlined into the scheduler. */
static __attribute__((noinline)) void set_space(struct thread *t, struct task *space)
{
    t->space = space;
    arch_thread_switch(t, t);
}

/* Back to t's own task (t runs on this CPU), letting go of user_task. */
static void leave_user_task(struct thread *t)
{
    struct task *ut = t->space;
    if (ut != t->task) {
        set_space(t, t->task);
        kobj_put(&ut->obj); /* after the switch: this may have been its last reference */
    }
}

/* Saves t's frame and flags in its area, writes the event and goes to the entry. */
static struct keel_vcpu_user *enter(struct thread *t, unsigned event)
{
    struct keel_vcpu_user *vu = t->vcpu.user;
    struct arch_regs *r = thread_regs(t);
    uint64_t flags = vu->flags;
    memcpy(vu->frame, r, sizeof(*r));
    vu->saved_flags = flags;
    vu->flags = flags & ~(uint64_t)(KEEL_VCPU_USER_IRQ_ON | KEEL_VCPU_USER_USER_MODE);
    vu->event = event;
    vu->entries++;
    leave_user_task(t);
    arch_regs_set_pc(r, t->vcpu.entry_pc);
    arch_regs_set_sp(r, t->vcpu.entry_sp);
    arch_regs_set_utcb(r, va_val(t->utcb_uva)); /* riscv64 tp, x86_64 r15: the program's, until now */
    return vu;
}

int64_t vcpu_user_bind(struct thread *t, struct kobj_msg *m)
{
    if (!kmsg_has(m, 3) || !t->task || t->vcpu.vm) {
        return -KEEL_EINVAL;
    }
    if (thread_in_user_task(t)) {
        return -KEEL_EBUSY; /* it runs in user_task: it leaves at its next event */
    }
    uint64_t va = m->mr[1], pc = m->mr[2], sp = m->mr[3];
    if (!va) {
        t->vcpu.user = NULL;
        t->vcpu.event = false;
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
    t->vcpu.user = vu;
    t->vcpu.entry_pc = pc;
    t->vcpu.entry_sp = sp;
    t->vcpu.event = !list_empty(&t->pending_irqs);
    return 0;
}

void vcpu_user_notify(struct thread *t)
{
    t->vcpu.event = true;
    struct percpu *on = sched_running_on(t);
    if (on && on != this_cpu()) {
        sched_poke(on); /* running elsewhere: make it come in, and out through the entry */
    }
}

void vcpu_user_enter(struct thread *t)
{
    struct keel_vcpu_user *vu = t->vcpu.user;
    if (!vu || list_empty(&t->pending_irqs)) {
        t->vcpu.event = false;
        return;
    }
    if (!(__atomic_load_n(&vu->flags, __ATOMIC_RELAXED) & KEEL_VCPU_USER_IRQ_ON)) {
        return; /* stays set: RESUME with the flag on enters it */
    }
    struct irq *irq = container_of(t->pending_irqs.next, struct irq, pending_link);
    list_remove(&irq->pending_link);
    t->vcpu.event = !list_empty(&t->pending_irqs);
    enter(t, KEEL_VCPU_USER_EV_IRQ)->label = irq->label;
}

bool vcpu_user_trap(struct thread *t, unsigned event, uint64_t a, uint64_t b)
{
    if (!thread_in_user_task(t)) {
        return false;
    }
    struct keel_vcpu_user *vu = enter(t, event);
    if (event == KEEL_VCPU_USER_EV_PAGE_FAULT) {
        vu->addr = a;
        vu->access = b;
    } else if (event == KEEL_VCPU_USER_EV_EXCEPTION) {
        vu->cause = a;
        vu->detail = b;
    }
    return true;
}

/* USER_MODE in the area: the task named by user_task, referenced; NULL and *err if refused. */
static struct task *user_task_of(struct thread *t, const struct keel_vcpu_user *vu, int *err)
{
    struct kobj *o = kobj_lookup(t, vu->user_task, KEEL_OBJ_TASK, KEEL_CAP_W, err);
    if (!o) {
        return NULL;
    }
    struct task *ut = container_of(o, struct task, obj);
    if (ut->vm || ut == t->task) {
        *err = -KEEL_EINVAL; /* a VM task runs guests, not user code; its own task is no other */
        return NULL;
    }
    if (o->dying) {
        *err = -KEEL_ENOENT;
        return NULL;
    }
    kobj_get(o);
    return ut;
}

int64_t vcpu_user_resume(struct thread *t, struct kobj_msg *m)
{
    if (m->caller != t || !t->vcpu.user) {
        return -KEEL_EINVAL;
    }
    struct arch_regs f;
    memcpy(&f, t->vcpu.user->frame, sizeof(f)); /* a copy: the area is the thread's to change */
    if (arch_regs_pc(&f) >= ARCH_USER_VA_LIMIT) {
        return -KEEL_EINVAL;
    }
    if (__atomic_load_n(&t->vcpu.user->flags, __ATOMIC_RELAXED) & KEEL_VCPU_USER_USER_MODE) {
        int err;
        struct task *ut = user_task_of(t, t->vcpu.user, &err);
        if (!ut) {
            return err;
        }
        set_space(t, ut); /* (t runs in its own task now: a system call from there) */
    }
    arch_regs_sanitize_user(&f, thread_regs(t));
    *thread_regs(t) = f;
    t->frame_set = true; /* the system call leaves through this frame, no reply in it */
    t->vcpu.event = !list_empty(&t->pending_irqs);
    return 0;
}

void vcpu_user_release(struct thread *t)
{
    if (thread_in_user_task(t)) {
        kobj_put(&t->space->obj); /* t runs nowhere now: no page table to switch */
        t->space = t->task;
    }
}
