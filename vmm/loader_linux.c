// SPDX-License-Identifier: MIT
/*
 * Loading a Linux Image, arm64 (Documentation/arm64/booting.rst) or riscv64
 * (Documentation/riscv/boot-image-header.rst), with its initrd and device tree, where
 * linux_layout_plan() placed them (the kernel above a 2 MiB-aligned base of RAM, the initrd and
 * the device tree near the top of RAM; each inside RAM, none over another). The device tree the
 * guest sees is the VM's, with /chosen linux,initrd-start/end and fresh kaslr-seed and rng-seed
 * (guest_tree_seed) added.
 */
#include "loader_linux.h"
#include "linux_layout.h"
#include "guest_tree.h"
#include <keel/rt.h>
#include <fdt_util.h>
#include <libfdt.h>
#include <string.h>

int linux_load(struct vm *vm, const void *image, uint64_t size, const void *initrd,
               uint64_t initrd_size, const void *vm_dt, struct linux_boot *out)
{
    struct linux_layout l;
    enum linux_layout_result r = linux_layout_plan(image, size, initrd ? initrd_size : 0,
                                                   gpa_val(vm->ram_base), vm->ram_size, &l);
    if (r != LINUX_LAYOUT_OK) {
        printf("vmm: %s: Linux Image (%lu bytes; text_offset 0x%lx, image_size 0x%lx), initrd "
               "%lu bytes, RAM 0x%lx + 0x%lx: %s\n", vm->name, (unsigned long)size,
               (unsigned long)l.text_offset, (unsigned long)l.image_size,
               (unsigned long)l.initrd_size, (unsigned long)gpa_val(vm->ram_base),
               (unsigned long)vm->ram_size, linux_layout_strerror(r));
        return -1;
    }
    void *kdst = guest_mem_ptr(vm, gpa_init(l.kernel), l.image_size);
    void *rdst = l.initrd_size ? guest_mem_ptr(vm, gpa_init(l.initrd), l.initrd_size) : NULL;
    void *ddst = guest_mem_ptr(vm, gpa_init(l.dt), LINUX_DT_AREA);
    if (!kdst || !ddst || (l.initrd_size && !rdst)) {
        return -1; /* linux_layout_plan() placed all of them in RAM: not reached */
    }
    memcpy(kdst, image, size);
    if (rdst) {
        memcpy(rdst, initrd, l.initrd_size);
    }
    if (fdt_open_into(vm_dt, ddst, LINUX_DT_AREA) != 0) {
        printf("vmm: %s: the device tree does not fit the 2 MiB kept for it\n", vm->name);
        return -1;
    }
    /* The initrd's place goes into /chosen (made if the tree has none); an empty initrd is none. */
    uint64_t initrd_end = l.initrd + l.initrd_size;
    int chosen = rdst ? fdt_path_offset(ddst, "/chosen") : 0;
    if (chosen == -FDT_ERR_NOTFOUND) {
        chosen = fdt_add_subnode(ddst, 0, "chosen");
    }
    if (rdst && (chosen < 0 || fdt_setprop_u64(ddst, chosen, "linux,initrd-start", l.initrd) != 0 ||
                 fdt_setprop_u64(ddst, chosen, "linux,initrd-end", initrd_end) != 0)) {
        printf("vmm: %s: cannot note the initrd in the device tree's /chosen\n", vm->name);
        return -1;
    }
    if (guest_tree_seed(ddst, &vm->entropy, vm->name) != 0) {
        return -1;
    }
    fdt_pack(ddst);
    out->entry = l.kernel;
    out->dtb = l.dt;
    return 0;
}
