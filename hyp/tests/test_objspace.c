// SPDX-License-Identifier: MIT
/*
 * Object spaces and capabilities (objspace.c) with object lifetime (kobj.c): slots made on demand
 * and charged to the space's quota, invalid indexes refused, rights that only shrink, moving a
 * capability, releasing one with everything derived from it, deferred teardown (kobj_reap) and
 * freeing when the last reference goes, objspace_destroy() giving every byte back.
 *
 * The kernel's object types are replaced by test types (kobj_ops_table below): a plain object,
 * a "space" object that owns an object space as a task does, and one whose freeing is deferred
 * as a thread's is while it is current on a CPU.
 */
#include "unit.h"
#include "kern_host.h"
#include <keel/kobj.h>
#include <keel/objspace.h>
#include <keel/quota.h>
#include <keel/slab.h>
#include <keel/sched.h>
#include <uapi/keel/err.h>
#include <uapi/keel/fpage.h>

#define TYPE_PLAIN KEEL_OBJ_IRQ
#define TYPE_SPACE KEEL_OBJ_TASK
#define TYPE_DEFER KEEL_OBJ_THREAD
#define MAX_IDS 64

static unsigned teardowns[MAX_IDS], releases[MAX_IDS];

struct tobj {
    struct kobj obj;
    unsigned id;
};

struct tspace {
    struct kobj obj;
    unsigned id;
    struct objspace os;
    uint64_t drain_index;
};

/* The kernel's preemption point: counted (kobj_reap calls it between bounded steps). */
static unsigned preempts;
void sched_preempt(void)
{
    preempts++;
}

/* The current thread's queue of teardowns: one thread here. */
static struct list zombies = LIST_INIT(zombies);
struct list *kobj_zombies(void)
{
    return &zombies;
}

static unsigned id_of(struct kobj *o)
{
    return o->type == TYPE_SPACE ? container_of(o, struct tspace, obj)->id
                                 : container_of(o, struct tobj, obj)->id;
}

static void plain_teardown(struct kobj *o)
{
    teardowns[id_of(o)]++;
}

static void plain_release(struct kobj *o)
{
    releases[id_of(o)]++;
}

static void space_teardown(struct kobj *o)
{
    teardowns[id_of(o)]++;
}

/* Empties its space in bounded steps, as a task does. */
static bool space_drain(struct kobj *o, unsigned *budget)
{
    struct tspace *t = container_of(o, struct tspace, obj);
    return objspace_drain(&t->os, &t->drain_index, budget);
}

static void space_release(struct kobj *o)
{
    releases[id_of(o)]++;
    objspace_destroy(&container_of(o, struct tspace, obj)->os); /* no-op after teardown */
}

static bool defer_now;
static unsigned defers;

static bool defer_free(struct kobj *o)
{
    (void)o;
    defers += defer_now;
    return defer_now;
}

static const struct kobj_ops none_ops;
static const struct kobj_ops plain_ops = {
    .size = sizeof(struct tobj), .teardown = plain_teardown, .release = plain_release,
};
static const struct kobj_ops space_ops = {
    .size = sizeof(struct tspace), .teardown = space_teardown, .release = space_release,
    .drain = space_drain,
};
static const struct kobj_ops defer_ops = {
    .size = sizeof(struct tobj), .teardown = plain_teardown, .release = plain_release,
    .defer_free = defer_free,
};

const struct kobj_ops *const kobj_ops_table[KEEL_OBJ_TYPE_COUNT] = {
    [KEEL_OBJ_NONE] = &none_ops,          [TYPE_SPACE] = &space_ops,
    [TYPE_DEFER] = &defer_ops,            [KEEL_OBJ_IPC_GATE] = &none_ops,
    [TYPE_PLAIN] = &plain_ops,            [KEEL_OBJ_FACTORY] = &plain_ops,
    [KEEL_OBJ_ICU] = &none_ops,           [KEEL_OBJ_SCHEDULER] = &none_ops,
    [KEEL_OBJ_VCON] = &none_ops,          [KEEL_OBJ_PLATFORM] = &none_ops,
};

static struct kobj *new_obj(unsigned type, struct quota *q, unsigned id)
{
    struct tobj *t = quota_alloc(q, sizeof(*t));
    if (!t) {
        fprintf(stderr, "out of test memory\n");
        exit(2);
    }
    kobj_init(&t->obj, type, q);
    t->id = id;
    teardowns[id] = releases[id] = 0;
    return &t->obj;
}

