// SPDX-License-Identifier: MIT
// The watchdog guest's riscv64 part (../wdt.h): the time CSR, the VMM's PLIC model (context 1:
// hart 0's S-mode) and its 16550, at the addresses of dts/vms/wdt-riscv64.dts; the watchdog's WS0
// is PLIC source 11.
#include "../wdt.h"

#define PLIC 0x0c000000ull
#define PLIC_CONTEXT 1
#define PLIC_ENABLE (PLIC + 0x2000 + 0x80 * PLIC_CONTEXT)
#define PLIC_THRESHOLD (PLIC + 0x200000 + 0x1000 * PLIC_CONTEXT)
#define PLIC_CLAIM (PLIC_THRESHOLD + 4) /* read: claim; write: complete */
#define UART 0x10000000ull
#define IRQ_WS0 11
/* The VM tree's timebase-frequency (QEMU virt's): the VMM passes a raw binary no device tree. */
#define TIMEBASE 10000000
#define SIE_SEIE (1u << 9)
#define SCAUSE_IRQ (1ull << 63)
#define IRQ_S_EXTERNAL 9
#define SBI_SRST 0x53525354

/* Called by ../../rt/riscv64/start.S. */
void rt_riscv64_trap(uint64_t entry, uint64_t scause);

uint32_t wdt_arch_r32(uint64_t a)
{
    uint32_t v;
    __asm__ volatile("lw %0, 0(%1)" : "=r"(v) : "r"(a) : "memory");
    return v;
}

void wdt_arch_w32(uint64_t a, uint32_t v)
{
    __asm__ volatile("sw %0, 0(%1)" : : "r"(v), "r"(a) : "memory");
}

void wdt_arch_init(void)
{
    wdt_arch_w32(PLIC + 4 * IRQ_WS0, 1); /* priority 1: above the threshold, 0 */
    wdt_arch_w32(PLIC_ENABLE, 1u << IRQ_WS0);
    wdt_arch_w32(PLIC_THRESHOLD, 0);
    __asm__ volatile("csrs sie, %0" : : "r"(SIE_SEIE));
}

uint64_t wdt_arch_counter(void)
{
    uint64_t v;
    __asm__ volatile("rdtime %0" : "=r"(v));
    return v;
}

uint64_t wdt_arch_counter_freq(void)
{
    return TIMEBASE;
}

void wdt_arch_putc(char c)
{
    __asm__ volatile("sb %0, 0(%1)" : : "r"(c), "r"(UART) : "memory"); /* THR */
}

void wdt_arch_wait_and_take(void)
{
    __asm__ volatile("wfi; csrsi sstatus, 2; csrci sstatus, 2" : : : "memory");
}

/* From start.S with the time at the trap's entry; interrupts are off. */
void rt_riscv64_trap(uint64_t entry, uint64_t scause)
{
    if (scause == (SCAUSE_IRQ | IRQ_S_EXTERNAL)) {
        uint32_t source = wdt_arch_r32(PLIC_CLAIM);
        if (source == IRQ_WS0) {
            wdt_ws0_irq(entry);
        }
        if (source) {
            wdt_arch_w32(PLIC_CLAIM, source);
        }
        return;
    }
    uint64_t sepc, stval;
    __asm__ volatile("csrr %0, sepc; csrr %1, stval" : "=r"(sepc), "=r"(stval));
    rt_say("wdt: unexpected trap (scause 0x%lx, stval 0x%lx) at 0x%lx\n", (unsigned long)scause,
           (unsigned long)stval, (unsigned long)sepc);
    register uint64_t a0 __asm__("a0") = 0, a1 __asm__("a1") = 99; /* shutdown, status 99 */
    register uint64_t a6 __asm__("a6") = 0, a7 __asm__("a7") = SBI_SRST;
    __asm__ volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a6), "r"(a7) : "memory");
    for (;;) {
    }
}
