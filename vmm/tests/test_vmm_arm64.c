// SPDX-License-Identifier: MIT
/*
 * Host tests of the arm64 VMM's PSCI (vmm/arch/arm64/exit.c), through HVC and SMC exits as the
 * guest makes them: CPU_ON with an entry point outside guest RAM or misaligned is INVALID_ADDRESS
 * (PSCI 1.0, DEN0022, 5.6) and starts nothing; CPU_ON of a CPU that does not exist is
 * INVALID_PARAMETERS; in RAM, the vCPU is started with the entry and the context, and once it is
 * reset for that start (arch_vcpu_reset, as vcpu.c does before it first runs) its pc is the entry
 * and x0 the context (5.6: the context ID is in X0 of the core as it starts), at EL1h with its
 * MMU off and its own MPIDR. Guest RAM is a buffer; the VM's other services are fakes below.
 */
#include "unit.h"
#include "vm.h"
#include "vcpu.h"
#include "vgic.h"
#include "dev/passthrough.h"
#include <keel/rt.h>
#include <hw/arm64_esr.h>
#include <hw/psci.h>

uint64_t host_cycles;
struct keel_utcb host_utcb;

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x10000ull
static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
static struct vm vm;
static struct keel_vcpu_state states[2];

void *guest_mem_ptr(struct vm *v, gpa_t gpa, uint64_t size)
{
    (void)v;
    uint64_t a = gpa_val(gpa);
    if (a < RAM_BASE || size > RAM_SIZE || a - RAM_BASE > RAM_SIZE - size) {
        return NULL;
    }
    return ram + (a - RAM_BASE);
}

struct mmio_device *vm_device_at(struct vm *v, gpa_t gpa)
{
    (void)v, (void)gpa;
    return NULL;
}

void vm_report(struct vm *v, const char *fmt, ...)
{
    (void)v, (void)fmt;
}

int vcpu_state_sync(struct vcpu *v)
{
    (void)v;
    return 0;
}

/* The interrupt controller: none in this VM. */
void vgic_flush(struct vm *v, struct vcpu *c)
{
    (void)v, (void)c;
}

bool vgic_has_pending(struct vm *v, struct vcpu *c)
{
    (void)v, (void)c;
    return false;
}

void vgic_sgi(struct vm *v, struct vcpu *from, uint64_t sgi1r)
{
    (void)v, (void)from, (void)sgi1r;
}

void vgic_vtimer(struct vm *v, struct vcpu *c)
{
    (void)v, (void)c;
}

void vgic_model_reset(struct vm *v)
{
    (void)v;
}

/* No device passed through. */
bool passthrough_on(const struct vcpu *v)
{
    (void)v;
    return false;
}

bool passthrough_message(struct vcpu *v, uint64_t label)
{
    (void)v, (void)label;
    return false;
}

uint64_t rt_timer_freq(void)
{
    return 1000000;
}

static unsigned power_ons;

/* As vcpu.c: an off vCPU notes its start and goes to ON_PENDING (else EBUSY, its start kept). */
int64_t vcpu_power_on(struct vcpu *v, uint64_t pc, uint64_t ctx)
{
    power_ons++;
    if (v->power != VCPU_OFF) {
        return -KEEL_EBUSY;
    }
    v->start_pc = pc;
    v->start_ctx = ctx;
    v->power = VCPU_ON_PENDING;
    return 0;
}

void vm_stop(struct vm *v)
{
    v->off = true;
}

void vm_reset(struct vm *v, int64_t status)
{
    (void)v, (void)status;
}

/* One PSCI call from vCPU 0 (HVC, or a trapped SMC), x0..x3 the function and its arguments;
 * returns x0 after it. The pc moves past an SMC (an HVC's return address is past it already). */
static int64_t psci(bool smc, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    struct keel_vcpu_state *s = vm.vcpus[0].state;
    s->pc = RAM_BASE + 0x800;
    s->exit_esr = (uint64_t)(smc ? EC_SMC64 : EC_HVC64) << 26 | 1u << 25;
    s->x[0] = fn, s->x[1] = a1, s->x[2] = a2, s->x[3] = a3;
    s->x[4] = 0x5a5a; /* not an argument: must not matter */
    CHECK_EQ(arch_vcpu_exit(&vm.vcpus[0], KEEL_VCPU_EXIT_TRAP), 0);
    CHECK_EQ(s->pc, RAM_BASE + 0x800 + (smc ? 4 : 0));
    CHECK_EQ(s->x[4], 0x5a5a);
    return (int64_t)s->x[0];
}

