// SPDX-License-Identifier: MIT
/*
 * Memory spaces (memspace.c) over the mapping database, against the fake page table
 * (hyp/arch/fake/pt.c), which logs every arch_pt_map()/arch_pt_unmap() call: map, lookup and
 * unmap; rights widening when the same frame is mapped again from the same source; replacing a
 * different frame; EEXIST instead of replacing a mapping the new one derives from; grant; recursive
 * unmap across three spaces; memspace_unmap_all() + memspace_free() returning every byte.
 * After each step the "hardware" table must match the memspace exactly (check_sync) and the
 * mapping tree must be well formed (check_tree).
 */
#include "unit.h"
#include "kern_host.h"
#include <keel/memspace.h>
#include <keel/quota.h>
#include <keel/slab.h>
#include <keel/phys.h>
#include <arch/fake_pt.h>
#include <uapi/keel/err.h>
#include <uapi/keel/fpage.h>

#define MAX_VAS 2048u
#define RAM_BASE 0x80000000ull

struct space {
    struct memspace ms;
    struct quota q;
    uint64_t va[MAX_VAS]; /* every address this test used in the space */
    unsigned nva;
};

static struct space sp[6];
static uint64_t map_size; /* what one struct mem_map costs */

static pfn_t frame(unsigned k)
{
    return pfn_from_pa(pa_init(RAM_BASE + (uint64_t)k * PAGE_SIZE));
}

static pfn_t device_frame(unsigned k)
{
    return pfn_from_pa(pa_init(0x09000000ull + (uint64_t)k * PAGE_SIZE));
}

static void track(struct space *s, uint64_t va)
{
    for (unsigned i = 0; i < s->nva; i++) {
        if (s->va[i] == va) {
            return;
        }
    }
    if (s->nva == MAX_VAS) {
        fprintf(stderr, "too many addresses\n");
        exit(2);
    }
    s->va[s->nva++] = va;
}

static void space_init(struct space *s)
{
    s->q = (struct quota){ .limit = 64u << 20 };
    s->nva = 0;
    CHECK_EQ(memspace_init(&s->ms, &s->q, false), 0);
}

static int map(struct space *s, uint64_t va, pfn_t pfn, unsigned rights, struct mem_map *parent)
{
    track(s, va);
    return memspace_map(&s->ms, va_init(va), pfn, 0, rights, parent);
}

static int grant(struct space *s, uint64_t va, struct mem_map *src)
{
    track(s, va);
    return memspace_grant(&s->ms, va_init(va), src, ~0u);
}

static struct mem_map *at(struct space *s, uint64_t va)
{
    return memspace_lookup(&s->ms, va_init(va));
}

static struct mem_map *map_of(struct mapnode *n)
{
    return n ? container_of(n, struct mem_map, node) : NULL;
}

/* The fake page table holds exactly the space's mappings, with their frames and rights. */
static void check_sync_at(struct space *s, int line)
{
    unsigned mapped = 0, mismatches = 0;
    for (unsigned i = 0; i < s->nva; i++) {
        struct mem_map *m = at(s, s->va[i]);
        struct fake_pte pte;
        bool hw = fake_pt_lookup(&s->ms.pt, va_init(s->va[i]), &pte);
        if (!m) {
            mismatches += hw;
            continue;
        }
        mapped++;
        if (!hw || pa_val(pte.pa) != pa_val(pa_from_pfn(m->pfn)) || pte.rights != m->rights ||
            pte.device != !phys_is_ram(m->pfn) || m->space != &s->ms ||
            va_val(m->va) != s->va[i]) {
            mismatches++;
        }
    }
    if (mismatches || s->ms.pt.present != mapped || s->ms.pt.stale_unmaps) {
        char what[160];
        snprintf(what, sizeof(what), "space %u in sync at line %d (%u mismatches, %llu vs %u, %llu stale)",
                 (unsigned)(s - sp), line, mismatches, (unsigned long long)s->ms.pt.present,
                 mapped, (unsigned long long)s->ms.pt.stale_unmaps);
        unit_fail(__FILE__, line, what);
    }
    unit_checks++;
}
#define check_sync(s) check_sync_at((s), __LINE__)

/* Every mapping's parent lists it among its children, every child points back and is itself a
 * live mapping at its own address. */
static void check_tree_at(unsigned nspaces, int line)
{
    unsigned bad = 0;
    for (unsigned k = 0; k < nspaces; k++) {
        for (unsigned i = 0; i < sp[k].nva; i++) {
            struct mem_map *m = at(&sp[k], sp[k].va[i]);
            if (!m) {
                continue;
            }
            if (m->node.parent) {
                struct mapnode *c = m->node.parent->child;
                while (c && c != &m->node) {
                    c = c->next;
                }
                bad += c == NULL;
            }
            uint32_t n = 0;
            bool smaller_seen = false;
            for (struct mapnode *c = m->node.child; c; c = c->next, n++) {
                struct mem_map *cm = map_of(c);
                bad += c->parent != &m->node || c == &m->node || cm->level > m->level;
                bad += memspace_lookup(cm->space, cm->va) != cm;
                /* a block's children of its own size come first */
                bad += smaller_seen && cm->level == m->level && m->level > 0;
                smaller_seen |= cm->level < m->level;
            }
            bad += n != m->children;
        }
    }
    if (bad) {
        char what[64];
        snprintf(what, sizeof(what), "mapping tree well formed (%u bad links)", bad);
        unit_fail(__FILE__, line, what);
    }
    unit_checks++;
}
#define check_tree(n) check_tree_at((n), __LINE__)

static unsigned log_count(enum fake_pt_op op, const struct space *s)
{
    unsigned n = 0;
    for (unsigned i = 0; i < fake_pt_log_count && i < FAKE_PT_LOG_SIZE; i++) {
        n += fake_pt_log[i].op == op && fake_pt_log[i].pt == &s->ms.pt;
    }
    return n;
}

/* Position of the call in the log, or -1. */
static int log_find(enum fake_pt_op op, const struct space *s, uint64_t va)
{
    for (unsigned i = 0; i < fake_pt_log_count && i < FAKE_PT_LOG_SIZE; i++) {
        if (fake_pt_log[i].op == op && fake_pt_log[i].pt == &s->ms.pt &&
            va_val(fake_pt_log[i].va) == va) {
            return (int)i;
        }
    }
    return -1;
}

static void space_fini(struct space *s)
{
    memspace_unmap_all(&s->ms);
    CHECK_EQ(s->ms.pt.present, 0);
    check_sync(s);
    memspace_free(&s->ms);
    CHECK_EQ(s->ms.pt.tables, 0);
    CHECK_EQ(s->q.used, 0);
}

