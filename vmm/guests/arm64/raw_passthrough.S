// SPDX-License-Identifier: MIT
// A bare-metal arm64 guest with the board's PL031 RTC passed through (dts/vms/raw-passthrough-
// arm64.dts: its window at 0x09010000, its interrupt SPI 2 = INTID 34, the VMM's GICv3 model).
// Writing the match register with the current count raises the RTC's line at once. It measures
// with its virtual counter (under QEMU -icount shift=0 a tick is 16 instructions), from just
// before that write to the first instruction of its handler, and prints over the PL011 in hex:
//   bench: virq-passthrough-vmm <ticks>     100 interrupts through the VMM (the VMM gives the
//                                           line to the kernel after 100: keel,direct-after)
//   bench: virq-passthrough-direct <ticks>  the next 100, delivered by the kernel (a hardware
//                                           list register entry; no exit to the VMM)
// Then it disables INTID 34 in the distributor, raises the line and checks that no interrupt
// comes; enables it: the interrupt comes (through the VMM, which held it); takes one more
// (direct again); resets the VM (PSCI SYSTEM_RESET; the RTC's count, set low before, tells the
// guest that starts again so) and takes one more. PSCI SYSTEM_OFF status: 0, or 1 an interrupt
// came while disabled, 2 an INTID other than 34 was acknowledged.

#define GICD 0x08000000
#define GICR 0x080a0000
#define UART 0x09000000
#define RTC 0x09010000
#define N_IRQ 100

    .section .text.start, "ax"
    .globl _start
_start:
    ldr     x0, =stack_top
    mov     sp, x0
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
    ldr     x1, =GICD
    mov     w0, #0x12               // ARE, EnableGrp1
    str     w0, [x1]
    mov     w0, #-1
    str     w0, [x1, #0x84]         // IGROUPR1: SPIs 32-63 in group 1
    mov     w0, #1 << 2
    str     w0, [x1, #0x104]        // ISENABLER1: INTID 34 (the RTC's)
    ldr     x1, =GICR
    str     wzr, [x1, #0x14]        // WAKER: awake
    ldr     x25, =RTC
    mov     w0, #1
    str     w0, [x25, #0x1c]        // RTCICR: nothing pending
    str     w0, [x25, #0x10]        // RTCIMSC: the match interrupt on
    mov     x28, #0                 // status
    msr     daifclr, #2
    // After our reset (the RTC's count is what we set it to: small) only the last step.
    ldr     w0, [x25]               // RTCDR
    mov     w1, #0x10000000
    cmp     w0, w1
    b.lo    after_reset
    mov     w0, #0x100
    str     w0, [x25, #0x08]        // RTCLR: the count starts again at 0x100

    // 1. and 2.: N_IRQ each; x22 = sum of (handler entry - time before the write)
    adr     x0, s_vmm
    bl      measure
    adr     x0, s_direct
    bl      measure

    // 3. Disabled: nothing comes; enabled: it comes.
    ldr     x1, =GICD
    mov     w0, #1 << 2
    str     w0, [x1, #0x184]        // ICENABLER1: INTID 34 off
    mov     x23, #0
    bl      raise
    mov     x0, #20000
1:  subs    x0, x0, #1              // (the physical interrupt reaches the VMM meanwhile)
    b.ne    1b
    cbz     x23, 2f
    mov     x28, #1
2:  ldr     x1, =GICD
    mov     w0, #1 << 2
    str     w0, [x1, #0x104]        // ISENABLER1: on again
3:  cbz     x23, 3b
    adr     x0, s_enabled
    mov     x1, x28
    bl      report
    // 4. One more.
    mov     x23, #0
    bl      raise
4:  cbz     x23, 4b
    // 5. A reset of the VM (its vCPU bound again: the kernel ends the direct delivery, the VMM
    // gives it again), then one more, direct again.
    msr     daifset, #2
    ldr     x0, =0x84000009         // PSCI SYSTEM_RESET
    hvc     #0
after_reset:
    mov     x23, #0
    bl      raise
13: cbz     x23, 13b
    adr     x0, s_reset
    mov     x1, x28
    bl      report
    msr     daifset, #2
    mov     x1, x28
    ldr     x0, =0x84000008         // PSCI SYSTEM_OFF, status x28
    hvc     #0
5:  b       5b

// measure(x0 = label): N_IRQ interrupts, their summed latency reported.
measure:
    mov     x27, x30
    mov     x26, x0
    mov     x22, #0
    mov     x19, #N_IRQ
6:  mov     x23, #0
    isb
    mrs     x24, cntvct_el0
    bl      raise
7:  cbz     x23, 7b
    subs    x19, x19, #1
    b.ne    6b
    mov     x0, x26
    mov     x1, x22
    bl      report
    ret     x27

// raise: RTCMR = RTCDR (again, should the count have moved on meanwhile: RTCRIS tells, or the
// handler has run already).
raise:
    ldr     w12, [x25]              // RTCDR
    str     w12, [x25, #0x04]       // RTCMR
    ldr     w12, [x25, #0x14]       // RTCRIS
    cbnz    w12, 12f
    cbz     x23, raise
12: ret

// The IRQ handler: x21 = the counter at entry, x24 = the start of the measurement.
// (It uses x9, x20-x23 and x28 only: the code it interrupts keeps the others.)
irq:
    mrs     x21, cntvct_el0
    mrs     x20, S3_0_C12_C12_0     // ICC_IAR1_EL1
    and     x9, x20, #0xffffff
    cmp     x9, #34
    b.eq    8f
    mov     x28, #2
8:  mov     w9, #1
    str     w9, [x25, #0x1c]        // RTCICR: the line goes low
    dsb     sy                      // (before the end of the interrupt deactivates the line)
    sub     x9, x21, x24
    add     x22, x22, x9
    mov     x23, #1
    msr     S3_0_C12_C12_1, x20     // ICC_EOIR1_EL1: priority drop and deactivation
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

s_vmm:     .asciz "bench: virq-passthrough-vmm "
s_direct:  .asciz "bench: virq-passthrough-direct "
s_enabled: .asciz "guest: disabled, then enabled: status "
s_reset:   .asciz "guest: after the reset: status "

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