static struct tspace *new_space(struct quota *q, unsigned id)
{
    struct tspace *t = quota_alloc(q, sizeof(*t));
    if (!t) {
        exit(2);
    }
    kobj_init(&t->obj, TYPE_SPACE, q);
    t->id = id;
    objspace_init(&t->os, q);
    teardowns[id] = releases[id] = 0;
    return t;
}

/* The slot for idx, which must be creatable. */
static struct cap *slot(struct objspace *os, uint64_t idx)
{
    int err = 0;
    struct cap *c = objspace_slot(os, idx, &err);
    if (!c) {
        fprintf(stderr, "slot %llu: %d\n", (unsigned long long)idx, err);
        exit(2);
    }
    return c;
}

static void test_slots(void)
{
    uint64_t start = kmem_free_bytes();
    struct quota q = { .limit = 1u << 20 };
    struct objspace os;
    objspace_init(&os, &q);
    int err = 0;

    CHECK(objspace_lookup(&os, 1) == NULL);
    CHECK_EQ(q.used, 0);
    CHECK(objspace_slot(&os, 0, &err) == NULL);
    CHECK_EQ(err, -KEEL_ERANGE);
    err = 0;
    CHECK(objspace_slot(&os, OBJSPACE_MAX_CAPS, &err) == NULL);
    CHECK_EQ(err, -KEEL_ERANGE);
    err = 0;
    CHECK(objspace_slot(&os, UINT64_MAX, &err) == NULL);
    CHECK_EQ(err, -KEEL_ERANGE);
    CHECK_EQ(q.used, 0); /* nothing made for a bad index */

    /* The first slot makes the directory and one leaf. */
    struct cap *c1 = objspace_slot(&os, 1, &err);
    CHECK(c1 != NULL);
    CHECK(c1 && c1->obj == NULL && c1->rights == 0);
    CHECK_EQ(q.used, 2 * PAGE_SIZE);
    CHECK(objspace_slot(&os, 1, &err) == c1);
    CHECK(objspace_lookup(&os, 1) == c1);
    CHECK(objspace_lookup(&os, 2) == c1 + 1);
    CHECK(objspace_slot(&os, CAPS_PER_LEAF - 1, &err) == c1 + CAPS_PER_LEAF - 2);
    CHECK_EQ(q.used, 2 * PAGE_SIZE);

    /* Other leaves only when asked for. */
    CHECK(objspace_lookup(&os, CAPS_PER_LEAF) == NULL);
    struct cap *c2 = objspace_slot(&os, CAPS_PER_LEAF, &err);
    CHECK(c2 != NULL && objspace_lookup(&os, CAPS_PER_LEAF) == c2);
    CHECK_EQ(q.used, 3 * PAGE_SIZE);
    struct cap *last = objspace_slot(&os, OBJSPACE_MAX_CAPS - 1, &err);
    CHECK(last != NULL && objspace_lookup(&os, OBJSPACE_MAX_CAPS - 1) == last);
    CHECK_EQ(q.used, 4 * PAGE_SIZE);
    CHECK(objspace_lookup(&os, 0) == NULL);
    CHECK(objspace_lookup(&os, OBJSPACE_MAX_CAPS) == NULL);
    CHECK(objspace_lookup(&os, UINT64_MAX) == NULL);
    err = 0;
    CHECK(objspace_slot(&os, 0, &err) == NULL);
    CHECK_EQ(err, -KEEL_ERANGE);

    objspace_destroy(&os);
    CHECK_EQ(q.used, 0);
    CHECK(os.dir == NULL);
    CHECK(objspace_lookup(&os, 1) == NULL);
    objspace_destroy(&os); /* twice is harmless */

    /* Quota exhausted: no room for the directory, then none for a leaf. */
    struct quota none = { .limit = 0 };
    objspace_init(&os, &none);
    err = 0;
    CHECK(objspace_slot(&os, 1, &err) == NULL);
    CHECK_EQ(err, -KEEL_ENOMEM);
    CHECK_EQ(none.used, 0);
    struct quota one = { .limit = PAGE_SIZE };
    objspace_init(&os, &one);
    err = 0;
    CHECK(objspace_slot(&os, 1, &err) == NULL);
    CHECK_EQ(err, -KEEL_ENOMEM);
    CHECK(objspace_lookup(&os, 1) == NULL);
    objspace_destroy(&os);
    CHECK_EQ(one.used, 0);
    CHECK_EQ(kmem_free_bytes(), start);
}

