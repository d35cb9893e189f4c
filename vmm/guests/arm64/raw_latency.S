// SPDX-License-Identifier: MIT
// A bare-metal arm64 guest that measures how late its ticks come: it arms its virtual timer 1 ms
// after each tick, waits for the interrupt (WFI: its VMM sleeps until the timer is due; the kernel
// injects the interrupt through a list register) and keeps the longest gap between two ticks in
// its own (virtual counter) time. Every 500 ticks it prints the count and the longest gap so far;
// after TICKS it prints the verdict (the limit: LIMIT_MS) and powers off through PSCI with status
// 0 (within the limit) or 1. The latency test (dts/systems/vm-latency-arm64.dts) runs it on one
// CPU while a 1 GiB VM is created and destroyed on the other.

#define TICKS       4000
#define REPORT      500
#define LIMIT_MS    50
#define UART        0x09000000

    .section .text.start, "ax"
    .globl _start
_start:
    ldr     x0, =0x40080000
    mov     sp, x0                  // the stack grows down into RAM below the image
    adr     x0, vectors
    msr     vbar_el1, x0
    mov     x0, #1
    msr     S3_0_C12_C12_5, x0      // ICC_SRE_EL1.SRE
    isb
    mov     x0, #0xff
    msr     S3_0_C4_C6_0, x0        // ICC_PMR_EL1: every priority
    mov     x0, #1
    msr     S3_0_C12_C12_7, x0      // ICC_IGRPEN1_EL1
    isb
    mrs     x25, cntfrq_el0
    mov     x0, #1000
    udiv    x26, x25, x0            // x26: 1 ms in counter ticks
    mov     x0, #LIMIT_MS
    mul     x27, x26, x0            // x27: the limit in counter ticks
    mov     x22, #0                 // ticks taken
    mov     x23, #0                 // longest gap
    adr     x0, s_start
    bl      puts
    mrs     x24, cntvct_el0         // the previous tick

    // IRQs stay masked but where taken on purpose: WFI wakes for a pending one all the same, and
    // one that comes before the WFI is not lost (taken, then the timer stopped, the WFI would
    // wait for nothing).
tick:
    mov     x20, #0
    add     x0, x24, x26
    msr     cntv_cval_el0, x0
    mov     x0, #1                  // ENABLE
    msr     cntv_ctl_el0, x0
    isb
1:  wfi
    msr     daifclr, #2             // take it
    isb
    msr     daifset, #2
    cbz     x20, 1b
    mrs     x0, cntvct_el0
    sub     x1, x0, x24
    mov     x24, x0
    cmp     x1, x23
    csel    x23, x1, x23, hi
    add     x22, x22, #1
    mov     x0, #REPORT
    udiv    x1, x22, x0
    msub    x1, x1, x0, x22
    cbnz    x1, 2f
    bl      report
2:  ldr     x0, =TICKS
    cmp     x22, x0
    b.lo    tick

    adr     x0, s_final
    bl      puts
    bl      report
    mov     x1, #0
    adr     x0, s_ok
    cmp     x23, x27
    b.ls    3f
    mov     x1, #1
    adr     x0, s_long
3:  mov     x28, x1
    bl      puts
    mov     x1, x28
    ldr     x0, =0x84000008         // PSCI SYSTEM_OFF, status x1
    hvc     #0
4:  b       4b

// "<ticks> ticks, longest gap <us> us\n"
report:
    mov     x19, x30
    mov     x0, x22
    bl      putdec
    adr     x0, s_ticks
    bl      puts
    ldr     x0, =1000000
    mul     x0, x23, x0
    udiv    x0, x0, x25
    bl      putdec
    adr     x0, s_us
    bl      puts
    mov     x30, x19
    ret

// puts(x0: string); uses x0-x2
puts:
    ldr     x1, =UART
1:  ldrb    w2, [x0], #1
    cbz     w2, 2f
    str     w2, [x1]
    b       1b
2:  ret

// putdec(x0: number); uses x0-x4 and 32 bytes of stack
putdec:
    sub     sp, sp, #32
    add     x1, sp, #31
    strb    wzr, [x1]
    mov     x2, #10
1:  udiv    x3, x0, x2
    msub    x4, x3, x2, x0
    add     w4, w4, #'0'
    strb    w4, [x1, #-1]!
    mov     x0, x3
    cbnz    x0, 1b
    mov     x0, x1
    mov     x4, x30
    bl      puts
    mov     x30, x4
    add     sp, sp, #32
    ret

irq:
    mrs     x21, S3_0_C12_C12_0     // ICC_IAR1_EL1: acknowledge
    msr     cntv_ctl_el0, xzr       // stop the timer (re-armed by the next tick)
    msr     S3_0_C12_C12_1, x21     // ICC_EOIR1_EL1
    mov     x20, #1
    eret

hang:
    b       hang

s_start: .asciz "latency: ticking every 1 ms\n"
s_final: .asciz "latency: done: "
s_ticks: .asciz " ticks, longest gap "
s_us:    .asciz " us\n"
s_ok:    .asciz "latency: OK (limit 50 ms)\n"
s_long:  .asciz "latency: TOO LONG (limit 50 ms)\n"

    .balign 2048
vectors:
    .rept   5
    .balign 0x80
    b       hang
    .endr
    .balign 0x80                    // current EL with SPx: IRQ (offset 0x280)
    b       irq
    .rept   10
    .balign 0x80
    b       hang
    .endr