static void test_map_basic(void)
{
    struct space *s = &sp[0];
    space_init(s);
    CHECK_EQ(s->q.used, PAGE_SIZE); /* the page-table root */
    fake_pt_log_reset();

    CHECK_EQ(map(s, 0x1000, frame(1), KEEL_FP_R, NULL), 0);
    struct mem_map *m = at(s, 0x1000);
    CHECK(m != NULL);
    CHECK(m && pfn_val(m->pfn) == pfn_val(frame(1)) && m->rights == KEEL_FP_R);
    CHECK(m && m->node.parent == NULL && m->space == &s->ms && va_val(m->va) == 0x1000);
    CHECK_EQ(fake_pt_log_count, 1);
    CHECK_EQ(fake_pt_log[0].op, FAKE_PT_MAP);
    CHECK_EQ(va_val(fake_pt_log[0].va), 0x1000);
    CHECK_EQ(pa_val(fake_pt_log[0].pa), RAM_BASE + PAGE_SIZE);
    CHECK_EQ(fake_pt_log[0].rights, KEEL_FP_R);
    CHECK_EQ(fake_pt_log[0].device, false);
    CHECK_EQ(fake_pt_log[0].was_valid, false);
    /* Root + three memspace tables + two page tables, and the node. */
    CHECK_EQ(s->q.used, 6 * PAGE_SIZE + map_size);
    check_sync(s);

    /* Refused addresses change nothing. */
    CHECK_EQ(memspace_map(&s->ms, va_init(0x1001), frame(2), 0, KEEL_FP_R, NULL), -KEEL_ERANGE);
    CHECK_EQ(memspace_map(&s->ms, va_init(ARCH_USER_VA_LIMIT), frame(2), 0, KEEL_FP_R, NULL),
             -KEEL_ERANGE);
    CHECK_EQ(memspace_map(&s->ms, va_init(~0ull << 12), frame(2), 0, KEEL_FP_R, NULL), -KEEL_ERANGE);
    CHECK_EQ(fake_pt_log_count, 1);
    CHECK_EQ(s->q.used, 6 * PAGE_SIZE + map_size);
    CHECK(at(s, 0x2000) == NULL);
    CHECK(memspace_lookup(&s->ms, va_init(ARCH_USER_VA_LIMIT)) == NULL);

    /* Device memory, the last page of the space, page 0. */
    CHECK_EQ(map(s, 0x2000, device_frame(0), KEEL_FP_RW, NULL), 0);
    CHECK_EQ(fake_pt_log[1].device, true);
    CHECK_EQ(map(s, ARCH_USER_VA_LIMIT - PAGE_SIZE, frame(3), KEEL_FP_RWX, NULL), 0);
    CHECK_EQ(map(s, 0, frame(4), KEEL_FP_X, NULL), 0);
    CHECK(at(s, 0) != NULL && at(s, ARCH_USER_VA_LIMIT - PAGE_SIZE) != NULL);
    CHECK_EQ(s->ms.pt.present, 4);
    check_sync(s);

    /* Unmap: the page, a hole (no call at all), children only (none: the page stays). */
    fake_pt_log_reset();
    memspace_unmap(&s->ms, va_init(0x1000), PAGE_SIZE, true);
    CHECK(at(s, 0x1000) == NULL);
    CHECK_EQ(fake_pt_log_count, 1);
    CHECK_EQ(fake_pt_log[0].op, FAKE_PT_UNMAP);
    CHECK_EQ(va_val(fake_pt_log[0].va), 0x1000);
    CHECK_EQ(fake_pt_log[0].was_valid, true);
    memspace_unmap(&s->ms, va_init(0x5000), 16 * PAGE_SIZE, true);
    memspace_unmap(&s->ms, va_init(0x2000), PAGE_SIZE, false);
    CHECK_EQ(fake_pt_log_count, 1);
    CHECK(at(s, 0x2000) != NULL);
    check_sync(s);
    space_fini(s);
}

/* The same frame mapped again from the same source widens the rights in place (children kept);
 * from another source it replaces the mapping, so that source can take back what it gave. */
static void test_widen(void)
{
    for (unsigned k = 0; k < 4; k++) {
        space_init(&sp[k]);
    }
    CHECK_EQ(map(&sp[1], 0x10000, frame(10), KEEL_FP_R, NULL), 0);
    struct mem_map *p = at(&sp[1], 0x10000);
    CHECK_EQ(map(&sp[2], 0x20000, frame(10), KEEL_FP_R, p), 0);
    struct mem_map *c = at(&sp[2], 0x20000);
    CHECK_EQ(map(&sp[3], 0x30000, frame(10), KEEL_FP_R, c), 0);
    struct mem_map *g = at(&sp[3], 0x30000);
    CHECK(c && g && c->node.parent == &p->node && g->node.parent == &c->node);

    /* A root mapping widened by the kernel. */
    fake_pt_log_reset();
    CHECK_EQ(map(&sp[1], 0x10000, frame(10), KEEL_FP_W, NULL), 0);
    CHECK(at(&sp[1], 0x10000) == p);
    CHECK_EQ(p->rights, KEEL_FP_RW);
    CHECK_EQ(fake_pt_log_count, 1);
    CHECK_EQ(fake_pt_log[0].op, FAKE_PT_MAP);
    CHECK_EQ(fake_pt_log[0].rights, KEEL_FP_RW);
    CHECK_EQ(fake_pt_log[0].was_valid, true);
    CHECK(c->node.parent == &p->node);

    /* Asking again for rights it has: nothing to do. */
    CHECK_EQ(map(&sp[1], 0x10000, frame(10), KEEL_FP_R, NULL), 0);
    CHECK_EQ(fake_pt_log_count, 1);

    /* A child widened by its own parent keeps its place and its children. */
    CHECK_EQ(map(&sp[2], 0x20000, frame(10), KEEL_FP_RW, p), 0);
    CHECK(at(&sp[2], 0x20000) == c);
    CHECK_EQ(c->rights, KEEL_FP_RW);
    CHECK(g->node.parent == &c->node && at(&sp[3], 0x30000) == g);
    CHECK_EQ(fake_pt_log_count, 2);
    CHECK_EQ(sp[2].ms.pt.remaps, 1);
    for (unsigned k = 1; k < 4; k++) {
        check_sync(&sp[k]);
    }

    /* Space 3 maps the frame RW from p as well (q); space 2's c, which came from p with R, is
     * then mapped over from q with RW. Whatever space 2 ends up with must go when space 3
     * revokes what it gave. */
    memspace_unmap(&sp[2].ms, va_init(0x20000), PAGE_SIZE, true);
    CHECK_EQ(map(&sp[2], 0x20000, frame(10), KEEL_FP_R, p), 0);
    c = at(&sp[2], 0x20000);
    CHECK_EQ(map(&sp[3], 0x40000, frame(10), KEEL_FP_RW, p), 0);
    struct mem_map *q = at(&sp[3], 0x40000);
    CHECK_EQ(map(&sp[2], 0x20000, frame(10), KEEL_FP_RW, q), 0);
    struct mem_map *n = at(&sp[2], 0x20000);
    CHECK(n != NULL && n->rights == KEEL_FP_RW);
    CHECK(n && n->node.parent == &q->node);
    check_tree(4);
    memspace_unmap(&sp[3].ms, va_init(0x40000), PAGE_SIZE, false);
    CHECK(at(&sp[2], 0x20000) == NULL);
    for (unsigned k = 1; k < 4; k++) {
        check_sync(&sp[k]);
    }
    check_tree(4);
    for (unsigned k = 0; k < 4; k++) {
        space_fini(&sp[k]);
    }
}

/* Mapping another frame over a page removes it and everything mapped from it first. */
static void test_replace(void)
{
    for (unsigned k = 1; k < 4; k++) {
        space_init(&sp[k]);
    }
    CHECK_EQ(map(&sp[1], 0x10000, frame(20), KEEL_FP_RW, NULL), 0);
    CHECK_EQ(map(&sp[2], 0x20000, frame(20), KEEL_FP_RW, at(&sp[1], 0x10000)), 0);
    CHECK_EQ(map(&sp[3], 0x30000, frame(20), KEEL_FP_R, at(&sp[2], 0x20000)), 0);
    uint64_t used2 = sp[2].q.used, used3 = sp[3].q.used;
    fake_pt_log_reset();
    CHECK_EQ(map(&sp[1], 0x10000, frame(21), KEEL_FP_R, NULL), 0);
    CHECK(at(&sp[2], 0x20000) == NULL && at(&sp[3], 0x30000) == NULL);
    CHECK(at(&sp[1], 0x10000) && pfn_val(at(&sp[1], 0x10000)->pfn) == pfn_val(frame(21)));
    CHECK(at(&sp[1], 0x10000) && at(&sp[1], 0x10000)->node.child == NULL);
    /* Deepest first, then the page itself, then the new frame. */
    CHECK_EQ(fake_pt_log_count, 4);
    CHECK_EQ(log_find(FAKE_PT_UNMAP, &sp[3], 0x30000), 0);
    CHECK_EQ(log_find(FAKE_PT_UNMAP, &sp[2], 0x20000), 1);
    CHECK_EQ(log_find(FAKE_PT_UNMAP, &sp[1], 0x10000), 2);
    CHECK_EQ(log_find(FAKE_PT_MAP, &sp[1], 0x10000), 3);
    CHECK_EQ(fake_pt_log[3].was_valid, false);
    CHECK_EQ(sp[2].q.used, used2 - map_size);
    CHECK_EQ(sp[3].q.used, used3 - map_size);
    for (unsigned k = 1; k < 4; k++) {
        check_sync(&sp[k]);
        space_fini(&sp[k]);
    }
}

