/* SPDX-License-Identifier: MIT */
/* What the kernel learns from the boot loader (device tree or multiboot) before anything else runs. */
#pragma once
#include <keel/addr.h>

#define BOOT_MAX_MEM_RANGES 8

struct mem_range {
    paddr_t base;
    uint64_t size;
};

struct boot_info {
    const void *fdt;        /* the boot device tree, kernel virtual; NULL when there is none */
    struct mem_range mem[BOOT_MAX_MEM_RANGES];
    unsigned mem_count;
    unsigned cpu_count;
    uint64_t cpu_hwid[8];  /* /cpus/cpu@N reg: MPIDR affinity or hart id, in tree order */
    struct mem_range reserved[BOOT_MAX_MEM_RANGES]; /* /reserved-memory and /memreserve/ */
    unsigned reserved_count;
    paddr_t initrd_start; /* zero when the firmware passed none */
    paddr_t initrd_end;
};

/* Reads memory, CPUs and the initrd from fdt; returns false (and says why) on a bad tree. */
bool boot_info_from_dt(struct boot_info *bi, const void *fdt);

/* Whether reserved range r lies within the boot data the root task reads: the initrd or the
 * device tree (fdt_pa, fdt_size). A boot loader reserves those too (U-Boot puts the initrd and
 * the tree it passes into /memreserve/): they are kept from every allocator as boot data
 * already, and must stay readable. */
bool boot_info_is_boot_data(const struct boot_info *bi, struct mem_range r, paddr_t fdt_pa,
                            uint64_t fdt_size);
