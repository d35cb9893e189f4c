// SPDX-License-Identifier: MIT
// The real-time guest's arm64 part (../rt.h): the virtual counter and timer (INTID 27, injected
// by the kernel through a list register), the GICv3 CPU interface (virtual: ICC_* reach the list
// registers) and the VMM's GICv3 and PL011 models, at the addresses of dts/vms/rt-arm64.dts.
#include "../rt.h"

#define GICD 0x08000000ull
#define GICR 0x080a0000ull        /* vCPU 0's redistributor */
#define GICR_SGI (GICR + 0x10000) /* its SGI and PPI frame */
#define UART 0x09000000ull
#define INTID_VTIMER 27
#define INTID_UART 33 /* SPI 1, as the VM tree says */
#define INTID_SPURIOUS 1020

enum { UARTDR = 0x00, UARTIMSC = 0x38, UARTMIS = 0x40, UARTICR = 0x44 };
#define UART_TX (1u << 5)

/* The GICv3 CPU interface by encoding (the assembler needs no GIC extension for these). */
#define ICC_PMR_EL1 "S3_0_C4_C6_0"
#define ICC_IAR1_EL1 "S3_0_C12_C12_0"
#define ICC_EOIR1_EL1 "S3_0_C12_C12_1"
#define ICC_SRE_EL1 "S3_0_C12_C12_5"
#define ICC_IGRPEN1_EL1 "S3_0_C12_C12_7"
#define SYSREG_WRITE(reg, v) __asm__ volatile("msr " reg ", %0; isb" : : "r"((uint64_t)(v)))

void rt_arm64_irq(uint64_t entry);
void rt_arm64_unexpected(unsigned vector, uint64_t esr, uint64_t elr);

/* One load or store instruction each: the VMM decodes the access from its syndrome. */
static inline uint32_t mmio_r32(uint64_t a)
{
    uint32_t v;
    __asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
    return v;
}
static inline void mmio_w32(uint64_t a, uint32_t v)
{
    __asm__ volatile("str %w0, [%1]" : : "r"(v), "r"(a) : "memory");
}

void rt_arch_init(void)
{
    SYSREG_WRITE(ICC_SRE_EL1, 1);
    SYSREG_WRITE(ICC_PMR_EL1, 0xff); /* every priority */
    SYSREG_WRITE(ICC_IGRPEN1_EL1, 1);
    mmio_w32(GICD + 0x0, 0x12);                      /* GICD_CTLR: ARE, EnableGrp1 */
    mmio_w32(GICD + 0x84, ~0u);                      /* IGROUPR1: SPIs 32-63 in group 1 */
    mmio_w32(GICD + 0x104, 1u << (INTID_UART - 32)); /* ISENABLER1 */
    mmio_w32(GICR + 0x14, 0);                        /* GICR_WAKER: awake */
    mmio_w32(GICR_SGI + 0x80, ~0u);                  /* IGROUPR0 */
    mmio_w32(GICR_SGI + 0x100, 1u << INTID_VTIMER);  /* ISENABLER0 */
}

uint64_t rt_arch_counter(void)
{
    uint64_t v;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
    return v;
}

uint64_t rt_arch_counter_freq(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
    return v;
}

void rt_arch_timer_set(uint64_t deadline)
{
    /* A deadline in the future also lowers the line of the tick just taken. */
    __asm__ volatile("msr cntv_cval_el0, %0; msr cntv_ctl_el0, %1; isb"
                     :
                     : "r"(deadline), "r"(1ull)); /* ENABLE, not IMASK */
}

void rt_arch_timer_stop(void)
{
    __asm__ volatile("msr cntv_ctl_el0, xzr; isb");
}

void rt_arch_wait(void)
{
    __asm__ volatile("wfi" : : : "memory");
}

void rt_arch_irq_window(void)
{
    __asm__ volatile("msr daifclr, #2; isb; msr daifset, #2" : : : "memory");
}

void rt_arch_irq_unmask(void)
{
    __asm__ volatile("msr daifclr, #2; isb" : : : "memory");
}

void rt_arch_irq_mask(void)
{
    __asm__ volatile("msr daifset, #2" : : : "memory");
}

void rt_arch_putc(char c)
{
    mmio_w32(UART + UARTDR, (uint8_t)c); /* the VMM's transmitter is never busy */
}

void rt_arch_uart_tx_irq(bool on)
{
    /* Every byte printed has set the transmit status: cleared, enabling raises nothing. */
    mmio_w32(UART + UARTICR, UART_TX);
    mmio_w32(UART + UARTIMSC, on ? UART_TX : 0);
}

uint64_t rt_arch_uart_kick(void)
{
    uint64_t t;
    /* '\r': the VMM prints nothing for it, but the FIFO "sends" it, and the interrupt rises. */
    __asm__ volatile("isb; mrs %0, cntvct_el0; str %w1, [%2]"
                     : "=&r"(t)
                     : "r"((uint32_t)'\r'), "r"(UART + UARTDR)
                     : "memory");
    return t;
}

/* From start.S with the counter at the vector's entry; interrupts are masked. */
void rt_arm64_irq(uint64_t entry)
{
    uint64_t iar;
    __asm__ volatile("mrs %0, " ICC_IAR1_EL1 : "=r"(iar));
    unsigned intid = (unsigned)(iar & 0xffffff);
    if (intid >= INTID_SPURIOUS) {
        return; /* nothing pending (any more): nothing to end */
    }
    if (intid == INTID_VTIMER) {
        rt_timer_irq(entry);
    } else if (intid == INTID_UART && (mmio_r32(UART + UARTMIS) & UART_TX)) {
        mmio_w32(UART + UARTICR, UART_TX); /* the line falls */
        rt_device_irq(entry);
    }
    SYSREG_WRITE(ICC_EOIR1_EL1, iar);
}

void rt_arm64_unexpected(unsigned vector, uint64_t esr, uint64_t elr)
{
    rt_say("rt: unexpected exception (vector %u, ESR 0x%lx) at 0x%lx\n", vector, (unsigned long)esr,
           (unsigned long)elr);
    register uint64_t x0 __asm__("x0") = 0x84000008, x1 __asm__("x1") = 99; /* SYSTEM_OFF */
    __asm__ volatile("hvc #0" : "+r"(x0) : "r"(x1) : "memory");
    for (;;) {
    }
}
