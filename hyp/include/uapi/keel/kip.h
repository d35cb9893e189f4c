/* SPDX-License-Identifier: MIT */
/*
 * The kernel information page: read-only, mapped into the root task at KEEL_KIP_ADDR. It says
 * where the root task's world is: CPUs, timer, physical memory (RAM ranges and what the kernel
 * keeps), the initrd with the boot modules and the board's device tree. The root task reaches any
 * physical address it may have by touching the same virtual address (sigma0 mapping); its own
 * image, KIP and UTCB area live at the fixed addresses below, above all physical memory.
 */
#pragma once
#include <stdint.h>

#define KEEL_KIP_MAGIC 0x3150494b4c45454bull /* "KEELKIP1" */
#define KEEL_KIP_ADDR 0x3ef0000000ull
#define KEEL_ROOT_UTCB_ADDR 0x3ee0000000ull
#define KEEL_ROOT_UTCB_ORDER 16 /* 64 KiB: 64 UTCBs */
#define KEEL_ROOT_IMAGE_ADDR 0x3f00000000ull /* where the root task is linked */
#define KEEL_KIP_MAX_RANGES 32

struct keel_kip_range {
    uint64_t base, size;
};

struct keel_kip {
    uint64_t magic;
    uint64_t version;
    uint64_t cpu_count;
    uint64_t timer_freq;
    uint64_t kmem_total;      /* bytes of kernel memory (the root factory's quota) */
    uint64_t initrd_base, initrd_size;
    uint64_t fdt_base, fdt_size;
    uint64_t ram_count;
    struct keel_kip_range ram[KEEL_KIP_MAX_RANGES];
    uint64_t reserved_count;  /* physical ranges the root task cannot have */
    struct keel_kip_range reserved[KEEL_KIP_MAX_RANGES];
    char arch[16];
    uint64_t user_va_bits;    /* a task's address space is [0, 2^user_va_bits) */
};
