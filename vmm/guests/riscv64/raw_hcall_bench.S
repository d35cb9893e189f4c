// SPDX-License-Identifier: MIT
// A bare-metal riscv64 guest that measures the hypercall the kernel answers itself: 10 000 ecalls
// of KEEL_SBI_EXT_NULL (a guest-kernel round trip, no exit to the VMM), timed with the time CSR;
// the tick count is the SBI SRST reset reason (the exit status).

    .section .text.start, "ax"
    .globl _start
_start:
    li      t2, 10000
    li      a7, 0x0a4b4c00          // KEEL_SBI_EXT_NULL
    li      a6, 0
    ecall                           // warm up
    rdtime  s0
1:  ecall
    addi    t2, t2, -1
    bnez    t2, 1b
    rdtime  s1
    sub     a1, s1, s0
    li      a7, 0x53525354          // SRST system_reset(shutdown, ticks)
    li      a0, 0
    ecall
2:  wfi
    j       2b