static void test_install_derive_move(void)
{
    uint64_t start = kmem_free_bytes();
    struct quota qa = { .limit = 1u << 20 }, qobj = { .limit = 1u << 20 };
    struct objspace a;
    objspace_init(&a, &qa);
    struct kobj *x = new_obj(TYPE_PLAIN, &qobj, 1);
    CHECK_EQ(qobj.used, slab_class_size(sizeof(struct tobj)));

    struct cap *c1 = slot(&a, 1);
    cap_install(c1, x, KEEL_CAP_ALL);
    CHECK(c1->obj == x && c1->rights == KEEL_CAP_ALL);
    CHECK(c1->node.parent == NULL);
    CHECK_EQ(x->caps, 1);
    CHECK_EQ(x->refs, 1);

    /* Rights only shrink along a derivation chain. */
    struct cap *c2 = slot(&a, 2), *c3 = slot(&a, 200), *c4 = slot(&a, 201), *c5 = slot(&a, 3);
    cap_derive(c2, c1, KEEL_CAP_R | KEEL_CAP_S);
    CHECK_EQ(c2->rights, KEEL_CAP_R | KEEL_CAP_S);
    cap_derive(c3, c2, KEEL_CAP_ALL);
    CHECK_EQ(c3->rights, KEEL_CAP_R | KEEL_CAP_S);
    cap_derive(c4, c3, KEEL_CAP_W | KEEL_CAP_D);
    CHECK_EQ(c4->rights, 0);
    CHECK(c4->obj == x);
    cap_derive(c5, c1, KEEL_CAP_W);
    CHECK_EQ(c5->rights, KEEL_CAP_W);
    CHECK(c2->node.parent == &c1->node && c3->node.parent == &c2->node &&
          c4->node.parent == &c3->node && c5->node.parent == &c1->node);
    CHECK_EQ(x->caps, 5);
    CHECK_EQ(x->refs, 5);

    /* Move c3 to slot 10: same object and rights, same place in the tree, c3 empty. */
    struct cap *c10 = slot(&a, 10);
    cap_move(c10, c3);
    CHECK(c10->obj == x && c10->rights == (KEEL_CAP_R | KEEL_CAP_S));
    CHECK(c3->obj == NULL && c3->rights == 0);
    CHECK(c3->node.parent == NULL && c3->node.child == NULL && c3->node.next == NULL);
    CHECK(c10->node.parent == &c2->node && c2->node.child == &c10->node);
    CHECK(c4->node.parent == &c10->node);
    CHECK_EQ(x->caps, 5);

    /* Releasing c2 empties it and what came from it (c10, c4); c1 and c5 stay. */
    cap_release(c2);
    CHECK(c2->obj == NULL && c10->obj == NULL && c4->obj == NULL);
    CHECK(c1->obj == x && c5->obj == x);
    CHECK_EQ(x->caps, 2);
    CHECK_EQ(x->refs, 2);
    cap_release(c2); /* an empty slot: nothing happens */
    cap_release(c4);
    CHECK_EQ(x->caps, 2);

    /* Revoking keeps the capability itself. */
    cap_revoke_children(c1);
    CHECK(c5->obj == NULL && c1->obj == x && c1->node.child == NULL);
    CHECK_EQ(x->caps, 1);

    /* The last capability: teardown waits for kobj_reap(), then the memory goes. */
    cap_release(c1);
    CHECK(c1->obj == NULL);
    CHECK_EQ(teardowns[1], 0);
    CHECK_EQ(releases[1], 0);
    CHECK_EQ(x->dying, 1);
    CHECK_EQ(qobj.used, slab_class_size(sizeof(struct tobj)));
    kobj_reap();
    CHECK_EQ(teardowns[1], 1);
    CHECK_EQ(releases[1], 1);
    CHECK_EQ(qobj.used, 0);
    kobj_reap();
    CHECK_EQ(teardowns[1], 1);
    CHECK_EQ(releases[1], 1);

    objspace_destroy(&a);
    CHECK_EQ(qa.used, 0);
    CHECK_EQ(kmem_free_bytes(), start);
}

