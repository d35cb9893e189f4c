/* SPDX-License-Identifier: MIT */
/*
 * RISC-V trap causes (privileged spec: scause, with the H extension's guest causes): shared by
 * hyp/ and user level (a VMM decodes its guests' exits with the same names the kernel uses).
 */
#pragma once

#define SCAUSE_INTERRUPT (1ull << 63)
#define IRQ_S_SOFT 1
#define IRQ_S_TIMER 5
#define IRQ_S_EXT 9

#define EXC_INST_MISALIGNED 0
#define EXC_INST_ACCESS 1
#define EXC_ILLEGAL 2
#define EXC_BREAKPOINT 3
#define EXC_LOAD_MISALIGNED 4
#define EXC_LOAD_ACCESS 5
#define EXC_STORE_MISALIGNED 6
#define EXC_STORE_ACCESS 7
#define EXC_ECALL_U 8
#define EXC_ECALL_VS 10 /* (an ecall from VS-mode: a guest's SBI call) */
#define EXC_INST_PAGE 12
#define EXC_LOAD_PAGE 13
#define EXC_STORE_PAGE 15
#define EXC_INST_GUEST_PAGE 20
#define EXC_LOAD_GUEST_PAGE 21
#define EXC_VIRTUAL_INST 22
#define EXC_STORE_GUEST_PAGE 23
