// SPDX-License-Identifier: MIT
// A bare-metal x86_64 guest that resets its VM once, to test the VMM's restart in place: on the
// first boot (CMOS byte 0x40 is 0) it writes 0x5a there and a canary into RAM at 3 MiB, then
// resets the system through the reset register (port 0xcf9, RST_CPU). The VMM restarts the VM:
// RAM zeroed and the image loaded again, the CMOS RAM kept (a battery's). On the second boot it
// powers off through the exit port with 60, + 1 if the canary is gone, + 2 if the CMOS byte
// stayed (it is how it knows it is the second boot: always), = 63. A reset that stopped the VM
// instead would end it with status 6; one that did not reload the image would not run here.

#include "guest.inc"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define MARK 0x40
#define CANARY 0x300000

    .globl _start
_start:
    movl    $0x100000, %esp         // the stack: below the image
    movb    $MARK, %al
    outb    %al, $CMOS_INDEX
    inb     $CMOS_DATA, %al
    cmpb    $0x5a, %al
    je      second
    movl    $first_msg, %esi
    call    puts
    movb    $MARK, %al
    outb    %al, $CMOS_INDEX
    movb    $0x5a, %al
    outb    %al, $CMOS_DATA
    movl    $0xdeadbeef, CANARY
    movw    $0xcf9, %dx
    movb    $0x06, %al              // RST_CPU | SYS_RST: the FADT's reset value
    outb    %al, %dx
1:  hlt                             // (the reset ends this run)
    jmp     1b

second:
    movl    $second_msg, %esi
    call    puts
    movl    $62, %eax               // 60, + 2: the CMOS byte stayed
    cmpl    $0, CANARY
    jne     2f
    incl    %eax                    // + 1: RAM was cleared
2:  jmp     power_off

first_msg:
    .asciz  "guest: first boot, resetting the system\n"
second_msg:
    .asciz  "guest: second boot, after the reset\n"