/* Mapping over a mapping the source derives from would revoke the source: refused. */
static void test_eexist(void)
{
    for (unsigned k = 1; k < 4; k++) {
        space_init(&sp[k]);
    }
    CHECK_EQ(map(&sp[1], 0x10000, frame(30), KEEL_FP_RWX, NULL), 0);
    struct mem_map *p = at(&sp[1], 0x10000);
    CHECK_EQ(map(&sp[2], 0x20000, frame(30), KEEL_FP_RW, p), 0);
    struct mem_map *c = at(&sp[2], 0x20000);
    CHECK_EQ(map(&sp[3], 0x30000, frame(30), KEEL_FP_R, c), 0);
    struct mem_map *g = at(&sp[3], 0x30000);
    fake_pt_log_reset();

    CHECK_EQ(map(&sp[1], 0x10000, frame(31), KEEL_FP_R, c), -KEEL_EEXIST);
    CHECK_EQ(map(&sp[1], 0x10000, frame(30), KEEL_FP_R, c), -KEEL_EEXIST);
    CHECK_EQ(map(&sp[1], 0x10000, frame(30), KEEL_FP_R, g), -KEEL_EEXIST);
    CHECK_EQ(map(&sp[2], 0x20000, frame(30), KEEL_FP_R, g), -KEEL_EEXIST);
    CHECK_EQ(fake_pt_log_count, 0);
    CHECK(at(&sp[1], 0x10000) == p && at(&sp[2], 0x20000) == c && at(&sp[3], 0x30000) == g);
    CHECK(p->rights == KEEL_FP_RWX && c->rights == KEEL_FP_RW && g->rights == KEEL_FP_R);
    CHECK(g->node.parent == &c->node && c->node.parent == &p->node && p->node.parent == NULL);

    /* A page mapped onto itself: nothing to do. */
    CHECK_EQ(map(&sp[2], 0x20000, frame(30), KEEL_FP_R, c), 0);
    CHECK(at(&sp[2], 0x20000) == c && c->rights == KEEL_FP_RW);
    CHECK_EQ(fake_pt_log_count, 0);
    check_tree(4);
    for (unsigned k = 1; k < 4; k++) {
        check_sync(&sp[k]);
        space_fini(&sp[k]);
    }
}

static void test_grant(void)
{
    for (unsigned k = 1; k < 5; k++) {
        space_init(&sp[k]);
    }
    CHECK_EQ(map(&sp[1], 0x10000, frame(40), KEEL_FP_RWX, NULL), 0);
    struct mem_map *p = at(&sp[1], 0x10000);
    CHECK_EQ(map(&sp[2], 0x20000, frame(40), KEEL_FP_RW, p), 0);
    struct mem_map *c = at(&sp[2], 0x20000);
    CHECK_EQ(map(&sp[3], 0x30000, frame(40), KEEL_FP_R, c), 0);
    struct mem_map *g = at(&sp[3], 0x30000);
    uint64_t used2 = sp[2].q.used, used4 = sp[4].q.used;

    fake_pt_log_reset();
    CHECK_EQ(grant(&sp[4], 0x40000, c), 0);
    struct mem_map *n = at(&sp[4], 0x40000);
    CHECK(n != NULL && at(&sp[2], 0x20000) == NULL);
    CHECK(n && pfn_val(n->pfn) == pfn_val(frame(40)) && n->rights == KEEL_FP_RW);
    CHECK(n && n->node.parent == &p->node && n->node.child == &g->node);
    CHECK(p->node.child == &n->node && n && n->node.next == NULL);
    CHECK(g->node.parent == &n->node);
    CHECK_EQ(fake_pt_log_count, 2);
    CHECK_EQ(log_find(FAKE_PT_MAP, &sp[4], 0x40000), 0);
    CHECK_EQ(log_find(FAKE_PT_UNMAP, &sp[2], 0x20000), 1);
    CHECK_EQ(sp[2].q.used, used2 - map_size); /* tables stay */
    CHECK(sp[4].q.used > used4);
    for (unsigned k = 1; k < 5; k++) {
        check_sync(&sp[k]);
    }
    check_tree(5);

    /* Granted onto itself: nothing happens. */
    fake_pt_log_reset();
    CHECK_EQ(grant(&sp[4], 0x40000, n), 0);
    CHECK(at(&sp[4], 0x40000) == n && n->node.parent == &p->node);
    CHECK_EQ(fake_pt_log_count, 0);

    /* A root mapping granted: still a root, the tree below follows. */
    CHECK_EQ(grant(&sp[2], 0x50000, p), 0);
    struct mem_map *r = at(&sp[2], 0x50000);
    CHECK(r != NULL && at(&sp[1], 0x10000) == NULL);
    CHECK(r && r->node.parent == NULL && n->node.parent == &r->node);
    check_tree(5);

    /* Revoking from the new place reaches the old children. */
    memspace_unmap(&sp[2].ms, va_init(0x50000), PAGE_SIZE, false);
    CHECK(at(&sp[4], 0x40000) == NULL && at(&sp[3], 0x30000) == NULL);
    CHECK(at(&sp[2], 0x50000) == r);
    for (unsigned k = 1; k < 5; k++) {
        check_sync(&sp[k]);
        space_fini(&sp[k]);
    }
}

/* Granting onto an address that already holds a mapping of the same frame. */
static void test_grant_over(void)
{
    for (unsigned k = 0; k < 6; k++) {
        space_init(&sp[k]);
    }
    CHECK_EQ(map(&sp[1], 0x10000, frame(50), KEEL_FP_RWX, NULL), 0);
    struct mem_map *p = at(&sp[1], 0x10000);
    CHECK_EQ(map(&sp[2], 0x20000, frame(50), KEEL_FP_RW, p), 0);
    struct mem_map *c = at(&sp[2], 0x20000);
    CHECK_EQ(map(&sp[3], 0x30000, frame(50), KEEL_FP_R, c), 0);
    struct mem_map *g = at(&sp[3], 0x30000);
    CHECK_EQ(map(&sp[4], 0x40000, frame(50), KEEL_FP_R, p), 0);
    CHECK_EQ(map(&sp[5], 0x50000, frame(50), KEEL_FP_R, at(&sp[4], 0x40000)), 0);

    /* Over an unrelated mapping (a sibling with a child of its own): it goes, with its child. */
    CHECK_EQ(grant(&sp[4], 0x40000, c), 0);
    struct mem_map *n = at(&sp[4], 0x40000);
    CHECK(at(&sp[2], 0x20000) == NULL && at(&sp[5], 0x50000) == NULL);
    CHECK(n && n->rights == KEEL_FP_RW && n->node.parent == &p->node);
    CHECK(n && n->node.child == &g->node && g->node.parent == &n->node && g->node.next == NULL);
    check_tree(6);
    for (unsigned k = 0; k < 6; k++) {
        check_sync(&sp[k]);
    }

    /* Over the mapping it derives from: refused, nothing changes. */
    fake_pt_log_reset();
    CHECK_EQ(grant(&sp[1], 0x10000, n), -KEEL_EEXIST);
    CHECK(at(&sp[1], 0x10000) == p && p->node.parent == NULL && p->node.child == &n->node);
    CHECK(at(&sp[4], 0x40000) == n && n->node.parent == &p->node);
    CHECK_EQ(fake_pt_log_count, 0);
    check_tree(6);

    /* Over one of its own descendants: the descendant goes, the grant happens. */
    CHECK_EQ(grant(&sp[3], 0x30000, n), 0);
    struct mem_map *m = at(&sp[3], 0x30000);
    CHECK(at(&sp[4], 0x40000) == NULL);
    CHECK(m && m->rights == KEEL_FP_RW && m->node.parent == &p->node && m->node.child == NULL);
    CHECK(p->node.child == &m->node && m && m->node.next == NULL);
    check_tree(6);
    for (unsigned k = 0; k < 6; k++) {
        check_sync(&sp[k]);
        space_fini(&sp[k]);
    }
}

/* Three spaces: 1 has 16 pages, 2 maps them all from 1, 3 maps them from 2 and the first four
 * again directly from 1. */
