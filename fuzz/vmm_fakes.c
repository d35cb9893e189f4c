// SPDX-License-Identifier: MIT
/* The VMM's surroundings for its fuzz targets (see vmm_fuzz.h). */
#include "vmm_fuzz.h"
#include "vm_timer.h"
#include "dev/passthrough.h"
#include <keel/rt.h>
#include <keel/progenv.h>
#include <string.h>

uint64_t host_cycles;
struct keel_utcb host_utcb;
struct vcpu *fuzz_self;
unsigned fuzz_kicks;
void (*fuzz_kick_hook)(struct vcpu *v);
int64_t fuzz_power_on_result;

struct vcpu *vcpu_self(struct vm *vm)
{
    return fuzz_self;
}

/* As vcpu.c, without a kernel: the area is taken to hold the whole state. */
int vcpu_state_sync(struct vcpu *v)
{
    v->state->sync.valid |= KEEL_VCPU_SYNC_SYS;
    return 0;
}

void vcpu_kick(struct vcpu *v)
{
    fuzz_kicks++;
    if (fuzz_kick_hook && v != fuzz_self) {
        fuzz_kick_hook(v);
    }
}

/* As vcpu.c: only a vCPU that is off starts; starting its thread may fail. */
int64_t vcpu_power_on(struct vcpu *v, uint64_t pc, uint64_t ctx)
{
    enum vcpu_power off = VCPU_OFF;
    v->start_pc = pc;
    v->start_ctx = ctx;
    if (!__atomic_compare_exchange_n(&v->power, &off, VCPU_ON_PENDING, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        return -KEEL_EBUSY;
    }
    return fuzz_power_on_result;
}

void vcpu_init_signal(struct vcpu *v)
{
    __atomic_store_n(&v->power, VCPU_OFF, __ATOMIC_RELEASE);
}

void vm_stop(struct vm *vm)
{
    __atomic_store_n(&vm->off, true, __ATOMIC_RELEASE);
}

/* A reset ends the input's run as a stop does (the restart is vcpu.c's, not fuzzed here). */
void vm_reset(struct vm *vm, int64_t status)
{
    vm->exit_status = status;
    vm_stop(vm);
}

/* The device timer thread is not there: a deadline is only kept (a target may run it). */
int64_t vm_timer_add(struct vm *vm, struct vm_timer *t)
{
    (void)vm;
    t->due = UINT64_MAX;
    return 0;
}

void vm_timer_set(struct vm_timer *t, uint64_t due)
{
    t->due = due;
}

uint64_t rt_timer_freq(void)
{
    return FUZZ_TIMER_FREQ;
}

/* No environment page: vm.c's boot modules and heap are not there. */
const struct keel_progenv *rt_progenv(void)
{
    return NULL;
}

void fuzz_vm_init(struct vm *vm, struct fuzz_ram *ram, unsigned vcpus, const uint64_t *hwid,
                  struct keel_vcpu_state *states)
{
    memset(vm, 0, sizeof(*vm));
    vm->name = "fuzz";
    vm->ram = (char *)ram->ram;
    vm->ram_base = gpa_init(ram->base);
    vm->ram_size = ram->size;
    vm->vcpu_count = vcpus;
    for (unsigned i = 0; i < vcpus; i++) {
        struct vcpu *v = &vm->vcpus[i];
        v->vm = vm;
        v->id = i;
        v->mpidr = hwid[i];
        v->state = &states[i];
        v->power = i == 0 ? VCPU_ON : VCPU_OFF;
        memset(&states[i], 0, sizeof(states[i]));
    }
    fuzz_self = &vm->vcpus[0];
    fuzz_kicks = 0;
    fuzz_kick_hook = NULL;
    fuzz_power_on_result = 0;
    host_cycles = 0;
}

/* dev/passthrough.c needs a root task's board device and a kernel: none here. */
int passthrough_from_dt(struct vm *vm, const void *fdt, int node)
{
    (void)fdt;
    (void)node;
    printf("vmm: %s: no board devices here\n", vm->name);
    return -1;
}

bool passthrough_on(const struct vcpu *v)
{
    (void)v;
    return false;
}

bool passthrough_message(struct vcpu *v, uint64_t label)
{
    (void)v;
    (void)label;
    return false;
}
