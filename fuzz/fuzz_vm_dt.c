// SPDX-License-Identifier: MIT
/*
 * Fuzz targets vm_dt_arm64, vm_dt_riscv64, vm_dt_x86_64: the VMM's reading of its VM device tree
 * into a platform (vmm/platform.c, the architecture's platform.c: interrupt controllers and
 * interrupt specifiers, the UARTs, virtio devices by keel,device; on x86_64 the ISA bus of
 * ports.c), over lib/fdt/fdt_util.c and libfdt. The input is the device tree blob itself; it is
 * taken as the VMM takes its tree (fdt_util_check() on the file, then what the guest does not get
 * left out: vmm/guest_tree.c), for a VM of two vCPUs.
 *
 * Checked besides the sanitizers: the trimmed tree still checks and has no virtio,mmio node
 * without keel,device (unless passed through); a platform made without error has at most
 * VM_MAX_DEVICES devices, each with its access function and a window that does not wrap around.
 */
#include "vmm_fuzz.h"
#include "platform.h"
#include "guest_tree.h"
#include "reset/reset.h"
#include <fdt_util.h>
#include <libfdt.h>
#include <string.h>

static struct fuzz_ram ram;
static struct vm vm;
static struct keel_vcpu_state states[2];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t ids[2] = { 0, 1 };
    if (!ram.ram) {
        fuzz_ram_init(&ram, 0x80000000, 4096);
    }
    /* A copy of exactly the file: AddressSanitizer sees any read past its end. */
    void *fdt = malloc(size ? size : 1);
    memcpy(fdt, data, size);
    if (fdt_util_check(fdt, size) != 0) {
        free(fdt);
        return 0;
    }
    if (guest_tree_trim(fdt, "fuzz") < 0) {
        free(fdt);
        return 0;
    }
    FUZZ_CHECK(fdt_check_header(fdt) == 0);
    int depth = 0;
    for (int n = fdt_next_node(fdt, 0, &depth); n >= 0 && depth > 0;
         n = fdt_next_node(fdt, n, &depth)) {
        FUZZ_CHECK(fdt_node_check_compatible(fdt, n, "virtio,mmio") != 0 ||
                   fdt_getprop(fdt, n, "keel,device", NULL) ||
                   fdt_getprop(fdt, n, "keel,board-device", NULL));
    }
    fuzz_vm_init(&vm, &ram, 2, ids, states);
    fuzz_reset_platform();
    if (platform_devices(&vm, fdt) == 0) {
        FUZZ_CHECK(vm.device_count <= VM_MAX_DEVICES);
        for (unsigned i = 0; i < vm.device_count; i++) {
            const struct mmio_device *d = &vm.devices[i];
            FUZZ_CHECK(d->access != NULL && d->name != NULL);
        }
    }
    free(fdt);
    return 0;
}
