// SPDX-License-Identifier: MIT
/*
 * Boot information on x86_64 from multiboot (v1): RAM from the BIOS memory map (above 1 MiB; the
 * direct map is extended over what lies above 4 GiB, directmap.c), the initrd from
 * the first module, CPUs from the ACPI MADT (acpi.c). There is no device tree (boot_info.fdt is
 * NULL). The console is COM1, the 16550 at I/O port 0x3f8 of every PC.
 */
#include <keel/arch/boot.h>
#include <keel/boot_info.h>
#include <keel/console.h>
#include <keel/printk.h>
#include <keel/entry.h>
#include <arch/mmu.h>
#include <arch/x86.h>
#include <string.h>
#include "internal.h"

#define MB_INFO_MAGIC 0x2badb002
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MODS (1u << 3)
#define MB_INFO_MMAP (1u << 6)
#define MB_MMAP_RAM 1
#define COM1_PORT 0x3f8
#define LOW_MEMORY_END (1ull << 20) /* below: BIOS data, the CPU start page (not given out) */

struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
};

struct mb_module {
    uint32_t start, end, string, reserved;
};

struct mb_mmap_entry {
    uint32_t size; /* of the rest of the entry */
    uint64_t base, len;
    uint32_t type;
} __attribute__((packed));

extern const struct console_driver uart_ns16550_pio_driver;

/* From multiboot.S, in long mode on the boot stack. */
noreturn void kern_main_x86(uint32_t magic, uint32_t info_pa)
{
    kern_main(magic == MB_INFO_MAGIC ? kva_from_pa(pa_init(info_pa)) : NULL);
}

bool arch_boot_console(const void *boot_data)
{
    (void)boot_data;
    console_use(&uart_ns16550_pio_driver, COM1_PORT);
    return true;
}

static void add_ram(struct boot_info *bi, uint64_t base, uint64_t end)
{
    base = base < LOW_MEMORY_END ? LOW_MEMORY_END : base;
    base = (base + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    end &= ~(PAGE_SIZE - 1);
    if (end <= base) {
        return;
    }
    if (bi->mem_count == BOOT_MAX_MEM_RANGES) {
        printk("boot: more than %d memory ranges, ignoring the rest\n", BOOT_MAX_MEM_RANGES);
        return;
    }
    bi->mem[bi->mem_count++] = (struct mem_range){ pa_init(base), end - base };
}

bool arch_boot_info(struct boot_info *bi, const void *boot_data)
{
    memset(bi, 0, sizeof(*bi));
    const struct mb_info *mb = boot_data;
    if (!mb) {
        printk("boot: not started by a multiboot loader\n");
        return false;
    }
    if (mb->flags & MB_INFO_CMDLINE) {
        printk("boot: command line '%s'\n", (const char *)kva_from_pa(pa_init(mb->cmdline)));
    }
    if (!(mb->flags & MB_INFO_MMAP)) {
        printk("boot: the loader passed no memory map\n");
        return false;
    }
    const char *p = kva_from_pa(pa_init(mb->mmap_addr)), *end = p + mb->mmap_length;
    while (p < end) {
        const struct mb_mmap_entry *e = (const void *)p;
        if (e->type == MB_MMAP_RAM) {
            add_ram(bi, e->base, e->base + e->len);
        }
        p += e->size + sizeof(e->size);
    }
    if ((mb->flags & MB_INFO_MODS) && mb->mods_count > 0) {
        const struct mb_module *m = kva_from_pa(pa_init(mb->mods_addr));
        bi->initrd_start = pa_init(m->start);
        bi->initrd_end = pa_init(m->end);
    }
    directmap_extend(bi); /* RAM above 4 GiB */
    bi->cpu_count = acpi_cpus(bi->cpu_hwid, sizeof(bi->cpu_hwid) / sizeof(bi->cpu_hwid[0]));
    if (!bi->mem_count || !bi->cpu_count) {
        printk("boot: no memory or no CPU\n");
        return false;
    }
    return true;
}
