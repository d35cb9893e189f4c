// SPDX-License-Identifier: MIT
// Factories: creation of every object type, destination checks, quotas and their nesting.
#include <keel/ktest.h>
#include "ktest_util.h"

KTEST(factory_creates_every_type)
{
    static const struct { uint64_t op; int type; } kinds[] = {
        { KEEL_FACTORY_TASK, KEEL_OBJ_TASK },     { KEEL_FACTORY_THREAD, KEEL_OBJ_THREAD },
        { KEEL_FACTORY_GATE, KEEL_OBJ_IPC_GATE }, { KEEL_FACTORY_IRQ, KEEL_OBJ_IRQ },
        { KEEL_FACTORY_FACTORY, KEEL_OBJ_FACTORY },
    };
    for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        uint64_t c = cap_new();
        int64_t r = kinds[i].op == KEEL_FACTORY_FACTORY ? KOBJ(KEEL_ROOT_FACTORY, kinds[i].op, c, 65536)
                  : kinds[i].op == KEEL_FACTORY_GATE    ? KOBJ(KEEL_ROOT_FACTORY, kinds[i].op, c, ~0ull, 0)
                                                        : KOBJ(KEEL_ROOT_FACTORY, kinds[i].op, c, 0);
        CHECK_EQ(r, 0);
        CHECK_EQ(KOBJ(c, KEEL_ANY_TYPE), kinds[i].type);
        cap_free(c);
    }
}

KTEST(factory_destination_checks)
{
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ, KEEL_ROOT_TASK), -KEEL_EEXIST);
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ, 0), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ, 1ull << 40), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ), -KEEL_EINVAL);
}

KTEST(factory_quota_is_enforced_and_returned)
{
    uint64_t f = cap_new();
    uint64_t parent_before = factory_used(KEEL_ROOT_FACTORY);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, f, 8192), 0);
    CHECK(factory_used(KEEL_ROOT_FACTORY) >= parent_before + 8192); /* the limit is charged */
    uint64_t caps[256];
    unsigned made = 0;
    int64_t r = 0;
    for (; made < 256; made++) {
        caps[made] = cap_new();
        r = KOBJ(f, KEEL_FACTORY_GATE, caps[made], ~0ull, 0);
        if (r < 0) {
            break;
        }
    }
    CHECK_EQ(r, -KEEL_ENOMEM);
    CHECK(made > 0 && made < 256);
    CHECK(factory_used(f) <= 8192);
    for (unsigned i = 0; i <= made && i < 256; i++) {
        cap_free(caps[i]);
    }
    CHECK_EQ(factory_used(f), 0);
    cap_free(f);
    CHECK_EQ(factory_used(KEEL_ROOT_FACTORY), parent_before);
}

KTEST(nested_factory_cannot_exceed_parent)
{
    uint64_t f = cap_new(), g = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_FACTORY, f, 16384), 0);
    CHECK_EQ(KOBJ(f, KEEL_FACTORY_FACTORY, g, 1ull << 20), -KEEL_ENOMEM);
    CHECK_EQ(KOBJ(f, KEEL_FACTORY_FACTORY, g, 4096), 0);
    CHECK_EQ(KOBJ(g, KEEL_FACTORY_INFO), 0);
    CHECK_EQ(keel_utcb()->mr[0], 4096);
    cap_free(g);
    cap_free(f);
}

KTEST(factory_needs_write_right)
{
    uint64_t ro = cap_new(), c = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                    keel_fpage_cap(KEEL_ROOT_FACTORY, 0, KEEL_CAP_R), ro), 0);
    CHECK_EQ(KOBJ(ro, KEEL_FACTORY_IRQ, c), -KEEL_EPERM);
    CHECK(KOBJ(ro, KEEL_FACTORY_INFO) >= 0);
    cap_free(ro);
}

KTEST(task_with_bad_utcb_area_is_refused)
{
    uint64_t c = cap_new();
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, c, keel_fpage_mem(0x1000, 13, KEEL_FP_RW)),
             -KEEL_EINVAL); /* not aligned to its size */
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, c, keel_fpage_mem(0x100000, 30, KEEL_FP_RW)),
             -KEEL_EINVAL); /* too large */
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, c, keel_fpage_cap(0, 4, 0)), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, c), 0);
}
