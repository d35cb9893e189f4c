// SPDX-License-Identifier: MIT
// Calls into the SBI (OpenSBI): system reset, timer, IPIs, remote fences, hart start.
#include <keel/arch/platform.h>
#include <keel/arch/cpu.h>
#include <keel/printk.h>
#include <keel/console.h>
#include <arch/sbi.h>
#include <arch/csr.h>

struct sbiret sbi_call(long ext, long fid, long a0, long a1, long a2)
{
    register long r0 __asm__("a0") = a0;
    register long r1 __asm__("a1") = a1;
    register long r2 __asm__("a2") = a2;
    register long r6 __asm__("a6") = fid;
    register long r7 __asm__("a7") = ext;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r6), "r"(r7) : "memory");
    return (struct sbiret){ r0, r1 };
}

noreturn void arch_cpu_stop(void)
{
    csr_write(sie, 0);
    sbi_call(SBI_EXT_HSM, 1, 0, 0, 0); /* hart_stop: does not return when it works */
    arch_cpu_halt();
}

void arch_platform_init(const void *fdt)
{
    (void)fdt;
}

noreturn void arch_platform_power_off(void)
{
    struct sbiret r = sbi_call(SBI_EXT_SRST, 0, SBI_SRST_SHUTDOWN, 0, 0);
    printk("sbi: SRST shutdown refused (%ld)\n", r.error);
    console_flush();
    arch_cpu_halt();
}

noreturn void arch_platform_reset(void)
{
    struct sbiret r = sbi_call(SBI_EXT_SRST, 0, SBI_SRST_COLD_REBOOT, 0, 0);
    printk("sbi: SRST reboot refused (%ld)\n", r.error);
    console_flush();
    arch_cpu_halt();
}
