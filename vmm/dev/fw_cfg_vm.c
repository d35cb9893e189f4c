// SPDX-License-Identifier: MIT
/*
 * The VM's fw_cfg device (fw_cfg_vm.h): QEMU's firmware configuration interface (the model,
 * fw_cfg.c) filled from the VM device tree, in the VM's MMIO space (arm64, riscv64: the standard
 * binding, which Linux's qemu_fw_cfg driver and EDK2's ArmVirtQemu find) or its I/O ports
 * (x86_64: QEMU's fixed ports, which SeaBIOS and OVMF use; there is no standard x86 binding, so
 * the node is Keel's own, under the isa node like the other port devices).
 *
 *   fw-cfg@9020000 {
 *       compatible = "qemu,fw-cfg-mmio";
 *       reg = <0x0 0x9020000 0x0 0x18>;
 *       dma-coherent;
 *       keel,fw-cfg-files = "opt/keel/hello", "opt/keel/config";
 *       keel,fw-cfg-modules = "hello.txt", "config.bin";
 *       keel,fw-cfg-bootorder = "/virtio_mmio@a000000\n/pcie@20000000/virtio@2";
 *   };
 *   isa { ... fw-cfg@i510 { compatible = "keel,fw-cfg"; reg = <1 0x510 0xc>; keel,fw-cfg-... }; };
 *
 * Items: NB_CPUS and MAX_CPUS (le16: the VM's vCPU count; no CPU is hot-plugged), RAM_SIZE (le64),
 * on x86 etc/e820 (the RAM as one E820_RAM entry, as QEMU gives it to firmware),
 * a file per entry of keel,fw-cfg-files whose contents are the boot module at the same place in
 * keel,fw-cfg-modules (read-only; borrowed: the boot modules stay mapped for the VMM's life), and
 * "bootorder" from keel,fw-cfg-bootorder (QEMU's format: OpenFirmware device paths, one per line;
 * the item is the string with its NUL, as QEMU gives it), and the kernel, initrd and command line
 * items from keel,fw-cfg-kernel, -initrd, -cmdline (add_kernel). FILE_DIR lists the files by name.
 *
 * DMA reaches guest memory only through guest_mem_ptr(). What a bad DMA descriptor gets is the
 * model's answer (the ERROR bit in its control word, or nothing when that word is not RAM), as
 * on QEMU: not reported, the guest sees it. Accesses run under the device's own lock
 * (vm_device_access), the model's only serialisation. One VM per VMM: the state is this file's.
 */
#include "fw_cfg_vm.h"
#include "fw_cfg.h"
#include <keel/rt.h>
#include <libfdt.h>
#include <fdt_util.h>
#include <string.h>

#define FILES "keel,fw-cfg-files"
#define MODULES "keel,fw-cfg-modules"
#define BOOTORDER "keel,fw-cfg-bootorder"
#define KERNEL "keel,fw-cfg-kernel"
#define INITRD "keel,fw-cfg-initrd"
#define CMDLINE "keel,fw-cfg-cmdline"

static struct fw_cfg cfg; /* its items point at those below, at boot modules and the tree */
static uint8_t cpus_le16[2], ram_le64[8];
/* x86: etc/e820, the RAM as one entry (le64 base, le64 length, le32 type). */
static uint8_t e820[20];
static uint8_t kernel_le32[4], setup_le32[4], initrd_le32[4], cmdline_le32[4];
static bool made;

static void *gpa_ptr(void *ctx, uint64_t gpa, uint64_t size)
{
    return guest_mem_ptr(ctx, gpa_init(gpa), size);
}

static bool mmio_access(struct mmio_device *d, uint64_t off, unsigned width, bool write,
                        uint64_t *value)
{
    return fw_cfg_mmio(d->state, off, width, write, value);
}

static bool port_access(struct mmio_device *d, uint64_t off, unsigned width, bool write,
                        uint64_t *value)
{
    return fw_cfg_io(d->state, (uint16_t)off, width, write, value); /* off < FW_CFG_IO_SIZE */
}

static void reset(struct mmio_device *d)
{
    fw_cfg_reset(d->state);
}

/* A file per keel,fw-cfg-files entry, the boot module of the same keel,fw-cfg-modules entry. */
static int add_files(struct vm *vm, const void *fdt, int node, const char *where)
{
    int n = fdt_stringlist_count(fdt, node, FILES), m = fdt_stringlist_count(fdt, node, MODULES);
    if (n == -FDT_ERR_NOTFOUND && m == -FDT_ERR_NOTFOUND) {
        return 0;
    }
    if (n < 0 || m < 0 || n != m) {
        printf("vmm: %s: %s: " FILES " and " MODULES " must be lists of as many strings\n",
               vm->name, where);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const char *file = fdt_stringlist_get(fdt, node, FILES, i, NULL);
        const char *module = fdt_stringlist_get(fdt, node, MODULES, i, NULL);
        uint64_t size = 0;
        const void *data = file && module ? vm_boot_module(module, &size) : NULL;
        if (!data) {
            printf("vmm: %s: %s: " MODULES ": no boot module \"%s\" for file \"%s\"\n", vm->name,
                   where, module ? module : "", file ? file : "");
            return -1;
        }
        if (fw_cfg_add_file(&cfg, file, data, size) == 0) {
            printf("vmm: %s: %s: " FILES ": file \"%s\": a name of 1 to %u characters given once, "
                   "at most 4 GiB - 1 bytes (\"%s\": %lu), and at most %u files\n",
                   vm->name, where, file, (unsigned)FW_CFG_NAME_SIZE - 1, module,
                   (unsigned long)size, (unsigned)FW_CFG_ITEMS_MAX - 6);
            return -1;
        }
    }
    return 0;
}

static void le32(uint8_t *b, uint64_t v)
{
    for (unsigned i = 0; i < 4; i++) {
        b[i] = (uint8_t)(v >> (8 * i));
    }
}

/* What firmware boots without a disk (QEMU's -kernel, -initrd, -append with firmware; EDK2's
 * QemuKernelLoaderFsDxe): keel,fw-cfg-kernel names the kernel's boot module, which goes whole into
 * KERNEL_SIZE/DATA, but for an x86 bzImage (its setup header's "HdrS" at 0x202) its setup
 * sectors ((setup_sects or 4) + 1 times 512 bytes) go into SETUP_SIZE/DATA, as QEMU splits it;
 * keel,fw-cfg-initrd the initrd's; keel,fw-cfg-cmdline the command line (the item with its NUL). */
static int add_kernel(struct vm *vm, const void *fdt, int node, const char *where)
{
    const char *kname = fdt_getprop(fdt, node, KERNEL, NULL);
    const char *rdname = fdt_getprop(fdt, node, INITRD, NULL);
    int clen = 0;
    const char *cmdline = fdt_getprop(fdt, node, CMDLINE, &clen);
    if (!kname) {
        if (rdname || cmdline) {
            printf("vmm: %s: %s: " INITRD " and " CMDLINE " need " KERNEL "\n", vm->name, where);
            return -1;
        }
        return 0;
    }
    uint64_t ksize = 0, rdsize = 0, setup = 0;
    const uint8_t *k = vm_boot_module(kname, &ksize);
    const void *rd = rdname ? vm_boot_module(rdname, &rdsize) : NULL;
    if (!k || (rdname && !rd)) {
        printf("vmm: %s: %s: no boot module \"%s\"\n", vm->name, where, !k ? kname : rdname);
        return -1;
    }
    if (ksize > 0x206 && memcmp(k + 0x202, "HdrS", 4) == 0) {
        setup = ((uint64_t)(k[0x1f1] ? k[0x1f1] : 4) + 1) * 512;
    }
    if (setup >= ksize || ksize > UINT32_MAX || rdsize > UINT32_MAX ||
        (cmdline && (clen < 1 || cmdline[clen - 1] != '\0'))) {
        printf(
            "vmm: %s: %s: the kernel (setup %lu of %lu bytes) or initrd is too large, or " CMDLINE
            " is not a string\n",
            vm->name, where, (unsigned long)setup, (unsigned long)ksize);
        return -1;
    }
    le32(kernel_le32, ksize - setup);
    le32(setup_le32, setup);
    le32(initrd_le32, rdsize);
    le32(cmdline_le32, cmdline ? (uint64_t)clen : 0);
    bool ok = fw_cfg_add(&cfg, FW_CFG_KERNEL_SIZE, kernel_le32, 4) &&
              fw_cfg_add(&cfg, FW_CFG_KERNEL_DATA, k + setup, ksize - setup) &&
              fw_cfg_add(&cfg, FW_CFG_SETUP_SIZE, setup_le32, 4) &&
              (!setup || fw_cfg_add(&cfg, FW_CFG_SETUP_DATA, k, setup)) &&
              fw_cfg_add(&cfg, FW_CFG_INITRD_SIZE, initrd_le32, 4) &&
              (!rd || fw_cfg_add(&cfg, FW_CFG_INITRD_DATA, rd, rdsize)) &&
              fw_cfg_add(&cfg, FW_CFG_CMDLINE_SIZE, cmdline_le32, 4) &&
              (!cmdline || fw_cfg_add(&cfg, FW_CFG_CMDLINE_DATA, cmdline, (uint64_t)clen));
    if (!ok) {
        printf("vmm: %s: %s: no room for the kernel's items\n", vm->name, where);
        return -1;
    }
    return 0;
}

