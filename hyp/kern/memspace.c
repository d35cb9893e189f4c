// SPDX-License-Identifier: MIT
// Task memory spaces over the mapping database (see keel/memspace.h).
#include <keel/memspace.h>
#include <keel/quota.h>
#include <keel/slab.h>
#include <keel/phys.h>
#include <keel/assert.h>
#include <keel/pt_walk.h>
#include <uapi/keel/err.h>

/* The directory from address to mapping: levels of 512-entry tables, the last holding the
 * mappings of 4 KiB pages. As many as the space needs: three cover 2^39 bytes (a task), four
 * 2^48 (a riscv64 VM task's guest-physical space beyond Sv39x4's 2^41). A 2 MiB mapping sits one
 * level up, in the slot that would point to a table of pages, a 1 GiB one two levels up; both
 * are marked by the pointer's low bit. */
#define LEVEL_BITS 9
#define LEVEL_ENTRIES (1u << LEVEL_BITS)
#define BLOCK_MARK ((uintptr_t)1)

static unsigned index_at(const struct memspace *ms, vaddr_t va, unsigned d)
{
    return (unsigned)(va_val(va) >> (PAGE_SHIFT + LEVEL_BITS * (ms->dir_levels - 1 - d))) &
           (LEVEL_ENTRIES - 1);
}

static bool is_block(const void *slot)
{
    return (uintptr_t)slot & BLOCK_MARK;
}

static struct mem_map *block_of(void *slot)
{
    return (struct mem_map *)((uintptr_t)slot & ~BLOCK_MARK);
}

static struct mem_map *map_of(struct mapnode *n)
{
    return container_of(n, struct mem_map, node);
}

static uint64_t size_of(const struct mem_map *m)
{
    return pt_level_size(m->level);
}

static uint64_t end_of(const struct mem_map *m)
{
    return va_val(m->va) + size_of(m);
}

/* What a directory slot holds for m: a block's pointer is marked. */
static void *slot_value(struct mem_map *m)
{
    return m->level ? (void *)((uintptr_t)m | BLOCK_MARK) : m;
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

bool memspace_level_ok(const struct memspace *ms, unsigned level)
{
    return level <= MEMSPACE_MAX_LEVEL && (arch_pt_leaf_levels(&ms->pt) & (1u << level));
}

/* The slot for a mapping of `level` at va; with create, missing tables are made. NULL when a
 * table is missing (or cannot be made) or a block maps va on the way there. */
static void **slot_for(struct memspace *ms, vaddr_t va, unsigned level, bool create)
{
    if (va_val(va) >= memspace_va_limit(ms)) {
        return NULL;
    }
    unsigned last = ms->dir_levels - 1 - level;
    void ***table = (void ***)&ms->dir;
    for (unsigned d = 0;; d++) {
        if (!*table) {
            if (!create || !(*table = quota_alloc(ms->quota, PAGE_SIZE))) {
                return NULL;
            }
        }
        void **slot = &(*table)[index_at(ms, va, d)];
        if (d == last) {
            return slot;
        }
        if (is_block(*slot)) {
            return NULL;
        }
        table = (void ***)slot;
    }
}

struct mem_map *memspace_lookup(struct memspace *ms, vaddr_t va)
{
    if (va_val(va) >= memspace_va_limit(ms)) {
        return NULL;
    }
    void **table = ms->dir;
    for (unsigned d = 0; table; d++) {
        void *e = table[index_at(ms, va, d)];
        if (d == ms->dir_levels - 1) {
            return e;
        }
        if (is_block(e)) {
            return block_of(e);
        }
        table = e;
    }
    return NULL;
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
        unsigned d = 0;
        void *e;
        while ((e = table[index_at(ms, va_init(a), d)]) != NULL && d < ms->dir_levels - 1 &&
               !is_block(e)) {
            table = e;
            d++;
        }
        if (e && (d == ms->dir_levels - 1 || is_block(e))) {
            struct mem_map *m = d == ms->dir_levels - 1 ? e : block_of(e);
            *va = va_init(a > va_val(m->va) ? a : va_val(m->va));
            return m;
        }
        /* A hole as large as the empty slot covers: skip it. */
        uint64_t span = 1ull << (PAGE_SHIFT + LEVEL_BITS * (ms->dir_levels - 1 - d));
        a = (a | (span - 1)) + 1;
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
    arch_pt_unmap(&ms->pt, m->va, m->level);
    void **s = slot_for(ms, m->va, m->level, false);
    if (s) {
        *s = NULL;
    }
    quota_free(ms->quota, m, sizeof(*m));
}

static void remove_leaf(struct mapnode *n, struct mapnode *parent)
{
    map_of(parent)->children--;
    remove_one(map_of(n));
}

/* Whether child c of block b is as large as b: what must be split before b is. A block keeps
 * those first among its children, so that they are found without walking the others. */
static bool whole_child(const struct mem_map *b, const struct mapnode *c)
{
    return c && container_of(c, const struct mem_map, node)->level == b->level;
}

/* How many children block b has of its own size. At most MEMSPACE_BLOCK_MAX_BLOCKS steps. */
static unsigned whole_children(const struct mem_map *b)
{
    unsigned n = 0;
    for (const struct mapnode *c = b->node.child; whole_child(b, c); c = c->next) {
        n++;
    }
    return n;
}

/* The last of block b's children of its own size, but `skip` (NULL: none). */
static struct mapnode *last_whole_child(struct mem_map *b, const struct mapnode *skip)
{
    struct mapnode *last = NULL;
    for (struct mapnode *c = b->node.child; c && (c == skip || whole_child(b, c)); c = c->next) {
        last = c != skip ? c : last;
    }
    return last;
}

/* Links m below parent (NULL: a root), after parent's children of parent's size when m is
 * smaller. O(those children). */
static void link_child(struct mem_map *parent, struct mem_map *m)
{
    struct mapnode *after = NULL;
    if (parent && m->level < parent->level) {
        after = last_whole_child(parent, NULL);
    }
    KASSERT(!parent || !mapdb_revoking(&parent->node)); /* mapdb_may_link() was asked */
    mapdb_adopt_after(parent ? &parent->node : NULL, after, &m->node);
    if (parent) {
        parent->children++;
    }
}

/* Whether m, or a mapping it was mapped from, is in ms and maps part of [va, va + size): what
 * a map or grant of m there would take away from under it. At most MAPDB_MAX_DEPTH steps. */
static bool derives_from_range(const struct mem_map *m, const struct memspace *ms, vaddr_t va,
                               uint64_t size)
{
    for (const struct mapnode *n = m ? &m->node : NULL; n; n = n->parent) {
        const struct mem_map *a = container_of(n, const struct mem_map, node);
        if (a->space == ms && va_val(a->va) < va_val(va) + size && end_of(a) > va_val(va)) {
            return true;
        }
    }
    return false;
}

/* What was mapped from m, then with self m itself; false when the budget (NULL: none) ran out
 * first, the rest left for the next call. */
static bool unmap_one(struct mem_map *m, bool self, unsigned *budget)
{
    if (!mapdb_revoke_children(&m->node, remove_leaf, budget)) {
        return false;
    }
    if (self) {
        if (!mapdb_spend(budget)) {
            return false;
        }
        if (m->node.parent) {
            map_of(m->node.parent)->children--;
        }
        mapdb_unlink_leaf(&m->node);
        remove_one(m);
    }
    return true;
}

/* Splits block b (whose children are all smaller than it) into the 512 mappings of the next
 * size down: b becomes the first, 511 new records the others, each a child of b's parent (or a
 * root), and each child of b goes below the piece it falls in. The directory slot and the
 * page-table block become tables. Charged to b's space's quota: -KEEL_ENOMEM changes nothing;
 * so does -KEEL_EBUSY, when b's parent is a block that cannot take 511 more children.
 * O(MEMSPACE_BLOCK_MAX_CHILDREN). */
static int split_block(struct mem_map *b)
{
    struct memspace *ms = b->space;
    unsigned level = b->level;
    KASSERT(level > 0);
    struct mem_map *parent = b->node.parent ? map_of(b->node.parent) : NULL;
    if (parent && parent->level > 0 &&
        parent->children + (LEVEL_ENTRIES - 1) > MEMSPACE_BLOCK_MAX_CHILDREN) {
        return -KEEL_EBUSY;
    }
    void **slot = slot_for(ms, b->va, level, false);
    struct mem_map **pieces = quota_alloc(ms->quota, PAGE_SIZE); /* becomes the new table */
    if (!slot || !pieces) {
        quota_free(ms->quota, pieces, PAGE_SIZE);
        return -KEEL_ENOMEM;
    }
    uint64_t piece_size = pt_level_size(level - 1);
    if (level > 1) {
        /* b's children of a piece's size become its pieces' children of their own size: at most
         * MEMSPACE_BLOCK_MAX_BLOCKS each (counted in the new table's page, zeroed). */
        uint64_t *whole = (uint64_t *)pieces;
        for (struct mapnode *c = b->node.child; c; c = c->next) {
            if (map_of(c)->level == level - 1 &&
                ++whole[(pfn_val(map_of(c)->pfn) - pfn_val(b->pfn)) / (piece_size >> PAGE_SHIFT)] >
                    MEMSPACE_BLOCK_MAX_BLOCKS) {
                quota_free(ms->quota, pieces, PAGE_SIZE);
                return -KEEL_EBUSY;
            }
        }
    }
    unsigned i;
    for (i = 1; i < LEVEL_ENTRIES && (pieces[i] = quota_alloc(ms->quota, sizeof(*b))); i++) {
    }
    if (i < LEVEL_ENTRIES || arch_pt_split(&ms->pt, ms->quota, b->va, level) != 0) {
        while (--i > 0) {
            quota_free(ms->quota, pieces[i], sizeof(*b));
        }
        quota_free(ms->quota, pieces, PAGE_SIZE);
        return -KEEL_ENOMEM;
    }
    /* b, smaller now, leaves its parent's children of its old size; its 511 siblings follow it. */
    b->level = (uint8_t)(level - 1);
    if (parent && parent->level == level) {
        mapdb_move_after(&b->node, &parent->node, last_whole_child(parent, &b->node));
    }
    /* A revocation in steps that marked b goes on by address over the pieces, marking the one it
     * stops in: b's mark would stay on the first piece for ever (no more maps from it). */
    mapdb_unmark_revoking(&b->node);
    pieces[0] = b;
    for (i = 1; i < LEVEL_ENTRIES; i++) {
        *pieces[i] = (struct mem_map){ .space = ms,
                                       .va = va_add(b->va, i * piece_size),
                                       .pfn = pfn_init(pfn_val(b->pfn) +
                                                       i * (piece_size >> PAGE_SHIFT)),
                                       .rights = b->rights,
                                       .level = b->level };
        mapdb_adopt_after(b->node.parent, b->node.parent ? &pieces[i - 1]->node : NULL,
                          &pieces[i]->node);
        if (parent) {
            parent->children++;
        }
    }
    /* Each child to the head of its piece's list: the smaller ones first, then those of a
     * piece's size, which so come first, as a block's must. */
    for (unsigned whole = 0; whole < 2; whole++) {
        for (struct mapnode *c = b->node.child, *next; c; c = next) {
            next = c->next;
            struct mem_map *cm = map_of(c);
            KASSERT(cm->level < level);
            if ((cm->level == level - 1) != whole) {
                continue;
            }
            uint64_t k = (pfn_val(cm->pfn) - pfn_val(b->pfn)) / (piece_size >> PAGE_SHIFT);
            KASSERT(k < LEVEL_ENTRIES);
            mapdb_move(c, &pieces[k]->node);
            b->children--;
            pieces[k]->children++;
        }
    }
    for (i = 0; i < LEVEL_ENTRIES; i++) {
        ((void **)pieces)[i] = slot_value(pieces[i]);
    }
    *slot = pieces;
    return 0;
}

/* Units of a bounded walk's budget one split costs (a unit per 32 records, as for slots). */
#define SPLIT_COST (LEVEL_ENTRIES / SLOTS_PER_UNIT)

/*
 * Splits block m one size down, what was mapped from it as large as it first, and from those
 * what was mapped as large as them, deepest first (a block is split once its children are all
 * smaller than it). 1 when done; 0 when the budget ran out first (the next call goes on: what is
 * split stays split); -KEEL_ENOMEM when a block's quota could not pay for its pieces (or its
 * parent, a block, has no room for them: EBUSY): that block is left whole, and *failed says which.
 */
static int split_tree(struct mem_map *m, unsigned *budget, struct mem_map **failed)
{
    for (unsigned level = m->level; m->level == level;) {
        struct mem_map *cur = m;
        while (whole_child(cur, cur->node.child)) {
            cur = map_of(cur->node.child);
        }
        if (budget && *budget < SPLIT_COST) {
            *budget = 0;
            return 0;
        }
        if (budget) {
            *budget -= SPLIT_COST;
        }
        int err = split_block(cur);
        if (err) {
            *failed = cur;
            return err;
        }
    }
    return 1;
}

int memspace_split(struct mem_map *m, unsigned *budget)
{
    struct mem_map *failed;
    return split_tree(m, budget, &failed);
}

/* Removes what was mapped from the pages of block m in [from, to): a child wholly in there goes
 * (with what was mapped from it), one partly in there is split first (one whose quota cannot pay
 * for that goes whole). The budget pays for what is removed and split, not for the children
 * passed over: a call that stops starts again at the first child, so charging those would let a
 * block with more children than a step's budget never finish. A scan is at most
 * MEMSPACE_BLOCK_MAX_CHILDREN long, and starts again after a split. */
static bool unmap_children_in(struct mem_map *m, uint64_t from, uint64_t to, unsigned *budget)
{
    uint64_t lo = pfn_val(m->pfn) + ((from - va_val(m->va)) >> PAGE_SHIFT);
    uint64_t hi = pfn_val(m->pfn) + ((to - va_val(m->va)) >> PAGE_SHIFT);
    for (struct mapnode *c = m->node.child, *next; c; c = next) {
        next = c->next;
        struct mem_map *cm = map_of(c);
        uint64_t c_lo = pfn_val(cm->pfn), c_hi = c_lo + (size_of(cm) >> PAGE_SHIFT);
        if (c_hi <= lo || c_lo >= hi) {
            continue;
        }
        if (c_lo >= lo && c_hi <= hi) {
            if (!unmap_one(cm, true, budget)) {
                return false;
            }
            continue;
        }
        struct mem_map *failed;
        int r = split_tree(cm, budget, &failed);
        if (r == 0 || (r < 0 && !unmap_one(failed, true, budget))) {
            return false;
        }
        next = m->node.child; /* the pieces are among m's children now: look again */
    }
    return true;
}

bool memspace_unmap_bounded(struct memspace *ms, vaddr_t *va, vaddr_t end, bool self,
                            unsigned *budget)
{
    struct mem_map *m;
    while ((m = memspace_next_bounded(ms, va, end, budget))) {
        uint64_t m_end = end_of(m);
        if (m->level > 0 && (va_val(m->va) < va_val(*va) || m_end > va_val(end))) {
            /* A part of a block: with self, the block is split one size down (the pieces are
             * looked at again); without, it stays and loses what was mapped from the part. */
            if (self) {
                struct mem_map *failed;
                int r = split_tree(m, budget, &failed);
                /* A block whose quota cannot pay for its pieces goes whole, with what was
                 * mapped from it, so that a revocation always completes. */
                if (r == 0 || (r < 0 && !unmap_one(failed, true, budget))) {
                    return false;
                }
                continue; /* look at *va again */
            }
            uint64_t to = m_end < va_val(end) ? m_end : va_val(end);
            if (!unmap_children_in(m, va_val(*va), to, budget)) {
                /* Nothing new is mapped from m until this part is done (it starts again at m's
                 * first child): else a deriver on another CPU could keep it from ending. */
                mapdb_mark_revoking(&m->node);
                return false;
            }
            mapdb_unmark_revoking(&m->node);
            *va = va_init(to);
            continue;
        }
        if (!unmap_one(m, self, budget)) {
            return false; /* *va is m's address: it goes on there */
        }
        *va = va_init(m_end);
    }
    return va_val(*va) >= va_val(end); /* else the walk's budget ran out at *va */
}

void memspace_unmap(struct memspace *ms, vaddr_t va, uint64_t size, bool self)
{
    memspace_unmap_bounded(ms, &va, va_add(va, size), self, NULL);
}

bool memspace_map_revokes(struct memspace *ms, vaddr_t va, unsigned level, struct mem_map *src,
                          pfn_t pfn, bool grant)
{
    vaddr_t a = va, end = va_add(va, pt_level_size(level));
    if (derives_from_range(src, ms, va, pt_level_size(level))) {
        return false; /* refused (EEXIST) before any work */
    }
    struct mem_map *o = memspace_lookup(ms, va); /* (a block may start before va) */
    if (!o) {
        o = memspace_next(ms, &a, end);
    }
    for (; o; o = memspace_next(ms, &a, end)) {
        /* Nothing passed on from there, or src itself; and a map of the same frames from the
         * same parent widens the mapping in place. */
        bool same = !grant && va_val(o->va) == va_val(va) && o->level == level &&
                    pfn_val(o->pfn) == pfn_val(pfn) && o->node.parent == &src->node;
        if (o->node.child && o != src && !same) {
            return true;
        }
        a = va_init(end_of(o));
    }
    return false;
}

int memspace_clear_for_map(struct memspace *ms, vaddr_t va, unsigned level, struct mem_map *src,
                           pfn_t pfn, bool grant, unsigned *budget)
{
    uint64_t size = pt_level_size(level);
    struct mem_map *old = memspace_lookup(ms, va);
    if (!old && level == 0) {
        return 1; /* an empty page: nothing to clear (the common case, kept short) */
    }
    if (derives_from_range(src, ms, va, size)) {
        return 1; /* the map says EEXIST (or maps a part of src onto itself): nothing to clear */
    }
    if (old && va_val(old->va) == va_val(va) && old->level == level &&
        pfn_val(old->pfn) == pfn_val(pfn) &&
        (grant ? old == src : old->node.parent == &src->node)) {
        return 1; /* the same mapping again (its rights widened in place), or a grant to itself */
    }
    vaddr_t v = va;
    return memspace_unmap_bounded(ms, &v, va_add(va, size), true, budget) ? 1 : 0;
}

static void free_tables(struct memspace *ms, void **table, unsigned d);

/* The place for a new mapping of `level` at va, where nothing is mapped any more: a block's slot
 * may still hold empty tables (of a block split before), which go. */
static void **empty_slot(struct memspace *ms, vaddr_t va, unsigned level)
{
    void **s = slot_for(ms, va, level, true);
    if (s && *s) {
        KASSERT(level > 0 && !is_block(*s)); /* (and empty: memspace_map unmapped the range) */
        free_tables(ms, *s, ms->dir_levels - level);
        *s = NULL;
    }
    return s;
}

int memspace_map(struct memspace *ms, vaddr_t va, pfn_t pfn, unsigned level, unsigned rights,
                 struct mem_map *parent)
{
    uint64_t size = pt_level_size(level);
    if (!memspace_level_ok(ms, level) || !va_is_aligned(va, size) ||
        (pfn_val(pfn) & ((size >> PAGE_SHIFT) - 1)) || va_val(va) >= memspace_va_limit(ms) ||
        size > memspace_va_limit(ms) - va_val(va)) {
        return -KEEL_ERANGE;
    }
    struct mem_map *old = memspace_lookup(ms, va);
    if (old && va_val(old->va) == va_val(va) && old->level == level &&
        pfn_val(old->pfn) == pfn_val(pfn) &&
        (old == parent || old->node.parent == (parent ? &parent->node : NULL))) {
        /* The same mapping again: widen its rights in place (its children stay). From another
         * source it is replaced below instead, so that this source alone can revoke what it
         * gives. */
        unsigned wider = (old->rights | rights) & 0xffffu;
        if (old == parent || wider == old->rights) {
            return 0;
        }
        int err = arch_pt_map(&ms->pt, ms->quota, va, pa_from_pfn(pfn), level, wider,
                              !phys_is_ram(pfn));
        if (!err) {
            old->rights = wider;
        }
        return err;
    }
    if (old && old == parent &&
        pfn_val(pfn) == pfn_val(old->pfn) + ((va_val(va) - va_val(old->va)) >> PAGE_SHIFT)) {
        return 0; /* a part of parent onto itself */
    }
    /* Nothing there (a page's range is its own slot): nothing to remove, nothing to refuse. */
    bool empty = !old && level == 0;
    /* Replacing a mapping the new one derives from would revoke the source. */
    if (!empty && derives_from_range(parent, ms, va, size)) {
        return -KEEL_EEXIST;
    }
    if (parent && (parent->level < level || pfn_val(pfn) < pfn_val(parent->pfn) ||
                   pfn_val(pfn) + (size >> PAGE_SHIFT) >
                       pfn_val(parent->pfn) + (size_of(parent) >> PAGE_SHIFT))) {
        return -KEEL_EINVAL; /* parent does not map all of it */
    }
    /* A root block (sigma0's: the root task did not choose its size) with no room for more
     * children is split one size down, so that its pieces take them: once, or twice for a GiB
     * whose 2 MiB piece is full too (a page has no bound). Only one with no children of its own
     * size: splitting those first could be unbounded work here. O(MEMSPACE_BLOCK_MAX_CHILDREN). */
    while (parent && !parent->node.parent && level < parent->level &&
           parent->children >= MEMSPACE_BLOCK_MAX_CHILDREN &&
           !whole_child(parent, parent->node.child) && !mapdb_revoking(&parent->node)) {
        struct memspace *ps = parent->space;
        vaddr_t at = va_add(parent->va, (pfn_val(pfn) - pfn_val(parent->pfn)) << PAGE_SHIFT);
        int split = split_block(parent);
        if (split) {
            return split;
        }
        parent = memspace_lookup(ps, at);
        old = memspace_lookup(ms, va);
    }
    /* What is replaced goes first: one of parent's own (a page mapped again) gives its room. */
    bool replaces_child = parent && old && old->node.parent == &parent->node &&
                          va_val(old->va) >= va_val(va) && end_of(old) <= va_val(va) + size;
    if (parent && parent->level > 0 &&
        parent->children - replaces_child >= MEMSPACE_BLOCK_MAX_CHILDREN) {
        return -KEEL_EBUSY; /* a block passed on that many times: pass on its pages' mappings */
    }
    if (parent && level > 0 && level == parent->level &&
        whole_children(parent) - (replaces_child && old->level == level) >=
            MEMSPACE_BLOCK_MAX_BLOCKS) {
        return -KEEL_EBUSY; /* whole: the walk past them when a smaller one is linked stays short */
    }
    int err = parent ? mapdb_may_link(&parent->node) : 0;
    if (err) {
        return err; /* too deep, or parent is being revoked */
    }
    /* The directory's tables first, then the new record: when the quota has no room for them,
     * what was at va stays. (Under a block, the split makes the table.) */
    if (!slot_for(ms, va, level, true) && !(old && old->level > level)) {
        return -KEEL_ENOMEM;
    }
    struct mem_map *m = quota_alloc(ms->quota, sizeof(*m));
    if (!m) {
        return -KEEL_ENOMEM;
    }
    if (!empty) {
        memspace_unmap(ms, va, size, true); /* whatever was there, with what came from it */
    }
    void **s = empty_slot(ms, va, level);
    err = s ? arch_pt_map(&ms->pt, ms->quota, va, pa_from_pfn(pfn), level, rights,
                          !phys_is_ram(pfn))
            : -KEEL_ENOMEM;
    if (err) {
        quota_free(ms->quota, m, sizeof(*m));
        return err;
    }
    *m = (struct mem_map){
        .space = ms, .va = va, .pfn = pfn, .rights = (uint16_t)rights, .level = (uint8_t)level
    };
    link_child(parent, m);
    *s = slot_value(m);
    return 0;
}

int memspace_grant(struct memspace *ms, vaddr_t va, struct mem_map *src, unsigned rights)
{
    uint64_t size = size_of(src);
    if (!memspace_level_ok(ms, src->level) || !va_is_aligned(va, size) ||
        va_val(va) >= memspace_va_limit(ms) || size > memspace_va_limit(ms) - va_val(va)) {
        return -KEEL_ERANGE;
    }
    if (memspace_lookup(ms, va) == src) {
        return 0; /* granted to itself */
    }
    if (derives_from_range(src, ms, va, size)) {
        return -KEEL_EEXIST; /* src would go with what is at va */
    }
    /* The record itself moves, with its place in the tree (what was mapped from it stays below
     * it: nothing to re-link), and ms's quota takes over its charge. What can fail comes first:
     * the charge, the slot, the page-table entry. */
    uint64_t charge = slab_class_size(sizeof(*src));
    if (quota_charge(ms->quota, charge) != 0) {
        return -KEEL_ENOMEM;
    }
    memspace_unmap(ms, va, size, true); /* whatever is at va goes, even the same frame */
    rights &= src->rights; /* (what was mapped from it keeps its own) */
    void **s = empty_slot(ms, va, src->level);
    int err = s ? arch_pt_map(&ms->pt, ms->quota, va, pa_from_pfn(src->pfn), src->level, rights,
                              !phys_is_ram(src->pfn))
                : -KEEL_ENOMEM;
    if (err) {
        quota_uncharge(ms->quota, charge);
        return err;
    }
    struct memspace *from = src->space;
    arch_pt_unmap(&from->pt, src->va, src->level);
    void **fs = slot_for(from, src->va, src->level, false);
    if (fs) {
        *fs = NULL;
    }
    quota_uncharge(from->quota, charge);
    src->space = ms;
    src->va = va;
    src->rights = rights;
    *s = slot_value(src);
    return 0;
}

static void free_tables(struct memspace *ms, void **table, unsigned d)
{
    if (!table || is_block(table)) {
        return;
    }
    if (d < ms->dir_levels - 1) {
        for (unsigned i = 0; i < LEVEL_ENTRIES; i++) {
            free_tables(ms, table[i], d + 1);
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
