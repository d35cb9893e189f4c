/* SPDX-License-Identifier: MIT */
/*
 * A task's memory space: which page is mapped at each virtual address, and from where it came.
 *
 *   memspace.dir ─> [512] ─> [512] ─> [512 x struct mem_map*]    (39-bit VA, 4 KiB pages)
 *                    │        └─ or a 2 MiB block's struct mem_map* (marked) in place of a table
 *                    └─ or a 1 GiB block's struct mem_map* (marked) in place of a table
 *   struct mem_map: pfn, rights, level, mapdb node (parent = the mapping it was mapped from)
 *
 * A mapping is a 4 KiB page (level 0), a 2 MiB block (level 1) or a 1 GiB block (level 2, where
 * the page table has them): one record and one page-table entry each. A block may be mapped on
 * whole or in parts of the smaller sizes; nothing is mapped on larger than it is. A block is
 * split one size down (and what was mapped from it whole, first) only when a part of it is
 * unmapped or granted: a 1 GiB block with one page unmapped is 511 blocks of 2 MiB and 511 pages.
 *
 * The hardware page table (arch_pt) mirrors it. Root mappings (no parent) are made by the kernel
 * for the root task from physical memory; every other mapping derives from one, and unmapping a
 * page removes everything mapped from it, in every task.
 */
#pragma once
#include <keel/addr.h>
#include <keel/mapdb.h>
#include <keel/list.h>
#include <keel/arch/pt.h>

struct quota;
struct memspace;

struct mem_map {
    struct mapnode node;
    struct memspace *space;
    vaddr_t va;
    pfn_t pfn;      /* the first frame */
    uint16_t rights;
    uint8_t level; /* 0: a 4 KiB page; 1: a 2 MiB block; 2: 1 GiB (keel/pt_walk.h's levels) */
    uint8_t unused;
    uint32_t children; /* mappings made from this one (its mapdb children) */
};

/* How many mappings a block may have made from it directly (its children: those of its own
 * size first, then the smaller ones). A map from a block that has them all fails with EBUSY.
 * Every walk over a block's children (splitting it, taking a part of it back from them) is
 * bounded by this. */
#define MEMSPACE_BLOCK_MAX_CHILDREN 4096u
/* ... of them of its own size (mapped on whole), which come first: linking a smaller one walks
 * past them. */
#define MEMSPACE_BLOCK_MAX_BLOCKS 64u

/* The largest mapping the mapping database keeps as one record: 1 GiB. */
#define MEMSPACE_MAX_LEVEL 2u

struct memspace {
    void **dir;
    unsigned dir_levels; /* of dir: enough for memspace_va_limit() */
    struct arch_pt pt;
    struct quota *quota;
};

/* Where the space ends: addresses (guest-physical in a VM task) below it can be mapped. */
uint64_t memspace_va_limit(const struct memspace *ms);
/* An empty space; guest: a VM task's guest-physical space (arch_pt_init). */
int memspace_init(struct memspace *ms, struct quota *q, bool guest);
/* Unmaps everything (revoking what others mapped from here); the tables stay. */
void memspace_unmap_all(struct memspace *ms);
/* The same in bounded steps: from *va on, at most *budget mappings removed (NULL: no bound).
 * Returns true when the space is empty; else false, *va where the next call goes on. */
bool memspace_drain(struct memspace *ms, vaddr_t *va, unsigned *budget);
/* Frees the tables of an empty memspace; no CPU may be using its page table any more. */
void memspace_free(struct memspace *ms);
/* Whether ms keeps mappings of `level` as one (MEMSPACE_MAX_LEVEL, and its page table's). */
bool memspace_level_ok(const struct memspace *ms, unsigned level);
/* The mapping that maps va (a block may start below it), or NULL. */
struct mem_map *memspace_lookup(struct memspace *ms, vaddr_t va);
/* The first mapping that maps an address in [*va, end), with *va set to the first such address
 * (a block's may be below it), or NULL (*va set to end). Absent tables are skipped whole, so a walk over a large, mostly empty range costs little;
 * present ones are looked at slot by slot. */
