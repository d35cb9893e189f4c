// SPDX-License-Identifier: MIT
// Vcon (write, read, errors), Platform_control (KMEM, rights, opcodes) and the KIP.
#include <keel/ktest.h>
#include <string.h>
#include "ktest_util.h"

static int64_t vcon_write(uint64_t cap, const char *s, uint64_t len, unsigned words)
{
    struct keel_utcb *u = keel_utcb();
    u->mr[0] = KEEL_VCON_WRITE;
    u->mr[1] = len;
    memcpy(&u->mr[2], s, strlen(s));
    uint64_t tag = keel_call(cap, keel_tag(KEEL_PROTO_KOBJ, words, 0), KEEL_NEVER, 0);
    return keel_tag_is_error(tag) ? keel_ipc_error() : keel_tag_label(tag);
}

KTEST(vcon_write_and_errors)
{
    rt_flush();
    static const char msg[] = "vcon: direct write\n";
    uint64_t n = sizeof(msg) - 1;
    CHECK_EQ(vcon_write(KEEL_ROOT_VCON, msg, n, 2 + (unsigned)((n + 7) / 8)), (int64_t)n);
    CHECK_EQ(vcon_write(KEEL_ROOT_VCON, "", 0, 2), 0);
    /* Longer than the message registers can hold, or than the words sent. */
    CHECK_EQ(vcon_write(KEEL_ROOT_VCON, "", (KEEL_MR_COUNT - 2) * 8 + 1, KEEL_MR_COUNT), -KEEL_EINVAL);
    CHECK_EQ(vcon_write(KEEL_ROOT_VCON, "abcdefghijklmnop", 16, 3), -KEEL_EINVAL);
    CHECK_EQ(vcon_write(KEEL_ROOT_VCON, "", 0, 1), -KEEL_EINVAL); /* no length */
    uint64_t ro = cap_new();
    REQUIRE_EQ(ktask_give_cap(KEEL_ROOT_TASK, KEEL_ROOT_VCON, KEEL_CAP_R, ro), 0);
    CHECK_EQ(vcon_write(ro, "x\n", 2, 3), -KEEL_EPERM);
    CHECK_EQ(KOBJ(ro, 77), -KEEL_EPROTO);
    cap_free(ro);
}

KTEST(vcon_read_without_input)
{
    /* Nothing is typed during the test run: reads return no bytes, and never block. */
    CHECK_EQ(KOBJ(KEEL_ROOT_VCON, KEEL_VCON_READ, 0), 0);
    CHECK_EQ(KOBJ(KEEL_ROOT_VCON, KEEL_VCON_READ, 16), 0);
    CHECK_EQ(KOBJ(KEEL_ROOT_VCON, KEEL_VCON_READ), 0);
    CHECK_EQ(KOBJ(KEEL_ROOT_VCON, KEEL_VCON_READ, KEEL_MR_COUNT * 8), 0);
    CHECK_EQ(KOBJ(KEEL_ROOT_VCON, KEEL_VCON_READ, KEEL_MR_COUNT * 8 + 1), -KEEL_EINVAL);
    uint64_t ro = cap_new();
    REQUIRE_EQ(ktask_give_cap(KEEL_ROOT_TASK, KEEL_ROOT_VCON, KEEL_CAP_R, ro), 0);
    CHECK_EQ(KOBJ(ro, KEEL_VCON_READ, 8), 0); /* reading needs only R */
    cap_free(ro);
}

