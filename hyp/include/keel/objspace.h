/* SPDX-License-Identifier: MIT */
/*
 * A task's object space: a sparse table of capability slots, indexed by capability index.
 *
 *   objspace.dir ──> [ leaf* x OBJSPACE_DIR ]   (one page, made on first use)
 *                         └──> leaf: [ struct cap x CAPS_PER_LEAF ]  (one page each, on demand)
 *
 * Slot 0 is never valid. A capability holds an object pointer and rights; capabilities made from
 * it by mapping are its children in the mapping tree (keel/mapdb.h), so releasing or revoking it
 * empties every copy made from it, recursively. Leaves are charged to the task's quota.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <keel/mapdb.h>

struct kobj;
struct quota;

struct cap {
    struct kobj *obj; /* NULL: empty slot */
    uint32_t rights;  /* KEEL_CAP_* */
    uint32_t pad;
    struct mapnode node;
};

/* A power of two, so that finding a slot is a shift and a mask on the system-call path. */
#define CAPS_PER_LEAF 64u
_Static_assert(CAPS_PER_LEAF * sizeof(struct cap) <= 4096, "a leaf fits in a page");
#define OBJSPACE_DIR (4096 / sizeof(void *))
#define OBJSPACE_MAX_CAPS (CAPS_PER_LEAF * OBJSPACE_DIR)

struct objspace {
    struct cap **dir;
    struct quota *quota;
};

void objspace_init(struct objspace *os, struct quota *q);
/* Empties every slot (revoking children) and frees the table. */
void objspace_destroy(struct objspace *os);
/* Frees the table of an object space whose slots are all empty (objspace_drain). */
void objspace_free(struct objspace *os);
/* Empties the slots from *index on, at most *budget units of work (a capability removed, or 32
 * slots looked at; NULL: no bound); the table stays. Returns true when all are empty; else false, *index where the next call goes on. */
bool objspace_drain(struct objspace *os, uint64_t *index, unsigned *budget);
/* The same for the slots from *index to end: each one's children revoked (everything mapped
 * from it, recursively), with self the slot emptied too. */
bool objspace_unmap_bounded(struct objspace *os, uint64_t *index, uint64_t end, bool self,
                            unsigned *budget);
/* The slot for index, or NULL when out of range or its leaf does not exist yet. */
struct cap *objspace_lookup(struct objspace *os, uint64_t index);
/* The slot for index, creating its leaf; NULL with *err set (ERANGE, ENOMEM). */
struct cap *objspace_slot(struct objspace *os, uint64_t index, int *err);
/* Fills an empty slot as a root capability (no parent). */
void cap_install(struct cap *slot, struct kobj *obj, unsigned rights);
/* Fills an empty slot as a copy of src with rights reduced to `rights & src->rights`. */
void cap_derive(struct cap *slot, struct cap *src, unsigned rights);
/* Moves src into the empty slot dst (grant): dst takes src's place in the tree. */
void cap_move(struct cap *dst, struct cap *src);
/* Empties every capability derived from c, recursively; c itself stays. */
void cap_revoke_children(struct cap *c);
/* Revokes c's children and empties c. */
void cap_release(struct cap *c);
