/* SPDX-License-Identifier: MIT */
/*
 * A VM's virtio-blk served by the block driver program over a link (blk_link.c; the protocol is
 * docs/devices.md and virtio/include/virtio/blklink.h).
 */
#pragma once
#include "vm.h"
#include <virtio/blk.h>

struct blk_link;

/*
 * Opens the link named name for the device dev (not yet initialised: the caller holds lock, the
 * device's, and calls virtio_blk_init() with *b before releasing it) and fills the asynchronous
 * backend *b: the slice's capacity, read-only and flush as the driver says. Waits up to
 * BLK_LINK_WAIT_S for the driver to be up; a driver that is not up by then gives a disk with no
 * medium (capacity 0). NULL (with a message) when there is no such link.
 */
struct blk_link *blk_link_open(struct vm *vm, const char *name, struct virtio_blk *dev,
                               struct vm_lock *lock, struct virtio_blk_backend *b);

/*
 * A test of VMM restarts (vm/arm64-blk-vmm-restart; keel,test-exit-after-requests on the blk
 * node): on a link no VMM posted to before (a fresh one: the first run), the VM is stopped as
 * broken (the VMM ends with status 2) right after its n-th request is posted, and this VMM takes
 * no completion any more, so that the next run takes the link over with a request in flight.
 */
void blk_link_test_exit_after(struct blk_link *l, uint32_t n);
