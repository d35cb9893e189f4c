// SPDX-License-Identifier: MIT
// A bare-metal riscv64 guest that gives its VMM bad input and tries the hypervisor's controls:
// MMIO where no device is, a store wider than the UART's registers, an FP load from the UART
// (which the VMM cannot emulate: a load access fault for the guest), a jump outside its RAM (an
// instruction access fault), an SBI extension, hart and console buffer that do not exist, a hart
// started outside its RAM and at an odd address, hypervisor CSRs and fences (each a
// virtual-instruction exit the VMM turns into an illegal-instruction trap of the guest's own).
// It starts its second hart, which must find its hart id in a0 and the opaque value in a1. It
// prints what it got back and stops through SBI SRST with status 0 when every answer was the
// expected one, else 99.

    .option arch, +h, +d
    .equ    OPAQUE, 0x5eed0001beef0002
    .section .text.start, "ax"
    .globl _start
_start:
    lla     t0, trap
    csrw    stvec, t0
    li      s1, 0                   // illegal-instruction traps taken
    li      s2, 0                   // wrong answers
    li      s3, 0                   // access faults taken
    li      t0, 1 << 13             // sstatus.FS: FP on
    csrs    sstatus, t0
    li      t0, 0x50000000          // no device here: reads 0, the VMM says so
    li      t1, 5
    lw      t1, 0(t0)
    bnez    t1, bad1
    j       1f
bad1:
    addi    s2, s2, 1
1:  li      t0, 0x10000000          // the 16550 has no 8-byte registers
    sd      t0, 0(t0)
    fld     f1, 0(t0)               // not for the VMM: a load access fault, skipped
    li      t0, 0x50000000          // nothing to fetch there: an instruction access fault,
    jalr    ra, 0(t0)               // which returns here
    li      t1, 2
    beq     s3, t1, 11f
    addi    s2, s2, 1
11:
    li      a7, 0x12345678          // no such SBI extension: NOT_SUPPORTED (-2)
    li      a6, 0
    ecall
    li      t1, -2
    beq     a0, t1, 2f
    addi    s2, s2, 1
2:  li      a7, 0x48534d            // HSM hart_start of hart 7: INVALID_PARAM (-3)
    li      a6, 0
    li      a0, 7
    li      a1, 0x80200000
    li      a2, 0
    ecall
    li      t1, -3
    beq     a0, t1, 3f
    addi    s2, s2, 1
    // Hart 1 (SBI 2.0, 9.1): hart_start at an address outside RAM or odd is INVALID_ADDRESS
    // (-5) and starts nothing; at `secondary` with an opaque value it starts there with its hart
    // id in a0 and the value in a1, which it stores in secondary_seen.
3:  li      a0, 1
    li      a1, 0x40000000
    call    hart_start
    li      t1, -5
    beq     a0, t1, 20f
    addi    s2, s2, 1
20: li      a0, 1
    lla     a1, secondary
    addi    a1, a1, 1
    call    hart_start
    li      t1, -5
    beq     a0, t1, 21f
    addi    s2, s2, 1
21: li      a7, 0x48534d            // hart_get_status of hart 1: STOPPED (1)
    li      a6, 2
    li      a0, 1
    ecall
    bnez    a0, 22f
    li      t1, 1
    beq     a1, t1, 23f
22: addi    s2, s2, 1
23: li      a0, 1
    lla     a1, secondary
    call    hart_start
    beqz    a0, 24f
    addi    s2, s2, 1
24: li      t0, 1 << 5              // STIE (SIE stays off: WFI wakes, no trap is taken)
    csrs    sie, t0
    li      s5, 1000                // at most 1000 waits of 1 ms for hart 1: it runs while
25: lla     t0, secondary_seen      // this vCPU waits
    ld      t1, 0(t0)
    bnez    t1, 26f
    beqz    s5, 26f
    addi    s5, s5, -1
    rdtime  a0
    li      t1, 10000
    add     a0, a0, t1
    li      a7, 0x54494d45
    li      a6, 0
    ecall
    wfi
    j       25b
