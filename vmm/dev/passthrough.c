// SPDX-License-Identifier: MIT
/*
 * A board device passed through to the guest: the device's MMIO window (given to this VMM by the
 * root task, keel,devices in the system tree: env->devices) mapped into the guest at its reg,
 * and its interrupt delivered as the node's interrupt. Binding (docs/vmm.md, the VM device tree):
 *
 *   rtc@9010000 {
 *       compatible = "arm,pl031", "arm,primecell";
 *       reg = <0x0 0x9010000 0x0 0x1000>;
 *       interrupts = <0 2 4>;          // what the guest sees (level)
 *       keel,board-device = "rtc";           // this program's board device of that name
 *       keel,direct;                   // the kernel delivers it (Irq DIRECT; arm64 GICv3)
 *       keel,direct-after = <100>;     // ... from the 101st interrupt on (measuring both ways)
 *   };
 *
 * Two ways for the interrupt, chosen per interrupt by the kernel from what the interrupt
 * controller model says before each resume (docs/vcpu.md, "Direct interrupt delivery"):
 *  - through the VMM: the device's Irq is attached to the vCPU's thread (vCPU 0); its message
 *    ends the guest's run (EVENT) or its WFI wait, and the model raises the line; the guest's
 *    deactivation (the list register's EOI bit) lowers it again and unmasks the physical line
 *    (Irq UNMASK): the device is looked at again;
 *  - direct: the kernel puts the physical interrupt into a hardware list register entry itself;
 *    the guest's deactivation ends it; the VMM sees nothing of it (the model only tells the
 *    kernel whether the guest may take it: enabled, its group on, not in the model's hands).
 * Without keel,direct (or where the kernel refuses it: GICv2, riscv64, x86_64) every interrupt
 * comes through the VMM. The kernel delivers one line per vCPU directly: one keel,direct device
 * per VM (all go to vCPU 0). Whatever ends that vCPU's run for good ends the delivery: a reset of
 * the VM (its new Thread VCPU binding ends it in the kernel) and PSCI CPU_OFF of vCPU 0
 * (passthrough_vcpu_off: DIRECT ~0, since an interrupt the kernel kept for a vCPU that is off
 * would wait for it and then reach the CPU started afresh); the next resume gives it again.
 *
 * At most VM_MAX_PASSTHROUGH devices, each with its own line and end-of-interrupt hook in the
 * interrupt controller model. A device's guest window (its whole board window, from its reg)
 * must overlap nothing else of the guest's (window_free): guest RAM, memory the guest runs
 * from, an emulated device's window, another passed-through one, or the reg of another node;
 * the devices are made after every emulated one (platform.c) for that.
 */
#include "passthrough.h"
#include "../platform.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/progenv.h>
#include <fdt_util.h>
#include <libfdt.h>
#include <string.h>

#define LABEL_BASE 0x70740000ull /* message labels of the devices' Irqs: LABEL_BASE + index */
#define TARGET 0                 /* the vCPU that takes the devices' interrupts */

struct passthrough {
    struct vm *vm;
    const char *name;
    uint64_t irq;          /* the device's Irq (the root task's binding) */
    unsigned intid;        /* the guest's */
    uint64_t base, size;   /* the window in the guest (all of the board device's) */
    bool direct;           /* keel,direct: wanted (false once the kernel refused it) */
    uint64_t direct_after; /* interrupts through the VMM before direct delivery starts */
    bool given;            /* the kernel delivers it (DIRECT) to TARGET's binding of direct_gen */
    unsigned direct_gen;   /* the VM's reset_gen + 1 when given */
    bool direct_said;      /* "direct delivery from now on" */
    uint64_t through_vmm;  /* interrupts that came through the VMM */
};

static struct passthrough devs[VM_MAX_PASSTHROUGH];
static unsigned dev_count;

/* The guest has finished the interrupt: the device is looked at again. */
static void eoi(void *ctx)
{
    struct passthrough *p = ctx;
    KOBJ(p->irq, KEEL_IRQ_UNMASK);
}

/* Whether [a, a + as) and [b, b + bs) share a byte. */
static bool overlap(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
    return as && bs && (a < b ? b - a < as : a - b < bs);
}

/* Whether the guest window [base, base + size) of node overlaps nothing else of the guest's; if
 * it does, one line says what. */
