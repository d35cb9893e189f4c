// SPDX-License-Identifier: MIT
/*
 * The VM's CFI flash (flash_vm.h) from its device tree, as QEMU's boards have it for UEFI
 * firmware: the code in one bank (read-only), the variable store in another (writable).
 *
 *   flash@0 {
 *       compatible = "cfi-flash";
 *       bank-width = <4>;
 *       reg = <0x0 0x0 0x0 0x200000>, <0x0 0x4000000 0x0 0xc0000>;
 *       keel,flash-modules = "QEMU_EFI.fd", "";
 *       keel,read-only-banks = <0>;
 *   };
 *
 * Each `reg` entry is a bank (at most FLASH_VM_BANKS; page-aligned, a multiple of the erase
 * block). `bank-width` picks the geometry of the QEMU board the firmware was built for: 4 is
 * arm64 virt's (two 16-bit chips, 256 KiB blocks, Intel IDs 0x89/0x18), 1 is x86 pc/q35's (one
 * byte-wide chip, 4 KiB blocks, IDs 0). keel,flash-modules names per bank the boot module that
 * fills its start ("": none); the rest is erased (0xff). keel,read-only-banks lists the banks
 * that refuse program and erase (the code). A bank is the VMM's memory, filled at start and kept
 * across a reset of the VM (the variable store survives it), not written anywhere else.
 *
 * In read-array mode a bank is mapped into the VM read-only (and executable when it is a
 * read-only bank): reads and instruction fetches run without exits, writes exit as MMIO to the
 * model. A write that leaves read-array mode (a command) unmaps the bank before the vCPU
 * resumes, so that reads of status, IDs and the query table reach the model too; back in read
 * array it is mapped again. Accesses run under the device's lock (vm_device_access).
 */
#include "flash_vm.h"
#include "cfi_flash.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <libfdt.h>
#include <fdt_util.h>
#include <string.h>

#define MODULES "keel,flash-modules"
#define READ_ONLY "keel,read-only-banks"

struct bank {
    struct vm *vm;
    struct cfi_flash flash;
    uint8_t *array; /* our memory, vm_heap_alloc'd */
    gpa_t base;
    uint64_t size;
    const char *module;
    bool read_only, mapped;
    struct vm_rom *rom; /* what instruction fetches of the VMM may read (guest_code_ptr) */
    uint64_t unmaps;    /* mode switches out of read array */
};

static struct bank banks[FLASH_VM_BANKS];
static unsigned bank_count;

static void map(struct bank *b, bool on)
{
    if (on == b->mapped) {
        return;
    }
    int64_t r = on ? vm_map(b->vm, b->array, b->base, b->size,
                            KEEL_FP_R | (b->read_only ? KEEL_FP_X : 0))
                   : vm_unmap(b->array, b->size);
    if (r < 0 && on) {
        /* Unmapped (what a partial map did taken back), reads exit to the model, which answers
         * right in any mode: only the exits' cost (and code fetches: none) depend on it. */
        vm_unmap(b->array, b->size);
    }
    if (r < 0) {
        /* (The VMM's or the kernel's trouble, not the guest's: said outside the report budget.
         * A bank that stays mapped would read as its array in a command mode.) */
        printf("vmm: %s: flash at 0x%lx: cannot %s it: %s%s\n", b->vm->name,
               (unsigned long)gpa_val(b->base), on ? "map" : "unmap", keel_strerror(r),
               r == -KEEL_ENOMEM ? ": its kernel-memory is used up (the bank works through exits)"
                                 : "");
        return;
    }
    b->mapped = on;
    b->unmaps += !on;
    __atomic_store_n(&b->rom->readable, on, __ATOMIC_RELEASE);
}

static void mode_changed(void *ctx, bool read_array)
{
    map(ctx, read_array);
}

static bool access(struct mmio_device *d, uint64_t off, unsigned width, bool write, uint64_t *value)
{
    return cfi_flash_access(&((struct bank *)d->state)->flash, off, width, write, value);
}

static void reset(struct mmio_device *d)
{
    struct bank *b = d->state;
    cfi_flash_reset(&b->flash); /* (maps it again through mode_changed; the array stays) */
    map(b, true);
}

static bool listed(const void *fdt, int node, const char *prop, unsigned i)
{
    int len = 0;
    const fdt32_t *p = fdt_getprop(fdt, node, prop, &len);
    for (int k = 0; p && k < len / 4; k++) {
        if (fdt32_to_cpu(p[k]) == i) {
            return true;
        }
    }
    return false;
}

