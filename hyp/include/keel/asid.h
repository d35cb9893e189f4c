/* SPDX-License-Identifier: MIT */
/*
 * Address-space identifiers for the TLB (arm64 VMIDs, riscv64 ASIDs): a few hundred tags shared
 * by any number of page tables. Ids are handed out per generation, when a table is loaded. When a
 * generation has none left, the next one begins: the caller flushes every CPU's TLB, the tables
 * loaded on CPUs at that moment keep their ids, and every other table gets a new id when it is
 * next loaded. Everything runs under the big lock.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define ASID_POOL_MAX 256

struct asid {
    uint64_t gen; /* the generation id belongs to; 0: none yet */
    uint16_t id;
};

struct asid_pool {
    uint64_t gen;     /* the current generation, from 1 */
    unsigned count;   /* ids 1 .. count - 1 are handed out (0 is the kernel's own) */
    unsigned next;    /* where the search for a free id starts */
    uint64_t used[ASID_POOL_MAX / 64];
};

void asid_pool_init(struct asid_pool *p, unsigned count);

/* Whether a's id is valid now: loading its table needs nothing else (the hot path's test). */
static inline bool asid_valid(const struct asid_pool *p, const struct asid *a)
{
    return a->gen == p->gen;
}

/* Gives a an id of the current generation. Returns true when that began a new generation: the
 * caller must flush every CPU's TLB before any table is loaded with its new id. The ids in
 * loaded[0 .. n) (tables loaded on CPUs now; NULL entries are skipped) stay theirs if they were
 * valid. */
bool asid_renew(struct asid_pool *p, struct asid *a, struct asid *const loaded[], unsigned n);

/* The table of a is gone: its id may be handed out again. */
void asid_release(struct asid_pool *p, struct asid *a);
