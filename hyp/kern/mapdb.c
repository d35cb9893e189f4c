// SPDX-License-Identifier: MIT
// The mapping database (see keel/mapdb.h).
#include <keel/mapdb.h>
#include <stdint.h>
#include <keel/assert.h>
#include <uapi/keel/err.h>

/* A revocation in steps marks its node in the low bit of its prev link (only this file reads
 * prev): while it goes on, nothing new is linked below the node, so the subtree cannot grow
 * faster than it is revoked. */
#define REVOKING ((uintptr_t)1)

static struct mapnode *prev_of(const struct mapnode *n)
{
    return (struct mapnode *)((uintptr_t)n->prev & ~REVOKING);
}

static void set_prev(struct mapnode *n, struct mapnode *p)
{
    n->prev = (struct mapnode *)((uintptr_t)p | ((uintptr_t)n->prev & REVOKING));
}

bool mapdb_revoking(const struct mapnode *n)
{
    return (uintptr_t)n->prev & REVOKING;
}

void mapdb_mark_revoking(struct mapnode *n)
{
    n->prev = (struct mapnode *)((uintptr_t)n->prev | REVOKING);
}

void mapdb_unmark_revoking(struct mapnode *n)
{
    n->prev = prev_of(n);
}

int mapdb_may_link(const struct mapnode *parent)
{
    unsigned depth = 0;
    for (const struct mapnode *a = parent; a; a = a->parent) {
        if (++depth > MAPDB_MAX_DEPTH) {
            return -KEEL_ERANGE;
        }
        if (mapdb_revoking(a)) {
            return -KEEL_EBUSY;
        }
    }
    return 0;
}

bool mapdb_derives_from(const struct mapnode *n, const struct mapnode *anc)
{
    for (const struct mapnode *a = n; a; a = a->parent) {
        if (a == anc) {
            return true;
        }
    }
    return false;
}

void mapdb_link(struct mapnode *parent, struct mapnode *n)
{
    KASSERT(!parent || !mapdb_revoking(parent)); /* mapdb_may_link() was asked */
    mapdb_adopt(parent, n);
}

void mapdb_adopt(struct mapnode *parent, struct mapnode *n)
{
    mapdb_adopt_after(parent, NULL, n);
}

void mapdb_adopt_after(struct mapnode *parent, struct mapnode *after, struct mapnode *n)
{
    KASSERT(!after || (parent && after->parent == parent));
    n->parent = parent;
    n->child = NULL;
    n->next = NULL;
    n->prev = NULL;
    if (!parent) {
        return;
    }
    n->next = after ? after->next : parent->child;
    if (n->next) {
        set_prev(n->next, n);
    }
    if (after) {
        after->next = n;
        set_prev(n, after);
    } else {
        parent->child = n;
    }
}

/* Puts `to` where n is among its siblings (to NULL: closes the gap). */
static void sibling_swap(struct mapnode *n, struct mapnode *to)
{
    struct mapnode *next = n->next, *prev = prev_of(n);
    if (to) {
        to->next = next;
        to->prev = prev;
    }
    struct mapnode *here = to ? to : next;
    if (prev) {
        prev->next = here;
    } else if (n->parent) {
        n->parent->child = here;
    }
    if (next) {
        set_prev(next, to ? to : prev);
    }
}

void mapdb_move(struct mapnode *n, struct mapnode *parent)
{
    mapdb_move_after(n, parent, NULL);
}

void mapdb_move_after(struct mapnode *n, struct mapnode *parent, struct mapnode *after)
{
    KASSERT(parent != n && after != n); /* (the caller knows parent is not below n: O(1) here) */
    sibling_swap(n, NULL);
    struct mapnode *child = n->child;
    uintptr_t mark = (uintptr_t)n->prev & REVOKING;
    mapdb_adopt_after(parent, after, n);
    n->child = child;
    n->prev = (struct mapnode *)((uintptr_t)n->prev | mark);
}

void mapdb_unlink_leaf(struct mapnode *n)
{
    KASSERT(n->child == NULL); /* its children would be lost: revoke them first */
    sibling_swap(n, NULL);
    n->parent = n->next = n->prev = NULL;
}

void mapdb_replace(struct mapnode *from, struct mapnode *to)
{
    to->parent = from->parent;
    to->child = from->child;
    sibling_swap(from, to);
    for (struct mapnode *c = to->child; c; c = c->next) {
        c->parent = to;
    }
    from->parent = from->child = from->next = from->prev = NULL;
}

bool mapdb_revoke_children(struct mapnode *n,
                           void (*remove)(struct mapnode *leaf, struct mapnode *parent),
                           unsigned *budget)
{
    /* Post-order walk that removes as it goes: descend to a leaf, remove it, and carry on from
     * its parent, which is either a leaf now or has further children to descend into. Each
     * node is passed over a constant number of times: linear in the size of the subtree. The
     * tree itself is the walk's state, so it can stop after any leaf and start again. */
    struct mapnode *cur = n;
    while (n->child) {
        if (!mapdb_spend(budget)) {
            mapdb_mark_revoking(n); /* until it is done */
            return false;
        }
        while (cur->child) {
            cur = cur->child;
        }
        struct mapnode *parent = cur->parent;
        parent->child = cur->next; /* a leaf reached through first-child links is the first */
        if (cur->next) {
            set_prev(cur->next, NULL);
        }
        cur->parent = cur->next = cur->prev = NULL;
        remove(cur, parent);
        cur = parent;
    }
    mapdb_unmark_revoking(n); /* done: the mark goes */
    return true;
}
