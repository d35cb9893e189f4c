// SPDX-License-Identifier: MIT
// A bare-metal x86_64 guest that measures how late its ticks come (32-bit protected mode, the
// VMM's xAPIC model at 0xfee00000): it arms its local APIC's timer one-shot 1 ms after each tick
// (vector 0x40, divide by 1: the model counts TSC ticks, 1 GHz under -icount shift=0), waits in
// HLT (the VMM sleeps until the timer is due) and keeps the longest gap between two ticks in TSC
// ticks. Every 500 ticks it prints the count and the longest gap so far (us at 1 GHz); after
// TICKS it prints the verdict (LIMIT: 50 ms) and powers off through the exit port with status 0
// (within the limit) or 1 (99: an unexpected exception). The latency test
// (dts/systems/vm-latency-x86_64.dts) runs it on one CPU while a 1 GiB VM comes and goes on the
// other.

#include "guest.inc"

#define TICKS 4000
#define REPORT 500
#define PERIOD 1000000   /* 1 ms in TSC ticks at 1 GHz */
#define LIMIT 50000000   /* 50 ms */

    .globl _start
_start:
    movl    $0x100000, %esp
    FLAT_SEGMENTS
    movl    $idt, %edi              // 0x41 gates: every vector to `unexpected`, 0x40 to `tick`
    movl    $0x41, %ecx
    movl    $unexpected, %eax
    call    idt_fill
    movl    $idt + 0x40 * 8, %edi
    movl    $tick, %eax
    call    idt_set
    lidt    idt_desc

    movl    $0xfee00000, %ebx       // the LAPIC
    movl    $0x1ff, 0xf0(%ebx)      // SVR: enabled, spurious vector 0xff
    movl    $0xb, 0x3e0(%ebx)       // divide by 1
    movl    $0x40, 0x320(%ebx)      // LVT timer: one-shot, vector 0x40
    movl    $s_start, %esi
    call    puts
    rdtsc
    movl    %eax, prev
    movl    %edx, prev + 4

next:
    movl    $0, ticked
    movl    $PERIOD, 0x380(%ebx)    // initial count: fires 1 ms from now
1:  sti
    hlt                             // (STI's shadow: no tick lost between the two)
    cli
    cmpl    $0, ticked
    je      1b
    rdtsc                           // gap = now - prev; max = max(max, gap); prev = now
    movl    %eax, %esi
    movl    %edx, %edi
    subl    prev, %eax
    sbbl    prev + 4, %edx
    movl    %esi, prev
    movl    %edi, prev + 4
    cmpl    longest + 4, %edx
    jb      2f
    ja      3f
    cmpl    longest, %eax
    jbe     2f
3:  movl    %eax, longest
    movl    %edx, longest + 4
2:  incl    count
    movl    count, %eax
    xorl    %edx, %edx
    movl    $REPORT, %ecx
    divl    %ecx
    testl   %edx, %edx
    jnz     4f
    call    report
4:  cmpl    $TICKS, count
    jb      next

    movl    $s_final, %esi
    call    puts
    call    report
    movb    $0, %al
    movl    $s_ok, %esi
    cmpl    $0, longest + 4
    jne     5f
    cmpl    $LIMIT, longest
    jbe     6f
5:  movb    $1, %al
    movl    $s_long, %esi
6:  pushl   %eax
    call    puts
    popl    %eax
    jmp     power_off

// "<count> ticks, longest gap <us> us\n"
report:
    movl    count, %eax
    call    putdec
    movl    $s_ticks, %esi
    call    puts
    movl    longest, %eax           // us at 1 GHz: / 1000 (the quotient fits: < 4.3e9 us)
    movl    longest + 4, %edx
    movl    $1000, %ecx
    divl    %ecx
    call    putdec
    movl    $s_us, %esi
    call    puts
    ret

// putdec(eax): its decimal digits to the UART
putdec:
    movl    $numbuf + 11, %edi
    movb    $0, (%edi)
    movl    $10, %ecx
1:  xorl    %edx, %edx
    divl    %ecx
    addb    $'0', %dl
    decl    %edi
    movb    %dl, (%edi)
    testl   %eax, %eax
    jnz     1b
    movl    %edi, %esi
    call    puts
    ret

tick:
    movl    $1, ticked
    movl    $0, 0xfee000b0          // EOI
    iret

unexpected:
    movb    $99, %al
    jmp     power_off

s_start: .asciz "latency: ticking every 1 ms\n"
s_final: .asciz "latency: done: "
s_ticks: .asciz " ticks, longest gap "
s_us:    .asciz " us\n"
s_ok:    .asciz "latency: OK (limit 50 ms)\n"
s_long:  .asciz "latency: TOO LONG (limit 50 ms)\n"

idt_desc:
    .word   0x41 * 8 - 1
    .long   idt
    .balign 4
ticked:  .long 0
count:   .long 0
prev:    .quad 0
longest: .quad 0
numbuf:  .fill 12, 1, 0
    .balign 8
idt:
    .fill   0x41 * 8, 1, 0
