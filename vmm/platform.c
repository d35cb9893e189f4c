// SPDX-License-Identifier: MIT
// The generic device models of a VM, from its device tree (see platform.h).
#include "platform.h"
#include "dev/uart_pl011.h"
#include "dev/uart_ns16550.h"
#include "dev/virtio_devices.h"
#include <keel/rt.h>
#include <fdt_util.h>
#include <libfdt.h>

/* Interrupt controllers first: the devices that follow raise their lines through them. */
int platform_devices(struct vm *vm, const void *fdt)
{
    int node;
    fdt_for_each_subnode(node, fdt, 0) {
        if (arch_device_create(vm, fdt, node) < 0) {
            return -1;
        }
    }
    fdt_for_each_subnode(node, fdt, 0) {
        uint64_t base, size;
        unsigned irq = 0;
        if (fdt_node_check_compatible(fdt, node, "arm,pl011") == 0 &&
            fdt_util_reg(fdt, node, 0, &base, &size)) {
            bool has_irq = arch_device_irq(fdt, node, &irq);
            struct mmio_device *d = vm_device_add(vm, "pl011", gpa_init(base), size);
            if (!d || uart_pl011_create(d, vm, has_irq ? irq : 0) != 0) {
                printf("vmm: %s: too many devices\n", vm->name);
                return -1;
            }
        } else if (fdt_node_check_compatible(fdt, node, "ns16550a") == 0 &&
                   fdt_util_reg(fdt, node, 0, &base, &size)) {
            uint64_t shift = 0;
            bool has_irq = arch_device_irq(fdt, node, &irq);
            struct mmio_device *d = vm_device_add(vm, "ns16550a", gpa_init(base), size);
            fdt_util_u64(fdt, node, "reg-shift", &shift);
            if (!d || uart_ns16550_create(d, vm, has_irq ? irq : 0, (unsigned)shift) != 0) {
                printf("vmm: %s: too many devices (or a reg-shift over 2)\n", vm->name);
                return -1;
            }
        } else if (fdt_node_check_compatible(fdt, node, "virtio,mmio") == 0 &&
                   fdt_util_reg(fdt, node, 0, &base, &size)) {
            if (!arch_device_irq(fdt, node, &irq)) {
                printf("vmm: %s: %s: no interrupt\n", vm->name, fdt_get_name(fdt, node, NULL));
                return -1;
            }
            if (virtio_device_create(vm, fdt, node, gpa_init(base), irq) != 0) {
                return -1;
            }
        }
    }
    return 0;
}
