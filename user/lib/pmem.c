// SPDX-License-Identifier: MIT
/*
 * The root task's physical page allocator: a bump pointer through the KIP's RAM ranges, skipping
 * what the kernel keeps, the initrd and the device tree; freed pages go to a free list.
 * Contiguous runs (rt_pages_alloc) come from the bump pointer, and 2 MiB blocks also from the
 * blocks given back (rt_block_free); whole GiBs (rt_gib_alloc) from the top down, so that neither
 * side breaks up what the other needs: the bump pointer passes over the GiBs given out, and a
 * GiB given back stays one for the next rt_gib_alloc.
 */
#include <keel/rt.h>
#include <keel/progenv.h>
#include <stdbool.h>
#include <string.h>
#include <uapi/keel/kobj.h>

static unsigned range;
static uint64_t next;
static void *free_list;
static uint64_t free_count;
static uint64_t cap_next; /* 0: not chosen yet */
#define GIB (1ull << 30)
#define MAX_GIBS 64
#define BLOCK (2ull << 20)
static uint64_t gibs[MAX_GIBS]; /* given out by rt_gib_alloc */
static bool gib_back[MAX_GIBS]; /* ... and given back (free for the next one) */
static unsigned gib_count;
static void *block_list; /* 2 MiB blocks given back (the link in their first word) */
static uint64_t block_count;

static uint64_t range_end(const struct keel_kip *k, unsigned r)
{
    return k->ram[r].base + k->ram[r].size;
}

/* The GiB given out that holds a, or 0. */
static uint64_t gib_at(uint64_t a)
{
    for (unsigned i = 0; i < gib_count; i++) {
        if (a >= gibs[i] && a - gibs[i] < GIB) {
            return gibs[i];
        }
    }
    return 0;
}

static int busy(const struct keel_kip *k, uint64_t a)
{
    if (gib_at(a)) {
        return 1;
    }
    for (uint64_t i = 0; i < k->reserved_count; i++) {
        if (a >= k->reserved[i].base && a < k->reserved[i].base + k->reserved[i].size) {
            return 1;
        }
    }
    if (a >= (k->initrd_base & ~4095ull) && a < k->initrd_base + k->initrd_size) {
        return 1;
    }
    return a >= (k->fdt_base & ~4095ull) && a < k->fdt_base + k->fdt_size;
}

void *rt_page_alloc(void)
{
    const struct keel_kip *k = rt_kip();
    if (free_list) {
        void *p = free_list;
        free_list = *(void **)p;
        free_count--;
        memset(p, 0, KEEL_PAGE_SIZE);
        return p;
    }
    while (range < k->ram_count) {
        if (next < k->ram[range].base) {
            next = (k->ram[range].base + 4095) & ~4095ull;
        }
        if (next + KEEL_PAGE_SIZE > range_end(k, range)) {
            range++;
            continue;
        }
        uint64_t a = next;
        next += KEEL_PAGE_SIZE;
        if (!busy(k, a)) {
            memset((void *)(uintptr_t)a, 0, KEEL_PAGE_SIZE);
            return (void *)(uintptr_t)a;
        }
    }
    return NULL;
}

void *rt_pages_alloc(uint64_t count)
{
    return rt_pages_alloc_aligned(count, KEEL_PAGE_SIZE);
}

void *rt_pages_alloc_aligned(uint64_t count, uint64_t align)
{
    const struct keel_kip *k = rt_kip();
    if (count > rt_pages_free() || !align || (align & (align - 1))) {
        return NULL;
    }
    if (block_list && count == BLOCK / KEEL_PAGE_SIZE && BLOCK % align == 0) {
        void *b = block_list;
        block_list = *(void **)b;
        block_count--;
        memset(b, 0, BLOCK);
        return b;
    }
    while (count && range < k->ram_count) {
        uint64_t end = range_end(k, range);
        if (next < k->ram[range].base) {
            next = (k->ram[range].base + 4095) & ~4095ull;
        }
        /* The pages before the alignment go to the free list. */
        for (; next & (align - 1) && next + KEEL_PAGE_SIZE <= end; next += KEEL_PAGE_SIZE) {
            if (!busy(k, next)) {
                rt_page_free((void *)(uintptr_t)next);
            }
        }
        if (next + KEEL_PAGE_SIZE > end) {
            range++;
            continue;
        }
        uint64_t a = next, n = 0;
        while (n < count && a + (n + 1) * KEEL_PAGE_SIZE <= end &&
               !busy(k, a + n * KEEL_PAGE_SIZE)) {
            n++;
        }
        if (n == count) {
            next = a + count * KEEL_PAGE_SIZE;
            memset((void *)(uintptr_t)a, 0, count * KEEL_PAGE_SIZE);
            return (void *)(uintptr_t)a;
        }
        /* Too short a run: its pages go to the free list, the search goes on after it. */
        for (uint64_t i = 0; i < n; i++) {
            rt_page_free((void *)(uintptr_t)(a + i * KEEL_PAGE_SIZE));
        }
        next = a + (n + 1) * KEEL_PAGE_SIZE;
        if (next > end) {
            range++;
        }
    }
    return NULL;
}

