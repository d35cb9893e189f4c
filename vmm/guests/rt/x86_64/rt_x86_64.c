// SPDX-License-Identifier: MIT
// The real-time guest's x86_64 part (../rt.h): the TSC, the VMM's xAPIC model (its timer in
// TSC-deadline mode: IA32_TSC_DEADLINE holds the TSC value it fires at, vector 0x40), its I/O
// APIC model and 16550 (line 4, level, vector 0x41), at the addresses of dts/vms/rt-x86_64.dts.
//
// The TSC's rate: the VMM answers CPUID with the host's leaves, and QEMU's CPU has neither 0x15
// nor 0x16 (nor does the VMM pass the rate to a raw guest). So it is measured against the ACPI
// PM timer, 10 ms as the kernel measures its own against the PIT: the kernel answers that
// port's reads (no exit to the VMM) with its clock, the TSC, scaled by the rate it measured, so
// the guest gets the kernel's rate.
#include "../rt.h"

#define LAPIC 0xfee00000ull
#define IOAPIC 0xfec00000ull
enum { LAPIC_EOI = 0xb0, LAPIC_SVR = 0xf0, LAPIC_LVT_TIMER = 0x320 };
#define LVT_TSC_DEADLINE (2u << 17)
#define MSR_TSC_DEADLINE 0x6e0
#define VECTOR_TIMER 0x40
#define VECTOR_UART 0x41
#define VECTOR_SPURIOUS 0xff
#define UART 0x3f8
#define UART_IRQ 4
enum { THR = 0, IER = 1, IIR = 2 };
#define IER_THRI 0x02
#define IIR_THRI 0x02
#define PM_TIMER 0x608 /* keel,acpi-pm at 0x600: PM_TMR */
#define PM_TIMER_HZ 3579545u
#define PM_TIMER_MASK 0xffffffu
#define EXIT_PORT 0x501

void rt_x86_64_idt(void);
void rt_x86_64_irq(uint64_t entry, unsigned vector);
void rt_x86_64_exception(const uint64_t *frame);
/* start.S: the entries the IDT points to (rt_x86_64_exceptions: 16 bytes a vector). */
extern const char rt_x86_64_exceptions[], rt_x86_64_timer_entry[], rt_x86_64_uart_entry[],
    rt_x86_64_spurious[];

/* One MOV to a register's address: a form the VMM's MMIO decoder takes. */
static inline void mmio_w32(uint64_t a, uint32_t v)
{
    __asm__ volatile("movl %0, (%1)" : : "r"(v), "r"(a) : "memory");
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}
static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static uint64_t idt[256][2];

/* A 64-bit interrupt gate (present, DPL 0, start.S's code segment 0x08) to handler. */
static void gate(unsigned vector, const void *handler)
{
    uint64_t a = (uint64_t)handler;
    idt[vector][0] = (a & 0xffff) | 0x08ull << 16 | 0x8e00ull << 32 | (a >> 16 & 0xffff) << 48;
    idt[vector][1] = a >> 32;
}

/* From start.S before rt_main(): exceptions report themselves, other vectors are ignored. */
void rt_x86_64_idt(void)
{
    for (unsigned v = 0; v < 256; v++) {
        gate(v, v < 32 ? rt_x86_64_exceptions + 16 * v : rt_x86_64_spurious);
    }
    gate(VECTOR_TIMER, rt_x86_64_timer_entry);
    gate(VECTOR_UART, rt_x86_64_uart_entry);
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } desc = { sizeof(idt) - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" : : "m"(desc));
}

void rt_arch_init(void)
{
    mmio_w32(LAPIC + LAPIC_SVR, 0x100 | VECTOR_SPURIOUS); /* enabled */
    mmio_w32(LAPIC + LAPIC_LVT_TIMER, LVT_TSC_DEADLINE | VECTOR_TIMER);
    /* The UART's redirection entry (0x10 + 2 * line): to APIC id 0, level, active high. */
    mmio_w32(IOAPIC, 0x11 + 2 * UART_IRQ);
    mmio_w32(IOAPIC + 0x10, 0);
    mmio_w32(IOAPIC, 0x10 + 2 * UART_IRQ);
    mmio_w32(IOAPIC + 0x10, 0x8000 | VECTOR_UART);
}