/* Kernel references keep the memory after teardown; an owner is put when its object goes;
 * deferred freeing waits for the next put. */
static void test_refs(void)
{
    uint64_t start = kmem_free_bytes();
    struct quota qa = { .limit = 1u << 20 }, qobj = { .limit = 1u << 20 };
    struct objspace a;
    objspace_init(&a, &qa);
    const uint64_t osize = slab_class_size(sizeof(struct tobj));

    struct kobj *y = new_obj(TYPE_PLAIN, &qobj, 2);
    cap_install(slot(&a, 1), y, KEEL_CAP_ALL);
    kobj_get(y);
    cap_release(slot(&a, 1));
    kobj_reap();
    CHECK_EQ(teardowns[2], 1);
    CHECK_EQ(releases[2], 0);
    CHECK_EQ(qobj.used, osize);
    kobj_put(y);
    CHECK_EQ(releases[2], 1);
    CHECK_EQ(teardowns[2], 1);
    CHECK_EQ(qobj.used, 0);

    /* Owner: f is put when o is freed. */
    struct kobj *f = new_obj(KEEL_OBJ_FACTORY, &qobj, 3);
    struct kobj *o = new_obj(TYPE_PLAIN, &qobj, 4);
    o->owner = f;
    kobj_get(f);
    cap_install(slot(&a, 1), f, KEEL_CAP_ALL);
    cap_install(slot(&a, 2), o, KEEL_CAP_ALL);
    cap_release(slot(&a, 1));
    kobj_reap();
    CHECK_EQ(teardowns[3], 1);
    CHECK_EQ(releases[3], 0); /* o still holds it */
    CHECK_EQ(qobj.used, 2 * osize);
    cap_release(slot(&a, 2));
    kobj_reap();
    CHECK_EQ(teardowns[4], 1);
    CHECK_EQ(releases[4], 1);
    CHECK_EQ(releases[3], 1);
    CHECK_EQ(qobj.used, 0);

    /* Deferred: freeing refused once, done at the next put. */
    struct kobj *d = new_obj(TYPE_DEFER, &qobj, 5);
    cap_install(slot(&a, 1), d, KEEL_CAP_ALL);
    defer_now = true;
    cap_release(slot(&a, 1));
    kobj_reap();
    CHECK_EQ(teardowns[5], 1);
    CHECK_EQ(releases[5], 0);
    CHECK_EQ(defers, 1);
    CHECK_EQ(d->refs, 1);
    CHECK_EQ(qobj.used, osize);
    defer_now = false;
    kobj_put(d);
    CHECK_EQ(releases[5], 1);
    CHECK_EQ(qobj.used, 0);

    objspace_destroy(&a);
    CHECK_EQ(qa.used, 0);
    CHECK_EQ(kmem_free_bytes(), start);
}

static unsigned empty_slots(struct objspace *os, uint64_t first, uint64_t count)
{
    unsigned n = 0;
    for (uint64_t i = first; i < first + count; i++) {
        struct cap *c = objspace_lookup(os, i);
        n += !c || !c->obj;
    }
    return n;
}

