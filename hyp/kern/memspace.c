// SPDX-License-Identifier: MIT
// Task memory spaces over the mapping database (see keel/memspace.h).
#include <keel/memspace.h>
#include <keel/quota.h>
#include <keel/slab.h>
#include <keel/phys.h>
#include <uapi/keel/err.h>

/* The directory from address to mapping: levels of 512-entry tables, the last holding the
 * mappings. As many as the space needs: three cover 2^39 bytes (a task), four 2^48 (a riscv64
 * VM task's guest-physical space beyond Sv39x4's 2^41). */
#define LEVEL_BITS 9
#define LEVEL_ENTRIES (1u << LEVEL_BITS)

static unsigned index_at(const struct memspace *ms, vaddr_t va, unsigned level)
{
    return (unsigned)(va_val(va) >> (PAGE_SHIFT + LEVEL_BITS * (ms->dir_levels - 1 - level))) &
           (LEVEL_ENTRIES - 1);
}

uint64_t memspace_va_limit(const struct memspace *ms)
{
    return arch_pt_va_limit(&ms->pt);
}

int memspace_init(struct memspace *ms, struct quota *q, bool guest)
{
    ms->quota = q;
    ms->dir = NULL;
    int err = arch_pt_init(&ms->pt, q, guest);
    ms->dir_levels = 1;
    while (PAGE_SHIFT + LEVEL_BITS * ms->dir_levels < 64 &&
           (1ull << (PAGE_SHIFT + LEVEL_BITS * ms->dir_levels)) < memspace_va_limit(ms)) {
        ms->dir_levels++;
    }
    return err;
}

/* The leaf slot for va; with create, missing tables are made. */
static struct mem_map **slot_for(struct memspace *ms, vaddr_t va, bool create)
{
    if (va_val(va) >= memspace_va_limit(ms)) {
        return NULL;
    }
    void ***table = (void ***)&ms->dir;
    for (unsigned level = 0; level < ms->dir_levels - 1; level++) {
        if (!*table) {
            if (!create || !(*table = quota_alloc(ms->quota, PAGE_SIZE))) {
                return NULL;
            }
        }
        table = (void ***)&(*table)[index_at(ms, va, level)];
    }
    if (!*table) {
        if (!create || !(*table = quota_alloc(ms->quota, PAGE_SIZE))) {
            return NULL;
        }
    }
    return (struct mem_map **)&(*table)[index_at(ms, va, ms->dir_levels - 1)];
}

struct mem_map *memspace_lookup(struct memspace *ms, vaddr_t va)
{
    struct mem_map **s = slot_for(ms, va, false);
    return s ? *s : NULL;
}

/* Slots looked at for one unit of a bounded walk's budget. */
#define SLOTS_PER_UNIT 32

struct mem_map *memspace_next_bounded(struct memspace *ms, vaddr_t *va, vaddr_t end_va,
                                      unsigned *budget)
{
    uint64_t a = va_val(*va), end = va_val(end_va);
    if (end > memspace_va_limit(ms)) {
        end = memspace_va_limit(ms);
    }
    for (unsigned looked = 0; ms->dir && a < end; looked++) {
        if (looked % SLOTS_PER_UNIT == SLOTS_PER_UNIT - 1 && !mapdb_spend(budget)) {
            *va = va_init(a);
            return NULL;
        }
        void **table = ms->dir;
        unsigned level = 0;
        while (level < ms->dir_levels - 1 && (table = table[index_at(ms, va_init(a), level)]) != NULL) {
            level++;
        }
        if (!table) { /* a hole as large as the missing table covers: skip it */
            uint64_t span = 1ull << (PAGE_SHIFT + LEVEL_BITS * (ms->dir_levels - 1 - level));
            a = (a | (span - 1)) + 1;
            continue;
        }
        struct mem_map *m = table[index_at(ms, va_init(a), ms->dir_levels - 1)];
        if (m) {
            *va = va_init(a);
            return m;
        }
        a += PAGE_SIZE;
    }
    *va = end_va;
    return NULL;
}

