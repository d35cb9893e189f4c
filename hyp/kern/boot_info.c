// SPDX-License-Identifier: MIT
// Reads the boot device tree: memory ranges, CPU count and the initrd named by /chosen.
#include <keel/boot_info.h>
#include <keel/printk.h>
#include <fdt_util.h>
#include <libfdt.h>
#include <string.h>

static void read_memory(struct boot_info *bi, const void *fdt)
{
    int node;
    fdt_for_each_subnode(node, fdt, 0) {
        const char *type = fdt_getprop(fdt, node, "device_type", NULL);
        if (!type || strcmp(type, "memory") != 0) {
            continue;
        }
        uint64_t base, size;
        for (int i = 0; fdt_util_reg(fdt, node, i, &base, &size); i++) {
            if (bi->mem_count == BOOT_MAX_MEM_RANGES) {
                printk("boot: more than %d memory ranges, ignoring the rest\n", BOOT_MAX_MEM_RANGES);
                return;
            }
            bi->mem[bi->mem_count++] = (struct mem_range){ pa_init(base), size };
        }
    }
}

static unsigned read_cpus(struct boot_info *bi, const void *fdt)
{
    int cpus = fdt_path_offset(fdt, "/cpus");
    unsigned n = 0;
    int node;
    if (cpus < 0) {
        return 0;
    }
    fdt_for_each_subnode(node, fdt, cpus) {
        const char *type = fdt_getprop(fdt, node, "device_type", NULL);
        const char *status = fdt_getprop(fdt, node, "status", NULL);
        uint64_t hwid;
        if (type && strcmp(type, "cpu") == 0 && (!status || strcmp(status, "okay") == 0) &&
            fdt_util_reg(fdt, node, 0, &hwid, NULL)) {
            if (n < sizeof(bi->cpu_hwid) / sizeof(bi->cpu_hwid[0])) {
                bi->cpu_hwid[n] = hwid;
            }
            n++;
        }
    }
    return n;
}

static void add_reserved(struct boot_info *bi, uint64_t base, uint64_t size)
{
    if (size && bi->reserved_count < BOOT_MAX_MEM_RANGES) {
        bi->reserved[bi->reserved_count++] = (struct mem_range){ pa_init(base), size };
    }
}

static void read_reserved(struct boot_info *bi, const void *fdt)
{
    for (int i = 0; i < fdt_num_mem_rsv(fdt); i++) {
        uint64_t base, size;
        if (fdt_get_mem_rsv(fdt, i, &base, &size) == 0) {
            add_reserved(bi, base, size);
        }
    }
    int rm = fdt_path_offset(fdt, "/reserved-memory");
    int node;
    if (rm < 0) {
        return;
    }
    fdt_for_each_subnode(node, fdt, rm) {
        uint64_t base, size;
        for (int i = 0; fdt_util_reg(fdt, node, i, &base, &size); i++) {
            add_reserved(bi, base, size);
        }
    }
}

static void read_initrd(struct boot_info *bi, const void *fdt)
{
    int chosen = fdt_path_offset(fdt, "/chosen");
    uint64_t start, end;
    if (chosen >= 0 && fdt_util_u64(fdt, chosen, "linux,initrd-start", &start) &&
        fdt_util_u64(fdt, chosen, "linux,initrd-end", &end) && end > start) {
        bi->initrd_start = pa_init(start);
        bi->initrd_end = pa_init(end);
    }
}

static bool within(struct mem_range r, uint64_t base, uint64_t end)
{
    const uint64_t page = 4096; /* (a loader may round what it reserves to whole pages) */
    base &= ~(page - 1);
    end = (end + page - 1) & ~(page - 1);
    return pa_val(r.base) >= base && pa_val(r.base) < end && r.size <= end - pa_val(r.base);
}

bool boot_info_is_boot_data(const struct boot_info *bi, struct mem_range r, paddr_t fdt_pa,
                            uint64_t fdt_size)
{
    return (pa_val(bi->initrd_start) &&
            within(r, pa_val(bi->initrd_start), pa_val(bi->initrd_end))) ||
           (fdt_size && within(r, pa_val(fdt_pa), pa_val(fdt_pa) + fdt_size));
}

bool boot_info_from_dt(struct boot_info *bi, const void *fdt)
{
    memset(bi, 0, sizeof(*bi));
    int err = fdt_util_check(fdt, UINT64_MAX); /* the firmware's: as big as it says */
    if (err) {
        printk("boot: bad device tree: %s\n", fdt_strerror(err));
        return false;
    }
    bi->fdt = fdt;
    read_memory(bi, fdt);
    bi->cpu_count = read_cpus(bi, fdt);
    read_initrd(bi, fdt);
    read_reserved(bi, fdt);
    if (!bi->mem_count || !bi->cpu_count) {
        printk("boot: device tree names no memory or no CPU\n");
        return false;
    }
    return true;
}
