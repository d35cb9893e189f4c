// SPDX-License-Identifier: MIT
/*
 * The VMM: one per VM, an ordinary untrusted program the root task starts (keel/progenv.h) with
 * args naming the VM's device tree among the boot modules. It creates the VM task, backs and maps
 * guest RAM, instantiates the devices the tree lists, loads the guest and runs its vCPU.
 *
 * This first version runs one vCPU of a raw binary guest (chosen/keel,image at
 * chosen/keel,load-address) with a PL011 and PSCI; Linux guests, the GIC, virtio and SMP follow.
 */
#include "vm.h"
#include "vcpu_loop.h"
#include "dev/uart_pl011.h"
#include "loader_linux.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/progenv.h>
#include <cpio.h>
#include <fdt_util.h>
#include <libfdt.h>
#include <string.h>

static struct vm vm;
static uint64_t vm_dt[65536 / 8]; /* libfdt wants 8-byte alignment; the cpio gives 4 */

static const void *module(const struct keel_progenv *env, const char *name, uint64_t *size)
{
    const char *base = (const char *)(uintptr_t)KEEL_PROG_MODULES_BASE + env->modules_offset;
    return env->modules_size ? cpio_find(base, base + env->modules_size - env->modules_offset, name, size)
                             : NULL;
}

static int devices(const void *fdt, const char *name)
{
    int node;
    fdt_for_each_subnode(node, fdt, 0) {
        uint64_t base, size;
        if (fdt_node_check_compatible(fdt, node, "arm,pl011") == 0 &&
            fdt_util_reg(fdt, node, 0, &base, &size)) {
            struct mmio_device *d = vm_device_add(&vm, "pl011", gpa_init(base), size);
            if (!d || uart_pl011_create(d, name) != 0) {
                printf("vmm: %s: too many devices\n", name);
                return -1;
            }
        }
    }
    return 0;
}

int main(void)
{
    const struct keel_progenv *env = rt_progenv();
    uint64_t size;
    const void *dt = env ? module(env, env->args, &size) : NULL;
    if (!dt || size > sizeof(vm_dt)) {
        printf("vmm: no VM device tree \"%s\" among the boot modules\n", env ? env->args : "");
        return 1;
    }
    memcpy(vm_dt, dt, size);
    const void *fdt = vm_dt;
    int chosen = fdt_check_header(fdt) == 0 ? fdt_path_offset(fdt, "/chosen") : -1;
    int mem = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory", 7);
    uint64_t ram_base, ram_size, load = 0;
    const char *image = chosen >= 0 ? fdt_getprop(fdt, chosen, "keel,image", NULL) : NULL;
    const char *kernel = chosen >= 0 ? fdt_getprop(fdt, chosen, "keel,linux", NULL) : NULL;
    if (chosen < 0 || mem < 0 || !(image || kernel) || !fdt_util_reg(fdt, mem, 0, &ram_base, &ram_size) ||
        (image && !fdt_util_u64(fdt, chosen, "keel,load-address", &load))) {
        printf("vmm: %s: the VM device tree needs a memory node and /chosen keel,linux, or "
               "keel,image and keel,load-address\n", env->args);
        return 1;
    }
    vm.name = env->name;
    vm.task = rt_cap_alloc();
    int64_t r = KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, vm.task, 0);
    if (r == 0) {
        r = vm_ram_create(&vm, gpa_init(ram_base), ram_size);
    }
    if (r < 0) {
        printf("vmm: %s: cannot create the VM (%s)\n", env->name, keel_strerror(r));
        return 1;
    }
    uint64_t isize, entry = load, dtb = 0;
    if (kernel) {
        const char *rdname = fdt_getprop(fdt, chosen, "keel,initrd", NULL);
        uint64_t rdsize = 0;
        const void *k = module(env, kernel, &isize);
        const void *rd = rdname ? module(env, rdname, &rdsize) : NULL;
        struct linux_boot lb;
        if (!k || (rdname && !rd) || linux_load(&vm, k, isize, rd, rdsize, fdt, &lb) != 0) {
            printf("vmm: %s: cannot load Linux \"%s\"\n", env->name, kernel);
            return 1;
        }
        entry = lb.entry;
        dtb = lb.dtb;
        image = kernel;
    } else {
        const void *img = module(env, image, &isize);
        void *dst = img ? guest_mem_ptr(&vm, gpa_init(load), isize) : NULL;
        if (!dst) {
            printf("vmm: %s: image \"%s\" missing or outside guest RAM\n", env->name, image);
            return 1;
        }
        memcpy(dst, img, isize);
    }
    if (devices(fdt, env->name) != 0) {
        return 1;
    }
    /* This thread becomes the vCPU; its state area is the page after its UTCB. */
    struct keel_vcpu_state *s = (struct keel_vcpu_state *)(uintptr_t)(KEEL_ROOT_UTCB_ADDR + KEEL_PAGE_SIZE);
    r = KOBJ(KEEL_ROOT_THREAD, KEEL_THREAD_VCPU, vm.task, (uint64_t)(uintptr_t)s);
    if (r < 0) {
        printf("vmm: %s: no vCPU (%s)\n", env->name, keel_strerror(r));
        return 1;
    }
    vcpu_reset(s, entry, dtb);
    printf("vmm: %s: %lu MiB RAM at 0x%lx, %s (%lu bytes) at 0x%lx\n", env->name,
           (unsigned long)(ram_size >> 20), (unsigned long)ram_base, image, (unsigned long)isize,
           (unsigned long)entry);
    keel_call(KEEL_PROG_PARENT, keel_tag(KEEL_PROTO_READY, 0, 0), KEEL_NEVER, 0);
    if (vcpu_loop_run(&vm, s) != 0) {
        return 2;
    }
    printf("vmm: %s: guest powered off, status %ld\n", env->name, (long)vm.exit_status);
    return 0;
}
