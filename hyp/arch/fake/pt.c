// SPDX-License-Identifier: MIT
/*
 * Task page tables of the fake architecture (host unit tests). The table has the shape of arm64's
 * stage 2 (39-bit input, 4 KiB pages, three levels of 512 entries, table pages charged to the
 * quota) and is walked by the generic walker (keel/pt_walk.h) like every other; its entries are
 * a software encoding (pt_format.c) that fake_pt_lookup() decodes.
 *
 * Every call is logged (<arch/fake_pt.h>) and counted in struct arch_pt, so tests can check that
 * generic code keeps the "hardware" in sync with its own records. A call that breaks the contract
 * of keel/arch/pt.h (unaligned address, beyond the limit, table not initialised) aborts the test.
 */
#include <keel/arch/pt.h>
#include <keel/pt_formats.h>
#include <keel/quota.h>
#include <arch/fake_pt.h>
#include <uapi/keel/err.h>
#include <uapi/keel/fpage.h>
#include <stdio.h>
#include <stdlib.h>

static const struct pt_format *const fmt = &fake_format;

struct fake_pt_call fake_pt_log[FAKE_PT_LOG_SIZE];
unsigned fake_pt_log_count;
int fake_pt_fail_map;
int fake_pt_fail_init;
int fake_pt_fail_split;

void fake_pt_log_reset(void)
{
    fake_pt_log_count = 0;
}

static void contract_broken(const char *what, vaddr_t va)
{
    fprintf(stderr, "fake arch_pt: contract broken: %s (va 0x%llx)\n", what,
            (unsigned long long)va_val(va));
    abort();
}

static void record(struct fake_pt_call c)
{
    if (fake_pt_log_count < FAKE_PT_LOG_SIZE) {
        fake_pt_log[fake_pt_log_count] = c;
    }
    fake_pt_log_count++;
}

static struct pt_table table_of(const struct arch_pt *pt)
{
    return (struct pt_table){ fmt, pt->root, 3 };
}

static void check_va(const struct arch_pt *pt, vaddr_t va, unsigned level)
{
    if (!pt->root) {
        contract_broken("table not initialised", va);
    }
    if (level > 2 || !(fmt->leaf_levels & (1u << level))) {
        contract_broken("no leaf at that level", va);
    }
    if (!va_is_aligned(va, pt_level_size(level)) || va_val(va) >= ARCH_USER_VA_LIMIT) {
        contract_broken("bad virtual address", va);
    }
}

uint64_t arch_pt_va_limit(const struct arch_pt *pt)
{
    (void)pt; /* tasks and VM tasks alike */
    return ARCH_USER_VA_LIMIT;
}

unsigned arch_pt_leaf_levels(const struct arch_pt *pt)
{
    (void)pt;
    return fmt->leaf_levels;
}

/* Table pages are counted as they are allocated from and freed to the quota. */
static void count_tables(struct arch_pt *pt, const uint64_t *table, unsigned level, int sign)
{
    for (unsigned i = 0; i < PT_ENTRIES; i++) {
        if (!fmt->valid(table[i])) {
            continue;
        }
        if (level == 0 || fmt->is_leaf(table[i], level)) {
            pt->present -= sign < 0; /* dropped silently, as the contract allows */
        } else {
            count_tables(pt, kva_from_pa(fmt->addr(table[i])), level - 1, sign);
        }
    }
    pt->tables += (uint64_t)(int64_t)sign;
}

int arch_pt_init(struct arch_pt *pt, struct quota *q, bool guest)
{
    (void)guest; /* one software format */
    *pt = (struct arch_pt){ 0 };
    if (fake_pt_fail_init) {
        int err = fake_pt_fail_init;
        fake_pt_fail_init = 0;
        return err;
    }
    pt->root = quota_alloc(q, PAGE_SIZE);
    if (!pt->root) {
        return -KEEL_ENOMEM;
    }
    pt->tables = 1;
    return 0;
}

void arch_pt_destroy(struct arch_pt *pt, struct quota *q)
{
    if (!pt->root) {
        return;
    }
    count_tables(pt, pt->root, 2, -1);
    pt_free_below(fmt, pt->root, 2, PT_ENTRIES, q);
    quota_free(q, pt->root, PAGE_SIZE);
    pt->root = NULL;
}

/* The entry at level for va, making tables (counted) when q is given. */
static uint64_t *entry(struct arch_pt *pt, struct quota *q, vaddr_t va, unsigned level)
{
    uint64_t before = q ? q->used : 0;
    struct pt_table t = table_of(pt);
    uint64_t *e = pt_entry(&t, va, level, q);
    if (q) {
        pt->tables += (q->used - before) / PAGE_SIZE;
    }
    return e;
}

