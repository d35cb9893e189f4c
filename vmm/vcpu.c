// SPDX-License-Identifier: MIT
// Guest CPUs (see vcpu.h).
#include "vcpu.h"
#include "vcpu_loop.h"
#include "dev/pci_bus.h"
#include "dev/flash_vm.h"
#include "dev/passthrough.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/progenv.h>
#include <string.h>

#define UTCB_SIZE 1024
#define STACK_SIZE 16384

static uint8_t stacks[VM_MAX_VCPUS][STACK_SIZE] __attribute__((aligned(16)));
static struct vm *the_vm;

struct vcpu *vcpu_self(struct vm *vm)
{
    uint64_t u = (uint64_t)(uintptr_t)keel_utcb();
    for (unsigned i = 0; i < vm->vcpu_count; i++) {
        if (vm->vcpus[i].utcb == u) {
            return &vm->vcpus[i];
        }
    }
    return NULL;
}

void vcpu_kick(struct vcpu *v)
{
    if (v->kick && v->utcb != (uint64_t)(uintptr_t)keel_utcb()) {
        KOBJ(v->kick, KEEL_IRQ_TRIGGER);
    }
}

void vcpu_print_stats(struct vm *vm)
{
    for (unsigned i = 0; i < vm->vcpu_count; i++) {
        const struct vcpu *v = &vm->vcpus[i];
        printf("vmm: %s: vCPU %u exits: %lu traps (%lu WFI sleeps), %lu events, %lu timer, %lu vgic\n",
               vm->name, i, (unsigned long)v->exits[KEEL_VCPU_EXIT_TRAP],
               (unsigned long)v->wfi_sleeps, (unsigned long)v->exits[KEEL_VCPU_EXIT_EVENT],
               (unsigned long)v->exits[KEEL_VCPU_EXIT_VTIMER], (unsigned long)v->exits[KEEL_VCPU_EXIT_VGIC]);
#ifdef ARCH_VCPU_STATS
        arch_vcpu_print_stats(vm, v);
#endif
    }
    pci_bus_print_stats(vm);
    flash_vm_print_stats(vm);
    passthrough_print_stats(vm);
    uint64_t repeated = __atomic_load_n(&vm->reports_repeated, __ATOMIC_RELAXED);
    uint64_t dropped = __atomic_load_n(&vm->reports_dropped, __ATOMIC_RELAXED);
    if (repeated || dropped) {
        printf("vmm: %s: reports of the guest's bad accesses not printed: %lu repeats, %lu after "
               "the budget\n",
               vm->name, (unsigned long)repeated, (unsigned long)dropped);
    }
}

void vm_stop(struct vm *vm)
{
    __atomic_store_n(&vm->off, true, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < vm->vcpu_count; i++) {
        vcpu_kick(&vm->vcpus[i]);
    }
}

void vm_reset(struct vm *vm, int64_t status)
{
    vm->exit_status = status; /* (if the VM must stop instead) */
    if (!vm->restart) {
        printf("vmm: %s: the guest reset the system; stopping the VM\n", vm->name);
        vm_stop(vm);
        return;
    }
    __atomic_store_n(&vm->reset_pending, true, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < vm->vcpu_count; i++) {
        vcpu_kick(&vm->vcpus[i]);
    }
}

int64_t vcpu_create(struct vm *vm, unsigned id, uint64_t mpidr, unsigned pcpu)
{
    if (id >= VM_MAX_VCPUS || id != vm->vcpu_count) {
        return -KEEL_EINVAL;
    }
    struct vcpu *v = &vm->vcpus[id];
    memset(v, 0, sizeof(*v));
    v->vm = vm;
    v->id = id;
    v->mpidr = mpidr;
    v->pcpu = pcpu;
    v->utcb = KEEL_ROOT_UTCB_ADDR + id * UTCB_SIZE;
    v->state = (struct keel_vcpu_state *)(uintptr_t)(KEEL_ROOT_UTCB_ADDR + (2 + id) * KEEL_PAGE_SIZE);
    v->thread = id == 0 ? KEEL_ROOT_THREAD : rt_cap_alloc();
    v->kick = rt_cap_alloc();
    v->power = id == 0 ? VCPU_ON : VCPU_OFF;
    the_vm = vm;
    int64_t r = id == 0 ? 0 : vm_thread_create(v->thread, v->utcb);
    if (r == 0) {
        r = KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ, v->kick);
    }
    if (r == 0) {
        r = KOBJ(v->kick, KEEL_IRQ_ATTACH, v->thread, id);
    }
    if (r == 0) {
        r = KOBJ(v->thread, KEEL_THREAD_VCPU, vm->task, (uint64_t)(uintptr_t)v->state);
    }
    if (r == 0) {
        vm->vcpu_count++;
    }
    return r;
}

