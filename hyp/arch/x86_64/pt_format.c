// SPDX-License-Identifier: MIT
/*
 * x86-64 4-level paging entries (SDM vol. 3, 4.5), also AMD's nested page tables: present means
 * readable, so R, W and X alone all give read access; PS makes a level-1 (2 MiB) entry a leaf.
 * 1 GiB leaves need CPUID pdpe1gb, which the CPUs this runs on are not known to have: not used.
 * Table entries are user-accessible (nested walks are user accesses). Devices are uncached
 * (PCD, PWT); the PAT bit of a large page (bit 12) is never set.
 */
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

static bool valid(uint64_t e)
{
    return e & PTE_P;
}

static bool is_leaf(uint64_t e, unsigned level)
{
    return level == 0 || (e & PTE_PS);
}

static uint64_t table(paddr_t next)
{
    return (pa_val(next) & PTE_ADDR) | PTE_P | PTE_W | PTE_U;
}

static uint64_t leaf_common(paddr_t pa, unsigned level, unsigned rights, bool device)
{
    return (pa_val(pa) & PTE_ADDR) | PTE_P | PTE_U | PTE_A | (level ? PTE_PS : 0) |
           (rights & KEEL_FP_W ? PTE_W | PTE_D : 0) | (device ? PTE_PCD | PTE_PWT : 0);
}

static uint64_t leaf(paddr_t pa, unsigned level, unsigned rights, bool device)
{
    return leaf_common(pa, level, rights, device) | (rights & KEEL_FP_X ? 0 : PTE_NX);
}

static uint64_t leaf_nonx(paddr_t pa, unsigned level, unsigned rights, bool device)
{
    return leaf_common(pa, level, rights, device);
}

static paddr_t addr(uint64_t e)
{
    return pa_init(e & PTE_ADDR);
}

static unsigned rights(uint64_t e)
{
    return KEEL_FP_R | (e & PTE_W ? KEEL_FP_W : 0) | (e & PTE_NX ? 0 : KEEL_FP_X);
}

static bool device(uint64_t e)
{
    return e & PTE_PCD;
}

const struct pt_format x86_paging_format = {
    .name = "x86 paging", .leaf_levels = 3, .valid = valid, .is_leaf = is_leaf, .table = table,
    .leaf = leaf, .addr = addr, .rights = rights, .device = device,
};

const struct pt_format x86_paging_nonx_format = {
    .name = "x86 paging without NX", .leaf_levels = 3, .valid = valid, .is_leaf = is_leaf,
    .table = table, .leaf = leaf_nonx, .addr = addr, .rights = rights, .device = device,
};
