// SPDX-License-Identifier: MIT
// A bare-metal riscv64 guest that measures how late its ticks come: it sets its timer 1 ms after
// each tick (SBI TIME set_timer), waits for the supervisor timer interrupt (WFI: its VMM sleeps
// until the deadline) and keeps the longest gap between two ticks in its own time (10 MHz, the
// board's timebase). Every 500 ticks it prints the count and the longest gap so far; after TICKS
// it prints the verdict (the limit: LIMIT_MS) and stops through SBI SRST with status 0 (within
// the limit) or 1. The latency test (dts/systems/vm-latency-riscv64.dts) runs it on one hart
// while a 1 GiB VM is created and destroyed on the other.

#define TICKS       4000
#define REPORT      500
#define LIMIT_MS    50
#define FREQ        10000000
#define UART        0x10000000

    .section .text.start, "ax"
    .globl _start
_start:
    li      sp, 0x80200000          // the top of its 2 MiB of RAM
    lla     t0, handler
    csrw    stvec, t0
    li      s1, 0                   // ticks taken
    li      s2, 0                   // longest gap
    li      s4, FREQ / 1000         // 1 ms
    li      s5, FREQ / 1000 * LIMIT_MS
    lla     a0, s_start
    call    puts
    rdtime  s3                      // the previous tick

    // Interrupts stay off (sstatus.SIE) but where taken on purpose: WFI wakes for a pending one
    // that sie enables all the same, and one that comes before the WFI is not lost (taken, STIE
    // cleared, the WFI would wait for nothing).
tick:
    li      s6, 0
    add     a0, s3, s4
    li      a7, 0x54494d45          // TIME set_timer (clears the pending interrupt)
    li      a6, 0
    ecall
    li      t0, 1 << 5              // STIE
    csrs    sie, t0
1:  wfi
    csrsi   sstatus, 2              // take it
    csrci   sstatus, 2
    beqz    s6, 1b
    rdtime  t0
    sub     t1, t0, s3
    mv      s3, t0
    bleu    t1, s2, 2f
    mv      s2, t1
2:  addi    s1, s1, 1
    li      t0, REPORT
    remu    t0, s1, t0
    bnez    t0, 3f
    call    report
3:  li      t0, TICKS
    bltu    s1, t0, tick

    lla     a0, s_final
    call    puts
    call    report
    li      s8, 0
    lla     a0, s_ok
    bleu    s2, s5, 4f
    li      s8, 1
    lla     a0, s_long
4:  call    puts
    li      a7, 0x53525354          // SRST system_reset(shutdown, status)
    li      a6, 0
    li      a0, 0
    mv      a1, s8
    ecall
5:  j       5b

// "<ticks> ticks, longest gap <us> us\n"
report:
    mv      s9, ra
    mv      a0, s1
    call    putdec
    lla     a0, s_ticks
    call    puts
    li      t0, 1000000
    mul     a0, s2, t0
    li      t0, FREQ
    divu    a0, a0, t0
    call    putdec
    lla     a0, s_us
    call    puts
    mv      ra, s9
    ret

// puts(a0: string); uses a0, t0, t1
puts:
    li      t0, UART
1:  lbu     t1, 0(a0)
    beqz    t1, 2f
    sb      t1, 0(t0)
    addi    a0, a0, 1
    j       1b
2:  ret

// putdec(a0: number); uses a0-a3, t0-t3 and 32 bytes of stack
putdec:
    addi    sp, sp, -32
    addi    a1, sp, 31
    sb      zero, 0(a1)
    li      a2, 10
1:  remu    a3, a0, a2
    divu    a0, a0, a2
    addi    a3, a3, '0'
    addi    a1, a1, -1
    sb      a3, 0(a1)
    bnez    a0, 1b
    mv      a0, a1
    mv      t3, ra
    call    puts
    mv      ra, t3
    addi    sp, sp, 32
    ret

    .balign 4
handler:
    li      s7, 1 << 5              // STIE off: the interrupt stays pending until set_timer
    csrc    sie, s7
    li      s6, 1
    sret

s_start: .asciz "latency: ticking every 1 ms\n"
s_final: .asciz "latency: done: "
s_ticks: .asciz " ticks, longest gap "
s_us:    .asciz " us\n"
s_ok:    .asciz "latency: OK (limit 50 ms)\n"
s_long:  .asciz "latency: TOO LONG (limit 50 ms)\n"
