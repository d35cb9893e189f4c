// SPDX-License-Identifier: MIT
/*
 * The VMM: one per VM, an ordinary untrusted program the root task starts (keel/progenv.h) with
 * args naming the VM's device tree among the boot modules. It creates the VM task, backs and maps
 * guest RAM, instantiates the devices the tree lists, loads the guest and runs its vCPU.
 *
 * A raw binary guest (chosen/keel,image at chosen/keel,load-address), a Linux Image
 * (chosen/keel,linux, keel,initrd) or UEFI firmware from a flash bank (chosen/keel,firmware)
 * runs on the CPUs of the tree's /cpus node, with the devices its nodes describe (platform.c).
 */
#include "vm.h"
#include <vm_arch.h>
#ifndef ARCH_LINUX_BZIMAGE
#define ARCH_LINUX_BZIMAGE 0
#endif
#if ARCH_LINUX_BZIMAGE
#include "arch/x86_64/linux_x86.h"
#endif
#include "vcpu.h"
#include "platform.h"
#include "console_input.h"
#include "loader_linux.h"
#include "guest_tree.h"
#include "loader_firmware.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/progenv.h>
#include <fdt_util.h>
#include <libfdt.h>
#include <string.h>

static struct vm vm;
static uint64_t vm_dt[65536 / 8]; /* libfdt wants 8-byte alignment; the cpio gives 4 */

/* The VM's CPUs from its /cpus node (one, affinity 0, without it), on physical CPUs from the
 * VMM's own on (keel,cpu in a cpu node places it), wrapping around the CPUs its Scheduler allows
 * (its partition: the system tree's keel,cpus). */
static int cpus(const void *fdt, const struct keel_progenv *env)
{
    int parent = fdt_path_offset(fdt, "/cpus"), node;
    unsigned n = 0, pcpus = 0, first = 0;
    unsigned pcpu_of[64];
    uint64_t mask = 1ull << env->cpu;
    if (KOBJ(KEEL_ROOT_TASK, KEEL_TASK_CAP_VALID, KEEL_PROG_SCHEDULER) == 1 &&
        KOBJ(KEEL_PROG_SCHEDULER, KEEL_SCHED_INFO) >= 0 && keel_utcb()->mr[4]) {
        mask = keel_utcb()->mr[4];
    }
    for (unsigned i = 0; i < 64; i++) {
        if (mask & (1ull << i)) {
            first = i == env->cpu ? pcpus : first;
            pcpu_of[pcpus++] = i;
        }
    }
    if (parent >= 0) {
        fdt_for_each_subnode(node, fdt, parent) {
            const char *type = fdt_getprop(fdt, node, "device_type", NULL);
            uint64_t mpidr, pcpu;
            if (!type || strcmp(type, "cpu") != 0) {
                continue;
            }
            if (!fdt_util_reg(fdt, node, 0, &mpidr, NULL)) {
                printf("vmm: %s: a cpu node without reg\n", env->name);
                return -1;
            }
            if (!fdt_util_u64(fdt, node, "keel,cpu", &pcpu)) {
                pcpu = pcpu_of[(first + n) % pcpus];
            } else if (pcpu >= 64 || !(mask & (1ull << pcpu))) {
                printf("vmm: %s: keel,cpu = <%lu> of vCPU %u is not one of its CPUs (mask 0x%lx)\n",
                       env->name, (unsigned long)pcpu, n, (unsigned long)mask);
                return -1;
            }
            if (n == VM_MAX_VCPUS) {
                printf("vmm: %s: more than %u cpu nodes: a VM has at most %u vCPUs "
                       "(VM_MAX_VCPUS)\n",
                       env->name, VM_MAX_VCPUS, VM_MAX_VCPUS);
                return -1;
            }
            int64_t r = vcpu_create(&vm, n, mpidr, (unsigned)pcpu);
            if (r < 0) {
                printf("vmm: %s: cannot create vCPU %u: %s%s\n", env->name, n, keel_strerror(r),
                       vm_kmem_note(r));
                return -1;
            }
            n++;
        }
    }
    if (n == 0 && vcpu_create(&vm, 0, 0, (unsigned)env->cpu) < 0) {
        printf("vmm: %s: cannot create its vCPU\n", env->name);
        return -1;
    }
    return 0;
}

/* What vCPU 0 starts in, from the tree's /chosen (main): loaded at start and at every reset. */
static struct boot {
    const void *fdt;
    int chosen;
    const char *image, *kernel, *firmware;
    uint64_t load;
} boot;

/* Puts the guest into RAM: 0 with where vCPU 0 starts and its argument (the device tree's
 * address, where there is one), or -1 after saying why. */
