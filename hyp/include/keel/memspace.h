/* SPDX-License-Identifier: MIT */
/*
 * A task's memory space: which page is mapped at each virtual address, and from where it came.
 *
 *   memspace.dir ─> [512] ─> [512] ─> [512 x struct mem_map*]    (39-bit VA, 4 KiB pages)
 *   struct mem_map: pfn, rights, mapdb node (parent = the mapping it was mapped from)
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
    pfn_t pfn;
    unsigned rights;
};

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
struct mem_map *memspace_lookup(struct memspace *ms, vaddr_t va);
/* The first mapping at or above *va and below end (set *va to its address), or NULL (*va set to
 * end). Absent tables are skipped whole, so a walk over a large, mostly empty range costs little;
 * present ones are looked at slot by slot. */
struct mem_map *memspace_next(struct memspace *ms, vaddr_t *va, vaddr_t end);
/* The same within a budget (NULL: none), a unit per 32 slots looked at: NULL with *va where it
 * stopped when the budget ran out (then *va < end), else as memspace_next. */
struct mem_map *memspace_next_bounded(struct memspace *ms, vaddr_t *va, vaddr_t end,
                                      unsigned *budget);
/* Maps pfn at va with rights as a child of parent (NULL: a root mapping). An existing mapping
 * at va is removed first (with its children), unless it is the same frame mapped again from the
 * same parent, whose rights are then widened up to the new ones, or parent itself (nothing to
 * do). Returns 0 or -KEEL_ENOMEM / -KEEL_ERANGE / -KEEL_EEXIST (the mapping at va is one parent
 * derives from: replacing it would revoke the source). */
int memspace_map(struct memspace *ms, vaddr_t va, pfn_t pfn, unsigned rights,
                 struct mem_map *parent);
/* Moves src's mapping to va in ms (grant) with at most rights: the record moves with its place in
 * the tree (what was mapped from it stays below it), and ms's quota takes over its charge. What was at va goes first
 * (with its children); -KEEL_EEXIST when src derives from it, -KEEL_ENOMEM (nothing changed). */
int memspace_grant(struct memspace *ms, vaddr_t va, struct mem_map *src, unsigned rights);
/* Whether mapping (grant: moving) src to va in ms would first revoke what was mapped on from the
 * mapping there: work without a bound, which a caller that cannot stop in between refuses and
 * one that can does first in bounded steps (memspace_unmap_bounded without self). */
bool memspace_map_revokes(struct memspace *ms, vaddr_t va, struct mem_map *src, bool grant);
/* Removes, for each page in [va, va + size), everything mapped from it; with self, the page too. */
void memspace_unmap(struct memspace *ms, vaddr_t va, uint64_t size, bool self);
/* The same from *va to end in address order, at most *budget units of work (a mapping removed,
 * or 32 slots looked at; NULL: no bound). Returns true when done; else false with *va where the
 * next call goes on. */
bool memspace_unmap_bounded(struct memspace *ms, vaddr_t *va, vaddr_t end, bool self,
                            unsigned *budget);
