// SPDX-License-Identifier: MIT
/*
 * Intel EPT entries (SDM vol. 3, 29.3.2): bits 0-2 read, write, execute (an entry with none is
 * not present); a leaf has its memory type in bits 3-5 (6 write-back for RAM, 0 uncached for
 * devices) and, above level 0, bit 7. Write without read is a misconfiguration: W brings R, and
 * so does X (execute-only needs a VMX capability not relied on). For the VT-x back end.
 */
#include <keel/pt_formats.h>
#include <uapi/keel/fpage.h>

#define EPT_R (1ull << 0)
#define EPT_W (1ull << 1)
#define EPT_X (1ull << 2)
#define EPT_RWX (EPT_R | EPT_W | EPT_X)
#define EPT_MT_SHIFT 3
#define EPT_MT_MASK (7ull << EPT_MT_SHIFT)
#define EPT_MT_UC 0ull
#define EPT_MT_WB 6ull
#define EPT_LARGE (1ull << 7)
#define EPT_ADDR 0x000ffffffffff000ull

static bool valid(uint64_t e)
{
    return (e & EPT_RWX) != 0;
}

static bool is_leaf(uint64_t e, unsigned level)
{
    return level == 0 || (e & EPT_LARGE);
}

static uint64_t table(paddr_t next)
{
    return (pa_val(next) & EPT_ADDR) | EPT_RWX;
}

static uint64_t leaf(paddr_t pa, unsigned level, unsigned rights, bool device)
{
    return (pa_val(pa) & EPT_ADDR) | EPT_R | (rights & KEEL_FP_W ? EPT_W : 0) |
           (rights & KEEL_FP_X ? EPT_X : 0) | (level ? EPT_LARGE : 0) |
           ((device ? EPT_MT_UC : EPT_MT_WB) << EPT_MT_SHIFT);
}

static paddr_t addr(uint64_t e)
{
    return pa_init(e & EPT_ADDR);
}

static unsigned rights(uint64_t e)
{
    return (e & EPT_R ? KEEL_FP_R : 0) | (e & EPT_W ? KEEL_FP_W : 0) | (e & EPT_X ? KEEL_FP_X : 0);
}

static bool device(uint64_t e)
{
    return (e & EPT_MT_MASK) == (EPT_MT_UC << EPT_MT_SHIFT);
}

const struct pt_format x86_ept_format = {
    .name = "x86 EPT",
    .leaf_levels = 7,
    .valid = valid,
    .is_leaf = is_leaf,
    .table = table,
    .leaf = leaf,
    .addr = addr,
    .rights = rights,
    .device = device,
};
