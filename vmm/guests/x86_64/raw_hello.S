// SPDX-License-Identifier: MIT
// A bare-metal x86_64 guest for the VMM tests: loaded as a raw binary at the address its VM device
// tree names and started in 32-bit protected mode with paging off (flat segments), it prints over
// the 16550 at I/O port 0x3f8 (port writes the VMM emulates), asks CPUID for the hypervisor's
// signature (leaf 0x40000000, answered by the VMM), makes the hypercall the kernel answers itself
// (VMMCALL with eax = KEEL_X86_VMMCALL_NULL), and powers off through the exit port 0x501 with a
// status: 40 + 1 for the signature + 2 for the hypercall's 0 = 43.

#include "guest.inc"

    .globl _start
_start:
    movl    $0x100000, %esp         // the stack: below the image
    movl    $message, %esi
    call    puts
    xorl    %edi, %edi              // the status, from 40
    movl    $0x40000000, %eax
    cpuid
    cmpl    $0x6c65654b, %ebx       // "Keel"
    jne     1f
    cmpl    $0x6c65654b, %edx
    jne     1f
    incl    %edi
    movl    $message2, %esi
    call    puts
1:  movl    $0x4b4c0000, %eax       // KEEL_X86_VMMCALL_NULL: eax = 0 from the kernel
    call    hypercall
    testl   %eax, %eax
    jnz     2f
    addl    $2, %edi
2:  leal    40(%edi), %eax
    jmp     power_off

message:
    .asciz  "guest: hello from a raw binary in 32-bit protected mode\n"
message2:
    .asciz  "guest: cpuid says KeelKeelKeel\n"
