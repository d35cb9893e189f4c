/* SPDX-License-Identifier: MIT */
/*
 * Test-side view of the fake page table (hyp/arch/fake/pt.c): what an entry holds, a log of every
 * arch_pt_map()/arch_pt_unmap() call, and fault injection. Only tests include this header.
 */
#pragma once
#include <stdbool.h>
#include <keel/addr.h>
#include <arch/mmu.h>

struct fake_pte {
    paddr_t pa;
    unsigned rights; /* KEEL_FP_R/W/X */
    bool device;
    unsigned level; /* of the leaf that maps the address (keel/pt_walk.h) */
};

enum fake_pt_op { FAKE_PT_MAP, FAKE_PT_UNMAP, FAKE_PT_SPLIT };

struct fake_pt_call {
    enum fake_pt_op op;
    const struct arch_pt *pt;
    vaddr_t va;
    paddr_t pa;        /* map only */
    unsigned rights;   /* map only */
    bool device;       /* map only */
    bool was_valid;    /* the entry was valid before the call */
    unsigned level;    /* of the leaf mapped, unmapped or split */
};

#define FAKE_PT_LOG_SIZE 4096u

/* Calls since the last fake_pt_log_reset(); entries past FAKE_PT_LOG_SIZE are counted only. */
extern struct fake_pt_call fake_pt_log[FAKE_PT_LOG_SIZE];
extern unsigned fake_pt_log_count;
void fake_pt_log_reset(void);

/* When nonzero, the next arch_pt_map() (or arch_pt_init()) fails with this error, then it is
 * cleared. */
extern int fake_pt_fail_map;
extern int fake_pt_fail_init;
extern int fake_pt_fail_split; /* the same for the next arch_pt_split() */

/* The entry for va: false when it is not valid. */
bool fake_pt_lookup(const struct arch_pt *pt, vaddr_t va, struct fake_pte *out);
