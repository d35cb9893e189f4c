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
 * comes through the VMM.
 */
#include "passthrough.h"
#include "../platform.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/progenv.h>
#include <fdt_util.h>
#include <libfdt.h>
#include <string.h>

#define MAX_PASSTHROUGH 2
#define LABEL_BASE 0x70740000ull /* message labels of the devices' Irqs: LABEL_BASE + index */

struct passthrough {
    struct vm *vm;
    const char *name;
    uint64_t irq;          /* the device's Irq (the root task's binding) */
    unsigned intid;        /* the guest's */
    bool direct;           /* keel,direct: wanted */
    uint64_t direct_after; /* interrupts through the VMM before direct delivery starts */
    unsigned direct_gen;   /* the VM's reset_gen + 1 when given to the kernel (0: not given) */
    uint64_t through_vmm;  /* interrupts that came through the VMM */
};

static struct passthrough devs[MAX_PASSTHROUGH];
static unsigned dev_count;

/* The guest has finished the interrupt: the device is looked at again. */
static void eoi(void *ctx)
{
    struct passthrough *p = ctx;
    KOBJ(p->irq, KEEL_IRQ_UNMASK);
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
    if (!fdt_util_reg(fdt, node, 0, &base, &size) || (base & (KEEL_PAGE_SIZE - 1)) ||
        size > pd->size || !arch_device_irq(fdt, node, &intid) || dev_count == MAX_PASSTHROUGH) {
        printf("vmm: %s: %s: needs a page-aligned reg within the device's %lu bytes and an "
               "interrupt (at most %u such devices)\n",
               vm->name, node_name, (unsigned long)pd->size, MAX_PASSTHROUGH);
        return -1;
    }
    struct passthrough *p = &devs[dev_count];
    memset(p, 0, sizeof(*p));
    p->vm = vm;
    p->name = pd->name;
    p->irq = pd->irq;
    p->intid = intid;
    p->direct = fdt_getprop(fdt, node, "keel,direct", NULL) != NULL;
    fdt_util_u64(fdt, node, "keel,direct-after", &p->direct_after);
    int64_t r = 0;
    for (uint64_t off = 0; r == 0 && off < pd->size; off += KEEL_PAGE_SIZE) {
        r = KOBJ(vm->task, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                 keel_fpage_mem(pd->va + off, 12, KEEL_FP_RW), base + off);
    }
    if (r == 0 && arch_vm_irq_passthrough(vm, intid, eoi, p) != 0) {
        r = -KEEL_EPROTO;
    }
    if (r == 0) {
        r = KOBJ(p->irq, KEEL_IRQ_ATTACH, vm->vcpus[0].thread, LABEL_BASE + dev_count);
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

/* Gives p's interrupt to the kernel for vCPU 0 (again after a reset: a new Thread VCPU binding
 * ends it), once direct_after interrupts came through the VMM. */
static void direct_give(struct passthrough *p)
{
    struct vm *vm = p->vm;
    unsigned gen = __atomic_load_n(&vm->reset_gen, __ATOMIC_ACQUIRE) + 1;
    if (!p->direct || p->direct_gen == gen || p->through_vmm < p->direct_after) {
        return;
    }
    int64_t r = KOBJ(p->irq, KEEL_IRQ_DIRECT, vm->vcpus[0].thread, p->intid, vm->vcpus[0].kick);
    if (r != 0) {
        printf("vmm: %s: %s: no direct delivery (%s): through the VMM\n", vm->name, p->name,
               keel_strerror(r));
        p->direct = false;
        return;
    }
    arch_vm_irq_direct(vm, p->intid);
    if (p->direct_gen == 0 && p->direct_after) {
        printf("vmm: %s: %s: direct delivery from now on (after %lu through the VMM)\n", vm->name,
               p->name, (unsigned long)p->through_vmm);
    }
    p->direct_gen = gen;
}

void passthrough_before_resume(struct vcpu *v)
{
    for (unsigned i = 0; v->id == 0 && i < dev_count; i++) {
        direct_give(&devs[i]);
    }
}

bool passthrough_message(struct vcpu *v, uint64_t label)
{
    if (v->id != 0 || label < LABEL_BASE || label >= LABEL_BASE + dev_count) {
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
    for (unsigned i = 0; v->id == 0 && i < dev_count; i++) {
        if (!keel_tag_is_error(keel_receive(devs[i].irq, KEEL_TIMEOUT_ZERO, &label))) {
            passthrough_message(v, label);
        }
    }
}

bool passthrough_on(const struct vcpu *v)
{
    return v->id == 0 && dev_count > 0;
}

void passthrough_print_stats(struct vm *vm)
{
    for (unsigned i = 0; i < dev_count; i++) {
        printf("vmm: %s: %s: %lu interrupts through the VMM\n", vm->name, devs[i].name,
               (unsigned long)devs[i].through_vmm);
    }
}
