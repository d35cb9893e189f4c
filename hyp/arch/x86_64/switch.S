// SPDX-License-Identifier: MIT
// Kernel context switch: arch_context_switch(from, to) saves the callee-saved registers, the stack
// pointer and where to resume into *from and continues where *to stopped (or at its entry).

    .text
    .globl arch_context_switch
arch_context_switch:
    movq    %rbx, 0(%rdi)
    movq    %rbp, 8(%rdi)
    movq    %r12, 16(%rdi)
    movq    %r13, 24(%rdi)
    movq    %r14, 32(%rdi)
    movq    %r15, 40(%rdi)
    movq    %rsp, 48(%rdi)
    leaq    1f(%rip), %rax
    movq    %rax, 56(%rdi)
    movq    0(%rsi), %rbx
    movq    8(%rsi), %rbp
    movq    16(%rsi), %r12
    movq    24(%rsi), %r13
    movq    32(%rsi), %r14
    movq    40(%rsi), %r15
    movq    48(%rsi), %rsp
    jmp     *56(%rsi)
1:  ret

// A thread's first run after arch_context_init: r12 holds the C function to call with the frame
// (rsp, 16-byte aligned); then to user level through the frame.
    .globl arch_thread_trampoline
arch_thread_trampoline:
    movq    %rsp, %rdi
    call    *%r12
    jmp     arch_return_to_user_frame

// arch_continue_on(frame, fn): fn(frame) on the stack below frame (16-byte aligned), then to user
// level through it.
    .globl arch_continue_on
arch_continue_on:
    movq    %rdi, %rsp
    call    *%rsi
    jmp     arch_return_to_user_frame
    .section .note.GNU-stack, "", @progbits
