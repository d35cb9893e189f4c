// SPDX-License-Identifier: MIT
/*
 * The mapping database (mapdb.c): linking, unlinking leaves, replacing a node (grant), and
 * revoking every descendant of a node deepest-first, on a 10000-deep chain, a 1000-wide fan-out
 * and a random tree. The removal callback must see each descendant exactly once, already
 * unlinked, after all of its own descendants; the node revoked from and everything outside its
 * subtree stay exactly as they were.
 */
#include "unit.h"
#include "kern_host.h"
#include <keel/mapdb.h>
#include <uapi/keel/err.h>
#include <stdint.h>
#include <string.h>

#define MAX_NODES 20000u

static struct mapnode node[MAX_NODES];
static struct mapnode snapshot[MAX_NODES];
static unsigned orig_parent[MAX_NODES]; /* index of the parent before the revoke, or ~0u */
static unsigned seen[MAX_NODES];
static unsigned order[MAX_NODES];
static unsigned removed, bad_state, bad_order;

static unsigned id(const struct mapnode *n)
{
    return (unsigned)(n - node);
}

static void reset(void)
{
    memset(node, 0, sizeof(node));
    memset(seen, 0, sizeof(seen));
    removed = bad_state = bad_order = 0;
}

/* The callback: n must be unlinked, childless, seen for the first time, and its parent (as it
 * was before the revoke) must not have been removed yet. */
static void remove_cb(struct mapnode *n, struct mapnode *parent)
{
    unsigned i = id(n);
    if (i >= MAX_NODES) {
        bad_state++;
        return;
    }
    if (n->parent || n->child || n->next || n->prev) {
        bad_state++;
    }
    if (orig_parent[i] != ~0u && parent != &node[orig_parent[i]]) {
        bad_state++; /* the callback is told the parent the leaf had */
    }
    if (orig_parent[i] != ~0u && seen[orig_parent[i]]) {
        bad_order++;
    }
    seen[i]++;
    order[removed++] = i;
}

/* Records the tree shape before a revoke. */
static void take_snapshot(unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        snapshot[i] = node[i];
        orig_parent[i] = node[i].parent ? id(node[i].parent) : ~0u;
    }
}

static bool is_descendant(unsigned i, unsigned of)
{
    for (unsigned p = orig_parent[i]; p != ~0u; p = orig_parent[p]) {
        if (p == of) {
            return true;
        }
    }
    return false;
}

/* The sibling lists both ways: next and prev agree, and a first child (no prev) is its parent's
 * child. Returns the number of broken links among nodes[0..count). */
static unsigned broken_links(unsigned count)
{
    unsigned broken = 0;
#define PREV(n) ((struct mapnode *)((uintptr_t)(n)->prev & ~(uintptr_t)1)) /* (a revoke's mark) */
    for (unsigned i = 0; i < count; i++) {
        struct mapnode *n = &node[i];
        broken += n->next && PREV(n->next) != n;
        broken += PREV(n) && PREV(n)->next != n;
        broken += !PREV(n) && n->parent && n->parent->child != n;
        broken += PREV(n) && PREV(n)->parent != n->parent;
        broken += n->child && PREV(n->child) != NULL;
    }
#undef PREV
    return broken;
}

/* After revoking `root`'s children: every descendant seen once, nothing else seen, and every
 * node outside the subtree has exactly its old links (root loses its children only). */
static void check_revoked(unsigned root, unsigned count)
{
    unsigned expected = 0, wrong_seen = 0, changed = 0;
    for (unsigned i = 0; i < count; i++) {
        bool desc = is_descendant(i, root);
        expected += desc;
        if (seen[i] != (desc ? 1u : 0u)) {
            wrong_seen++;
        }
        if (desc) {
            continue;
        }
        struct mapnode want = snapshot[i];
        if (i == root) {
            want.child = NULL;
        }
        if (node[i].parent != want.parent || node[i].child != want.child ||
            node[i].next != want.next) {
            changed++;
        }
    }
    CHECK_EQ(removed, expected);
    CHECK_EQ(broken_links(count), 0);
    CHECK_EQ(wrong_seen, 0);
    CHECK_EQ(changed, 0);
    CHECK_EQ(bad_state, 0);
    CHECK_EQ(bad_order, 0);
    CHECK(node[root].child == NULL);
}

