// SPDX-License-Identifier: MIT
/*
 * The generic page-table walker (hyp/kern/pt_walk.c) over every entry format of the tree: the
 * fake architecture's, arm64 stage 2, RISC-V Sv39/Sv48 (and G-stage), x86 paging/NPT with and
 * without NX, Intel EPT. For each: leaves at every level the format allows, looked up again at
 * each 4 KiB page they cover; entries decode to what they were given (address, rights, memory
 * type); a block split into a table maps exactly what the block mapped; tables are made and
 * freed against a quota that ends at zero. And the bits the specifications fix, checked against
 * the spec's numbers rather than the format's own helpers (a format that agrees with itself but
 * not with the hardware would pass the rest).
 */
#include "unit.h"
#include "kern_host.h"
#include <keel/pt_formats.h>
#include <keel/quota.h>
#include <arch/mmu.h>
#include <uapi/keel/fpage.h>

static const struct pt_format *const formats[] = {
    &fake_format, &arm64_stage2_format, &riscv_sv_format, &x86_paging_format,
    &x86_paging_nonx_format, &x86_ept_format,
};

/* What a format keeps of rights: x86 paging reads whenever present; RISC-V and EPT give W read;
 * arm64 never executes device memory. */
static unsigned kept(const struct pt_format *f, unsigned rights, bool device)
{
    if (f == &arm64_stage2_format && device) {
        rights &= ~KEEL_FP_X;
    }
    if (f == &x86_paging_format) {
        return rights | KEEL_FP_R;
    }
    if (f == &x86_paging_nonx_format) {
        return (rights | KEEL_FP_R) | KEEL_FP_X;
    }
    if (f == &x86_ept_format) {
        return rights | KEEL_FP_R;
    }
    if (f == &riscv_sv_format || f == &arm64_stage2_format) {
        return rights & KEEL_FP_W ? rights | KEEL_FP_R : rights;
    }
    return rights;
}

/* Whether a format keeps the memory type in the entry (RISC-V takes it from the PMAs). */
static bool has_type(const struct pt_format *f)
{
    return f != &riscv_sv_format;
}

static void check_leaf_at(const struct pt_table *t, vaddr_t va, paddr_t pa, unsigned level,
                          unsigned rights, bool device)
{
    const struct pt_format *f = t->fmt;
    unsigned l = 99;
    const uint64_t *e = pt_lookup(t, va, &l);
    CHECK(e != NULL);
    if (!e) {
        return;
    }
    CHECK_EQ(l, level);
    uint64_t off = va_val(va) & (pt_level_size(level) - 1);
    CHECK_EQ(pa_val(f->addr(*e)) + off, pa_val(pa));
    CHECK_EQ(f->rights(*e), kept(f, rights, device));
    CHECK_EQ(f->device(*e), has_type(f) && device);
}

static void test_format(const struct pt_format *f, unsigned levels)
{
    struct quota q = { .limit = 8u << 20 };
    uint64_t *root = quota_alloc(&q, PAGE_SIZE);
    struct pt_table t = { f, root, levels };
    const unsigned rights[] = { KEEL_FP_R, KEEL_FP_RW, KEEL_FP_RWX, KEEL_FP_R | KEEL_FP_X };
    for (unsigned level = 0; level < 3; level++) {
        if (!(f->leaf_levels & (1u << level))) {
            continue;
        }
        uint64_t size = pt_level_size(level);
        for (unsigned k = 0; k < 4; k++) {
            vaddr_t va = va_init((uint64_t)(level * 8 + k + 1) << 30); /* apart from each other */
            paddr_t pa = pa_init(0x80000000ull + (uint64_t)(k + 1) * size);
            bool device = k == 3;
            uint64_t *e = pt_entry(&t, va, level, &q);
            CHECK(e != NULL);
            if (!e) {
                continue;
            }
            CHECK(!f->valid(*e));
            *e = f->leaf(pa, level, rights[k], device);
            CHECK(f->valid(*e));
            CHECK(level == 0 || f->is_leaf(*e, level));
            /* Every 4 KiB page it covers, and nothing beside it. */
            for (uint64_t o = 0; o < size; o += size > PAGE_SIZE ? size / 8 : PAGE_SIZE) {
                check_leaf_at(&t, va_add(va, o), pa_add(pa, o), level, rights[k], device);
            }
            check_leaf_at(&t, va_add(va, size - PAGE_SIZE), pa_add(pa, size - PAGE_SIZE), level,
                          rights[k], device);
            unsigned l;
            CHECK(pt_lookup(&t, va_add(va, size), &l) == NULL);
            /* Nothing below a leaf: no entry is handed out under it. */
            if (level > 0) {
                CHECK(pt_entry(&t, va, level - 1, &q) == NULL);
                /* Split: the same translation page by page, one level down. */
                uint64_t *table = pt_split_block(f, *e, level, &q);
                CHECK(table != NULL);
                *e = f->table(pa_from_kva(table));
                CHECK(!f->is_leaf(*e, level));
                for (uint64_t o = 0; o < size; o += pt_level_size(level - 1) * 37) {
                    check_leaf_at(&t, va_add(va, o), pa_add(pa, o), level - 1, rights[k], device);
                }
                check_leaf_at(&t, va_add(va, size - PAGE_SIZE), pa_add(pa, size - PAGE_SIZE),
                              level - 1, rights[k], device);
            }
        }
    }
    pt_free_below(f, root, levels - 1, PT_ENTRIES, &q);
    quota_free(&q, root, PAGE_SIZE);
    CHECK_EQ(q.used, 0);
}

