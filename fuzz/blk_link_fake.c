// SPDX-License-Identifier: MIT
/*
 * Disk links for the VMM's fuzz targets: every disk link a VM device tree names exists and is a
 * small memory disk served at once (the link's shared memory, its doorbells and the driver
 * program need the kernel; the asynchronous path of virtio/dev_blk.c is host-tested in
 * unit/test_virtio_blk).
 */
#include "blk_link.h"

struct blk_link {
    unsigned opened;
};

static struct blk_link the_link;
static uint8_t the_disk[64 * 1024];

struct blk_link *blk_link_open(struct vm *vm, const char *name, struct virtio_blk *dev,
                               struct vm_lock *lock, struct virtio_blk_backend *b)
{
    *b = (struct virtio_blk_backend){ .data = the_disk, .size = sizeof(the_disk), .id = name };
    the_link.opened++;
    return &the_link;
}

void blk_link_test_exit_after(struct blk_link *l, uint32_t n)
{
    (void)l;
    (void)n;
}
