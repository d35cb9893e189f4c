/* SPDX-License-Identifier: MIT */
/*
 * Kernel memory: the pool of pages the kernel keeps for its objects, page tables, capability tables
 * and stacks (set aside at boot; the rest of RAM belongs to user level). Pages are handed out one
 * at a time; every user-caused allocation goes through a quota (keel/quota.h), never here directly.
 */
#pragma once
#include <keel/addr.h>

/* Adds [start, start + size) (kernel virtual, page-aligned) to the pool. */
void kmem_add(void *start, uint64_t size);
/* A zeroed page, or NULL when the pool is empty. */
void *kmem_page_alloc(void);
void kmem_page_free(void *page);
uint64_t kmem_free_bytes(void);
uint64_t kmem_total_bytes(void);