static void test_link_unlink(void)
{
    reset();
    struct mapnode *a = &node[0], *b = &node[1], *c = &node[2], *d = &node[3];
    memset(a, 0x5a, sizeof(*a)); /* link initialises every field */
    mapdb_link(NULL, a);
    CHECK(a->parent == NULL && a->child == NULL && a->next == NULL);
    mapdb_link(a, b);
    mapdb_link(a, c);
    mapdb_link(a, d);
    /* Newest first: a -> d, c, b. */
    CHECK(a->child == d && d->next == c && c->next == b && b->next == NULL);
    CHECK(b->parent == a && c->parent == a && d->parent == a);

    CHECK(d->prev == NULL && c->prev == d && b->prev == c);
    CHECK_EQ(broken_links(4), 0);
    mapdb_unlink_leaf(c); /* middle */
    CHECK(a->child == d && d->next == b && b->next == NULL && b->prev == d);
    CHECK_EQ(broken_links(4), 0);
    CHECK(c->parent == NULL && c->next == NULL);
    mapdb_unlink_leaf(b); /* last */
    CHECK(a->child == d && d->next == NULL);
    mapdb_link(a, b);
    mapdb_unlink_leaf(b); /* first */
    CHECK(a->child == d && d->next == NULL && d->prev == NULL && b->parent == NULL);
    CHECK_EQ(broken_links(4), 0);
    mapdb_unlink_leaf(d);
    CHECK(a->child == NULL);
    mapdb_unlink_leaf(a); /* a root: nothing to unlink from */
    CHECK(a->parent == NULL && a->next == NULL && a->child == NULL);
}

static void test_replace(void)
{
    reset();
    /* p -> x, m, y (m in the middle), m -> k1, k2; m is replaced by r. */
    struct mapnode *p = &node[0], *x = &node[1], *m = &node[2], *y = &node[3], *k1 = &node[4],
                   *k2 = &node[5], *r = &node[6];
    mapdb_link(NULL, p);
    mapdb_link(p, y);
    mapdb_link(p, m);
    mapdb_link(p, x);
    mapdb_link(m, k2);
    mapdb_link(m, k1);
    mapdb_link(NULL, r);
    mapdb_replace(m, r);
    CHECK(p->child == x && x->next == r && r->next == y && y->next == NULL);
    CHECK(r->parent == p && r->child == k1 && k1->next == k2);
    CHECK(k1->parent == r && k2->parent == r);
    CHECK(m->parent == NULL && m->child == NULL && m->next == NULL && m->prev == NULL);
    CHECK(r->prev == x && y->prev == r);
    CHECK_EQ(broken_links(7), 0);

    /* Replacing the first child and a root. */
    mapdb_replace(x, m);
    CHECK(p->child == m && m->next == r && m->parent == p && x->parent == NULL);
    mapdb_replace(p, x);
    CHECK(x->parent == NULL && x->child == m && m->parent == x && r->parent == x &&
          y->parent == x);
    CHECK(p->child == NULL && p->parent == NULL);
    CHECK_EQ(broken_links(7), 0);

    /* The revoke through the new node reaches the moved children. */
    take_snapshot(7);
    mapdb_revoke_children(x, remove_cb, NULL);
    check_revoked(1, 7); /* x is node[1] */
    CHECK(seen[4] == 1 && seen[5] == 1 && seen[2] == 1 && seen[6] == 1 && seen[3] == 1);
}

/* node[0] is a super-root with siblings of the tree under test, to show they stay untouched. */
static void test_deep_chain(void)
{
    enum { DEPTH = 10000 };
    reset();
    mapdb_link(NULL, &node[0]);
    mapdb_link(&node[0], &node[1]);            /* chain root */
    mapdb_link(&node[0], &node[DEPTH + 2]);    /* its sibling, with a child of its own */
    mapdb_link(&node[DEPTH + 2], &node[DEPTH + 3]);
    for (unsigned i = 2; i <= DEPTH + 1; i++) {
        mapdb_link(&node[i - 1], &node[i]);
    }
    take_snapshot(DEPTH + 4);
    mapdb_revoke_children(&node[1], remove_cb, NULL);
    check_revoked(1, DEPTH + 4);
    CHECK_EQ(removed, DEPTH);
    /* A chain has one order only: deepest first. */
    unsigned out_of_order = 0;
    for (unsigned k = 0; k < removed; k++) {
        out_of_order += order[k] != DEPTH + 1 - k;
    }
    CHECK_EQ(out_of_order, 0);
    CHECK(node[1].parent == &node[0]);

    /* Revoking from the middle of a chain keeps the upper half. */
    reset();
    mapdb_link(NULL, &node[0]);
    for (unsigned i = 1; i < DEPTH; i++) {
        mapdb_link(&node[i - 1], &node[i]);
    }
    take_snapshot(DEPTH);
    mapdb_revoke_children(&node[DEPTH / 2], remove_cb, NULL);
    check_revoked(DEPTH / 2, DEPTH);
    CHECK_EQ(removed, DEPTH - 1 - DEPTH / 2);
    CHECK(node[DEPTH / 2 - 1].child == &node[DEPTH / 2]);
}

