// SPDX-License-Identifier: MIT
// A bare-metal arm64 guest for the VMM tests: loaded as a raw binary at the address its VM device
// tree names, it prints over the PL011 (MMIO the VMM emulates) and powers off through PSCI
// SYSTEM_OFF (an HVC the VMM handles), with an exit status in x1 (a Keel test convention).

    .section .text.start, "ax"
    .globl _start
_start:
    ldr     x1, =0x09000000         // PL011 data register
    adr     x2, message
1:  ldrb    w3, [x2], #1
    cbz     w3, 2f
    str     w3, [x1]
    b       1b
2:  ldr     x0, =0x84000000         // PSCI_VERSION
    hvc     #0
    mov     x4, x0                  // keep it: the status below reports it
    ldr     x0, =0x84000008         // PSCI SYSTEM_OFF
    mov     x1, #42                 // status
    add     x1, x1, x4, lsr #16     // + major version (1): 43
    hvc     #0
3:  wfi
    b       3b

message:
    .asciz  "guest: hello from a raw binary at EL1\n"
