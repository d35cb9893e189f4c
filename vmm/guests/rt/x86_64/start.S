// SPDX-License-Identifier: MIT
// Entry of the real-time guest on x86_64 (../rt.c): a raw binary the VMM loads at the VM's
// keel,load-address and starts, as its other raw guests, in flat 32-bit protected mode with
// paging and interrupts off (arch_vcpu_reset; its GDT is not one the guest can reload). The C
// code is 64-bit, so this goes to long mode with identity-mapped 2 MiB pages (static tables):
//
//   0x00000000-0x3fffffff  RAM                          write-back
//   0xc0000000-0xffffffff  devices (I/O APIC, LAPIC)    uncached (PCD, PWT)
//
// then clears .bss, builds the IDT (rt_x86_64_idt), calls rt_main() and powers off through the
// exit port at 0x501 (keel,exit-port, as ../../x86_64/guest.inc) with its return value as the
// status.

#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define CODE64 0x08
#define DATA 0x10
#define PDE_RAM 0xe3                // present, writable, accessed, dirty, 2 MiB
#define PDE_DEV (PDE_RAM | 0x18)    // and PWT, PCD
#define TABLE 0x23                  // present, writable, accessed

    .code32
    .section .text.start, "ax"
    .globl _start
_start:
    cli
    lgdt    gdt_desc
    movl    %cr4, %eax
    orl     $CR4_PAE, %eax
    movl    %eax, %cr4
    movl    $pml4, %eax
    movl    %eax, %cr3
    movl    $MSR_EFER, %ecx
    rdmsr
    orl     $EFER_LME, %eax
    wrmsr
    movl    %cr0, %eax
    orl     $CR0_PG, %eax
    movl    %eax, %cr0              // long mode active (EFER.LMA), still 32-bit code
    ljmp    $CODE64, $start64

    .code64
start64:
    movl    $DATA, %eax
    movl    %eax, %ds
    movl    %eax, %es
    movl    %eax, %ss
    leaq    __bss_start(%rip), %rdi
    leaq    __bss_end(%rip), %rcx
    subq    %rdi, %rcx
    shrq    $3, %rcx
    xorl    %eax, %eax
    rep stosq
    leaq    __stack_top(%rip), %rsp
    call    rt_x86_64_idt
    call    rt_main
    movw    $0x501, %dx
    outb    %al, %dx
1:  cli
    hlt
    jmp     1b

// Interrupts: the TSC first (rdtsc writes rax and rdx: those two are saved before it), then the
// other caller-saved registers around rt_x86_64_irq(entry, vector). Interrupts stay off in it
// (interrupt gates): no nesting. Nine pushes after the CPU's five words keep rsp 16-aligned.
// No x87/SSE state: the guest is built without.
    .globl rt_x86_64_timer_entry, rt_x86_64_uart_entry, rt_x86_64_spurious
rt_x86_64_timer_entry:
    pushq   %rax
    pushq   %rdx
    rdtsc                           // the handler's entry: what lateness is measured to
    pushq   %rcx
    movl    $0x40, %ecx
    jmp     irq
rt_x86_64_uart_entry:
    pushq   %rax
    pushq   %rdx
    rdtsc
    pushq   %rcx
    movl    $0x41, %ecx
irq:
    pushq   %rsi
    pushq   %rdi
    pushq   %r8
    pushq   %r9
    pushq   %r10
    pushq   %r11
    shlq    $32, %rdx
    orq     %rdx, %rax
    movq    %rax, %rdi
    movl    %ecx, %esi
    call    rt_x86_64_irq
    popq    %r11
    popq    %r10
    popq    %r9
    popq    %r8
    popq    %rdi
    popq    %rsi
    popq    %rcx
    popq    %rdx
    popq    %rax
rt_x86_64_spurious:                 // (any other vector: nothing to end at the LAPIC)
    iretq

// Exceptions 0-31, 16 bytes each: an error code (0 where the CPU pushes none) and the vector,
// then rt_x86_64_exception(frame), which says which and powers off.
    .globl rt_x86_64_exceptions
    .balign 16
rt_x86_64_exceptions:
    .set    vector, 0
    .rept   32
    .balign 16
    .set    code, vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21
    .if     !(code || vector == 29 || vector == 30)
    pushq   $0
    .endif
    pushq   $vector
    jmp     exception
    .set    vector, vector + 1
    .endr
exception:
    movq    %rsp, %rdi              // vector, error code, rip, cs, rflags
    andq    $-16, %rsp
    call    rt_x86_64_exception
2:  hlt
    jmp     2b

    .section .rodata.pagetables, "a"
    .balign 4096
pml4:
    .quad   pdpt + TABLE
    .fill   511, 8, 0
pdpt:
    .quad   pd_ram + TABLE
    .quad   0, 0
    .quad   pd_dev + TABLE
    .fill   508, 8, 0
pd_ram:
    .set    page, 0
    .rept   512
    .quad   page + PDE_RAM
    .set    page, page + 0x200000
    .endr
pd_dev:
    .set    page, 0xc0000000
    .rept   512
    .quad   page + PDE_DEV
    .set    page, page + 0x200000
    .endr

    .balign 8
gdt:
    .quad   0
    .quad   0x00af9a000000ffff      // 0x08: code, 64-bit
    .quad   0x00cf92000000ffff      // 0x10: data
gdt_desc:
    .word   gdt_desc - gdt - 1
    .quad   gdt

    .section .note.GNU-stack, "", @progbits     // (no executable stack: the host ld warns)
