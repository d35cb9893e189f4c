// SPDX-License-Identifier: MIT
/*
 * Kernel memory on the host: the page pool (kmem.c), size classes over it (slab.c) and quotas
 * (quota.c). Every byte taken must come back: pages when their last object goes, charges when
 * an allocation fails.
 */
#include "unit.h"
#include "kern_host.h"
#include <keel/kmem.h>
#include <keel/slab.h>
#include <keel/quota.h>
#include <uapi/keel/err.h>

#define POOL_PAGES 256u

static char *pool;

static bool in_pool(const void *p)
{
    return (const char *)p >= pool && (const char *)p < pool + POOL_PAGES * PAGE_SIZE;
}

static bool all_bytes(const void *p, unsigned char v, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        if (b[i] != v) {
            return false;
        }
    }
    return true;
}

/* The pool hands out each page once, zeroed, and takes them all back. */
static void test_pages(void)
{
    static void *page[POOL_PAGES];
    CHECK_EQ(kmem_total_bytes(), POOL_PAGES * PAGE_SIZE);
    CHECK_EQ(kmem_free_bytes(), POOL_PAGES * PAGE_SIZE);

    for (unsigned i = 0; i < POOL_PAGES; i++) {
        page[i] = kmem_page_alloc();
        CHECK(page[i] != NULL);
        CHECK(in_pool(page[i]));
        CHECK_EQ((uintptr_t)page[i] % PAGE_SIZE, 0);
        CHECK(all_bytes(page[i], 0, PAGE_SIZE));
        memset(page[i], 0xa5, PAGE_SIZE); /* a page handed out twice would be caught below */
        CHECK_EQ(kmem_free_bytes(), (POOL_PAGES - i - 1) * PAGE_SIZE);
    }
    CHECK(kmem_page_alloc() == NULL);
    CHECK_EQ(kmem_free_bytes(), 0);
    for (unsigned i = 0; i < POOL_PAGES; i++) {
        CHECK(all_bytes(page[i], 0xa5, PAGE_SIZE)); /* nobody else wrote to an owned page */
    }

    /* A freed page comes back zeroed. */
    kmem_page_free(page[7]);
    CHECK_EQ(kmem_free_bytes(), PAGE_SIZE);
    void *again = kmem_page_alloc();
    CHECK(again == page[7]);
    CHECK(all_bytes(again, 0, PAGE_SIZE));

    for (unsigned i = 0; i < POOL_PAGES; i++) {
        kmem_page_free(page[i]);
    }
    CHECK_EQ(kmem_free_bytes(), POOL_PAGES * PAGE_SIZE);
    CHECK_EQ(kmem_total_bytes(), POOL_PAGES * PAGE_SIZE);
}