static int load_guest(struct vm *v, uint64_t *entry, uint64_t *ctx)
{
    const struct boot *b = &boot;
    struct linux_boot lb = { .entry = b->load, .dtb = 0 };
    uint64_t isize = 0, rdsize = 0;
    const char *rdname = b->kernel ? fdt_getprop(b->fdt, b->chosen, "keel,initrd", NULL) : NULL;
    const void *k = b->kernel ? vm_boot_module(b->kernel, &isize) : NULL;
    const void *rd = rdname ? vm_boot_module(rdname, &rdsize) : NULL;
    if (b->kernel && (!k || (rdname && !rd))) {
        printf("vmm: %s: cannot load Linux \"%s\": %s is not among the boot modules\n", v->name,
               b->kernel, !k ? "it" : rdname);
        return -1;
    }
    if (b->firmware) {
        if (firmware_load(v, b->fdt, b->firmware, &lb) != 0) {
            return -1;
        }
    } else if (b->kernel && ARCH_LINUX_IMAGE) {
        if (linux_load(v, k, isize, rd, rdsize, b->fdt, &lb) != 0) {
            printf("vmm: %s: cannot load Linux \"%s\"\n", v->name, b->kernel);
            return -1;
        }
    } else if (b->kernel) {
#if ARCH_LINUX_BZIMAGE
        int blen = 0;
        const char *bootargs = fdt_getprop(b->fdt, b->chosen, "bootargs", &blen);
        if (bootargs && (blen < 1 || bootargs[blen - 1] != '\0')) {
            printf("vmm: %s: /chosen bootargs is not a string\n", v->name);
            return -1;
        }
        if (x86_linux_load(v, k, isize, rd, rdsize, bootargs ? bootargs : "", &lb) != 0) {
            printf("vmm: %s: cannot load Linux \"%s\"\n", v->name, b->kernel);
            return -1;
        }
#endif
    } else {
        const void *img = vm_boot_module(b->image, &isize);
        void *dst = img ? guest_mem_ptr(v, gpa_init(b->load), isize) : NULL;
        if (!dst) {
            printf("vmm: %s: image \"%s\" missing or outside guest RAM\n", v->name, b->image);
            return -1;
        }
        memcpy(dst, img, isize);
    }
    *entry = lb.entry;
    *ctx = lb.dtb;
    return 0;
}

/* A reset of the VM (vcpu.c): RAM as at power on, the guest in it again. */
static int restart(struct vm *v, uint64_t *entry, uint64_t *ctx)
{
    memset(v->ram, 0, v->ram_size);
    return load_guest(v, entry, ctx);
}

