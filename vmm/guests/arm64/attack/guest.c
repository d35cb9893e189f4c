// SPDX-License-Identifier: MIT
// Console, PSCI and exceptions of the C test guests (see guest.h).
#include "guest.h"
#include <format.h>

volatile struct guest_traps guest_traps;

static void uart_sink(void *ctx, char c)
{
    (void)ctx;
    mmio_w32(GUEST_UART, (uint8_t)c); /* UARTDR; the VMM's transmitter is never busy */
}

void vsay(const char *fmt, va_list ap)
{
    format(uart_sink, NULL, fmt, ap);
}

void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(fmt, ap);
    va_end(ap);
}

void guest_sleep(uint64_t ticks)
{
    uint64_t end = counter() + ticks;
    /* Enabled and not masked: its firing is what ends a WFI (IRQs stay masked at the CPU). */
    __asm__ volatile("msr cntv_cval_el0, %0; msr cntv_ctl_el0, %1; isb" : : "r"(end), "r"(1ull));
    while (counter() < end) {
        __asm__ volatile("wfi");
    }
    __asm__ volatile("msr cntv_ctl_el0, xzr; isb");
}

int64_t psci_hvc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fn, x1 __asm__("x1") = a1, x2 __asm__("x2") = a2,
                                     x3 __asm__("x3") = a3;
    __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
    return (int64_t)x0;
}

int64_t psci_smc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fn, x1 __asm__("x1") = a1, x2 __asm__("x2") = a2,
                                     x3 __asm__("x3") = a3;
    __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
    return (int64_t)x0;
}

uint64_t guest_trap(uint64_t esr, uint64_t elr, uint64_t far, unsigned vector)
{
    guest_traps.count++;
    guest_traps.esr = esr;
    guest_traps.far = far;
    if (!guest_traps.expecting) {
        guest_traps.unexpected++;
        say("FAIL: guest: unexpected exception (vector %u, ESR 0x%lx, FAR 0x%lx) at 0x%lx\n",
            vector, (unsigned long)esr, (unsigned long)far, (unsigned long)elr);
    }
    uint64_t resume = guest_traps.resume;
    guest_traps.resume = 0;
    return resume ? resume : elr + 4; /* synchronous ones: skip the instruction (IRQs are masked) */
}
