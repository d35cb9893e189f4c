// SPDX-License-Identifier: MIT
/*
 * Starting a VM in UEFI firmware as QEMU's boards do. arm64 virt, for EDK2's ArmVirtQemu
 * (QEMU_EFI.fd): the boot vCPU starts at the first byte of the flash bank that holds the
 * firmware, at EL1 with the MMU off, and the VM's device tree is at the start of RAM, where the
 * firmware looks for it (PcdDeviceTreeInitialBaseAddress; its stack follows 496 KiB above, so the
 * tree has at most 64 KiB here); x0 has the tree's address too. The firmware then finds its
 * devices in the tree and loads the OS itself. Everything stays in the tree as the VMM read it
 * (keel,* properties included: they mean nothing to the firmware or the OS). x86 pc/q35, for
 * OVMF: the firmware's bank ends at 4 GiB and the boot vCPU starts at the reset vector, in real
 * mode (arch_vcpu_reset); the firmware finds its platform through the chipset (keel,chipset),
 * fw_cfg and CMOS, not the tree.
 */
#include "loader_firmware.h"
#ifndef ARCH_LINUX_BZIMAGE
#define ARCH_LINUX_BZIMAGE 0 /* (vm_arch.h: 1 on x86_64) */
#endif
#include "dev/flash_vm.h"
#include "guest_tree.h"
#if ARCH_LINUX_BZIMAGE
#include "arch/x86_64/acpi_vm.h"
#endif
#include <keel/rt.h>
#include <libfdt.h>

#define DT_AREA 0x10000

int firmware_load(struct vm *vm, const void *vm_dt, const char *firmware, struct linux_boot *out)
{
    gpa_t base;
    uint64_t size;
    if (!flash_vm_bank_of(firmware, &base, &size)) {
        printf("vmm: %s: keel,firmware \"%s\": no flash bank holds it (a cfi-flash node's "
               "keel,flash-modules)\n",
               vm->name, firmware);
        return -1;
    }
#if ARCH_LINUX_BZIMAGE
    (void)vm_dt;
    if (x86_acpi_to_fw_cfg(vm) != 0) {
        return -1;
    }
    if (gpa_val(base) + size != 1ull << 32) {
        printf("vmm: %s: keel,firmware \"%s\": its flash bank must end at 4 GiB, where the reset "
               "vector is\n",
               vm->name, firmware);
        return -1;
    }
    out->entry = (1ull << 32) - 16; /* (arch_vcpu_reset: CS base 0xffff0000, IP 0xfff0) */
    out->dtb = 0;
    return 0;
#else
    void *dt = guest_mem_ptr(vm, vm->ram_base, DT_AREA);
    if (!dt || fdt_open_into(vm_dt, dt, DT_AREA) != 0) {
        printf("vmm: %s: the device tree does not fit the first 64 KiB of RAM\n", vm->name);
        return -1;
    }
    if (guest_tree_seed(dt, &vm->entropy, vm->name) != 0) {
        return -1; /* (for the firmware to pass on, as QEMU's tree has them) */
    }
    fdt_pack(dt);
    out->entry = gpa_val(base);
    out->dtb = gpa_val(vm->ram_base);
    return 0;
#endif
}
