// SPDX-License-Identifier: MIT
// The mapping database (see keel/mapdb.h).
#include <keel/mapdb.h>

void mapdb_link(struct mapnode *parent, struct mapnode *n)
{
    n->parent = parent;
    n->child = NULL;
    n->next = NULL;
    if (parent) {
        n->next = parent->child;
        parent->child = n;
    }
}

void mapdb_unlink_leaf(struct mapnode *n)
{
    if (n->parent) {
        struct mapnode **pp = &n->parent->child;
        while (*pp != n) {
            pp = &(*pp)->next;
        }
        *pp = n->next;
    }
    n->parent = n->next = NULL;
}

void mapdb_replace(struct mapnode *from, struct mapnode *to)
{
    to->parent = from->parent;
    to->child = from->child;
    to->next = from->next;
    if (from->parent) {
        struct mapnode **pp = &from->parent->child;
        while (*pp != from) {
            pp = &(*pp)->next;
        }
        *pp = to;
    }
    for (struct mapnode *c = to->child; c; c = c->next) {
        c->parent = to;
    }
    from->parent = from->child = from->next = NULL;
}

bool mapdb_revoke_children(struct mapnode *n, void (*remove)(struct mapnode *leaf),
                           unsigned *budget)
{
    /* Post-order walk that removes as it goes: descend to a leaf, remove it, and carry on from
     * its parent, which is either a leaf now or has further children to descend into. Each
     * node is passed over a constant number of times: linear in the size of the subtree. The
     * tree itself is the walk's state, so it can stop after any leaf and start again. */
    struct mapnode *cur = n;
    while (n->child) {
        if (!mapdb_spend(budget)) {
            return false;
        }
        while (cur->child) {
            cur = cur->child;
        }
        struct mapnode *parent = cur->parent;
        parent->child = cur->next; /* a leaf reached through first-child links is the first */
        cur->parent = cur->next = NULL;
        remove(cur);
        cur = parent;
    }
    return true;
}
