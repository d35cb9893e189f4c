// SPDX-License-Identifier: MIT
/*
 * The fw_cfg device (fw_cfg.h has the interface). The items are one table: the three built-in
 * ones first (their contents live in struct fw_cfg), then numeric items and files as added; a
 * file is an item with a name. FILE_DIR's contents are rebuilt on each fw_cfg_add_file().
 *
 * Invariants: cur is FW_CFG_NONE or an index below items, and offset <= item[cur].size (0 when
 * nothing is selected), so the bytes at offset..size are always the item's.
 *
 * Guest memory is reached only through gpa_ptr, once per range, after the range has been
 * checked not to wrap; the descriptor is read once into locals. A DMA operation checks its
 * buffer before it changes anything, so a failed one leaves the offset and RAM as they were.
 */
#include "fw_cfg.h"
#include <string.h>

#define NAME_OFFSET 8 /* of a directory entry */

static const uint8_t dma_signature[8] = { 'Q', 'E', 'M', 'U', ' ', 'C', 'F', 'G' };

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    }
}

static uint64_t get_be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

/* A big-endian register's value from what a little-endian guest wrote (width bytes). */
static uint64_t swap(uint64_t v, unsigned width)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < width; i++) {
        r = r << 8 | ((v >> (8 * i)) & 0xff);
    }
    return r;
}

static uint16_t find(const struct fw_cfg *f, uint16_t selector)
{
    for (unsigned i = 0; i < f->items; i++) {
        if (f->item[i].selector == selector) {
            return (uint16_t)i;
        }
    }
    return FW_CFG_NONE;
}

/* The guest's pointer to [gpa, gpa + size) (size > 0), or NULL when that is not all RAM. */
static uint8_t *guest(const struct fw_cfg *f, uint64_t gpa, uint64_t size)
{
    if (gpa > UINT64_MAX - (size - 1)) {
        return NULL;
    }
    return f->gpa_ptr(f->ctx, gpa, size);
}

static void select_item(struct fw_cfg *f, uint16_t selector)
{
    f->cur = find(f, selector & (uint16_t)~FW_CFG_WRITE_CHANNEL);
    f->offset = 0;
}

static uint32_t remaining(const struct fw_cfg *f)
{
    return f->cur == FW_CFG_NONE ? 0 : f->item[f->cur].size - f->offset;
}

/* The next width bytes of the item in address order (the first in bits 7:0), zeros past it. */
static uint64_t data_read(struct fw_cfg *f, unsigned width)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < width && remaining(f) > 0; i++) {
        v |= (uint64_t)f->item[f->cur].data[f->offset++] << (8 * i);
    }
    return v;
}

static bool add_item(struct fw_cfg *f, uint16_t selector, const char *name, const void *data,
                     uint64_t size)
{
    if (f->items == FW_CFG_ITEMS_MAX || find(f, selector) != FW_CFG_NONE || size > UINT32_MAX ||
        (!data && size > 0)) {
        return false;
    }
    struct fw_cfg_item *it = &f->item[f->items++];
    memset(it, 0, sizeof(*it));
    it->selector = selector;
    it->data = data;
    it->size = (uint32_t)size;
    if (name) {
        memcpy(it->name, name, strlen(name)); /* the caller checked that it fits */
    }
    return true;
}

/* FILE_DIR: the count, then the files sorted by name (strcmp, as QEMU sorts). */
static void dir_build(struct fw_cfg *f)
{
    uint8_t order[FW_CFG_ITEMS_MAX];
    unsigned n = 0;
    for (unsigned i = 0; i < f->items; i++) {
        if (f->item[i].name[0] == 0) {
            continue;
        }
        unsigned j = n++;
        for (; j > 0 && strcmp(f->item[i].name, f->item[order[j - 1]].name) < 0; j--) {
            order[j] = order[j - 1];
        }
        order[j] = (uint8_t)i;
    }
    put_be(f->dir, n, 4);
    for (unsigned k = 0; k < n; k++) {
        const struct fw_cfg_item *it = &f->item[order[k]];
        uint8_t *e = f->dir + 4 + FW_CFG_DIR_ENTRY * k;
        put_be(e, it->size, 4);
        put_be(e + 4, it->selector, 2);
        put_be(e + 6, 0, 2);
        memcpy(e + NAME_OFFSET, it->name, FW_CFG_NAME_SIZE);
    }
    f->item[find(f, FW_CFG_FILE_DIR)].size = 4 + FW_CFG_DIR_ENTRY * n;
}

void fw_cfg_reset(struct fw_cfg *f)
{
    select_item(f, FW_CFG_SIGNATURE);
    f->dma_address = 0;
}

void fw_cfg_init(struct fw_cfg *f, void *(*gpa_ptr)(void *ctx, uint64_t gpa, uint64_t size),
                 void *ctx)
{
    memset(f, 0, sizeof(*f));
    f->gpa_ptr = gpa_ptr;
    f->ctx = ctx;
    memcpy(f->signature, "QEMU", 4);
    f->id[0] = FW_CFG_ID_TRADITIONAL | (gpa_ptr ? FW_CFG_ID_DMA : 0); /* le32 */
    add_item(f, FW_CFG_SIGNATURE, NULL, f->signature, sizeof(f->signature));
    add_item(f, FW_CFG_ID, NULL, f->id, sizeof(f->id));
    add_item(f, FW_CFG_FILE_DIR, NULL, f->dir, 4);
    fw_cfg_reset(f);
}

