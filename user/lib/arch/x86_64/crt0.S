// SPDX-License-Identifier: MIT
// Program entry for Keel user programs on x86_64: a stack, then main(); main's return stops.
// r15 (the UTCB pointer) comes from the kernel and is left alone.
    .section .text.start, "ax"
    .globl _start
_start:
    leaq    __stack_top(%rip), %rsp
    call    keel_start
1:  jmp     1b

    .section .bss.stack, "aw", @nobits
    .balign 16
    .space  65536
    .globl __stack_top
__stack_top:

    .section .note.GNU-stack, "", @progbits  // no executable stack wanted
