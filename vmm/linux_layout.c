// SPDX-License-Identifier: MIT
/*
 * Placing a Linux Image in guest RAM (see linux_layout.h). The arm64 and riscv64 headers have
 * text_offset at 0x08, image_size at 0x10 and their magic at 0x38 (ARCH_LINUX_MAGIC), all
 * little-endian. Guest RAM, bottom to top:
 *
 *   ram_base  2 MiB boundary                                       dt            ram_end
 *   |  ...    | text_offset | kernel: image_size (file + bss) | ... | initrd |  | tree: 2 MiB |
 *
 * The header is a file the guest's owner chose: every sum is checked for overflow, and the
 * regions are compared with each other, not only with RAM.
 */
#include "linux_layout.h"
#include <stdbool.h>
#include <vm_arch.h> /* vmm/arch/<arch>/: ARCH_LINUX_IMAGE, ARCH_LINUX_MAGIC */

#define HEADER_SIZE 0x40
#define KERNEL_ALIGN (2ull << 20) /* both boot protocols want the kernel's base 2 MiB-aligned */
#define PAGE 4096ull

static uint64_t load_le(const uint8_t *p, unsigned bytes)
{
    uint64_t v = 0;
    while (bytes--) {
        v = v << 8 | p[bytes];
    }
    return v;
}

enum linux_layout_result linux_layout_plan(const void *image, uint64_t image_file_size,
                                           uint64_t initrd_size, uint64_t ram_base,
                                           uint64_t ram_size, struct linux_layout *out)
{
    const uint8_t *h = image;
    *out = (struct linux_layout){ .initrd_size = initrd_size };
    if (image_file_size < HEADER_SIZE || !ARCH_LINUX_IMAGE ||
        load_le(h + 0x38, 4) != ARCH_LINUX_MAGIC) {
        return LINUX_LAYOUT_NOT_IMAGE;
    }
    out->text_offset = load_le(h + 0x08, 8);
    out->image_size = load_le(h + 0x10, 8);
    if (out->text_offset % PAGE || out->image_size < image_file_size) {
        return LINUX_LAYOUT_BAD_HEADER;
    }
    uint64_t ram_end, kernel_base;
    if (__builtin_add_overflow(ram_base, ram_size, &ram_end) ||
        __builtin_add_overflow(ram_base, KERNEL_ALIGN - 1, &kernel_base) ||
        ram_end < LINUX_DT_AREA) {
        return LINUX_LAYOUT_BAD_RAM;
    }
    kernel_base &= ~(KERNEL_ALIGN - 1);
    out->dt = (ram_end - LINUX_DT_AREA) & ~(LINUX_DT_AREA - 1);
    if (out->dt < kernel_base) {
        return LINUX_LAYOUT_BAD_RAM;
    }
    uint64_t kernel_end;
    if (__builtin_add_overflow(kernel_base, out->text_offset, &out->kernel) ||
        __builtin_add_overflow(out->kernel, out->image_size, &kernel_end) || kernel_end > ram_end) {
        return LINUX_LAYOUT_KERNEL_OUTSIDE_RAM;
    }
    /* The tree is written after the kernel is copied: an overlap would overwrite the kernel. */
    if (kernel_end > out->dt) {
        return LINUX_LAYOUT_KERNEL_OVER_DT;
    }
    if (initrd_size) {
        if (initrd_size > out->dt - kernel_end) {
            return LINUX_LAYOUT_INITRD_NO_ROOM;
        }
        out->initrd = (out->dt - initrd_size) & ~(PAGE - 1);
        if (out->initrd < kernel_end) { /* the page alignment took it into the kernel */
            return LINUX_LAYOUT_INITRD_NO_ROOM;
        }
    }
    return LINUX_LAYOUT_OK;
}

const char *linux_layout_strerror(enum linux_layout_result r)
{
    switch (r) {
    case LINUX_LAYOUT_OK:
        return "placed";
    case LINUX_LAYOUT_NOT_IMAGE:
        return "not a Linux Image for " ARCH_LINUX_NAME " (no header or another magic)";
    case LINUX_LAYOUT_BAD_HEADER:
        return "bad Image header (text_offset not page-aligned, or image_size below the file's)";
    case LINUX_LAYOUT_BAD_RAM:
        return "guest RAM has no room for a 2 MiB-aligned kernel and the device tree's 2 MiB";
    case LINUX_LAYOUT_KERNEL_OUTSIDE_RAM:
        return "the kernel (text_offset + image_size) runs past the end of guest RAM";
    case LINUX_LAYOUT_KERNEL_OVER_DT:
        return "the kernel with its bss reaches the device tree's 2 MiB at the top of RAM";
    case LINUX_LAYOUT_INITRD_NO_ROOM:
        return "the initrd does not fit between the kernel and the device tree";
    }
    return "unknown problem";
}
