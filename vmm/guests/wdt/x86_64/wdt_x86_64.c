// SPDX-License-Identifier: MIT
// The watchdog guest's x86_64 part (../wdt.h): the VMM's xAPIC and I/O APIC models and its 16550,
// at the addresses of dts/vms/wdt-x86_64.dts; the watchdog's WS0 is I/O APIC line 5 (level,
// active high), taken at vector 0x41 through ../../rt/x86_64/start.S's device entry (which reads
// the TSC first and calls rt_x86_64_irq(), defined here, as the start-up's IDT hook and exception
// report are).
//
// The counter. x86 has no architected system counter: the VMM's watchdog counts a fixed 62.5 MHz
// timebase, floor(TSC * 62500000 / F), F the kernel's TSC rate (ARCH_SYSTEM_COUNTER_HZ in
// vmm/arch/x86_64/vm_arch.h; the TSC is the kernel's own, the guest's has no offset). WOR is
// programmed in those ticks (wdt_arch_counter_freq() says 62.5 MHz), and wdt.c compares the
// counter the guest reads with WCV (WS0's interrupt no earlier than WCV): so the guest's counter
// must be the VMM's, within far less than an interrupt's latency, at the TSC's full value, not
// only over an interval. F is not given to a raw guest (QEMU's CPUID has no leaf 0x15/0x16), but
// the ACPI PM timer the kernel answers is floor(TSC * 3579545 / F) mod 2^24 on the same TSC: the
// guest finds F from it as an interval of bounds, each read of the timer between two RDTSCs a and
// b with the count unwrapped to k (from a rough rate, measured first as the real-time guest
// does): a * 3579545 / (k + 1) < F <= b * 3579545 / k. 2 ms of reads make the interval narrow
// (the reads just before and just after an edge of the timer bound it), and its middle is F to
// about 10^-6 (under QEMU with -icount, 0.1 s after its power-on: 999932502-999934635 Hz around
// the kernel's 999933 kHz): a few hundred nanoseconds of the counter in the test's first second,
// against microseconds from WCV to WS0's interrupt.
#include "../wdt.h"

#define LAPIC 0xfee00000ull
#define IOAPIC 0xfec00000ull
enum { LAPIC_EOI = 0xb0, LAPIC_SVR = 0xf0 };
#define VECTOR_WS0 0x41 /* start.S's second entry (the real-time guest's device vector) */
#define VECTOR_SPURIOUS 0xff
#define IRQ_WS0 5 /* the watchdog node's interrupts */
#define UART 0x3f8
#define PM_TIMER 0x608 /* keel,acpi-pm at 0x600: PM_TMR */
#define PM_TIMER_HZ 3579545u
#define PM_TIMER_BITS 24
#define PM_TIMER_MASK ((1u << PM_TIMER_BITS) - 1)
#define PM_SAMPLE_TICKS (PM_TIMER_HZ / 500) /* 2 ms of reads for the bounds */
#define COUNTER_HZ 62500000u                /* ARCH_SYSTEM_COUNTER_HZ */
#define EXIT_PORT 0x501

/* Called by ../../rt/x86_64/start.S. */
void rt_x86_64_idt(void);
void rt_x86_64_irq(uint64_t entry, unsigned vector);
void rt_x86_64_exception(const uint64_t *frame);
extern const char rt_x86_64_exceptions[], rt_x86_64_uart_entry[], rt_x86_64_spurious[];

static uint64_t idt[256][2];
static uint64_t tsc_hz; /* the kernel's TSC rate, as found (above) */

/* One MOV each: a form the VMM's MMIO decoder takes. */
uint32_t wdt_arch_r32(uint64_t a)
{
    uint32_t v;
    __asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(a) : "memory");
    return v;
}

void wdt_arch_w32(uint64_t a, uint32_t v)
{
    __asm__ volatile("movl %0, (%1)" : : "r"(v), "r"(a) : "memory");
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

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return lo | (uint64_t)hi << 32;
}

static uint32_t pm_timer(void)
{
    return inl(PM_TIMER) & PM_TIMER_MASK;
}

static uint64_t mul_div(uint64_t a, uint64_t b, uint64_t c)
{
    return (uint64_t)((unsigned __int128)a * b / c);
}

static __attribute__((noreturn)) void power_off(uint8_t status)
{
    outb(EXIT_PORT, status);
    for (;;) {
        __asm__ volatile("cli; hlt");
    }
}

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
    gate(VECTOR_WS0, rt_x86_64_uart_entry);
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } desc = { sizeof(idt) - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" : : "m"(desc));
}

