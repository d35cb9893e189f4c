// SPDX-License-Identifier: MIT
// A bare-metal x86_64 guest that takes interrupts from its local APIC's timer (32-bit protected
// mode, its own GDT and IDT, the VMM's xAPIC model at 0xfee00000): periodic, vector 0x40. It
// waits for 10 ticks in HLT (the VMM sleeps until the timer is due), then for 10 more spinning
// with interrupts on and no exit at all (the kernel keeps the timer's deadline and ends the run),
// then masks the timer and checks that no vector is left in service, and powers off through the
// exit port with status 20 (99: an unexpected exception or a vector still in service). Ticks may
// come faster than an emulated guest takes them (the TSC runs in real time): more than 20 is
// fine, the timer merges the ones it missed.

#include "guest.inc"

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
    movl    $0x20040, 0x320(%ebx)   // LVT timer: periodic, vector 0x40
    movl    $2000000, 0x380(%ebx)   // initial count: 2 000 000 TSC ticks
    sti
4:  hlt
    cmpl    $10, ticks
    jb      4b
5:  cmpl    $20, ticks              // no exit in this loop: only the timer ends the run
    jb      5b
    cli
    movl    $0x10000, 0x320(%ebx)   // masked
    movl    $0, 0x380(%ebx)         // stopped
    movl    0x120(%ebx), %eax       // ISR bits of vectors 0x40-0x5f: none in service
    testl   $1, %eax
    jnz     unexpected
    movb    $20, %al
    jmp     off
unexpected:
    movb    $99, %al
off:
    jmp     power_off

tick:
    incl    ticks
    movl    $0, 0xfee000b0          // EOI
    iret

idt_desc:
    .word   0x41 * 8 - 1
    .long   idt
ticks:
    .long   0
    .balign 8
idt:
    .fill   0x41 * 8, 1, 0
