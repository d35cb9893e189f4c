/* SPDX-License-Identifier: MIT */
/* x86-64 paging entries (see pt_format.c). */
#pragma once
#include <keel/pt_formats.h>
#include <uapi/keel/fpage.h>

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

static inline bool x86_valid(uint64_t e)
{
    return e & PTE_P;
}

static inline bool x86_is_leaf(uint64_t e, unsigned level)
{
    return level == 0 || (e & PTE_PS);
}

static inline uint64_t x86_table(paddr_t next)
{
    return (pa_val(next) & PTE_ADDR) | PTE_P | PTE_W | PTE_U;
}

static inline uint64_t x86_leaf_common(paddr_t pa, unsigned level, unsigned rights, bool device)
{
    return (pa_val(pa) & PTE_ADDR) | PTE_P | PTE_U | PTE_A | (level ? PTE_PS : 0) |
           (rights & KEEL_FP_W ? PTE_W | PTE_D : 0) | (device ? PTE_PCD | PTE_PWT : 0);
}

static inline uint64_t x86_leaf(paddr_t pa, unsigned level, unsigned rights, bool device)
{
    return x86_leaf_common(pa, level, rights, device) | (rights & KEEL_FP_X ? 0 : PTE_NX);
}

static inline uint64_t x86_leaf_nonx(paddr_t pa, unsigned level, unsigned rights, bool device)
{
    return x86_leaf_common(pa, level, rights, device);
}

static inline paddr_t x86_addr(uint64_t e)
{
    return pa_init(e & PTE_ADDR);
}

static inline unsigned x86_rights(uint64_t e)
{
    return KEEL_FP_R | (e & PTE_W ? KEEL_FP_W : 0) | (e & PTE_NX ? 0 : KEEL_FP_X);
}

static inline bool x86_device(uint64_t e)
{
    return e & PTE_PCD;
}