void rt_page_free(void *p)
{
    *(void **)p = free_list;
    free_list = p;
    free_count++;
}

void rt_block_free(void *b)
{
    *(void **)b = block_list;
    block_list = b;
    block_count++;
}

void rt_gib_free(void *g)
{
    for (unsigned i = 0; i < gib_count; i++) {
        if (gibs[i] == (uint64_t)(uintptr_t)g) {
            gib_back[i] = true;
        }
    }
}

/* Bytes of [from, to) that are busy (what the kernel keeps, the initrd, the device tree, the GiBs
 * given out): the intervals clipped and merged, so that overlapping ones count once. */
static uint64_t busy_bytes(const struct keel_kip *k, uint64_t from, uint64_t to)
{
    uint64_t lo[MAX_GIBS + 64], hi[MAX_GIBS + 64];
    unsigned n = 0;
    for (uint64_t i = 0; i < k->reserved_count && n < 64; i++, n++) {
        lo[n] = k->reserved[i].base;
        hi[n] = k->reserved[i].base + k->reserved[i].size;
    }
    lo[n] = k->initrd_base & ~4095ull;
    hi[n++] = k->initrd_base + k->initrd_size;
    lo[n] = k->fdt_base & ~4095ull;
    hi[n++] = k->fdt_base + k->fdt_size;
    for (unsigned i = 0; i < gib_count; i++, n++) {
        lo[n] = gibs[i];
        hi[n] = gibs[i] + GIB;
    }
    uint64_t bytes = 0, done = from; /* [from, done) counted */
    for (;;) {                       /* the lowest interval reaching above done, each time */
        unsigned best = n;
        for (unsigned i = 0; i < n; i++) {
            if (hi[i] > done && lo[i] < to && hi[i] > lo[i] && (best == n || lo[i] < lo[best])) {
                best = i;
            }
        }
        if (best == n) {
            return bytes;
        }
        uint64_t a = lo[best] > done ? lo[best] : done, b = hi[best] < to ? hi[best] : to;
        /* whole pages: the allocator skips a page that any busy byte touches */
        a &= ~4095ull;
        b = (b + 4095) & ~4095ull;
        a = a > done ? a : done;
        b = b < to ? b : to;
        bytes += b > a ? b - a : 0;
        done = b > done ? b : done;
        hi[best] = 0; /* taken */
    }
}

uint64_t rt_pages_free(void)
{
    const struct keel_kip *k = rt_kip();
    uint64_t n = free_count + block_count * (BLOCK / KEEL_PAGE_SIZE);
    for (unsigned r = range; r < k->ram_count; r++) {
        uint64_t from = r == range && next > k->ram[r].base ? next : k->ram[r].base;
        uint64_t to = range_end(k, r);
        if (to > from) {
            n += (to - from - busy_bytes(k, from, to)) / KEEL_PAGE_SIZE;
        }
    }
    return n;
}

uint64_t rt_mem_free(void)
{
    uint64_t n = rt_pages_free() * KEEL_PAGE_SIZE;
    for (unsigned i = 0; i < gib_count; i++) {
        n += gib_back[i] ? GIB : 0;
    }
    return n;
}

void *rt_gib_alloc(void)
{
    const struct keel_kip *k = rt_kip();
    const uint64_t gib = GIB;
    for (unsigned i = 0; i < gib_count; i++) {
        if (gib_back[i]) {
            gib_back[i] = false;
            memset((void *)(uintptr_t)gibs[i], 0, gib);
            return (void *)(uintptr_t)gibs[i];
        }
    }
    for (unsigned r = k->ram_count; gib_count < MAX_GIBS && r-- > range;) {
        uint64_t floor = r == range && next > k->ram[r].base ? next : k->ram[r].base;
        for (uint64_t top = range_end(k, r) & ~(gib - 1); top > gib && top - gib >= floor;
             top -= gib) {
            uint64_t g = top - gib;
            bool free = true;
            for (uint64_t a = g; free && a < top; a += KEEL_PAGE_SIZE) {
                free = !busy(k, a);
            }
            if (free) {
                gibs[gib_count++] = g;
                memset((void *)(uintptr_t)g, 0, gib);
                return (void *)(uintptr_t)g;
            }
        }
    }
    return NULL;
}

uint64_t rt_cap_alloc(void)
{
    if (!cap_next) { /* a program's slots below KEEL_PROG_FIRST_FREE are for what it is given */
        cap_next = rt_progenv() ? KEEL_PROG_FIRST_FREE : KEEL_ROOT_FIRST_FREE;
    }
    return cap_next++;
}
