// SPDX-License-Identifier: MIT
// Kernel-memory quotas (see keel/quota.h).
#include <keel/quota.h>
#include <keel/slab.h>
#include <uapi/keel/err.h>

int quota_charge(struct quota *q, uint64_t bytes)
{
    if (bytes > q->limit - q->used) {
        return -KEEL_ENOMEM;
    }
    q->used += bytes;
    if (q->used > q->peak) {
        q->peak = q->used;
    }
    return 0;
}

void quota_uncharge(struct quota *q, uint64_t bytes)
{
    q->used -= bytes;
}

void *quota_alloc(struct quota *q, size_t size)
{
    size_t real = slab_class_size(size);
    if (quota_charge(q, real) != 0) {
        return NULL;
    }
    void *p = slab_alloc(size);
    if (!p) {
        quota_uncharge(q, real);
    }
    return p;
}

void quota_free(struct quota *q, void *p, size_t size)
{
    if (p) {
        slab_free(p, size);
        quota_uncharge(q, slab_class_size(size));
    }
}