/* Bits fixed by the specifications, written out here on their own. */
static void test_spec_bits(void)
{
    paddr_t pa = pa_init(0x40200000ull);
    /* Arm ARM D8.3: page descriptor [1:0] = 0b11, block 0b01, table 0b11; AF bit 10; S2AP
     * bits 7:6; XN bits 54:53; MemAttr bits 5:2 (0b1111 normal write-back, 0b0001 device). */
    uint64_t e = arm64_stage2_format.leaf(pa, 0, KEEL_FP_RW, false);
    CHECK_EQ(e & 3, 3);
    CHECK_EQ(e & (1ull << 10), 1ull << 10);
    CHECK_EQ((e >> 6) & 3, 3);
    CHECK_EQ((e >> 53) & 3, 2);
    CHECK_EQ((e >> 2) & 0xf, 0xf);
    CHECK_EQ(e & 0x0000fffffffff000ull, 0x40200000ull);
    e = arm64_stage2_format.leaf(pa, 1, KEEL_FP_RWX, true);
    CHECK_EQ(e & 3, 1);
    CHECK_EQ((e >> 2) & 0xf, 1);
    CHECK_EQ((e >> 53) & 3, 2); /* device memory is never executable */
    CHECK_EQ(arm64_stage2_format.table(pa) & 3, 3);
    /* RISC-V privileged spec, Sv39: V bit 0, R 1, W 2, X 3, U 4, A 6, D 7; PPN from bit 10; a
     * pointer has R = W = X = 0. */
    e = riscv_sv_format.leaf(pa, 1, KEEL_FP_RW, false);
    CHECK_EQ(e & 0xff, 0x1 | 0x2 | 0x4 | 0x10 | 0x40 | 0x80);
    CHECK_EQ(e >> 10, 0x40200000ull >> 12);
    CHECK_EQ(riscv_sv_format.table(pa) & 0xf, 1);
    CHECK_EQ(riscv_sv_format.leaf(pa, 0, 0, false), 0); /* no access: not a pointer */
    /* SDM 4.5: P bit 0, R/W 1, U/S 2, PWT 3, PCD 4, A 5, D 6, PS 7, XD 63. */
    e = x86_paging_format.leaf(pa, 1, KEEL_FP_R, true);
    CHECK_EQ(e & 0xff, 0x1 | 0x4 | 0x8 | 0x10 | 0x20 | 0x80);
    CHECK_EQ(e >> 63, 1);
    CHECK_EQ(x86_paging_nonx_format.leaf(pa, 0, KEEL_FP_R, false) >> 63, 0);
    e = x86_paging_format.leaf(pa, 0, KEEL_FP_RWX, false);
    CHECK_EQ(e & 0xff, 0x1 | 0x2 | 0x4 | 0x20 | 0x40);
    CHECK_EQ(x86_paging_format.table(pa) & 0xff, 0x7);
    /* SDM 29.3.2 (EPT): R 0, W 1, X 2, memory type 5:3 (6 = WB, 0 = UC), large page bit 7. */
    e = x86_ept_format.leaf(pa, 1, KEEL_FP_RW, false);
    CHECK_EQ(e & 0xff, 0x1 | 0x2 | (6 << 3) | 0x80);
    e = x86_ept_format.leaf(pa, 0, KEEL_FP_R, true);
    CHECK_EQ(e & 0xff, 0x1);
    CHECK_EQ(x86_ept_format.table(pa) & 0xff, 0x7);
}

int main(void)
{
    void *pool = kern_host_pool(4096);
    for (unsigned i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        test_format(formats[i], 3);
        test_format(formats[i], 4);
    }
    test_spec_bits();
    free(pool);
    return unit_done("test_pt_walk");
}
