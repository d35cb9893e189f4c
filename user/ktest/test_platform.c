// SPDX-License-Identifier: MIT
// Vcon (write, read, errors), Platform_control (KMEM, rights, opcodes) and the KIP.
#include <keel/ktest.h>
#include <stdbool.h>
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

#define FLOOD_LINE 400
#define FLOOD_LINES 256 /* 100 KiB: more than a task's burst (64 KiB) ... */
#define FLOOD_MAX_LINES                                                                            \
    4096 /* ... and on until its first dropped write: a slow host (the flood
                              * at 1.2 s per 100 KiB) earns more credit on the way (32 KiB/s) */
static volatile uint64_t flood_written, flood_dropped, flood_full, flood_us, flood_after,
    flood_lines;
static volatile int flood_done;

/* Writes FLOOD_LINES lines as fast as it can, and more until one is dropped, then, after a
 * pause, one more. */
static void vcon_flooder(uint64_t arg)
{
    (void)arg;
    char line[FLOOD_LINE];
    memset(line, '.', sizeof(line));
    memcpy(line, "vcon flood: ", 12);
    line[FLOOD_LINE - 1] = '\n';
    uint64_t t0 = keel_cycles(), written = 0; /* (the KIP, for now_us, is the root task's) */
    unsigned i = 0;
    bool dropped = false;
    while (i < FLOOD_MAX_LINES && (i < FLOOD_LINES || !dropped)) {
        struct keel_utcb *u = keel_utcb();
        u->mr[0] = KEEL_VCON_WRITE;
        u->mr[1] = FLOOD_LINE;
        memcpy(&u->mr[2], line, FLOOD_LINE);
        uint64_t tag = keel_call(KEEL_ROOT_VCON, keel_tag(KEEL_PROTO_KOBJ, 2 + FLOOD_LINE / 8, 0),
                                 KEEL_NEVER, 0);
        uint64_t n = keel_tag_is_error(tag) ? 0 : (uint64_t)keel_tag_label(tag);
        written += n;
        dropped |= n < FLOOD_LINE;
        i++;
    }
    flood_lines = i;
    flood_us = keel_cycles() - t0; /* ticks, made microseconds by the root */
    flood_written = written;
    flood_dropped = keel_utcb()->mr[0];
    flood_full = keel_utcb()->mr[1];
    for (unsigned k = 0; k < 100; k++) {
        keel_wait(10000, 0); /* a second: its credit comes back */
    }
    flood_after = (uint64_t)vcon_write(KEEL_ROOT_VCON, "vcon flood: over\n", 17, 2 + 3);
    flood_done = 1;
    kthread_exit();
}

/* A task that writes more than its share has the rest dropped, whole writes, and counted; it
 * cannot keep others off the console; its credit comes back with time. */
KTEST(vcon_flood_is_cut_to_the_rate_and_counted)
{
    flood_done = 0;
    uint64_t task;
    REQUIRE(ktask_create(KEEL_ROOT_FACTORY, &task) >= 0);
    struct kthread t;
    kthread_prepare(&t);
    REQUIRE_EQ(kthread_run(&t, KEEL_ROOT_FACTORY, task, vcon_flooder, 0, 0, 0), 0);
    REQUIRE(wait_flag(&flood_done, 10000));
    uint64_t total = (uint64_t)FLOOD_LINE * flood_lines;
    flood_us = flood_us * 1000000 / rt_kip()->timer_freq;
    printf("ktest: a flood of %lu bytes in %lu us: %lu written, %lu dropped (%lu with the "
           "console's buffer full)\n",
           (unsigned long)total, (unsigned long)flood_us, (unsigned long)flood_written,
           (unsigned long)flood_dropped, (unsigned long)flood_full);
    CHECK_EQ(flood_written + flood_dropped, total);
    CHECK(flood_dropped > 0);
    CHECK(flood_full <= flood_dropped);
    /* The burst went through, unless the UART could not take it that fast (a real one at
     * 115200 baud, as Bochs' is: then the buffer filled, and the flood did not hold the kernel
     * for the 9 s it takes to send; QEMU's takes all at once). */
    CHECK(flood_full > 0 || flood_written >= 64 * 1024 - FLOOD_LINE);
    CHECK(flood_full == 0 || flood_us < 2000000);
    CHECK(flood_written <= 64 * 1024 + 32 * 1024 * (flood_us / 1000000 + 1));
    CHECK_EQ(flood_after, 17);
    /* This task's own writes were never cut. */
    CHECK_EQ(vcon_write(KEEL_ROOT_VCON, "vcon: still here\n", 17, 2 + 3), 17);
    kthread_free(&t);
    cap_free(task);
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
