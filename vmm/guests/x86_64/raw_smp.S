// SPDX-License-Identifier: MIT
// A bare-metal x86_64 guest with two CPUs: the first (32-bit protected mode) copies a real-mode
// trampoline below 1 MiB and starts the second with INIT and STARTUP IPIs through its local APIC
// (vector 0x08: the trampoline's page, 0x8000). The second, in real mode, says so over the 16550
// and sets a flag; the first waits for it, checks its own APIC id (0), says so, and powers off
// through the exit port with status 2 (the CPUs that ran).

#include "guest.inc"

#define TRAMPOLINE 0x8000
#define LAPIC 0xfee00000

    .globl _start
_start:
    movl    $0x100000, %esp
    FLAT_SEGMENTS
    movl    $trampoline, %esi
    movl    $TRAMPOLINE, %edi
    movl    $(trampoline_end - trampoline), %ecx
    rep movsb
    movl    $0x1ff, LAPIC + 0xf0            // SVR: enabled
    movl    $0x01000000, LAPIC + 0x310      // ICR high: APIC id 1
    movl    $0x00004500, LAPIC + 0x300      // INIT, assert
    movl    $0x01000000, LAPIC + 0x310
    movl    $0x00004608, LAPIC + 0x300      // STARTUP, vector 0x08: page 0x8000
1:  cmpb    $1, TRAMPOLINE + (ap_flag - trampoline)
    jne     1b
    movl    LAPIC + 0x20, %eax              // its own APIC id, in bits 24-31
    shrl    $24, %eax
    jnz     2f
    movl    $message, %esi
    call    puts
    movb    $2, %al
    jmp     3f
2:  movb    $99, %al
3:  jmp     power_off

message:
    .asciz  "guest: CPU 0 saw CPU 1 start\n"

// Runs at TRAMPOLINE in real mode (CS = 0x0800, IP = 0): addresses relative to its start.
    .code16
trampoline:
    movw    %cs, %ax
    movw    %ax, %ds
    movw    $(ap_message - trampoline), %si
    movw    $0x3f8, %dx
1:  lodsb
    testb   %al, %al
    jz      2f
    outb    %al, %dx
    jmp     1b
2:  movb    $1, (ap_flag - trampoline)
3:  cli
    hlt
    jmp     3b
ap_message:
    .asciz  "guest: CPU 1 up in real mode\n"
ap_flag:
    .byte   0
trampoline_end:
    .code32
