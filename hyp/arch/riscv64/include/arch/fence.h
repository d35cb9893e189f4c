/* SPDX-License-Identifier: MIT */
/*
 * The address-translation fences of riscv64 (the privileged spec's SFENCE.VMA, HFENCE.GVMA and
 * HFENCE.VVMA), one inline function each, for pt.c, gstage.c and vcpu_hext.c. They live here, not
 * as asm in those files, so that the host unit test test_riscv64_fences compiles pt.c and
 * gstage.c with a header of the same name that logs each fence instead (hyp/tests/riscv64/):
 * QEMU drops a hart's whole TLB at every change of virtualization mode, so a fence left out there
 * is invisible to a test on the emulator (docs/testing.md).
 */
#pragma once
#include <stdint.h>

/* Orders a new table page's zeroing before the entry that points to it. */
static inline void fence_w_w(void)
{
    __asm__ volatile("fence w, w" ::: "memory");
}

/* Orders the page-table writes before it against the walks after it. */
static inline void fence_rw_rw(void)
{
    __asm__ volatile("fence rw, rw" ::: "memory");
}

/* Every task translation of this hart, of every ASID, and the cached non-leaf entries. */
static inline void sfence_vma_all(void)
{
    __asm__ volatile("sfence.vma zero, zero" ::: "memory");
}

/* This hart's translations of one ASID. */
static inline void sfence_vma_asid(uint64_t asid)
{
    __asm__ volatile("sfence.vma zero, %0" : : "r"(asid) : "memory");
}

/* This hart's translation of one page of one ASID. */
static inline void sfence_vma_page(uint64_t va, uint64_t asid)
{
    __asm__ volatile("sfence.vma %0, %1" : : "r"(va), "r"(asid) : "memory");
}

/* Every G-stage translation of this hart, of every VMID. */
static inline void hfence_gvma_all(void)
{
    __asm__ volatile(".option push\n.option arch, +h\nhfence.gvma zero, zero\n.option pop" ::
                         : "memory");
}

/* This hart's G-stage translations of one VMID. */
static inline void hfence_gvma_vmid(uint64_t vmid)
{
    __asm__ volatile(".option push\n.option arch, +h\nhfence.gvma zero, %0\n.option pop"
                     :
                     : "r"(vmid)
                     : "memory");
}

/* This hart's G-stage translation of one guest-physical page of one VMID (the instruction takes
 * the address shifted right by 2). */
static inline void hfence_gvma_page(uint64_t gpa, uint64_t vmid)
{
    __asm__ volatile(".option push\n.option arch, +h\nhfence.gvma %0, %1\n.option pop"
                     :
                     : "r"(gpa >> 2), "r"(vmid)
                     : "memory");
}

/* This hart's VS-stage translations of the VMID hgatp holds now. */
static inline void hfence_vvma_all(void)
{
    __asm__ volatile(".option push\n.option arch, +h\nhfence.vvma zero, zero\n.option pop" ::
                         : "memory");
}
