// SPDX-License-Identifier: MIT
// A bare-metal arm64 guest that never ends: prints "tick" over the PL011 now and then, forever.
// The VM test stops its VMM (the root task's keel,stop-after-ms) while another VM runs on.

    .section .text.start, "ax"
    .globl _start
_start:
    ldr     x1, =0x09000000
1:  adr     x2, tick
2:  ldrb    w3, [x2], #1
    cbz     w3, 3f
    str     w3, [x1]
    b       2b
3:  ldr     x4, =2000000
4:  subs    x4, x4, #1
    b.ne    4b
    b       1b

tick:
    .asciz  "tick\n"
