/* SPDX-License-Identifier: MIT */
/*
 * Kernel objects. Every object starts with struct kobj. Two counts govern its life:
 *   caps  capabilities naming it; when the last one goes, the object is torn down (a task's
 *         threads stop, a thread leaves its IPC, a gate unbinds) — "deleting" an object means
 *         releasing the capability it was created into, which revokes every copy made from it;
 *   refs  everything that keeps the memory: caps plus kernel links (a thread's task, a gate's
 *         thread). When it reaches zero the memory returns to the quota it was charged to.
 * Teardown is deferred to a queue and run iteratively, so releasing one capability cannot recurse
 * through a chain of objects on the kernel stack.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <keel/list.h>
#include <uapi/keel/kobj.h>

struct quota;
struct thread;

struct kobj {
    uint8_t type;   /* keel_kobj_type */
    uint8_t dying;  /* teardown queued or done */
    uint32_t caps;
    uint32_t refs;
    struct quota *quota; /* where its memory came from (NULL: static object) */
    struct kobj *owner;  /* the factory whose quota that is (reference held), or NULL */
    struct list zombie_link;
};

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
};

extern const struct kobj_ops *const kobj_ops_table[KEEL_OBJ_TYPE_COUNT];

/* Initialises o, charged to q; the caller then sets o->owner (with a reference) if any. */
void kobj_init(struct kobj *o, unsigned type, struct quota *q);
void kobj_get(struct kobj *o);
/* Drops a kernel reference; the object is freed when none remain. */
void kobj_put(struct kobj *o);
void kobj_cap_added(struct kobj *o);
/* Drops a capability reference; queues teardown when it was the last capability. */
void kobj_cap_removed(struct kobj *o);
/* Runs queued teardowns until none are left. Called before returning to user level. */
void kobj_reap_all(void);
extern struct list kobj_zombies;
static inline void kobj_reap(void)
{
    if (!list_empty(&kobj_zombies)) {
        kobj_reap_all();
    }
}