struct mem_map *memspace_next(struct memspace *ms, vaddr_t *va, vaddr_t end_va)
{
    return memspace_next_bounded(ms, va, end_va, NULL);
}

/* Removes one mapping that has no children: hardware entry, slot, node memory. */
static void remove_one(struct mem_map *m)
{
    struct memspace *ms = m->space;
    arch_pt_unmap(&ms->pt, m->va, 0);
    struct mem_map **s = slot_for(ms, m->va, false);
    if (s) {
        *s = NULL;
    }
    quota_free(ms->quota, m, sizeof(*m));
}

static void remove_leaf(struct mapnode *n)
{
    remove_one(container_of(n, struct mem_map, node));
}

/* Whether m is anc or was mapped (directly or not) from anc (at most MAPDB_MAX_DEPTH steps). */
static bool derives_from(const struct mem_map *m, const struct mem_map *anc)
{
    return m && mapdb_derives_from(&m->node, &anc->node);
}

/* What was mapped from m, then with self m itself; false when the budget (NULL: none) ran out
 * first, the rest left for the next call. */
static bool unmap_page(struct mem_map *m, bool self, unsigned *budget)
{
    if (!mapdb_revoke_children(&m->node, remove_leaf, budget)) {
        return false;
    }
    if (self) {
        if (!mapdb_spend(budget)) {
            return false;
        }
        mapdb_unlink_leaf(&m->node);
        remove_one(m);
    }
    return true;
}

bool memspace_map_revokes(struct memspace *ms, vaddr_t va, struct mem_map *src, bool grant)
{
    struct mem_map *old = memspace_lookup(ms, va);
    if (!old || !old->node.child || old == src || derives_from(src, old)) {
        return false; /* nothing passed on from there, or refused (EEXIST) before any work */
    }
    /* A map of the same frame from the same parent widens the mapping in place. */
    return grant || pfn_val(old->pfn) != pfn_val(src->pfn) || old->node.parent != &src->node;
}

int memspace_map(struct memspace *ms, vaddr_t va, pfn_t pfn, unsigned rights,
                 struct mem_map *parent)
{
    if (!va_is_aligned(va, PAGE_SIZE) || va_val(va) >= memspace_va_limit(ms)) {
        return -KEEL_ERANGE;
    }
    struct mem_map **s = slot_for(ms, va, true);
    if (!s) {
        return -KEEL_ENOMEM;
    }
    struct mem_map *old = *s;
    if (old && pfn_val(old->pfn) == pfn_val(pfn) &&
        (old == parent || old->node.parent == (parent ? &parent->node : NULL))) {
        /* The same mapping again: widen its rights in place (its children stay). From another
         * source it is replaced below instead, so that this source alone can revoke what it
         * gives. */
        unsigned wider = old->rights | rights;
        if (old == parent || wider == old->rights) {
            return 0;
        }
        int err = arch_pt_map(&ms->pt, ms->quota, va, pa_from_pfn(pfn), 0, wider, !phys_is_ram(pfn));
        if (!err) {
            old->rights = wider;
        }
        return err;
    }
    /* Replacing the very mapping the new one derives from would revoke the source. */
    if (old && derives_from(parent, old)) {
        return -KEEL_EEXIST;
    }
    int err = parent ? mapdb_may_link(&parent->node) : 0;
    if (err) {
        return err; /* too deep, or parent is being revoked */
    }
    /* The new record first: when the quota has no room for it, what was at va stays. (With a
     * mapping there, its page-table entry exists: replacing it needs no memory.) */
    struct mem_map *m = quota_alloc(ms->quota, sizeof(*m));
    if (!m) {
        return -KEEL_ENOMEM;
    }
    if (old) {
        unmap_page(old, true, NULL);
    }
    err = arch_pt_map(&ms->pt, ms->quota, va, pa_from_pfn(pfn), 0, rights, !phys_is_ram(pfn));
    if (err) {
        quota_free(ms->quota, m, sizeof(*m));
        return err;
    }
    m->space = ms;
    m->va = va;
    m->pfn = pfn;
    m->rights = rights;
    mapdb_link(parent ? &parent->node : NULL, &m->node);
    *s = m;
    return 0;
}

