// SPDX-License-Identifier: MIT
/*
 * The x86 Linux boot protocol's layout and zero page (bzimage.h). Offsets are boot.rst's ("The
 * real-mode kernel header" and "Details of header fields"); the zero page is struct boot_params
 * of arch/x86/include/uapi/asm/bootparam.h.
 */
#include "bzimage.h"
#include <string.h>

#define MIB (1ull << 20)
#define HDR_SETUP_SECTS 0x1f1
#define HDR_BOOT_FLAG 0x1fe
#define HDR_JUMP 0x200
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_CODE32_START 0x214
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
#define BP_ACPI_RSDP 0x070
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define BP_E820_TABLE 0x2d0
#define LOADED_HIGH 0x01

static uint64_t rd(const uint8_t *p, unsigned off, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)p[off + i] << (8 * i);
    }
    return v;
}

static void wr(uint8_t *p, unsigned off, unsigned n, uint64_t v)
{
    for (unsigned i = 0; i < n; i++) {
        p[off + i] = (uint8_t)(v >> (8 * i));
    }
}

static void e820_add(struct bz_layout *l, uint64_t addr, uint64_t size, uint32_t type)
{
    if (size && l->e820_count < BZ_E820_MAX) {
        l->e820[l->e820_count++] = (struct bz_e820){ addr, size, type };
    }
}

enum bz_result bz_plan(const uint8_t *image, uint64_t size, uint64_t initrd_size,
                       uint64_t cmdline_len, uint64_t ram_base, uint64_t ram_size,
                       struct bz_layout *l)
{
    memset(l, 0, sizeof(*l));
    if (size < HDR_INIT_SIZE + 4 || rd(image, HDR_MAGIC, 4) != 0x53726448 ||
        rd(image, HDR_BOOT_FLAG, 2) != 0xaa55) {
        return BZ_NOT_BZIMAGE;
    }
    l->version = (uint16_t)rd(image, HDR_VERSION, 2);
    if (l->version < 0x020c) {
        return BZ_TOO_OLD;
    }
    if (!(image[HDR_LOADFLAGS] & LOADED_HIGH)) {
        return BZ_NOT_HIGH;
    }
    unsigned sects = image[HDR_SETUP_SECTS] ? image[HDR_SETUP_SECTS] : 4;
    l->setup_size = (sects + 1ull) * 512;
    if (l->setup_size >= size) {
        return BZ_NOT_BZIMAGE;
    }
    l->kernel_size = size - l->setup_size;
    l->init_size = rd(image, HDR_INIT_SIZE, 4);
    if (l->init_size < l->kernel_size) {
        l->init_size = l->kernel_size;
    }
    if (cmdline_len + 1 > BZ_CMDLINE_MAX || cmdline_len > rd(image, HDR_CMDLINE_SIZE, 4)) {
        return BZ_CMDLINE_LONG;
    }
    uint64_t ram_end = ram_base + ram_size;
    if (ram_base != 0 || ram_size <= 2 * MIB || ram_end > BZ_RAM_MAX) {
        return BZ_RAM;
    }
    /* The kernel where it prefers to run: a relocatable Linux never runs below that address
     * (LOAD_PHYSICAL_ADDR, its decompressor moves itself up to it), so it is the only place. All
     * of it below 4 GiB (the 32-bit entry). */
    l->kernel = rd(image, HDR_PREF_ADDRESS, 8);
    if (l->kernel < MIB || l->kernel > ram_end || l->init_size > ram_end - l->kernel ||
        l->kernel + l->init_size > 4096 * MIB) {
        return BZ_NO_ROOM;
    }
    uint64_t kernel_end = l->kernel + l->init_size;
    /* The initrd at the top of RAM the kernel can reach (initrd_addr_max is its last byte). */
    l->initrd_size = initrd_size;
    if (initrd_size) {
        uint64_t top = ram_end;
        uint64_t max = rd(image, HDR_INITRD_ADDR_MAX, 4) + 1ull;
        if (max < top) {
            top = max;
        }
        if (initrd_size > top) {
            return BZ_NO_ROOM;
        }
        l->initrd = (top - initrd_size) & ~0xfffull;
        if (l->initrd < kernel_end) {
            return BZ_NO_ROOM;
        }
    }
    e820_add(l, 0, BZ_ACPI, 1);
    e820_add(l, BZ_ACPI, BZ_ACPI_SIZE, 3);
    e820_add(l, BZ_ACPI + BZ_ACPI_SIZE, BZ_LOW_END - (BZ_ACPI + BZ_ACPI_SIZE), 1);
    e820_add(l, BZ_LOW_END, MIB - BZ_LOW_END, 2);
    e820_add(l, MIB, ram_end - MIB, 1);
    return BZ_OK;
}

const char *bz_strerror(enum bz_result r)
{
    switch (r) {
    case BZ_OK:
        return "ok";
    case BZ_NOT_BZIMAGE:
        return "not a bzImage (no HdrS setup header, or the file ends inside it)";
    case BZ_TOO_OLD:
        return "boot protocol before 2.12";
    case BZ_NOT_HIGH:
        return "not loaded high (a zImage)";
    case BZ_RAM:
        return "RAM must start at 0, be larger than 2 MiB and end below 3 GiB (devices above)";
    case BZ_NO_ROOM:
        return "the kernel (at its preferred address, with the room it decompresses in) and the "
               "initrd do not fit in RAM";
    case BZ_CMDLINE_LONG:
        return "the command line is longer than the kernel takes";
    }
    return "?";
}

void bz_zero_page(uint8_t *zp, const uint8_t *image, const struct bz_layout *l, uint64_t rsdp)
{
    /* The setup header as the file has it: from setup_sects to the end its jump names. */
    unsigned end = 0x202 + image[HDR_JUMP + 1];
    if (end > 0x280) {
        end = 0x280;
    }
    memcpy(zp + HDR_SETUP_SECTS, image + HDR_SETUP_SECTS, end - HDR_SETUP_SECTS);
    zp[HDR_TYPE_OF_LOADER] = 0xff; /* no assigned loader id */
    wr(zp, HDR_CODE32_START, 4, l->kernel);
    wr(zp, HDR_CMD_LINE_PTR, 4, BZ_CMDLINE);
    wr(zp, BP_EXT_CMD_LINE_PTR, 4, BZ_CMDLINE >> 32);
    wr(zp, HDR_RAMDISK_IMAGE, 4, l->initrd);
    wr(zp, HDR_RAMDISK_SIZE, 4, l->initrd_size);
    wr(zp, BP_EXT_RAMDISK_IMAGE, 4, l->initrd >> 32);
    wr(zp, BP_EXT_RAMDISK_SIZE, 4, l->initrd_size >> 32);
    wr(zp, BP_ACPI_RSDP, 8, rsdp);
    zp[BP_E820_ENTRIES] = (uint8_t)l->e820_count;
    for (unsigned i = 0; i < l->e820_count; i++) {
        uint8_t *e = zp + BP_E820_TABLE + 20 * i;
        wr(e, 0, 8, l->e820[i].addr);
        wr(e, 8, 8, l->e820[i].size);
        wr(e, 16, 4, l->e820[i].type);
    }
}