static bool window_free(struct vm *vm, const void *fdt, int node, uint64_t base, uint64_t size)
{
    const char *what = NULL, *name = "";
    uint64_t at = 0;
    if (overlap(base, size, gpa_val(vm->ram_base), vm->ram_size)) {
        what = "guest RAM";
        at = gpa_val(vm->ram_base);
    }
    for (unsigned i = 0; !what && i < vm->rom_count; i++) {
        if (overlap(base, size, gpa_val(vm->roms[i].base), vm->roms[i].size)) {
            what = "memory the guest runs from";
            at = gpa_val(vm->roms[i].base);
        }
    }
    for (unsigned i = 0; !what && i < vm->device_count; i++) {
        const struct mmio_device *d = &vm->devices[i];
        if (overlap(base, size, gpa_val(d->base), d->size)) {
            what = "the emulated device ";
            name = d->name;
            at = gpa_val(d->base);
        }
    }
    for (unsigned i = 0; !what && i < dev_count; i++) {
        /* (each device's window starts at its node's reg) */
        if (devs[i].vm == vm && overlap(base, size, devs[i].base, devs[i].size)) {
            what = "the passed-through device ";
            name = devs[i].name;
            at = devs[i].base;
        }
    }
    int other;
    fdt_for_each_subnode(other, fdt, 0)
    {
        uint64_t b, n;
        for (int i = 0; !what && other != node && fdt_util_reg(fdt, other, i, &b, &n); i++) {
            if (overlap(base, size, b, n)) {
                what = "the reg of ";
                name = fdt_get_name(fdt, other, NULL);
                at = b;
            }
        }
    }
    if (what) {
        printf("vmm: %s: %s: its window (0x%lx, %lu bytes: the board device's) overlaps %s%s at "
               "0x%lx\n",
               vm->name, fdt_get_name(fdt, node, NULL), (unsigned long)base, (unsigned long)size,
               what, name, (unsigned long)at);
        return false;
    }
    return true;
}

int passthrough_from_dt(struct vm *vm, const void *fdt, int node)
{
    const char *want = fdt_getprop(fdt, node, "keel,board-device", NULL);
    const struct keel_progenv *env = rt_progenv();
    const struct keel_prog_device *pd = NULL;
    for (unsigned i = 0; want && env && i < env->device_count && i < KEEL_PROG_MAX_DEVICES; i++) {
        if (strcmp(env->devices[i].name, want) == 0) {
            pd = &env->devices[i];
        }
    }
    const char *node_name = fdt_get_name(fdt, node, NULL);
    uint64_t base, size;
    unsigned intid;
    if (!pd) {
        printf("vmm: %s: %s: no board device \"%s\" (keel,devices of this program)\n", vm->name,
               node_name, want ? want : "");
        return -1;
    }
    if ((pd->pa | pd->size) & (KEEL_PAGE_SIZE - 1)) {
        /* Its page holds other board nodes' registers too (user/root/devices.c): the guest
         * would reach them. */
        printf("vmm: %s: %s: board device \"%s\" is less than whole pages (0x%lx, %lu bytes): "
               "not passed through\n",
               vm->name, node_name, want, (unsigned long)pd->pa, (unsigned long)pd->size);
        return -1;
    }
    if (dev_count == VM_MAX_PASSTHROUGH) {
        printf("vmm: %s: %s: more than %u devices passed through\n", vm->name, node_name,
               VM_MAX_PASSTHROUGH);
        return -1;
    }
    if (!fdt_util_reg(fdt, node, 0, &base, &size) || (base & (KEEL_PAGE_SIZE - 1)) ||
        size > pd->size || !arch_device_irq(fdt, node, &intid)) {
        printf("vmm: %s: %s: needs a page-aligned reg within the device's %lu bytes and an "
               "interrupt\n",
               vm->name, node_name, (unsigned long)pd->size);
        return -1;
    }
    bool direct = fdt_getprop(fdt, node, "keel,direct", NULL) != NULL;
    for (unsigned i = 0; i < dev_count; i++) {
        if (devs[i].vm == vm && devs[i].intid == intid) {
            printf("vmm: %s: %s: interrupt %u is board device %s's already\n", vm->name, node_name,
                   intid, devs[i].name);
            return -1;
        }
        if (devs[i].vm == vm && direct && devs[i].direct) {
            printf("vmm: %s: %s: keel,direct: board device %s has it already (the kernel "
                   "delivers one line a vCPU directly)\n",
                   vm->name, node_name, devs[i].name);
            return -1;
        }
    }
    if (base + pd->size < base || !window_free(vm, fdt, node, base, pd->size)) {
        return -1;
    }
    struct passthrough *p = &devs[dev_count];
    memset(p, 0, sizeof(*p));
    p->vm = vm;
    p->name = pd->name;
    p->irq = pd->irq;
    p->intid = intid;
    p->base = base;
    p->size = pd->size;
    p->direct = direct;
    fdt_util_u64(fdt, node, "keel,direct-after", &p->direct_after);
    int64_t r = 0;
    for (uint64_t off = 0; r == 0 && off < pd->size; off += KEEL_PAGE_SIZE) {
        r = KOBJ(vm->task, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                 keel_fpage_mem(pd->va + off, 12, KEEL_FP_RW), base + off);
    }
    if (r == 0 && arch_vm_irq_passthrough(vm, intid, eoi, p) != 0) {
        printf("vmm: %s: %s: interrupt %u is not a line of the VM's interrupt controller model "
               "that can be passed through\n",
               vm->name, node_name, intid);
        return -1;
    }
    if (r == 0) {
        r = KOBJ(p->irq, KEEL_IRQ_ATTACH, vm->vcpus[TARGET].thread, LABEL_BASE + dev_count);
    }
    if (r == 0) {
        r = KOBJ(p->irq, KEEL_IRQ_UNMASK); /* (masked if a VMM before us left it so) */
    }
    if (r != 0) {
        printf("vmm: %s: %s: cannot pass device %s through (%s)\n", vm->name, node_name, pd->name,
               keel_strerror(r));
        return -1;
    }
    dev_count++;
    printf("vmm: %s: %s: board device %s passed through (interrupt %u, %s)\n", vm->name, node_name,
           pd->name, intid, p->direct ? "direct" : "through the VMM");
    return 0;
}

