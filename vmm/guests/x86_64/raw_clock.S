// SPDX-License-Identifier: MIT
// A bare-metal x86_64 guest that takes the interrupts of the PC's clocks through the I/O APIC
// (32-bit protected mode, its own GDT and IDT): the 8254's counter 0 in mode 2 at 1 kHz (IRQ 0,
// which the MADT's override puts on line 2) to vector 0x50, then the CMOS clock's periodic
// interrupt at 1024 Hz (IRQ 8, line 8) to vector 0x51, whose handler reads register C (which
// must say IRQF and PF while it is on). For each it waits in HLT for 21 interrupts and measures, with the ACPI
// PM timer (3.579545 MHz), the time from starting the source to the last: each interrupt needs
// a period of its own (missed ones merge), so it is at least 21 periods for the 8254 (its first
// comes a period after the count) and 20 for the clock (from its register C's read), less
// 1 % for the clocks' rounding; and at most 10 times that (a VMM that raised them only when the
// guest next exits would take seconds). Then it stops each source, takes what was pending (an
// edge before the stop, while interrupts were off, is one more interrupt, as on hardware) for
// 1 ms, and checks that no interrupt comes in the next 5 ms. It prints the PM
// ticks of each ("guest: pit 21 periods <hex>", "guest: rtc 20 periods <hex>") and powers off
// with status 30 (99: an unexpected vector or exception, 98: a time out of bounds, 97: an
// interrupt after its source was stopped).

#include "guest.inc"

#define PM_TMR 0x608
#define PIT_TICKS 21 * 3579545 / 1000   /* 21 periods of 1 ms in PM timer ticks: 75170 */
#define RTC_TICKS 20 * 3579545 / 1024   /* 20 periods of 1/1024 s: 69913 */

    .globl _start
_start:
    movl    $0x100000, %esp
    FLAT_SEGMENTS
    movl    $idt, %edi              // 0x52 gates: every vector to `unexpected`
    movl    $0x52, %ecx
    movl    $unexpected, %eax
    call    idt_fill
    movl    $idt + 0x50 * 8, %edi
    movl    $pit_irq, %eax
    call    idt_set
    movl    $idt + 0x51 * 8, %edi
    movl    $rtc_irq, %eax
    call    idt_set
    lidt    idt_desc
    movl    $0x1ff, 0xfee000f0      // LAPIC SVR: enabled

    // The 8254: line 2 -> vector 0x50 (edge, active high, destination APIC id 0).
    movl    $0x15, 0xfec00000
    movl    $0, 0xfec00010
    movl    $0x14, 0xfec00000
    movl    $0x50, 0xfec00010
    movb    $0x34, %al              // counter 0, LSB then MSB, mode 2
    outb    %al, $0x43
    movb    $0xa9, %al              // 1193 = 0x04a9: 1 ms
    outb    %al, $0x40
    movb    $0x04, %al
    outb    %al, $0x40
    call    start_now
    sti
1:  hlt
    cmpl    $21, count
    jb      1b
    cli
    movl    last, %ebx
    subl    start, %ebx
    andl    $0xffffff, %ebx         // (24 bits)
    movl    $pit_msg, %esi
    call    puts
    call    puthex
    cmpl    $PIT_TICKS * 99 / 100, %ebx
    jb      too_short
    cmpl    $PIT_TICKS * 10, %ebx
    ja      too_long
    movb    $0x30, %al              // counter 0 to mode 0 without a count: OUT low, stopped
    outb    %al, $0x43
    call    quiet_5ms
    movl    $0x14, 0xfec00000       // line 2 masked
    movl    $0x10050, 0xfec00010

    // The CMOS clock: line 8 -> vector 0x51; periodic at 1024 Hz (register A's rate 6).
    movl    $0, count
    movl    $0x21, 0xfec00000
    movl    $0, 0xfec00010
    movl    $0x20, 0xfec00000
    movl    $0x51, 0xfec00010
    movb    $0x0a, %al
    outb    %al, $0x70
    movb    $0x26, %al
    outb    %al, $0x71
    call    start_now               // (before C is read: each interrupt needs a boundary after)
    movb    $0x0c, %al              // C read: nothing pending
    outb    %al, $0x70
    inb     $0x71, %al
    movb    $0x0b, %al              // B: PIE, 24-hour
    outb    %al, $0x70
    movb    $0x42, %al
    outb    %al, $0x71
    sti
2:  hlt
    cmpl    $21, count
    jb      2b
    cli
    movl    last, %ebx
    subl    start, %ebx
    andl    $0xffffff, %ebx
    movl    $rtc_msg, %esi
    call    puts
    call    puthex
    cmpl    $RTC_TICKS * 99 / 100, %ebx
    jb      too_short
    cmpl    $RTC_TICKS * 10, %ebx
    ja      too_long
    movb    $0, rtc_on
    movb    $0x0b, %al              // B: PIE off
    outb    %al, $0x70
    movb    $0x02, %al
    outb    %al, $0x71
    movb    $0x0c, %al              // and what it raised meanwhile read: the line drops
    outb    %al, $0x70
    inb     $0x71, %al
    call    quiet_5ms
    movb    $30, %al
    jmp     power_off

too_short:
    movb    $98, %al
    jmp     power_off
too_long:
    movb    $98, %al
    jmp     power_off
unexpected:
    movb    $99, %al
    jmp     power_off

// With interrupts on: 1 ms to take what was pending, then 5 ms of the PM timer in which no
// interrupt may come (97 if one does).
quiet_5ms:
    movl    $3579545 / 1000, %esi
    call    pm_wait
    movl    count, %ecx
    movl    $3579545 / 200, %esi
    call    pm_wait
    cmpl    count, %ecx
    je      1f
    movb    $97, %al
    jmp     power_off
1:  ret

// Waits esi PM timer ticks with interrupts on (then off again).
pm_wait:
    pushl   %edx
    movw    $PM_TMR, %dx
    inl     %dx, %eax
    movl    %eax, %edi
    sti
1:  inl     %dx, %eax
    subl    %edi, %eax
    andl    $0xffffff, %eax
    cmpl    %esi, %eax
    jb      1b
    cli
    popl    %edx
    ret

// The PM timer's time now, as the source's start.
start_now:
    pushl   %edx
    movw    $PM_TMR, %dx
    inl     %dx, %eax
    movl    %eax, start
    popl    %edx
    ret

// An interrupt: its PM timer time (the latest), counted, ended at the LAPIC.
stamp:
    pushl   %edx
    movw    $PM_TMR, %dx
    inl     %dx, %eax
    movl    %eax, last
    incl    count
    movl    $0, 0xfee000b0          // EOI
    popl    %edx
    ret

pit_irq:
    pushl   %eax
    call    stamp
    popl    %eax
    iret

rtc_irq:
    pushl   %eax
    movb    $0x0c, %al              // register C: IRQF and PF, and reading it drops the line
    outb    %al, $0x70
    inb     $0x71, %al
    andb    $0xc0, %al
    cmpb    $0xc0, %al
    je      1f
    cmpb    $0, rtc_on              // (one pending from before PIE went off finds C read)
    jne     unexpected
1:  call    stamp
    popl    %eax
    iret

pit_msg:
    .asciz  "guest: pit 21 periods "
rtc_msg:
    .asciz  "guest: rtc 20 periods "
idt_desc:
    .word   0x52 * 8 - 1
    .long   idt
count:
    .long   0
rtc_on:
    .byte   1
start:
    .long   0
last:
    .long   0
    .balign 8
idt:
    .fill   0x52 * 8, 1, 0