26: li      a0, -1                  // no timer any more
    li      a7, 0x54494d45
    li      a6, 0
    ecall
    li      t0, 1 << 5
    csrc    sie, t0
    lla     t0, secondary_seen
    ld      t1, 8(t0)               // its a0: its hart id
    li      t2, 1
    bne     t1, t2, 27f
    ld      t1, 16(t0)              // its a1: the opaque value
    li      t2, OPAQUE
    bne     t1, t2, 27f
    lla     a0, hart1_message
    call    puts
    j       28f
27: addi    s2, s2, 1
28: li      a7, 0x4442434e          // DBCN write from outside RAM: INVALID_PARAM (-3)
    li      a6, 0
    li      a0, 16
    li      a1, 0x40000000
    li      a2, 0
    ecall
    li      t1, -3
    beq     a0, t1, 4f
    addi    s2, s2, 1
4:  csrr    t0, hstatus             // hypervisor CSRs and fences: illegal for the guest
    csrw    hgatp, zero
    hfence.gvma zero, zero
    csrr    t0, vsatp
    li      t1, 4
    beq     s1, t1, 5f
    addi    s2, s2, 1
5:  csrw    scounteren, zero        // no counters for its user mode: not the VMM's business,
    li      t0, -1                  // nor are its senvcfg settings
    csrw    senvcfg, t0
    csrr    s4, senvcfg             // what sticks, to compare after the exits below
    li      t0, 1 << 5              // STIE (SIE stays off: WFI wakes, no trap is taken)
    csrs    sie, t0
    rdtime  a0                      // a timer due in 100 us, and WFI: the VMM reads the time
    li      t1, 1000
    add     a0, a0, t1
    li      a7, 0x54494d45
    li      a6, 0
    ecall
    wfi
    li      a0, -1                  // no timer any more
    li      a7, 0x54494d45
    li      a6, 0
    ecall
    li      t0, 1 << 5
    csrc    sie, t0
    csrr    t0, scounteren          // still its own values
    beqz    t0, 15f
    addi    s2, s2, 1
15: csrr    t0, senvcfg
    beq     t0, s4, 16f
    addi    s2, s2, 1
16: lla     t0, message
    li      t1, 0x10000000
6:  lbu     t2, 0(t0)
    beqz    t2, 7f
    sb      t2, 0(t1)
    addi    t0, t0, 1
    j       6b
7:  li      a1, 0
    beqz    s2, 8f
    li      a1, 99
8:  li      a7, 0x53525354          // SRST system_reset(shutdown, status)
    li      a6, 0
    li      a0, 0
    ecall
9:  j       9b

    .balign 4
trap:                               // count it; skip the instruction, or return to ra
    csrr    t5, scause
    li      t6, 1
    beq     t5, t6, 12f
    li      t6, 5
    beq     t5, t6, 13f
    li      t6, 2
    bne     t5, t6, 9b
    addi    s1, s1, 1
    j       14f
12: addi    s3, s3, 1               // instruction access fault: back to the caller
    csrw    sepc, ra
    sret
13: addi    s3, s3, 1               // load access fault: skip the load
14: csrr    t5, sepc
    addi    t5, t5, 4
    csrw    sepc, t5
    sret

// hart_start(a0 hart, a1 start address, OPAQUE): the SBI's error in a0.
hart_start:
    li      a7, 0x48534d
    li      a6, 0
    li      a2, OPAQUE
    ecall
    ret

// Prints the string at a0 on the 16550.
puts:
    li      t1, 0x10000000
1:  lbu     t2, 0(a0)
    beqz    t2, 2f
    sb      t2, 0(t1)
    addi    a0, a0, 1
    j       1b
2:  ret

// Hart 1, from hart_start, translation off: notes its a0 and a1, then stops for good.
    .balign 4
secondary:
    lla     t0, secondary_seen
    sd      a0, 8(t0)
    sd      a1, 16(t0)
    fence   rw, rw
    li      t1, 1
    sd      t1, 0(t0)
    li      a7, 0x48534d            // hart_stop
    li      a6, 1
    ecall
1:  j       1b

    .balign 8
secondary_seen:                     // set, a0, a1
    .dword  0, 0, 0

message:
    .asciz  "attack: done\n"
hart1_message:
    .asciz  "attack: hart 1 started with its hart id in a0, opaque in a1\n"
