// SPDX-License-Identifier: MIT
/*
 * TLB tags with generations (keel/asid.h), the scheme Linux uses for arm64 ASIDs, simpler under
 * the big lock: no atomics, and a rollover is one flush everywhere.
 */
#include <keel/asid.h>

void asid_pool_init(struct asid_pool *p, unsigned count)
{
    *p = (struct asid_pool){ .gen = 1, .count = count > ASID_POOL_MAX ? ASID_POOL_MAX : count,
                             .next = 1 };
}

static bool is_used(const struct asid_pool *p, unsigned id)
{
    return p->used[id / 64] & (1ull << (id % 64));
}

static void mark(struct asid_pool *p, unsigned id)
{
    p->used[id / 64] |= 1ull << (id % 64);
}

/* A free id of this generation, or 0. */
static unsigned find_free(struct asid_pool *p)
{
    for (unsigned n = 1; n < p->count; n++) {
        unsigned id = (p->next + n - 1) % (p->count - 1) + 1;
        if (!is_used(p, id)) {
            p->next = id % (p->count - 1) + 1;
            return id;
        }
    }
    return 0;
}

bool asid_renew(struct asid_pool *p, struct asid *a, struct asid *const loaded[], unsigned n)
{
    unsigned id = find_free(p);
    bool rollover = false;
    if (!id) {
        uint64_t old = p->gen++;
        for (unsigned i = 0; i < ASID_POOL_MAX / 64; i++) {
            p->used[i] = 0;
        }
        for (unsigned i = 0; i < n; i++) {
            if (loaded[i] && loaded[i] != a && loaded[i]->gen == old) {
                loaded[i]->gen = p->gen; /* still in use on a CPU: it keeps its id */
                mark(p, loaded[i]->id);
            }
        }
        p->next = 1;
        id = find_free(p); /* at least one: fewer CPUs than ids */
        rollover = true;
    }
    mark(p, id);
    a->gen = p->gen;
    a->id = (uint16_t)id;
    return rollover;
}

void asid_release(struct asid_pool *p, struct asid *a)
{
    if (a->gen == p->gen) {
        p->used[a->id / 64] &= ~(1ull << (a->id % 64));
    }
    a->gen = 0;
    a->id = 0;
}
