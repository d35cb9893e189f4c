/* SPDX-License-Identifier: MIT */
/* Constants shared by assembly and C (x86_64). */
#pragma once

/* The kernel image runs at KERNEL_IMAGE_BASE + its physical address (top 2 GiB: 32-bit signed
 * displacements reach it); all physical memory is mapped at DIRECT_MAP_BASE + PA. */
#define KERNEL_IMAGE_BASE 0xffffffff80000000
#define DIRECT_MAP_BASE 0xffff800000000000

/* Segment selectors (gdt.c). SYSCALL loads CS/SS from STAR[47:32], SYSRET from STAR[63:48] + 16
 * / + 8, which fixes this order: kernel code, kernel data, user data, user code, TSS. */
#define GDT_KERNEL_CS 0x08
#define GDT_KERNEL_DS 0x10
#define GDT_USER_DS 0x1b
#define GDT_USER_CS 0x23
#define GDT_TSS 0x28

#define ARCH_REGS_SIZE (22 * 8)
#define ARCH_REGS_VECTOR (15 * 8)
#define ARCH_REGS_CS (18 * 8)
#define VECTOR_SYSCALL 0x100 /* frame made by the syscall entry: may leave with sysret */

/* struct arch_percpu, at offset 0 of struct percpu (GS base in the kernel) */
#define PERCPU_SELF 0
#define PERCPU_KERNEL_SP 8
#define PERCPU_USER_SP 16

/* Interrupt vectors: exceptions 0-31, device lines from IRQ_VECTOR_BASE, the kernel's own high. */
#define IRQ_VECTOR_BASE 0x30
#define VECTOR_TLB 0xfc
#define VECTOR_RESCHED 0xfd
#define VECTOR_TIMER 0xfe
#define VECTOR_SPURIOUS 0xff

/* The first 4 KiB below 1 MiB the other CPUs start in (real mode; smp.c). */
#define AP_TRAMPOLINE_PA 0x8000
