// SPDX-License-Identifier: MIT
// A bare-metal arm64 guest that lets its virtual timer fire with interrupts masked: it programs
// CNTV to expire soon, waits until the timer condition shows (ISTATUS), and powers off through
// PSCI with CNTV_CTL as the status (x1, a Keel test convention). Its interrupt reaches the kernel,
// which holds it at the GIC and hands it to the VMM or a list register; the guest's own timer
// register is not touched: the status is 5 (ENABLE, ISTATUS; 7 would be a hypervisor's IMASK).

    .section .text.start, "ax"
    .globl _start
_start:
    mrs     x0, cntvct_el0
    add     x0, x0, #1000           // 16 us at 62.5 MHz
    msr     cntv_cval_el0, x0
    mov     x0, #1                  // ENABLE, interrupt not masked
    msr     cntv_ctl_el0, x0
    isb
1:  mrs     x1, cntv_ctl_el0
    tbz     x1, #2, 1b              // until ISTATUS
    ldr     x2, =100000             // give the interrupt time to be taken
2:  subs    x2, x2, #1
    b.ne    2b
    mrs     x1, cntv_ctl_el0
    ldr     x0, =0x84000008         // PSCI SYSTEM_OFF, status x1
    hvc     #0
3:  b       3b
