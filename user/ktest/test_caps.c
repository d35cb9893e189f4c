// SPDX-License-Identifier: MIT
// Capabilities and object spaces: lookup errors, rights, mapping, revocation, release.
#include <keel/ktest.h>
#include "ktest_util.h"

KTEST(root_caps_have_their_types)
{
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_ANY_TYPE), KEEL_OBJ_TASK);
    CHECK_EQ(KOBJ(KEEL_ROOT_THREAD, KEEL_ANY_TYPE), KEEL_OBJ_THREAD);
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_ANY_TYPE), KEEL_OBJ_FACTORY);
    CHECK_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ANY_TYPE), KEEL_OBJ_ICU);
    CHECK_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_ANY_TYPE), KEEL_OBJ_SCHEDULER);
    CHECK_EQ(KOBJ(KEEL_ROOT_VCON, KEEL_ANY_TYPE), KEEL_OBJ_VCON);
    CHECK_EQ(KOBJ(KEEL_ROOT_PLATFORM, KEEL_ANY_TYPE), KEEL_OBJ_PLATFORM);
}

KTEST(empty_capability_is_enocap)
{
    CHECK_EQ(KOBJ(1000, KEEL_ANY_TYPE), -KEEL_ENOCAP);
    CHECK_EQ(KOBJ(0, KEEL_ANY_TYPE), -KEEL_ENOCAP);
    CHECK_EQ(KOBJ(1ull << 40, KEEL_ANY_TYPE), -KEEL_ENOCAP);
}

KTEST(unknown_opcode_is_eproto)
{
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, 999), -KEEL_EPROTO);
    CHECK_EQ(KOBJ(KEEL_ROOT_FACTORY, 999), -KEEL_EPROTO);
    CHECK_EQ(KOBJ(KEEL_ROOT_SCHEDULER, 999), -KEEL_EPROTO);
}

KTEST(kernel_object_needs_kobj_label)
{
    keel_utcb()->mr[0] = KEEL_ANY_TYPE;
    uint64_t tag = keel_call(KEEL_ROOT_TASK, keel_tag(42, 1, 0), KEEL_NEVER, 0);
    CHECK_EQ(keel_tag_label(tag), -KEEL_EPROTO);
}

KTEST(bad_operation_flags_are_einval)
{
    uint64_t tag = keel_sys_invoke(0, keel_sel(KEEL_ROOT_TASK, 0x80), 0, 0);
    CHECK(keel_tag_is_error(tag));
    CHECK_EQ(keel_ipc_error(), -KEEL_EINVAL);
    tag = keel_sys_invoke(0, keel_sel(0, KEEL_OP_REPLY), 0, 0); /* reply without send */
    CHECK(keel_tag_is_error(tag));
    CHECK_EQ(keel_ipc_error(), -KEEL_EINVAL);
}

KTEST(reply_without_caller_is_enoent)
{
    uint64_t tag = keel_reply(keel_tag(0, 0, 0));
    CHECK(keel_tag_is_error(tag));
    CHECK_EQ(keel_ipc_error(), -KEEL_ENOENT);
}

KTEST(cap_map_within_task_shrinks_rights)
{
    uint64_t copy = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                    keel_fpage_cap(KEEL_ROOT_PLATFORM, 0, KEEL_CAP_R), copy), 0);
    CHECK_EQ(KOBJ(copy, KEEL_ANY_TYPE), KEEL_OBJ_PLATFORM);
    CHECK(KOBJ(copy, KEEL_PLATFORM_KMEM) >= 0);                /* R is enough to read */
    CHECK_EQ(KOBJ(copy, KEEL_PLATFORM_RESET), -KEEL_EPERM);    /* W is not there */
    cap_free(copy);
    CHECK_EQ(KOBJ(copy, KEEL_ANY_TYPE), -KEEL_ENOCAP);
}

KTEST(cap_without_s_right_is_not_passed_on)
{
    uint64_t a = cap_new(), b = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                    keel_fpage_cap(KEEL_ROOT_VCON, 0, KEEL_CAP_R | KEEL_CAP_W), a), 0);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                    keel_fpage_cap(a, 0, KEEL_CAP_ALL), b), 0);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, b), 0);
    cap_free(a);
    cap_free(b);
}

KTEST(cap_revocation_is_recursive)
{
    uint64_t gate = cap_new(), a = cap_new(), b = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_GATE, gate, ~0ull, 0), 0);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_cap(gate, 0, KEEL_CAP_ALL), a), 0);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_cap(a, 0, KEEL_CAP_ALL), b), 0);
    CHECK_EQ(KOBJ(b, KEEL_ANY_TYPE), KEEL_OBJ_IPC_GATE);
    /* Unmap the children of the original: both copies go, the original stays. */
    REQUIRE_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_UNMAP, keel_fpage_cap(gate, 0, 0), 0), 0);
    CHECK_EQ(KOBJ(a, KEEL_ANY_TYPE), -KEEL_ENOCAP);
    CHECK_EQ(KOBJ(b, KEEL_ANY_TYPE), -KEEL_ENOCAP);
    CHECK_EQ(KOBJ(gate, KEEL_ANY_TYPE), KEEL_OBJ_IPC_GATE);
    cap_free(gate);
    cap_free(a);
    cap_free(b);
}