static void test_recursive_unmap(void)
{
    enum { PAGES = 16 };
    for (unsigned k = 1; k < 4; k++) {
        space_init(&sp[k]);
    }
    for (unsigned i = 0; i < PAGES; i++) {
        uint64_t off = (uint64_t)i * PAGE_SIZE;
        CHECK_EQ(map(&sp[1], 0x100000 + off, frame(100 + i), KEEL_FP_RWX, NULL), 0);
        CHECK_EQ(map(&sp[2], 0x200000 + off, frame(100 + i), KEEL_FP_RW,
                     at(&sp[1], 0x100000 + off)), 0);
        CHECK_EQ(map(&sp[3], 0x300000 + off, frame(100 + i), KEEL_FP_R,
                     at(&sp[2], 0x200000 + off)), 0);
        if (i < 4) {
            CHECK_EQ(map(&sp[3], 0x400000 + off, frame(100 + i), KEEL_FP_R,
                         at(&sp[1], 0x100000 + off)), 0);
        }
    }
    CHECK_EQ(sp[3].ms.pt.present, PAGES + 4);

    /* What was mapped from the first half of space 1; space 1 keeps its pages. */
    fake_pt_log_reset();
    memspace_unmap(&sp[1].ms, va_init(0x100000), PAGES / 2 * PAGE_SIZE, false);
    CHECK_EQ(log_count(FAKE_PT_UNMAP, &sp[1]), 0);
    CHECK_EQ(log_count(FAKE_PT_UNMAP, &sp[2]), PAGES / 2);
    CHECK_EQ(log_count(FAKE_PT_UNMAP, &sp[3]), PAGES / 2 + 4);
    CHECK_EQ(log_count(FAKE_PT_MAP, &sp[1]) + log_count(FAKE_PT_MAP, &sp[2]) +
                 log_count(FAKE_PT_MAP, &sp[3]), 0);
    unsigned misordered = 0, wrong = 0;
    for (unsigned i = 0; i < PAGES; i++) {
        uint64_t off = (uint64_t)i * PAGE_SIZE;
        bool gone = i < PAGES / 2;
        wrong += at(&sp[1], 0x100000 + off) == NULL;
        wrong += (at(&sp[2], 0x200000 + off) == NULL) != gone;
        wrong += (at(&sp[3], 0x300000 + off) == NULL) != gone;
        if (gone) {
            misordered += log_find(FAKE_PT_UNMAP, &sp[3], 0x300000 + off) >
                          log_find(FAKE_PT_UNMAP, &sp[2], 0x200000 + off);
        }
        if (i < 4) {
            wrong += at(&sp[3], 0x400000 + off) != NULL;
        }
    }
    CHECK_EQ(wrong, 0);
    CHECK_EQ(misordered, 0); /* grandchild before child */
    for (unsigned k = 1; k < 4; k++) {
        check_sync(&sp[k]);
    }

    /* From the middle space, itself included: space 3 loses the rest, space 1 nothing. */
    memspace_unmap(&sp[2].ms, va_init(0x200000), PAGES * PAGE_SIZE, true);
    CHECK_EQ(sp[2].ms.pt.present, 0);
    CHECK_EQ(sp[3].ms.pt.present, 0);
    CHECK_EQ(sp[1].ms.pt.present, PAGES);
    memspace_unmap(&sp[1].ms, va_init(0x100000), PAGES * PAGE_SIZE, true);
    CHECK_EQ(sp[1].ms.pt.present, 0);
    check_tree(4);
    for (unsigned k = 1; k < 4; k++) {
        check_sync(&sp[k]);
        CHECK_EQ(sp[k].ms.pt.stale_unmaps, 0);
        space_fini(&sp[k]);
    }
}

/* Many mappings all over the space, some mapped on inside the same space and into two others:
 * unmap_all removes them everywhere, free returns every byte. */
static void test_unmap_all_free(void)
{
    enum { ROOTS = 600, REGIONS = 48 };
    const uint64_t region_size = 512 * PAGE_SIZE; /* what one last-level table covers */
    uint64_t start = kmem_free_bytes();
    for (unsigned k = 1; k < 4; k++) {
        space_init(&sp[k]);
    }
    /* Pages in a few regions spread over the whole space, its first and last page included. */
    uint64_t region[REGIONS];
    for (unsigned r = 0; r < REGIONS; r++) {
        region[r] = r == 0   ? 0
                    : r == 1 ? ARCH_USER_VA_LIMIT - region_size
                             : kern_host_rand() % (ARCH_USER_VA_LIMIT / region_size) * region_size;
    }
    unsigned made = 0;
    for (unsigned i = 0; i < ROOTS; i++) {
        uint64_t va = i == 0   ? 0
                      : i == 1 ? ARCH_USER_VA_LIMIT - PAGE_SIZE
                               : region[kern_host_rand() % REGIONS] +
                                     kern_host_rand() % 512 * PAGE_SIZE;
        pfn_t f = i % 7 ? frame(i) : device_frame(i);
        if (at(&sp[1], va)) {
            continue;
        }
        CHECK_EQ(map(&sp[1], va, f, KEEL_FP_RWX, NULL), 0);
        made++;
        struct mem_map *m = at(&sp[1], va);
        if (i % 3 == 0) {
            /* Within the same space, at an address next to no other. */
            uint64_t alias = (va + (1ull << 30)) % ARCH_USER_VA_LIMIT;
            if (!at(&sp[1], alias)) {
                CHECK_EQ(map(&sp[1], alias, f, KEEL_FP_R, m), 0);
                made++;
            }
        }
        if (i % 2 == 0) {
            CHECK_EQ(map(&sp[2], va, f, KEEL_FP_RW, m), 0);
            CHECK_EQ(map(&sp[3], va ^ (1ull << 20), f, KEEL_FP_R, at(&sp[2], va)), 0);
        }
    }
    CHECK_EQ(sp[1].ms.pt.present, made);
    CHECK(sp[2].ms.pt.present > ROOTS / 3);
    check_sync(&sp[1]);
    check_sync(&sp[2]);
    check_sync(&sp[3]);
    check_tree(4);

    fake_pt_log_reset();
    memspace_unmap_all(&sp[1].ms);
    CHECK_EQ(sp[1].ms.pt.present, 0);
    CHECK_EQ(sp[2].ms.pt.present, 0);
    CHECK_EQ(sp[3].ms.pt.present, 0);
    CHECK_EQ(log_count(FAKE_PT_MAP, &sp[1]), 0);
    for (unsigned k = 1; k < 4; k++) {
        check_sync(&sp[k]);
        CHECK_EQ(sp[k].ms.pt.stale_unmaps, 0);
    }
    unsigned left = 0;
    for (unsigned i = 0; i < sp[1].nva; i++) {
        left += at(&sp[1], sp[1].va[i]) != NULL;
    }
    CHECK_EQ(left, 0);
    memspace_free(&sp[1].ms);
    CHECK_EQ(sp[1].q.used, 0);
    CHECK_EQ(sp[1].ms.pt.tables, 0);
    CHECK(sp[1].ms.dir == NULL);
    for (unsigned k = 2; k < 4; k++) {
        space_fini(&sp[k]);
    }
    CHECK_EQ(kmem_free_bytes(), start);
}

static void test_enomem(void)
{
    uint64_t start = kmem_free_bytes();
    struct space *s = &sp[0];

    /* No room for the page-table root. */
    s->q = (struct quota){ .limit = PAGE_SIZE - 1 };
    CHECK_EQ(memspace_init(&s->ms, &s->q, false), -KEEL_ENOMEM);
    CHECK_EQ(s->q.used, 0);
    s->q.limit = 1u << 20;
    fake_pt_fail_init = -KEEL_EBUSY;
    CHECK_EQ(memspace_init(&s->ms, &s->q, false), -KEEL_EBUSY);
    CHECK_EQ(s->q.used, 0);

    /* Room for the tables but not the node; then for the node but not the page tables. */
    s->q = (struct quota){ .limit = 4 * PAGE_SIZE };
    s->nva = 0;
    CHECK_EQ(memspace_init(&s->ms, &s->q, false), 0);
    fake_pt_log_reset();
    CHECK_EQ(map(s, 0x1000, frame(60), KEEL_FP_RW, NULL), -KEEL_ENOMEM);
    CHECK_EQ(s->q.used, 4 * PAGE_SIZE); /* the memspace tables stay for the next try */
    CHECK(at(s, 0x1000) == NULL);
    s->q.limit = 4 * PAGE_SIZE + map_size;
    CHECK_EQ(map(s, 0x1000, frame(60), KEEL_FP_RW, NULL), -KEEL_ENOMEM);
    CHECK_EQ(s->q.used, 4 * PAGE_SIZE); /* the node given back */
    CHECK(at(s, 0x1000) == NULL);
    CHECK_EQ(fake_pt_log_count, 0);
    s->q.limit = 6 * PAGE_SIZE + map_size;
    CHECK_EQ(map(s, 0x1000, frame(60), KEEL_FP_RW, NULL), 0);
    CHECK_EQ(s->q.used, s->q.limit);
    check_sync(s);

    /* The page table refuses (all tables exist): no trace left. */
    s->q.limit = 1u << 20;
    uint64_t used = s->q.used;
    fake_pt_fail_map = -KEEL_ENOMEM;
    CHECK_EQ(map(s, 0x2000, frame(61), KEEL_FP_RW, NULL), -KEEL_ENOMEM);
    CHECK_EQ(s->q.used, used);
    CHECK(at(s, 0x2000) == NULL);
    check_sync(s);

    /* ... also when widening: the old rights stay on both sides. */
    fake_pt_fail_map = -KEEL_ENOMEM;
    CHECK_EQ(map(s, 0x1000, frame(60), KEEL_FP_RWX, NULL), -KEEL_ENOMEM);
    CHECK(at(s, 0x1000) && at(s, 0x1000)->rights == KEEL_FP_RW);
    check_sync(s);
    space_fini(s);
    CHECK_EQ(kmem_free_bytes(), start);
}

