// SPDX-License-Identifier: MIT
// The generic device models of a VM, from its device tree (see platform.h).
#include "platform.h"
#include "dev/uart_pl011.h"
#include "dev/uart_ns16550.h"
#include "dev/virtio_devices.h"
#include "dev/pci_bus.h"
#include "dev/fw_cfg_vm.h"
#include "dev/flash_vm.h"
#include "dev/rtc_pl031.h"
#include "dev/sbsa_gwdt.h"
#include "dev/passthrough.h"
#include <keel/rt.h>
#include <fdt_util.h>
#include <libfdt.h>

static int pl011_from_dt(struct vm *vm, const void *fdt, int node)
{
    uint64_t base, size;
    unsigned irq = 0;
    if (!fdt_util_reg(fdt, node, 0, &base, &size)) {
        printf("vmm: %s: %s: no reg\n", vm->name, fdt_get_name(fdt, node, NULL));
        return -1;
    }
    bool has_irq = arch_device_irq(fdt, node, &irq);
    struct mmio_device *d = vm_device_add(vm, "pl011", gpa_init(base), size);
    if (!d || uart_pl011_create(d, vm, has_irq ? irq : 0) != 0) {
        printf("vmm: %s: too many devices\n", vm->name);
        return -1;
    }
    return 0;
}

static int ns16550_from_dt(struct vm *vm, const void *fdt, int node)
{
    uint64_t base, size, shift = 0;
    unsigned irq = 0;
    if (!fdt_util_reg(fdt, node, 0, &base, &size)) {
        printf("vmm: %s: %s: no reg\n", vm->name, fdt_get_name(fdt, node, NULL));
        return -1;
    }
    bool has_irq = arch_device_irq(fdt, node, &irq);
    struct mmio_device *d = vm_device_add(vm, "ns16550a", gpa_init(base), size);
    fdt_util_u64(fdt, node, "reg-shift", &shift);
    if (!d || uart_ns16550_create(d, vm, has_irq ? irq : 0, (unsigned)shift) != 0) {
        printf("vmm: %s: too many devices (or a reg-shift over 2)\n", vm->name);
        return -1;
    }
    return 0;
}

static int virtio_mmio_from_dt(struct vm *vm, const void *fdt, int node)
{
    uint64_t base, size;
    unsigned irq;
    if (!fdt_util_reg(fdt, node, 0, &base, &size)) {
        printf("vmm: %s: %s: no reg\n", vm->name, fdt_get_name(fdt, node, NULL));
        return -1;
    }
    if (!arch_device_irq(fdt, node, &irq)) {
        printf("vmm: %s: %s: no interrupt\n", vm->name, fdt_get_name(fdt, node, NULL));
        return -1;
    }
    return virtio_device_create(vm, fdt, node, gpa_init(base), irq);
}

bool arch_device_irq(const void *fdt, int node, unsigned *intid)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, "interrupts", &len);
    return p != NULL && arch_irq_cells(p, len, intid);
}

static const struct device_model models[] = {
    { "arm,pl011", pl011_from_dt },
    { "ns16550a", ns16550_from_dt },
    { "virtio,mmio", virtio_mmio_from_dt },
    { "pci-host-ecam-generic", pci_bus_from_dt },
    { "qemu,fw-cfg-mmio", fw_cfg_vm_from_dt },
    { "cfi-flash", flash_vm_from_dt },
    { "arm,pl031", rtc_pl031_from_dt },
    { "arm,sbsa-gwdt", sbsa_gwdt_from_dt },
    { NULL, NULL },
};

/* Makes node's device if a model in the table knows its compatible. */
static int create(const struct device_model *table, struct vm *vm, const void *fdt, int node)
{
    for (const struct device_model *m = table; m->compatible; m++) {
        if (fdt_node_check_compatible(fdt, node, m->compatible) == 0) {
            return m->create(vm, fdt, node);
        }
    }
    return 0; /* nothing the VMM models (memory, cpus, chosen, ...) */
}

int platform_devices(struct vm *vm, const void *fdt)
{
    int node;
    fdt_for_each_subnode(node, fdt, 0) {
        if (create(arch_device_models, vm, fdt, node) != 0) {
            return -1;
        }
    }
    fdt_for_each_subnode(node, fdt, 0) {
        if (!fdt_getprop(fdt, node, "keel,board-device", NULL) &&
            create(models, vm, fdt, node) != 0) {
            return -1;
        }
    }
    /* A board device passed through (keel,board-device) is that, whatever its compatible; made
     * last, when every emulated device's window is known (it must overlap none). */
    fdt_for_each_subnode(node, fdt, 0)
    {
        if (fdt_getprop(fdt, node, "keel,board-device", NULL) &&
            passthrough_from_dt(vm, fdt, node) != 0) {
            return -1;
        }
    }
    return 0;
}
