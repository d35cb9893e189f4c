// SPDX-License-Identifier: MIT
// Entry of the real-time guest on arm64 (../rt.c): a raw binary the VMM loads at the VM's
// keel,load-address and starts at EL1 with the MMU off and interrupts masked. It turns on the MMU
// and the caches with one level-1 table (1 GiB blocks, virtual = physical; as
// ../../arm64/attack/start.S), so that its figures are those of its code, not of uncached
// fetches on a real board:
//
//   0x00000000-0x3fffffff  devices (GIC, PL011)   Device-nGnRE, never executable
//   0x40000000-0x7fffffff  RAM                    Normal write-back
//
// then clears .bss, installs the vectors, calls rt_main() and powers off through PSCI SYSTEM_OFF
// with its return value as the status (x1, a Keel convention).

#define MAIR ((0xff << 0) | (0x04 << 8))    // 0 Normal WB, 1 Device-nGnRE
// TCR_EL1: T0SZ 25 (39-bit, the walk starts at level 1), walks write-back inner shareable,
// 4 KiB granule, no TTBR1 walks (EPD1), 36-bit physical addresses.
#define TCR ((25 << 0) | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (1 << 32))
// SCTLR_EL1: RES1 bits, M (MMU), C (data cache), I (instruction cache).
#define SCTLR 0x30d01805
#define BLOCK(attr) (1 | ((attr) << 2) | (3 << 8) | (1 << 10)) // AttrIndx, inner shareable, AF
#define XN (3 << 53)                                            // PXN, UXN

    .section .text.start, "ax"
    .globl _start
_start:
    msr     daifset, #0xf
    ldr     x0, =MAIR
    msr     mair_el1, x0
    ldr     x0, =TCR
    msr     tcr_el1, x0
    adr     x0, level1
    msr     ttbr0_el1, x0
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    ldr     x0, =SCTLR
    msr     sctlr_el1, x0
    isb
    adr     x0, vectors
    msr     vbar_el1, x0
    ldr     x0, =__stack_top
    mov     sp, x0
    ldr     x0, =__bss_start
    ldr     x1, =__bss_end
1:  cmp     x0, x1
    b.hs    2f
    stp     xzr, xzr, [x0], #16
    b       1b
2:  bl      rt_main
    mov     x1, x0
    ldr     x0, =0x84000008         // PSCI SYSTEM_OFF, status x1
    hvc     #0
3:  b       3b

    .macro  other n
    .balign 0x80
    mov     x0, #\n
    b       unexpected
    .endm

    .balign 2048
vectors:
    .irp    n, 0, 1, 2, 3, 4
    other   \n
    .endr
    .balign 0x80                    // current EL with SPx: IRQ (offset 0x280)
    stp     x0, x1, [sp, #-176]!
    mrs     x0, cntvct_el0          // the handler's entry: what lateness is measured to
    b       irq
    .irp    n, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    other   \n
    .endr

// The caller-saved registers around rt_arm64_irq(entry); interrupts stay masked in it (no
// nesting), so ELR and SPSR need no saving. No FP/SIMD: the guest is built without.
irq:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x29, [sp, #144]
    str     x30, [sp, #160]
    bl      rt_arm64_irq
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x29, [sp, #144]
    ldr     x30, [sp, #160]
    ldp     x0, x1, [sp], #176
    eret

// Any other exception is a bug of the guest: rt_arm64_unexpected() says which and powers off.
unexpected:
    mrs     x1, esr_el1
    mrs     x2, elr_el1
    bl      rt_arm64_unexpected
4:  b       4b

    .section .rodata.level1, "a"
    .balign 4096
level1:
    .quad   BLOCK(1) | XN | 0x00000000
    .quad   BLOCK(0) | 0x40000000
    .fill   510, 8, 0
