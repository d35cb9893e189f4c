// SPDX-License-Identifier: MIT
/*
 * The fake architecture's entries (host unit tests): a software encoding that says what generic
 * code asked for and nothing else.
 *
 *   table entry: next table's address | FAKE_VALID
 *   leaf entry:  pa | rights << 1 | device << 4 | FAKE_LEAF | FAKE_VALID
 */
#include <keel/pt_formats.h>
#include <uapi/keel/fpage.h>

#define FAKE_VALID 1ull
#define FAKE_LEAF (1ull << 5)
#define FAKE_ADDR_MASK 0x0000fffffffff000ull

static bool valid(uint64_t e)
{
    return e & FAKE_VALID;
}

static bool is_leaf(uint64_t e, unsigned level)
{
    (void)level;
    return e & FAKE_LEAF;
}

static uint64_t table(paddr_t next)
{
    return (pa_val(next) & FAKE_ADDR_MASK) | FAKE_VALID;
}

static uint64_t leaf(paddr_t pa, unsigned level, unsigned rights, bool device)
{
    (void)level;
    return (pa_val(pa) & FAKE_ADDR_MASK) | (uint64_t)(rights & KEEL_FP_RWX) << 1 |
           (uint64_t)device << 4 | FAKE_LEAF | FAKE_VALID;
}

static paddr_t addr(uint64_t e)
{
    return pa_init(e & FAKE_ADDR_MASK);
}

static unsigned rights(uint64_t e)
{
    return (unsigned)(e >> 1) & KEEL_FP_RWX;
}

static bool device(uint64_t e)
{
    return (e >> 4) & 1;
}

const struct pt_format fake_format = {
    .name = "fake", .leaf_levels = 7, .valid = valid, .is_leaf = is_leaf, .table = table,
    .leaf = leaf, .addr = addr, .rights = rights, .device = device,
};
