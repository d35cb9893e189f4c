// SPDX-License-Identifier: MIT
/* vmm/dev/virtio_devices.c: the virtio devices with its reset (see reset.h). */
#include "dev/virtio_devices.c"
#include "reset.h"

void fuzz_reset_virtio_devices(void)
{
    memset(vdevs, 0, sizeof(vdevs));
    vdev_count = 0;
}
