// SPDX-License-Identifier: MIT
// A bare-metal x86_64 guest that takes device interrupts (32-bit protected mode, its own GDT and
// IDT): the 16550 at port 0x3f8 raises I/O APIC line 4 while its transmitter-empty interrupt is
// pending (a level line), routed to vector 0x41 at its local APIC. 100 times it writes a byte to
// the transmitter and waits in a spin (interrupts on) for the handler, which reads IIR (the
// interrupt is acknowledged: the line drops), ends the vector at the LAPIC (EOI, which the I/O
// APIC hears: the line may interrupt again) and notes the TSC. It prints the sum of the ticks
// from each write to its handler ("bench: virq-device <hex>", one tick an instruction under
// -icount shift=0) and powers off with status 100 when all came, each exactly once (101 with
// the one that enabling the interrupt raises).

#include "guest.inc"

    .globl _start
_start:
    movl    $0x100000, %esp
    FLAT_SEGMENTS
    movl    $idt, %edi              // 0x42 gates: every vector to `unexpected`, 0x41 to `serial`
    movl    $0x42, %ecx
    movl    $unexpected, %eax
    call    idt_fill
    movl    $idt + 0x41 * 8, %edi
    movl    $serial, %eax
    call    idt_set
    lidt    idt_desc

    movl    $0x1ff, 0xfee000f0      // LAPIC SVR: enabled
    movl    $0x19, 0xfec00000       // I/O APIC: select line 4's entry, high half (0x11 + 2 * 4)
    movl    $0, 0xfec00010          //   destination APIC id 0
    movl    $0x18, 0xfec00000       //   low half
    movl    $0x8041, 0xfec00010     //   vector 0x41, fixed, level, active high, unmasked
    movw    $0x3f9, %dx             // 16550 IER: transmitter empty interrupt on (the
    movb    $2, %al                 // transmitter is empty: its first interrupt is due at once)
    outb    %al, %dx
    sti
7:  cmpl    $1, seen
    jne     7b
    movl    $100, %ebp              // rounds left
    xorl    %edi, %edi              // the sum of ticks
4:  movl    seen, %ebx              // the handler count before this round
    rdtsc
    movl    %eax, %esi
    movw    $0x3f8, %dx             // (after rdtsc, which writes edx)
    movb    $'.', %al
    outb    %al, %dx                // THR written: the interrupt is pending again
5:  cmpl    seen, %ebx
    je      5b
    movl    stamp, %eax
    subl    %esi, %eax
    addl    %eax, %edi
    decl    %ebp
    jnz     4b
    cli
    movb    $'\n', %al
    movw    $0x3f8, %dx
    outb    %al, %dx
    movl    $report, %esi
    call    puts
    movl    %edi, %ebx
    call    puthex
    cmpl    $101, seen
    jne     unexpected
    movb    $100, %al
    jmp     off
unexpected:
    movb    $99, %al
off:
    jmp     power_off

serial:
    pushl   %eax
    pushl   %edx
    rdtsc
    movl    %eax, stamp
    movw    $0x3fa, %dx             // IIR: reading it acknowledges the THR empty interrupt
    inb     %dx, %al
    andb    $0x0f, %al
    cmpb    $2, %al                 // "transmitter empty" and nothing else
    jne     unexpected
    incl    seen
    movl    $0, 0xfee000b0          // EOI
    popl    %edx
    popl    %eax
    iret

report:
    .asciz  "bench: virq-device "
idt_desc:
    .word   0x42 * 8 - 1
    .long   idt
seen:
    .long   0
stamp:
    .long   0
    .balign 8
idt:
    .fill   0x42 * 8, 1, 0
