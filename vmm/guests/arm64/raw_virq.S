// SPDX-License-Identifier: MIT
// A bare-metal arm64 guest that takes an interrupt: it enables its GICv3 CPU interface (the
// virtual one, through the ICC_* registers), arms its virtual timer and unmasks IRQs. The kernel
// injects the timer's interrupt through a list register; the handler acknowledges it, stops the
// timer and ends it. It waits with WFI, which its VMM handles by sleeping until the timer is due.
// PSCI SYSTEM_OFF status (x1): the INTID acknowledged (27).

    .section .text.start, "ax"
    .globl _start
_start:
    adr     x0, vectors
    msr     vbar_el1, x0
    mov     x0, #1
    msr     S3_0_C12_C12_5, x0      // ICC_SRE_EL1.SRE
    isb
    mov     x0, #0xff
    msr     S3_0_C4_C6_0, x0        // ICC_PMR_EL1: every priority
    mov     x0, #1
    msr     S3_0_C12_C12_7, x0      // ICC_IGRPEN1_EL1
    isb
    mov     x20, #0                 // interrupts taken
    mov     x21, #0                 // the INTID acknowledged
    mrs     x0, cntvct_el0
    add     x0, x0, #1000
    msr     cntv_cval_el0, x0
    mov     x0, #1                  // ENABLE
    msr     cntv_ctl_el0, x0
    isb
    msr     daifclr, #2             // IRQs on
1:  wfi                             // (the VMM sleeps until the timer is due)
    cbz     x20, 1b
    msr     daifset, #2
    mov     x1, x21
    ldr     x0, =0x84000008         // PSCI SYSTEM_OFF, status x1
    hvc     #0
2:  b       2b

irq:
    mrs     x21, S3_0_C12_C12_0     // ICC_IAR1_EL1: acknowledge
    msr     cntv_ctl_el0, xzr       // stop the timer
    msr     S3_0_C12_C12_1, x21     // ICC_EOIR1_EL1
    add     x20, x20, #1
    eret

hang:
    b       hang

    .balign 2048
vectors:
    .rept   5
    .balign 0x80
    b       hang
    .endr
    .balign 0x80                    // current EL with SPx: IRQ (offset 0x280)
    b       irq
    .rept   10
    .balign 0x80
    b       hang
    .endr
