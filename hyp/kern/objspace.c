// SPDX-License-Identifier: MIT
// Object spaces and capabilities (see keel/objspace.h).
#include <keel/objspace.h>
#include <keel/kobj.h>
#include <keel/quota.h>
#include <uapi/keel/err.h>

void objspace_init(struct objspace *os, struct quota *q)
{
    os->dir = NULL;
    os->quota = q;
}

struct cap *objspace_lookup(struct objspace *os, uint64_t index)
{
    if (index == 0 || index >= OBJSPACE_MAX_CAPS || !os->dir) {
        return NULL;
    }
    struct cap *leaf = os->dir[index / CAPS_PER_LEAF];
    return leaf ? &leaf[index % CAPS_PER_LEAF] : NULL;
}

struct cap *objspace_slot(struct objspace *os, uint64_t index, int *err)
{
    if (index == 0 || index >= OBJSPACE_MAX_CAPS) {
        *err = -KEEL_ERANGE;
        return NULL;
    }
    if (!os->dir && !(os->dir = quota_alloc(os->quota, OBJSPACE_DIR * sizeof(void *)))) {
        *err = -KEEL_ENOMEM;
        return NULL;
    }
    struct cap **leaf = &os->dir[index / CAPS_PER_LEAF];
    if (!*leaf && !(*leaf = quota_alloc(os->quota, CAPS_PER_LEAF * sizeof(struct cap)))) {
        *err = -KEEL_ENOMEM;
        return NULL;
    }
    return &(*leaf)[index % CAPS_PER_LEAF];
}

void cap_install(struct cap *slot, struct kobj *obj, unsigned rights)
{
    slot->obj = obj;
    slot->rights = rights;
    mapdb_link(NULL, &slot->node);
    kobj_cap_added(obj);
}

void cap_derive(struct cap *slot, struct cap *src, unsigned rights)
{
    slot->obj = src->obj;
    slot->rights = rights & src->rights;
    mapdb_link(&src->node, &slot->node);
    kobj_cap_added(src->obj);
}

void cap_move(struct cap *dst, struct cap *src)
{
    dst->obj = src->obj;
    dst->rights = src->rights;
    mapdb_replace(&src->node, &dst->node);
    src->obj = NULL;
    src->rights = 0;
}

static void cap_clear(struct cap *c)
{
    struct kobj *o = c->obj;
    c->obj = NULL;
    c->rights = 0;
    if (o) {
        kobj_cap_removed(o);
    }
}

static void remove_leaf(struct mapnode *n, struct mapnode *parent)
{
    (void)parent;
    cap_clear(container_of(n, struct cap, node));
}

void cap_revoke_children(struct cap *c)
{
    mapdb_revoke_children(&c->node, remove_leaf, NULL);
}

/* cap_release within a budget (NULL: none): false when it ran out first. */
static bool release_bounded(struct cap *c, unsigned *budget)
{
    if (!c->obj) {
        return true;
    }
    if (!mapdb_revoke_children(&c->node, remove_leaf, budget) || !mapdb_spend(budget)) {
        return false;
    }
    mapdb_unlink_leaf(&c->node);
    cap_clear(c);
    return true;
}

void cap_release(struct cap *c)
{
    release_bounded(c, NULL);
}

bool objspace_unmap_bounded(struct objspace *os, uint64_t *index, uint64_t end, bool self,
                            unsigned *budget)
{
    end = end < OBJSPACE_MAX_CAPS ? end : OBJSPACE_MAX_CAPS;
    while (os->dir && *index < end) {
        if (*index % 32 == 31 && !mapdb_spend(budget)) {
            return false; /* 32 slots looked at cost a unit too */
        }
        struct cap *leaf = os->dir[*index / CAPS_PER_LEAF];
        if (!leaf) {
            *index = (*index / CAPS_PER_LEAF + 1) * CAPS_PER_LEAF;
            continue;
        }
        struct cap *c = &leaf[*index % CAPS_PER_LEAF];
        if (c->obj && !(self ? release_bounded(c, budget)
                             : mapdb_revoke_children(&c->node, remove_leaf, budget))) {
            return false;
        }
        ++*index;
    }
    return true;
}

bool objspace_drain(struct objspace *os, uint64_t *index, unsigned *budget)
{
    return objspace_unmap_bounded(os, index, OBJSPACE_MAX_CAPS, true, budget);
}

void objspace_destroy(struct objspace *os)
{
    if (!os->dir) {
        return;
    }
    uint64_t index = 0;
    objspace_drain(os, &index, NULL);
    objspace_free(os);
}

void objspace_free(struct objspace *os)
{
    if (!os->dir) {
        return;
    }
    /* Only now free the leaves: releasing may have emptied slots in any leaf. */
    for (size_t d = 0; d < OBJSPACE_DIR; d++) {
        quota_free(os->quota, os->dir[d], CAPS_PER_LEAF * sizeof(struct cap));
    }
    quota_free(os->quota, os->dir, OBJSPACE_DIR * sizeof(void *));
    os->dir = NULL;
}