int main(void)
{
    uint64_t start = keel_cycles();
    const struct keel_progenv *env = rt_progenv();
    uint64_t size;
    const void *dt = env ? vm_boot_module(env->args, &size) : NULL;
    if (!dt) {
        printf("vmm: no VM device tree \"%s\" among the boot modules\n", env ? env->args : "");
        return 1;
    }
    /* Nothing of the VM exists yet: refusing here ends this VMM and its VM only. */
    enum fdt_util_load_result loaded = fdt_util_load(vm_dt, sizeof(vm_dt), dt, size);
    if (loaded != FDT_UTIL_LOAD_OK) {
        printf("vmm: VM device tree \"%s\" (%lu bytes, at most %lu): %s\n", env->args,
               (unsigned long)size, (unsigned long)sizeof(vm_dt), fdt_util_load_strerror(loaded));
        return 1;
    }
    /* What the guest will not have (virtio without a backend, what Keel does not model) goes
     * first: the devices and the guest's tree are made from what stays. */
    if (guest_tree_trim(vm_dt, env->name) < 0) {
        return 1;
    }
    const void *fdt = vm_dt;
    int chosen = fdt_path_offset(fdt, "/chosen");
    int mem = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory", 7);
    uint64_t ram_base, ram_size, load = 0;
    const char *image = chosen >= 0 ? fdt_getprop(fdt, chosen, "keel,image", NULL) : NULL;
    const char *kernel = chosen >= 0 ? fdt_getprop(fdt, chosen, "keel,linux", NULL) : NULL;
    const char *firmware = chosen >= 0 ? fdt_getprop(fdt, chosen, "keel,firmware", NULL) : NULL;
    if (firmware && (image || kernel)) {
        printf("vmm: %s: /chosen keel,firmware starts the VM in its firmware: no keel,image or "
               "keel,linux beside it\n",
               env->args);
        return 1;
    }
    if (chosen < 0 || mem < 0 || !(image || kernel || firmware) ||
        !fdt_util_reg(fdt, mem, 0, &ram_base, &ram_size) ||
        (image && !fdt_util_u64(fdt, chosen, "keel,load-address", &load))) {
        printf("vmm: %s: the VM device tree needs a memory node and /chosen keel,linux, "
               "keel,firmware, or keel,image and keel,load-address\n",
               env->args);
        return 1;
    }
    vm.name = env->name;
    entropy_init(&vm.entropy, vm.name);
    if (ram_size > env->heap_size) { /* (the root task refuses such a VMM before it starts) */
        printf("vmm: %s: its RAM (%lu MiB) is more than its memory (%lu MiB, the system tree's "
               "memory)\n",
               env->name, (unsigned long)(ram_size >> 20), (unsigned long)(env->heap_size >> 20));
        return 1;
    }
    vm.task = rt_cap_alloc();
    int64_t r = KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, vm.task, 0, KEEL_TASK_VM);
    if (r == 0) {
        r = vm_ram_create(&vm, gpa_init(ram_base), ram_size);
    }
    if (r < 0) {
        printf("vmm: %s: cannot create the VM (%s%s)\n", env->name, keel_strerror(r),
               vm_kmem_note(r));
        return 1;
    }
    /* What the guest's RAM costs in kernel memory (records and tables, in the VMM's space and
     * the VM's): make bench reads this line. */
    struct keel_utcb *u = keel_utcb();
    if (KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_INFO) >= 0 && ram_size >= (1u << 20)) {
        printf("vmm: %s: %lu MiB of guest RAM mapped, %lu KiB of kernel memory used (%lu bytes per "
               "MiB), %lu us after the VMM started\n",
               env->name, (unsigned long)(ram_size >> 20), (unsigned long)(u->mr[1] >> 10),
               (unsigned long)(u->mr[1] / (ram_size >> 20)),
               (unsigned long)((keel_cycles() - start) * 1000000 / env->timer_freq));
    }
    if (kernel && !ARCH_LINUX_IMAGE && !ARCH_LINUX_BZIMAGE) {
        printf("vmm: %s: keel,linux: no Linux loader for %s yet\n", env->name, ARCH_LINUX_NAME);
        return 1;
    }
    if (cpus(fdt, env) != 0 || platform_devices(&vm, fdt) != 0) {
        return 1;
    }
    /* After the platform: x86's ACPI tables describe it, the firmware runs from its flash. */
    boot = (struct boot){ fdt, chosen, image, kernel, firmware, load };
    vm.firmware = firmware != NULL;
    uint64_t isize = 0, entry, dtb;
    const char *shown = firmware ? firmware : kernel ? kernel : image;
    vm_boot_module(shown, &isize);
    if (load_guest(&vm, &entry, &dtb) != 0) {
        return 1;
    }
    vm.restart = restart;
    if (fdt_getprop(fdt, chosen, "keel,console-input", NULL) && console_input_start(&vm) < 0) {
        return 1;
    }
    /* This thread becomes vCPU 0. */
    arch_vcpu_reset(&vm.vcpus[0], entry, dtb);
    printf("vmm: %s: %lu MiB RAM at 0x%lx, %u vCPU%s, %s (%lu bytes) at 0x%lx\n", env->name,
           (unsigned long)(ram_size >> 20), (unsigned long)ram_base, vm.vcpu_count,
           vm.vcpu_count > 1 ? "s" : "", shown, (unsigned long)isize, (unsigned long)entry);
    keel_call(KEEL_PROG_PARENT, keel_tag(KEEL_PROTO_READY, 0, 0), KEEL_NEVER, 0);
    /* For the boot benchmark: the guest's counter reads are measured from here. */
    printf("vmm: %s: first resume at counter %lu\n", env->name, (unsigned long)keel_cycles());
    if (vcpu_run(&vm.vcpus[0]) != 0 || vm.broken) {
        printf("vmm: %s: VM stopped\n", env->name);
        return 2;
    }
    vcpu_print_stats(&vm);
    if (__atomic_load_n(&vm.reset_pending, __ATOMIC_ACQUIRE)) {
        /* A reset the VMM could not carry out in place (riscv64; vcpu.c said so): it ends as a
         * failure, so that the system's restart policy (keel,restart = "on-failure") starts the
         * VM again, fresh. */
        printf("vmm: %s: VM stopped for a reset, status %ld: ending for the system to restart it\n",
               env->name, (long)vm.exit_status);
        return 3;
    }
    printf("vmm: %s: guest powered off, status %ld\n", env->name, (long)vm.exit_status);
    return 0;
}
