// SPDX-License-Identifier: MIT
// A bare-metal x86_64 guest that misuses its platform (32-bit protected mode, its own GDT and
// IDT): ports with no device, MSRs it does not have, string I/O (which works as on hardware:
// through the UART, from a port with no device, into a read-only segment), the SVM instructions,
// MONITOR, MWAIT, XSETBV, RDPMC and WBINVD. Each must be answered as on a machine without them (reads of
// nothing all ones, #GP, #UD) and none may stop the VMM or touch the other VM. (Not ICEBP: QEMU
// 7.2 has no INT1, it raises #UD itself.)
// When every answer was right it says so, spins with interrupts off through 4 times the rounds
// the victim (raw_fp.S) needs of the same loop body, so that the victim finishes first only if the
// kernel takes the CPU away from this guest for it (a length in work, not in TSC ticks: Bochs
// counts about 70 million instructions a second, QEMU several times more), and, with its IDT gone,
// triple-faults, which must stop its own VM only; a wrong answer powers it off through the exit
// port with status 60 + the number of the check.

#include "guest.inc"

    .globl _start
_start:
    movl    $0x100000, %esp
    FLAT_SEGMENTS
    movl    $idt, %edi              // 32 gates: every vector to `unexpected`, 6 and 13 to theirs
    movl    $32, %ecx
    movl    $unexpected, %eax
    call    idt_fill
    movl    $idt + 6 * 8, %edi
    movl    $on_ud, %eax
    call    idt_set
    movl    $idt + 13 * 8, %edi
    movl    $on_gp, %eax
    call    idt_set
    lidt    idt_desc

    // 1: a port nobody has reads as all ones, and a write there is dropped.
    movw    $0x1234, %dx
    movb    $0x5a, %al
    outb    %al, %dx
    inb     %dx, %al
    movl    $1, %ebx
    cmpb    $0xff, %al
    jne     fail
    // 2: MSRs it does not have, EFER with a reserved bit, CR4 with PKE: #GP each.
    movl    $9f, resume
    movl    $0x12345678, %ecx
    rdmsr
9:  movl    $9f, resume
    movl    $0xc0000080, %ecx
    movl    $0x80000000, %eax
    xorl    %edx, %edx
    wrmsr
9:  movl    $9f, resume
    rdpmc
9:  movl    %cr4, %eax              // CR4 as it is: taken (the VMM emulates the write)
    movl    %eax, %cr4
    movl    $9f, resume
    orl     $0x400000, %eax         // PKE: its CPUID has no PKU
    movl    %eax, %cr4
9:  movl    $2, %ebx
    cmpl    $4, gp_count
    jne     fail
    movl    %cr4, %eax
    testl   $0x400000, %eax         // still off
    jnz     fail
    // 3: string I/O as on hardware: REP INSB from a port nobody has fills memory with all ones
    // and counts ECX and EDI; INSB into a read-only ES is #GP with nothing moved; REP OUTSB
    // writes a line through the UART. Then the instructions its CPUID does not offer: #UD each.
    movl    $3, %ebx
    cld
    movl    $strbuf, %edi
    movl    $4, %ecx
    movw    $0x1234, %dx
    rep insb
    cmpl    $0xffffffff, strbuf
    jne     fail
    testl   %ecx, %ecx
    jnz     fail
    cmpl    $strbuf + 4, %edi
    jne     fail
    movl    $9f, resume
    movl    $0x20, %eax
    movl    %eax, %es
    insb
9:  movl    $0x18, %eax
    movl    %eax, %es
    cmpl    $5, gp_count
    jne     fail
    cmpl    $strbuf + 4, %edi
    jne     fail
    movl    $string_line, %esi
    movl    $string_line_end - string_line, %ecx
    movw    $0x3f8, %dx
    rep outsb
    cmpl    $string_line_end, %esi
    jne     fail
    movl    $0x100000, %eax
    movl    $9f, resume
    vmrun
9:  movl    $9f, resume
    vmload
9:  movl    $9f, resume
    vmsave
9:  movl    $9f, resume
    clgi
9:  movl    $9f, resume
    stgi
9:  movl    $9f, resume
    skinit
9:  movl    $9f, resume
    invlpga
9:  movl    $9f, resume
    xorl    %ecx, %ecx
    monitor
9:  movl    $9f, resume
    mwait
9:  movl    $9f, resume
    xorl    %ecx, %ecx
    xorl    %edx, %edx
    movl    $1, %eax
    xsetbv
9:  cmpl    $10, ud_count
    jne     fail
    // 4: WBINVD goes on (nothing to write back: the VMM skips it).
    wbinvd
    movl    $message, %esi
    call    puts
    cli
    movl    %cr4, %eax
    orl     $(1 << 9), %eax         // OSFXSR: SSE on
    movl    %eax, %cr4
    movl    $5, %ebx                // 5: its SSE registers keep their value meanwhile
    movl    $0x5a5a1234, %ebp
    movl    %ebp, %eax
    movd    %eax, %xmm0
    pshufd  $0, %xmm0, %xmm0
    movdqa  %xmm0, %xmm7
    movl    $16000000, %edi         // 4x the victim's rounds of the same body, without its exits
12: movd    %xmm0, %eax
    cmpl    %eax, %ebp
    jne     fail
    psrldq  $12, %xmm7
    movd    %xmm7, %eax
    pshufd  $0, %xmm7, %xmm7
    cmpl    %eax, %ebp
    jne     fail
    decl    %edi
    jnz     12b
13: lidt    null_idt                // no IDT: an exception is a triple fault
    int3
10: jmp     10b
fail:
    leal    60(%ebx), %eax
off:
    jmp     power_off

// #GP (error code on the stack) and #UD: count, and go on at `resume`.
on_gp:
    incl    gp_count
    addl    $4, %esp
    jmp     1f
on_ud:
    incl    ud_count
1:  pushl   %eax
    movl    resume, %eax
    movl    %eax, 4(%esp)           // the return address iret takes
    popl    %eax
    iret
unexpected:
    movl    $unexpected_msg, %esi
    call    puts
    movb    $99, %al
    jmp     off

message:
    .asciz  "guest: every misuse answered as hardware would\n"
string_line:
    .ascii  "guest: a line by rep outsb\n"
string_line_end:
unexpected_msg:
    .asciz  "guest: an unexpected exception\n"

idt_desc:
    .word   32 * 8 - 1
    .long   idt
null_idt:
    .word   0
    .long   0
resume:
    .long   0
gp_count:
    .long   0
ud_count:
    .long   0
strbuf:
    .long   0
    .balign 8
idt:
    .fill   32 * 8, 1, 0
