// SPDX-License-Identifier: MIT
// Kernel object lifetime (see keel/kobj.h).
#include <keel/kobj.h>
#include <keel/quota.h>
#include <keel/printk.h>
#include <keel/sched.h>

void kobj_init(struct kobj *o, unsigned type, struct quota *q)
{
    o->type = (uint8_t)type;
    o->dying = 0;
    o->dead = 0;
    o->caps = 0;
    o->refs = 0; /* capabilities and kernel links add references */
    o->quota = q;
    o->owner = NULL;
    list_init(&o->zombie_link);
    list_init(&o->links);
}

void kobj_get(struct kobj *o)
{
    o->refs++;
}

void kobj_put(struct kobj *o)
{
    if (--o->refs) {
        return;
    }
    const struct kobj_ops *ops = kobj_ops_table[o->type];
    if (ops->defer_free && ops->defer_free(o)) {
        o->refs = 1; /* put again by whoever deferred it */
        return;
    }
    if (ops->release) {
        ops->release(o);
    }
    struct kobj *owner = o->owner;
    if (o->quota) {
        quota_free(o->quota, o, ops->size);
    }
    if (owner) {
        kobj_put(owner);
    }
}

void kobj_cap_added(struct kobj *o)
{
    o->caps++;
    o->refs++;
}

void kobj_cap_removed(struct kobj *o)
{
    o->caps--;
    if (o->caps == 0 && !o->dying) {
        o->dying = 1;
        list_push_back(kobj_zombies(), &o->zombie_link); /* keeps its ref until torn down */
        return;
    }
    kobj_put(o);
}

void kobj_kill(struct kobj *o)
{
    if (o->dead) {
        return;
    }
    o->dying = 1;
    o->dead = 1;
    const struct kobj_ops *ops = kobj_ops_table[o->type];
    if (ops->teardown) {
        ops->teardown(o);
    }
    /* After the teardown, which may itself end some links (a thread leaving its IPC). */
    while (!list_empty(&o->links)) {
        struct kobj_link *l = container_of(o->links.next, struct kobj_link, node);
        l->cut(l);
        if (l->to == o) {
            panic("kobj_kill: a cut left its link to a dead object");
        }
    }
}

void kobj_reap(void)
{
    struct list *zombies = kobj_zombies();
    while (!list_empty(zombies)) {
        struct kobj *o = container_of(zombies->next, struct kobj, zombie_link);
        kobj_kill(o);
        const struct kobj_ops *ops = kobj_ops_table[o->type];
        unsigned budget = KOBJ_WORK_STEP;
        if (ops->drain && !ops->drain(o, &budget)) {
            sched_preempt(); /* more to do, and o stays first in the queue: others run first */
            continue;
        }
        list_remove(&o->zombie_link);
        kobj_put(o); /* the last capability's reference */
    }
}
