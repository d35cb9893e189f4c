// SPDX-License-Identifier: MIT
// Program entry for Keel user programs on arm64: a stack, then main(); main's return stops.
    .section .text.start, "ax"
    .globl _start
_start:
    adrp    x0, __stack_top
    add     x0, x0, :lo12:__stack_top
    mov     sp, x0
    bl      keel_start
1:  b       1b

    .section .bss.stack, "aw", %nobits
    .balign 16
    .space  65536
    .globl __stack_top
__stack_top:
