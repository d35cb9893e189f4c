/* SPDX-License-Identifier: MIT */
/*
 * The physical memory map: RAM ranges from the device tree, and the ranges the kernel keeps for
 * itself (its image, the kernel-memory pool, the devices it drives). Everything else belongs to
 * user level: the root task gets it mapped at the same address on its first touch (sigma0).
 */
#pragma once
#include <stdbool.h>
#include <keel/addr.h>

#define PHYS_MAX_RANGES 32

void phys_add_ram(paddr_t base, uint64_t size);
/* Keeps [base, base + size) from user level (RAM or device registers). */
void phys_reserve(paddr_t base, uint64_t size);
bool phys_is_ram(pfn_t pfn);
/* Whether the root task may have this frame. */
bool phys_user_may_map(pfn_t pfn);
/* Keeps [base, base + size) out of the root task's blocks: the initrd, whose pages the root task
 * passes on one by one to every program that reads the boot modules (on a block, they would
 * count against MEMSPACE_BLOCK_MAX_CHILDREN). */
void phys_keep_in_pages(paddr_t base, uint64_t size);
/* Whether [base, base + size) is RAM of one range with nothing of it reserved or kept in pages
 * (a block the root task may have as one mapping). */
bool phys_block_user_ram(paddr_t base, uint64_t size);
/* The i-th RAM range (for the boot information page); false past the last. */
bool phys_ram_range(unsigned i, paddr_t *base, uint64_t *size);
bool phys_reserved_range(unsigned i, paddr_t *base, uint64_t *size);