/* Gives p's interrupt to the kernel for the target vCPU once direct_after interrupts came
 * through the VMM; again after a reset of the VM (a new Thread VCPU binding ends it) or after
 * the vCPU was off (passthrough_vcpu_off ended it). */
static void direct_give(struct passthrough *p)
{
    struct vm *vm = p->vm;
    struct vcpu *t = &vm->vcpus[TARGET];
    unsigned gen = __atomic_load_n(&vm->reset_gen, __ATOMIC_ACQUIRE) + 1;
    if (!p->direct || (p->given && p->direct_gen == gen) || p->through_vmm < p->direct_after) {
        return;
    }
    int64_t r = KOBJ(p->irq, KEEL_IRQ_DIRECT, t->thread, p->intid, t->kick);
    if (r != 0) {
        printf("vmm: %s: %s: no direct delivery (%s): through the VMM\n", vm->name, p->name,
               keel_strerror(r));
        p->direct = false;
        p->given = false;
        arch_vm_irq_direct(vm, 0);
        return;
    }
    arch_vm_irq_direct(vm, p->intid);
    if (!p->direct_said && p->direct_after) {
        printf("vmm: %s: %s: direct delivery from now on (after %lu through the VMM)\n", vm->name,
               p->name, (unsigned long)p->through_vmm);
    }
    p->direct_said = true;
    p->given = true;
    p->direct_gen = gen;
}

void passthrough_before_resume(struct vcpu *v)
{
    for (unsigned i = 0; v->id == TARGET && i < dev_count; i++) {
        direct_give(&devs[i]);
    }
}

void passthrough_vcpu_off(struct vcpu *v)
{
    for (unsigned i = 0; v->id == TARGET && i < dev_count; i++) {
        struct passthrough *p = &devs[i];
        if (!p->given) {
            continue;
        }
        /* (The kernel deactivates the line if the guest had it: a level line signals again, the
         * ordinary way, and waits for the vCPU as its Irq's message.) */
        int64_t r = KOBJ(p->irq, KEEL_IRQ_DIRECT, ~0ull);
        if (r != 0) {
            printf("vmm: %s: %s: direct delivery not ended (%s)\n", p->vm->name, p->name,
                   keel_strerror(r));
        }
        arch_vm_irq_direct(p->vm, 0);
        p->given = false;
    }
}

bool passthrough_message(struct vcpu *v, uint64_t label)
{
    if (v->id != TARGET || label < LABEL_BASE || label >= LABEL_BASE + dev_count) {
        return false;
    }
    struct passthrough *p = &devs[label - LABEL_BASE];
    p->through_vmm++;
    vm_irq_set(p->vm, p->intid, true); /* (lowered at the guest's EOI: eoi) */
    return true;
}

void passthrough_poll(struct vcpu *v)
{
    uint64_t label;
    for (unsigned i = 0; v->id == TARGET && i < dev_count; i++) {
        if (!keel_tag_is_error(keel_receive(devs[i].irq, KEEL_TIMEOUT_ZERO, &label))) {
            passthrough_message(v, label);
        }
    }
}

bool passthrough_on(const struct vcpu *v)
{
    return v->id == TARGET && dev_count > 0;
}

void passthrough_print_stats(struct vm *vm)
{
    for (unsigned i = 0; i < dev_count; i++) {
        printf("vmm: %s: %s: %lu interrupts through the VMM\n", vm->name, devs[i].name,
               (unsigned long)devs[i].through_vmm);
    }
}
