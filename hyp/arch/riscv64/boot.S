// SPDX-License-Identifier: MIT
// riscv64 entry: a Linux RISC-V Image header, so OpenSBI, QEMU -kernel and U-Boot booti start Keel
// unchanged. Entered in HS-mode with paging off, a0 = hart id, a1 = physical address of the DT.
// Keel is linked at KERNEL_OFFSET + its physical address: the code (medany, PC-relative) runs at
// the physical address until paging is on, then continues at the linked address.
#include <arch/asm.h>

    .section .text.head, "ax"
    .option push
    .option norvc
    .globl _head
_head:
    j       primary_entry           // code0 (4 bytes: no compressed jump here)
    .word   0                       // code1
    .dword  0x200000                // text_offset
    .dword  _image_end - _head      // image_size, including .bss
    .dword  0                       // flags: little endian
    .word   2                       // header version 0.2
    .word   0
    .dword  0
    .ascii  "RISCV\0\0\0"           // magic (deprecated)
    .ascii  "RSC\x05"               // magic2
    .word   0
    .option pop

primary_entry:
    csrw    sie, zero
    csrw    sip, zero
    // One hart boots. Firmware should send only one here (the others wait in SBI HSM until
    // hart_start sends them to arch_secondary_entry), but a second one arrived once (a gate run,
    // session 20: two boot banners, the BSS zeroed under the first, a panic): a later one goes
    // back to the firmware, stopped, for hart_start to send where it belongs.
    la      t0, boot_lottery
    li      t1, 1
    amoadd.w t1, t1, (t0)
    bnez    t1, lost_lottery
    mv      s0, a0                  // hart id
    mv      s1, a1                  // device tree (physical)
    la      t0, __bss_start         // (physical addresses while paging is off)
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:  call    boot_build_page_table   // boot_pt: identity for this gigapage + all PA high
    call    enable_paging
    la      sp, boot_stack_top      // now the linked (high) address
    mv      a0, s1
    li      t0, KERNEL_OFFSET
    add     a0, a0, t0              // device tree, kernel virtual
    mv      a1, s0
    call    kern_main_riscv
3:  wfi
    j       3b

lost_lottery:
    li      a7, 0x48534d            // SBI HSM
    li      a6, 1                   // hart_stop: does not return when it succeeds
    ecall
7:  wfi
    j       7b

// Turns on Sv39 with boot_pt and continues at the linked address of the caller (ra + offset).
enable_paging:
    la      t0, boot_pt
    srli    t0, t0, 12
    li      t1, 8 << 60             // Sv39
    or      t0, t0, t1
    sfence.vma
    csrw    satp, t0
    sfence.vma
    li      t0, KERNEL_OFFSET
    la      t1, 4f
    bgeu    t1, t0, 4f              // already high
    add     t1, t1, t0
    add     ra, ra, t0
    jr      t1
4:  ret

// Fills boot_pt (paging off, so PC-relative addresses are physical).
boot_build_page_table:
    la      t0, boot_pt
    li      t1, 0                   // gigapage index
    li      t2, 256
5:  slli    t3, t1, 28              // PPN of gigapage i: (i << 30) >> 12 << 10 = i << 28
    ori     t3, t3, 0xef            // V R W X G A D (no U)
    slli    t4, t1, 3
    add     t4, t4, t0
    li      t5, 256 * 8
    add     t4, t4, t5              // upper half: entries 256..511
    sd      t3, 0(t4)
    addi    t1, t1, 1
    blt     t1, t2, 5b
    la      t1, _head               // identity entry for the gigapage Keel runs in (for the jump)
    srli    t1, t1, 30
    slli    t3, t1, 28
    ori     t3, t3, 0xef
    slli    t4, t1, 3
    add     t4, t4, t0
    sd      t3, 0(t4)
    ret

// Secondary harts (SBI HSM hart_start): a0 = hart id, a1 = kernel-virtual stack top.
    .globl arch_secondary_entry
arch_secondary_entry:
    csrw    sie, zero
    mv      s0, a0
    mv      s1, a1
    call    enable_paging
    mv      sp, s1
    mv      a0, s0
    call    kern_secondary_riscv
6:  wfi
    j       6b

    .section .data
    .balign 4
boot_lottery:                       // (not in the BSS: the winner zeroes that)
    .word   0

    .section .bss.stack, "aw", @nobits
    .balign 16
    .space  16384
    .globl boot_stack_top
boot_stack_top:
    .balign 4096
    .globl boot_pt
boot_pt:
    .space  4096
