/* SPDX-License-Identifier: MIT */
/*
 * Kernel-memory quotas. Every Factory owns one; everything a user action makes the kernel allocate
 * (objects, page tables, capability tables, mapping nodes, UTCB pages, stacks) is charged to the
 * quota of the factory that created the object it belongs to. A child factory's limit is charged
 * to its parent when it is created, so quotas nest, and destroying an object returns its memory.
 */
#pragma once
#include <stdint.h>
#include <stddef.h>

struct quota {
    uint64_t limit;
    uint64_t used;
    uint64_t peak; /* the most used at once: what a program needed (Factory INFO) */
};

/* Zeroed memory of `size` bytes charged to q, or NULL when the quota or the pool is exhausted. */
void *quota_alloc(struct quota *q, size_t size);
void quota_free(struct quota *q, void *p, size_t size);
/* Charges / returns a plain amount (for a child quota's limit). */
int quota_charge(struct quota *q, uint64_t bytes);
void quota_uncharge(struct quota *q, uint64_t bytes);
