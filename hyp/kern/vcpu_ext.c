// SPDX-License-Identifier: MIT
/*
 * Extended vCPU mode (uapi/keel/vcpu.h): binding a thread to a VM and a state area, and the
 * resume call with its run loop; the architecture's hooks (keel/arch/vcpu_ext.h) load, enter and
 * leave the guest and finish the exits the kernel takes itself.
 */
#include <keel/vcpu_ext.h>
#include <keel/thread.h>
#include <keel/task.h>
#include <keel/kobj_call.h>
#include <keel/quota.h>
#include <keel/arch/vcpu_ext.h>
#include <keel/bkl.h>
#include <keel/percpu.h>
#include <keel/sched.h>
#include <keel/irq.h>
#include <uapi/keel/fpage.h>
#include <uapi/keel/vcpu.h>
#include <string.h>

int64_t vcpu_ext_bind(struct thread *t, struct kobj_msg *m)
{
    int err;
    if (!kmsg_has(m, 2)) {
        return -KEEL_EINVAL;
    }
    struct kobj *o = kobj_lookup(m->caller, m->mr[1], KEEL_OBJ_TASK, KEEL_CAP_W, &err);
    if (!o) {
        return err;
    }
    struct task *vm = container_of(o, struct task, obj);
    uint64_t va = m->mr[2];
    struct percpu *on = sched_running_on(t);
    if (t->vcpu.user || t->vcpu.running || (on && on != this_cpu())) {
        /* In plain vCPU mode (VCPU_USER): one mode at a time. In a resume (parked in the
         * scheduler, or in its guest on another CPU): its VM and state must stay. Running on
         * another CPU at all: its guest's state may still be that CPU's (a VT-x VMCS active
         * there until the thread switches away). */
        return -KEEL_EBUSY;
    }
    if (!t->task || !vm->vm || (va & (PAGE_SIZE - 1)) ||
        !task_in_utcb_area(t->task, va_init(va), PAGE_SIZE) ||
        !task_in_utcb_area(t->task, va_init(va + PAGE_SIZE - 1), 1) ||
        arch_vcpu_state_size > PAGE_SIZE) {
        return -KEEL_EINVAL;
    }
    void *state = task_utcb_kva(t->task, va_init(va));
    if (!state) {
        return -KEEL_EINVAL;
    }
    irq_direct_thread_rebound(t); /* (a direct Irq's line deactivated if active) */
    if (t->vcpu.arch) {
        arch_vcpu_release(t); /* a new binding starts clean: nothing of the last VM's */
    } else if (arch_vcpu_private_size &&
               !(t->vcpu.arch = quota_alloc(t->obj.quota, arch_vcpu_private_size))) {
        return -KEEL_ENOMEM;
    }
    if (t->vcpu.arch) {
        memset(t->vcpu.arch, 0, arch_vcpu_private_size);
    }
    kobj_get(&vm->obj);
    if (t->vcpu.vm) {
        kobj_put(&t->vcpu.vm->obj);
    }
    t->vcpu.vm = vm;
    t->vcpu.state = state;
    t->vcpu.fresh = true;
    return 0;
}

/* Something for the VMM thread (also what came while it was out of the guest). */
static bool vmm_has_event(struct thread *self)
{
    return self->state != TS_READY || !list_empty(&self->senders) ||
           !list_empty(&self->pending_irqs) || self->regs_pending;
}

/* The area's sync words (the first field of every architecture's area). */
static struct keel_vcpu_sync *sync_of(void *area)
{
    _Static_assert(__builtin_offsetof(struct keel_vcpu_state, sync) == 0, "sync comes first");
    return area;
}

/* The run loop (keel/arch/vcpu_ext.h): until an exit for the VMM. */
static int64_t run(struct thread *self, struct task *vm, void *area)
{
    struct vcpu_run r;
    struct keel_vcpu_sync *sync = sync_of(area);
    uint64_t dirty = __atomic_load_n(&sync->dirty, __ATOMIC_RELAXED);
    int64_t exit = arch_vcpu_begin(&r, self, vm, area, self->vcpu.fresh ? ~0ull : dirty);
    if (exit != 0) {
        return exit; /* (nothing taken: the marks stay) */
    }
    __atomic_fetch_and(&sync->dirty, ~dirty, __ATOMIC_RELAXED); /* what was taken */
    self->vcpu.fresh = false;
    bool loaded = false;
    for (;;) {
        if (vmm_has_event(self)) {
            exit = KEEL_VCPU_EXIT_EVENT;
            break;
        }
        if (!loaded) {
            arch_vcpu_load(&r);
            loaded = true;
        }
        if ((exit = arch_vcpu_prepare(&r)) != 0) {
            break;
        }
        bkl_unlock();
        uint64_t raw = arch_vcpu_enter(&r);
        bkl_lock();
        if ((exit = arch_vcpu_exit(&r, raw)) != VCPU_GO_ON) {
            break;
        }
        if (this_cpu()->need_resched) {
            arch_vcpu_put(&r); /* another vCPU may load its own while we are away */
            loaded = false;
            schedule();
        }
    }
    if (loaded) {
        arch_vcpu_put(&r);
    }
    arch_vcpu_end(&r, area);
    return exit;
}

int64_t vcpu_ext_resume(struct thread *t, struct kobj_msg *m)
{
    if (m->caller != t || !t->vcpu.vm || !t->vcpu.state) {
        return -KEEL_EINVAL;
    }
    if (t->vcpu.vm->obj.dying) {
        return -KEEL_ENOENT; /* the VM's last capability is gone */
    }
    t->vcpu.running = true;
    int64_t r = run(t, t->vcpu.vm, t->vcpu.state);
    t->vcpu.running = false;
    return r;
}

int64_t vcpu_ext_sync(struct thread *t, struct kobj_msg *m)
{
    if (m->caller != t || !t->vcpu.vm || !t->vcpu.state) {
        return -KEEL_EINVAL;
    }
    struct keel_vcpu_sync *sync = sync_of(t->vcpu.state);
    if (t->vcpu.fresh || (__atomic_load_n(&sync->dirty, __ATOMIC_RELAXED) & KEEL_VCPU_SYNC_SYS)) {
        /* Bound since the last resume, or marked: the area has the newest values already. */
        sync->valid |= KEEL_VCPU_SYNC_SYS;
        return 0;
    }
    arch_vcpu_sync(t, t->vcpu.state);
    return 0;
}

void vcpu_ext_release(struct thread *t)
{
    irq_direct_thread_rebound(t);
    if (t->vcpu.arch) {
        arch_vcpu_release(t);
        quota_free(t->obj.quota, t->vcpu.arch, arch_vcpu_private_size);
        t->vcpu.arch = NULL;
    }
    if (t->vcpu.vm) {
        kobj_put(&t->vcpu.vm->obj);
        t->vcpu.vm = NULL;
        t->vcpu.state = NULL;
    }
}
