// SPDX-License-Identifier: MIT
/*
 * kvm-clock's leaves and structures (kvmclock.h). The MSRs that name the structures' guest
 * addresses are exit.c's (msr_exit): it finds the RAM and calls the writers here.
 *
 * One fixed conversion for the VM's life: the TSC runs at the kernel's clock rate on every CPU
 * (the guest's TSC is the host's: no offset, no scaling), so the structure is written once, when
 * the guest names it, and never needs an update. PVCLOCK_TSC_STABLE_BIT tells the guest that
 * the vCPUs' clocks agree, so it needs no cross-CPU monotonicity fix-up: offered only when the
 * CPU says its TSC is invariant (QEMU's emulated CPUs do not: their guests keep the fix-up).
 */
#include "kvmclock.h"
#include <string.h>

bool kvmclock_cpuid(uint32_t leaf, bool stable, uint32_t r[4])
{
    switch (leaf) {
    case KVM_CPUID_SIGNATURE:
        r[0] = KVM_CPUID_FEATURES; /* the last leaf */
        memcpy(&r[1], "KVMKVMKVM\0\0\0", 12);
        return true;
    case KVM_CPUID_FEATURES:
        /* the clock at the new MSRs, and stable; nothing else (no PV EOI, steal time, async
         * page faults, PV IPIs or spinlocks: a guest then uses none of them) */
        r[0] = KVM_FEATURE_CLOCKSOURCE2 | (stable ? KVM_FEATURE_CLOCKSOURCE_STABLE_BIT : 0);
        r[1] = r[2] = r[3] = 0; /* edx: no hints (not KVM_HINTS_REALTIME) */
        return true;
    default:
        return false;
    }
}

bool kvmclock_scale(uint64_t hz, uint32_t *mul, int8_t *shift)
{
    if (hz == 0) {
        return false;
    }
    /* mul = 10^9 * 2^32 / (hz * 2^shift): the smallest shift that brings it under 2^32 */
    for (int s = -32; s <= 31; s++) {
        unsigned __int128 num = (unsigned __int128)1000000000u << (32 + (s < 0 ? -s : 0));
        unsigned __int128 den = (unsigned __int128)hz << (s > 0 ? s : 0);
        unsigned __int128 m = num / den;
        if (m < ((unsigned __int128)1 << 32)) {
            *mul = (uint32_t)m;
            *shift = (int8_t)s;
            return true;
        }
    }
    return false; /* (hz >= 1 always fits by shift 30) */
}

void kvmclock_write_time(volatile struct pvclock_vcpu_time_info *t, uint32_t *version,
                         uint64_t tsc0, uint64_t hz, bool stable)
{
    uint32_t mul = 0;
    int8_t shift = 0;
    kvmclock_scale(hz, &mul, &shift);
    t->version = *version + 1; /* odd: being written (a guest reading now tries again) */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    t->pad0 = 0;
    t->tsc_timestamp = tsc0;
    t->system_time = 0;
    t->tsc_to_system_mul = mul;
    t->tsc_shift = shift;
    t->flags = stable ? PVCLOCK_TSC_STABLE_BIT : 0;
    t->pad[0] = t->pad[1] = 0;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    *version += 2;
    t->version = *version;
}

void kvmclock_write_wall(volatile struct pvclock_wall_clock *w, uint32_t *version, uint64_t sec,
                         uint32_t nsec)
{
    w->version = *version + 1;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    w->sec = (uint32_t)sec; /* (the ABI's 32 bits: until 2106) */
    w->nsec = nsec;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    *version += 2;
    w->version = *version;
}
