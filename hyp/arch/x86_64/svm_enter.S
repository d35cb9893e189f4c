// SPDX-License-Identifier: MIT
// svm_enter(gpr, vmcb_pa, host_pa): runs the guest of the VMCB at vmcb_pa until a #VMEXIT, with its
// general registers from gpr[16] (by encoding; rax and rsp live in the VMCB) and back into it.
// VMRUN switches only part of the CPU: the rest of the host's (FS, GS, TR, LDTR, KernelGsBase and
// the system-call MSRs) goes to the page at host_pa (VMSAVE) and comes back from it (VMLOAD);
// the guest's come from and go to its VMCB. Host interrupts are on (IF) for the run: with
// V_INTR_MASKING the host's IF at VMRUN decides whether physical interrupts end the guest's run;
// GIF, clear until the caller sets it again (stgi), keeps them from the host meanwhile, so the
// interrupt that ended the run is taken once the caller is ready for it.

    .text
    .globl svm_enter
svm_enter:
    pushq   %rbp
    pushq   %rbx
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    pushq   %rdx                    // host_pa
    pushq   %rdi                    // gpr
    clgi
    movq    %rdx, %rax
    vmsave  %rax
    movq    %rsi, %rax              // vmcb_pa: VMLOAD and VMRUN take it in rax
    vmload  %rax
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
    sti
    vmrun   %rax
    cli
    // #VMEXIT: rax (vmcb_pa) and rsp are the host's again.
    vmsave  %rax
    pushq   %rdi
    movq    8(%rsp), %rdi           // gpr
    popq    56(%rdi)
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
    popq    %rdi
    popq    %rax                    // host_pa
    vmload  %rax
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbx
    popq    %rbp
    ret

    .section .note.GNU-stack, "", @progbits
