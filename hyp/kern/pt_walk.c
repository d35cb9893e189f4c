// SPDX-License-Identifier: MIT
// The generic page-table walker (see keel/pt_walk.h).
#include <keel/pt_walk.h>
#include <keel/quota.h>
#include <keel/assert.h>
#include <arch/mmu.h>

void pt_free_below(const struct pt_format *f, uint64_t *table, unsigned level, unsigned n,
                   struct quota *q)
{
    for (unsigned i = 0; level > 0 && i < n; i++) {
        if (f->valid(table[i]) && !f->is_leaf(table[i], level)) {
            pt_free_table(f, table[i], level, q);
        }
    }
}

void pt_free_table(const struct pt_format *f, uint64_t e, unsigned level, struct quota *q)
{
    KASSERT(level > 0 && f->valid(e) && !f->is_leaf(e, level));
    uint64_t *table = kva_from_pa(f->addr(e));
    pt_free_below(f, table, level - 1, PT_ENTRIES, q); /* (at most two levels deep) */
    quota_free(q, table, PAGE_SIZE);
}

uint64_t *pt_split_block(const struct pt_format *f, uint64_t block, unsigned level,
                         struct quota *q)
{
    KASSERT(level > 0 && f->valid(block) && f->is_leaf(block, level));
    uint64_t *table = quota_alloc(q, PAGE_SIZE);
    if (!table) {
        return NULL;
    }
    paddr_t pa = f->addr(block);
    unsigned rights = f->rights(block);
    bool device = f->device(block);
    for (unsigned i = 0; i < PT_ENTRIES; i++) {
        table[i] = f->leaf(pa_add(pa, i * pt_level_size(level - 1)), level - 1, rights, device);
    }
    return table;
}