KTEST(releasing_last_cap_frees_object)
{
    uint64_t before = factory_used(KEEL_ROOT_FACTORY);
    uint64_t gate = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_GATE, gate, ~0ull, 0), 0);
    CHECK(factory_used(KEEL_ROOT_FACTORY) > before);
    cap_free(gate);
    CHECK_EQ(factory_used(KEEL_ROOT_FACTORY), before);
}

KTEST(cap_grant_moves_capability)
{
    uint64_t gate = cap_new(), dst = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_GATE, gate, ~0ull, 7), 0);
    struct keel_utcb *u = keel_utcb();
    /* Grant through a message to ourselves is not possible; use Task MAP then release source. */
    REQUIRE_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_cap(gate, 0, KEEL_CAP_ALL), dst), 0);
    cap_free(gate); /* revokes the copy too: it was derived from it */
    CHECK_EQ(KOBJ(dst, KEEL_ANY_TYPE), -KEEL_ENOCAP);
    (void)u;
    cap_free(dst);
}

/* A task with a UTCB area and nothing else. */
static uint64_t bare_task(void)
{
    uint64_t c = cap_new();
    if (KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, c,
             keel_fpage_mem(KEEL_ROOT_UTCB_ADDR, CHILD_UTCB_ORDER, KEEL_FP_RW)) != 0) {
        cap_free(c);
        return 0;
    }
    return c;
}

KTEST(cap_valid_and_release_report_slots)
{
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, KEEL_ROOT_TASK), 1);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, KEEL_ROOT_PLATFORM), 1);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, 8), 0);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, 0), 0);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, 1ull << 40), 0);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, 8), -KEEL_ENOCAP);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, 0), -KEEL_ENOCAP);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, 1ull << 40), -KEEL_ENOCAP);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE), -KEEL_EINVAL);
    /* Release needs W on the task; CAP_VALID only R. */
    uint64_t ro = cap_new(), g = cap_new();
    REQUIRE_EQ(ktask_give_cap(KEEL_ROOT_TASK, KEEL_ROOT_TASK, KEEL_CAP_R, ro), 0);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_GATE, g, ~0ull, 0), 0);
    CHECK_EQ(KOBJ(ro, KEEL_TASK_RELEASE, g), -KEEL_EPERM);
    CHECK_EQ(KOBJ(ro, KEEL_TASK_CAP_VALID, g), 1);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, g), 0);
    CHECK_EQ(KOBJ(ro, KEEL_TASK_CAP_VALID, g), 0);
    cap_free(g);
    cap_free(ro);
}

KTEST(cap_rights_only_shrink)
{
    uint64_t a = cap_new(), b = cap_new();
    /* R|S (no W) passed on with all rights: still R|S. */
    REQUIRE_EQ(ktask_give_cap(KEEL_ROOT_TASK, KEEL_ROOT_FACTORY, KEEL_CAP_R | KEEL_CAP_S, a), 0);
    REQUIRE_EQ(ktask_give_cap(KEEL_ROOT_TASK, a, KEEL_CAP_ALL, b), 0);
    uint64_t c = cap_new();
    CHECK_EQ(KOBJ(b, KEEL_FACTORY_GATE, c, ~0ull, 0), -KEEL_EPERM);
    CHECK(KOBJ(b, KEEL_FACTORY_INFO) >= 0);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, c), 0);
    /* No rights at all: only the type query answers. */
    uint64_t z = cap_new();
    REQUIRE_EQ(ktask_give_cap(KEEL_ROOT_TASK, KEEL_ROOT_FACTORY, 0, z), 0);
    CHECK_EQ(KOBJ(z, KEEL_ANY_TYPE), KEEL_OBJ_FACTORY);
    CHECK_EQ(KOBJ(z, KEEL_FACTORY_INFO), -KEEL_EPERM);
    cap_free(z);
    cap_free(b);
    cap_free(a);
}

KTEST(cap_map_into_child_and_errors)
{
    uint64_t t = bare_task();
    REQUIRE(t);
    uint64_t g = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_GATE, g, ~0ull, 0), 0);
    /* Four slots at once (16..19: g and whatever follows), to 32..35 in the child. */
    uint64_t base = g & ~3ull;
    REQUIRE_EQ(KOBJ(t, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_cap(base, 2, KEEL_CAP_ALL), 32), 0);
    CHECK_EQ(KOBJ(t, KEEL_TASK_CAP_VALID, 32 + (g - base)), 1);
    for (uint64_t i = 0; i < 4; i++) {
        /* Holes stay holes. */
        CHECK_EQ(KOBJ(t, KEEL_TASK_CAP_VALID, 32 + i), KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, base + i));
    }
    /* Flexpage checks: misaligned source or destination, kind. */
    CHECK_EQ(KOBJ(t, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_cap(base + 1, 1, KEEL_CAP_ALL), 40), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(t, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_cap(base, 2, KEEL_CAP_ALL), 41), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(t, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_cap(g, 0, KEEL_CAP_ALL), 0), -KEEL_ERANGE);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_UNMAP, keel_fpage_cap(base + 1, 1, 0), 0), -KEEL_EINVAL);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_UNMAP, keel_fpage_cap(0, 21, 0), 0), -KEEL_EINVAL);
    /* The child's copy goes with the gate. */
    cap_free(g);
    CHECK_EQ(KOBJ(t, KEEL_TASK_CAP_VALID, 32 + (g - base)), 0);
    cap_free(t);
}

KTEST(cap_map_over_its_own_source_is_eexist)
{
    uint64_t g = cap_new(), a = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_GATE, g, ~0ull, 0), 0);
    REQUIRE_EQ(ktask_give_cap(KEEL_ROOT_TASK, g, KEEL_CAP_ALL, a), 0);
    CHECK_EQ(ktask_give_cap(KEEL_ROOT_TASK, a, KEEL_CAP_ALL, g), -KEEL_EEXIST);
    CHECK_EQ(KOBJ(g, KEEL_ANY_TYPE), KEEL_OBJ_IPC_GATE);
    CHECK_EQ(KOBJ(a, KEEL_ANY_TYPE), KEEL_OBJ_IPC_GATE);
    /* Onto itself: nothing happens. */
    CHECK_EQ(ktask_give_cap(KEEL_ROOT_TASK, g, KEEL_CAP_ALL, g), 0);
    CHECK_EQ(KOBJ(a, KEEL_ANY_TYPE), KEEL_OBJ_IPC_GATE);
    /* Over an unrelated capability: that one is replaced. */
    uint64_t h = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ, h), 0);
    CHECK_EQ(ktask_give_cap(KEEL_ROOT_TASK, g, KEEL_CAP_ALL, h), 0);
    CHECK_EQ(KOBJ(h, KEEL_ANY_TYPE), KEEL_OBJ_IPC_GATE);
    cap_free(h);
    cap_free(a);
    cap_free(g);
}

KTEST(cap_unmap_self_releases_the_slot)
{
    uint64_t g = cap_new(), a = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_GATE, g, ~0ull, 0), 0);
    REQUIRE_EQ(ktask_give_cap(KEEL_ROOT_TASK, g, KEEL_CAP_ALL, a), 0);
    /* Without SELF the copy goes, the original stays; with SELF the original goes too. */
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_UNMAP, keel_fpage_cap(g, 0, 0), KEEL_UNMAP_SELF), 0);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, g), 0);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, a), 0);
    cap_free(a);
    cap_free(g);
}

KTEST(cap_huge_flexpages_are_quick)
{
    /* Capability flexpages far larger than any object space: only real slots cost time. */
    uint64_t a = bare_task(), b = bare_task();
    REQUIRE(a && b);
    REQUIRE_EQ(ktask_give_cap(a, KEEL_ROOT_VCON, KEEL_CAP_ALL, 5), 0);
    uint64_t t0 = now_us();
    CHECK_EQ(KOBJ(b, KEEL_TASK_MAP, a, keel_fpage_cap(0, 40, KEEL_CAP_ALL), 0), 0);
    CHECK_EQ(KOBJ(b, KEEL_TASK_CAP_VALID, 5), 1);
    CHECK_EQ(KOBJ(b, KEEL_TASK_MAP, a, keel_fpage_cap(1ull << 40, 40, KEEL_CAP_ALL), 0), 0);
    CHECK_EQ(KOBJ(b, KEEL_TASK_MAP, a, keel_fpage_cap(0, 48, KEEL_CAP_ALL), 0), 0);
    CHECK_EQ(KOBJ(a, KEEL_TASK_UNMAP, keel_fpage_cap(0, 20, 0), 0), 0);
    CHECK_EQ(KOBJ(b, KEEL_TASK_CAP_VALID, 5), 0);
    CHECK_EQ(KOBJ(b, KEEL_TASK_UNMAP, keel_fpage_cap(0, 20, 0), KEEL_UNMAP_SELF), 0);
    CHECK_LT(now_us() - t0, 200000);
    cap_free(a);
    cap_free(b);
}
