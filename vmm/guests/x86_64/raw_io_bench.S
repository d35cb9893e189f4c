// SPDX-License-Identifier: MIT
// A bare-metal x86_64 guest that measures VM exits (32-bit protected mode, like raw_hello.S):
// 10 000 reads of the emulated 16550's line status register at port 0x3fd (each one an IOIO exit
// to the user-level VMM, its emulation and the resume), 10 000 reads of a virtio-mmio device's
// magic-value register (each one a nested page fault: the VMM reads the instruction back through
// the guest's paging, decodes it and asks the device model), then 10 000 VMMCALLs the kernel answers itself,
// each timed with the TSC (one tick per instruction under QEMU -icount shift=0). It prints
// "bench: io-read <ticks>", "bench: mmio-read <ticks>" and "bench: vmmcall-null <ticks>" in hex
// and powers off with status 0 through the exit port.

#include "guest.inc"

    .globl _start
_start:
    movl    $0x100000, %esp
    movw    $0x3fd, %dx
    inb     %dx, %al                // warm up
    rdtsc
    movl    %eax, %esi
    movw    $0x3fd, %dx
    movl    $10000, %ecx
1:  inb     %dx, %al
    decl    %ecx
    jnz     1b
    rdtsc
    subl    %esi, %eax
    movl    %eax, %ebx
    movl    $io_read, %esi
    call    puts
    call    puthex
    movl    0xfeb00000, %eax        // warm up
    rdtsc
    movl    %eax, %esi
    movl    $10000, %ecx
3:  movl    0xfeb00000, %eax        // virtio-mmio MagicValue
    decl    %ecx
    jnz     3b
    rdtsc
    subl    %esi, %eax
    movl    %eax, %ebx
    movl    $mmio_read, %esi
    call    puts
    call    puthex
    movl    $hcall, %edi
    call    hypercall_patch
    rdtsc
    movl    %eax, %esi
    movl    $10000, %ecx
2:  movl    $0x4b4c0000, %eax       // KEEL_X86_VMMCALL_NULL
hcall:
    vmmcall                         // (VMCALL on Intel: hypercall_patch)
    decl    %ecx
    jnz     2b
    rdtsc
    subl    %esi, %eax
    movl    %eax, %ebx
    movl    $vmmcall_null, %esi
    call    puts
    call    puthex
    xorl    %eax, %eax
    jmp     power_off

io_read:
    .asciz  "bench: io-read "
mmio_read:
    .asciz  "bench: mmio-read "
vmmcall_null:
    .asciz  "bench: vmmcall-null "