KTEST(platform_kmem_follows_allocations)
{
    REQUIRE_EQ(KOBJ(KEEL_ROOT_PLATFORM, KEEL_PLATFORM_KMEM), 0);
    uint64_t free0 = keel_utcb()->mr[0], total = keel_utcb()->mr[1];
    CHECK(free0 > 0 && free0 < total);
    CHECK(total >= rt_kip()->kmem_total);
    CHECK_EQ(total % KEEL_PAGE_SIZE, 0);
    /* A task costs pages (its tables, its UTCB area); they come back when it goes. */
    uint64_t t = cap_new_warm();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, t,
                    keel_fpage_mem(KEEL_ROOT_UTCB_ADDR, CHILD_UTCB_ORDER, KEEL_FP_RW)), 0);
    uint64_t free1 = kmem_free();
    CHECK(free1 + 4 * KEEL_PAGE_SIZE <= free0);
    KOBJ(KEEL_ROOT_TASK, KEEL_TASK_RELEASE, t);
    CHECK_EQ(kmem_free_settled(free0), free0);
    cap_free(t);
}

KTEST(platform_operations_need_write_right)
{
    uint64_t ro = cap_new();
    REQUIRE_EQ(ktask_give_cap(KEEL_ROOT_TASK, KEEL_ROOT_PLATFORM, KEEL_CAP_R, ro), 0);
    CHECK_EQ(KOBJ(ro, KEEL_PLATFORM_KMEM), 0);
    CHECK_EQ(KOBJ(ro, KEEL_PLATFORM_POWER_OFF), -KEEL_EPERM);
    CHECK_EQ(KOBJ(ro, KEEL_PLATFORM_RESET), -KEEL_EPERM);
    CHECK_EQ(KOBJ(ro, KEEL_PLATFORM_CPU_OFF, 1), -KEEL_EPERM);
    CHECK_EQ(KOBJ(ro, KEEL_PLATFORM_CPU_ON, 1), -KEEL_EPERM);
    CHECK_EQ(KOBJ(KEEL_ROOT_PLATFORM, 0), -KEEL_EPROTO);
    CHECK_EQ(KOBJ(KEEL_ROOT_PLATFORM, 99), -KEEL_EPROTO);
    CHECK_EQ(KOBJ(KEEL_ROOT_PLATFORM, KEEL_PLATFORM_CPU_ON), -KEEL_ERANGE); /* which CPU? */
    /* Turning on a CPU that is on does nothing. */
    if (rt_kip()->cpu_count > 1) {
        CHECK_EQ(KOBJ(KEEL_ROOT_PLATFORM, KEEL_PLATFORM_CPU_ON, 1), 0);
    }
    CHECK_EQ(cpus_online(), rt_kip()->cpu_count);
    cap_free(ro);
}

KTEST(kip_matches_the_kernel)
{
    const struct keel_kip *k = rt_kip();
    CHECK_EQ(k->magic, KEEL_KIP_MAGIC);
    CHECK_EQ(k->version, 1);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_SCHEDULER, KEEL_SCHED_INFO), 0);
    CHECK_EQ(k->cpu_count, keel_utcb()->mr[0]);
    CHECK_EQ(k->timer_freq, keel_utcb()->mr[2]);
    CHECK(k->ram_count >= 1 && k->ram_count <= KEEL_KIP_MAX_RANGES);
    CHECK(k->reserved_count >= 1 && k->reserved_count <= KEEL_KIP_MAX_RANGES);
    CHECK(k->initrd_size > 0);
    /* The initrd holds us: a newc cpio archive. */
    CHECK_EQ(memcmp((const void *)(uintptr_t)k->initrd_base, "070701", 6), 0);
    /* The device tree, where the board has one (x86_64 boots with multiboot and ACPI, none):
     * FDT magic, big endian. */
#if defined(__x86_64__)
    CHECK_EQ(k->fdt_size, 0);
#else
    const uint8_t *fdt = (const uint8_t *)(uintptr_t)k->fdt_base;
    CHECK(k->fdt_size > 0);
    CHECK(fdt[0] == 0xd0 && fdt[1] == 0x0d && fdt[2] == 0xfe && fdt[3] == 0xed);
#endif
#if defined(__aarch64__)
    CHECK_EQ(strcmp(k->arch, "arm64"), 0);
#elif defined(__riscv)
    CHECK_EQ(strcmp(k->arch, "riscv64"), 0);
#endif
}
