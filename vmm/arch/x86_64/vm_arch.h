/* SPDX-License-Identifier: MIT */
/* The x86_64 parts of struct vcpu and struct vm (vm.h). */
#pragma once
#include <stdint.h>
#include <stdbool.h>

/* No Linux Image format on x86: a Linux guest is a bzImage (the x86 boot protocol,
 * linux_x86.c), loaded by arch_linux_load(); loader_linux.c is never called. */
#define ARCH_LINUX_IMAGE 0
#define ARCH_LINUX_BZIMAGE 1
#define ARCH_LINUX_MAGIC 0u
#define ARCH_LINUX_NAME "x86_64"

/* The system counter of devices that count on it (the SBSA watchdog), in Hz: x86 has no
 * architected one, so a fixed 62.5 MHz timebase (QEMU's arm64 CNTFRQ), the TSC (keel_cycles())
 * scaled from its frequency (rt_timer_freq()): a guest programs it without calibrating. */
#define ARCH_SYSTEM_COUNTER_HZ 62500000u

#define VM_MAX_PORT_DEVICES 16 /* I/O-port devices (ports.c) */

/* The CPU's own CPUID (the VMM's: the guests' answers start from it, exit.c). */
static inline void x86_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid"
                     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(sub));
}

/* Its vendor's string starts with "Genu" (GenuineIntel) or "Auth" (AuthenticAMD). */
static inline bool x86_vendor_is(const char four[4])
{
    uint32_t r[4];
    x86_cpuid(0, 0, r);
    return r[1] == ((uint32_t)four[0] | (uint32_t)four[1] << 8 | (uint32_t)four[2] << 16 |
                    (uint32_t)four[3] << 24);
}

/* The local APIC model's state of one vCPU (lapic.c). */
struct vlapic {
    uint32_t id, tpr, ldr, dfr, svr, esr, icr_high;
    uint32_t lvt[6];          /* timer, thermal, performance, LINT0, LINT1, error */
    uint32_t timer_initial, timer_divide;
    uint64_t timer_start;     /* keel_cycles when the count was loaded */
    uint64_t timer_due;       /* keel_cycles when it reaches 0 (UINT64_MAX: stopped) */
    uint64_t tsc_deadline;    /* IA32_TSC_DEADLINE as written (TSC-deadline mode) */
    uint32_t irr[8], isr[8];  /* requested and in-service vectors, a bit each */
    uint32_t tmr[8];          /* requested as level-triggered (the I/O APIC waits for the EOI) */
};

struct vcpu_arch {
    struct vlapic lapic;
    uint64_t dr[4];    /* the guest's DR0-3 and DR7 (exit.c: never loaded into the CPU) */
    uint64_t dr7;
    /* Exits to the VMM by kind (statistics, printed when the VM ends). */
    uint64_t exits_port, exits_mmio, exits_msr, exits_cpuid, exits_hlt;
    uint64_t kvmclock_msr;     /* MSR_KVM_SYSTEM_TIME_NEW as written (kvmclock.h) */
    uint32_t kvmclock_version; /* of its structure, even */
};

/* The VMM prints each vCPU's exits by kind at the end (vcpu_print_stats). */
#define ARCH_VCPU_STATS 1
struct vm;
struct vcpu;
void arch_vcpu_print_stats(const struct vm *vm, const struct vcpu *v);

struct vm_arch {
    bool lapic;           /* the VM has local APICs (lapic.c) */
    uint64_t lapic_base, ioapic_base; /* their guest-physical pages (the ACPI MADT names them) */
    uint16_t acpi_pm_base;            /* keel,acpi-pm's first port (0: none) */
    bool acpi_pm_timer;               /* with its PM timer */
    bool rtc;                         /* a CMOS clock at ports 0x70-0x71 (the FADT says so) */
    bool clock_devices;               /* an 8254 or a CMOS clock: ports_clock_events */
    unsigned irq_reports; /* lines raised with no interrupt controller to take them */
    uint64_t kvmclock_tsc0; /* the TSC at kvm-clock's 0 (the first vCPU to ask sets it) */
    uint64_t kvmclock_wall_msr;
    uint32_t kvmclock_wall_version;
};
