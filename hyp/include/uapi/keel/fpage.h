/* SPDX-License-Identifier: MIT */
/*
 * Flexpages: a naturally aligned, power-of-two range of memory (bytes) or of capability slots,
 * with rights. One 64-bit word:
 *   bits 0-3   rights (memory: KEEL_FP_R/W/X; capabilities: KEEL_CAP_R/W/S/D)
 *   bits 4-5   kind (KEEL_FP_MEM, KEEL_FP_CAP)
 *   bits 6-11  order: log2 of the size (memory: >= 12, bytes; capabilities: slots)
 *   bits 12-63 base >> 12 (memory: the address; capabilities: the first slot index)
 * A typed item in a message is two words: a control word (KEEL_ITEM_GRANT, and the hotspot that
 * places a small flexpage in a large receive window) and a flexpage.
 */
#pragma once
#include <stdint.h>

enum keel_fp_kind {
    KEEL_FP_NONE = 0,
    KEEL_FP_MEM = 1,
    KEEL_FP_CAP = 2,
};

/* Memory rights. */
#define KEEL_FP_X 1u
#define KEEL_FP_W 2u
#define KEEL_FP_R 4u
#define KEEL_FP_RW (KEEL_FP_R | KEEL_FP_W)
#define KEEL_FP_RWX (KEEL_FP_R | KEEL_FP_W | KEEL_FP_X)

/* Capability rights: invoke, modify, map further, delete the object. */
#define KEEL_CAP_R 1u
#define KEEL_CAP_W 2u
#define KEEL_CAP_S 4u
#define KEEL_CAP_D 8u
#define KEEL_CAP_ALL 15u

#define KEEL_FP_ORDER_SHIFT 6
#define KEEL_FP_BASE_SHIFT 12

static inline uint64_t keel_fpage(unsigned kind, uint64_t base, unsigned order, unsigned rights)
{
    return ((base >> 12) << KEEL_FP_BASE_SHIFT) | ((uint64_t)(order & 63) << KEEL_FP_ORDER_SHIFT) |
           ((uint64_t)(kind & 3) << 4) | (rights & 15);
}
static inline uint64_t keel_fpage_mem(uint64_t addr, unsigned order, unsigned rights)
{
    return keel_fpage(KEEL_FP_MEM, addr, order, rights);
}
static inline uint64_t keel_fpage_cap(uint64_t index, unsigned order, unsigned rights)
{
    return keel_fpage(KEEL_FP_CAP, index << 12, order, rights);
}
static inline unsigned keel_fpage_kind(uint64_t f) { return (f >> 4) & 3; }
static inline unsigned keel_fpage_order(uint64_t f) { return (f >> KEEL_FP_ORDER_SHIFT) & 63; }
static inline unsigned keel_fpage_rights(uint64_t f) { return f & 15; }
static inline uint64_t keel_fpage_base(uint64_t f) { return (f >> KEEL_FP_BASE_SHIFT) << 12; }
/* For capability flexpages: the first slot index. */
static inline uint64_t keel_fpage_cap_index(uint64_t f) { return f >> KEEL_FP_BASE_SHIFT; }

#define KEEL_ITEM_GRANT 1u /* move instead of copy: the sender loses the mapping */
#define KEEL_ITEM_HOTSPOT_SHIFT 12
static inline uint64_t keel_item_ctl(uint64_t hotspot, int grant)
{
    return (hotspot & ~0xfffull) | (grant ? KEEL_ITEM_GRANT : 0);
}

/* Unmap flags (Task UNMAP). */
#define KEEL_UNMAP_SELF 1u     /* also remove the flexpage from the invoking task itself */
#define KEEL_UNMAP_CHILDREN 2u /* remove what was mapped from it, recursively (always done) */
