// SPDX-License-Identifier: MIT
/*
 * TLB tags with generations (kern/asid.c): ids handed out once per generation, a new generation
 * when none is left, the ids of loaded tables kept across it, released ids reused; and a random
 * run of CPUs loading tables, checking that no two valid tables ever share an id and that every
 * loaded table's id stays valid.
 */
#include "unit.h"
#include <keel/asid.h>
#include <stdlib.h>

static void test_generation(void)
{
    struct asid_pool p;
    asid_pool_init(&p, 8); /* ids 1..7 */
    struct asid t[9] = { 0 };
    for (unsigned i = 0; i < 7; i++) {
        CHECK(!asid_valid(&p, &t[i]));
        CHECK(!asid_renew(&p, &t[i], NULL, 0));
        CHECK(asid_valid(&p, &t[i]));
        CHECK(t[i].id >= 1 && t[i].id <= 7);
        for (unsigned j = 0; j < i; j++) {
            CHECK(t[i].id != t[j].id);
        }
    }
    /* The eighth: a new generation. t[0] and t[3] are loaded on CPUs: they keep their ids. */
    struct asid *loaded[3] = { &t[0], NULL, &t[3] };
    uint16_t id0 = t[0].id, id3 = t[3].id;
    CHECK(asid_renew(&p, &t[7], loaded, 3));
    CHECK(asid_valid(&p, &t[0]) && asid_valid(&p, &t[3]) && asid_valid(&p, &t[7]));
    CHECK_EQ(t[0].id, id0);
    CHECK_EQ(t[3].id, id3);
    CHECK(t[7].id != id0 && t[7].id != id3);
    for (unsigned i = 1; i < 7; i++) {
        if (i != 3) {
            CHECK(!asid_valid(&p, &t[i])); /* a new id when next loaded */
        }
    }
    /* An old table's release frees nothing of the new generation; a current one's does. */
    asid_release(&p, &t[1]);
    CHECK_EQ(t[1].gen, 0);
    for (unsigned i = 1; i < 5; i++) { /* 4 of the 4 ids left: no rollover */
        CHECK(!asid_renew(&p, &t[i == 3 ? 8 : i], NULL, 0));
    }
    CHECK(asid_renew(&p, &t[5], NULL, 0)); /* none left */
    asid_release(&p, &t[5]);
    CHECK(!asid_renew(&p, &t[6], NULL, 0)); /* t[5]'s id came back */
}

/* A table loaded on a CPU without a valid id (riscv64 and arm64 load such a table as a placeholder
 * that faults, and give it an id then) keeps none across a new generation. */
static void test_loaded_but_stale(void)
{
    struct asid_pool p;
    asid_pool_init(&p, 4); /* ids 1..3 */
    struct asid t[5] = { 0 };
    for (unsigned i = 0; i < 3; i++) {
        CHECK(!asid_renew(&p, &t[i], NULL, 0));
    }
    struct asid *loaded[2] = { &t[0], NULL };
    CHECK(asid_renew(&p, &t[3], loaded, 2)); /* t[1], t[2] are stale now */
    loaded[1] = &t[1];                        /* loaded while stale */
    CHECK(!asid_renew(&p, &t[4], loaded, 2));
    CHECK(asid_renew(&p, &t[2], loaded, 2));
    CHECK(asid_valid(&p, &t[0]) && asid_valid(&p, &t[2]));
    CHECK(!asid_valid(&p, &t[1]));
    CHECK(t[0].id != t[2].id);
}

/* CPUs load random tables; tables come and go. */
static void test_random(void)
{
    enum { TABLES = 100, CPUS = 4, IDS = 16 };
    struct asid_pool p;
    asid_pool_init(&p, IDS);
    struct asid t[TABLES] = { 0 };
    struct asid *loaded[CPUS] = { 0 };
    unsigned rollovers = 0, bad_unique = 0, bad_loaded = 0;
    srand(7);
    for (unsigned step = 0; step < 30000; step++) {
        unsigned cpu = (unsigned)rand() % CPUS, k = (unsigned)rand() % TABLES;
        if (rand() % 8 == 0) {
            bool in_use = false;
            for (unsigned c = 0; c < CPUS; c++) {
                in_use |= loaded[c] == &t[k];
            }
            if (!in_use) {
                asid_release(&p, &t[k]); /* the table is destroyed, another made in its place */
            }
            continue;
        }
        if (!asid_valid(&p, &t[k]) && asid_renew(&p, &t[k], loaded, CPUS)) {
            rollovers++;
        }
        loaded[cpu] = &t[k];
        for (unsigned c = 0; c < CPUS; c++) {
            bad_loaded += loaded[c] && !asid_valid(&p, loaded[c]);
        }
        for (unsigned i = 0; i < TABLES; i++) {
            for (unsigned j = i + 1; j < TABLES; j++) {
                bad_unique += asid_valid(&p, &t[i]) && asid_valid(&p, &t[j]) && t[i].id == t[j].id;
            }
        }
    }
    CHECK_EQ(bad_unique, 0);
    CHECK_EQ(bad_loaded, 0);
    CHECK(rollovers > 100);
}

int main(void)
{
    test_generation();
    test_loaded_but_stale();
    test_random();
    return unit_done("test_asid");
}
