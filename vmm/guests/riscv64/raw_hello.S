// SPDX-License-Identifier: MIT
// A bare-metal riscv64 guest for the VMM tests: loaded as a raw binary at the address its VM
// device tree names and started in VS-mode with translation off, it prints over the 16550 (MMIO
// the VMM emulates: byte stores), asks the SBI for its version, prints a second line through the
// SBI debug console (DBCN: a guest-physical buffer), makes the hypercall the kernel answers
// itself, and stops through SBI SRST with an exit status as the reset reason (a Keel test
// convention): 41 + the SBI major version (2) = 43.

    .section .text.start, "ax"
    .globl _start
_start:
    li      t0, 0x10000000          // 16550 transmit register
    lla     t1, message
1:  lbu     t2, 0(t1)
    beqz    t2, 2f
    sb      t2, 0(t0)
    addi    t1, t1, 1
    j       1b
2:  li      a7, 0x10                // BASE get_spec_version
    li      a6, 0
    ecall
    srli    s0, a1, 24              // major version
    li      a7, 0x4442434e          // DBCN console_write(len, base_lo, base_hi)
    li      a6, 0
    lla     a1, message2
    lla     a0, message2_end
    sub     a0, a0, a1
    li      a2, 0
    ecall
    li      a7, 0x0a4b4c00          // KEEL_SBI_EXT_NULL: a0 = 0 from the kernel
    li      a0, 99
    ecall
    bnez    a0, 3f
    li      a7, 0x53525354          // SRST system_reset(shutdown, reason)
    li      a6, 0
    li      a0, 0
    addi    a1, s0, 41
    ecall
3:  wfi
    j       3b

message:
    .asciz  "guest: hello from a raw binary in VS-mode\n"
message2:
    .ascii  "guest: and through the SBI debug console\n"
message2_end:
