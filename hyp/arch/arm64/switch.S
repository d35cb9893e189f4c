// SPDX-License-Identifier: MIT
// Kernel context switch: arch_context_switch(from, to) saves the callee-saved registers and the
// stack pointer into *from and continues where *to stopped (or at its entry, for a new thread).

    .text
    .globl arch_context_switch
arch_context_switch:
    stp     x19, x20, [x0, #16 * 0]
    stp     x21, x22, [x0, #16 * 1]
    stp     x23, x24, [x0, #16 * 2]
    stp     x25, x26, [x0, #16 * 3]
    stp     x27, x28, [x0, #16 * 4]
    stp     x29, x30, [x0, #16 * 5]
    mov     x2, sp
    str     x2, [x0, #16 * 6]
    ldp     x19, x20, [x1, #16 * 0]
    ldp     x21, x22, [x1, #16 * 1]
    ldp     x23, x24, [x1, #16 * 2]
    ldp     x25, x26, [x1, #16 * 3]
    ldp     x27, x28, [x1, #16 * 4]
    ldp     x29, x30, [x1, #16 * 5]
    ldr     x2, [x1, #16 * 6]
    mov     sp, x2
    ret

// A thread's first run after arch_context_init: x19 holds the C function to call, sp is the frame.
    .globl arch_thread_trampoline
arch_thread_trampoline:
    mov     x0, sp
    blr     x19
    b       arch_return_to_user_frame

// arch_continue_on(frame, fn): fn(frame) on the stack below frame, then to user level through it.
    .globl arch_continue_on
arch_continue_on:
    mov     sp, x0
    blr     x1
    b       arch_return_to_user_frame
