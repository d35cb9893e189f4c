// SPDX-License-Identifier: MIT
// The Thread protocol: control (task, UTCB, pager), ex_regs, statistics.
#include <keel/thread.h>
#include <keel/budget.h>
#include <keel/task.h>
#include <keel/ipc.h>
#include <keel/kobj_call.h>
#include <keel/vcpu_ext.h>
#include <keel/vcpu_user.h>
#include <keel/scheduler.h>
#include <keel/percpu.h>
#include <uapi/keel/fpage.h>


static int64_t thread_control(struct thread *t, struct kobj_msg *m)
{
    int err;
    if (!kmsg_has(m, 4)) {
        return -KEEL_EINVAL;
    }
    struct task *task = t->task;
    if (m->mr[1] != ~0ull) {
        struct kobj *o = kobj_lookup(m->caller, m->mr[1], KEEL_OBJ_TASK, KEEL_CAP_W, &err);
        if (!o) {
            return err;
        }
        task = container_of(o, struct task, obj);
    }
    if (!task) {
        return -KEEL_EINVAL;
    }
    if (t->state == TS_DEAD) {
        return -KEEL_ENOENT;
    }
    err = thread_bind(t, task, va_init(m->mr[2]));
    if (err) {
        return err;
    }
    t->pager_cap = m->mr[3];
    if (m->mr[4] != ~0ull) {
        t->exc_cap = m->mr[4];
    }
    return 0;
}

static int64_t thread_ex_regs(struct thread *t, struct kobj_msg *m)
{
    if (!kmsg_has(m, 3)) {
        return -KEEL_EINVAL;
    }
    if (t->state == TS_DEAD) {
        return -KEEL_ENOENT;
    }
    if (!t->task || !t->utcb) {
        return -KEEL_EINVAL; /* it cannot run before Thread CONTROL */
    }
    uint64_t pc = m->mr[1], sp = m->mr[2], flags = m->mr[3];
    struct arch_regs *r = thread_regs(t);
    uint64_t old_pc = arch_regs_pc(r), old_sp = arch_regs_sp(r);
    if (pc >= ARCH_USER_VA_LIMIT && !(flags & KEEL_EXREGS_KEEP_PC)) {
        return -KEEL_ERANGE;
    }
    if (flags & KEEL_EXREGS_CANCEL) {
        ipc_abort(t, -KEEL_ECANCELED);
    }
    thread_set_regs(t, flags & KEEL_EXREGS_KEEP_PC ? old_pc : pc,
                    flags & KEEL_EXREGS_KEEP_SP ? old_sp : sp);
    m->mr[0] = old_pc;
    m->mr[1] = old_sp;
    m->out_words = 2;
    return 0;
}

int64_t thread_invoke(struct kobj *o, unsigned rights, struct kobj_msg *m)
{
    struct thread *t = container_of(o, struct thread, obj);
    switch (kmsg_op(m)) {
    case KEEL_THREAD_CONTROL:
        return rights & KEEL_CAP_W ? thread_control(t, m) : -KEEL_EPERM;
    case KEEL_THREAD_EX_REGS:
        return rights & KEEL_CAP_W ? thread_ex_regs(t, m) : -KEEL_EPERM;
    case KEEL_THREAD_STATS:
        m->mr[0] = scheduler_thread_ns(t);
        m->mr[1] = t->switches;
        m->mr[2] = t->cpu->id;
        m->mr[3] = 0;
        for (unsigned i = 0; i < cpu_count; i++) {
            if (cpus[i].current == t) {
                m->mr[3] = 1; /* on a CPU right now (possibly the one it is leaving) */
            }
        }
        m->mr[4] = t->budget != NULL;
        m->mr[5] = t->budget && budget_holds(t);
        m->out_words = 6;
        return 0;
    case KEEL_THREAD_VCPU:
        return rights & KEEL_CAP_W ? vcpu_ext_bind(t, m) : -KEEL_EPERM;
    case KEEL_THREAD_VCPU_RESUME:
        return vcpu_ext_resume(t, m);
    case KEEL_THREAD_VCPU_SYNC:
        return vcpu_ext_sync(t, m);
    case KEEL_THREAD_VCPU_USER:
        return rights & KEEL_CAP_W ? vcpu_user_bind(t, m) : -KEEL_EPERM;
    case KEEL_THREAD_VCPU_USER_RESUME:
        return vcpu_user_resume(t, m);
    case KEEL_THREAD_STATE:
        return t->state == TS_READY                           ? KEEL_THREAD_STATE_READY
               : t->state == TS_SEND || t->state == TS_RECV ? KEEL_THREAD_STATE_BLOCKED
               : t->state == TS_DEAD                        ? KEEL_THREAD_STATE_DEAD
                                                            : KEEL_THREAD_STATE_INACTIVE;
    default:
        return -KEEL_EPROTO;
    }
}
