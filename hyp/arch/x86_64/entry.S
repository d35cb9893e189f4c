// SPDX-License-Identifier: MIT
// Kernel entries (x86_64). Interrupts and exceptions come through 256 stubs (16 bytes each, indexed
// by vector) that push an error code where the CPU does not and the vector; the system call comes
// through `syscall` (LSTAR). Both build struct arch_regs: from user level at the top of the
// current thread's kernel stack (TSS.RSP0 / percpu kernel_sp), from the kernel (the idle loop
// only) on the current stack. GS holds struct percpu in the kernel, the user's base outside
// (swapgs on every crossing).
#include <arch/asm.h>

.macro push_regs
    pushq   %rax
    pushq   %rbx
    pushq   %rcx
    pushq   %rdx
    pushq   %rsi
    pushq   %rdi
    pushq   %rbp
    pushq   %r8
    pushq   %r9
    pushq   %r10
    pushq   %r11
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
.endm

.macro pop_regs
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %r11
    popq    %r10
    popq    %r9
    popq    %r8
    popq    %rbp
    popq    %rdi
    popq    %rsi
    popq    %rdx
    popq    %rcx
    popq    %rbx
    popq    %rax
.endm

.altmacro
.macro stub vec
    .balign 16
    .if \vec == 8 || (\vec >= 10 && \vec <= 14) || \vec == 17 || \vec == 21 || \vec == 29 || \vec == 30
    .else
    pushq   $0                      // no error code from the CPU
    .endif
    pushq   $\vec
    jmp     common_entry
.endm

    .text
    .balign 16
    .globl arch_idt_stubs
arch_idt_stubs:
    .set i, 0
    .rept 256
    stub %i
    .set i, i + 1
    .endr

common_entry:
    testb   $3, 24(%rsp)            // CS of the interrupted code: ring 3?
    jz      1f
    swapgs
1:  push_regs
    cld
    movq    %rsp, %rdi
    testb   $3, ARCH_REGS_CS(%rsp)
    jz      from_kernel
    call    arch_trap_user
    jmp     arch_return_to_user_frame

from_kernel:
    call    arch_trap_kernel
    pop_regs
    addq    $16, %rsp               // vector, error code
    iretq

// syscall: rcx = user rip, r11 = user rflags, interrupts off (FMASK), still on the user stack.
    .globl arch_syscall_entry
arch_syscall_entry:
    swapgs
    movq    %rsp, %gs:PERCPU_USER_SP
    movq    %gs:PERCPU_KERNEL_SP, %rsp
    pushq   $GDT_USER_DS            // ss
    pushq   %gs:PERCPU_USER_SP      // rsp
    pushq   %r11                    // rflags
    pushq   $GDT_USER_CS            // cs
    pushq   %rcx                    // rip
    pushq   $0                      // error code
    pushq   $VECTOR_SYSCALL
    push_regs
    cld
    movq    %rsp, %rdi
    call    syscall_entry
    // fall through

// Leaves the kernel to the user frame at rsp (the top of this thread's kernel stack): sysret for
// a frame the syscall entry made (rcx and r11 are the ABI's scratch registers there), iretq else.
    .globl arch_return_to_user_frame
arch_return_to_user_frame:
    cmpq    $VECTOR_SYSCALL, ARCH_REGS_VECTOR(%rsp)
    jne     2f
    movq    ARCH_REGS_VECTOR + 16(%rsp), %rax
    shrq    $47, %rax               // sysret faults in ring 0 on a non-canonical rip
    jnz     2f
    pop_regs
    movq    16(%rsp), %rcx          // rip
    movq    32(%rsp), %r11          // rflags
    movq    40(%rsp), %rsp          // the user stack
    swapgs
    sysretq
2:  pop_regs
    addq    $16, %rsp
    swapgs
    iretq
    .section .note.GNU-stack, "", @progbits