uint64_t rt_arch_counter(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return lo | (uint64_t)hi << 32;
}

static uint32_t pm_timer(void)
{
    return inl(PM_TIMER) & PM_TIMER_MASK;
}

/* Measured once (see the top): from one edge of the PM timer to the first after 10 ms. */
uint64_t rt_arch_counter_freq(void)
{
    static uint64_t freq;
    if (!freq) {
        uint32_t start = pm_timer(), now, ticks;
        while ((now = pm_timer()) == start) {
        }
        start = now;
        uint64_t t0 = rt_arch_counter();
        do {
            ticks = (pm_timer() - start) & PM_TIMER_MASK;
        } while (ticks < PM_TIMER_HZ / 100);
        freq = (rt_arch_counter() - t0) * PM_TIMER_HZ / ticks;
    }
    return freq;
}

void rt_arch_timer_set(uint64_t deadline)
{
    wrmsr(MSR_TSC_DEADLINE, deadline);
}

void rt_arch_timer_stop(void)
{
    wrmsr(MSR_TSC_DEADLINE, 0); /* disarmed */
}

void rt_arch_wait(void)
{
    /* HLT waits only with interrupts on (the VMM sleeps until one is due); STI's shadow lets
     * none in before it. So the interrupt is taken here rather than in rt_arch_irq_window(). */
    __asm__ volatile("sti; hlt; cli" : : : "memory");
}

void rt_arch_irq_window(void)
{
    __asm__ volatile("sti; nop; cli" : : : "memory");
}

void rt_arch_irq_unmask(void)
{
    __asm__ volatile("sti" : : : "memory");
}

void rt_arch_irq_mask(void)
{
    __asm__ volatile("cli" : : : "memory");
}

void rt_arch_putc(char c)
{
    outb(UART + THR, (uint8_t)c); /* the VMM's transmitter is never busy */
}

void rt_arch_uart_tx_irq(bool on)
{
    /* On: THR is empty, so the interrupt rises at once (rt.c takes it before a sample). */
    outb(UART + IER, on ? IER_THRI : 0);
}

uint64_t rt_arch_uart_kick(void)
{
    uint32_t lo, hi;
    /* '\r': the VMM prints nothing for it, but THR "sends" it and is empty again: it rises. */
    __asm__ volatile("rdtsc; movl %%eax, %0; movl %%edx, %1; movw %2, %%dx; movb %3, %%al; "
                     "outb %%al, %%dx"
                     : "=&r"(lo), "=&r"(hi)
                     : "i"(UART + THR), "i"('\r')
                     : "eax", "edx", "memory");
    return lo | (uint64_t)hi << 32;
}

/* From start.S with the TSC at the vector's entry; interrupts are off. */
void rt_x86_64_irq(uint64_t entry, unsigned vector)
{
    if (vector == VECTOR_TIMER) {
        rt_timer_irq(entry);
    } else if ((inb(UART + IIR) & 0x0f) == IIR_THRI) {
        rt_device_irq(entry); /* reading IIR acknowledged it: the line falls */
    }
    mmio_w32(LAPIC + LAPIC_EOI, 0); /* (the I/O APIC hears it: line 4 may interrupt again) */
}

void rt_x86_64_exception(const uint64_t *frame)
{
    uint64_t cr2;
    __asm__ volatile("movq %%cr2, %0" : "=r"(cr2));
    rt_say("rt: unexpected exception (vector %lu, error 0x%lx, cr2 0x%lx) at 0x%lx\n",
           (unsigned long)frame[0], (unsigned long)frame[1], (unsigned long)cr2,
           (unsigned long)frame[2]);
    outb(EXIT_PORT, 99);
    for (;;) {
        __asm__ volatile("cli; hlt");
    }
}
