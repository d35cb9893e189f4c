// SPDX-License-Identifier: MIT
// A bare-metal arm64 guest that keeps a value of its own in the FP/SIMD registers while another
// guest on the same CPU does the same: it spins for a while (timer ticks switch the vCPUs) with
// MMIO exits in between, checking the value every time. PSCI SYSTEM_OFF status (x1): 1 when the
// registers always held its value, 99 when anything else showed up in them.

    .arch   armv8-a+fp+simd
    .section .text.start, "ax"
    .globl _start
_start:
    mov     x0, #(3 << 20)          // CPACR_EL1.FPEN: no traps at EL1
    msr     cpacr_el1, x0
    isb
    mrs     x19, cntvct_el0         // a value of its own: the time it started
    fmov    d0, x19
    dup     v31.2d, x19
    ldr     x1, =0x09000018         // PL011 UARTFR: an exit to the VMM
    ldr     x2, =4000000
1:  fmov    x20, d0
    cmp     x20, x19
    b.ne    fail
    mov     x21, v31.d[1]
    cmp     x21, x19
    b.ne    fail
    tst     x2, #0xfff
    b.ne    2f
    ldr     w3, [x1]
2:  subs    x2, x2, #1
    b.ne    1b
    mov     x1, #1
    b       off
fail:
    mov     x1, #99
off:
    ldr     x0, =0x84000008         // PSCI SYSTEM_OFF, status x1
    hvc     #0
3:  b       3b
