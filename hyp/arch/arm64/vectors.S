// SPDX-License-Identifier: MIT
// EL2 exception vectors. An entry from EL0 saves the user frame (struct arch_regs) at the top of the
// current thread's kernel stack (SP_EL2 is that top whenever the thread runs at EL0) and calls
// arch_trap_user(frame); leaving restores the frame and returns with eret. Interrupts taken at
// EL2 (only in the idle loop) are handled on the current stack by arch_trap_kernel_irq().
#include <arch/asm.h>

.macro save_frame
    sub     sp, sp, #ARCH_REGS_SIZE
    stp     x0, x1, [sp, #16 * 0]
    stp     x2, x3, [sp, #16 * 1]
    stp     x4, x5, [sp, #16 * 2]
    stp     x6, x7, [sp, #16 * 3]
    stp     x8, x9, [sp, #16 * 4]
    stp     x10, x11, [sp, #16 * 5]
    stp     x12, x13, [sp, #16 * 6]
    stp     x14, x15, [sp, #16 * 7]
    stp     x16, x17, [sp, #16 * 8]
    stp     x18, x19, [sp, #16 * 9]
    stp     x20, x21, [sp, #16 * 10]
    stp     x22, x23, [sp, #16 * 11]
    stp     x24, x25, [sp, #16 * 12]
    stp     x26, x27, [sp, #16 * 13]
    stp     x28, x29, [sp, #16 * 14]
    mrs     x0, sp_el0
    stp     x30, x0, [sp, #16 * 15]
    mrs     x0, elr_el2
    mrs     x1, spsr_el2
    stp     x0, x1, [sp, #16 * 16]
.endm

.macro vector label
    .balign 0x80
    b       \label
.endm

    .section .text.vectors, "ax"
    .balign 2048
    .globl arch_vectors
arch_vectors:
    vector  bad_vector          // current EL, SP_EL0: sync
    vector  bad_vector          //   irq
    vector  bad_vector          //   fiq
    vector  bad_vector          //   serror
    vector  kernel_sync         // current EL, SP_ELx: sync
    vector  kernel_irq          //   irq
    vector  bad_vector          //   fiq
    vector  kernel_serror       //   serror (a guest's, taken at its exit: vcpu_el2.c)
    vector  user_sync           // lower EL, AArch64: sync
    vector  user_irq            //   irq
    vector  bad_vector          //   fiq
    vector  user_serror         //   serror
    vector  bad_vector          // lower EL, AArch32
    vector  bad_vector
    vector  bad_vector
    vector  bad_vector

user_sync:
    save_frame
    mov     x0, sp
    bl      arch_trap_user_sync
    b       arch_return_to_user_frame

user_irq:
    save_frame
    mov     x0, sp
    bl      arch_trap_user_irq
    b       arch_return_to_user_frame

user_serror:
    save_frame
    mov     x0, sp
    bl      arch_trap_user_serror
    b       arch_return_to_user_frame

kernel_irq:
    save_frame
    mov     x0, sp
    bl      arch_trap_kernel_irq
    b       restore_frame_eret

kernel_serror:
    save_frame
    mov     x0, sp
    bl      arch_trap_kernel_serror // returns only for the SError a guest left pending
    b       restore_frame_eret

// While a guest runs, VBAR_EL2 points here instead: every exception from the guest ends the
// guest's turn (guest.S); none can come from EL2 itself then.
.macro guest_vector label
    .balign 0x80
    stp     x0, x1, [sp, #-16]!
    mrs     x0, tpidr_el2
    ldr     x0, [x0]                // percpu->arch.guest_regs
    b       \label
.endm

    .balign 2048
    .globl arch_guest_vectors
arch_guest_vectors:
    vector  bad_vector
    vector  bad_vector
    vector  bad_vector
    vector  bad_vector
    vector  kernel_sync
    vector  bad_vector
    vector  bad_vector
    vector  bad_vector
    guest_vector arch_guest_exit_sync   // lower EL, AArch64: sync
    guest_vector arch_guest_exit_irq    //   irq
    vector  bad_vector
    guest_vector arch_guest_exit_sync   //   serror: the guest's turn ends too
    vector  bad_vector
    vector  bad_vector
    vector  bad_vector
    vector  bad_vector

kernel_sync:
    save_frame
    mov     x0, sp
    bl      arch_trap_kernel_sync   // does not return
bad_vector:
    save_frame
    mov     x0, sp
    bl      arch_trap_bad_vector    // does not return

// Leaves the kernel to the user frame at the top of this thread's kernel stack (sp).
    .globl arch_return_to_user_frame
arch_return_to_user_frame:
restore_frame_eret:
    ldp     x0, x1, [sp, #16 * 16]
    msr     elr_el2, x0
    msr     spsr_el2, x1
    ldp     x30, x0, [sp, #16 * 15]
    msr     sp_el0, x0
    ldp     x0, x1, [sp, #16 * 0]
    ldp     x2, x3, [sp, #16 * 1]
    ldp     x4, x5, [sp, #16 * 2]
    ldp     x6, x7, [sp, #16 * 3]
    ldp     x8, x9, [sp, #16 * 4]
    ldp     x10, x11, [sp, #16 * 5]
    ldp     x12, x13, [sp, #16 * 6]
    ldp     x14, x15, [sp, #16 * 7]
    ldp     x16, x17, [sp, #16 * 8]
    ldp     x18, x19, [sp, #16 * 9]
    ldp     x20, x21, [sp, #16 * 10]
    ldp     x22, x23, [sp, #16 * 11]
    ldp     x24, x25, [sp, #16 * 12]
    ldp     x26, x27, [sp, #16 * 13]
    ldp     x28, x29, [sp, #16 * 14]
    add     sp, sp, #ARCH_REGS_SIZE
    eret
