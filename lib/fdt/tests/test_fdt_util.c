// SPDX-License-Identifier: MIT
// fdt_util: reg translation through the parent's cell sizes, short and missing properties; the
// checked copy of a tree file (fdt_util_load) with truncated, oversized and lying files, and the
// check every reader makes first (sizes, the blocks' alignment).
#include "unit.h"
#include <fdt_util.h>
#include <libfdt.h>
#include <stdlib.h>

static size_t board_size;
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
    board_size = n;
    if (n == 0 || fdt_check_header(blob) != 0) {
        fprintf(stderr, "%s: not a device tree\n", path);
        exit(2);
    }
    return blob;
}

/* fdt_util_load() of the first file_size bytes of tree, as a file of exactly that size, into a
 * buffer of exactly buf_size bytes: ASan reports reads past the file and writes past the buffer. */
static enum fdt_util_load_result load_as_file(const void *tree, size_t file_size, size_t buf_size)
{
    char *file = malloc(file_size ? file_size : 1);
    void *buf = aligned_alloc(8, (buf_size + 7) & ~(size_t)7);
    if (!file || !buf) {
        exit(2);
    }
    memcpy(file, tree, file_size);
    enum fdt_util_load_result r = fdt_util_load(buf, buf_size, file, file_size);
    if (r == FDT_UTIL_LOAD_OK) {
        CHECK(memcmp(buf, file, file_size) == 0);
        CHECK(fdt_path_offset(buf, "/memory@40000000") >= 0); /* walkable where it was copied */
    }
    free(buf);
    free(file);
    return r;
}

static void test_load(const void *board)
{
    const size_t n = board_size;
    char tree[65536 + 64];
    memcpy(tree, board, n);
    CHECK_EQ(fdt_totalsize(tree), n); /* dtc writes totalsize = the file's size */

    CHECK_EQ(load_as_file(tree, n, 65536), FDT_UTIL_LOAD_OK);
    CHECK_EQ(load_as_file(tree, n, n), FDT_UTIL_LOAD_OK); /* exactly the buffer's size */
    /* Larger than the buffer: refused before anything is copied. */
    CHECK_EQ(load_as_file(tree, n, n - 1), FDT_UTIL_LOAD_TOO_BIG);
    memset(tree + n, 0, sizeof(tree) - n);
    CHECK_EQ(load_as_file(tree, 65536 + 8, 65536), FDT_UTIL_LOAD_TOO_BIG);
    /* Truncated files: the header claims the whole tree. */
    CHECK_EQ(load_as_file(tree, n - 1, 65536), FDT_UTIL_LOAD_TRUNCATED);
    CHECK_EQ(load_as_file(tree, n / 2, 65536), FDT_UTIL_LOAD_TRUNCATED);
    /* A lying header: totalsize beyond the file, a little and far (beyond the 64 KiB buffer). */
    fdt_set_totalsize(tree, (uint32_t)n + 8);
    CHECK_EQ(load_as_file(tree, n, 65536), FDT_UTIL_LOAD_TRUNCATED);
    fdt_set_totalsize(tree, 0x100000);
    CHECK_EQ(load_as_file(tree, n, 65536), FDT_UTIL_LOAD_TRUNCATED);
    fdt_set_totalsize(tree, 0xffffffffu); /* fdt_check_header() itself refuses this one */
    CHECK(load_as_file(tree, n, 65536) != FDT_UTIL_LOAD_OK);
    /* A smaller totalsize than the file (padding after the tree) is fine. */
    memcpy(tree, board, n);
    CHECK_EQ(load_as_file(tree, n + 64, 65536), FDT_UTIL_LOAD_OK);
    /* Headers fdt_check_header() refuses, and files too short to hold a header. */
    fdt_set_magic(tree, 0x12345678);
    CHECK_EQ(load_as_file(tree, n, 65536), FDT_UTIL_LOAD_BAD_HEADER);
    memcpy(tree, board, n);
    fdt_set_off_dt_struct(tree, (uint32_t)n + 0x1000); /* the structure block beyond the tree */
    CHECK_EQ(load_as_file(tree, n, 65536), FDT_UTIL_LOAD_BAD_HEADER);
    memcpy(tree, board, n);
    CHECK_EQ(load_as_file(tree, 8, 65536), FDT_UTIL_LOAD_BAD_HEADER);
    CHECK_EQ(load_as_file(tree, 0, 65536), FDT_UTIL_LOAD_BAD_HEADER);

    CHECK(strstr(fdt_util_load_strerror(FDT_UTIL_LOAD_TRUNCATED), "more bytes than the file"));
    CHECK(strstr(fdt_util_load_strerror(FDT_UTIL_LOAD_TOO_BIG), "larger than the buffer"));
    CHECK(strstr(fdt_util_load_strerror(FDT_UTIL_LOAD_BAD_HEADER), "header"));
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
    test_load(fdt);

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
