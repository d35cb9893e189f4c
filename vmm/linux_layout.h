/* SPDX-License-Identifier: MIT */
/*
 * Where a Linux Image, its initrd and its device tree go in guest RAM (linux_layout.c): worked out
 * from the Image header and the sizes alone, before anything is copied, so that the rules can be
 * tested on the host.
 */
#pragma once
#include <stdint.h>

#define LINUX_DT_AREA (2ull << 20) /* the device tree's room, 2 MiB-aligned at the top of RAM */

struct linux_layout {
    uint64_t text_offset, image_size; /* from the header (image_size includes the bss) */
    uint64_t kernel;                  /* guest-physical: the image and the entry */
    uint64_t initrd, initrd_size;     /* initrd_size 0: no initrd */
    uint64_t dt;                      /* LINUX_DT_AREA bytes */
};

/* Why an Image cannot be placed; linux_layout_strerror() says it in words. */
enum linux_layout_result {
    LINUX_LAYOUT_OK = 0,
    LINUX_LAYOUT_NOT_IMAGE,          /* shorter than the header, or not this architecture's magic */
    LINUX_LAYOUT_BAD_HEADER,         /* text_offset not page-aligned, image_size below the file's */
    LINUX_LAYOUT_BAD_RAM,            /* no 2 MiB-aligned kernel base below the tree's area */
    LINUX_LAYOUT_KERNEL_OUTSIDE_RAM, /* text_offset + image_size run past RAM (or past 2^64) */
    LINUX_LAYOUT_KERNEL_OVER_DT,     /* the kernel with its bss reaches the tree's area */
    LINUX_LAYOUT_INITRD_NO_ROOM,     /* the initrd does not fit between the kernel and the tree */
};

/*
 * Places the Image of image_file_size bytes at image (its header is guest input: any values),
 * an initrd of initrd_size bytes (0: none) and the device tree in guest RAM [ram_base, ram_base +
 * ram_size): the kernel at text_offset above the first 2 MiB boundary of RAM, the tree's area at
 * the highest 2 MiB boundary that leaves it inside RAM, the initrd page-aligned just below it.
 * LINUX_LAYOUT_OK only when every region lies inside RAM and none overlaps another; out then
 * holds the places (on failure, what was found so far: the header's values for a message).
 * Pure: no side effects besides *out.
 */
enum linux_layout_result linux_layout_plan(const void *image, uint64_t image_file_size,
                                           uint64_t initrd_size, uint64_t ram_base,
                                           uint64_t ram_size, struct linux_layout *out);
/* A short phrase for r ("the kernel with its bss reaches the device tree's area", ...). */
const char *linux_layout_strerror(enum linux_layout_result r);