static void test_cpu_on_bad_entries(void)
{
    /* Outside RAM (below, just past its end, far above, across its end), and misaligned. */
    const uint64_t bad[] = { 0,
                             RAM_BASE - 4,
                             RAM_BASE + RAM_SIZE,
                             1ull << 48,
                             ~0ull - 3,
                             RAM_BASE + RAM_SIZE - 2,
                             RAM_BASE + 2,
                             RAM_BASE + 0x101 };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        for (unsigned smc = 0; smc < 2; smc++) {
            CHECK_EQ(psci(smc, PSCI_CPU_ON, 1, bad[i], 0x1234), PSCI_INVALID_ADDRESS);
        }
    }
    CHECK_EQ(power_ons, 0);
    CHECK_EQ(vm.vcpus[1].power, VCPU_OFF);
    CHECK_EQ(psci(false, PSCI_AFFINITY_INFO, 1, 0, 0), PSCI_AFFINITY_OFF);
    /* A CPU that does not exist: INVALID_PARAMETERS, whatever the entry. */
    CHECK_EQ(psci(false, PSCI_CPU_ON, 0x100, RAM_BASE, 0), PSCI_INVALID_PARAMETERS);
    CHECK_EQ(psci(false, PSCI_CPU_ON, 7, RAM_BASE + RAM_SIZE, 0), PSCI_INVALID_PARAMETERS);
    CHECK_EQ(power_ons, 0);
    /* The last word of RAM is an entry like any other: checked on a CPU that is on. */
    CHECK_EQ(psci(false, PSCI_CPU_ON, 0, RAM_BASE + RAM_SIZE - 4, 0), PSCI_ALREADY_ON);
    CHECK_EQ(vm.vcpus[0].power, VCPU_ON);
    power_ons = 0;
}

static void test_cpu_on_context(void)
{
    const uint64_t entry = RAM_BASE + 0x2000, context = 0x5eed0001beef0002ull;
    CHECK_EQ(psci(false, PSCI_CPU_ON, 1, entry, context), PSCI_SUCCESS);
    CHECK_EQ(power_ons, 1);
    struct vcpu *v = &vm.vcpus[1];
    CHECK_EQ(v->power, VCPU_ON_PENDING);
    CHECK_EQ(psci(false, PSCI_AFFINITY_INFO, 1, 0, 0), PSCI_AFFINITY_ON_PENDING);
    CHECK_EQ(psci(true, PSCI_CPU_ON, 1, entry, context), PSCI_ON_PENDING);
    /* What the vCPU's thread does before it first runs (vcpu.c, before_resume). */
    memset(v->state, 0xa5, sizeof(*v->state));
    arch_vcpu_reset(v, v->start_pc, v->start_ctx);
    v->power = VCPU_ON;
    struct keel_vcpu_state *s = v->state;
    CHECK_EQ(s->pc, entry);
    CHECK_EQ(s->x[0], context);
    for (unsigned i = 1; i < 31; i++) {
        CHECK_EQ(s->x[i], 0);
    }
    CHECK_EQ(s->pstate, 0x3c5);        /* EL1h, DAIF masked */
    CHECK_EQ(s->sys.sctlr_el1 & 1, 0); /* MMU off */
    CHECK_EQ(s->sys.vmpidr, v->mpidr);
    CHECK(s->sync.dirty & KEEL_VCPU_SYNC_SYS);
    CHECK_EQ(psci(false, PSCI_AFFINITY_INFO, 1, 0, 0), PSCI_AFFINITY_ON);
    CHECK_EQ(psci(false, PSCI_CPU_ON, 1, entry, context), PSCI_ALREADY_ON);
}

int main(void)
{
    vm.name = "t";
    vm.vcpu_count = 2;
    for (unsigned i = 0; i < 2; i++) {
        vm.vcpus[i].vm = &vm;
        vm.vcpus[i].id = i;
        vm.vcpus[i].mpidr = i; /* Aff0 i */
        vm.vcpus[i].state = &states[i];
        vm.vcpus[i].power = i == 0 ? VCPU_ON : VCPU_OFF;
    }
    test_cpu_on_bad_entries();
    test_cpu_on_context();
    CHECK(!vm.off);
    return unit_done("test_vmm_arm64");
}
