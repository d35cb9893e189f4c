/* SPDX-License-Identifier: MIT */
/*
 * riscv64's fences (hyp/arch/riscv64/include/arch/fence.h) for the host test of its page tables
 * (test_riscv64_fences): each is logged, with its operands and the hart it ran on, instead of
 * run, so that the test can check which fences an operation makes on which hart.
 */
#pragma once
#include <stdint.h>

enum fake_fence_op {
    FENCE_W_W,
    FENCE_RW_RW,
    SFENCE_VMA_ALL,
    SFENCE_VMA_ASID,
    SFENCE_VMA_PAGE,
    HFENCE_GVMA_ALL,
    HFENCE_GVMA_VMID,
    HFENCE_GVMA_PAGE,
    HFENCE_VVMA_ALL,
};

struct fake_fence {
    enum fake_fence_op op;
    uint64_t
        addr; /* the page's address (SFENCE_VMA_PAGE: virtual; HFENCE_GVMA_PAGE: guest-physical) */
    uint64_t tag; /* the ASID or the VMID */
    unsigned cpu; /* the hart that made it */
};

void fake_fence_log(enum fake_fence_op op, uint64_t addr, uint64_t tag);

static inline void fence_w_w(void)
{
    fake_fence_log(FENCE_W_W, 0, 0);
}
static inline void fence_rw_rw(void)
{
    fake_fence_log(FENCE_RW_RW, 0, 0);
}
static inline void sfence_vma_all(void)
{
    fake_fence_log(SFENCE_VMA_ALL, 0, 0);
}
static inline void sfence_vma_asid(uint64_t asid)
{
    fake_fence_log(SFENCE_VMA_ASID, 0, asid);
}
static inline void sfence_vma_page(uint64_t va, uint64_t asid)
{
    fake_fence_log(SFENCE_VMA_PAGE, va, asid);
}
static inline void hfence_gvma_all(void)
{
    fake_fence_log(HFENCE_GVMA_ALL, 0, 0);
}
static inline void hfence_gvma_vmid(uint64_t vmid)
{
    fake_fence_log(HFENCE_GVMA_VMID, 0, vmid);
}
static inline void hfence_gvma_page(uint64_t gpa, uint64_t vmid)
{
    fake_fence_log(HFENCE_GVMA_PAGE, gpa, vmid);
}
static inline void hfence_vvma_all(void)
{
    fake_fence_log(HFENCE_VVMA_ALL, 0, 0);
}