/* Every page of [va, va + size) in s: the hardware maps what the memspace says (the page's frame
 * within its mapping, the rights), and the table has one leaf per mapping. */
static void check_range_at(struct space *s, uint64_t va, uint64_t size, int line)
{
    unsigned bad = 0;
    uint64_t leaves = 0;
    for (uint64_t a = va; a < va + size; a += PAGE_SIZE) {
        struct mem_map *m = memspace_lookup(&s->ms, va_init(a));
        struct fake_pte pte;
        bool hw = fake_pt_lookup(&s->ms.pt, va_init(a), &pte);
        if (!m) {
            bad += hw;
            continue;
        }
        leaves += va_val(m->va) == a;
        uint64_t pa = pa_val(pa_from_pfn(m->pfn)) + (a - va_val(m->va));
        bad += !hw || pa_val(pte.pa) != pa || pte.rights != m->rights || pte.level != m->level ||
               m->space != &s->ms;
    }
    if (bad || leaves != s->ms.pt.present) {
        char what[128];
        snprintf(what, sizeof(what), "space %u range in sync at line %d (%u bad, %llu leaves vs %llu)",
                 (unsigned)(s - sp), line, bad, (unsigned long long)leaves,
                 (unsigned long long)s->ms.pt.present);
        unit_fail(__FILE__, line, what);
    }
    unit_checks++;
}
#define check_range(s, va, size) check_range_at((s), (va), (size), __LINE__)

#define BLOCK (2ull << 20)

/* m's count of children is its list's length, none is larger than m, and those of m's size
 * come first. */
static bool counts_ok(const struct mem_map *m)
{
    uint32_t n = 0;
    bool smaller_seen = false, ok = true;
    for (const struct mapnode *c = m->node.child; c; c = c->next, n++) {
        const struct mem_map *cm = container_of(c, const struct mem_map, node);
        ok &= !(smaller_seen && cm->level == m->level && m->level > 0) && c->parent == &m->node &&
              cm->level <= m->level;
        smaller_seen |= cm->level < m->level;
    }
    return ok && n == m->children;
}

/* A's root block at BLOCK with pages 1 and 2 mapped on to B at 0x1000 and 0x2000, and A taking
 * those two back (without self) in steps: stopped after one, [*from, *to) where it goes on. */
static struct mem_map *block_being_revoked(struct space *a, struct space *b, vaddr_t *from,
                                           vaddr_t *to)
{
    space_init(a);
    space_init(b);
    CHECK_EQ(memspace_map(&a->ms, va_init(BLOCK), frame(512), 1, KEEL_FP_RWX, NULL), 0);
    struct mem_map *ab = memspace_lookup(&a->ms, va_init(BLOCK));
    CHECK_EQ(memspace_map(&b->ms, va_init(0x1000), frame(512 + 1), 0, KEEL_FP_R, ab), 0);
    CHECK_EQ(memspace_map(&b->ms, va_init(0x2000), frame(512 + 2), 0, KEEL_FP_R, ab), 0);
    *from = va_init(BLOCK + PAGE_SIZE);
    *to = va_init(BLOCK + 3 * PAGE_SIZE);
    unsigned step = 1;
    CHECK(!memspace_unmap_bounded(&a->ms, from, *to, false, &step));
    return ab;
}

/* A part of a block taken back from what was mapped from it, in steps: until it is done,
 * nothing new is mapped from the block (else a deriver on another CPU could keep it from
 * ending); then the block takes children again. */
static void test_partial_unmap_in_steps(void)
{
    uint64_t start = kmem_free_bytes();
    struct space *a = &sp[0], *b = &sp[1];
    vaddr_t from, to;
    struct mem_map *ab = block_being_revoked(a, b, &from, &to);
    unsigned step;
    CHECK((memspace_lookup(&b->ms, va_init(0x1000)) != NULL) +
              (memspace_lookup(&b->ms, va_init(0x2000)) != NULL) ==
          1); /* stopped after one */
    CHECK_EQ(memspace_map(&b->ms, va_init(0x3000), frame(512 + 1), 0, KEEL_FP_R, ab), -KEEL_EBUSY);
    unsigned steps = 1;
    for (step = 1; !memspace_unmap_bounded(&a->ms, &from, to, false, &step) && steps < 100;
         steps++) {
        step = 1;
    }
    CHECK(steps < 100);
    CHECK(memspace_lookup(&b->ms, va_init(0x1000)) == NULL);
    CHECK(memspace_lookup(&b->ms, va_init(0x2000)) == NULL);
    CHECK(memspace_lookup(&a->ms, va_init(BLOCK)) == ab && ab->level == 1); /* it stays whole */
    CHECK_EQ(memspace_map(&b->ms, va_init(0x3000), frame(512 + 1), 0, KEEL_FP_R, ab), 0);
    CHECK(counts_ok(ab));
    space_fini(b);
    space_fini(a);
    CHECK_EQ(kmem_free_bytes(), start);
}

/* A block whose part is being taken back in steps (marked: nothing new is mapped from it) is
 * split meanwhile (its owner unmaps another part of it): the revocation goes on over the pieces
 * and ends, and then every piece takes new mappings again (the mark did not stay on the first
 * piece for ever). */
static void test_split_of_a_block_being_revoked(void)
{
    uint64_t start = kmem_free_bytes();
    struct space *a = &sp[0], *b = &sp[1];
    vaddr_t from, to;
    struct mem_map *ab = block_being_revoked(a, b, &from, &to);
    unsigned step;
    CHECK_EQ(memspace_map(&b->ms, va_init(0x3000), frame(512), 0, KEEL_FP_R, ab), -KEEL_EBUSY);
    memspace_unmap(&a->ms, va_init(BLOCK + 100 * PAGE_SIZE), PAGE_SIZE, true); /* the split */
    CHECK(ab->level == 0);
    unsigned steps = 0;
    for (step = 1; !memspace_unmap_bounded(&a->ms, &from, to, false, &step) && steps < 100;
         steps++) {
        step = 1;
    }
    CHECK(steps < 100);
    CHECK(memspace_lookup(&b->ms, va_init(0x1000)) == NULL);
    CHECK(memspace_lookup(&b->ms, va_init(0x2000)) == NULL);
    CHECK_EQ(memspace_map(&b->ms, va_init(0x3000), frame(512), 0, KEEL_FP_R, ab), 0);
    CHECK_EQ(memspace_map(&b->ms, va_init(0x4000), frame(512 + 7), 0, KEEL_FP_R,
                          memspace_lookup(&a->ms, va_init(BLOCK + 7 * PAGE_SIZE))),
             0);
    space_fini(b);
    space_fini(a);
    CHECK_EQ(kmem_free_bytes(), start);
}

/* 2 MiB blocks: one record and one leaf each; mapped on whole or page by page; split (with the
 * blocks mapped from them) only when a part is unmapped, and exactly that part goes. */
