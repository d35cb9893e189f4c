// SPDX-License-Identifier: MIT
// The watchdog guest's arm64 part (../wdt.h): the virtual counter, the GICv3 CPU interface
// (virtual: ICC_* reach the list registers) and the VMM's GICv3 and PL011 models, at the addresses
// of dts/vms/wdt-arm64.dts; the watchdog's WS0 is SPI 3 (INTID 35).
#include "../wdt.h"

#define GICD 0x08000000ull
#define GICR 0x080a0000ull        /* vCPU 0's redistributor */
#define GICR_SGI (GICR + 0x10000) /* its SGI and PPI frame */
#define UART 0x09000000ull
#define INTID_WS0 35
#define INTID_SPURIOUS 1020

#define ICC_PMR_EL1 "S3_0_C4_C6_0"
#define ICC_IAR1_EL1 "S3_0_C12_C12_0"
#define ICC_EOIR1_EL1 "S3_0_C12_C12_1"
#define ICC_SRE_EL1 "S3_0_C12_C12_5"
#define ICC_IGRPEN1_EL1 "S3_0_C12_C12_7"
#define SYSREG_WRITE(reg, v) __asm__ volatile("msr " reg ", %0; isb" : : "r"((uint64_t)(v)))

/* Called by ../../rt/arm64/start.S. */
void rt_arm64_irq(uint64_t entry);
void rt_arm64_unexpected(unsigned vector, uint64_t esr, uint64_t elr);

uint32_t wdt_arch_r32(uint64_t a)
{
    uint32_t v;
    __asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
    return v;
}

void wdt_arch_w32(uint64_t a, uint32_t v)
{
    __asm__ volatile("str %w0, [%1]" : : "r"(v), "r"(a) : "memory");
}

void wdt_arch_init(void)
{
    SYSREG_WRITE(ICC_SRE_EL1, 1);
    SYSREG_WRITE(ICC_PMR_EL1, 0xff); /* every priority */
    SYSREG_WRITE(ICC_IGRPEN1_EL1, 1);
    wdt_arch_w32(GICD + 0x0, 0x12);                     /* GICD_CTLR: ARE, EnableGrp1 */
    wdt_arch_w32(GICD + 0x84, ~0u);                     /* IGROUPR1: SPIs 32-63 in group 1 */
    wdt_arch_w32(GICD + 0x104, 1u << (INTID_WS0 - 32)); /* ISENABLER1 */
    wdt_arch_w32(GICR + 0x14, 0);                       /* GICR_WAKER: awake */
}

uint64_t wdt_arch_counter(void)
{
    uint64_t v;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
    return v;
}

uint64_t wdt_arch_counter_freq(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
    return v;
}

void wdt_arch_putc(char c)
{
    wdt_arch_w32(UART, (uint8_t)c); /* UARTDR: the VMM's transmitter is never busy */
}

void wdt_arch_wait_and_take(void)
{
    __asm__ volatile("wfi; msr daifclr, #2; isb; msr daifset, #2" : : : "memory");
}

/* From start.S with the counter at the vector's entry; interrupts are masked. */
void rt_arm64_irq(uint64_t entry)
{
    uint64_t iar;
    __asm__ volatile("mrs %0, " ICC_IAR1_EL1 : "=r"(iar));
    unsigned intid = (unsigned)(iar & 0xffffff);
    if (intid >= INTID_SPURIOUS) {
        return;
    }
    if (intid == INTID_WS0) {
        wdt_ws0_irq(entry);
    }
    SYSREG_WRITE(ICC_EOIR1_EL1, iar);
}

void rt_arm64_unexpected(unsigned vector, uint64_t esr, uint64_t elr)
{
    rt_say("wdt: unexpected exception (vector %u, ESR 0x%lx) at 0x%lx\n", vector,
           (unsigned long)esr, (unsigned long)elr);
    register uint64_t x0 __asm__("x0") = 0x84000008, x1 __asm__("x1") = 99; /* SYSTEM_OFF */
    __asm__ volatile("hvc #0" : "+r"(x0) : "r"(x1) : "memory");
    for (;;) {
    }
}
