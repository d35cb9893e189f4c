// SPDX-License-Identifier: MIT
// The boot order of the kernel: console, boot information, then the first user task.
#include <keel/boot_info.h>
#include <keel/console.h>
#include <keel/printk.h>
#include <keel/arch/cpu.h>
#include <keel/arch/platform.h>

static struct boot_info boot_info;

/* Entered once, on the boot CPU, with the MMU off and the device tree from the firmware. */
noreturn void kern_main(const void *fdt);

noreturn void kern_main(const void *fdt)
{
    if (!console_init(fdt)) {
        arch_cpu_halt(); /* nowhere to say anything */
    }
    printk("\nKeel hypervisor (%s)\n", arch_name);
    if (!boot_info_from_dt(&boot_info, fdt)) {
        panic("cannot read the boot device tree");
    }
    arch_platform_init(fdt);
    uint64_t mem = 0;
    for (unsigned i = 0; i < boot_info.mem_count; i++) {
        mem += boot_info.mem[i].size;
    }
    printk("boot: %u CPUs, %lu MiB memory in %u ranges, initrd %lu bytes\n", boot_info.cpu_count,
           (unsigned long)(mem >> 20), boot_info.mem_count,
           (unsigned long)(pa_val(boot_info.initrd_end) - pa_val(boot_info.initrd_start)));
    printk("KEEL BOOT OK\n");
    arch_platform_power_off();
}
