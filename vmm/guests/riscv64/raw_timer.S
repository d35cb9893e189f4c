// SPDX-License-Identifier: MIT
// A bare-metal riscv64 guest that waits for its timer: it sets its trap vector, enables the
// supervisor timer interrupt, sets a deadline 1 ms ahead (SBI TIME set_timer) and waits (WFI,
// which exits to the VMM: it sleeps until the deadline). The interrupt reaches the guest as its
// own (hideleg: VSTIP; with Sstc the hardware raises it from vstimecmp). Its handler stops the
// VM through SBI SRST with scause's code as the status: 5, the supervisor timer.

    .section .text.start, "ax"
    .globl _start
_start:
    lla     t0, handler
    csrw    stvec, t0
    li      t0, 1 << 5              // STIE
    csrw    sie, t0
    rdtime  a0
    li      t0, 10000               // 1 ms at 10 MHz
    add     a0, a0, t0
    li      a7, 0x54494d45          // TIME set_timer
    li      a6, 0
    ecall
    csrsi   sstatus, 2              // SIE
1:  wfi
    j       1b

    .balign 4
handler:
    csrr    a1, scause
    slli    a1, a1, 1               // drop the interrupt bit
    srli    a1, a1, 1
    li      a7, 0x53525354          // SRST system_reset(shutdown, scause code)
    li      a6, 0
    li      a0, 0
    ecall
2:  j       2b