/* "bootorder" from keel,fw-cfg-bootorder: one string, its NUL included. */
static int add_bootorder(struct vm *vm, const void *fdt, int node, const char *where)
{
    int len = 0;
    const char *paths = fdt_getprop(fdt, node, BOOTORDER, &len);
    if (!paths) {
        return 0;
    }
    if (len < 1 || paths[len - 1] != '\0' || strlen(paths) != (size_t)len - 1 ||
        fw_cfg_add_file(&cfg, "bootorder", paths, (uint64_t)len) == 0) {
        printf("vmm: %s: %s: " BOOTORDER ": one string, and no other file \"bootorder\"\n",
               vm->name, where);
        return -1;
    }
    return 0;
}

/* The items of the VM's fw_cfg (one per VM) from node. 0, or -1 after saying why. */
static int items(struct vm *vm, const void *fdt, int node)
{
    const char *where = fdt_get_name(fdt, node, NULL);
    if (made) {
        printf("vmm: %s: %s: one fw_cfg per VM\n", vm->name, where);
        return -1;
    }
    made = true;
    fw_cfg_init(&cfg, gpa_ptr, vm);
    for (unsigned i = 0; i < sizeof(cpus_le16); i++) {
        cpus_le16[i] = (uint8_t)(vm->vcpu_count >> (8 * i));
    }
    for (unsigned i = 0; i < sizeof(ram_le64); i++) {
        ram_le64[i] = (uint8_t)(vm->ram_size >> (8 * i));
    }
    /* (A fresh table has room for these: they cannot fail.) */
    fw_cfg_add(&cfg, FW_CFG_NB_CPUS, cpus_le16, sizeof(cpus_le16));
    fw_cfg_add(&cfg, FW_CFG_MAX_CPUS, cpus_le16, sizeof(cpus_le16));
    fw_cfg_add(&cfg, FW_CFG_RAM_SIZE, ram_le64, sizeof(ram_le64));
    if (add_files(vm, fdt, node, where) != 0 || add_bootorder(vm, fdt, node, where) != 0 ||
        add_kernel(vm, fdt, node, where) != 0) {
        return -1;
    }
    return 0;
}

bool fw_cfg_vm_add_file(const char *name, const void *data, uint64_t size)
{
    return made && fw_cfg_add_file(&cfg, name, data, size) != 0;
}

int fw_cfg_vm_from_dt(struct vm *vm, const void *fdt, int node)
{
    uint64_t base, size;
    if (!fdt_util_reg(fdt, node, 0, &base, &size) || size != FW_CFG_MMIO_SIZE) {
        printf("vmm: %s: %s: reg must be the 0x%x-byte window\n", vm->name,
               fdt_get_name(fdt, node, NULL), (unsigned)FW_CFG_MMIO_SIZE);
        return -1;
    }
    if (items(vm, fdt, node) != 0) {
        return -1;
    }
    struct mmio_device *d = vm_device_add(vm, "fw-cfg", gpa_init(base), size);
    if (!d) {
        printf("vmm: %s: too many devices\n", vm->name);
        return -1;
    }
    d->access = mmio_access;
    d->reset = reset;
    d->state = &cfg;
    return 0;
}

int fw_cfg_vm_ports(struct vm *vm, const void *fdt, int node, struct mmio_device *d)
{
    if (gpa_val(d->base) != FW_CFG_IO_BASE || d->size != FW_CFG_IO_SIZE) {
        printf("vmm: %s: %s: reg must be QEMU's ports: <1 0x%x 0x%x>\n", vm->name,
               fdt_get_name(fdt, node, NULL), (unsigned)FW_CFG_IO_BASE, (unsigned)FW_CFG_IO_SIZE);
        return -1;
    }
    if (items(vm, fdt, node) != 0) {
        return -1;
    }
    /* x86 firmware (OVMF's PlatformPei, SeaBIOS) takes the memory map from etc/e820 (it falls
     * back to CMOS, which holds only 16 bits of 64 KiB units below 4 GiB). */
    for (unsigned i = 0; i < 8; i++) {
        e820[i] = (uint8_t)(gpa_val(vm->ram_base) >> (8 * i));
        e820[8 + i] = (uint8_t)(vm->ram_size >> (8 * i));
    }
    e820[16] = 1; /* E820_RAM */
    if (fw_cfg_add_file(&cfg, "etc/e820", e820, sizeof(e820)) == 0) {
        printf("vmm: %s: %s: no room for etc/e820 (or a file of that name given)\n", vm->name,
               fdt_get_name(fdt, node, NULL));
        return -1;
    }
    d->access = port_access;
    d->reset = reset;
    d->state = &cfg;
    return 0;
}
