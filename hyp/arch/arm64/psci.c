// SPDX-License-Identifier: MIT
// System control through PSCI, the conduit (SMC or HVC) read from the device tree's /psci node.
#include <keel/arch/platform.h>
#include <keel/arch/cpu.h>
#include <keel/printk.h>
#include <keel/console.h>
#include <libfdt.h>
#include <string.h>
#include <stdint.h>
#include <stdbool.h>
#include <hw/psci.h>
#include "internal.h"


static bool use_hvc; /* Keel runs at EL2, so firmware is normally reached with SMC */

static uint64_t psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    if (use_hvc) {
        __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
    } else {
        __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
    }
    return x0;
}

int64_t psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t context)
{
    return (int64_t)psci_call(PSCI_CPU_ON, mpidr, entry, context);
}

noreturn void arch_cpu_stop(void)
{
    psci_call(PSCI_CPU_OFF, 0, 0, 0);
    arch_cpu_halt(); /* refused: stay parked */
}

void arch_platform_init(const void *fdt)
{
    int node = fdt_node_offset_by_compatible(fdt, -1, "arm,psci-0.2");
    if (node < 0) {
        node = fdt_node_offset_by_compatible(fdt, -1, "arm,psci");
    }
    const char *method = node >= 0 ? fdt_getprop(fdt, node, "method", NULL) : NULL;
    use_hvc = method && strcmp(method, "hvc") == 0;
}

noreturn void arch_platform_power_off(void)
{
    psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
    printk("psci: SYSTEM_OFF refused\n");
    console_flush();
    arch_cpu_halt();
}

noreturn void arch_platform_reset(void)
{
    psci_call(PSCI_SYSTEM_RESET, 0, 0, 0);
    printk("psci: SYSTEM_RESET refused\n");
    console_flush();
    arch_cpu_halt();
}
