// SPDX-License-Identifier: MIT
// A bare-metal x86_64 guest that keeps a value of its own in the x87 and SSE registers while
// another guest on the same CPU does the same: it spins for a while (timer ticks switch the vCPUs)
// with port-I/O exits in between, checking xmm0, xmm7 and st(0) every time. Exit-port status: 1
// when the registers always held its value, 99 when anything else showed up in them.

#include "guest.inc"

    .globl _start
_start:
    movl    $0x100000, %esp
    movl    %cr4, %eax
    orl     $(1 << 9), %eax         // OSFXSR: SSE on
    movl    %eax, %cr4
    rdtsc                           // a value of its own: the time it started
    orl     $1, %eax
    movl    %eax, %ebp
    movd    %eax, %xmm0
    pshufd  $0, %xmm0, %xmm0
    movdqa  %xmm0, %xmm7
    fninit
    pushl   %ebp
    fildl   (%esp)                  // st(0) = the value
    movl    $4000000, %edi
1:  movd    %xmm0, %eax
    cmpl    %eax, %ebp
    jne     fail
    psrldq  $12, %xmm7              // the top lane, then put it back
    movd    %xmm7, %eax
    pshufd  $0, %xmm7, %xmm7
    cmpl    %eax, %ebp
    jne     fail
    testl   $0x7ff, %edi            // every 2048 rounds: st(0), and an exit to the VMM
    jnz     2f
    fld     %st(0)
    fistpl  (%esp)
    cmpl    (%esp), %ebp
    jne     fail
    movw    $0x3fd, %dx
    inb     %dx, %al
2:  decl    %edi
    jnz     1b
    movb    $1, %al
    jmp     off
fail:
    movb    $99, %al
off:
    jmp     power_off
