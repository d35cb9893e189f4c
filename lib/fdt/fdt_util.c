// SPDX-License-Identifier: MIT
// Typed readers over libfdt and the checked copy of a tree file (see fdt_util.h).
#include "fdt_util.h"
#include <libfdt.h>
#include <string.h>

static uint64_t read_cells(const fdt32_t *p, int cells)
{
    uint64_t v = 0;
    for (int i = 0; i < cells; i++) {
        v = (v << 32) | fdt32_ld(&p[i]);
    }
    return v;
}

/*
 * Whether the structure block is a sequence of whole tags ending in FDT_END, each property's
 * value inside the block: read once, the way libfdt's fdt_next_tag() reads it. That copy of
 * libfdt (Linux 6.1's) adds a property's length to its offset without an overflow check, so a
 * length near 4 GiB brings the offset back to the same tag and every walk over the tree loops.
 */
static bool structure_whole(const void *fdt)
{
    const uint8_t *block = (const uint8_t *)fdt + fdt_off_dt_struct(fdt);
    uint32_t size = fdt_size_dt_struct(fdt), off = 0;
    while (off <= size && size - off >= FDT_TAGSIZE) {
        uint32_t tag = fdt32_ld((const fdt32_t *)(block + off));
        off += FDT_TAGSIZE;
        switch (tag) {
        case FDT_BEGIN_NODE: {
            const uint8_t *end = memchr(block + off, '\0', size - off);
            if (!end) {
                return false;
            }
            off = (uint32_t)(end - block) + 1;
            break;
        }
        case FDT_PROP: {
            if (size - off < 8) {
                return false;
            }
            uint32_t len = fdt32_ld((const fdt32_t *)(block + off));
            off += 8; /* the length and the name's offset */
            if (len > size - off) {
                return false;
            }
            off += len;
            break;
        }
        case FDT_END_NODE:
        case FDT_NOP:
            break;
        case FDT_END:
            return true;
        default:
            return false;
        }
        off = (off + FDT_TAGSIZE - 1) & ~(uint32_t)(FDT_TAGSIZE - 1);
    }
    return false;
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
    /* Version 17 has the structure block's size, which libfdt checks; older trees are dtc's of
     * long ago. */
    if (fdt_version(fdt) < 17) {
        return -FDT_ERR_BADVERSION;
    }
    return structure_whole(fdt) ? 0 : -FDT_ERR_BADSTRUCTURE;
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

enum fdt_util_load_result fdt_util_load(void *buf, uint64_t buf_size, const void *file,
                                        uint64_t file_size)
{
    if (file_size > buf_size) {
        return FDT_UTIL_LOAD_TOO_BIG;
    }
    /* fdt_check_header() reads a whole header: a shorter file would have it read stale bytes. */
    if (file_size < sizeof(struct fdt_header)) {
        return FDT_UTIL_LOAD_BAD_HEADER;
    }
    memcpy(buf, file, file_size);
    if (fdt_check_header(buf) != 0) {
        return FDT_UTIL_LOAD_BAD_HEADER;
    }
    /* fdt_check_header() trusts totalsize and libfdt reads up to it: it must be within the copy. */
    if (fdt_totalsize(buf) > file_size) {
        return FDT_UTIL_LOAD_TRUNCATED;
    }
    if (fdt_util_check(buf, file_size) != 0) {
        return FDT_UTIL_LOAD_MALFORMED;
    }
    return FDT_UTIL_LOAD_OK;
}

const char *fdt_util_load_strerror(enum fdt_util_load_result r)
{
    switch (r) {
    case FDT_UTIL_LOAD_OK:
        return "a valid device tree";
    case FDT_UTIL_LOAD_TOO_BIG:
        return "the file is larger than the buffer for it";
    case FDT_UTIL_LOAD_BAD_HEADER:
        return "not a device tree (bad or short header)";
    case FDT_UTIL_LOAD_TRUNCATED:
        return "its header claims more bytes than the file has (truncated or lying totalsize)";
    case FDT_UTIL_LOAD_MALFORMED:
        return "a malformed device tree (its blocks unaligned, or a property beyond its structure)";
    }
    return "unknown problem";
}
