/* SPDX-License-Identifier: MIT */
/*
 * Small kernel objects: power-of-two size classes from 32 bytes to a page, carved out of kmem
 * pages. A page returns to kmem when its last object is freed. Callers charge quotas
 * (keel/quota.h); this layer only places objects.
 */
#pragma once
#include <stddef.h>

#define SLAB_MIN_SIZE 32u

/* The size an allocation of `size` bytes really takes (its class; a page for > 2 KiB). */
size_t slab_class_size(size_t size);
/* Zeroed memory of at least `size` (<= PAGE_SIZE) bytes, aligned to its class; NULL if none. */
void *slab_alloc(size_t size);
void slab_free(void *p, size_t size);
