/* SPDX-License-Identifier: MIT */
/*
 * What a VMM needs (budget.c): the root task reads the VM device tree a VMM program is started
 * with (its args among the boot modules) and derives from it the program's kernel memory and
 * memory when the system tree does not set them, and checks them when it does (docs/system.md,
 * "Budgets"). Pure: no kernel calls, so the host unit test runs it as it is.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* What of a VM costs the VMM memory and kernel memory. */
struct vm_shape {
    uint64_t ram;       /* bytes: the first memory node's first reg (the RAM the VMM gives) */
    unsigned cpus;      /* cpu nodes under /cpus (at least 1: the VMM makes one without) */
    unsigned devices;   /* nodes with a compatible below the root but memory, cpus and chosen */
    uint64_t heap_more; /* bytes of the VMM's heap beside the RAM: flash banks, writable disks */
};

/* The size of a boot module, or 0 when there is none (what a writable disk copies). */
typedef uint64_t (*budget_module_size_fn)(const char *name);

/* Reads the VM tree. NULL, or why it is not one the VMM could start. */
const char *vm_shape_read(const void *fdt, budget_module_size_fn module_size, struct vm_shape *s);

/* Bytes of heap the VMM needs: the RAM and what it allocates beside it. */
uint64_t budget_vm_memory(const struct vm_shape *s);

/* Bytes of kernel memory the VMM needs for a VM of this shape when the boot modules it maps are
 * modules_size bytes and its heap is memory bytes (filled in 2 MiB blocks, or page by page with
 * keel,heap-in-pages): the measured cost of each part (budget.c) and a margin. */
uint64_t budget_vm_kmem(const struct vm_shape *s, uint64_t modules_size, uint64_t memory,
                        bool heap_in_pages);