bool fw_cfg_add(struct fw_cfg *f, uint16_t selector, const void *data, uint64_t size)
{
    if ((selector & (uint16_t)~FW_CFG_ARCH_LOCAL) >= FW_CFG_FILE_FIRST) {
        return false; /* files' range, or the write channel */
    }
    return add_item(f, selector, NULL, data, size);
}

uint16_t fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, uint64_t size)
{
    size_t len = strlen(name);
    if (len == 0 || len >= FW_CFG_NAME_SIZE) {
        return 0;
    }
    for (unsigned i = 0; i < f->items; i++) {
        if (strcmp(f->item[i].name, name) == 0) {
            return 0;
        }
    }
    uint16_t selector = (uint16_t)(FW_CFG_FILE_FIRST + f->files);
    if (!add_item(f, selector, name, data, size)) {
        return 0;
    }
    f->files++;
    dir_build(f);
    return selector;
}

/* The operation the descriptor asks for, on the selected item; false for an error. */
static bool dma_transfer(struct fw_cfg *f, uint32_t control, uint32_t length, uint64_t address)
{
    uint32_t n = length < remaining(f) ? length : remaining(f);
    if (control & FW_CFG_DMA_CTL_READ) {
        uint8_t *p = length > 0 ? guest(f, address, length) : NULL;
        if (length > 0 && !p) {
            return false;
        }
        if (n > 0) {
            memcpy(p, f->item[f->cur].data + f->offset, n);
        }
        if (length > n) {
            memset(p + n, 0, length - n); /* past the item's end, or no item */
        }
    } else if (control & FW_CFG_DMA_CTL_WRITE) {
        return length == 0; /* every item is read-only */
    } else if (!(control & FW_CFG_DMA_CTL_SKIP)) {
        return true; /* no operation: the select alone */
    }
    f->offset += n;
    return true;
}

/* Runs the descriptor the DMA address register names, and clears the register. */
static void dma_run(struct fw_cfg *f)
{
    uint64_t at = f->dma_address;
    f->dma_address = 0;
    uint8_t *d = guest(f, at, 16);
    if (!d) {
        uint8_t *control = guest(f, at, 4);
        if (control) {
            put_be(control, FW_CFG_DMA_CTL_ERROR, 4);
        }
        return;
    }
    uint32_t control = (uint32_t)get_be(d, 4), length = (uint32_t)get_be(d + 4, 4);
    uint64_t address = get_be(d + 8, 8);
    if (control & FW_CFG_DMA_CTL_SELECT) {
        select_item(f, (uint16_t)(control >> 16));
    }
    bool ok = dma_transfer(f, control, length, address);
    put_be(d, ok ? 0 : FW_CFG_DMA_CTL_ERROR, 4);
}

/* An access at off of the 8-byte DMA address register (off + width <= 8, aligned). */
static bool dma_access(struct fw_cfg *f, unsigned off, unsigned width, bool write, uint64_t *value)
{
    if (!f->gpa_ptr) {
        return false;
    }
    if (!write) {
        uint64_t v = 0;
        for (unsigned i = 0; i < width; i++) {
            v |= (uint64_t)dma_signature[off + i] << (8 * i);
        }
        *value = v;
        return true;
    }
    uint64_t v = swap(*value, width);
    if (width == 4 && off == 0) {
        f->dma_address = v << 32; /* the high half: waits for the low one */
        return true;
    }
    if (width == 4 && off == 4) {
        f->dma_address |= v;
    } else if (width == 8) {
        f->dma_address = v;
    } else {
        return false;
    }
    dma_run(f);
    return true;
}

static bool aligned(uint64_t off, unsigned width)
{
    return (width == 1 || width == 2 || width == 4 || width == 8) && off % width == 0;
}

bool fw_cfg_io(struct fw_cfg *f, uint16_t port_offset, unsigned width, bool write, uint64_t *value)
{
    if (width == 8 || !aligned(port_offset, width)) {
        return false;
    }
    if (port_offset >= 4 && port_offset < FW_CFG_IO_SIZE) { /* aligned: fits */
        return dma_access(f, port_offset - 4u, width, write, value);
    }
    if (port_offset == 0 && width == 2 && write) {
        select_item(f, (uint16_t)*value);
        return true;
    }
    if (port_offset <= 1 && width == 1) { /* QEMU's 0x510 byte is the data register too */
        if (!write) {
            *value = data_read(f, 1);
        }
        return true; /* a write is ignored */
    }
    return false;
}

bool fw_cfg_mmio(struct fw_cfg *f, uint64_t off, unsigned width, bool write, uint64_t *value)
{
    if (!aligned(off, width)) {
        return false;
    }
    if (off == 0) {
        if (!write) {
            *value = data_read(f, width);
        }
        return true; /* a write is ignored */
    }
    if (off == 8 && width == 2 && write) {
        select_item(f, (uint16_t)swap(*value, 2));
        return true;
    }
    if (off >= 16 && off < FW_CFG_MMIO_SIZE) { /* aligned: fits */
        return dma_access(f, (unsigned)off - 16, width, write, value);
    }
    return false;
}
