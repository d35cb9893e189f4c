// SPDX-License-Identifier: MIT
// Typed readers over libfdt (see fdt_util.h).
#include "fdt_util.h"
#include <libfdt.h>

static uint64_t read_cells(const fdt32_t *p, int cells)
{
    uint64_t v = 0;
    for (int i = 0; i < cells; i++) {
        v = (v << 32) | fdt32_ld(&p[i]);
    }
    return v;
}

int fdt_util_check(const void *fdt, uint64_t size)
{
    if (size < sizeof(struct fdt_header)) {
        return -FDT_ERR_TRUNCATED;
    }
    int err = fdt_check_header(fdt);
    if (err) {
        return err;
    }
    if (fdt_totalsize(fdt) > size) {
        return -FDT_ERR_TRUNCATED;
    }
    if (fdt_off_mem_rsvmap(fdt) % 8 != 0 || fdt_off_dt_struct(fdt) % 4 != 0) {
        return -FDT_ERR_ALIGNMENT;
    }
    return 0;
}

bool fdt_util_reg(const void *fdt, int node, int index, uint64_t *addr, uint64_t *size)
{
    int parent = fdt_parent_offset(fdt, node);
    if (parent < 0 || index < 0) {
        return false;
    }
    int ac = fdt_address_cells(fdt, parent);
    int sc = fdt_size_cells(fdt, parent);
    if (ac < 1 || ac > 2 || sc < 0 || sc > 2) {
        return false;
    }
    int len;
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
    int stride = ac + sc;
    if (!reg || len < 0 || (index + 1) * stride * 4 > len) {
        return false;
    }
    reg += index * stride;
    *addr = read_cells(reg, ac);
    if (size) {
        *size = read_cells(reg + ac, sc);
    }
    return true;
}

bool fdt_util_u64(const void *fdt, int node, const char *name, uint64_t *out)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, name, &len);
    if (!p || (len != 4 && len != 8)) {
        return false;
    }
    *out = read_cells(p, len / 4);
    return true;
}
