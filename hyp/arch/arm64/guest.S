// SPDX-License-Identifier: MIT
// Entering and leaving a guest (extended vCPU mode). arch_guest_enter(regs) keeps the kernel's
// callee-saved registers on its stack, notes regs and that stack in percpu->arch, loads the
// guest's general registers and returns to the guest (ELR_EL2/SPSR_EL2 set by the caller). A
// trap or interrupt from the guest comes through vectors.S here: the guest's registers go to
// regs, and arch_guest_enter returns 0 (synchronous trap) or 1 (interrupt).

    .text
    .globl arch_guest_enter
arch_guest_enter:
    stp     x29, x30, [sp, #-16]!
    stp     x27, x28, [sp, #-16]!
    stp     x25, x26, [sp, #-16]!
    stp     x23, x24, [sp, #-16]!
    stp     x21, x22, [sp, #-16]!
    stp     x19, x20, [sp, #-16]!
    mrs     x2, tpidr_el2
    mov     x1, sp
    str     x1, [x2, #8]
    str     x0, [x2]
    ldp     x2, x3, [x0, #16 * 1]
    ldp     x4, x5, [x0, #16 * 2]
    ldp     x6, x7, [x0, #16 * 3]
    ldp     x8, x9, [x0, #16 * 4]
    ldp     x10, x11, [x0, #16 * 5]
    ldp     x12, x13, [x0, #16 * 6]
    ldp     x14, x15, [x0, #16 * 7]
    ldp     x16, x17, [x0, #16 * 8]
    ldp     x18, x19, [x0, #16 * 9]
    ldp     x20, x21, [x0, #16 * 10]
    ldp     x22, x23, [x0, #16 * 11]
    ldp     x24, x25, [x0, #16 * 12]
    ldp     x26, x27, [x0, #16 * 13]
    ldp     x28, x29, [x0, #16 * 14]
    ldr     x30, [x0, #16 * 15]
    ldp     x0, x1, [x0]
    eret

// From vectors.S: x0 = the guest register block, the guest's x0 and x1 at [sp].
.macro save_guest kind
    stp     x2, x3, [x0, #16 * 1]
    stp     x4, x5, [x0, #16 * 2]
    stp     x6, x7, [x0, #16 * 3]
    stp     x8, x9, [x0, #16 * 4]
    stp     x10, x11, [x0, #16 * 5]
    stp     x12, x13, [x0, #16 * 6]
    stp     x14, x15, [x0, #16 * 7]
    stp     x16, x17, [x0, #16 * 8]
    stp     x18, x19, [x0, #16 * 9]
    stp     x20, x21, [x0, #16 * 10]
    stp     x22, x23, [x0, #16 * 11]
    stp     x24, x25, [x0, #16 * 12]
    stp     x26, x27, [x0, #16 * 13]
    stp     x28, x29, [x0, #16 * 14]
    str     x30, [x0, #16 * 15]
    ldp     x2, x3, [sp], #16
    stp     x2, x3, [x0]
    mov     x0, #\kind
    b       guest_exit
.endm

    .globl arch_guest_exit_sync
arch_guest_exit_sync:
    save_guest 0

    .globl arch_guest_exit_irq
arch_guest_exit_irq:
    save_guest 1

guest_exit:
    mrs     x2, tpidr_el2
    str     xzr, [x2]               // no guest on this CPU any more
    ldr     x1, [x2, #8]
    mov     sp, x1
    ldp     x19, x20, [sp], #16
    ldp     x21, x22, [sp], #16
    ldp     x23, x24, [sp], #16
    ldp     x25, x26, [sp], #16
    ldp     x27, x28, [sp], #16
    ldp     x29, x30, [sp], #16
    ret
