/* SPDX-License-Identifier: MIT */
/*
 * Thread: a kernel stack (the user register frame sits at its top), a task, a UTCB, scheduling
 * parameters and IPC state. States:
 *   INACTIVE  not started (no task/UTCB yet, or never given a pc)
 *   DEAD      killed (kobj_kill: its last capability went, or its task died); the memory stays
 *             while references remain
 *   READY     in its CPU's run queue (also while running)
 *   SEND      blocked sending (queued at the receiver)      RECV  blocked receiving
 */
#pragma once
#include <keel/addr.h>
#include <keel/kobj.h>
#include <uapi/keel/err.h>
#include <keel/timeout.h>
#include <keel/list.h>
#include <keel/arch/context.h>
#include <uapi/keel/utcb.h>

struct task;
struct percpu;
struct scheduler;
struct keel_vcpu_user;
struct irq;

enum thread_state { TS_INACTIVE, TS_READY, TS_SEND, TS_RECV, TS_DEAD };

/* A thread as a vCPU (../shared/BRIEF.md's words): in vCPU mode (kern/vcpu_user.c) events enter
 * at a user entry point; extended mode (kern/vcpu_ext.c) adds the hardware virtualization state. */
struct thread_vcpu {
    struct keel_vcpu_user *user; /* vCPU mode: its state area (kernel address), or NULL */
    uint64_t entry_pc, entry_sp; /* ... and its entry point */
    bool event;                  /* ... an event may enter on kernel exit */
    struct task *vm;             /* extended mode: the VM it runs (reference held), or NULL */
    void *state;                 /* ... its state area (kernel address, in its task's UTCB area) */
    void *arch;                  /* ... the architecture's kernel-only part (FP registers, VMCB) */
    bool running;                /* ... inside VCPU_RESUME (its VM stays bound) */
    bool fresh;                  /* ... bound since its last resume: that takes every group */
    struct irq *direct;          /* ... the Irq delivered to it directly (irq->vcpu links here) */
    bool direct_on;              /* ... the VMM's last word: its guest may take that now */
};

#define THREAD_KSTACK_SIZE 4096

/* Why a thread is in IPC on the kernel's behalf. */
enum thread_kipc { KIPC_NONE, KIPC_PAGE_FAULT, KIPC_EXCEPTION };

struct thread {
    struct kobj obj;
    struct arch_context ctx;    /* where it continues in the kernel, unless resume is set */
    arch_resume_fn *resume;     /* set: its kernel stack holds only its user frame, and it continues
                                 * by running resume(frame) there, then leaving through the frame */
    void *kstack;               /* page; struct arch_regs at its top */
    struct arch_regs *regs;     /* that user frame */
    struct task *task;          /* reference held */
    struct task *space;         /* whose address space it runs in at user level: its task, or
                                 * in plain vCPU mode its user_task (a reference held then) */
    struct list task_link;      /* in task->threads */
    struct keel_utcb *utcb;     /* kernel address; NULL until bound */
    vaddr_t utcb_uva;
    uint64_t pager_cap, exc_cap; /* capability indexes in task, 0: none */
    bool kernel_pager;          /* the root task: page faults resolved by the kernel (sigma0) */
    bool regs_pending;          /* ex_regs while it ran on another CPU: apply on kernel exit */
    bool frame_set;             /* this system call replaced the frame: no reply into it */
    uint64_t pending_pc, pending_sp;
    struct thread_vcpu vcpu;    /* vCPU mode or extended mode, one at a time */

    /* Scheduling. */
    enum thread_state state;
    struct percpu *cpu;         /* home CPU */
    struct list home_link;      /* in cpu->homed */
    uint8_t prio;
    uint64_t quantum;           /* ticks */
    uint64_t slice_left;        /* ticks of its quantum left when it was preempted (0: none) */
    struct list rq_link;
    uint64_t cpu_ticks, switches, ran_since;
    struct scheduler *budget; /* the Scheduler whose budget it draws from (reference held;
                                 * keel/budget.h), or NULL: none */
    struct list budget_link;  /* in that budget's share of its home CPU (members) */

    /* IPC. */
    struct list senders;        /* threads blocked sending to this one */
    struct list send_link;      /* in the receiver's senders while SEND */
    struct kobj_link partner;   /* SEND: the receiver. RECV: the thread awaited (a call's callee,
                                 * a closed receive's sender) or the Irq; not set: open wait.
                                 * Cut when that dies: this IPC ends with ECANCELED */
    bool recv_open;
    struct thread *reply_to;    /* the caller awaiting this thread's reply (implicit reply cap):
                                 * set only while that caller is in RECV with its partner link
                                 * here; cleared when it leaves that wait (ipc.c, wake) */
    uint64_t send_tag, send_label;
    bool send_call;             /* the queued send is the first half of a call */
    uint32_t call_rcv_timeout;
    int ipc_error;              /* result of a blocked IPC, set by whoever woke it */
    uint64_t rcv_tag, rcv_label;
    struct timeout timeout;
    enum thread_kipc kipc;      /* this thread is in a kernel-made IPC (fault, exception) */
    uint64_t kipc_msg[4];
    struct list pending_irqs;   /* Irq objects attached to it that fired */
    struct list zombies;        /* objects whose last capability its system call released: it
                                 * tears them down before it leaves the kernel (kobj.c) */
    /* Irqs attached and Ipc_gates bound to it, and threads waiting on it, are links to obj. */
};

struct thread *thread_create(struct quota *q, int *err);
/* Binds t to task (reference taken) with its UTCB at uva; checks the UTCB slot. */
int thread_bind(struct thread *t, struct task *task, vaddr_t uva);
/* Sets the user pc and sp; starts t when it is bound and inactive. For a thread running at user
 * level on another CPU the change takes effect when it next leaves the kernel (it is sent an IPI). */
void thread_set_regs(struct thread *t, uint64_t pc, uint64_t sp);
static inline struct arch_regs *thread_regs(struct thread *t) { return t->regs; }
/* Whether t runs in another task than its own (plain vCPU mode's user_task). */
static inline bool thread_in_user_task(const struct thread *t) { return t->space != t->task; }
/* Whether t's IPC waits on p (sends to it, or awaits a message or reply from it). */
static inline bool thread_waits_on(const struct thread *t, const struct thread *p)
{
    return t->partner.to == &p->obj;
}
/* The thread t's IPC waits on, or NULL (none, or an Irq). */
static inline struct thread *thread_partner(const struct thread *t)
{
    struct kobj *o = t->partner.to;
    return o && o->type == KEEL_OBJ_THREAD ? container_of(o, struct thread, obj) : NULL;
}
struct kobj_msg;
/* The Thread protocol (thread_ops.c), the object's invoke. */
int64_t thread_invoke(struct kobj *o, unsigned rights, struct kobj_msg *m);
