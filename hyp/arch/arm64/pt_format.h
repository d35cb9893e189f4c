/* SPDX-License-Identifier: MIT */
/* arm64 stage-2 entries (see pt_format.c). */
#pragma once
#include <keel/pt_formats.h>
#include <uapi/keel/fpage.h>

#define S2_VALID 1ull
#define S2_TABLE 3ull
#define S2_PAGE 3ull
#define S2_BLOCK 1ull
#define S2_AF (1ull << 10)
#define S2_SH_INNER (3ull << 8)
#define S2_S2AP_R (1ull << 6)
#define S2_S2AP_W (1ull << 7)
#define S2_XN (2ull << 53)
#define S2_XN_MASK (3ull << 53)
#define S2_MEMATTR_MASK (0xfull << 2)
#define S2_MEMATTR_NORMAL (0xfull << 2) /* outer/inner write-back */
#define S2_MEMATTR_DEVICE (0x1ull << 2) /* device-nGnRE */
#define S2_ADDR_MASK 0x0000fffffffff000ull

static inline bool s2_valid(uint64_t e)
{
    return e & S2_VALID;
}

static inline bool s2_is_leaf(uint64_t e, unsigned level)
{
    return level == 0 || (e & 3) == S2_BLOCK;
}

static inline uint64_t s2_table(paddr_t next)
{
    return (pa_val(next) & S2_ADDR_MASK) | S2_TABLE;
}

static inline uint64_t s2_leaf(paddr_t pa, unsigned level, unsigned rights, bool device)
{
    uint64_t e = (pa_val(pa) & S2_ADDR_MASK) | (level ? S2_BLOCK : S2_PAGE) | S2_AF |
                 (device ? S2_MEMATTR_DEVICE | S2_XN : S2_MEMATTR_NORMAL | S2_SH_INNER);
    if (rights & KEEL_FP_R) {
        e |= S2_S2AP_R;
    }
    if (rights & KEEL_FP_W) {
        e |= S2_S2AP_W | S2_S2AP_R;
    }
    if (!(rights & KEEL_FP_X)) {
        e |= S2_XN;
    }
    return e;
}

static inline paddr_t s2_addr(uint64_t e)
{
    return pa_init(e & S2_ADDR_MASK);
}

static inline unsigned s2_rights(uint64_t e)
{
    return (e & S2_S2AP_R ? KEEL_FP_R : 0) | (e & S2_S2AP_W ? KEEL_FP_W : 0) |
           ((e & S2_XN_MASK) == 0 ? KEEL_FP_X : 0);
}

static inline bool s2_device(uint64_t e)
{
    return (e & S2_MEMATTR_MASK) == S2_MEMATTR_DEVICE;
}

/* The format: its functions inline here, so that arm64's pt.c, which has its own copy of
 * the struct, calls them directly. */
#define ARM64_STAGE2_FORMAT                                                                        \
    {                                                                                              \
        .name = "arm64 stage 2", .leaf_levels = 7, .valid = s2_valid, .is_leaf = s2_is_leaf,       \
        .table = s2_table, .leaf = s2_leaf, .addr = s2_addr, .rights = s2_rights,                  \
        .device = s2_device,                                                                       \
    }
