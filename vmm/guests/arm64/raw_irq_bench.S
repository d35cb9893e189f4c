// SPDX-License-Identifier: MIT
// A bare-metal arm64 guest that measures, with its virtual counter (under QEMU -icount shift=0 a
// tick is 16 instructions), and prints over the PL011 in hex:
//   bench: hvc-null <ticks>       10 000 KEEL_HVC_NULL hypercalls (answered by the kernel)
//   bench: virq-vtimer <ticks>    100 virtual timer interrupts, each from the counter reaching
//                                 CVAL to the first instruction of the guest's handler (the
//                                 kernel injects the timer through a list register)
//   bench: virq-device <ticks>    100 device interrupts, each from the write to the PL011's data
//                                 register (the VMM's model raises its transmit interrupt) to the
//                                 first instruction of the handler (the VMM's GIC model fills a
//                                 list register before it resumes the guest)
// then powers off through PSCI SYSTEM_OFF with status 0. The bench/vm.sh script reads the lines.

#define GICD 0x08000000
#define GICR 0x080a0000
#define UART 0x09000000
#define N_HVC 10000
#define N_IRQ 100

    .section .text.start, "ax"
    .globl _start
_start:
    ldr     x0, =stack_top
    mov     sp, x0
    adr     x0, vectors
    msr     vbar_el1, x0
    // The CPU interface (virtual: ICC_* go to the list registers).
    mov     x0, #1
    msr     S3_0_C12_C12_5, x0      // ICC_SRE_EL1.SRE
    isb
    mov     x0, #0xff
    msr     S3_0_C4_C6_0, x0        // ICC_PMR_EL1: every priority
    mov     x0, #1
    msr     S3_0_C12_C12_7, x0      // ICC_IGRPEN1_EL1
    isb
    // The distributor and our redistributor (the VMM's GICv3 model).
    ldr     x1, =GICD
    mov     w0, #0x12               // ARE, EnableGrp1
    str     w0, [x1]
    mov     w0, #-1
    str     w0, [x1, #0x84]         // IGROUPR1: SPIs 32-63 in group 1
    mov     w0, #2
    str     w0, [x1, #0x104]        // ISENABLER1: SPI 33 (the PL011's)
    ldr     x1, =GICR
    str     wzr, [x1, #0x14]        // WAKER: awake
    ldr     x1, =GICR + 0x10000
    mov     w0, #-1
    str     w0, [x1, #0x80]         // IGROUPR0
    mov     w0, #1 << 27
    str     w0, [x1, #0x100]        // ISENABLER0: the virtual timer (27)

    // 1. hvc-null
    mov     x19, #N_HVC
    isb
    mrs     x20, cntvct_el0
1:  ldr     x0, =0xc6000000         // KEEL_HVC_NULL
    hvc     #0
    subs    x19, x19, #1
    b.ne    1b
    isb
    mrs     x0, cntvct_el0
    sub     x1, x0, x20
    adr     x0, s_hvc
    bl      report

    // 2. virq-vtimer: x22 = sum of (handler entry - CVAL)
    mov     x22, #0
    mov     x19, #N_IRQ
    msr     daifclr, #2
2:  mov     x23, #0                 // the handler sets it
    mrs     x0, cntvct_el0
    add     x24, x0, #200           // CVAL: 3200 instructions from now
    msr     cntv_cval_el0, x24
    mov     x0, #1
    msr     cntv_ctl_el0, x0
    isb
3:  cbz     x23, 3b                 // busy: a WFI would go to the VMM
    subs    x19, x19, #1
    b.ne    2b
    msr     daifset, #2
    mov     x1, x22
    adr     x0, s_vtimer
    bl      report

    // 3. virq-device: x22 = sum of (handler entry - time of the data register write)
    mov     x22, #0
    mov     x19, #N_IRQ
    ldr     x25, =UART
    mov     w0, #1 << 5
    str     w0, [x25, #0x38]        // UARTIMSC: the transmit interrupt
    msr     daifclr, #2
4:  mov     x23, #0
    mov     w0, #'\r'               // the VMM prints nothing for it, but the FIFO "sends" it
    isb
    mrs     x24, cntvct_el0
    str     w0, [x25]               // UARTDR: the transmit interrupt rises
5:  cbz     x23, 5b
    subs    x19, x19, #1
    b.ne    4b
    msr     daifset, #2
    str     wzr, [x25, #0x38]
    mov     x1, x22
    adr     x0, s_device
    bl      report

    mov     x1, #0
    ldr     x0, =0x84000008         // PSCI SYSTEM_OFF, status 0
    hvc     #0
6:  b       6b

// The IRQ handler: x21 = the counter at entry, x24 = the start of the measurement.
irq:
    mrs     x21, cntvct_el0
    mrs     x26, S3_0_C12_C12_0     // ICC_IAR1_EL1
    and     x27, x26, #0xffffff
    cmp     x27, #27
    b.ne    7f
    msr     cntv_ctl_el0, xzr       // the timer: stop it
    b       8f
7:  mov     w27, #1 << 5
    str     w27, [x25, #0x44]       // UARTICR: the transmit interrupt is handled
8:  sub     x27, x21, x24
    add     x22, x22, x27
    mov     x23, #1
    msr     S3_0_C12_C12_1, x26     // ICC_EOIR1_EL1
    eret

// report(x0 = label, x1 = value): prints "<label> 0x<value hex>\n".
report:
    ldr     x2, =UART
9:  ldrb    w3, [x0], #1
    cbz     w3, 10f
    str     w3, [x2]
    b       9b
10: mov     w3, #'0'
    str     w3, [x2]
    mov     w3, #'x'
    str     w3, [x2]
    mov     x4, #60
11: lsr     x3, x1, x4
    and     x3, x3, #0xf
    cmp     x3, #10
    add     x5, x3, #'0'
    add     x6, x3, #('a' - 10)
    csel    x3, x5, x6, lt
    str     w3, [x2]
    subs    x4, x4, #4
    b.ge    11b
    mov     w3, #'\n'
    str     w3, [x2]
    ret

hang:
    b       hang

s_hvc:    .asciz "bench: hvc-null "
s_vtimer: .asciz "bench: virq-vtimer "
s_device: .asciz "bench: virq-device "

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

    .balign 16
    .space  4096
stack_top:
