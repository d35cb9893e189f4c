// SPDX-License-Identifier: MIT
// A bare-metal arm64 guest that gives its VMM bad input: a store where no device is, a load beyond
// its RAM, a device register read with the wrong width, an SMC the PSCI does not know. The VMM
// must report each and go on. Then it runs long enough to outlive a VM that is stopped beside it,
// and powers off with status 0 (1 when the unknown SMC did not answer NOT_SUPPORTED).

    .section .text.start, "ax"
    .globl _start
_start:
    ldr     x1, =0x0a000000         // nothing there
    str     x1, [x1]
    ldr     x1, =0x50000000         // beyond RAM (0x40000000 + 16 MiB)
    ldr     x2, [x1]
    ldr     x1, =0x09000018         // PL011 flag register: 32 bits, read with 64
    ldr     x2, [x1]
    ldr     x0, =0xdeadbeef         // an SMC no one implements
    smc     #0
    mov     x5, #1
    cmn     x0, #1                  // NOT_SUPPORTED is -1
    csel    x5, xzr, x5, eq
    adr     x2, done
    bl      print
    mrs     x4, cntvct_el0          // outlive the other VM: 5 s of the counter (62.5 MHz),
    ldr     x6, =312500000          // the clock the root task stops that VM by
    add     x4, x4, x6
1:  mrs     x6, cntvct_el0
    cmp     x6, x4
    b.lo    1b
    adr     x2, alive
    bl      print
    mov     x1, x5
    ldr     x0, =0x84000008         // PSCI SYSTEM_OFF, status x1
    hvc     #0
2:  b       2b

print:                              // x2: string
    ldr     x1, =0x09000000
3:  ldrb    w3, [x2], #1
    cbz     w3, 4f
    str     w3, [x1]
    b       3b
4:  ret

done:
    .asciz  "attack: done\n"
alive:
    .asciz  "attack: still running after the other VM was stopped\n"