/* 1000 copies in one space, each copied on into a third; a 5000-deep derivation chain. */
static void test_wide_deep(void)
{
    enum { WIDE = 1000, DEEP = 5000 };
    uint64_t start = kmem_free_bytes();
    struct quota q = { .limit = 8u << 20 }, qobj = { .limit = 1u << 20 };
    struct objspace a, b, c;
    objspace_init(&a, &q);
    objspace_init(&b, &q);
    objspace_init(&c, &q);

    struct kobj *x = new_obj(TYPE_PLAIN, &qobj, 6);
    cap_install(slot(&a, 1), x, KEEL_CAP_ALL);
    for (uint64_t i = 1; i <= WIDE; i++) {
        cap_derive(slot(&b, i), slot(&a, 1), KEEL_CAP_ALL);
        cap_derive(slot(&c, 2 * i), slot(&b, i), KEEL_CAP_R);
    }
    CHECK_EQ(x->caps, 2 * WIDE + 1);
    CHECK_EQ(empty_slots(&b, 1, WIDE), 0);
    cap_release(slot(&a, 1));
    CHECK_EQ(empty_slots(&b, 1, WIDE), WIDE);
    CHECK_EQ(empty_slots(&c, 1, 2 * WIDE), 2 * WIDE);
    CHECK_EQ(teardowns[6], 0);
    kobj_reap();
    CHECK_EQ(teardowns[6], 1);
    CHECK_EQ(releases[6], 1);

    struct kobj *y = new_obj(TYPE_PLAIN, &qobj, 7);
    cap_install(slot(&a, 1), y, KEEL_CAP_ALL);
    for (uint64_t i = 2; i <= DEEP; i++) {
        struct objspace *dst = i % 2 ? &a : &b, *src = i % 2 ? &b : &a;
        cap_derive(slot(dst, i), slot(src, i - 1), KEEL_CAP_ALL);
    }
    CHECK_EQ(y->caps, DEEP);
    /* Releasing in the middle keeps the upper half. */
    cap_release(slot(&b, DEEP / 2));
    CHECK_EQ(y->caps, DEEP / 2 - 1);
    cap_release(slot(&a, 1));
    CHECK_EQ(empty_slots(&a, 1, DEEP) + empty_slots(&b, 1, DEEP), 2 * DEEP);
    kobj_reap();
    CHECK_EQ(teardowns[7], 1);
    CHECK_EQ(releases[7], 1);

    objspace_destroy(&a);
    objspace_destroy(&b);
    objspace_destroy(&c);
    CHECK_EQ(q.used, 0);
    CHECK_EQ(qobj.used, 0);
    CHECK_EQ(kmem_free_bytes(), start);
}

/* Destroying a space releases its capabilities, revokes what others derived from them, leaves
 * others' own capabilities alone, and returns all its quota. */
static void test_destroy(void)
{
    uint64_t start = kmem_free_bytes();
    struct quota qa = { .limit = 1u << 20 }, qb = { .limit = 1u << 20 },
                 qobj = { .limit = 1u << 20 };
    struct objspace a, b;
    objspace_init(&a, &qa);
    objspace_init(&b, &qb);
    struct kobj *x = new_obj(TYPE_PLAIN, &qobj, 8), *y = new_obj(TYPE_PLAIN, &qobj, 9),
                *z = new_obj(TYPE_PLAIN, &qobj, 10);

    cap_install(slot(&a, 5), x, KEEL_CAP_ALL);
    cap_install(slot(&a, 700), y, KEEL_CAP_ALL);
    cap_install(slot(&b, 9), z, KEEL_CAP_ALL);
    cap_derive(slot(&b, 1), slot(&a, 5), KEEL_CAP_ALL);   /* x, from a */
    cap_derive(slot(&b, 2), slot(&b, 1), KEEL_CAP_ALL);   /* x, from b's copy */
    cap_derive(slot(&a, 6), slot(&a, 5), KEEL_CAP_ALL);   /* x, within a */
    cap_derive(slot(&a, 8), slot(&b, 9), KEEL_CAP_ALL);   /* z, from b */
    cap_derive(slot(&b, 3), slot(&a, 8), KEEL_CAP_ALL);   /* z, through a */
    cap_derive(slot(&b, 4), slot(&b, 9), KEEL_CAP_ALL);   /* z, b only */
    CHECK_EQ(x->caps, 4);
    CHECK_EQ(z->caps, 4);

    objspace_destroy(&a);
    CHECK_EQ(qa.used, 0);
    CHECK(a.dir == NULL);
    CHECK(slot(&b, 1)->obj == NULL && slot(&b, 2)->obj == NULL && slot(&b, 3)->obj == NULL);
    CHECK(slot(&b, 9)->obj == z && slot(&b, 4)->obj == z);
    CHECK_EQ(z->caps, 2);
    CHECK(slot(&b, 9)->node.child == &slot(&b, 4)->node && slot(&b, 4)->node.next == NULL);
    kobj_reap();
    CHECK_EQ(teardowns[8] + releases[8] + teardowns[9] + releases[9], 4);
    CHECK_EQ(teardowns[10] + releases[10], 0);

    objspace_destroy(&b);
    kobj_reap();
    CHECK_EQ(teardowns[10], 1);
    CHECK_EQ(releases[10], 1);
    CHECK_EQ(qb.used, 0);
    CHECK_EQ(qobj.used, 0);
    CHECK_EQ(kmem_free_bytes(), start);
}

