/* SPDX-License-Identifier: MIT */
/* Constants shared by assembly and C (riscv64). */
#pragma once
#define ARCH_REGS_SIZE (34 * 8)
#define ARCH_REGS_PC (32 * 8)
#define ARCH_REGS_STATUS (33 * 8)
#define KERNEL_OFFSET 0xffffffc000000000
/* struct arch_percpu, at offset 0 of struct percpu */
#define PERCPU_KERNEL_SP 0
#define PERCPU_USER_SP 8
