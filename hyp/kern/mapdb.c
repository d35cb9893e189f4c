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

void mapdb_revoke_children(struct mapnode *n, void (*remove)(struct mapnode *leaf))
{
    while (n->child) {
        struct mapnode *leaf = n->child;
        while (leaf->child) {
            leaf = leaf->child;
        }
        /* A leaf reached through first-child links is its parent's first child. */
        leaf->parent->child = leaf->next;
        leaf->parent = leaf->next = NULL;
        remove(leaf);
    }
}
