// SPDX-License-Identifier: MIT
// The physical memory map (see keel/phys.h).
#include <keel/phys.h>
#include <keel/memspace.h>
#include <keel/printk.h>

struct range {
    uint64_t base, end;
};

static struct range ram[PHYS_MAX_RANGES], reserved[PHYS_MAX_RANGES], paged[PHYS_MAX_RANGES];
static unsigned ram_count, reserved_count, paged_count;

void phys_add_ram(paddr_t base, uint64_t size)
{
    if (ram_count < PHYS_MAX_RANGES) {
        ram[ram_count++] = (struct range){ pa_val(base), pa_val(base) + size };
    }
}

/* (Full: a panic at boot. A range dropped would be one a program could map.) */
void phys_reserve(paddr_t base, uint64_t size)
{
    if (reserved_count == PHYS_MAX_RANGES) {
        panic("phys: more than %u reserved ranges", PHYS_MAX_RANGES);
    }
    reserved[reserved_count++] = (struct range){ pa_val(base), pa_val(base) + size };
}

void phys_keep_in_pages(paddr_t base, uint64_t size)
{
    if (paged_count < PHYS_MAX_RANGES) {
        paged[paged_count++] = (struct range){ pa_val(base), pa_val(base) + size };
    }
}

static bool in(const struct range *r, unsigned n, uint64_t a)
{
    for (unsigned i = 0; i < n; i++) {
        if (a >= r[i].base && a < r[i].end) {
            return true;
        }
    }
    return false;
}

bool phys_is_ram(pfn_t pfn)
{
    return in(ram, ram_count, pa_val(pa_from_pfn(pfn)));
}

bool phys_user_may_map(pfn_t pfn)
{
    return !in(reserved, reserved_count, pa_val(pa_from_pfn(pfn)));
}

bool phys_block_user_ram(paddr_t base, uint64_t size)
{
    uint64_t b = pa_val(base), e = b + size;
    bool ram_whole = false;
    for (unsigned i = 0; i < ram_count; i++) {
        ram_whole |= b >= ram[i].base && e <= ram[i].end;
    }
    for (unsigned i = 0; ram_whole && i < reserved_count; i++) {
        if (b < reserved[i].end && e > reserved[i].base) {
            return false;
        }
    }
    for (unsigned i = 0; ram_whole && i < paged_count; i++) {
        if (b < paged[i].end && e > paged[i].base) {
            return false;
        }
    }
    return ram_whole;
}

bool phys_ram_range(unsigned i, paddr_t *base, uint64_t *size)
{
    if (i >= ram_count) {
        return false;
    }
    *base = pa_init(ram[i].base);
    *size = ram[i].end - ram[i].base;
    return true;
}

bool phys_reserved_range(unsigned i, paddr_t *base, uint64_t *size)
{
    if (i >= reserved_count) {
        return false;
    }
    *base = pa_init(reserved[i].base);
    *size = reserved[i].end - reserved[i].base;
    return true;
}
