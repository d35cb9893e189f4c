// SPDX-License-Identifier: MIT
/* Guest RAM and other buffers between guard pages, for the fuzz targets (see fuzz.h). */
#include "fuzz.h"
#include <sanitizer/asan_interface.h>
#include <string.h>

uint8_t *fuzz_guarded_alloc(size_t size)
{
    size_t rounded = (size + FUZZ_GUARD - 1) / FUZZ_GUARD * FUZZ_GUARD;
    uint8_t *block = aligned_alloc(FUZZ_GUARD, rounded + 2 * FUZZ_GUARD);
    if (!block) {
        abort();
    }
    /* Everything but [guard, guard + size) is out of bounds, the rounding included. */
    ASAN_POISON_MEMORY_REGION(block, FUZZ_GUARD);
    ASAN_POISON_MEMORY_REGION(block + FUZZ_GUARD + size, rounded - size + FUZZ_GUARD);
    memset(block + FUZZ_GUARD, 0, size);
    return block + FUZZ_GUARD;
}

void fuzz_ram_init(struct fuzz_ram *r, uint64_t base, uint64_t size)
{
    r->ram = fuzz_guarded_alloc(size);
    r->block = r->ram - FUZZ_GUARD;
    r->base = base;
    r->size = size;
}

void fuzz_ram_clear(struct fuzz_ram *r)
{
    memset(r->ram, 0, r->size);
}

void *fuzz_ram_ptr(struct fuzz_ram *r, uint64_t gpa, uint64_t size)
{
    if (gpa < r->base || size > r->size || gpa - r->base > r->size - size) {
        return NULL;
    }
    return r->ram + (gpa - r->base);
}

bool fuzz_ram_holds(const struct fuzz_ram *r, const void *p, uint64_t size)
{
    uintptr_t a = (uintptr_t)p, start = (uintptr_t)r->ram;
    return a >= start && size <= r->size && a - start <= r->size - size;
}

void fuzz_ram_fill(struct fuzz_ram *r, uint64_t off, struct fuzz_in *in, size_t n)
{
    off %= r->size;
    if (n > r->size - off) {
        n = (size_t)(r->size - off);
    }
    size_t got;
    const uint8_t *src = fuzz_bytes(in, n, &got);
    memcpy(r->ram + off, src, got);
}
