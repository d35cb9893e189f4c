// SPDX-License-Identifier: MIT
// A bare-metal riscv64 guest that keeps a value of its own in the FP registers while another
// guest on the same hart does the same: it spins for a while (timer ticks switch the vCPUs) with
// MMIO exits in between, checking f0 and f31 every time. SBI SRST status: 1 when the registers
// always held its value, 99 when anything else showed up in them.

    .option arch, +d
    .section .text.start, "ax"
    .globl _start
_start:
    li      t0, 1 << 13             // sstatus.FS = initial: FP on
    csrs    sstatus, t0
    rdtime  s0                      // a value of its own: the time it started
    fmv.d.x f0, s0
    fmv.d.x f31, s0
    li      s1, 0x10000005          // 16550 LSR: an exit to the VMM
    li      s2, 4000000
1:  fmv.x.d t1, f0
    bne     t1, s0, fail
    fmv.x.d t1, f31
    bne     t1, s0, fail
    andi    t2, s2, 0x7ff           // every 2048 rounds
    bnez    t2, 2f
    lbu     t3, 0(s1)
2:  addi    s2, s2, -1
    bnez    s2, 1b
    li      a1, 1
    j       off
fail:
    li      a1, 99
off:
    li      a7, 0x53525354          // SRST system_reset(shutdown, status)
    li      a6, 0
    li      a0, 0
    ecall
3:  j       3b
