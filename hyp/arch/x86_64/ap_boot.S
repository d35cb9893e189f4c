// SPDX-License-Identifier: MIT
// The other CPUs' first code (x86_64): copied to AP_TRAMPOLINE_PA by arch_cpu_start and entered
// there in real mode by a STARTUP IPI. Goes through protected mode to long mode with the boot page
// tables (which identity-map this page), takes its stack from the mailbox, says it arrived, and
// jumps to the kernel at its linked address. Every address here is AP_TRAMPOLINE_PA-relative.
#include <arch/asm.h>

#define REL(x) (AP_TRAMPOLINE_PA + (x) - ap_trampoline)

    .section .rodata.ap, "a"
    .globl ap_trampoline, ap_trampoline_end, ap_mailbox
    .code16
ap_trampoline:
    cli
    cld
    xorw    %ax, %ax
    movw    %ax, %ds
    lgdtl   REL(ap_gdt_ptr)
    movl    %cr0, %eax
    orl     $1, %eax                // PE
    movl    %eax, %cr0
    ljmpl   $0x18, $REL(ap32)

    .code32
ap32:
    movl    $GDT_KERNEL_DS, %eax
    movl    %eax, %ds
    movl    %eax, %es
    movl    %eax, %ss
    xorl    %eax, %eax
    movl    %eax, %fs
    movl    %eax, %gs
    movl    %cr4, %eax
    orl     $((1 << 5) | (1 << 7)), %eax // PAE, PGE
    movl    %eax, %cr4
    movl    REL(ap_mailbox), %eax   // cr3
    movl    %eax, %cr3
    movl    $0xc0000080, %ecx       // EFER as the boot CPU has it (LME, SCE, NXE)
    movl    REL(ap_mailbox) + 8, %eax
    xorl    %edx, %edx
    wrmsr
    movl    %cr0, %eax
    orl     $((1 << 31) | (1 << 16)), %eax // PG, WP
    movl    %eax, %cr0
    ljmpl   $GDT_KERNEL_CS, $REL(ap64)

    .code64
ap64:
    movq    REL(ap_mailbox) + 16, %rsp
    movq    $1, REL(ap_mailbox) + 32
    movq    REL(ap_mailbox) + 24, %rax
    jmpq    *%rax

    .balign 8
ap_gdt:
    .quad   0
    .quad   0x00af9a000000ffff      // 0x08: 64-bit code
    .quad   0x00cf92000000ffff      // 0x10: data
    .quad   0x00cf9a000000ffff      // 0x18: 32-bit code
ap_gdt_ptr:
    .word   ap_gdt_ptr - ap_gdt - 1
    .long   REL(ap_gdt)
    .balign 8
ap_mailbox:
    .quad   0, 0, 0, 0, 0           // cr3, efer, stack, entry, arrived (struct ap_mailbox)
ap_trampoline_end:
    .section .note.GNU-stack, "", @progbits