static void test_wide(void)
{
    enum { WIDTH = 1000 };
    reset();
    mapdb_link(NULL, &node[0]);
    mapdb_link(&node[0], &node[1]);
    for (unsigned i = 2; i < WIDTH + 2; i++) {
        mapdb_link(&node[1], &node[i]);
    }
    mapdb_link(&node[0], &node[WIDTH + 2]); /* sibling of the fan-out's root */
    take_snapshot(WIDTH + 3);
    mapdb_revoke_children(&node[1], remove_cb, NULL);
    check_revoked(1, WIDTH + 3);
    CHECK_EQ(removed, WIDTH);

    /* Wide and deep: every child of the fan-out has a chain of 10 below it. */
    reset();
    mapdb_link(NULL, &node[0]);
    unsigned n = 1;
    for (unsigned i = 0; i < WIDTH; i++) {
        unsigned top = n++;
        mapdb_link(&node[0], &node[top]);
        for (unsigned k = 0; k < 10; k++, n++) {
            mapdb_link(&node[n - 1], &node[n]);
        }
    }
    take_snapshot(n);
    mapdb_revoke_children(&node[0], remove_cb, NULL);
    check_revoked(0, n);
    CHECK_EQ(removed, n - 1);
}

/* A random tree: each node's parent is a random earlier node. Revoke below several nodes. */
static void test_random_tree(void)
{
    enum { COUNT = 5000 };
    reset();
    mapdb_link(NULL, &node[0]);
    for (unsigned i = 1; i < COUNT; i++) {
        /* Bias towards recent nodes so the tree gets deep as well as wide. */
        unsigned span = i < 50 ? i : 50;
        unsigned p = kern_host_rand() % 3 ? i - 1 - (unsigned)(kern_host_rand() % span)
                                          : (unsigned)(kern_host_rand() % i);
        mapdb_link(&node[p], &node[i]);
    }
    static const unsigned roots[] = { 1234, 77, 3, 0 };
    unsigned total = 0;
    for (unsigned r = 0; r < sizeof(roots) / sizeof(roots[0]); r++) {
        memset(seen, 0, sizeof(seen));
        removed = bad_state = bad_order = 0;
        take_snapshot(COUNT);
        /* Nodes revoked earlier are unlinked roots with no children now: they count as outside. */
        mapdb_revoke_children(&node[roots[r]], remove_cb, NULL);
        check_revoked(roots[r], COUNT);
        total += removed;
    }
    CHECK_EQ(total, COUNT - 1); /* every node but node[0] went exactly once overall */
}

/* A bounded revoke: the same nodes go, in the same order rules, a budget's worth a call. */
static void test_bounded(void)
{
    enum { COUNT = 5000, STEP = 7 };
    reset();
    mapdb_link(NULL, &node[0]);
    for (unsigned i = 1; i < COUNT; i++) {
        unsigned span = i < 50 ? i : 50;
        unsigned p = kern_host_rand() % 3 ? i - 1 - (unsigned)(kern_host_rand() % span)
                                          : (unsigned)(kern_host_rand() % i);
        mapdb_link(&node[p], &node[i]);
    }
    take_snapshot(COUNT);
    unsigned calls = 0, over = 0, early = 0, last = 0;
    for (bool done = false; !done; calls++) {
        unsigned budget = STEP, before = removed;
        done = mapdb_revoke_children(&node[0], remove_cb, &budget);
        over += removed - before > STEP;
        early += !done && removed - before != STEP; /* stopped with budget left */
        last = budget;
        CHECK(calls < COUNT);
        if (calls >= COUNT) {
            break;
        }
    }
    check_revoked(0, COUNT);
    CHECK_EQ(removed, COUNT - 1);
    CHECK_EQ(over, 0);
    CHECK_EQ(early, 0);
    CHECK_EQ(calls, (COUNT - 1 + STEP - 1) / STEP); /* a call that empties it says so */
    CHECK(last <= STEP);
    /* Nothing below: done at once, nothing spent. */
    unsigned budget = STEP;
    CHECK(mapdb_revoke_children(&node[0], remove_cb, &budget));
    CHECK_EQ(budget, STEP);
    budget = 0;
    CHECK(mapdb_revoke_children(&node[0], remove_cb, &budget));
}