int memspace_grant(struct memspace *ms, vaddr_t va, struct mem_map *src, unsigned rights)
{
    if (!va_is_aligned(va, PAGE_SIZE) || va_val(va) >= memspace_va_limit(ms)) {
        return -KEEL_ERANGE;
    }
    struct mem_map *old = memspace_lookup(ms, va);
    if (old == src) {
        return 0; /* granted to itself */
    }
    if (old && derives_from(src, old)) {
        return -KEEL_EEXIST; /* src would go with what is at va */
    }
    /* The record itself moves, with its place in the tree (what was mapped from it stays below
     * it: nothing to re-link), and ms's quota takes over its charge. What can fail comes first:
     * the slot, the charge, the page-table entry (which a mapping at va already has). */
    uint64_t size = slab_class_size(sizeof(*src));
    struct mem_map **s = slot_for(ms, va, true);
    if (!s || quota_charge(ms->quota, size) != 0) {
        return -KEEL_ENOMEM;
    }
    if (old) {
        unmap_page(old, true, NULL); /* whatever is at va goes, even the same frame */
    }
    rights &= src->rights; /* (what was mapped from it keeps its own) */
    int err = arch_pt_map(&ms->pt, ms->quota, va, pa_from_pfn(src->pfn), 0, rights,
                          !phys_is_ram(src->pfn));
    if (err) {
        quota_uncharge(ms->quota, size);
        return err;
    }
    struct memspace *from = src->space;
    arch_pt_unmap(&from->pt, src->va, 0);
    struct mem_map **fs = slot_for(from, src->va, false);
    if (fs) {
        *fs = NULL;
    }
    quota_uncharge(from->quota, size);
    src->space = ms;
    src->va = va;
    src->rights = rights;
    *s = src;
    return 0;
}

bool memspace_unmap_bounded(struct memspace *ms, vaddr_t *va, vaddr_t end, bool self,
                            unsigned *budget)
{
    struct mem_map *m;
    while ((m = memspace_next_bounded(ms, va, end, budget))) {
        if (!unmap_page(m, self, budget)) {
            return false; /* *va is m's address: it goes on there */
        }
        *va = va_add(*va, PAGE_SIZE);
    }
    return va_val(*va) >= va_val(end); /* else the walk's budget ran out at *va */
}

void memspace_unmap(struct memspace *ms, vaddr_t va, uint64_t size, bool self)
{
    memspace_unmap_bounded(ms, &va, va_add(va, size), self, NULL);
}

static void free_tables(struct memspace *ms, void **table, unsigned level)
{
    if (!table) {
        return;
    }
    if (level < ms->dir_levels - 1) {
        for (unsigned i = 0; i < LEVEL_ENTRIES; i++) {
            free_tables(ms, table[i], level + 1);
        }
    }
    quota_free(ms->quota, table, PAGE_SIZE);
}


bool memspace_drain(struct memspace *ms, vaddr_t *va, unsigned *budget)
{
    arch_pt_unmap_begin(&ms->pt);
    bool done = memspace_unmap_bounded(ms, va, va_init(memspace_va_limit(ms)), true, budget);
    arch_pt_unmap_end(&ms->pt);
    return done;
}

void memspace_unmap_all(struct memspace *ms)
{
    vaddr_t va = va_init(0);
    memspace_drain(ms, &va, NULL);
}

void memspace_free(struct memspace *ms)
{
    free_tables(ms, ms->dir, 0);
    ms->dir = NULL;
    arch_pt_destroy(&ms->pt, ms->quota);
}
