/* SPDX-License-Identifier: MIT */
/*
 * The mapping database: who mapped what to whom. Each mapping of a page or a capability is a
 * node; a node made by mapping from another is its child. Unmapping revokes recursively: every
 * descendant is removed, deepest first, without recursion on the kernel stack.
 *
 *   root (the page in the root task / the capability at creation)
 *    ├─ child (mapped into task B)
 *    │   └─ grandchild (B mapped it on to C)
 *    └─ child (mapped into task D)
 */
#pragma once
#include <stddef.h>
#include <stdbool.h>

struct mapnode {
    struct mapnode *parent;
    struct mapnode *child; /* first child */
    struct mapnode *next;  /* next sibling */
    struct mapnode *prev;  /* previous sibling (NULL: the first): unlinking is O(1) */
};

/* How deep a tree may grow (a root is at depth 0): walks up a node's ancestors (is this mapping
 * derived from that one?) stay bounded. A map that would go deeper fails (ERANGE). */
#define MAPDB_MAX_DEPTH 64

/* Takes one unit of a bounded operation's budget (NULL: no bound); false when none is left. */
static inline bool mapdb_spend(unsigned *budget)
{
    if (!budget) {
        return true;
    }
    if (*budget == 0) {
        return false;
    }
    --*budget;
    return true;
}

/* Whether a child may be linked below parent (NULL: a root may always be made): 0, or
 * -KEEL_ERANGE (parent is MAPDB_MAX_DEPTH deep already), -KEEL_EBUSY (parent or one above it is
 * being revoked in steps: a revocation is not outgrown). At most MAPDB_MAX_DEPTH steps. */
int mapdb_may_link(const struct mapnode *parent);
/* Whether n is anc or below it. At most MAPDB_MAX_DEPTH steps. */
bool mapdb_derives_from(const struct mapnode *n, const struct mapnode *anc);
/* Links n as the first child of parent (parent NULL: n becomes a root); mapdb_may_link(parent)
 * was asked first. O(1). */
void mapdb_link(struct mapnode *parent, struct mapnode *n);
/* Links n as a child of parent like mapdb_link, also while parent is being revoked in steps: for
 * the pieces of a split node, which take the place of one that was there (a revocation under way
 * removes them as it would have removed it). O(1). */
void mapdb_adopt(struct mapnode *parent, struct mapnode *n);
/* mapdb_adopt, with n right after `after` among parent's children (NULL: the first). O(1). */
void mapdb_adopt_after(struct mapnode *parent, struct mapnode *after, struct mapnode *n);
/* Moves n, with everything below it, to be a child of parent (which must not be n nor below it:
 * the caller's to know), right after `after` among its children (NULL: the first). O(1). */
void mapdb_move(struct mapnode *n, struct mapnode *parent);
void mapdb_move_after(struct mapnode *n, struct mapnode *parent, struct mapnode *after);
/* Unlinks a node that has no children from its parent. O(1). */
void mapdb_unlink_leaf(struct mapnode *n);
/* Puts `to` in `from`'s place (same parent, same children); `from` ends up unlinked. O(1) plus
 * a step per child of from (their parent changes): callers bound that (an IPC grant of a
 * mapping that was passed on is refused). */
void mapdb_replace(struct mapnode *from, struct mapnode *to);
/* Calls remove(leaf, its parent) for every descendant of n, deepest first; remove must not touch
 * the tree: each leaf is already unlinked when it is called. n itself stays. With a budget, at most *budget
 * leaves go (it counts down): returns false when it ran out with descendants left, and a later
 * call goes on where this one stopped. NULL: no bound. */
bool mapdb_revoke_children(struct mapnode *n,
                           void (*remove)(struct mapnode *leaf, struct mapnode *parent),
                           unsigned *budget);
/* A revocation in steps that stopped with descendants left marks n (no new children below it,
 * nor a grant of n) until a call finishes it. One that is given up (its caller killed) leaves
 * the mark: a revocation of n to the end takes it off (one bit cannot say whose it is). */
bool mapdb_revoking(const struct mapnode *n);
/* The same mark set and taken off by a revocation of part of n's children that goes in steps
 * (memspace.c: a part of a block unmapped from those it was mapped to). */
void mapdb_mark_revoking(struct mapnode *n);
void mapdb_unmark_revoking(struct mapnode *n);