static void test_blocks(void)
{
    uint64_t start = kmem_free_bytes();
    struct space *a = &sp[0], *b = &sp[1], *c = &sp[2];
    for (unsigned k = 0; k < 3; k++) {
        space_init(&sp[k]);
    }
    pfn_t f = frame(512); /* 2 MiB aligned */
    CHECK_EQ(memspace_map(&a->ms, va_init(BLOCK), f, 1, KEEL_FP_RWX, NULL), 0);
    CHECK_EQ(memspace_map(&a->ms, va_init(BLOCK + 0x1000), frame(1), 1, KEEL_FP_R, NULL), -KEEL_ERANGE);
    CHECK_EQ(memspace_map(&a->ms, va_init(2 * BLOCK), frame(1), 1, KEEL_FP_R, NULL), -KEEL_ERANGE);
    struct mem_map *ab = memspace_lookup(&a->ms, va_init(BLOCK + 0x5000));
    CHECK(ab && ab->level == 1 && va_val(ab->va) == BLOCK);
    CHECK_EQ(a->ms.pt.present, 1);
    CHECK_EQ(memspace_map(&b->ms, va_init(2 * BLOCK), f, 1, KEEL_FP_RW, ab), 0);
    struct mem_map *bb = memspace_lookup(&b->ms, va_init(2 * BLOCK));
    CHECK(bb && bb->level == 1 && bb->node.parent == &ab->node);
    /* A page of the block on, and the block again as a block. */
    CHECK_EQ(memspace_map(&c->ms, va_init(0x1000), frame(512 + 5), 0, KEEL_FP_R, bb), 0);
    CHECK_EQ(memspace_map(&c->ms, va_init(3 * BLOCK), f, 1, KEEL_FP_R, bb), 0);
    CHECK_EQ(memspace_map(&c->ms, va_init(4 * BLOCK), f, 1, KEEL_FP_R, /* a page is no block */
                          memspace_lookup(&c->ms, va_init(0x1000))), -KEEL_EINVAL);
    check_range(a, 0, 8 * BLOCK);
    check_range(b, 0, 8 * BLOCK);
    check_range(c, 0, 8 * BLOCK);
    CHECK_EQ(c->ms.pt.present, 2);

    /* B takes page 5 back from what it passed on: C's page and page 5 of C's block go; C's
     * block is split, B's stays whole. */
    fake_pt_log_reset();
    memspace_unmap(&b->ms, va_init(2 * BLOCK + 5 * PAGE_SIZE), PAGE_SIZE, false);
    CHECK(memspace_lookup(&b->ms, va_init(2 * BLOCK)) == bb && bb->level == 1);
    CHECK(memspace_lookup(&c->ms, va_init(0x1000)) == NULL);
    CHECK(memspace_lookup(&c->ms, va_init(3 * BLOCK + 5 * PAGE_SIZE)) == NULL);
    struct mem_map *c0 = memspace_lookup(&c->ms, va_init(3 * BLOCK));
    struct mem_map *c9 = memspace_lookup(&c->ms, va_init(3 * BLOCK + 9 * PAGE_SIZE));
    CHECK(c0 && c0->level == 0 && c0->node.parent == &bb->node);
    CHECK(c9 && c9->level == 0 && c9->node.parent == &bb->node && pfn_val(c9->pfn) == pfn_val(f) + 9);
    CHECK(counts_ok(ab) && counts_ok(bb) && counts_ok(c0));
    CHECK_EQ(bb->children, 511); /* C's block's pages but page 5 */
    CHECK_EQ(c->ms.pt.present, 511);
    CHECK_EQ(c->ms.pt.splits, 1);
    check_range(b, 0, 8 * BLOCK);
    check_range(c, 0, 8 * BLOCK);

    /* B unmaps page 7 of its own block: it is split, C loses page 7 too. */
    memspace_unmap(&b->ms, va_init(2 * BLOCK + 7 * PAGE_SIZE), PAGE_SIZE, true);
    CHECK(memspace_lookup(&b->ms, va_init(2 * BLOCK + 7 * PAGE_SIZE)) == NULL);
    CHECK(memspace_lookup(&c->ms, va_init(3 * BLOCK + 7 * PAGE_SIZE)) == NULL);
    struct mem_map *b9 = memspace_lookup(&b->ms, va_init(2 * BLOCK + 9 * PAGE_SIZE));
    CHECK(b9 && b9->level == 0 && b9->node.parent == &ab->node);
    CHECK(c9 == memspace_lookup(&c->ms, va_init(3 * BLOCK + 9 * PAGE_SIZE)) &&
          c9->node.parent == &b9->node);
    CHECK(counts_ok(ab) && counts_ok(b9));
    CHECK_EQ(ab->children, 511); /* B's pages but page 7 */
    CHECK_EQ(b9->children, 1);
    CHECK_EQ(b->ms.pt.present, 511);
    CHECK_EQ(c->ms.pt.present, 510);
    CHECK(ab->level == 1);
    check_range(a, 0, 8 * BLOCK);
    check_range(b, 0, 8 * BLOCK);
    check_range(c, 0, 8 * BLOCK);

    /* A block over pages: they go (with what came from them), one leaf replaces them. */
    CHECK_EQ(memspace_map(&b->ms, va_init(2 * BLOCK), f, 1, KEEL_FP_R, ab), 0);
    CHECK_EQ(b->ms.pt.present, 1);
    CHECK_EQ(c->ms.pt.present, 0);
    check_range(b, 0, 8 * BLOCK);
    check_range(c, 0, 8 * BLOCK);

    /* A grant of a part of a block splits it first; a grant of a block moves it whole. */
    bb = memspace_lookup(&b->ms, va_init(2 * BLOCK));
    CHECK_EQ(memspace_grant(&c->ms, va_init(5 * BLOCK), bb, KEEL_FP_R), 0);
    CHECK(memspace_lookup(&b->ms, va_init(2 * BLOCK)) == NULL);
    CHECK(memspace_lookup(&c->ms, va_init(5 * BLOCK + PAGE_SIZE)) == bb && bb->level == 1);
    CHECK_EQ(memspace_split(bb, NULL), 1);
    CHECK_EQ(c->ms.pt.present, 512);
    check_range(b, 0, 8 * BLOCK);
    check_range(c, 0, 8 * BLOCK);

    /* A split the quota cannot pay for: the block goes whole, so the revocation completes. */
    memspace_unmap(&c->ms, va_init(0), 8 * BLOCK, true);
    CHECK_EQ(memspace_map(&b->ms, va_init(2 * BLOCK), f, 1, KEEL_FP_RW, ab), 0);
    bb = memspace_lookup(&b->ms, va_init(2 * BLOCK));
    CHECK_EQ(memspace_map(&c->ms, va_init(0x1000), frame(512 + 3), 0, KEEL_FP_R, bb), 0);
    b->q.limit = b->q.used; /* no room for 511 records */
    memspace_unmap(&b->ms, va_init(2 * BLOCK), PAGE_SIZE, true);
    CHECK(memspace_lookup(&b->ms, va_init(2 * BLOCK + PAGE_SIZE)) == NULL);
    CHECK(memspace_lookup(&c->ms, va_init(0x1000)) == NULL);
    check_range(b, 0, 8 * BLOCK);
    check_range(c, 0, 8 * BLOCK);
    b->q.limit = 64u << 20;

    /* A block passed on MEMSPACE_BLOCK_MAX_CHILDREN times takes no more (EBUSY); a block mapped
     * from it cannot be split then (its pages would be 511 more): a part of it unmapped takes it
     * whole, so that the revocation ends. */
    memspace_unmap(&b->ms, va_init(0), 8 * BLOCK, true);
    CHECK_EQ(memspace_map(&b->ms, va_init(2 * BLOCK), f, 1, KEEL_FP_RW, ab), 0);
    bb = memspace_lookup(&b->ms, va_init(2 * BLOCK));
    uint64_t va = 64 * BLOCK;
    int err = 0;
    unsigned made = 1;
    for (; made < MEMSPACE_BLOCK_MAX_CHILDREN; made++, va += PAGE_SIZE) {
        err |= memspace_map(&c->ms, va_init(va), frame(512 + made % 512), 0, KEEL_FP_R, ab);
    }
    CHECK_EQ(err, 0);
    CHECK_EQ(ab->children, MEMSPACE_BLOCK_MAX_CHILDREN);
    CHECK(counts_ok(ab));
    CHECK_EQ(memspace_map(&c->ms, va_init(va), frame(512), 0, KEEL_FP_R, ab), -KEEL_EBUSY);
    /* A page of it mapped again over one of its own: the old one's room is the new one's. */
    CHECK_EQ(memspace_map(&c->ms, va_init(64 * BLOCK), frame(512 + 7), 0, KEEL_FP_R, ab), 0);
    CHECK_EQ(ab->children, MEMSPACE_BLOCK_MAX_CHILDREN);
    CHECK(counts_ok(ab));
    CHECK_EQ(memspace_map(&c->ms, va_init(va), frame(512), 0, KEEL_FP_R, bb), 0); /* from B */
    memspace_unmap(&b->ms, va_init(2 * BLOCK + PAGE_SIZE), PAGE_SIZE, true);
    CHECK(memspace_lookup(&b->ms, va_init(2 * BLOCK)) == NULL); /* taken whole */
    CHECK(memspace_lookup(&c->ms, va_init(va)) == NULL);
    CHECK_EQ(ab->children, MEMSPACE_BLOCK_MAX_CHILDREN - 1);
    CHECK(counts_ok(ab));
    memspace_unmap(&c->ms, va_init(0), 128 * BLOCK, true);
    CHECK_EQ(ab->children, 0);

    /* A split in steps (Task MAP's grant of a part): a split a call, deepest first. */
    CHECK_EQ(memspace_map(&b->ms, va_init(2 * BLOCK), f, 1, KEEL_FP_RW, ab), 0);
    bb = memspace_lookup(&b->ms, va_init(2 * BLOCK));
    CHECK_EQ(memspace_map(&c->ms, va_init(3 * BLOCK), f, 1, KEEL_FP_R, bb), 0);
    struct mem_map *cb = memspace_lookup(&c->ms, va_init(3 * BLOCK));
    unsigned budget = 16;
    CHECK_EQ(memspace_split(bb, &budget), 0);
    CHECK(cb->level == 0 && bb->level == 1); /* the deepest first */
    budget = 16;
    CHECK_EQ(memspace_split(bb, &budget), 1);
    CHECK(bb->level == 0);
    CHECK(counts_ok(ab) && counts_ok(bb));
    check_range(b, 0, 8 * BLOCK);
    check_range(c, 0, 8 * BLOCK);
    memspace_unmap(&b->ms, va_init(0), 8 * BLOCK, true);

    /* At most MEMSPACE_BLOCK_MAX_BLOCKS blocks from a block as blocks. */
    for (unsigned k = 0; k < MEMSPACE_BLOCK_MAX_BLOCKS; k++) {
        err |= memspace_map(&c->ms, va_init((128 + k) * BLOCK), f, 1, KEEL_FP_R, ab);
    }
    CHECK_EQ(err, 0);
    CHECK_EQ(memspace_map(&c->ms, va_init(256 * BLOCK), f, 1, KEEL_FP_R, ab), -KEEL_EBUSY);
    CHECK_EQ(memspace_map(&c->ms, va_init(256 * BLOCK), f, 0, KEEL_FP_R, ab), 0); /* a page: yes */
    CHECK(counts_ok(ab));
    memspace_unmap(&c->ms, va_init(0), 512 * BLOCK, true);
    CHECK_EQ(ab->children, 0);

    /* A takes its block back: everything goes. */
    CHECK_EQ(memspace_map(&b->ms, va_init(2 * BLOCK), f, 1, KEEL_FP_RW, ab), 0);
    memspace_unmap(&a->ms, va_init(BLOCK), BLOCK, false);
    CHECK_EQ(b->ms.pt.present, 0);
    CHECK_EQ(a->ms.pt.present, 1);
    for (unsigned k = 0; k < 3; k++) {
        memspace_unmap_all(&sp[k].ms);
        memspace_free(&sp[k].ms);
        CHECK_EQ(sp[k].q.used, 0);
    }
    CHECK_EQ(kmem_free_bytes(), start);
}

