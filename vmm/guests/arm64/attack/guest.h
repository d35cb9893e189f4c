/* SPDX-License-Identifier: MIT */
/*
 * What the C test guests share (start.S, guest.c): console output over the PL011, MMIO of an
 * exact width (one load or store instruction each, so the VMM sees a decodable syndrome), PSCI
 * calls, the counter, and the exceptions the guest takes itself.
 *
 * The guests are bare metal at EL1 with virtual = physical addresses (start.S); the devices'
 * registers are also reachable as Normal memory at GUEST_NORMAL_ALIAS + their address.
 */
#pragma once
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_UART 0x09000000ull
#define GUEST_NORMAL_ALIAS 0x80000000ull

#define PSCI_VERSION 0x84000000u
#define PSCI_CPU_ON 0xc4000003u
#define PSCI_AFFINITY_INFO 0xc4000004u
#define PSCI_FEATURES 0x8400000au
#define PSCI_CPU_SUSPEND 0xc4000001u
#define PSCI_CPU_SUSPEND32 0x84000001u
#define PSCI_CPU_ON32 0x84000003u
#define PSCI_AFFINITY_INFO32 0x84000004u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_NOT_SUPPORTED (-1)
/* SMCCC (Arm DEN 0028): its version, feature discovery, the first errata workaround. */
#define SMCCC_VERSION 0x80000000u
#define SMCCC_ARCH_FEATURES 0x80000001u
#define SMCCC_ARCH_WORKAROUND_1 0x80008000u
#define SMCCC_NOT_SUPPORTED (-1)
/* start.S: a secondary's entry, and where it leaves its context argument. */
void secondary_entry(void);
extern uint64_t secondary_context;
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_ALREADY_ON (-4)
#define PSCI_INVALID_ADDRESS (-9)

/* Prints to the PL011 (printf formats of lib/c/include/format.h). */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vsay(const char *fmt, va_list ap);

/* One access of exactly that width at physical address a. */
static inline uint8_t mmio_r8(uint64_t a)
{
    uint32_t v;
    __asm__ volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
    return (uint8_t)v;
}
static inline uint16_t mmio_r16(uint64_t a)
{
    uint32_t v;
    __asm__ volatile("ldrh %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
    return (uint16_t)v;
}
static inline uint32_t mmio_r32(uint64_t a)
{
    uint32_t v;
    __asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
    return v;
}
static inline uint64_t mmio_r64(uint64_t a)
{
    uint64_t v;
    __asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(a) : "memory");
    return v;
}
static inline void mmio_w8(uint64_t a, uint8_t v)
{
    __asm__ volatile("strb %w0, [%1]" : : "r"((uint32_t)v), "r"(a) : "memory");
}
static inline void mmio_w16(uint64_t a, uint16_t v)
{
    __asm__ volatile("strh %w0, [%1]" : : "r"((uint32_t)v), "r"(a) : "memory");
}
static inline void mmio_w32(uint64_t a, uint32_t v)
{
    __asm__ volatile("str %w0, [%1]" : : "r"(v), "r"(a) : "memory");
}
static inline void mmio_w64(uint64_t a, uint64_t v)
{
    __asm__ volatile("str %0, [%1]" : : "r"(v), "r"(a) : "memory");
}

/* Orders the guest's ring writes against the device (the VMM on this or another CPU). */
static inline void barrier(void)
{
    __asm__ volatile("dmb ish" : : : "memory");
}

static inline uint64_t counter(void)
{
    uint64_t v;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
    return v;
}
static inline uint64_t counter_freq(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
    return v;
}

/* Waits (WFI) until `ticks` of the counter have passed: the virtual timer wakes the CPU. */
void guest_sleep(uint64_t ticks);

/* A PSCI call (HVC, SMC32/64 calling convention); returns x0. */
int64_t psci_hvc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
int64_t psci_smc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);

/*
 * Exceptions: every one the guest takes lands in guest_trap() (from start.S), which records it
 * in guest_traps and resumes after the instruction that caused it (or at guest_traps.resume).
 * Code that provokes one on purpose sets guest_traps.expecting and compares the count before and
 * after; any other is reported as a failure (and counted in guest_traps.unexpected).
 */
struct guest_traps {
    unsigned count;      /* exceptions taken */
    uint64_t esr, far;   /* of the last one */
    bool expecting;      /* an exception may come: do not count it as unexpected */
    unsigned unexpected;
    uint64_t resume;     /* if not 0: where to resume after the next one (then cleared) */
};
extern volatile struct guest_traps guest_traps;
uint64_t guest_trap(uint64_t esr, uint64_t elr, uint64_t far, unsigned vector);

/*
 * The attacker tells its neighbour over their virtio-net link when it starts and when it is
 * done: an Ethernet broadcast (EtherType 0x88b5, local experimental) whose payload is
 * GUEST_SIGNAL followed by "start" or "done".
 */
#define GUEST_SIGNAL "keel-isolation: "
#define GUEST_ETHERTYPE 0x88b5

/* The test disk (disk.S): byte i of sector s. */
static inline uint8_t disk_byte(uint64_t sector, unsigned i)
{
    return (uint8_t)(sector * 31 + i * 7 + (i >> 8));
}
