// SPDX-License-Identifier: MIT
// vmx_enter(gpr, launched): runs the guest of the current VMCS until a VM exit, with its general
// registers from gpr[16] (by encoding; rsp lives in the VMCS) and back into it. VMLAUNCH for a
// VMCS that has not been launched since it was cleared, else VMRESUME. The VM exit comes to
// vmx_exit_point (HOST_RIP) with the stack as it was at the entry (HOST_RSP, written here): the
// gpr pointer on top. Returns 0 after a VM exit, 1 (VMfailInvalid) or 2 (VMfailValid) when the
// instruction did not enter (the guest's registers then stay in gpr as they were).
// Host interrupts stay off: with external-interrupt exiting, an interrupt ends the run and waits
// in the local APIC until the caller takes it.

#define VMCS_HOST_RSP 0x6c14

    .text
    .globl vmx_enter
vmx_enter:
    pushq   %rbp
    pushq   %rbx
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    pushq   %rdi                    // gpr
    movl    $VMCS_HOST_RSP, %eax
    vmwrite %rsp, %rax
    testq   %rsi, %rsi              // launched? (ZF stays through the moves below)
    movq    0(%rdi), %rax
    movq    8(%rdi), %rcx
    movq    16(%rdi), %rdx
    movq    24(%rdi), %rbx
    movq    40(%rdi), %rbp
    movq    48(%rdi), %rsi
    movq    64(%rdi), %r8
    movq    72(%rdi), %r9
    movq    80(%rdi), %r10
    movq    88(%rdi), %r11
    movq    96(%rdi), %r12
    movq    104(%rdi), %r13
    movq    112(%rdi), %r14
    movq    120(%rdi), %r15
    movq    56(%rdi), %rdi
    jnz     1f
    vmlaunch
    jmp     2f
1:  vmresume
2:  // Not entered: CF (VMfailInvalid) or ZF (VMfailValid).
    movl    $2, %eax
    jnc     3f
    movl    $1, %eax
3:  addq    $8, %rsp                // gpr
    jmp     4f

    .globl vmx_exit_point
vmx_exit_point:
    pushq   %rdi
    movq    8(%rsp), %rdi           // gpr
    popq    56(%rdi)
    movq    %rax, 0(%rdi)
    movq    %rcx, 8(%rdi)
    movq    %rdx, 16(%rdi)
    movq    %rbx, 24(%rdi)
    movq    %rbp, 40(%rdi)
    movq    %rsi, 48(%rdi)
    movq    %r8, 64(%rdi)
    movq    %r9, 72(%rdi)
    movq    %r10, 80(%rdi)
    movq    %r11, 88(%rdi)
    movq    %r12, 96(%rdi)
    movq    %r13, 104(%rdi)
    movq    %r14, 112(%rdi)
    movq    %r15, 120(%rdi)
    addq    $8, %rsp                // gpr
    xorl    %eax, %eax
4:  popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbx
    popq    %rbp
    ret

    .section .note.GNU-stack, "", @progbits