/* The first function of a secondary vCPU's thread: which vCPU it is, its UTCB says. */
static void vcpu_thread(void)
{
    struct vcpu *v = vcpu_self(the_vm);
    vcpu_run(v);
    for (;;) {
        keel_receive(v->kick, KEEL_TIMEOUT_NEVER, 0); /* the VM is off: nothing more to do */
    }
}

int64_t vcpu_power_on(struct vcpu *v, uint64_t pc, uint64_t ctx)
{
    enum vcpu_power off = VCPU_OFF;
    /* A vCPU on (or on its way) keeps its start: a refused second CPU_ON / hart_start must not
     * move it. (Two vCPUs starting one at the same moment can still race here: the loser's
     * start may win; that guest's own doing, and harmless to anyone else.) */
    if (__atomic_load_n(&v->power, __ATOMIC_ACQUIRE) != VCPU_OFF) {
        return -KEEL_EBUSY;
    }
    v->start_pc = pc;
    v->start_ctx = ctx;
    if (!__atomic_compare_exchange_n(&v->power, &off, VCPU_ON_PENDING, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        return -KEEL_EBUSY;
    }
    if (v->thread_started) {
        vcpu_kick(v);
        return 0;
    }
    __atomic_store_n(&v->thread_started, true, __ATOMIC_RELEASE);
    bool placed;
    int64_t r = vm_thread_start(v->thread, vcpu_thread, &stacks[v->id][STACK_SIZE], v->pcpu, &placed);
    if (r == 0 && !placed) {
        printf("vmm: %s: no Scheduler (keel,scheduler): vCPU %u runs when vCPU 0 waits\n",
               v->vm->name, v->id);
    }
    if (r == -KEEL_ENOMEM) { /* the VM cannot go on as the guest asked: it ends, and says why */
        printf("vmm: %s: vCPU %u cannot start%s; stopping the VM\n", v->vm->name, v->id,
               vm_kmem_note(r));
        v->vm->broken = true;
        vm_stop(v->vm);
    }
    return r;
}

void vcpu_init_signal(struct vcpu *v)
{
    __atomic_store_n(&v->power, VCPU_OFF, __ATOMIC_RELEASE);
    vcpu_kick(v); /* (the caller itself stops when its exit is handled: before_resume) */
}

int vcpu_state_sync(struct vcpu *v)
{
    int64_t r = vcpu_state_fetch(v->thread, v->state);
    if (r < 0) {
        printf("vmm: %s: vCPU %u: its state: %s\n", v->vm->name, v->id, keel_strerror(r));
        return -1;
    }
    return 0;
}

/*
 * A reset of the VM (vm_reset) in place: every vCPU but 0 parks (powered off, as at power on)
 * and says so; vCPU 0 waits for them, then puts the devices, the interrupt controller and guest
 * RAM back as they were at power on (the guest reloaded: vm->restart) and starts the guest
 * again. What the devices keep across a reset is theirs to say (a flash's contents, a disk's:
 * the variable store of UEFI firmware survives it, as on a board). The VMM's own threads (I/O,
 * links) go on meanwhile: the devices' locks keep them apart from the resets.
 */
static int park(struct vcpu *v)
{
    struct vm *vm = v->vm;
    unsigned next = __atomic_load_n(&vm->reset_gen, __ATOMIC_ACQUIRE) + 1;
    if (__atomic_load_n(&v->parked_gen, __ATOMIC_ACQUIRE) != next) {
        __atomic_store_n(&v->power, VCPU_OFF, __ATOMIC_RELEASE);
        __atomic_store_n(&v->parked_gen, next, __ATOMIC_RELEASE);
        vcpu_kick(&vm->vcpus[0]);
    }
    keel_receive(v->kick, KEEL_TIMEOUT_NEVER, 0); /* until a PSCI CPU_ON (or the VM's end) */
    return VCPU_LOOP_NOT_NOW;
}

static int reset_vm(struct vcpu *v)
{
    struct vm *vm = v->vm;
    unsigned next = __atomic_load_n(&vm->reset_gen, __ATOMIC_ACQUIRE) + 1;
    for (unsigned i = 1; i < vm->vcpu_count; i++) {
        struct vcpu *o = &vm->vcpus[i];
        while (__atomic_load_n(&o->thread_started, __ATOMIC_ACQUIRE) &&
               __atomic_load_n(&o->parked_gen, __ATOMIC_ACQUIRE) != next) {
            if (__atomic_load_n(&vm->off, __ATOMIC_ACQUIRE)) {
                return VCPU_LOOP_STOP;
            }
            keel_receive(v->kick, 1000, 0); /* (its kick says it parked) */
        }
    }
    if (next <= 8 || (next & (next - 1)) == 0) { /* (a guest that resets in a loop: fewer) */
        printf("vmm: %s: the guest reset the system: restarting it (reset %u)\n", vm->name, next);
    }
    /* Every vCPU as at power on: the others off, whatever a CPU_ON sent before they parked
     * asked; each bound again, so that the kernel's part of it (the GIC interface's priorities
     * and control, FP registers) starts clean too. */
    int64_t r = 0;
    for (unsigned i = 0; i < vm->vcpu_count && r >= 0; i++) {
        struct vcpu *o = &vm->vcpus[i];
        if (i) {
            __atomic_store_n(&o->power, VCPU_OFF, __ATOMIC_RELEASE);
        }
        r = KOBJ(o->thread, KEEL_THREAD_VCPU, vm->task, (uint64_t)(uintptr_t)o->state);
    }
    vm_devices_reset(vm);
    uint64_t entry, ctx;
    if (r < 0 || !arch_vm_reset(vm) || vm->restart(vm, &entry, &ctx) != 0) {
        printf("vmm: %s: cannot restart the VM here%s%s; stopping it\n", vm->name,
               r < 0 ? ": " : "", r < 0 ? keel_strerror(r) : "");
        vm_stop(vm);
        return VCPU_LOOP_STOP;
    }
    __atomic_store_n(&vm->reset_gen, next, __ATOMIC_RELEASE);
    __atomic_store_n(&vm->reset_pending, false, __ATOMIC_RELEASE);
    arch_vcpu_reset(v, entry, ctx);
    __atomic_store_n(&v->power, VCPU_ON, __ATOMIC_RELEASE);
    arch_vcpu_before_resume(v);
    return VCPU_LOOP_RESUME;
}

/* The platform's side of the resume loop (vcpu/vcpu_loop.h). */
static int before_resume(void *arg)
{
    struct vcpu *v = arg;
    if (__atomic_load_n(&v->vm->off, __ATOMIC_ACQUIRE)) {
        return VCPU_LOOP_STOP;
    }
    if (__atomic_load_n(&v->vm->reset_pending, __ATOMIC_ACQUIRE)) {
        return v->id == 0 ? reset_vm(v) : park(v);
    }
    enum vcpu_power p = __atomic_load_n(&v->power, __ATOMIC_ACQUIRE);
    if (p == VCPU_OFF) {
        passthrough_vcpu_off(v); /* (direct delivery to it ends: given again when it is on) */
        keel_receive(v->kick, KEEL_TIMEOUT_NEVER, 0); /* until PSCI CPU_ON or the VM's end */
        return VCPU_LOOP_NOT_NOW;
    }
    if (p == VCPU_ON_PENDING) {
        arch_vcpu_reset(v, v->start_pc, v->start_ctx);
        enum vcpu_power pending = VCPU_ON_PENDING;
        if (!__atomic_compare_exchange_n(&v->power, &pending, VCPU_ON, false, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE)) {
            return VCPU_LOOP_NOT_NOW; /* an INIT meanwhile: off again */
        }
    }
    passthrough_before_resume(v);
    arch_vcpu_before_resume(v);
    return VCPU_LOOP_RESUME;
}

static int on_exit(void *arg, int64_t reason)
{
    struct vcpu *v = arg;
    struct vm *vm = v->vm;
    if (reason == KEEL_VCPU_EXIT_EVENT) {
        passthrough_poll(v); /* (a board device's interrupt, through the VMM) */
    }
    if (reason < 0) {
        printf("vmm: %s: vCPU %u: resume refused: %s%s\n", vm->name, v->id, keel_strerror(reason),
               vm_kmem_note(reason));
    }
    if (reason < 0 || arch_vcpu_exit(v, reason) != 0) {
        vm->broken = true;
        vm_stop(vm);
        return -1;
    }
    return 0;
}

int vcpu_run(struct vcpu *v)
{
    static const struct vcpu_loop_ops ops = { before_resume, on_exit };
    const struct vcpu_loop loop = {
        .thread = v->thread,
        .kick = v->kick,
        .exits = v->exits,
        .ops = &ops,
        .arg = v,
    };
    return vcpu_loop_run(&loop);
}
