// SPDX-License-Identifier: MIT
// The trap vector (stvec). In user mode sscratch holds this CPU's struct percpu (its arch part:
// the kernel stack top of the current thread); in the kernel tp holds it and sscratch is zero, which
// tells a trap from the kernel (only the idle loop takes interrupts) from one from user level.
#include <arch/asm.h>

.macro save_regs base
    sd      x1, 1 * 8(\base)
    sd      x3, 3 * 8(\base)
    sd      x5, 5 * 8(\base)
    sd      x6, 6 * 8(\base)
    sd      x7, 7 * 8(\base)
    sd      x8, 8 * 8(\base)
    sd      x9, 9 * 8(\base)
    sd      x10, 10 * 8(\base)
    sd      x11, 11 * 8(\base)
    sd      x12, 12 * 8(\base)
    sd      x13, 13 * 8(\base)
    sd      x14, 14 * 8(\base)
    sd      x15, 15 * 8(\base)
    sd      x16, 16 * 8(\base)
    sd      x17, 17 * 8(\base)
    sd      x18, 18 * 8(\base)
    sd      x19, 19 * 8(\base)
    sd      x20, 20 * 8(\base)
    sd      x21, 21 * 8(\base)
    sd      x22, 22 * 8(\base)
    sd      x23, 23 * 8(\base)
    sd      x24, 24 * 8(\base)
    sd      x25, 25 * 8(\base)
    sd      x26, 26 * 8(\base)
    sd      x27, 27 * 8(\base)
    sd      x28, 28 * 8(\base)
    sd      x29, 29 * 8(\base)
    sd      x30, 30 * 8(\base)
    sd      x31, 31 * 8(\base)
.endm

.macro load_regs base
    ld      x1, 1 * 8(\base)
    ld      x3, 3 * 8(\base)
    ld      x5, 5 * 8(\base)
    ld      x6, 6 * 8(\base)
    ld      x7, 7 * 8(\base)
    ld      x8, 8 * 8(\base)
    ld      x9, 9 * 8(\base)
    ld      x10, 10 * 8(\base)
    ld      x11, 11 * 8(\base)
    ld      x12, 12 * 8(\base)
    ld      x13, 13 * 8(\base)
    ld      x14, 14 * 8(\base)
    ld      x15, 15 * 8(\base)
    ld      x16, 16 * 8(\base)
    ld      x17, 17 * 8(\base)
    ld      x18, 18 * 8(\base)
    ld      x19, 19 * 8(\base)
    ld      x20, 20 * 8(\base)
    ld      x21, 21 * 8(\base)
    ld      x22, 22 * 8(\base)
    ld      x23, 23 * 8(\base)
    ld      x24, 24 * 8(\base)
    ld      x25, 25 * 8(\base)
    ld      x26, 26 * 8(\base)
    ld      x27, 27 * 8(\base)
    ld      x28, 28 * 8(\base)
    ld      x29, 29 * 8(\base)
    ld      x30, 30 * 8(\base)
    ld      x31, 31 * 8(\base)
.endm

    .text
    .balign 4
    .globl arch_trap_vector
arch_trap_vector:
    csrrw   tp, sscratch, tp        // tp = percpu (from user) or 0 (from the kernel)
    beqz    tp, from_kernel
    sd      sp, PERCPU_USER_SP(tp)
    ld      sp, PERCPU_KERNEL_SP(tp)
    addi    sp, sp, -ARCH_REGS_SIZE
    save_regs sp
    ld      t0, PERCPU_USER_SP(tp)
    sd      t0, 2 * 8(sp)
    csrrw   t0, sscratch, zero      // the user's tp; sscratch = 0 while in the kernel
    sd      t0, 4 * 8(sp)
    csrr    t0, sepc
    sd      t0, ARCH_REGS_PC(sp)
    csrr    t0, sstatus
    sd      t0, ARCH_REGS_STATUS(sp)
    mv      a0, sp
    csrr    t0, scause
    li      t1, 8                   // ecall from U-mode: the system call has its own handler
    beq     t0, t1, 1f
    call    arch_trap_user
    j       arch_return_to_user_frame
1:  call    arch_syscall
    // fall through: return to user with the frame at sp

    .globl arch_return_to_user_frame
arch_return_to_user_frame:
    ld      t0, ARCH_REGS_PC(sp)
    csrw    sepc, t0
    ld      t0, ARCH_REGS_STATUS(sp)
    li      t1, ~(1 << 8)           // SPP = user
    and     t0, t0, t1
    ori     t0, t0, 1 << 5          // SPIE: interrupts on in user mode
    csrw    sstatus, t0
    addi    t0, sp, ARCH_REGS_SIZE
    sd      t0, PERCPU_KERNEL_SP(tp)
    csrw    sscratch, tp
    ld      tp, 4 * 8(sp)
    load_regs sp
    ld      sp, 2 * 8(sp)
    sret

from_kernel:
    csrrw   tp, sscratch, tp        // tp = percpu again, sscratch = 0
    addi    sp, sp, -ARCH_REGS_SIZE
    save_regs sp
    csrr    t0, sepc
    sd      t0, ARCH_REGS_PC(sp)
    csrr    t0, sstatus
    sd      t0, ARCH_REGS_STATUS(sp)
    mv      a0, sp
    call    arch_trap_kernel
    ld      t0, ARCH_REGS_PC(sp)
    csrw    sepc, t0
    ld      t0, ARCH_REGS_STATUS(sp)
    csrw    sstatus, t0
    load_regs sp
    addi    sp, sp, ARCH_REGS_SIZE
    sret
