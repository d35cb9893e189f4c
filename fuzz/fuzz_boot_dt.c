// SPDX-License-Identifier: MIT
/*
 * Fuzz target boot_dt: the kernel's reading of the boot device tree (hyp/kern/boot_info.c: memory
 * ranges, CPUs, reserved memory, the initrd) over lib/fdt/fdt_util.c and libfdt. The input is the
 * blob the firmware would hand over; it is all there (the header's total size at most the input).
 *
 * Checked besides the sanitizers: the counts stay within their arrays, an accepted tree has
 * memory and a CPU, an initrd found ends after it starts.
 */
#include "fuzz.h"
#include <keel/boot_info.h>
#include <keel/printk.h>
#include <libfdt.h>
#include <string.h>

void printk(const char *fmt, ...)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    void *fdt = malloc(size ? size : 1);
    memcpy(fdt, data, size);
    if (size >= sizeof(struct fdt_header) && fdt_totalsize(fdt) <= size) {
        struct boot_info bi;
        bool ok = boot_info_from_dt(&bi, fdt);
        FUZZ_CHECK(bi.mem_count <= BOOT_MAX_MEM_RANGES);
        FUZZ_CHECK(bi.reserved_count <= BOOT_MAX_MEM_RANGES);
        if (ok) {
            FUZZ_CHECK(bi.mem_count > 0 && bi.cpu_count > 0);
        }
        FUZZ_CHECK(pa_val(bi.initrd_end) >= pa_val(bi.initrd_start));
    }
    free(fdt);
    return 0;
}