/* A task-like object holding a capability to itself and the only root capability of another
 * object: dropping its last outside capability tears both down in one kobj_reap(). */
static void test_space_object(void)
{
    uint64_t start = kmem_free_bytes();
    struct quota qe = { .limit = 1u << 20 }, qobj = { .limit = 1u << 20 };
    struct objspace e;
    objspace_init(&e, &qe);
    struct tspace *t = new_space(&qobj, 11);
    struct kobj *u = new_obj(TYPE_PLAIN, &qobj, 12);

    cap_install(slot(&e, 1), &t->obj, KEEL_CAP_ALL);
    cap_derive(slot(&t->os, 1), slot(&e, 1), KEEL_CAP_R); /* the task's own capability */
    cap_install(slot(&t->os, 2), u, KEEL_CAP_ALL);
    cap_derive(slot(&e, 2), slot(&t->os, 2), KEEL_CAP_ALL);
    CHECK_EQ(t->obj.caps, 2);
    CHECK_EQ(u->caps, 2);

    cap_release(slot(&e, 1));
    CHECK(slot(&t->os, 1)->obj == NULL);
    CHECK(slot(&e, 2)->obj == u);
    CHECK_EQ(teardowns[11], 0);
    kobj_reap();
    CHECK_EQ(teardowns[11], 1);
    CHECK_EQ(releases[11], 1);
    CHECK_EQ(teardowns[12], 1);
    CHECK_EQ(releases[12], 1);
    CHECK(slot(&e, 2)->obj == NULL); /* revoked with u's root in the task */
    CHECK_EQ(qobj.used, 0);

    objspace_destroy(&e);
    CHECK_EQ(qe.used, 0);
    CHECK_EQ(kmem_free_bytes(), start);
}

/* A space object holding many capabilities, some with copies of their own, is emptied in steps
 * of at most KOBJ_WORK_STEP removals, with a preemption point between steps, and all of it goes. */
static void test_space_drained_in_steps(void)
{
    enum { CAPS = 1000 };
    uint64_t start = kmem_free_bytes();
    struct quota qe = { .limit = 1u << 22 }, qobj = { .limit = 1u << 22 };
    struct objspace e;
    objspace_init(&e, &qe);
    struct tspace *t = new_space(&qobj, 13);
    struct kobj *u = new_obj(TYPE_PLAIN, &qobj, 14);
    cap_install(slot(&e, 1), &t->obj, KEEL_CAP_ALL);
    cap_install(slot(&t->os, 1), u, KEEL_CAP_ALL);
    for (uint64_t i = 2; i <= CAPS; i++) {
        cap_derive(slot(&t->os, i), slot(&t->os, i - 1), KEEL_CAP_ALL); /* a chain of copies */
    }
    cap_derive(slot(&e, 2), slot(&t->os, CAPS / 2), KEEL_CAP_ALL);
    preempts = 0;
    cap_release(slot(&e, 1));
    kobj_reap();
    CHECK_EQ(teardowns[13], 1);
    CHECK_EQ(releases[13], 1);
    CHECK_EQ(releases[14], 1);
    CHECK(slot(&e, 2)->obj == NULL); /* a copy outside, revoked with the chain */
    /* CAPS + 1 removals (the chain's copies in the space, the one outside) and a unit per 32
     * slots looked at, KOBJ_WORK_STEP units between two preemption points. */
    unsigned units = CAPS + 1, slots = (CAPS / CAPS_PER_LEAF + 1) * CAPS_PER_LEAF;
    CHECK(preempts >= units / KOBJ_WORK_STEP);
    CHECK(preempts <= (units + slots / 32) / KOBJ_WORK_STEP + 1);
    CHECK(list_empty(&zombies));
    CHECK_EQ(qobj.used, 0);
    objspace_destroy(&e);
    CHECK_EQ(qe.used, 0);
    CHECK_EQ(kmem_free_bytes(), start);
}

int main(void)
{
    void *pool = kern_host_pool(1024);
    uint64_t start = kmem_free_bytes();
    test_slots();
    test_install_derive_move();
    test_refs();
    test_wide_deep();
    test_destroy();
    test_space_object();
    test_space_drained_in_steps();
    CHECK_EQ(kmem_free_bytes(), start);
    int rc = unit_done("test_objspace");
    free(pool);
    return rc;
}
