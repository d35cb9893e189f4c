/* SPDX-License-Identifier: MIT */
/*
 * Kernel objects. Every object starts with struct kobj. Two counts govern its life:
 *   caps  capabilities naming it; when the last one goes, the object is torn down (a task's
 *         threads stop, a thread leaves its IPC, a gate unbinds) — "deleting" an object means
 *         releasing the capability it was created into, which revokes every copy made from it;
 *   refs  everything that keeps the memory: caps plus counted kernel pointers (a thread's task,
 *         a vCPU's VM). When it reaches zero the memory returns to the quota it was charged to.
 * Teardown is deferred to a queue of the thread whose system call released the last capability,
 * and run iteratively before that thread leaves the kernel, so releasing one capability cannot
 * recurse through a chain of objects on the kernel stack. What an object holds (a task's mappings
 * and capabilities) is then emptied in bounded steps (ops.drain) with the big lock let go between
 * them (sched_preempt): no teardown keeps other CPUs out of the kernel, or a higher priority off
 * its own CPU, for long, however large the object; and it is that thread's time it takes, no one
 * else's.
 *
 * Pointers between objects are of two kinds, and no other (docs/kernel.md has the table):
 *   counted  the holder keeps the target's memory (kobj_get/kobj_put): a thread's task, a vCPU's
 *            VM, a capability's object. The target may die (be torn down) while referenced; its
 *            holder then finds it dying or emptied, never freed.
 *   links    struct kobj_link: no reference, and the target keeps a list of the links to it.
 *            When it dies (kobj_kill), every link is cut: the holder's cut function undoes what
 *            the link meant (an Irq detaches, a waiting thread gets ECANCELED) and the link is
 *            cleared. A dying target takes no new link (kobj_link_set). So a link never
 *            outlives its target, whatever state either is in: one rule, enforced here.
 * A dead holder starts nothing new: a thread killed while in the kernel is refused IPC and
 * faults (ipc.c, fault.c) and never leaves it (sched_exit_slow), and must hold no link, queue
 * place or timeout when it is freed (thread_release checks). One pointer follows another's rule:
 * a callee's reply_to names its caller only while the caller's partner link is on the callee
 * (ipc.c, wake).
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <keel/list.h>
#include <uapi/keel/kobj.h>
#include <uapi/keel/err.h>

struct quota;
struct thread;

struct kobj {
    uint8_t type;   /* keel_kobj_type */
    uint8_t dying;  /* last capability gone (teardown queued) or dead: takes no new link */
    uint8_t dead;   /* torn down (kobj_kill ran) */
    uint32_t caps;
    uint32_t refs;
    struct quota *quota; /* where its memory came from (NULL: static object) */
    struct kobj *owner;  /* the factory whose quota that is (reference held), or NULL */
    struct list zombie_link;
    struct list links;   /* the kobj_links that point here (kobj_link.node) */
};

/* A statically allocated object (the root factory, the Vcon, ...). */
#define KOBJ_STATIC(var, t) { .type = (t), .links = LIST_INIT((var).links) }

/* A pointer to another object that holds no reference (see above). */
struct kobj_link {
    struct kobj *to;                      /* NULL: not set */
    struct list node;                     /* in to->links */
    void (*cut)(struct kobj_link *l);     /* the target dies: undo what the link meant */
};

/* A link that is not set, with the function that cuts it when its target dies. The cut function
 * gets the link still set and must leave it cleared (kobj_link_clear), directly or through
 * whatever it calls. */
static inline void kobj_link_init(struct kobj_link *l, void (*cut)(struct kobj_link *l))
{
    l->to = NULL;
    list_init(&l->node);
    l->cut = cut;
}

/* Points l (not set) at to, which the caller knows to live (it holds another link to it). */
static inline void kobj_link_set_live(struct kobj_link *l, struct kobj *to)
{
    l->to = to;
    list_push_back(&to->links, &l->node);
}

/* Whether o takes new links: 0, or -KEEL_ENOENT when it is dying. (For a caller that must undo
 * an old link first, and must not when the new one would be refused.) */
static inline int kobj_link_check(const struct kobj *o)
{
    return o->dying ? -KEEL_ENOENT : 0;
}

/* Points l (not set) at to. Returns 0, or -KEEL_ENOENT when to is dying: nothing is linked then. */
static inline int kobj_link_set(struct kobj_link *l, struct kobj *to)
{
    int err = kobj_link_check(to);
    if (!err) {
        kobj_link_set_live(l, to);
    }
    return err;
}

static inline void kobj_link_clear(struct kobj_link *l)
{
    if (l->to) {
        list_remove(&l->node);
        l->to = NULL;
    }
}

struct kobj_msg; /* one kernel-object invocation, see keel/kobj_call.h */

struct kobj_ops {
    size_t size;                               /* bytes charged for the object itself */
    void (*teardown)(struct kobj *o);          /* last capability gone */
    void (*release)(struct kobj *o);           /* last reference gone: free secondary memory */
    /* Protocol handler: returns the reply label (result >= 0 or -keel_err). */
    int64_t (*invoke)(struct kobj *o, unsigned rights, struct kobj_msg *m);
    /* Optional: true when the memory cannot be freed yet (a thread still current on a CPU);
     * the object is then put again later. */
    bool (*defer_free)(struct kobj *o);
    /* Optional, after the teardown: empties what the object holds, spending at most *budget
     * units of work (KOBJ_WORK_STEP a call). Returns true when done, false to be called again. */
    bool (*drain)(struct kobj *o, unsigned *budget);
};

/* Units of work (a mapping or capability removed) between two preemption points of a long
 * kernel operation: bounds how long it holds the big lock at a time. */
#define KOBJ_WORK_STEP 64u

extern const struct kobj_ops *const kobj_ops_table[KEEL_OBJ_TYPE_COUNT];

/* Initialises o, charged to q; the caller then sets o->owner (with a reference) if any. */
void kobj_init(struct kobj *o, unsigned type, struct quota *q);
void kobj_get(struct kobj *o);
/* Drops a kernel reference; the object is freed when none remain. */
void kobj_put(struct kobj *o);
void kobj_cap_added(struct kobj *o);
/* Drops a capability reference; queues teardown when it was the last capability. */
void kobj_cap_removed(struct kobj *o);
/* Kills o now, whatever its capabilities: marks it dead, runs its teardown, then cuts every link
 * to it. A dead object stays in memory while references remain. Once per object. */
void kobj_kill(struct kobj *o);
/* The queue of teardowns the current thread owes (thread.zombies; kern/thread.c). */
struct list *kobj_zombies(void);
/* Runs the current thread's queued teardowns until none are left, letting the big lock go
 * between bounded steps. Called before a thread returns to user level. */
void kobj_reap(void);
