// SPDX-License-Identifier: MIT
// x86_64 entry: a multiboot (v1) header with the address fields (flag 16), so QEMU -kernel, GRUB
// and other multiboot loaders load keel.bin, a flat image, at 1 MiB without reading its ELF form
// (QEMU refuses 64-bit ELF for multiboot). Entered in 32-bit protected mode, paging off, eax =
// multiboot magic, ebx = physical address of the multiboot information. Builds the boot page
// tables (0-4 GiB identity, the same at DIRECT_MAP_BASE, the first GiB at KERNEL_IMAGE_BASE),
// turns on long mode and continues at the linked (high) address in C.
#include <arch/asm.h>

#define PHYS(x) ((x) - KERNEL_IMAGE_BASE)
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00010003 // modules page aligned, memory information, address fields
#define PTE_PRESENT_RW 0x3
#define PDE_2M 0x83         // present, writable, 2 MiB page
#define CR0_PE (1 << 0)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define CR4_PGE (1 << 7)

    .section .text.head, "ax"
    .code32
    .globl _head
_head:
mb_header:
    .long   MB_MAGIC
    .long   MB_FLAGS
    .long   -(MB_MAGIC + MB_FLAGS)
    .long   PHYS(mb_header)         // header_addr
    .long   PHYS(_head)             // load_addr: the file from here on
    .long   PHYS(_load_end)         // load_end_addr
    .long   PHYS(_image_end)        // bss_end_addr: the loader zeroes up to here
    .long   PHYS(entry32)           // entry_addr

entry32:
    cli
    cld
    movl    %eax, %esi              // multiboot magic
    movl    %ebx, %ebp              // multiboot information (physical)
    movl    $PHYS(boot_stack_top), %esp
    movl    $PHYS(__bss_start), %edi
    movl    $PHYS(__bss_end), %ecx
    subl    %edi, %ecx
    shrl    $2, %ecx
    xorl    %eax, %eax
    rep stosl
    // Boot page directories: 2048 entries of 2 MiB map 0-4 GiB.
    movl    $PHYS(boot_pd), %edi
    movl    $PDE_2M, %eax
    xorl    %edx, %edx
    movl    $2048, %ecx
1:  movl    %eax, (%edi)
    movl    %edx, 4(%edi)
    addl    $0x200000, %eax
    adcl    $0, %edx
    addl    $8, %edi
    loop    1b
    // One PDPT for identity and direct map (4 entries), one for the image (entry 510: -2 GiB).
    movl    $PHYS(boot_pd) + PTE_PRESENT_RW, %eax
    movl    %eax, PHYS(boot_pdpt_low)
    movl    %eax, PHYS(boot_pdpt_high) + 510 * 8
    addl    $4096, %eax
    movl    %eax, PHYS(boot_pdpt_low) + 8
    addl    $4096, %eax
    movl    %eax, PHYS(boot_pdpt_low) + 16
    addl    $4096, %eax
    movl    %eax, PHYS(boot_pdpt_low) + 24
    movl    $PHYS(boot_pdpt_low) + PTE_PRESENT_RW, %eax
    movl    %eax, PHYS(boot_pml4)
    movl    %eax, PHYS(boot_pml4) + 256 * 8
    movl    $PHYS(boot_pdpt_high) + PTE_PRESENT_RW, %eax
    movl    %eax, PHYS(boot_pml4) + 511 * 8
    // Long mode: PAE, page tables, EFER.LME (+NXE when the CPU has it, SCE for syscall), paging.
    movl    %cr4, %eax
    orl     $(CR4_PAE | CR4_PGE), %eax
    movl    %eax, %cr4
    movl    $PHYS(boot_pml4), %eax
    movl    %eax, %cr3
    movl    $0x80000001, %eax
    cpuid
    movl    $0x101, %ebx            // LME | SCE
    btl     $20, %edx
    jnc     2f
    orl     $0x800, %ebx            // NXE
2:  movl    $0xc0000080, %ecx
    rdmsr
    orl     %ebx, %eax
    wrmsr
    movl    %cr0, %eax
    orl     $(CR0_PE | CR0_WP | CR0_PG), %eax
    movl    %eax, %cr0
    lgdt    PHYS(boot_gdt_ptr)
    ljmp    $GDT_KERNEL_CS, $PHYS(entry64_low)

    .code64
entry64_low:
    movabs  $entry64, %rax
    jmp     *%rax

    .balign 8
boot_gdt:
    .quad   0
    .quad   0x00af9a000000ffff      // 0x08: 64-bit code, ring 0
    .quad   0x00cf92000000ffff      // 0x10: data, ring 0
boot_gdt_ptr:
    .word   boot_gdt_ptr - boot_gdt - 1
    .long   PHYS(boot_gdt)

    .text
entry64:
    movl    $GDT_KERNEL_DS, %eax
    movl    %eax, %ds
    movl    %eax, %es
    movl    %eax, %ss
    xorl    %eax, %eax
    movl    %eax, %fs
    movl    %eax, %gs
    leaq    boot_stack_top(%rip), %rsp
    movl    %esi, %edi              // (32-bit moves zero-extend) the magic
    movl    %ebp, %esi              // the multiboot information's address
    call    kern_main_x86
3:  cli
    hlt
    jmp     3b

    .section .bss.stack, "aw", @nobits
    .balign 4096
    .globl boot_pml4
boot_pml4:
    .space  4096
    .globl boot_pdpt_low
boot_pdpt_low:
    .space  4096
boot_pdpt_high:
    .space  4096
    .globl boot_pd
boot_pd:
    .space  4 * 4096
    .space  16384
    .globl boot_stack_top
boot_stack_top:
    .section .note.GNU-stack, "", @progbits