struct mem_map *memspace_next(struct memspace *ms, vaddr_t *va, vaddr_t end);
/* The same within a budget (NULL: none), a unit per 32 slots looked at: NULL with *va where it
 * stopped when the budget ran out (then *va < end), else as memspace_next. */
struct mem_map *memspace_next_bounded(struct memspace *ms, vaddr_t *va, vaddr_t end,
                                      unsigned *budget);
/* Maps the frames from pfn at va as one mapping of `level` (both aligned to its size) with rights,
 * as a child of parent (NULL: a root mapping), which maps those frames and is at least as large.
 * What is mapped in the range is removed first (with its children; a block around it split),
 * unless it is the same frames mapped again from the same parent, whose rights are then widened
 * up to the new ones, or parent itself (nothing to do). Returns 0 or -KEEL_ENOMEM (no room for
 * the directory or the record: nothing changed; for a page table: what was in the range may be
 * gone) / -KEEL_ERANGE (also a level ms does not keep) / -KEEL_EEXIST (a mapping in the range
 * is one parent derives from: replacing it would revoke the source) / -KEEL_EINVAL (parent does
 * not map all of it). */
int memspace_map(struct memspace *ms, vaddr_t va, pfn_t pfn, unsigned level, unsigned rights,
                 struct mem_map *parent);
/* Splits block m one size down (2 MiB blocks into pages, 1 GiB into 2 MiB blocks), and first
 * what was mapped from it whole, deepest first, within a budget (NULL: none; 16 units a split):
 * 1 done, 0 when the budget ran out first (what is split stays split: the next call goes on), or
 * -KEEL_ENOMEM / -KEEL_EBUSY when a block could not be split (its quota, or its parent block's
 * room for children; the rest is unchanged). */
int memspace_split(struct mem_map *m, unsigned *budget);
/* Moves src's mapping to va in ms (grant) with at most rights: the record moves with its place in
 * the tree (what was mapped from it stays below it), and ms's quota takes over its charge; va is
 * aligned to src's size. What was in the range goes first (with its children); -KEEL_EEXIST
 * when src derives from it (nothing changed), -KEEL_ERANGE (nothing changed), -KEEL_ENOMEM (src
 * stays where it was; what was in the range may be gone). */
int memspace_grant(struct memspace *ms, vaddr_t va, struct mem_map *src, unsigned rights);
/* Whether mapping (grant: moving) pfn of src to va in ms as a mapping of `level` would first
 * revoke what was mapped on from a mapping in that range: work without a bound, which a caller
 * that cannot stop in between refuses and one that can does first in bounded steps
 * (memspace_unmap_bounded with self). At most 512 mappings looked at. */
bool memspace_map_revokes(struct memspace *ms, vaddr_t va, unsigned level, struct mem_map *src,
                          pfn_t pfn, bool grant);
/* Before a map (grant: a move) of pfn of src to va in ms as a mapping of `level`, in steps: what
 * is in that range goes (with what was mapped from it; a block around it split), unless the map
 * will refuse (EEXIST) or only widen the same mapping. 1 when done, 0 when the budget ran out
 * first (the next call goes on). Then memspace_map/grant do a bounded amount of work. */
int memspace_clear_for_map(struct memspace *ms, vaddr_t va, unsigned level, struct mem_map *src,
                           pfn_t pfn, bool grant, unsigned *budget);
/* Removes, for each page in [va, va + size), everything mapped from it; with self, the page too.
 * A block only partly in the range is split first (as far down as the range's ends need); one
 * whose quota cannot pay for that is removed whole instead (without self, what was mapped from
 * it), so that this always ends. */
void memspace_unmap(struct memspace *ms, vaddr_t va, uint64_t size, bool self);
/* The same from *va to end in address order, at most *budget units of work (a mapping removed,
 * or 32 slots looked at; NULL: no bound). Returns true when done; else false with *va where the
 * next call goes on. */
bool memspace_unmap_bounded(struct memspace *ms, vaddr_t *va, vaddr_t end, bool self,
                            unsigned *budget);
