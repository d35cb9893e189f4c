// SPDX-License-Identifier: MIT
// arm64 entry: a Linux Image header, so QEMU -kernel, U-Boot booti and other Linux loaders start
// Keel unchanged. Entered at EL2 with the MMU off and x0 = physical address of the device tree.

    .section .text.head, "ax"
    .globl _head
_head:
    b       primary_entry           // code0
    .long   0                       // code1
    .quad   0x200000                // text_offset: loaded 2 MiB above a 2 MiB-aligned RAM base
    .quad   _image_end - _head      // image_size, including .bss
    .quad   0x2                     // flags: little endian, 4 KiB pages, base close to RAM start
    .quad   0, 0, 0                 // reserved
    .ascii  "ARM\x64"               // magic
    .long   0                       // reserved

primary_entry:
    msr     daifset, #0xf
    mrs     x1, CurrentEL
    cmp     x1, #(2 << 2)
    b.ne    wrong_el                // Keel needs EL2 (QEMU: -machine virt,virtualization=on)
    mov     x19, x0
    adrp    x1, boot_stack_top
    add     x1, x1, :lo12:boot_stack_top
    mov     sp, x1
    adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    adrp    x2, __bss_end
    add     x2, x2, :lo12:__bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:  mov     x0, x19
    bl      kern_main
wrong_el:
    wfe
    b       wrong_el

// Secondary CPUs (PSCI CPU_ON): x0 = the top of this CPU's idle stack, MMU off, EL2.
    .globl arch_secondary_entry
arch_secondary_entry:
    msr     daifset, #0xf
    mov     sp, x0
    bl      arch_mmu_enable
    bl      kern_secondary_main
    b       wrong_el

    .section .bss.stack, "aw", %nobits
    .balign 16
    .space  16384
boot_stack_top:
