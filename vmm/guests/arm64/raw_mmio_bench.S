// SPDX-License-Identifier: MIT
// A bare-metal arm64 guest that measures VM exits: 10 000 reads of the emulated PL011's flag
// register (each one a stage-2 fault, an exit to the VMM, an emulation and a resume), timed with
// the virtual counter; the tick count is the PSCI SYSTEM_OFF status (x1, a Keel test convention).

    .section .text.start, "ax"
    .globl _start
_start:
    ldr     x1, =0x09000018         // PL011 UARTFR
    ldr     x0, [x1]                // warm up: the first exit maps nothing, but fills caches
    mov     x11, #10000
    isb
    mrs     x10, cntvct_el0
1:  ldr     w3, [x1]
    subs    x11, x11, #1
    b.ne    1b
    isb
    mrs     x12, cntvct_el0
    sub     x1, x12, x10
    ldr     x0, =0x84000008         // PSCI SYSTEM_OFF
    hvc     #0
2:  wfi
    b       2b
