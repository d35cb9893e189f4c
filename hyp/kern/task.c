// SPDX-License-Identifier: MIT
// Tasks (see keel/task.h).
#include <keel/task.h>
#include <keel/thread.h>
#include <keel/quota.h>
#include <keel/percpu.h>
#include <keel/arch/pt.h>
#include <uapi/keel/err.h>
#include <uapi/keel/fpage.h>

struct task *task_create(struct quota *q, vaddr_t utcb_base, unsigned utcb_order, bool vm, int *err)
{
    uint64_t size = utcb_order ? 1ull << utcb_order : 0;
    if ((vm && utcb_order) ||
        (utcb_order && (utcb_order < PAGE_SHIFT || size > TASK_UTCB_MAX_PAGES * PAGE_SIZE ||
                        !va_is_aligned(utcb_base, size) ||
                        va_val(utcb_base) > ARCH_USER_VA_LIMIT - size))) { /* no wrap at 2^64 */
        *err = -KEEL_EINVAL;
        return NULL;
    }
    struct task *t = quota_alloc(q, sizeof(*t));
    if (!t) {
        *err = -KEEL_ENOMEM;
        return NULL;
    }
    kobj_init(&t->obj, KEEL_OBJ_TASK, q);
    list_init(&t->threads);
    list_init(&t->doomed);
    objspace_init(&t->caps, q);
    t->vm = vm;
    *err = memspace_init(&t->mem, q, vm);
    t->utcb_base = utcb_base;
    for (unsigned i = 0; !*err && i < size / PAGE_SIZE; i++) {
        t->utcb_page[i] = quota_alloc(q, PAGE_SIZE);
        if (!t->utcb_page[i]) {
            *err = -KEEL_ENOMEM;
            break;
        }
        t->utcb_pages++;
        *err = arch_pt_map(&t->mem.pt, q, va_add(utcb_base, i * PAGE_SIZE),
                           pa_from_kva(t->utcb_page[i]), 0, KEEL_FP_RW, false);
    }
    if (*err) {
        kobj_ops_table[KEEL_OBJ_TASK]->release(&t->obj);
        quota_free(q, t, sizeof(*t));
        return NULL;
    }
    return t;
}

bool task_in_utcb_area(struct task *t, vaddr_t va, uint64_t size)
{
    uint64_t a = va_val(t->utcb_base), e = a + (uint64_t)t->utcb_pages * PAGE_SIZE;
    /* [va, va + size) and [a, e) overlap; written so that nothing wraps (the area lies below
     * ARCH_USER_VA_LIMIT, the range may reach 2^64). */
    return size && e > a && va_val(va) < e && size - 1 >= (va_val(va) < a ? a - va_val(va) : 0);
}

void *task_utcb_kva(struct task *t, vaddr_t uva)
{
    uint64_t off = va_val(uva) - va_val(t->utcb_base);
    if (!va_is_aligned(uva, KEEL_UTCB_SIZE) || va_val(uva) < va_val(t->utcb_base) ||
        off >= (uint64_t)t->utcb_pages * PAGE_SIZE) {
        return NULL;
    }
    return (char *)t->utcb_page[off / PAGE_SIZE] + off % PAGE_SIZE;
}

/* Last capability gone: its threads are doomed (task_drain kills them, then empties both spaces;
 * no thread binds to it now that it is dying). */
static void task_teardown(struct kobj *o)
{
    struct task *t = container_of(o, struct task, obj);
    if (!list_empty(&t->threads)) {
        list_replace(&t->threads, &t->doomed);
        list_init(&t->threads);
    }
}

/* Kills its threads, then empties its capabilities, then its memory, a budget's worth a call: many
 * threads, a large space (a VM's RAM), a deep delegation tree take many calls, with preemption
 * points between them (kobj.c). Nothing new lands behind the cursors meanwhile: its threads are
 * dead by then and nobody else holds a capability to it; task_release empties whatever might
 * remain anyway. */
static bool task_drain(struct kobj *o, unsigned *budget)
{
    struct task *t = container_of(o, struct task, obj);
    /* Its threads first, a unit each: until the last is dead they may still map things in. */
    struct list *l;
    while (!list_empty(&t->doomed)) {
        if (!mapdb_spend(budget)) {
            return false;
        }
        l = list_pop_front(&t->doomed);
        list_push_back(&t->threads, l); /* (a thread leaves whichever list it is on when freed) */
        kobj_kill(&container_of(l, struct thread, task_link)->obj);
    }
    return objspace_drain(&t->caps, &t->drain_cap, budget) &&
           memspace_drain(&t->mem, &t->drain_va, budget);
}

static void task_release(struct kobj *o)
{
    struct task *t = container_of(o, struct task, obj);
    /* Whatever task_drain left (all of it for a task that never had a capability): nothing
     * after a drain, and its cursors say so without a walk. */
    objspace_drain(&t->caps, &t->drain_cap, NULL);
    memspace_drain(&t->mem, &t->drain_va, NULL);
    objspace_free(&t->caps);
    memspace_free(&t->mem);
    for (unsigned i = 0; i < t->utcb_pages; i++) {
        quota_free(o->quota, t->utcb_page[i], PAGE_SIZE);
    }
    t->utcb_pages = 0;
}


const struct kobj_ops task_ops = {
    .size = sizeof(struct task),
    .teardown = task_teardown,
    .drain = task_drain,
    .release = task_release,
    .invoke = task_invoke,
};