/* Trees stop at MAPDB_MAX_DEPTH (a root is at 0), so that walks up the ancestors are bounded. */
static void test_depth(void)
{
    reset();
    mapdb_link(NULL, &node[0]);
    CHECK_EQ(mapdb_may_link(NULL), 0);
    for (unsigned i = 1; i <= MAPDB_MAX_DEPTH; i++) {
        CHECK_EQ(mapdb_may_link(&node[i - 1]), 0);
        mapdb_link(&node[i - 1], &node[i]);
    }
    CHECK_EQ(mapdb_may_link(&node[MAPDB_MAX_DEPTH]), -KEEL_ERANGE); /* a child: one too deep */
    CHECK(mapdb_derives_from(&node[MAPDB_MAX_DEPTH], &node[0]));
    CHECK(mapdb_derives_from(&node[5], &node[5]));
    CHECK(!mapdb_derives_from(&node[0], &node[5]));
    CHECK(!mapdb_derives_from(&node[5], &node[MAPDB_MAX_DEPTH + 1]));
}

/* A revocation in steps cannot be outgrown: while it goes on, nothing new may be linked below
 * its node or anywhere under it; elsewhere, and after it, as before. */
static void test_revoking_is_not_outgrown(void)
{
    reset();
    mapdb_link(NULL, &node[0]);
    mapdb_link(&node[0], &node[1]); /* revoked below */
    mapdb_link(&node[0], &node[2]); /* its sibling */
    for (unsigned i = 3; i < 13; i++) {
        mapdb_link(&node[1], &node[i]);
    }
    mapdb_link(&node[3], &node[13]);
    take_snapshot(14);
    unsigned budget = 2;
    CHECK(!mapdb_revoke_children(&node[1], remove_cb, &budget));
    CHECK_EQ(mapdb_may_link(&node[1]), -KEEL_EBUSY);
    CHECK_EQ(mapdb_may_link(&node[5]), -KEEL_EBUSY); /* below it too */
    CHECK_EQ(mapdb_may_link(&node[2]), 0);
    CHECK_EQ(mapdb_may_link(&node[0]), 0);
    CHECK_EQ(broken_links(14), 0);
    mapdb_link(&node[0], &node[14]); /* a new sibling before node[1]: its mark stays */
    CHECK_EQ(mapdb_may_link(&node[1]), -KEEL_EBUSY);
    budget = 100;
    CHECK(mapdb_revoke_children(&node[1], remove_cb, &budget));
    CHECK_EQ(removed, 11);
    CHECK_EQ(mapdb_may_link(&node[1]), 0);
    CHECK_EQ(broken_links(15), 0);
    /* Given up half way: the mark stays until a revocation goes to the end. */
    for (unsigned i = 3; i < 6; i++) {
        mapdb_link(&node[1], &node[i]);
    }
    budget = 1;
    CHECK(!mapdb_revoke_children(&node[1], remove_cb, &budget));
    CHECK(mapdb_revoking(&node[1]));
    CHECK_EQ(mapdb_may_link(&node[4]), -KEEL_EBUSY);
    CHECK(mapdb_revoke_children(&node[1], remove_cb, NULL));
    CHECK(!mapdb_revoking(&node[1]));
    CHECK_EQ(mapdb_may_link(&node[1]), 0);
    CHECK_EQ(broken_links(15), 0);
}

/* mapdb_adopt_after puts a child right after the one named (at the head without one), and
 * unlinking keeps the order of the rest. */
static void test_adopt_after(void)
{
    memset(node, 0, sizeof(node));
    mapdb_link(NULL, &node[0]);
    mapdb_adopt_after(&node[0], NULL, &node[1]);     /* 1 */
    mapdb_adopt_after(&node[0], &node[1], &node[2]); /* 1 2 */
    mapdb_adopt_after(&node[0], &node[1], &node[3]); /* 1 3 2 */
    mapdb_adopt_after(&node[0], NULL, &node[4]);     /* 4 1 3 2 */
    mapdb_adopt_after(&node[0], &node[2], &node[5]); /* 4 1 3 2 5 */
    const unsigned want[] = { 4, 1, 3, 2, 5 };
    unsigned k = 0;
    for (struct mapnode *c = node[0].child; c; c = c->next, k++) {
        CHECK(k < 5 && c == &node[want[k]] && c->parent == &node[0]);
    }
    CHECK_EQ(k, 5);
    mapdb_unlink_leaf(&node[3]);
    mapdb_unlink_leaf(&node[5]);
    const unsigned rest[] = { 4, 1, 2 };
    k = 0;
    for (struct mapnode *c = node[0].child; c; c = c->next, k++) {
        CHECK(k < 3 && c == &node[rest[k]]);
    }
    CHECK_EQ(k, 3);
}

int main(void)
{
    test_adopt_after();
    test_depth();
    test_revoking_is_not_outgrown();
    test_link_unlink();
    test_replace();
    test_deep_chain();
    test_wide();
    test_random_tree();
    test_bounded();
    return unit_done("test_mapdb");
}
