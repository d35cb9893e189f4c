// SPDX-License-Identifier: MIT
/*
 * The guest's clock as KVM's paravirtual clock (kvm-clock): a guest that finds KVM's CPUID
 * leaves (at 0x40000100, beside Keel's own at 0x40000000, as KVM puts its own beside Hyper-V's)
 * registers a page of guest RAM per vCPU with an MSR, and reads there how its TSC converts to
 * nanoseconds: it is told the TSC's rate instead of measuring it (Linux's calibration against the
 * PM timer needs each read to take under 2^17 cycles: under emulation on a busy host it failed,
 * and with neither PIT interrupt nor TSC rate the kernel hung). The ABI is Linux's
 * Documentation/virt/kvm/x86/msr.rst and cpuid.rst; the structures are pvclock-abi.h's.
 */
#ifndef VMM_X86_64_KVMCLOCK_H
#define VMM_X86_64_KVMCLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define KVM_CPUID_SIGNATURE 0x40000100u
#define KVM_CPUID_FEATURES 0x40000101u
#define MSR_KVM_WALL_CLOCK_NEW 0x4b564d00u
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01u

#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT (1u << 24)
#define PVCLOCK_TSC_STABLE_BIT 1u

struct pvclock_vcpu_time_info {
    uint32_t version, pad0;
    uint64_t tsc_timestamp, system_time;
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags, pad[2];
} __attribute__((packed));

struct pvclock_wall_clock {
    uint32_t version, sec, nsec;
} __attribute__((packed));

/* KVM's two leaves: r = eax, ebx, ecx, edx; stable: the TSC is invariant (CPUID 0x80000007 EDX
 * bit 8), so the stable bit may be offered. False for any other leaf. */
bool kvmclock_cpuid(uint32_t leaf, bool stable, uint32_t r[4]);

/* The multiplier and shift with which nanoseconds = ((tsc << shift), or >> -shift when it is
 * negative, * mul) >> 32, for a TSC of hz cycles a second: the most precise (mul >= 2^31).
 * False for hz 0. */
bool kvmclock_scale(uint64_t hz, uint32_t *mul, int8_t *shift);

/* Fill a vCPU's structure in guest RAM (version odd while it is written, then *version + 2,
 * kept even): system time 0 at TSC tsc0, the VM's start, the same on every vCPU; the stable flag
 * as kvmclock_cpuid's. hz is not 0 (kvmclock_scale). */
void kvmclock_write_time(volatile struct pvclock_vcpu_time_info *t, uint32_t *version,
                         uint64_t tsc0, uint64_t hz, bool stable);

/* Fill the wall clock structure: the time of day at system time 0, seconds since 1970. */
void kvmclock_write_wall(volatile struct pvclock_wall_clock *w, uint32_t *version, uint64_t sec,
                         uint32_t nsec);

#endif
