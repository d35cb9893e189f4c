// SPDX-License-Identifier: MIT
// A bare-metal riscv64 guest that never ends: prints "tick" over the 16550 now and then, forever.
// The VM test stops its VMM (the root task's keel,stop-after-ms) while another VM runs on.

    .section .text.start, "ax"
    .globl _start
_start:
    li      t1, 0x10000000
1:  lla     t0, tick
2:  lbu     t2, 0(t0)
    beqz    t2, 3f
    sb      t2, 0(t1)
    addi    t0, t0, 1
    j       2b
3:  li      t3, 2000000
4:  addi    t3, t3, -1
    bnez    t3, 4b
    j       1b

tick:
    .asciz  "tick\n"
