/* SPDX-License-Identifier: MIT */
/* Helpers shared by the host unit tests of hyp/kern/ (built against hyp/arch/fake). */
#pragma once
#include <keel/kmem.h>
#include <stdio.h>
#include <stdlib.h>

/* Gives the kernel page pool `pages` pages of page-aligned host memory; free() it at the end. */
static inline void *kern_host_pool(uint64_t pages)
{
    void *mem = aligned_alloc(PAGE_SIZE, pages * PAGE_SIZE);
    if (!mem) {
        perror("aligned_alloc");
        exit(2);
    }
    kmem_add(mem, pages * PAGE_SIZE);
    return mem;
}

/* A small deterministic generator (xorshift64), so failures reproduce. */
static inline uint64_t kern_host_rand(void)
{
    static uint64_t s = 0x9e3779b97f4a7c15ull;
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
}