int arch_pt_map(struct arch_pt *pt, struct quota *q, vaddr_t va, paddr_t pa, unsigned level,
                unsigned rights, bool device)
{
    check_va(pt, va, level);
    if (!pa_is_aligned(pa, pt_level_size(level)) || (pa_val(pa) & ~0x0000fffffffff000ull) ||
        (rights & ~KEEL_FP_RWX)) {
        contract_broken("bad physical address or rights", va);
    }
    unsigned l;
    const uint64_t *above = pt_lookup(&(struct pt_table){ fmt, pt->root, 3 }, va, &l);
    if (above && l > level) {
        contract_broken("a larger leaf maps the address", va);
    }
    if (fake_pt_fail_map) {
        int err = fake_pt_fail_map;
        fake_pt_fail_map = 0;
        return err;
    }
    uint64_t *e = entry(pt, q, va, level);
    if (!e) {
        return -KEEL_ENOMEM;
    }
    bool was_valid = fmt->valid(*e) && fmt->is_leaf(*e, level);
    if (fmt->valid(*e) && !was_valid) {
        const uint64_t *t = kva_from_pa(fmt->addr(*e));
        for (unsigned i = 0; i < PT_ENTRIES; i++) {
            if (fmt->valid(t[i]) && (level == 1 || fmt->is_leaf(t[i], level - 1))) {
                contract_broken("a block over mapped pages", va);
            }
        }
        count_tables(pt, t, level - 1, -1);
        pt_free_table(fmt, *e, level, q);
    }
    *e = fmt->leaf(pa, level, rights, device);
    pt->maps++;
    if (was_valid) {
        pt->remaps++;
    } else {
        pt->present++;
    }
    record((struct fake_pt_call){ FAKE_PT_MAP, pt, va, pa, rights, device, was_valid, level });
    return 0;
}

int arch_pt_split(struct arch_pt *pt, struct quota *q, vaddr_t va, unsigned level)
{
    check_va(pt, va, level);
    if (level == 0) {
        contract_broken("split of a page", va);
    }
    uint64_t *e = entry(pt, NULL, va, level);
    if (!e || !fmt->valid(*e) || !fmt->is_leaf(*e, level)) {
        return 0;
    }
    if (fake_pt_fail_split) {
        int err = fake_pt_fail_split;
        fake_pt_fail_split = 0;
        return err;
    }
    uint64_t *table = pt_split_block(fmt, *e, level, q);
    if (!table) {
        return -KEEL_ENOMEM;
    }
    *e = fmt->table(pa_from_kva(table));
    pt->tables++;
    pt->present += PT_ENTRIES - 1;
    pt->splits++;
    record((struct fake_pt_call){ .op = FAKE_PT_SPLIT, .pt = pt, .va = va, .level = level });
    return 0;
}

void arch_pt_unmap(struct arch_pt *pt, vaddr_t va, unsigned level)
{
    check_va(pt, va, level);
    uint64_t *e = entry(pt, NULL, va, level);
    bool was_valid = e && fmt->valid(*e) && fmt->is_leaf(*e, level);
    if (was_valid) {
        *e = 0;
        pt->present--;
        pt->unmaps++;
    } else {
        pt->stale_unmaps++;
    }
    record((struct fake_pt_call){ .op = FAKE_PT_UNMAP, .pt = pt, .va = va, .was_valid = was_valid,
                                  .level = level });
}

void arch_pt_unmap_begin(struct arch_pt *pt)
{
    (void)pt; /* nothing cached */
}

void arch_pt_unmap_end(struct arch_pt *pt)
{
    (void)pt;
}

void arch_pt_activate(struct arch_pt *pt)
{
    (void)pt;
}

bool fake_pt_lookup(const struct arch_pt *pt, vaddr_t va, struct fake_pte *out)
{
    if (!pt->root || va_val(va) >= ARCH_USER_VA_LIMIT) {
        return false;
    }
    unsigned level;
    const uint64_t *e = pt_lookup(&(struct pt_table){ fmt, pt->root, 3 }, va, &level);
    if (!e) {
        return false;
    }
    uint64_t off = va_val(va) & (pt_level_size(level) - 1) & ~(uint64_t)(PAGE_SIZE - 1);
    out->pa = pa_add(fmt->addr(*e), off);
    out->rights = fmt->rights(*e);
    out->device = fmt->device(*e);
    out->level = level;
    return true;
}
