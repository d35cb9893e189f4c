// SPDX-License-Identifier: MIT
/*
 * RISC-V Sv39/Sv48 entries (privileged spec, "Sv39"): a valid entry with none of R, W, X points
 * to the next table; any of them makes it a leaf, at any level (megapages, gigapages). Leaves
 * have U set: tasks run in U-mode, and G-stage leaves must have it. A and D are set up front
 * (no hardware updating them). W without R is reserved: W brings R. Memory types come from the
 * platform's PMAs, so `device` is not encoded (and reads back false).
 */
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

static bool valid(uint64_t e)
{
    return e & PTE_V;
}

static bool is_leaf(uint64_t e, unsigned level)
{
    (void)level;
    return (e & PTE_RWX) != 0;
}

static uint64_t ppn(paddr_t pa)
{
    return (pa_val(pa) >> 12) << 10;
}

static uint64_t table(paddr_t next)
{
    return ppn(next) | PTE_V;
}

static uint64_t leaf(paddr_t pa, unsigned level, unsigned rights, bool device)
{
    (void)level, (void)device;
    uint64_t e = (rights & KEEL_FP_R ? PTE_R : 0) | (rights & KEEL_FP_W ? PTE_W | PTE_R : 0) |
                 (rights & KEEL_FP_X ? PTE_X : 0);
    if (!e) {
        return 0; /* no access: with V alone it would point to a table */
    }
    return ppn(pa) | e | PTE_V | PTE_U | PTE_A | PTE_D;
}

static paddr_t addr(uint64_t e)
{
    return pa_init(((e >> 10) & PTE_PPN_MASK) << 12);
}

static unsigned rights(uint64_t e)
{
    return (e & PTE_R ? KEEL_FP_R : 0) | (e & PTE_W ? KEEL_FP_W : 0) | (e & PTE_X ? KEEL_FP_X : 0);
}

static bool device(uint64_t e)
{
    (void)e;
    return false;
}

const struct pt_format riscv_sv_format = {
    .name = "riscv Sv39/Sv48", .leaf_levels = 7, .valid = valid, .is_leaf = is_leaf,
    .table = table, .leaf = leaf, .addr = addr, .rights = rights, .device = device,
};
