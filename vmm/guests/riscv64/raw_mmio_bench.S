// SPDX-License-Identifier: MIT
// A bare-metal riscv64 guest that measures VM exits: 10 000 reads of the emulated 16550's line
// status register (each one a guest-page fault, an exit to the VMM, a decode, an emulation and a
// resume), timed with the time CSR; the tick count is the SBI SRST reset reason (the exit status).

    .section .text.start, "ax"
    .globl _start
_start:
    li      t0, 0x10000005          // 16550 LSR
    lbu     t1, 0(t0)               // warm up
    li      t2, 10000
    rdtime  s0
1:  lbu     t1, 0(t0)
    addi    t2, t2, -1
    bnez    t2, 1b
    rdtime  s1
    sub     a1, s1, s0
    li      a7, 0x53525354          // SRST system_reset(shutdown, ticks)
    li      a6, 0
    li      a0, 0
    ecall
2:  wfi
    j       2b