static void test_classes(void)
{
    static const struct {
        size_t size, class;
    } cases[] = {
        { 0, 32 },     { 1, 32 },       { 32, 32 },     { 33, 64 },     { 64, 64 },
        { 65, 128 },   { 100, 128 },    { 255, 256 },   { 256, 256 },   { 257, 512 },
        { 1000, 1024 }, { 2047, 2048 }, { 2048, 2048 }, { 2049, 4096 }, { 4096, 4096 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CHECK_EQ(slab_class_size(cases[i].size), cases[i].class);
    }
}

/* Objects of one class fill a page (its header takes the first slot) before the next page is
 * taken; a page goes back to the pool with its last object. */
static void test_slab_fill(void)
{
    static void *obj[2 * 128];
    uint64_t start = kmem_free_bytes();
    for (size_t size = 32; size <= 2048; size *= 2) {
        size_t cap = PAGE_SIZE / size - 1;
        for (size_t i = 0; i < cap; i++) {
            obj[i] = slab_alloc(size);
            CHECK(obj[i] != NULL && in_pool(obj[i]));
            CHECK_EQ((uintptr_t)obj[i] % size, 0);
            CHECK(all_bytes(obj[i], 0, size));
            memset(obj[i], (int)(i + 1), size);
            CHECK_EQ((uintptr_t)obj[i] / PAGE_SIZE, (uintptr_t)obj[0] / PAGE_SIZE);
        }
        CHECK_EQ(kmem_free_bytes(), start - PAGE_SIZE);
        obj[cap] = slab_alloc(size); /* the page is full: a second one */
        CHECK(obj[cap] != NULL);
        CHECK((uintptr_t)obj[cap] / PAGE_SIZE != (uintptr_t)obj[0] / PAGE_SIZE);
        CHECK_EQ(kmem_free_bytes(), start - 2 * PAGE_SIZE);
        for (size_t i = 0; i < cap; i++) {
            CHECK(all_bytes(obj[i], (unsigned char)(i + 1), size)); /* no overlap */
        }

        /* A slot freed in the full page is reused (zeroed) before anything new is taken. */
        if (cap > 1) {
            void *hole = obj[cap / 2];
            slab_free(hole, size);
            slab_free(obj[cap], size); /* second page empty again: back to the pool */
            CHECK_EQ(kmem_free_bytes(), start - PAGE_SIZE);
            obj[cap / 2] = slab_alloc(size);
            CHECK(obj[cap / 2] == hole);
            CHECK(all_bytes(hole, 0, size));
            CHECK_EQ(kmem_free_bytes(), start - PAGE_SIZE);
        } else {
            slab_free(obj[cap], size);
        }
        for (size_t i = 0; i < cap; i++) {
            CHECK_EQ(kmem_free_bytes(), start - PAGE_SIZE); /* until the last object goes */
            slab_free(obj[i], size);
        }
        CHECK_EQ(kmem_free_bytes(), start);
    }

    /* Above the largest class a whole page; above a page nothing. */
    void *big = slab_alloc(3000);
    CHECK(big != NULL && (uintptr_t)big % PAGE_SIZE == 0);
    CHECK_EQ(kmem_free_bytes(), start - PAGE_SIZE);
    slab_free(big, 3000);
    CHECK(slab_alloc(PAGE_SIZE + 1) == NULL);
    CHECK_EQ(kmem_free_bytes(), start);
    slab_free(NULL, 64); /* harmless */
    CHECK_EQ(kmem_free_bytes(), start);
}

/* Random allocations and frees of every size: no two live objects overlap (each keeps its own
 * pattern), failure only when the pool is really empty, and everything returns at the end. */
static void test_slab_random(void)
{
    enum { SLOTS = 3000, ROUNDS = 40000 };
    static struct {
        unsigned char *p;
        size_t size;
        unsigned char tag;
    } live[SLOTS];
    uint64_t start = kmem_free_bytes();
    unsigned failures = 0, bad_fail = 0, corrupt = 0;

    for (unsigned r = 0; r < ROUNDS; r++) {
        unsigned i = (unsigned)(kern_host_rand() % SLOTS);
        if (live[i].p) {
            if (!all_bytes(live[i].p, live[i].tag, live[i].size)) {
                corrupt++;
            }
            slab_free(live[i].p, live[i].size);
            live[i].p = NULL;
            continue;
        }
        size_t size = 1 + (size_t)(kern_host_rand() % (kern_host_rand() % 4 ? 300 : PAGE_SIZE));
        unsigned char *p = slab_alloc(size);
        if (!p) {
            failures++;
            if (kmem_free_bytes() != 0) {
                bad_fail++;
            }
            continue;
        }
        live[i].p = p;
        live[i].size = size;
        live[i].tag = (unsigned char)(r | 1);
        memset(p, live[i].tag, size);
    }
    for (unsigned i = 0; i < SLOTS; i++) {
        if (live[i].p) {
            if (!all_bytes(live[i].p, live[i].tag, live[i].size)) {
                corrupt++;
            }
            slab_free(live[i].p, live[i].size);
        }
    }
    CHECK_EQ(corrupt, 0);
    CHECK_EQ(bad_fail, 0);
    CHECK(failures > 0); /* the pool did run dry at times, so that path was taken */
    CHECK_EQ(kmem_free_bytes(), start);
}

static void test_quota_charge(void)
{
    struct quota q = { .limit = 1000 };
    CHECK_EQ(quota_charge(&q, 600), 0);
    CHECK_EQ(q.used, 600);
    CHECK_EQ(quota_charge(&q, 401), -KEEL_ENOMEM);
    CHECK_EQ(q.used, 600);
    CHECK_EQ(quota_charge(&q, 400), 0); /* exactly up to the limit */
    CHECK_EQ(q.used, 1000);
    CHECK_EQ(quota_charge(&q, 1), -KEEL_ENOMEM);
    CHECK_EQ(quota_charge(&q, 0), 0);
    CHECK_EQ(quota_charge(&q, UINT64_MAX), -KEEL_ENOMEM);
    quota_uncharge(&q, 1000);
    CHECK_EQ(q.used, 0);
    CHECK_EQ(quota_charge(&q, UINT64_MAX), -KEEL_ENOMEM);
    CHECK_EQ(q.used, 0);
}

static void test_quota_alloc(void)
{
    uint64_t start = kmem_free_bytes();
    struct quota q = { .limit = 100 };

    /* Charged by the real size of the class. */
    void *a = quota_alloc(&q, 33);
    CHECK(a != NULL);
    CHECK_EQ(q.used, 64);
    CHECK(quota_alloc(&q, 33) == NULL); /* 64 more would pass 100 */
    CHECK_EQ(q.used, 64);
    void *b = quota_alloc(&q, 20);
    CHECK(b != NULL);
    CHECK_EQ(q.used, 96);
    CHECK(quota_alloc(&q, 1) == NULL);
    CHECK_EQ(q.used, 96);
    CHECK_EQ(kmem_free_bytes(), start - 2 * PAGE_SIZE); /* one page per class */
    quota_free(&q, a, 33);
    CHECK_EQ(q.used, 32);
    quota_free(&q, b, 20);
    CHECK_EQ(q.used, 0);
    quota_free(&q, NULL, 20);
    CHECK_EQ(q.used, 0);
    CHECK_EQ(kmem_free_bytes(), start);

    /* Too big for any class: refused, charge undone. */
    q.limit = UINT64_MAX;
    CHECK(quota_alloc(&q, PAGE_SIZE + 1) == NULL);
    CHECK_EQ(q.used, 0);
    void *page = quota_alloc(&q, 2049);
    CHECK(page != NULL);
    CHECK_EQ(q.used, PAGE_SIZE);
    quota_free(&q, page, 2049);
    CHECK_EQ(q.used, 0);
    CHECK_EQ(kmem_free_bytes(), start);
}

/* The pool runs dry under a quota with room: the failing allocation charges nothing. */
static void test_quota_pool_exhausted(void)
{
    static void *page[POOL_PAGES];
    uint64_t start = kmem_free_bytes();
    struct quota q = { .limit = UINT64_MAX / 2 };
    unsigned n = 0;
    while (n < POOL_PAGES && (page[n] = quota_alloc(&q, PAGE_SIZE))) {
        n++;
    }
    CHECK_EQ(n, start / PAGE_SIZE);
    CHECK_EQ(q.used, n * PAGE_SIZE);
    CHECK_EQ(kmem_free_bytes(), 0);
    CHECK(quota_alloc(&q, PAGE_SIZE) == NULL);
    CHECK(quota_alloc(&q, 40) == NULL); /* no partial slab page either */
    CHECK_EQ(q.used, n * PAGE_SIZE);

    /* One page back: a small object fits, and a second one shares its page. */
    quota_free(&q, page[--n], PAGE_SIZE);
    void *s1 = quota_alloc(&q, 40), *s2 = quota_alloc(&q, 40);
    CHECK(s1 != NULL && s2 != NULL);
    CHECK_EQ(q.used, n * PAGE_SIZE + 128);
    CHECK(quota_alloc(&q, 2048) == NULL);
    CHECK_EQ(q.used, n * PAGE_SIZE + 128);
    quota_free(&q, s1, 40);
    quota_free(&q, s2, 40);
    while (n) {
        quota_free(&q, page[--n], PAGE_SIZE);
    }
    CHECK_EQ(q.used, 0);
    CHECK_EQ(kmem_free_bytes(), start);
}

int main(void)
{
    pool = kern_host_pool(POOL_PAGES);
    test_pages();
    test_classes();
    test_slab_fill();
    test_slab_random();
    test_quota_charge();
    test_quota_alloc();
    test_quota_pool_exhausted();
    CHECK_EQ(kmem_free_bytes(), kmem_total_bytes());
    int rc = unit_done("test_kmem");
    free(pool);
    return rc;
}