#define GIB (1ull << 30)

/* check_tree() looks at what the space has at these addresses. */
static void track_range(struct space *s, uint64_t va, uint64_t size, uint64_t step)
{
    for (uint64_t a = va; a < va + size; a += step) {
        track(s, a);
    }
}

/* 1 GiB blocks: one record and one leaf each, mapped on whole, as 2 MiB blocks or as pages; a
 * part unmapped splits only as far down as its ends need. */
static void test_gib_blocks(void)
{
    uint64_t start = kmem_free_bytes();
    struct space *a = &sp[0], *b = &sp[1], *c = &sp[2];
    for (unsigned k = 0; k < 3; k++) {
        space_init(&sp[k]);
    }
    pfn_t f = frame(0); /* RAM_BASE: 1 GiB aligned */
    CHECK_EQ(memspace_map(&a->ms, va_init(GIB + BLOCK), f, 2, KEEL_FP_RWX, NULL), -KEEL_ERANGE);
    CHECK_EQ(memspace_map(&a->ms, va_init(GIB), frame(512), 2, KEEL_FP_RWX, NULL), -KEEL_ERANGE);
    CHECK_EQ(memspace_map(&a->ms, va_init(GIB), f, 2, KEEL_FP_RWX, NULL), 0);
    struct mem_map *ag = memspace_lookup(&a->ms, va_init(GIB + 77 * PAGE_SIZE));
    CHECK(ag && ag->level == 2 && va_val(ag->va) == GIB);
    CHECK_EQ(a->ms.pt.present, 1);
    uint64_t a_used = a->q.used;

    /* On to B whole; to C: a page of it, a 2 MiB part of it, and later a whole one; from B's:
     * a 2 MiB part (block 3, which B will lose a page of). */
    CHECK_EQ(memspace_map(&c->ms, va_init(0x1000), pfn_init(pfn_val(f) + 5), 0, KEEL_FP_R, ag), 0);
    CHECK_EQ(
        memspace_map(&c->ms, va_init(4 * BLOCK), pfn_init(pfn_val(f) + 512 * 9), 1, KEEL_FP_R, ag),
        0);
    uint64_t b_used = b->q.used;
    CHECK_EQ(memspace_map(&b->ms, va_init(2 * GIB), f, 2, KEEL_FP_RW, ag), 0);
    struct mem_map *bg = memspace_lookup(&b->ms, va_init(2 * GIB));
    CHECK(bg && bg->level == 2 && bg->node.parent == &ag->node);
    CHECK(map_of(ag->node.child) == bg && counts_ok(ag)); /* whole ones first */
    /* One record; the directory slot and the leaf are in the tables that cover 512 GiB. */
    CHECK_EQ(b->q.used - b_used, map_size + PAGE_SIZE);
    CHECK_EQ(
        memspace_map(&c->ms, va_init(8 * BLOCK), pfn_init(pfn_val(f) + 512 * 3), 1, KEEL_FP_R, bg),
        0);
    CHECK_EQ(
        memspace_map(&c->ms, va_init(8 * BLOCK), pfn_init(pfn_val(f) + 512 * 3), 2, KEEL_FP_R, bg),
        -KEEL_ERANGE); /* not 1 GiB aligned */
    /* Whole-size children are limited (a smaller one walks past them); smaller ones are not. */
    for (unsigned k = 0; k < 100; k++) {
        CHECK_EQ(memspace_map(&c->ms, va_init(GIB + k * BLOCK), pfn_init(pfn_val(f) + 512 * k), 1,
                              KEEL_FP_R, ag),
                 0);
    }
    CHECK_EQ(ag->children, 103);
    memspace_unmap(&c->ms, va_init(GIB), GIB, true);
    CHECK_EQ(ag->children, 3);
    check_range(a, GIB, GIB);
    check_range(b, 2 * GIB, GIB);
    check_range(c, 0, GIB);

    /* B unmaps a page of its block 3: its 1 GiB becomes 2 MiB blocks, block 3 pages (C's block
     * from it first), and the page goes with C's page. */
    fake_pt_log_reset();
    uint64_t page = 3 * BLOCK + 7 * PAGE_SIZE;
    memspace_unmap(&b->ms, va_init(2 * GIB + page), PAGE_SIZE, true);
    CHECK(memspace_lookup(&b->ms, va_init(2 * GIB + page)) == NULL);
    CHECK(memspace_lookup(&c->ms, va_init(8 * BLOCK + 7 * PAGE_SIZE)) == NULL);
    struct mem_map *b0 = memspace_lookup(&b->ms, va_init(2 * GIB));
    struct mem_map *b3 = memspace_lookup(&b->ms, va_init(2 * GIB + 3 * BLOCK + 8 * PAGE_SIZE));
    struct mem_map *b511 = memspace_lookup(&b->ms, va_init(3 * GIB - PAGE_SIZE));
    CHECK(b0 == bg && bg->level == 1 && b511 && b511->level == 1 &&
          pfn_val(b511->pfn) == pfn_val(f) + 511 * 512 && b511->node.parent == &ag->node);
    CHECK(b3 && b3->level == 0 && pfn_val(b3->pfn) == pfn_val(f) + 3 * 512 + 8);
    CHECK_EQ(b->ms.pt.present, 511 + 511);
    CHECK_EQ(b->ms.pt.splits, 2);
    CHECK_EQ(c->ms.pt.present, 1 + 1 + 511); /* its page and block from A; B's block less a page */
    CHECK_EQ(ag->children, 2 + 511 + 511);
    CHECK(counts_ok(ag) && counts_ok(bg) && counts_ok(b3) && counts_ok(b511));
    check_range(b, 2 * GIB, GIB);
    check_range(c, 0, GIB);
    CHECK_EQ(a->ms.pt.present, 1); /* A's stays whole */
    CHECK_EQ(a->q.used, a_used);
    track(a, GIB);
    track_range(b, 2 * GIB, GIB, BLOCK);
    track_range(b, 2 * GIB + 3 * BLOCK, BLOCK, PAGE_SIZE);
    track_range(c, 8 * BLOCK, BLOCK, PAGE_SIZE);
    track(c, 0x1000);
    track(c, 4 * BLOCK);
    check_tree(3);

    /* A takes a 2 MiB part back from what it passed on (block 9): C's block and B's go; then a
     * page of block 20: B's block 20 is split, its page goes. A stays one record. */
    memspace_unmap(&a->ms, va_init(GIB + 9 * BLOCK), BLOCK, false);
    CHECK(memspace_lookup(&c->ms, va_init(4 * BLOCK)) == NULL);
    CHECK(memspace_lookup(&b->ms, va_init(2 * GIB + 9 * BLOCK)) == NULL);
    memspace_unmap(&a->ms, va_init(GIB + 20 * BLOCK + PAGE_SIZE), PAGE_SIZE, false);
    CHECK(memspace_lookup(&b->ms, va_init(2 * GIB + 20 * BLOCK + PAGE_SIZE)) == NULL);
    struct mem_map *b20 = memspace_lookup(&b->ms, va_init(2 * GIB + 20 * BLOCK));
    CHECK(b20 && b20->level == 0);
    CHECK_EQ(b->ms.pt.present, 509 + 511 + 511); /* blocks; block 3's pages; block 20's */
    CHECK(memspace_lookup(&a->ms, va_init(GIB)) == ag && ag->level == 2);
    CHECK(counts_ok(ag));
    check_range(a, GIB, GIB);
    check_range(b, 2 * GIB, GIB);
    check_tree(3);

    /* A split in steps: A's block with a whole child (C's, mapped from A again): the child first. */
    memspace_unmap(&b->ms, va_init(2 * GIB), GIB, true);
    CHECK_EQ(memspace_map(&c->ms, va_init(GIB), f, 2, KEEL_FP_R, ag), 0);
    struct mem_map *cg = memspace_lookup(&c->ms, va_init(GIB));
    unsigned budget = 16;
    CHECK_EQ(memspace_split(ag, &budget), 0);
    CHECK(cg->level == 1 && ag->level == 2);
    budget = 16;
    CHECK_EQ(memspace_split(ag, &budget), 1);
    CHECK(ag->level == 1 && counts_ok(ag));
    CHECK(memspace_lookup(&a->ms, va_init(2 * GIB - PAGE_SIZE))->level == 1);
    check_range(a, GIB, GIB);
    check_range(c, 0, 2 * GIB);
    check_tree(3);

    /* A root block (sigma0's) that has passed on all it may is split to take more; one that is
     * not a root says EBUSY. */
    memspace_unmap(&c->ms, va_init(0), 4 * GIB, true);
    memspace_unmap(&a->ms, va_init(GIB), GIB, true);
    CHECK_EQ(memspace_map(&a->ms, va_init(GIB), f, 2, KEEL_FP_RWX, NULL), 0);
    ag = memspace_lookup(&a->ms, va_init(GIB));
    int err = 0;
    for (unsigned k = 0; k < MEMSPACE_BLOCK_MAX_CHILDREN; k++) {
        err |= memspace_map(&c->ms, va_init((uint64_t)k * PAGE_SIZE), pfn_init(pfn_val(f) + k), 0,
                            KEEL_FP_R, ag);
    }
    CHECK_EQ(err, 0);
    CHECK(ag->level == 2 && ag->children == MEMSPACE_BLOCK_MAX_CHILDREN);
    CHECK_EQ(memspace_map(&c->ms, va_init(GIB), pfn_init(pfn_val(f) + 4096), 0, KEEL_FP_R, ag), 0);
    CHECK(ag->level == 1 && counts_ok(ag)); /* split: its 2 MiB pieces hold the 4097 */
    CHECK(memspace_lookup(&c->ms, va_init(GIB))->node.parent ==
          &memspace_lookup(&a->ms, va_init(GIB + 8 * BLOCK))->node);
    check_range(a, GIB, GIB);
    /* A split that would give a piece more than MEMSPACE_BLOCK_MAX_BLOCKS children of its own
     * size is refused: the unmap of a part then takes the block whole. */
    memspace_unmap(&c->ms, va_init(0), 4 * GIB, true);
    memspace_unmap(&a->ms, va_init(GIB), GIB, true);
    CHECK_EQ(memspace_map(&a->ms, va_init(GIB), f, 2, KEEL_FP_RWX, NULL), 0);
    ag = memspace_lookup(&a->ms, va_init(GIB));
    CHECK_EQ(memspace_map(&b->ms, va_init(GIB), f, 2, KEEL_FP_RWX, ag), 0);
    bg = memspace_lookup(&b->ms, va_init(GIB));
    err = 0;
    for (unsigned k = 0; k <= MEMSPACE_BLOCK_MAX_BLOCKS; k++) {
        err |= memspace_map(&c->ms, va_init(GIB + k * BLOCK), f, 1, KEEL_FP_R, bg);
    }
    CHECK_EQ(err, 0);
    CHECK_EQ(memspace_split(bg, NULL), -KEEL_EBUSY);
    memspace_unmap(&b->ms, va_init(GIB + 5 * BLOCK), PAGE_SIZE, true);
    CHECK(memspace_lookup(&b->ms, va_init(GIB)) == NULL && c->ms.pt.present == 0);
    check_tree(3);

    /* Empty tables left by a split make room for a 1 GiB block again. */
    memspace_unmap(&a->ms, va_init(GIB), GIB, true);
    CHECK_EQ(c->ms.pt.present, 0); /* (C's page from A went too) */
    CHECK_EQ(memspace_map(&a->ms, va_init(GIB), f, 2, KEEL_FP_RWX, NULL), 0);
    CHECK_EQ(a->ms.pt.present, 1);
    check_range(a, GIB, GIB);
    for (unsigned k = 0; k < 3; k++) {
        memspace_unmap_all(&sp[k].ms);
        memspace_free(&sp[k].ms);
        CHECK_EQ(sp[k].q.used, 0);
    }
    CHECK_EQ(kmem_free_bytes(), start);
}

int main(void)
{
    void *pool = kern_host_pool(4096);
    uint64_t start = kmem_free_bytes();
    phys_add_ram(pa_init(RAM_BASE), 1ull << 30);
    map_size = slab_class_size(sizeof(struct mem_map));
    test_map_basic();
    test_widen();
    test_replace();
    test_eexist();
    test_grant();
    test_grant_over();
    test_recursive_unmap();
    test_unmap_all_free();
    test_enomem();
    test_blocks();
    test_partial_unmap_in_steps();
    test_gib_blocks();
    test_split_of_a_block_being_revoked();
    CHECK_EQ(kmem_free_bytes(), start);
    int rc = unit_done("test_memspace");
    free(pool);
    return rc;
}
