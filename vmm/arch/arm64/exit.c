// SPDX-License-Identifier: MIT
/*
 * VM exits on arm64, dispatched by the exception class of ESR_EL2 through a table: data aborts on
 * MMIO (decoded from the syndrome: register, width, direction, sign extension), HVC and SMC calls
 * for PSCI. Anything else stops the VM with a message; nothing the guest does stops the VMM.
 */
#include "../../vm.h"
#include "../../vcpu_loop.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <uapi/keel/vcpu.h>

#define EC_WFX 0x01
#define EC_SYS64 0x18
#define EC_HVC64 0x16
#define EC_SMC64 0x17
#define EC_DABT_LOW 0x24

enum {
    PSCI_VERSION = 0x84000000,
    PSCI_FEATURES = 0x8400000a,
    PSCI_SYSTEM_OFF = 0x84000008,
    PSCI_SYSTEM_RESET = 0x84000009,
    PSCI_NOT_SUPPORTED = -1,
};

static uint64_t *reg(struct keel_vcpu_state *s, unsigned n, uint64_t *zero)
{
    *zero = 0;
    return n == 31 ? zero : &s->x[n]; /* register 31 is XZR for loads and stores */
}

static int data_abort(struct vm *vm, struct keel_vcpu_state *s, uint64_t esr)
{
    uint64_t iss = esr & 0x1ffffff;
    gpa_t gpa = gpa_init(s->exit_gpa);
    if (!(iss & (1u << 24))) {
        printf("vmm: MMIO at 0x%lx without a decodable syndrome (pc 0x%lx); stopping the VM\n",
               (unsigned long)gpa_val(gpa), (unsigned long)s->pc);
        return -1;
    }
    unsigned width = 1u << ((iss >> 22) & 3), rt = (iss >> 16) & 31;
    bool write = iss & (1u << 6), sign = iss & (1u << 21), sf = iss & (1u << 15);
    struct mmio_device *d = vm_device_at(vm, gpa);
    uint64_t zero, *r = reg(s, rt, &zero);
    uint64_t value = write ? (width == 8 ? *r : *r & ((1ull << (8 * width)) - 1)) : 0;
    if (!d || !d->access(d, gpa_val(gpa) - gpa_val(d->base), width, write, &value)) {
        printf("vmm: guest %s of %u bytes at 0x%lx: no such register (pc 0x%lx)\n",
               write ? "write" : "read", width, (unsigned long)gpa_val(gpa), (unsigned long)s->pc);
        value = 0; /* reads of nothing return zero; the guest goes on */
    }
    if (!write) {
        if (sign && width < 8 && (value >> (8 * width - 1)) & 1) {
            value |= ~0ull << (8 * width);
        }
        *r = sf ? value : value & 0xffffffffull;
    }
    s->pc += 4;
    return 0;
}

static int psci(struct vm *vm, struct keel_vcpu_state *s)
{
    switch ((uint32_t)s->x[0]) {
    case PSCI_VERSION:
        s->x[0] = 0x10000; /* 1.0 */
        return 0;
    case PSCI_FEATURES:
        s->x[0] = (uint32_t)s->x[1] == PSCI_VERSION || (uint32_t)s->x[1] == PSCI_SYSTEM_OFF ? 0
                                                                                        : (uint64_t)(int64_t)PSCI_NOT_SUPPORTED;
        return 0;
    case PSCI_SYSTEM_OFF:
    case PSCI_SYSTEM_RESET:
        vm->off = true;
        vm->exit_status = (int64_t)s->x[1];
        return 0;
    default:
        s->x[0] = (uint64_t)(int64_t)PSCI_NOT_SUPPORTED;
        return 0;
    }
}

/* WFI: the guest has nothing to do until an interrupt. The one source it can have today is its
 * virtual timer: sleep until it is due (a receive that times out), then resume; the kernel
 * injects the timer's interrupt as soon as the guest runs. WFE goes on at once. */
static uint64_t counter_freq(void)
{
    uint64_t f;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f)); /* readable at EL0 (CNTKCTL_EL1) */
    return f;
}

static int wait_for_interrupt(struct keel_vcpu_state *s, uint64_t esr)
{
    s->pc += 4;
    if (esr & 1) {
        return 0; /* WFE */
    }
    uint64_t ctl = s->cntv_ctl_el0, freq = counter_freq();
    uint64_t us = 1000; /* no timer armed: look again in a millisecond */
    if ((ctl & 1) && !(ctl & 2)) {
        uint64_t now = keel_cycles();
        us = s->cntv_cval_el0 > now ? (s->cntv_cval_el0 - now) * 1000000 / freq + 1 : 0;
    }
    if (us) {
        keel_receive(KEEL_ROOT_THREAD, us < 1000000 ? (uint32_t)us : 1000000, 0);
    }
    return 0;
}

/* A trapped system-register access: debug and performance-monitor registers (which the kernel
 * keeps from guests) and implementation-defined ones read as zero and ignore writes. */
static int system_register(struct keel_vcpu_state *s, uint64_t esr)
{
    unsigned rt = (esr >> 5) & 31;
    bool read = esr & 1;
    uint64_t zero;
    if (read) {
        *reg(s, rt, &zero) = 0;
    }
    s->pc += 4;
    return 0;
}

int vcpu_handle_exit(struct vm *vm, struct keel_vcpu_state *s)
{
    uint64_t esr = s->exit_esr;
    switch (esr >> 26) {
    case EC_WFX:
        return wait_for_interrupt(s, esr);
    case EC_SYS64:
        return system_register(s, esr);
    case EC_DABT_LOW:
        return data_abort(vm, s, esr);
    case EC_HVC64:
        return psci(vm, s); /* the return address is already past the HVC */
    case EC_SMC64:
        s->pc += 4; /* a trapped SMC returns to itself */
        return psci(vm, s);
    default:
        printf("vmm: unhandled exit, ESR 0x%lx at pc 0x%lx; stopping the VM\n", (unsigned long)esr,
               (unsigned long)s->pc);
        return -1;
    }
}

void vcpu_reset(struct keel_vcpu_state *s, uint64_t entry, uint64_t dtb)
{
    for (unsigned i = 0; i < 31; i++) {
        s->x[i] = 0;
    }
    s->x[0] = dtb;
    s->pc = entry;
    s->pstate = 0x3c5; /* EL1h, interrupts masked: as the Linux boot protocol asks */
    s->sctlr_el1 = 0x30d00800; /* MMU and caches off */
}