/* A rough rate, as the real-time guest measures it: from one edge of the PM timer to the first
 * after 10 ms (to within 10^-4: enough to unwrap the timer's 24 bits, 4.7 s). */
static uint64_t tsc_rate_rough(void)
{
    uint32_t start = pm_timer(), now, ticks;
    while ((now = pm_timer()) == start) {
    }
    start = now;
    uint64_t t0 = rdtsc();
    do {
        ticks = (pm_timer() - start) & PM_TIMER_MASK;
    } while (ticks < PM_TIMER_HZ / 100);
    return mul_div(rdtsc() - t0, PM_TIMER_HZ, ticks);
}

/* The rate from the bounds of the reads (above); 0 if they contradict each other (a TSC that is
 * not the kernel's, or a timer that is not the TSC's). */
static uint64_t tsc_rate(void)
{
    uint64_t rough = tsc_rate_rough(), lo = 0, hi = UINT64_MAX, first = 0;
    for (;;) {
        uint64_t a = rdtsc();
        uint32_t p = pm_timer();
        uint64_t b = rdtsc();
        /* k: p plus the multiple of 2^24 that brings it nearest the rough estimate at a. */
        int64_t d = (int64_t)(mul_div(a, PM_TIMER_HZ, rough) - p) + (1ll << (PM_TIMER_BITS - 1));
        uint64_t k = p + (d > 0 ? (uint64_t)d >> PM_TIMER_BITS << PM_TIMER_BITS : 0);
        uint64_t l = mul_div(a, PM_TIMER_HZ, k + 1) + 1;
        if (l > lo) {
            lo = l;
        }
        if (k > 0) {
            uint64_t h = mul_div(b, PM_TIMER_HZ, k);
            if (h < hi) {
                hi = h;
            }
        }
        if (!first) {
            first = k;
        } else if (k - first >= PM_SAMPLE_TICKS) {
            break;
        }
    }
    return lo <= hi ? lo + (hi - lo) / 2 : 0;
}

void wdt_arch_init(void)
{
    wdt_arch_w32(LAPIC + LAPIC_SVR, 0x100 | VECTOR_SPURIOUS); /* enabled */
    /* WS0's redirection entry (0x10 + 2 * line): to APIC id 0, level, active high. */
    wdt_arch_w32(IOAPIC, 0x11 + 2 * IRQ_WS0);
    wdt_arch_w32(IOAPIC + 0x10, 0);
    wdt_arch_w32(IOAPIC, 0x10 + 2 * IRQ_WS0);
    wdt_arch_w32(IOAPIC + 0x10, 0x8000 | VECTOR_WS0);
    tsc_hz = tsc_rate();
    if (tsc_hz == 0) {
        rt_say("wdt: FAILED: the PM timer's reads do not agree on one TSC rate\n");
        power_off(1);
    }
}

/* The counter at TSC t: floor(t * 62.5 MHz / F), by parts as the VMM's sbsa_gwdt_counter(). */
static uint64_t counter_at(uint64_t t)
{
    return t / tsc_hz * COUNTER_HZ + t % tsc_hz * COUNTER_HZ / tsc_hz;
}

uint64_t wdt_arch_counter(void)
{
    return counter_at(rdtsc());
}

uint64_t wdt_arch_counter_freq(void)
{
    return COUNTER_HZ;
}

void wdt_arch_putc(char c)
{
    outb(UART, (uint8_t)c); /* THR: the VMM's transmitter is never busy */
}

void wdt_arch_wait_and_take(void)
{
    /* HLT waits only with interrupts on; STI's shadow lets none in before it, so the interrupt
     * is taken in the HLT, and CLI masks them again after it. */
    __asm__ volatile("sti; hlt; cli" : : : "memory");
}

/* From start.S with the TSC at the vector's entry; interrupts are off. */
void rt_x86_64_irq(uint64_t entry, unsigned vector)
{
    if (vector == VECTOR_WS0) {
        wdt_ws0_irq(counter_at(entry));
    }
    wdt_arch_w32(LAPIC + LAPIC_EOI, 0); /* (the I/O APIC hears it: line 5 may interrupt again) */
}

void rt_x86_64_exception(const uint64_t *frame)
{
    uint64_t cr2;
    __asm__ volatile("movq %%cr2, %0" : "=r"(cr2));
    rt_say("wdt: unexpected exception (vector %lu, error 0x%lx, cr2 0x%lx) at 0x%lx\n",
           (unsigned long)frame[0], (unsigned long)frame[1], (unsigned long)cr2,
           (unsigned long)frame[2]);
    power_off(99);
}
