// SPDX-License-Identifier: MIT
// A bare-metal riscv64 guest that measures interrupt delivery with the time CSR (10 MHz on QEMU
// virt: under -icount shift=0 a tick is 100 instructions) and prints over the 16550 in hex:
//   bench: virq-timer <ticks>     100 timer interrupts, each from the deadline it gave SBI TIME
//                                 set_timer (the VMM's; with Sstc the hardware's vstimecmp then
//                                 raises it) to the first instruction of its handler
//   bench: virq-device <ticks>    100 device interrupts, each from the write to the 16550's THR
//                                 (IER.THRI on: the VMM's model raises its line, its PLIC model
//                                 sets VSEIP before it resumes the guest) to the first
//                                 instruction of the handler
// then powers off through SBI SRST with status 0. The bench/vm.sh script reads the lines.

#define PLIC 0x0c000000
#define UART 0x10000000
#define UART_IRQ 10                 // the 16550's PLIC source in the VM device tree
#define N_IRQ 100
#define SBI_TIME 0x54494d45
#define SBI_SRST 0x53525354

// s0: the sum being measured, s1: set by the handler, s2: rounds left, s3: the time the
// measurement starts (the deadline, the THR write), s4: the UART, s5: our PLIC claim register.
    .section .text.start, "ax"
    .globl _start
_start:
    lla     t0, trap
    csrw    stvec, t0
    li      s4, UART
    li      s5, PLIC + 0x201004     // context 1 (vCPU 0's S-mode): claim / complete

    // 1. virq-timer
    li      s0, 0
    li      s2, N_IRQ
    csrsi   sstatus, 2              // SIE
1:  li      s1, 0
    rdtime  s3
    addi    s3, s3, 100             // 10 000 instructions ahead: well after set_timer is back
    mv      a0, s3
    li      a7, SBI_TIME            // set_timer: takes back the last interrupt
    li      a6, 0
    ecall
    li      t0, 1 << 5              // STIE (the handler masks it)
    csrs    sie, t0
2:  beqz    s1, 2b                  // busy: a WFI would go to the VMM
    addi    s2, s2, -1
    bnez    s2, 1b
    mv      s6, s0

    // 2. virq-device: source UART_IRQ at priority 1, enabled for context 1, threshold 0
    li      t0, PLIC
    li      t1, 1
    sw      t1, 4 * UART_IRQ(t0)
    li      t0, PLIC + 0x2080
    li      t1, 1 << UART_IRQ
    sw      t1, 0(t0)
    li      t0, PLIC + 0x201000
    sw      zero, 0(t0)
    li      t0, 1 << 9              // SEIE
    csrs    sie, t0
    li      s1, 0                   // enabling THRI with THR empty raises it at once: a warm-up
    li      t0, 0x02
    sb      t0, 1(s4)               // IER.THRI
3:  beqz    s1, 3b
    li      s0, 0
    li      s2, N_IRQ
4:  li      s1, 0
    li      t0, '\r'                // the VMM prints nothing for it, but THR "sends" it
    rdtime  s3
    sb      t0, 0(s4)               // THR: empty again at once, the interrupt rises
5:  beqz    s1, 5b
    addi    s2, s2, -1
    bnez    s2, 4b
    csrci   sstatus, 2
    sb      zero, 1(s4)             // IER: nothing more, we print now

    lla     a0, s_timer
    mv      a1, s6
    call    report
    lla     a0, s_device
    mv      a1, s0
    call    report
    li      a7, SBI_SRST            // system_reset(shutdown, status 0)
    li      a6, 0
    li      a0, 0
    li      a1, 0
    ecall
6:  j       6b

// Interrupts: the time first, then whose it is.
    .balign 4
trap:
    rdtime  t6
    csrr    t5, scause
    bgez    t5, unexpected          // an exception
    slli    t5, t5, 1               // drop the interrupt bit
    srli    t5, t5, 1
    li      t4, 5
    bne     t5, t4, 7f
    li      t4, 1 << 5              // the timer: masked, as it stays pending until set_timer
    csrc    sie, t4
    j       8f
7:  li      t4, 9
    bne     t5, t4, unexpected
    lw      t4, 0(s5)               // claim
    lbu     t5, 2(s4)               // IIR: acknowledges THRI, the line falls (IER.THRI stays on,
                                    // so re-enabling it does not raise it instead of THR)
    sw      t4, 0(s5)               // complete
8:  sub     t6, t6, s3
    add     s0, s0, t6
    li      s1, 1
    sret

unexpected:                         // the status says which trap
    csrr    a1, scause
    li      a7, SBI_SRST
    li      a6, 0
    li      a0, 0
    ecall
9:  j       9b

// report(a0 = label, a1 = value): prints "<label>0x<value in hex>\n".
report:
10: lbu     t0, 0(a0)
    beqz    t0, 11f
    sb      t0, 0(s4)
    addi    a0, a0, 1
    j       10b
11: li      t0, '0'
    sb      t0, 0(s4)
    li      t0, 'x'
    sb      t0, 0(s4)
    li      t1, 60
    li      t2, 10
12: srl     t0, a1, t1
    andi    t0, t0, 0xf
    blt     t0, t2, 13f
    addi    t0, t0, 'a' - '0' - 10
13: addi    t0, t0, '0'
    sb      t0, 0(s4)
    addi    t1, t1, -4
    bgez    t1, 12b
    li      t0, '\n'
    sb      t0, 0(s4)
    ret

s_timer:  .asciz "bench: virq-timer "
s_device: .asciz "bench: virq-device "
