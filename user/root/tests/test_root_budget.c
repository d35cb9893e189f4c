// SPDX-License-Identifier: MIT
/*
 * What a VMM needs (user/root/budget.c, compiled in here): what the root task reads of a VM tree
 * (RAM, vCPUs, devices, the flash banks and writable disks its VMM keeps in its heap), the trees
 * it refuses, and the derived kernel memory against what was measured (the peak of the VMM's
 * factory, which the root task prints when a program ends): never below a measured peak, never
 * far above it.
 */
#include "unit.h"
#include "dtb.h"
#include "../budget.c"
#include <stdlib.h>

#define KIB 1024ull

static uint64_t module_size(const char *name)
{
    return strcmp(name, "disk.img") == 0 ? 65537 : strcmp(name, "other.img") == 0 ? 1 << 20 : 0;
}

static void test_shape(void)
{
    struct vm_shape s;
    CHECK(vm_shape_read(unit_load_dtb("vm_budget_full.dtb"), module_size, &s) == NULL);
    CHECK_EQ(s.ram, 64ull << 20);
    CHECK_EQ(s.cpus, 2);
    CHECK_EQ(s.devices, 5); /* psci, pl011, flash, two virtio; not the cpus, memory, chosen */
    /* The banks (1 MiB) and the writable disk in whole pages; the read-only one not. */
    CHECK_EQ(s.heap_more, (1ull << 20) + 69632);
    CHECK_EQ(budget_vm_memory(&s), (65ull << 20) + 69632);
    /* Without the boot modules' sizes the disk is not known: nothing for it. */
    CHECK(vm_shape_read(unit_load_dtb("vm_budget_full.dtb"), NULL, &s) == NULL);
    CHECK_EQ(s.heap_more, 1ull << 20);
}

static void test_refused(void)
{
    struct vm_shape s;
    const char *why = vm_shape_read(unit_load_dtb("vm_budget_nomem.dtb"), module_size, &s);
    CHECK(why && strstr(why, "no memory node"));
    why = vm_shape_read(unit_load_dtb("vm_budget_bad.dtb"), module_size, &s);
    CHECK(why && strstr(why, "2 MiB"));
}

/* The formula grows with every part and in the units it says. */
static void test_formula(void)
{
    struct vm_shape one = { .ram = 16ull << 20, .cpus = 1, .devices = 2 };
    uint64_t base = budget_vm_kmem(&one, 1 << 20, one.ram, false);
    CHECK_EQ(base % (64 * KIB), 0);
    struct vm_shape more = one;
    more.cpus = 8;
    CHECK(budget_vm_kmem(&more, 1 << 20, one.ram, false) > base);
    more = one;
    more.devices = 40;
    CHECK(budget_vm_kmem(&more, 1 << 20, one.ram, false) > base);
    CHECK(budget_vm_kmem(&one, 64 << 20, one.ram, false) > base);
    CHECK(budget_vm_kmem(&one, 1 << 20, 4ull << 30, false) > base);
    /* Page by page a heap costs about 80 times what it costs in 2 MiB blocks. */
    uint64_t blocks = budget_vm_kmem(&one, 1 << 20, 256ull << 20, false);
    uint64_t pages = budget_vm_kmem(&one, 1 << 20, 256ull << 20, true);
    CHECK(pages - base > 60 * (blocks - base + 64 * KIB));
    /* A GiB of heap in blocks: 512 of them and two tables, a quarter more. */
    CHECK(budget_vm_kmem(&one, 1 << 20, 1ull << 30, false) - base <= 128 * KIB);
}

/* What the VMMs of the tests used at most (the root task's "kernel memory: at most N of M KiB
 * used" when each ended), and what the formula asks for them: at least that, at most twice. */
static void test_measured(void)
{
    static const struct {
        const char *what;
        uint64_t ram_mib, memory_mib;
        unsigned cpus, devices;
        uint64_t modules, peak_kib;
    } runs[] = {
        { "arm64 vm-raw vm1", 16, 16, 1, 2, 1218560, 196 },
        { "riscv64 vm-raw vm1", 16, 16, 1, 1, 1367552, 217 },
        { "x86_64 vm-raw vm1", 16, 16, 1, 3, 1304064, 211 },
        { "x86_64 vm-raw vm4 (2 vCPUs)", 16, 16, 2, 4, 1304064, 222 },
        { "arm64 raw, 9 MiB of modules", 16, 16, 1, 2, 9590784, 356 },
        { "arm64 raw, 4 vCPUs", 16, 16, 4, 2, 9590784, 375 },
        { "arm64 raw, 256 MiB", 256, 256, 1, 2, 9590784, 371 },
        { "arm64 Linux (vm/arm64-linux-guest)", 64, 64, 2, 8, 14046720, 449 },
        { "riscv64 Linux (vm/riscv64-linux-guest)", 64, 64, 2, 5, 10539520, 406 },
    };
    for (unsigned i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        struct vm_shape s = { .ram = runs[i].ram_mib << 20,
                              .cpus = runs[i].cpus,
                              .devices = runs[i].devices };
        uint64_t need = budget_vm_kmem(&s, runs[i].modules, runs[i].memory_mib << 20, false);
        if (need < runs[i].peak_kib * KIB || need > 2 * runs[i].peak_kib * KIB) {
            fprintf(stderr, "%s: need %" PRIu64 " KiB for a peak of %" PRIu64 " KiB\n",
                    runs[i].what, (uint64_t)(need / KIB), (uint64_t)runs[i].peak_kib);
        }
        CHECK(need >= runs[i].peak_kib * KIB);
        CHECK(need <= 2 * runs[i].peak_kib * KIB);
    }
}

int main(void)
{
    test_shape();
    test_refused();
    test_formula();
    test_measured();
    return unit_done("test_root_budget");
}
