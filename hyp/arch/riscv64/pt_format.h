/* SPDX-License-Identifier: MIT */
/* RISC-V Sv39/Sv48 entries (see pt_format.c). */
#pragma once
#include <keel/pt_formats.h>
#include <uapi/keel/fpage.h>

#define PTE_V (1ull << 0)
#define PTE_R (1ull << 1)
#define PTE_W (1ull << 2)
#define PTE_X (1ull << 3)
#define PTE_U (1ull << 4)
#define PTE_A (1ull << 6)
#define PTE_D (1ull << 7)
#define PTE_RWX (PTE_R | PTE_W | PTE_X)
#define PTE_PPN_MASK ((1ull << 44) - 1)

static inline bool sv_valid(uint64_t e)
{
    return e & PTE_V;
}

static inline bool sv_is_leaf(uint64_t e, unsigned level)
{
    (void)level;
    return (e & PTE_RWX) != 0;
}

static inline uint64_t sv_ppn(paddr_t pa)
{
    return (pa_val(pa) >> 12) << 10;
}

static inline uint64_t sv_table(paddr_t next)
{
    return sv_ppn(next) | PTE_V;
}

static inline uint64_t sv_leaf(paddr_t pa, unsigned level, unsigned rights, bool device)
{
    (void)level, (void)device;
    uint64_t e = (rights & KEEL_FP_R ? PTE_R : 0) | (rights & KEEL_FP_W ? PTE_W | PTE_R : 0) |
                 (rights & KEEL_FP_X ? PTE_X : 0);
    if (!e) {
        return 0; /* no access: with V alone it would point to a table */
    }
    return sv_ppn(pa) | e | PTE_V | PTE_U | PTE_A | PTE_D;
}

static inline paddr_t sv_addr(uint64_t e)
{
    return pa_init(((e >> 10) & PTE_PPN_MASK) << 12);
}

static inline unsigned sv_rights(uint64_t e)
{
    return (e & PTE_R ? KEEL_FP_R : 0) | (e & PTE_W ? KEEL_FP_W : 0) | (e & PTE_X ? KEEL_FP_X : 0);
}

static inline bool sv_device(uint64_t e)
{
    (void)e;
    return false;
}

/* The format: its functions inline here, so that riscv64's pt.c, which has its own copy of
 * the struct, calls them directly. */
#define RISCV_SV_FORMAT                                                                            \
    {                                                                                              \
        .name = "riscv Sv39/Sv48", .leaf_levels = 7, .valid = sv_valid, .is_leaf = sv_is_leaf,     \
        .table = sv_table, .leaf = sv_leaf, .addr = sv_addr, .rights = sv_rights,                  \
        .device = sv_device,                                                                       \
    }
