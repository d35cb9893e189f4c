// SPDX-License-Identifier: MIT
/*
 * Loading a Linux Image, arm64 (Documentation/arm64/booting.rst) or riscv64
 * (Documentation/riscv/boot-image-header.rst): both headers have text_offset and image_size at
 * the same places and their magic at 0x38 (ARCH_LINUX_MAGIC, vm_arch.h). They place the kernel
 * above a 2 MiB-aligned base of RAM; the initrd and the device tree go near the top of RAM; the
 * device tree the guest sees is the VM's, with /chosen linux,initrd-start/end added. Every size
 * and address from the image or the tree is checked against guest RAM.
 */
#include "loader_linux.h"
#include <keel/rt.h>
#include <fdt_util.h>
#include <libfdt.h>
#include <string.h>

struct image_header {
    uint32_t code0, code1;
    uint64_t text_offset, image_size, flags, res2, res3, res4;
    uint32_t magic, res5;
};

int linux_load(struct vm *vm, const void *image, uint64_t size, const void *initrd,
               uint64_t initrd_size, const void *vm_dt, struct linux_boot *out)
{
    struct image_header h;
    if (size < sizeof(h)) {
        return -1;
    }
    memcpy(&h, image, sizeof(h));
    if (h.magic != ARCH_LINUX_MAGIC || h.image_size < size || h.text_offset % 4096) {
        printf("vmm: not a Linux Image for %s (magic 0x%x)\n", ARCH_LINUX_NAME, h.magic);
        return -1;
    }
    uint64_t base = (gpa_val(vm->ram_base) + 0x1fffff) & ~0x1fffffull;
    uint64_t kernel = base + h.text_offset;
    uint64_t top = gpa_val(vm->ram_base) + vm->ram_size;
    uint64_t dtb = (top - 0x200000) & ~0x1fffffull;   /* 2 MiB for the tree, at the top */
    uint64_t rd = (dtb - initrd_size) & ~0xfffull;     /* the initrd just below it */
    void *kdst = guest_mem_ptr(vm, gpa_init(kernel), h.image_size);
    void *rdst = initrd ? guest_mem_ptr(vm, gpa_init(rd), initrd_size) : NULL;
    void *ddst = guest_mem_ptr(vm, gpa_init(dtb), 0x200000);
    /* From the base up: the kernel (text_offset not wrapping around), the initrd, the tree. */
    if (!kdst || !ddst || (initrd && !rdst) || kernel < base || kernel + h.image_size > dtb ||
        (initrd && rd < kernel + h.image_size)) {
        printf("vmm: the kernel (%lu bytes) and initrd (%lu bytes) do not fit in guest RAM\n",
               (unsigned long)h.image_size, (unsigned long)initrd_size);
        return -1;
    }
    memcpy(kdst, image, size);
    if (initrd) {
        memcpy(rdst, initrd, initrd_size);
    }
    if (fdt_open_into(vm_dt, ddst, 0x200000) != 0) {
        return -1;
    }
    int chosen = fdt_path_offset(ddst, "/chosen");
    if (initrd && (chosen < 0 || fdt_setprop_u64(ddst, chosen, "linux,initrd-start", rd) != 0 ||
                   fdt_setprop_u64(ddst, chosen, "linux,initrd-end", rd + initrd_size) != 0)) {
        return -1;
    }
    fdt_pack(ddst);
    out->entry = kernel;
    out->dtb = dtb;
    return 0;
}
