// SPDX-License-Identifier: MIT
// The real-time guest's riscv64 part (../rt.h): the time CSR, the SBI timer (TIME set_timer: the
// VMM's, or with Sstc the hardware's vstimecmp raises VSTIP), the VMM's PLIC model (context 1:
// hart 0's S-mode) and its 16550 on PLIC source 10, at the addresses of dts/vms/rt-riscv64.dts.
#include "../rt.h"

#define PLIC 0x0c000000ull
#define PLIC_CONTEXT 1
#define PLIC_ENABLE (PLIC + 0x2000 + 0x80 * PLIC_CONTEXT)
#define PLIC_THRESHOLD (PLIC + 0x200000 + 0x1000 * PLIC_CONTEXT)
#define PLIC_CLAIM (PLIC_THRESHOLD + 4) /* read: claim; write: complete */
#define UART 0x10000000ull
#define UART_IRQ 10
/* The VM tree's timebase-frequency (QEMU virt's): the VMM passes a raw binary no device tree. */
#define TIMEBASE 10000000

enum { THR = 0, IER = 1, IIR = 2 };
#define IER_THRI 0x02
#define IIR_THRI 0x02
#define SIE_STIE (1u << 5)
#define SIE_SEIE (1u << 9)
#define SCAUSE_IRQ (1ull << 63)
#define IRQ_S_TIMER 5
#define IRQ_S_EXTERNAL 9
#define SBI_TIME 0x54494d45
#define SBI_SRST 0x53525354

void rt_riscv64_trap(uint64_t entry, uint64_t scause);

/* One load or store instruction of that width each: the VMM decodes it. */
static inline uint8_t mmio_r8(uint64_t a)
{
    uint8_t v;
    __asm__ volatile("lbu %0, 0(%1)" : "=r"(v) : "r"(a) : "memory");
    return v;
}
static inline void mmio_w8(uint64_t a, uint8_t v)
{
    __asm__ volatile("sb %0, 0(%1)" : : "r"(v), "r"(a) : "memory");
}
static inline uint32_t mmio_r32(uint64_t a)
{
    uint32_t v;
    __asm__ volatile("lw %0, 0(%1)" : "=r"(v) : "r"(a) : "memory");
    return v;
}
static inline void mmio_w32(uint64_t a, uint32_t v)
{
    __asm__ volatile("sw %0, 0(%1)" : : "r"(v), "r"(a) : "memory");
}

static void sbi(uint64_t ext, uint64_t fid, uint64_t arg0, uint64_t arg1)
{
    register uint64_t a0 __asm__("a0") = arg0, a1 __asm__("a1") = arg1;
    register uint64_t a6 __asm__("a6") = fid, a7 __asm__("a7") = ext;
    __asm__ volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a6), "r"(a7) : "memory");
}

void rt_arch_init(void)
{
    mmio_w32(PLIC + 4 * UART_IRQ, 1); /* priority 1: above the threshold, 0 */
    mmio_w32(PLIC_ENABLE, 1u << UART_IRQ);
    mmio_w32(PLIC_THRESHOLD, 0);
    rt_arch_timer_stop();
    __asm__ volatile("csrs sie, %0" : : "r"(SIE_STIE | SIE_SEIE));
}

uint64_t rt_arch_counter(void)
{
    uint64_t v;
    __asm__ volatile("rdtime %0" : "=r"(v));
    return v;
}

uint64_t rt_arch_counter_freq(void)
{
    return TIMEBASE;
}

void rt_arch_timer_set(uint64_t deadline)
{
    sbi(SBI_TIME, 0, deadline, 0); /* also takes back the tick just taken */
}

void rt_arch_timer_stop(void)
{
    sbi(SBI_TIME, 0, UINT64_MAX, 0);
}

void rt_arch_wait(void)
{
    __asm__ volatile("wfi" : : : "memory");
}

void rt_arch_irq_window(void)
{
    __asm__ volatile("csrsi sstatus, 2; csrci sstatus, 2" : : : "memory");
}

void rt_arch_irq_unmask(void)
{
    __asm__ volatile("csrsi sstatus, 2" : : : "memory");
}

void rt_arch_irq_mask(void)
{
    __asm__ volatile("csrci sstatus, 2" : : : "memory");
}

void rt_arch_putc(char c)
{
    mmio_w8(UART + THR, (uint8_t)c); /* the VMM's transmitter is never busy */
}

void rt_arch_uart_tx_irq(bool on)
{
    /* On: THR is empty, so the interrupt rises at once (rt.c takes it before a sample). */
    mmio_w8(UART + IER, on ? IER_THRI : 0);
}

uint64_t rt_arch_uart_kick(void)
{
    uint64_t t;
    /* '\r': the VMM prints nothing for it, but THR "sends" it and is empty again: it rises. */
    __asm__ volatile("rdtime %0; sb %1, 0(%2)"
                     : "=&r"(t)
                     : "r"((uint64_t)'\r'), "r"(UART + THR)
                     : "memory");
    return t;
}

/* From start.S with the time at the trap's entry; interrupts are off. */
void rt_riscv64_trap(uint64_t entry, uint64_t scause)
{
    if (scause == (SCAUSE_IRQ | IRQ_S_TIMER)) {
        rt_timer_irq(entry);
    } else if (scause == (SCAUSE_IRQ | IRQ_S_EXTERNAL)) {
        uint32_t source = mmio_r32(PLIC_CLAIM);
        /* Reading IIR acknowledges THRI: the line falls (IER.THRI stays on). */
        if (source == UART_IRQ && (mmio_r8(UART + IIR) & 0x0f) == IIR_THRI) {
            rt_device_irq(entry);
        }
        if (source) {
            mmio_w32(PLIC_CLAIM, source);
        }
    } else {
        uint64_t sepc, stval;
        __asm__ volatile("csrr %0, sepc; csrr %1, stval" : "=r"(sepc), "=r"(stval));
        rt_say("rt: unexpected trap (scause 0x%lx, stval 0x%lx) at 0x%lx\n", (unsigned long)scause,
               (unsigned long)stval, (unsigned long)sepc);
        sbi(SBI_SRST, 0, 0, 99); /* shutdown, status 99 */
        for (;;) {
        }
    }
}
