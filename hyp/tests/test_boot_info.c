// SPDX-License-Identifier: MIT
// boot_info_from_dt(): memory ranges, enabled CPUs, the initrd, and the refusal of bad trees.
#include "unit.h"
#include <keel/boot_info.h>
#include <keel/printk.h>
#include <libfdt.h>
#include <stdarg.h>
#include <stdlib.h>

static char last_message[256];

void printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_message, sizeof(last_message), fmt, ap);
    va_end(ap);
}

static char blob[65536];

static void *load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f || fread(blob, 1, sizeof(blob), f) == 0) {
        perror(path);
        exit(2);
    }
    fclose(f);
    return blob;
}

int main(void)
{
    struct boot_info bi;
    void *fdt = load("board.dtb");

    CHECK(boot_info_from_dt(&bi, fdt));
    CHECK_EQ(bi.mem_count, 3);
    CHECK_EQ(pa_val(bi.mem[0].base), 0x40000000);
    CHECK_EQ(bi.mem[0].size, 0x20000000);
    CHECK_EQ(pa_val(bi.mem[1].base), 0x100000000ull);
    CHECK_EQ(pa_val(bi.mem[2].base), 0x80000000);
    CHECK_EQ(bi.cpu_count, 2); /* cpu@2 is disabled */
    CHECK_EQ(pa_val(bi.initrd_start), 0x48000000);
    CHECK_EQ(pa_val(bi.initrd_end), 0x48001000);

    /* What a boot loader reserves of the boot data (U-Boot: the initrd, rounded to pages, and
     * the tree it passes) is boot data; a range that only overlaps it, or holds more, is not. */
    paddr_t fdt_pa = pa_init(0x4f000000);
    struct mem_range initrd = { pa_init(0x48000000), 0x1000 }, tree = { fdt_pa, 0x2000 };
    struct mem_range more = { pa_init(0x48000000), 0x3000 },
                     before = { pa_init(0x47fff000), 0x2000 };
    struct mem_range other = { pa_init(0x50000000), 0x1000 };
    CHECK(boot_info_is_boot_data(&bi, initrd, fdt_pa, 0x1234));
    CHECK(boot_info_is_boot_data(&bi, tree, fdt_pa, 0x1234));
    CHECK(!boot_info_is_boot_data(&bi, more, fdt_pa, 0x1234));
    CHECK(!boot_info_is_boot_data(&bi, before, fdt_pa, 0x1234));
    CHECK(!boot_info_is_boot_data(&bi, other, fdt_pa, 0x1234));
    CHECK(!boot_info_is_boot_data(&bi, tree, fdt_pa, 0)); /* no tree */

    /* A corrupted header is refused with a reason. */
    char saved = blob[0];
    blob[0] ^= 0x55;
    CHECK(!boot_info_from_dt(&bi, fdt));
    CHECK(strstr(last_message, "bad device tree") != NULL);
    blob[0] = saved;

    /* A tree without memory is refused. */
    int mem;
    while ((mem = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory", 7)) >= 0) {
        CHECK_EQ(fdt_del_node(fdt, mem), 0);
    }
    CHECK(!boot_info_from_dt(&bi, fdt));
    CHECK(strstr(last_message, "no memory") != NULL);
    return unit_done("test_boot_info");
}
