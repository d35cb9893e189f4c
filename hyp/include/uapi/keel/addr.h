/* SPDX-License-Identifier: MIT */
/*
 * Address kinds as distinct one-member structs, so that a physical address can never be passed
 * where a kernel virtual address, a guest-physical address or a frame number is expected.
 * Conversions between kinds are the named functions below and, in the kernel, in <arch/mmu.h>.
 * One header for the kernel and user level (a VMM's guest-physical addresses are these gpa_t).
 */
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE  ((uint64_t)1 << PAGE_SHIFT)

typedef struct { uint64_t v; } paddr_t;   /* host-physical byte address */
typedef struct { uint64_t v; } vaddr_t;   /* virtual byte address (a task's or the kernel's) */
typedef struct { uint64_t v; } gpa_t;     /* guest-physical byte address (input of stage 2) */
typedef struct { uint64_t v; } pfn_t;     /* host-physical frame number */
typedef struct { uint64_t v; } gfn_t;     /* guest-physical frame number */

static inline paddr_t pa_init(uint64_t v) { return (paddr_t){ v }; }
static inline uint64_t pa_val(paddr_t a) { return a.v; }
static inline paddr_t pa_add(paddr_t a, uint64_t n) { return (paddr_t){ a.v + n }; }
static inline vaddr_t va_init(uint64_t v) { return (vaddr_t){ v }; }
static inline uint64_t va_val(vaddr_t a) { return a.v; }
static inline vaddr_t va_add(vaddr_t a, uint64_t n) { return (vaddr_t){ a.v + n }; }
static inline gpa_t gpa_init(uint64_t v) { return (gpa_t){ v }; }
static inline gpa_t gpa_add(gpa_t a, uint64_t n) { return (gpa_t){ a.v + n }; }
static inline uint64_t gpa_val(gpa_t a) { return a.v; }
static inline pfn_t pfn_init(uint64_t v) { return (pfn_t){ v }; }
static inline uint64_t pfn_val(pfn_t f) { return f.v; }
static inline gfn_t gfn_init(uint64_t v) { return (gfn_t){ v }; }
static inline uint64_t gfn_val(gfn_t f) { return f.v; }

static inline pfn_t pfn_from_pa(paddr_t a) { return (pfn_t){ a.v >> PAGE_SHIFT }; }
static inline paddr_t pa_from_pfn(pfn_t f) { return (paddr_t){ f.v << PAGE_SHIFT }; }
static inline gfn_t gfn_from_gpa(gpa_t a) { return (gfn_t){ a.v >> PAGE_SHIFT }; }
static inline gpa_t gpa_from_gfn(gfn_t f) { return (gpa_t){ f.v << PAGE_SHIFT }; }

static inline bool pa_is_aligned(paddr_t a, uint64_t align) { return (a.v & (align - 1)) == 0; }
static inline bool va_is_aligned(vaddr_t a, uint64_t align) { return (a.v & (align - 1)) == 0; }