/* Bank i of node: its geometry, its memory filled, its device. 0, or -1 after saying why. */
static int bank_create(struct vm *vm, const void *fdt, int node, unsigned i, uint64_t width)
{
    const char *where = fdt_get_name(fdt, node, NULL);
    struct bank *b = &banks[bank_count];
    uint64_t base, size;
    fdt_util_reg(fdt, node, (int)i, &base, &size);
    const bool virt = width == 4;
    struct cfi_flash_config cfg = {
        .size = size,
        .block_size = virt ? 0x40000 : 0x1000,
        .bank_width = (unsigned)width,
        .device_width = virt ? 2 : 1,
        .read_only = listed(fdt, node, READ_ONLY, i),
        .manufacturer = virt ? 0x89 : 0,
        .device = virt ? 0x18 : 0,
        .mode_changed = mode_changed,
        .ctx = b,
    };
    if ((base | size) & (KEEL_PAGE_SIZE - 1) || !size || size % cfg.block_size) {
        printf("vmm: %s: %s: bank %u: page-aligned, a multiple of 0x%lx bytes\n", vm->name, where,
               i, (unsigned long)cfg.block_size);
        return -1;
    }
    const char *module = fdt_stringlist_get(fdt, node, MODULES, (int)i, NULL);
    uint64_t msize = 0;
    const void *contents = module && *module ? vm_boot_module(module, &msize) : NULL;
    if (module && *module && (!contents || msize > size)) {
        printf("vmm: %s: %s: bank %u: " MODULES ": \"%s\" %s\n", vm->name, where, i, module,
               contents ? "is larger than the bank" : "is not among the boot modules");
        return -1;
    }
    b->array = vm_heap_alloc(vm, size);
    if (!b->array) {
        printf("vmm: %s: %s: no memory left for its 0x%lx bytes (the system tree's memory)\n",
               vm->name, where, (unsigned long)size);
        return -1;
    }
    memset(b->array, 0xff, size);
    if (contents) {
        memcpy(b->array, contents, msize);
    }
    cfg.data = b->array;
    b->vm = vm;
    b->base = gpa_init(base);
    b->size = size;
    b->module = module && *module ? module : NULL;
    b->read_only = cfg.read_only;
    struct mmio_device *d = vm_device_add(vm, "cfi-flash", b->base, size);
    b->rom = vm_rom_add(vm, b->base, size, b->array);
    if (!d || !b->rom || !cfi_flash_init(&b->flash, &cfg)) {
        printf("vmm: %s: %s: %s\n", vm->name, where,
               d && b->rom ? "bad flash geometry" : "too many devices");
        return -1;
    }
    d->access = access;
    d->reset = reset;
    d->state = b;
    bank_count++;
    map(b, true);
    return b->mapped ? 0 : -1;
}

int flash_vm_from_dt(struct vm *vm, const void *fdt, int node)
{
    const char *where = fdt_get_name(fdt, node, NULL);
    uint64_t width = 0, base, size;
    unsigned n = 0;
    while (fdt_util_reg(fdt, node, (int)n, &base, &size)) {
        n++;
    }
    int modules = fdt_stringlist_count(fdt, node, MODULES);
    if (bank_count || n == 0 || n > FLASH_VM_BANKS) {
        printf("vmm: %s: %s: one cfi-flash node per VM, with 1 to %u banks in reg\n", vm->name,
               where, (unsigned)FLASH_VM_BANKS);
        return -1;
    }
    if (!fdt_util_u64(fdt, node, "bank-width", &width) || (width != 1 && width != 4)) {
        printf("vmm: %s: %s: bank-width must be 4 (arm64 virt's flash) or 1 (x86 pc's)\n", vm->name,
               where);
        return -1;
    }
    if (modules != -FDT_ERR_NOTFOUND && (modules < 0 || (unsigned)modules > n)) {
        printf("vmm: %s: %s: " MODULES ": at most one string per bank\n", vm->name, where);
        return -1;
    }
    for (unsigned i = 0; i < n; i++) {
        if (bank_create(vm, fdt, node, i, width) != 0) {
            return -1;
        }
    }
    return 0;
}

bool flash_vm_bank_of(const char *module, gpa_t *base, uint64_t *size)
{
    for (unsigned i = 0; i < bank_count; i++) {
        if (banks[i].module && strcmp(banks[i].module, module) == 0) {
            *base = banks[i].base;
            *size = banks[i].size;
            return true;
        }
    }
    return false;
}

void flash_vm_print_stats(struct vm *vm)
{
    for (unsigned i = 0; i < bank_count; i++) {
        printf("vmm: %s: flash bank %u at 0x%lx (%s%s): %lu commands took it out of read-array "
               "mode\n",
               vm->name, i, (unsigned long)gpa_val(banks[i].base),
               banks[i].module ? banks[i].module : "erased",
               banks[i].read_only ? ", read-only" : "", (unsigned long)banks[i].unmaps);
    }
}
