// SPDX-License-Identifier: MIT
// Threads: creation, binding to a task, start, death (see keel/thread.h).
#include <keel/thread.h>
#include <keel/task.h>
#include <keel/percpu.h>
#include <keel/sched.h>
#include <keel/ipc.h>
#include <keel/quota.h>
#include <keel/bkl.h>
#include <keel/irq.h>
#include <keel/ipc_gate.h>
#include <keel/vcpu_ext.h>
#include <keel/vcpu_user.h>
#include <keel/budget.h>
#include <keel/arch/context.h>
#include <keel/arch/irqchip.h>
#include <keel/percpu.h>
#include <keel/printk.h>
#include <string.h>

#define DEFAULT_PRIO 1
#define DEFAULT_QUANTUM_US 10000

struct list *kobj_zombies(void)
{
    return &this_cpu()->current->zombies;
}

/* First run of a user thread (its resume function): leave the kernel through its prepared frame. */
static void thread_first_entry(struct arch_regs *frame)
{
    (void)frame;
    sched_reap();
    sched_program_timer();
    sched_exit_to_user(); /* (its first reap may kill it: then it goes no further) */
    bkl_unlock();
}

/* What t's IPC waits on died. */
static void partner_cut(struct kobj_link *l)
{
    ipc_abort(container_of(l, struct thread, partner), -KEEL_ECANCELED);
    kobj_link_clear(l); /* (ipc_abort's wake cleared it: a waiting thread is the only holder) */
}

static void ipc_timeout(struct timeout *to)
{
    ipc_abort(container_of(to, struct thread, timeout), -KEEL_ETIMEOUT);
}

struct thread *thread_create(struct quota *q, int *err)
{
    struct thread *t = quota_alloc(q, sizeof(*t));
    if (!t) {
        *err = -KEEL_ENOMEM;
        return NULL;
    }
    t->kstack = quota_alloc(q, THREAD_KSTACK_SIZE);
    if (!t->kstack) {
        quota_free(q, t, sizeof(*t));
        *err = -KEEL_ENOMEM;
        return NULL;
    }
    kobj_init(&t->obj, KEEL_OBJ_THREAD, q);
    t->regs = (struct arch_regs *)((char *)t->kstack + THREAD_KSTACK_SIZE - sizeof(struct arch_regs));
    t->state = TS_INACTIVE;
    /* Homed where its creator is (in its partition), or on CPU 0 early at boot. */
    struct thread *creator = this_cpu()->current;
    t->cpu = creator && creator->cpu ? creator->cpu : this_cpu()->online ? this_cpu() : &cpus[0];
    list_push_back(&t->cpu->homed, &t->home_link);
    t->prio = DEFAULT_PRIO;
    t->quantum = timeout_ticks_from_us(DEFAULT_QUANTUM_US);
    list_init(&t->rq_link);
    t->timeout.fire = ipc_timeout;
    list_init(&t->budget_link);
    if (creator && budget_set(t, creator->budget) < 0) { /* no threads beyond its budget */
        list_remove(&t->home_link);
        quota_free(q, t->kstack, THREAD_KSTACK_SIZE);
        quota_free(q, t, sizeof(*t));
        *err = -KEEL_EBUSY;
        return NULL;
    }
    list_init(&t->task_link);
    list_init(&t->senders);
    list_init(&t->send_link);
    list_init(&t->pending_irqs);
    list_init(&t->zombies);
    kobj_link_init(&t->partner, partner_cut);
    arch_regs_init_user(thread_regs(t), 0, 0);
    t->resume = thread_first_entry;
    return t;
}

int thread_bind(struct thread *t, struct task *task, vaddr_t uva)
{
    void *utcb = task_utcb_kva(task, uva);
    if (!utcb) {
        return -KEEL_EFAULT;
    }
    if (t->task != task) {
        if (t->task) {
            return -KEEL_EBUSY; /* a thread belongs to one task for its life */
        }
        if (task->obj.dying) {
            return -KEEL_ENOENT; /* its threads are killed with it: no new ones */
        }
        kobj_get(&task->obj);
        list_push_back(&task->threads, &t->task_link);
        t->task = task;
        t->space = task;
    }
    t->utcb = utcb;
    t->utcb_uva = uva;
    arch_regs_set_utcb(thread_regs(t), va_val(uva));
    return 0;
}

void thread_set_regs(struct thread *t, uint64_t pc, uint64_t sp)
{
    struct percpu *on = sched_running_on(t);
    if (on && on != this_cpu()) {
        /* Running at user level on another CPU: its saved frame is stale until it enters the
         * kernel. Make it enter (IPI); it takes the new registers on its way out. */
        t->regs_pending = true;
        t->pending_pc = pc;
        t->pending_sp = sp;
        sched_poke(on);
        return;
    }
    struct arch_regs *r = thread_regs(t);
    arch_regs_set_pc(r, pc);
    arch_regs_set_sp(r, sp);
    t->regs_pending = false;
    if (t->state == TS_INACTIVE && t->task && t->utcb) {
        sched_ready(t);
    }
}

/* Killed (kobj_kill, once): it leaves its own IPC and the run queue for good. Whatever links to
 * it (gates, Irqs, threads waiting on it) kobj_kill cuts after this. */
static void thread_teardown(struct kobj *o)
{
    struct thread *t = container_of(o, struct thread, obj);
    ipc_abort(t, -KEEL_ECANCELED);
    sched_remove(t);
    t->state = TS_DEAD;
    if (t != this_cpu()->current) {
        /* Killed while it was switched away in the middle of teardowns (a preemption point):
         * whoever kills it finishes them. */
        struct list *l;
        while ((l = list_pop_front(&t->zombies))) {
            list_push_back(kobj_zombies(), l);
        }
    }
    struct percpu *on = sched_running_on(t);
    if (on && on != this_cpu()) {
        /* Running there: make that CPU switch away, and return only once it no longer runs t
         * at user level (or in its guest), so a killed thread does nothing after its kill. In
         * the kernel there, it starts nothing new (ipc.c, fault.c refuse a dead thread) and
         * its way out switches away from it for good. */
        sched_poke(on);
        sched_ask(1u << on->id, SCHED_ASK_IN_KERNEL);
    }
}

static void thread_release(struct kobj *o)
{
    struct thread *t = container_of(o, struct thread, obj);
    /* Dead, it holds no place anywhere any more (or a freed thread could be woken). */
    if (t->partner.to || list_linked(&t->send_link) || list_linked(&t->rq_link) ||
        t->timeout.cpu || !list_empty(&t->zombies) || !list_empty(&t->obj.links)) {
        panic("thread %p freed while still linked", (void *)t);
    }
    list_remove(&t->home_link);
    budget_set(t, NULL);
    vcpu_ext_release(t);
    vcpu_user_release(t);
    if (t->task) {
        list_remove(&t->task_link);
        kobj_put(&t->task->obj);
    }
    quota_free(o->quota, t->kstack, THREAD_KSTACK_SIZE);
}

static bool thread_defer_free(struct kobj *o)
{
    struct thread *t = container_of(o, struct thread, obj);
    for (unsigned i = 0; i < cpu_count; i++) {
        if (cpus[i].current == t) {
            cpus[i].reap = t;
            return true;
        }
    }
    return false;
}


const struct kobj_ops thread_ops = {
    .size = sizeof(struct thread),
    .teardown = thread_teardown,
    .release = thread_release,
    .invoke = thread_invoke,
    .defer_free = thread_defer_free,
};
