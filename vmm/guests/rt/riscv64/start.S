// SPDX-License-Identifier: MIT
// Entry of the real-time guest on riscv64 (../rt.c): a raw binary the VMM loads at the VM's
// keel,load-address and starts in VS-mode with translation off and interrupts off. It clears
// .bss, installs the trap vector, calls rt_main() and stops the VM through SBI SRST (shutdown)
// with its return value as the status.

    .section .text.start, "ax"
    .globl _start
_start:
    lla     sp, __stack_top
    lla     t0, trap
    csrw    stvec, t0
    lla     t0, __bss_start
    lla     t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:  call    rt_main
    mv      a1, a0
    li      a0, 0                   // shutdown
    li      a7, 0x53525354          // SRST system_reset(type, status)
    li      a6, 0
    ecall
3:  j       3b

// Every trap: the time first, into tp (the compiler never allocates tp, and the guest has no
// threads), then the caller-saved registers around rt_riscv64_trap(entry, scause). Interrupts
// stay off in it (sstatus.SIE is cleared on entry): no nesting, sepc and sstatus need no saving.
    .balign 4
trap:
    rdtime  tp                      // the handler's entry: what lateness is measured to
    addi    sp, sp, -128
    sd      ra, 0(sp)
    sd      t0, 8(sp)
    sd      t1, 16(sp)
    sd      t2, 24(sp)
    sd      t3, 32(sp)
    sd      t4, 40(sp)
    sd      t5, 48(sp)
    sd      t6, 56(sp)
    sd      a0, 64(sp)
    sd      a1, 72(sp)
    sd      a2, 80(sp)
    sd      a3, 88(sp)
    sd      a4, 96(sp)
    sd      a5, 104(sp)
    sd      a6, 112(sp)
    sd      a7, 120(sp)
    mv      a0, tp
    csrr    a1, scause
    call    rt_riscv64_trap
    ld      ra, 0(sp)
    ld      t0, 8(sp)
    ld      t1, 16(sp)
    ld      t2, 24(sp)
    ld      t3, 32(sp)
    ld      t4, 40(sp)
    ld      t5, 48(sp)
    ld      t6, 56(sp)
    ld      a0, 64(sp)
    ld      a1, 72(sp)
    ld      a2, 80(sp)
    ld      a3, 88(sp)
    ld      a4, 96(sp)
    ld      a5, 104(sp)
    ld      a6, 112(sp)
    ld      a7, 120(sp)
    addi    sp, sp, 128
    sret
