// SPDX-License-Identifier: MIT
// Program entry for Keel user programs on riscv64: a stack, then main(); main's return stops.
    .section .text.start, "ax"
    .globl _start
_start:
    la      sp, __stack_top
    call    keel_start
1:  j       1b

    .section .bss.stack, "aw", @nobits
    .balign 16
    .space  65536
    .globl __stack_top
__stack_top:
