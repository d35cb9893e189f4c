// SPDX-License-Identifier: MIT
/*
 * Task page tables of the fake architecture (host unit tests). The table has the shape of arm64's
 * stage 2 (39-bit input, 4 KiB pages, levels 1..3 of 512 entries, table pages charged to the
 * quota), but its entries are a software encoding that fake_pt_lookup() decodes:
 *
 *   table entry: next table's address | FAKE_TABLE
 *   leaf entry:  pa | rights << 1 | device << 4 | FAKE_VALID
 *
 * Every call is logged (<arch/fake_pt.h>) and counted in struct arch_pt, so tests can check that
 * generic code keeps the "hardware" in sync with its own records. A call that breaks the contract
 * of keel/arch/pt.h (unaligned address, beyond the limit, table not initialised) aborts the test.
 */
#include <keel/arch/pt.h>
#include <keel/quota.h>
#include <arch/fake_pt.h>
#include <uapi/keel/err.h>
#include <uapi/keel/fpage.h>
#include <stdio.h>
#include <stdlib.h>

#define FAKE_VALID 1ull
#define FAKE_TABLE 1ull
#define FAKE_ADDR_MASK 0x0000fffffffff000ull

struct fake_pt_call fake_pt_log[FAKE_PT_LOG_SIZE];
unsigned fake_pt_log_count;
int fake_pt_fail_map;
int fake_pt_fail_init;

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

static unsigned idx(vaddr_t va, unsigned level)
{
    return (unsigned)(va_val(va) >> (PAGE_SHIFT + 9 * (3 - level))) & 511;
}

static void check_va(const struct arch_pt *pt, vaddr_t va)
{
    if (!pt->root) {
        contract_broken("table not initialised", va);
    }
    if (!va_is_aligned(va, PAGE_SIZE) || va_val(va) >= ARCH_USER_VA_LIMIT) {
        contract_broken("bad virtual address", va);
    }
}

uint64_t arch_pt_va_limit(const struct arch_pt *pt)
{
    (void)pt; /* tasks and VM tasks alike */
    return ARCH_USER_VA_LIMIT;
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

static void free_level(struct arch_pt *pt, uint64_t *table, unsigned level, struct quota *q)
{
    if (level < 3) {
        for (unsigned i = 0; i < 512; i++) {
            if (table[i] & FAKE_TABLE) {
                free_level(pt, (uint64_t *)(uintptr_t)(table[i] & FAKE_ADDR_MASK), level + 1, q);
            }
        }
    } else {
        for (unsigned i = 0; i < 512; i++) {
            if (table[i] & FAKE_VALID) {
                pt->present--; /* dropped silently, as the contract allows */
            }
        }
    }
    quota_free(q, table, PAGE_SIZE);
    pt->tables--;
}

void arch_pt_destroy(struct arch_pt *pt, struct quota *q)
{
    if (!pt->root) {
        return;
    }
    free_level(pt, pt->root, 1, q);
    pt->root = NULL;
}

/* The level-3 entry for va, creating tables when q is given. */
static uint64_t *leaf(struct arch_pt *pt, struct quota *q, vaddr_t va)
{
    uint64_t *table = pt->root;
    for (unsigned level = 1; level < 3; level++) {
        uint64_t *e = &table[idx(va, level)];
        if (!(*e & FAKE_TABLE)) {
            uint64_t *next = q ? quota_alloc(q, PAGE_SIZE) : NULL;
            if (!next) {
                return NULL;
            }
            pt->tables++;
            *e = (uint64_t)(uintptr_t)next | FAKE_TABLE;
        }
        table = (uint64_t *)(uintptr_t)(*e & FAKE_ADDR_MASK);
    }
    return &table[idx(va, 3)];
}

int arch_pt_map(struct arch_pt *pt, struct quota *q, vaddr_t va, paddr_t pa, unsigned rights,
                bool device)
{
    check_va(pt, va);
    if (!pa_is_aligned(pa, PAGE_SIZE) || (pa_val(pa) & ~FAKE_ADDR_MASK) || (rights & ~KEEL_FP_RWX)) {
        contract_broken("bad physical address or rights", va);
    }
    if (fake_pt_fail_map) {
        int err = fake_pt_fail_map;
        fake_pt_fail_map = 0;
        return err;
    }
    uint64_t *e = leaf(pt, q, va);
    if (!e) {
        return -KEEL_ENOMEM;
    }
    bool was_valid = *e & FAKE_VALID;
    *e = pa_val(pa) | (uint64_t)rights << 1 | (uint64_t)device << 4 | FAKE_VALID;
    pt->maps++;
    if (was_valid) {
        pt->remaps++;
    } else {
        pt->present++;
    }
    record((struct fake_pt_call){ FAKE_PT_MAP, pt, va, pa, rights, device, was_valid });
    return 0;
}

void arch_pt_unmap(struct arch_pt *pt, vaddr_t va)
{
    check_va(pt, va);
    uint64_t *e = leaf(pt, NULL, va);
    bool was_valid = e && (*e & FAKE_VALID);
    if (was_valid) {
        *e = 0;
        pt->present--;
        pt->unmaps++;
    } else {
        pt->stale_unmaps++;
    }
    record((struct fake_pt_call){ .op = FAKE_PT_UNMAP, .pt = pt, .va = va, .was_valid = was_valid });
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
    const uint64_t *table = pt->root;
    for (unsigned level = 1; level < 3; level++) {
        uint64_t e = table[idx(va, level)];
        if (!(e & FAKE_TABLE)) {
            return false;
        }
        table = (const uint64_t *)(uintptr_t)(e & FAKE_ADDR_MASK);
    }
    uint64_t e = table[idx(va, 3)];
    if (!(e & FAKE_VALID)) {
        return false;
    }
    out->pa = pa_init(e & FAKE_ADDR_MASK);
    out->rights = (unsigned)(e >> 1) & KEEL_FP_RWX;
    out->device = (e >> 4) & 1;
    return true;
}
