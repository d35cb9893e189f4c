// SPDX-License-Identifier: MIT
// Entering and leaving a guest (extended vCPU mode, H extension). arch_guest_enter(x) keeps the
// kernel's callee-saved registers and x (the guest's registers: the VMM's state area, which any
// of its threads may write, so nothing of the kernel's is ever kept there) in a frame on its
// stack, points sscratch at that frame, loads the guest's registers from x and returns to the
// guest with sret (sepc, sstatus.SPP and hstatus.SPV set by the caller). While the guest runs,
// stvec is arch_guest_vector: every trap from the guest comes there, finds the frame in
// sscratch, stores the guest's registers in x, and arch_guest_enter returns scause. The
// kernel's own trap entry (trap.S) is not involved.

#define FRAME (18 * 8)            // 15 registers, x, a scratch word; sp stays 16-byte aligned
#define F_X (15 * 8)
#define F_SCRATCH (16 * 8)

    .text
    .globl arch_guest_enter
arch_guest_enter:
    addi    sp, sp, -FRAME
    sd      ra, 0 * 8(sp)
    sd      s0, 1 * 8(sp)
    sd      s1, 2 * 8(sp)
    sd      s2, 3 * 8(sp)
    sd      s3, 4 * 8(sp)
    sd      s4, 5 * 8(sp)
    sd      s5, 6 * 8(sp)
    sd      s6, 7 * 8(sp)
    sd      s7, 8 * 8(sp)
    sd      s8, 9 * 8(sp)
    sd      s9, 10 * 8(sp)
    sd      s10, 11 * 8(sp)
    sd      s11, 12 * 8(sp)
    sd      tp, 13 * 8(sp)          // this CPU's percpu
    sd      gp, 14 * 8(sp)
    sd      a0, F_X(sp)
    csrw    sscratch, sp
    ld      x1, 1 * 8(a0)
    ld      x2, 2 * 8(a0)
    ld      x3, 3 * 8(a0)
    ld      x4, 4 * 8(a0)
    ld      x5, 5 * 8(a0)
    ld      x6, 6 * 8(a0)
    ld      x7, 7 * 8(a0)
    ld      x8, 8 * 8(a0)
    ld      x9, 9 * 8(a0)
    ld      x11, 11 * 8(a0)
    ld      x12, 12 * 8(a0)
    ld      x13, 13 * 8(a0)
    ld      x14, 14 * 8(a0)
    ld      x15, 15 * 8(a0)
    ld      x16, 16 * 8(a0)
    ld      x17, 17 * 8(a0)
    ld      x18, 18 * 8(a0)
    ld      x19, 19 * 8(a0)
    ld      x20, 20 * 8(a0)
    ld      x21, 21 * 8(a0)
    ld      x22, 22 * 8(a0)
    ld      x23, 23 * 8(a0)
    ld      x24, 24 * 8(a0)
    ld      x25, 25 * 8(a0)
    ld      x26, 26 * 8(a0)
    ld      x27, 27 * 8(a0)
    ld      x28, 28 * 8(a0)
    ld      x29, 29 * 8(a0)
    ld      x30, 30 * 8(a0)
    ld      x31, 31 * 8(a0)
    ld      a0, 10 * 8(a0)
    sret

    .balign 4
    .globl arch_guest_vector
arch_guest_vector:
    csrrw   sp, sscratch, sp        // sp = the kernel's frame, sscratch = the guest's sp
    sd      t0, F_SCRATCH(sp)
    ld      t0, F_X(sp)             // t0 = x
    sd      x1, 1 * 8(t0)
    sd      x3, 3 * 8(t0)
    sd      x4, 4 * 8(t0)
    sd      x6, 6 * 8(t0)
    sd      x7, 7 * 8(t0)
    sd      x8, 8 * 8(t0)
    sd      x9, 9 * 8(t0)
    sd      x10, 10 * 8(t0)
    sd      x11, 11 * 8(t0)
    sd      x12, 12 * 8(t0)
    sd      x13, 13 * 8(t0)
    sd      x14, 14 * 8(t0)
    sd      x15, 15 * 8(t0)
    sd      x16, 16 * 8(t0)
    sd      x17, 17 * 8(t0)
    sd      x18, 18 * 8(t0)
    sd      x19, 19 * 8(t0)
    sd      x20, 20 * 8(t0)
    sd      x21, 21 * 8(t0)
    sd      x22, 22 * 8(t0)
    sd      x23, 23 * 8(t0)
    sd      x24, 24 * 8(t0)
    sd      x25, 25 * 8(t0)
    sd      x26, 26 * 8(t0)
    sd      x27, 27 * 8(t0)
    sd      x28, 28 * 8(t0)
    sd      x29, 29 * 8(t0)
    sd      x30, 30 * 8(t0)
    sd      x31, 31 * 8(t0)
    ld      t1, F_SCRATCH(sp)
    sd      t1, 5 * 8(t0)           // the guest's t0
    csrr    t1, sscratch
    sd      t1, 2 * 8(t0)           // the guest's sp
    sd      zero, 0(t0)             // (x0 reads back 0)
    csrw    sscratch, zero          // as trap.S expects in the kernel
    ld      ra, 0 * 8(sp)
    ld      s0, 1 * 8(sp)
    ld      s1, 2 * 8(sp)
    ld      s2, 3 * 8(sp)
    ld      s3, 4 * 8(sp)
    ld      s4, 5 * 8(sp)
    ld      s5, 6 * 8(sp)
    ld      s6, 7 * 8(sp)
    ld      s7, 8 * 8(sp)
    ld      s8, 9 * 8(sp)
    ld      s9, 10 * 8(sp)
    ld      s10, 11 * 8(sp)
    ld      s11, 12 * 8(sp)
    ld      tp, 13 * 8(sp)
    ld      gp, 14 * 8(sp)
    addi    sp, sp, FRAME
    csrr    a0, scause
    ret
