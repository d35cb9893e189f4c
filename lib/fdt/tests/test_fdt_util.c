// SPDX-License-Identifier: MIT
// fdt_util: reg translation through the parent's cell sizes, short and missing properties; the
// check every reader makes first (sizes, the blocks' alignment).
#include "unit.h"
#include <fdt_util.h>
#include <libfdt.h>
#include <stdlib.h>

static size_t blob_size;

static void *load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    static uint64_t blob[65536 / 8];
    size_t n = fread(blob, 1, sizeof(blob), f);
    blob_size = n;
    fclose(f);
    if (n == 0 || fdt_check_header(blob) != 0) {
        fprintf(stderr, "%s: not a device tree\n", path);
        exit(2);
    }
    return blob;
}

int main(void)
{
    const void *fdt = load("board.dtb");
    uint64_t addr = 0, size = 0;

    int mem = fdt_path_offset(fdt, "/memory@40000000");
    CHECK(fdt_util_reg(fdt, mem, 0, &addr, &size));
    CHECK_EQ(addr, 0x40000000);
    CHECK_EQ(size, 0x20000000);
    CHECK(fdt_util_reg(fdt, mem, 1, &addr, &size));
    CHECK_EQ(addr, 0x100000000ull);
    CHECK_EQ(size, 0x10000000);
    CHECK(!fdt_util_reg(fdt, mem, 2, &addr, &size));
    CHECK(!fdt_util_reg(fdt, mem, -1, &addr, &size));

    int uart = fdt_path_offset(fdt, "/soc/serial@9000000");
    CHECK(fdt_util_reg(fdt, uart, 0, &addr, NULL));
    CHECK_EQ(addr, 0x9000000);

    int bad = fdt_path_offset(fdt, "/soc/bad@0");
    CHECK(!fdt_util_reg(fdt, bad, 0, &addr, &size)); /* one cell where two are needed */
    CHECK(!fdt_util_reg(fdt, 0, 0, &addr, &size));   /* the root has no parent */

    int chosen = fdt_path_offset(fdt, "/chosen");
    uint64_t v = 0;
    CHECK(fdt_util_u64(fdt, chosen, "linux,initrd-start", &v));
    CHECK_EQ(v, 0x48000000);
    CHECK(fdt_util_u64(fdt, chosen, "linux,initrd-end", &v));
    CHECK_EQ(v, 0x48001000);
    CHECK(!fdt_util_u64(fdt, chosen, "stdout-path", &v)); /* a string of another length */
    CHECK(!fdt_util_u64(fdt, chosen, "missing", &v));

    /* fdt_util_check(): the whole blob there, the blocks aligned as the specification asks. */
    static uint64_t copy[65536 / 8];
    CHECK_EQ(fdt_util_check(fdt, blob_size), 0);
    CHECK_EQ(fdt_util_check(fdt, UINT64_MAX), 0);
    CHECK_EQ(fdt_util_check(fdt, fdt_totalsize(fdt) - 1), -FDT_ERR_TRUNCATED);
    CHECK_EQ(fdt_util_check(fdt, 8), -FDT_ERR_TRUNCATED);
    memcpy(copy, fdt, blob_size);
    fdt_set_off_dt_struct(copy, fdt_off_dt_struct(fdt) + 2);
    CHECK_EQ(fdt_util_check(copy, blob_size), -FDT_ERR_ALIGNMENT);
    memcpy(copy, fdt, blob_size);
    fdt_set_off_mem_rsvmap(copy, fdt_off_mem_rsvmap(fdt) + 4);
    CHECK_EQ(fdt_util_check(copy, blob_size), -FDT_ERR_ALIGNMENT);
    memcpy(copy, fdt, blob_size);
    fdt_set_magic(copy, 0);
    CHECK_EQ(fdt_util_check(copy, blob_size), -FDT_ERR_BADMAGIC);
    memcpy(copy, fdt, blob_size);
    fdt_set_version(copy, 16);
    CHECK_EQ(fdt_util_check(copy, blob_size), -FDT_ERR_BADVERSION);
    /* A property whose length would take libfdt's offset around to the same tag. */
    memcpy(copy, fdt, blob_size);
    const char *path = fdt_getprop(copy, fdt_path_offset(copy, "/chosen"), "stdout-path", NULL);
    CHECK(path != NULL);
    fdt32_st((char *)path - 8, 0xfffffff4u); /* the length, before the name's offset */
    CHECK_EQ(fdt_util_check(copy, blob_size), -FDT_ERR_BADSTRUCTURE);
    /* The structure block's end tag missing. */
    memcpy(copy, fdt, blob_size);
    fdt_set_size_dt_struct(copy, fdt_size_dt_struct(fdt) - 4);
    CHECK_EQ(fdt_util_check(copy, blob_size), -FDT_ERR_BADSTRUCTURE);
    return unit_done("test_fdt_util");
}
