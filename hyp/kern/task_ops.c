// SPDX-License-Identifier: MIT
// The Task protocol: map from another task, unmap, capability slots, memory queries.
#include <keel/task.h>
#include <keel/pt_walk.h>
#include <keel/arch/vcpu_ext.h>
#include <keel/thread.h>
#include <keel/ipc.h>
#include <keel/kobj_call.h>
#include <keel/sched.h>
#include <uapi/keel/fpage.h>

static int64_t task_map(struct task *dst, struct kobj_msg *m)
{
    int err;
    if (!kmsg_has(m, 3)) {
        return -KEEL_EINVAL;
    }
    struct kobj *so = kobj_lookup(m->caller, m->mr[1], KEEL_OBJ_TASK, KEEL_CAP_W, &err);
    if (!so) {
        return err;
    }
    uint64_t fp = m->mr[2], dbase = m->mr[3];
    unsigned kind = keel_fpage_kind(fp), order = keel_fpage_order(fp);
    if (kind != KEEL_FP_MEM && kind != KEEL_FP_CAP) {
        return -KEEL_EINVAL;
    }
    /* The destination window is the same size as the flexpage, at dbase. */
    uint64_t window = kind == KEEL_FP_MEM ? keel_fpage_mem(dbase, order, KEEL_FP_RWX)
                                          : keel_fpage_cap(dbase, order, KEEL_CAP_ALL);
    if ((kind == KEEL_FP_MEM ? keel_fpage_base(window) : keel_fpage_cap_index(window)) != dbase) {
        return -KEEL_EINVAL;
    }
    return ipc_map_fpage(container_of(so, struct task, obj), fp, dst, window, 0, false, true);
}

/* Both kinds of Task UNMAP (and RELEASE) in steps, with preemption points between them; t stays
 * in memory meanwhile. If it dies, its teardown removes the rest; if the caller does, what is
 * done stays done. */
static void unmap_in_steps(struct task *t, struct thread *caller, unsigned kind, uint64_t at,
                           uint64_t end, bool self)
{
    vaddr_t va = va_init(at);
    kobj_get(&t->obj);
    for (;;) {
        unsigned budget = KOBJ_WORK_STEP;
        bool done = kind == KEEL_FP_MEM
                        ? memspace_unmap_bounded(&t->mem, &va, va_init(end), self, &budget)
                        : objspace_unmap_bounded(&t->caps, &at, end, self, &budget);
        if (done || t->obj.dying || caller->state != TS_READY) {
            break; /* (given up: a mark left on a node stays until a revocation of it ends) */
        }
        sched_preempt();
    }
    kobj_put(&t->obj);
}

static int64_t task_unmap(struct task *t, struct kobj_msg *m)
{
    if (!kmsg_has(m, 2)) {
        return -KEEL_EINVAL;
    }
    uint64_t fp = m->mr[1];
    bool self = m->mr[2] & KEEL_UNMAP_SELF;
    unsigned order = keel_fpage_order(fp);
    if (keel_fpage_kind(fp) == KEEL_FP_MEM) {
        uint64_t base = keel_fpage_base(fp), limit = memspace_va_limit(&t->mem);
        if (order < PAGE_SHIFT || order > 48 || (base & ((1ull << order) - 1)) ||
            (1ull << order) > limit || base > limit - (1ull << order)) {
            return -KEEL_EINVAL;
        }
        unmap_in_steps(t, m->caller, KEEL_FP_MEM, base, base + (1ull << order), self);
        return 0;
    }
    if (keel_fpage_kind(fp) == KEEL_FP_CAP) {
        uint64_t base = keel_fpage_cap_index(fp);
        if (order > 20 || (base & ((1ull << order) - 1))) {
            return -KEEL_EINVAL;
        }
        /* (Slots beyond the object space do not exist: at most OBJSPACE_MAX_CAPS of them.) */
        unmap_in_steps(t, m->caller, KEEL_FP_CAP, base, base + (1ull << order), self);
        return 0;
    }
    return -KEEL_EINVAL;
}

int64_t task_invoke(struct kobj *o, unsigned rights, struct kobj_msg *m)
{
    struct task *t = container_of(o, struct task, obj);
    uint64_t op = kmsg_op(m);
    if (op == KEEL_TASK_CAP_VALID || op == KEEL_TASK_MEM_INFO) {
        if (!kmsg_has(m, 1)) {
            return -KEEL_EINVAL;
        }
        if (op == KEEL_TASK_CAP_VALID) {
            struct cap *c = objspace_lookup(&t->caps, m->mr[1]);
            return c && c->obj ? 1 : 0;
        }
        struct mem_map *mm = m->mr[1] < memspace_va_limit(&t->mem)
                                 ? memspace_lookup(&t->mem, va_init(m->mr[1] & ~(PAGE_SIZE - 1)))
                                 : NULL;
        m->mr[0] = mm ? mm->rights : 0;
        m->mr[1] = memspace_va_limit(&t->mem); /* where the space ends */
        m->mr[2] = mm ? PAGE_SHIFT + PT_LEVEL_BITS * mm->level : 0; /* the mapping's size */
        m->out_words = 3;
        return mm != NULL;
    }
    if (!(rights & KEEL_CAP_W)) {
        return -KEEL_EPERM;
    }
    switch (op) {
    case KEEL_TASK_MAP:
        return task_map(t, m);
    case KEEL_TASK_UNMAP:
        return task_unmap(t, m);
    case KEEL_TASK_MAP_VIRT_CPUIF:
        return kmsg_has(m, 1) ? arch_task_map_virt_cpuif(t, gpa_init(m->mr[1])) : -KEEL_EINVAL;
    case KEEL_TASK_RELEASE: {
        if (!kmsg_has(m, 1)) {
            return -KEEL_EINVAL;
        }
        uint64_t index = m->mr[1]; /* (read once: the caller's other threads may change it) */
        struct cap *c = objspace_lookup(&t->caps, index);
        if (!c || !c->obj) {
            return -KEEL_ENOCAP;
        }
        /* With everything derived from it, which may be much: in steps. */
        unmap_in_steps(t, m->caller, KEEL_FP_CAP, index, index + 1, true);
        return 0;
    }
    default:
        return -KEEL_EPROTO;
    }
}
