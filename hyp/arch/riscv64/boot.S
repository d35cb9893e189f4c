// SPDX-License-Identifier: MIT
// riscv64 entry: a Linux RISC-V Image header, so OpenSBI, QEMU -kernel and U-Boot booti start Keel
// unchanged. Entered in HS-mode with paging off, a0 = hart id, a1 = physical address of the DT.

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
    la      sp, boot_stack_top
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:  mv      s0, a0
    mv      a0, a1
    call    kern_main
3:  wfi
    j       3b

    .section .bss.stack, "aw", @nobits
    .balign 16
    .space  16384
boot_stack_top:
