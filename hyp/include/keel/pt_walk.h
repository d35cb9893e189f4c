/* SPDX-License-Identifier: MIT */
/*
 * The one page-table walker: radix tables of 512 eight-byte entries over 4 KiB pages, whatever
 * the entry format. Each architecture describes its format (struct pt_format: arm64 stage 2,
 * RISC-V Sv39/Sv48 and the G-stage, x86 4-level paging and NPT, Intel EPT; the fake
 * architecture's software format for host tests) and keeps only what is its own: TLB tags and
 * invalidation (hyp/arch/<arch>/pt.c).
 *
 * Levels count up from the leaves: level 0 maps 4 KiB, level 1 2 MiB, level 2 1 GiB. The root
 * is level `levels - 1` and may have more than 512 entries (RISC-V's x4 G-stage roots): its
 * index is not masked, the caller keeps addresses below the table's limit.
 *
 * Table pages are charged to a quota and freed to it; a table page is kernel memory reached
 * through kva_from_pa().
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <keel/addr.h>

struct quota;

#define PT_ENTRIES 512u
#define PT_LEVEL_BITS 9u

/* The bytes a leaf at level maps: 4 KiB, 2 MiB, 1 GiB. */
static inline uint64_t pt_level_size(unsigned level)
{
    return 1ull << (PAGE_SHIFT + PT_LEVEL_BITS * level);
}

/* An entry format. Every function is pure: it encodes or decodes one entry. */
struct pt_format {
    const char *name;
    unsigned leaf_levels; /* bit i set: a leaf may sit at level i (bit 0 always) */
    bool (*valid)(uint64_t e);
    /* A valid entry above level 0: whether it maps (a block) rather than points to a table. */
    bool (*is_leaf)(uint64_t e, unsigned level);
    uint64_t (*table)(paddr_t next);
    /* A leaf mapping pa at level with rights (KEEL_FP_R/W/X) and memory type. */
    uint64_t (*leaf)(paddr_t pa, unsigned level, unsigned rights, bool device);
    /* What a valid entry points to or maps. */
    paddr_t (*addr)(uint64_t e);
    /* A leaf's rights and memory type, as leaf() was given them (for splits and tests). */
    unsigned (*rights)(uint64_t e);
    bool (*device)(uint64_t e);
};

/* A table: its format, root (kernel virtual) and number of levels. */
struct pt_table {
    const struct pt_format *fmt;
    uint64_t *root;
    unsigned levels;
};

/* Frees the tables below the first n entries of table (at level), not table itself. */
void pt_free_below(const struct pt_format *f, uint64_t *table, unsigned level, unsigned n,
                   struct quota *q);
/* Frees the table a table entry at level points to, with every table below it. */
void pt_free_table(const struct pt_format *f, uint64_t e, unsigned level, struct quota *q);
/* A new table at level - 1 whose 512 leaves map what the leaf `block` at level maps, with its
 * rights and type (charged to q; NULL when it has no room): the table that replaces a block
 * when a part of it is unmapped. */
uint64_t *pt_split_block(const struct pt_format *f, uint64_t block, unsigned level,
                         struct quota *q);

/* Inline parts of the walker (kernel memory through kva_from_pa, quota for new tables). */
#include <keel/quota.h>
#include <arch/mmu.h>

static inline unsigned pt_index_at(const struct pt_table *t, vaddr_t va, unsigned level)
{
    uint64_t i = va_val(va) >> (PAGE_SHIFT + PT_LEVEL_BITS * level);
    return (unsigned)(level == t->levels - 1 ? i : i & (PT_ENTRIES - 1));
}

/*
 * The walker's two loops, written once, for a format given as four function-like macros of
 * (table, entry): VALID, IS_LEAF (with the level as a third argument), TABLE (of a next table's
 * physical address) and ADDR. PT_WALKER(pt, ...) below makes pt_entry() and pt_lookup() over
 * the table's own format (struct pt_format's functions); an architecture whose format is fixed
 * makes its own pair over its inline entry functions (arch/<arch>/pt_format.h), so that the walk
 * that every map and unmap takes calls nothing.
 *
 * <name>_entry(t, va, level, q): the entry at `level` for va. Missing tables on the way are made
 * when q is given (charged to it); else, or when q has no room, NULL. NULL too when a leaf above
 * `level` maps va (a block: the caller splits it first).
 * <name>_lookup(t, va, &level): the valid leaf that maps va, with its level; NULL when none does.
 * <name>_leaf_at(t, va, level): the entry at `level` for va when it is a valid leaf, else NULL
 * (what an unmap or a split of a mapping of that level acts on).
 */
#define PT_WALKER(name, VALID, IS_LEAF, TABLE, ADDR)                                               \
    static inline uint64_t *name##_entry(const struct pt_table *t, vaddr_t va, unsigned level,     \
                                         struct quota *q)                                          \
    {                                                                                              \
        uint64_t *table = t->root;                                                                 \
        for (unsigned l = t->levels - 1; l > level; l--) {                                         \
            uint64_t *e = &table[pt_index_at(t, va, l)];                                           \
            if (!VALID(t, *e)) {                                                                   \
                uint64_t *next = q ? quota_alloc(q, PAGE_SIZE) : NULL;                             \
                if (!next) {                                                                       \
                    return NULL;                                                                   \
                }                                                                                  \
                arch_pt_publish();                                                                 \
                *e = TABLE(t, pa_from_kva(next));                                                  \
            } else if (IS_LEAF(t, *e, l)) {                                                        \
                return NULL;                                                                       \
            }                                                                                      \
            table = kva_from_pa(ADDR(t, *e));                                                      \
        }                                                                                          \
        return &table[pt_index_at(t, va, level)];                                                  \
    }                                                                                              \
    static inline const uint64_t *name##_lookup(const struct pt_table *t, vaddr_t va,              \
                                                unsigned *level)                                   \
    {                                                                                              \
        const uint64_t *table = t->root;                                                           \
        for (unsigned l = t->levels - 1;; l--) {                                                   \
            const uint64_t *e = &table[pt_index_at(t, va, l)];                                     \
            if (!VALID(t, *e)) {                                                                   \
                return NULL;                                                                       \
            }                                                                                      \
            if (l == 0 || IS_LEAF(t, *e, l)) {                                                     \
                *level = l;                                                                        \
                return e;                                                                          \
            }                                                                                      \
            table = kva_from_pa(ADDR(t, *e));                                                      \
        }                                                                                          \
    }                                                                                              \
    static inline uint64_t *name##_leaf_at(const struct pt_table *t, vaddr_t va, unsigned level)   \
    {                                                                                              \
        uint64_t *e = name##_entry(t, va, level, NULL);                                            \
        return e && VALID(t, *e) && (level == 0 || IS_LEAF(t, *e, level)) ? e : NULL;              \
    }

#define PT_FMT_VALID(t, e) ((t)->fmt->valid(e))
#define PT_FMT_IS_LEAF(t, e, l) ((t)->fmt->is_leaf((e), (l)))
#define PT_FMT_TABLE(t, pa) ((t)->fmt->table(pa))
#define PT_FMT_ADDR(t, e) ((t)->fmt->addr(e))
PT_WALKER(pt, PT_FMT_VALID, PT_FMT_IS_LEAF, PT_FMT_TABLE, PT_FMT_ADDR)
