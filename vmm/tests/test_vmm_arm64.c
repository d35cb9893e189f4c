// SPDX-License-Identifier: MIT
/*
 * Host tests of the arm64 VMM's PSCI and SMCCC (vmm/arch/arm64/exit.c), through HVC and SMC exits
 * as the guest makes them: version 1.1 of both, PSCI_FEATURES of every function and of
 * SMCCC_VERSION, NOT_SUPPORTED for the rest and for an HVC whose immediate is not 0, the SMC32
 * forms with their arguments' upper halves ignored, CPU_SUSPEND as a standby, AFFINITY_INFO's
 * answers as the spec numbers them (ON 0, OFF 1, ON_PENDING 2); CPU_ON with an entry point
 * outside guest RAM or misaligned is INVALID_ADDRESS (PSCI 1.0, DEN0022, 5.6) and starts nothing; CPU_ON of a CPU that does not exist is
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
#include "vm_timer.h"
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

/* The physical timer's line as the model was last told (-1: never), and its kick deadline. */
static int ptimer_line = -1;
static uint64_t ptimer_kick_due = UINT64_MAX;
static unsigned kicks;

void vgic_ppi_level(struct vm *v, struct vcpu *c, unsigned intid, bool level)
{
    (void)v, (void)c;
    CHECK_EQ(intid, 30);
    ptimer_line = level;
}

int64_t vm_timer_add(struct vm *v, struct vm_timer *t)
{
    (void)v;
    t->due = UINT64_MAX;
    return 0;
}

void vm_timer_set(struct vm_timer *t, uint64_t due)
{
    t->due = due;
    ptimer_kick_due = due;
}

void vcpu_kick(struct vcpu *c)
{
    (void)c;
    kicks++;
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

/* One call from vCPU 0 (HVC or a trapped SMC, #imm), x0..x3 the function and its arguments;
 * returns x0 after it. The pc moves past an SMC (an HVC's return address is past it already). */
static int64_t smccc(bool smc, uint16_t imm, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    struct keel_vcpu_state *s = vm.vcpus[0].state;
    s->pc = RAM_BASE + 0x800;
    s->exit_esr = (uint64_t)(smc ? EC_SMC64 : EC_HVC64) << 26 | 1u << 25 | imm;
    s->x[0] = fn, s->x[1] = a1, s->x[2] = a2, s->x[3] = a3;
    s->x[4] = 0x5a5a; /* not an argument: must not matter */
    CHECK_EQ(arch_vcpu_exit(&vm.vcpus[0], KEEL_VCPU_EXIT_TRAP), 0);
    CHECK_EQ(s->pc, RAM_BASE + 0x800 + (smc ? 4 : 0));
    CHECK_EQ(s->x[4], 0x5a5a);
    return (int64_t)s->x[0];
}

static int64_t psci(bool smc, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    return smccc(smc, 0, fn, a1, a2, a3);
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

/* Versions and discovery (PSCI 1.1, DEN 0022; SMCCC 1.1, DEN 0028), over HVC and SMC alike. */
static void test_versions_and_features(void)
{
    static const uint32_t answered[] = { 0x84000000 /* PSCI_VERSION */,
                                         0xc4000001,
                                         0x84000001,
                                         0x84000002 /* CPU_OFF */,
                                         0xc4000003,
                                         0x84000003,
                                         0xc4000004,
                                         0x84000004 /* AFFINITY_INFO */,
                                         0x84000006 /* MIGRATE_INFO_TYPE */,
                                         0x84000008,
                                         0x84000009 /* SYSTEM_OFF, _RESET */,
                                         0x8400000a /* PSCI_FEATURES */,
                                         0x80000000 /* SMCCC_VERSION */ };
    static const uint32_t not_answered[] = { 0xc4000005,
                                             0x84000005 /* MIGRATE */,
                                             0xc4000007,
                                             0x84000007 /* MIGRATE_INFO_UP_CPU */,
                                             0x8400000b /* CPU_FREEZE */,
                                             0xc400000e /* SYSTEM_SUSPEND */,
                                             0x84000012 /* SYSTEM_RESET2 */,
                                             0x84000050 /* TRNG_VERSION */,
                                             0xc4000000,
                                             0x8400000c,
                                             0x840000ff,
                                             0x86000000 /* a hypervisor service */,
                                             0x80000001 /* SMCCC_ARCH_FEATURES: not PSCI's */,
                                             0xdeadbeef,
                                             0x0,
                                             0x12345678 };
    for (unsigned smc = 0; smc < 2; smc++) {
        CHECK_EQ(psci(smc, 0x84000000, 0, 0, 0), 0x10001); /* PSCI 1.1 */
        CHECK_EQ(psci(smc, 0x80000000, 0, 0, 0), 0x10001); /* SMCCC 1.1 */
        for (unsigned i = 0; i < sizeof(answered) / sizeof(answered[0]); i++) {
            CHECK_EQ(psci(smc, PSCI_FEATURES, answered[i], 0, 0), 0);
            /* (its upper half ignored: PSCI_FEATURES is an SMC32 function) */
            CHECK_EQ(psci(smc, PSCI_FEATURES, answered[i] | 0xffffffff00000000ull, 0, 0), 0);
        }
        for (unsigned i = 0; i < sizeof(not_answered) / sizeof(not_answered[0]); i++) {
            CHECK_EQ(psci(smc, PSCI_FEATURES, not_answered[i], 0, 0), -1);
            if (not_answered[i] != 0x80000001) {
                CHECK_EQ(psci(smc, not_answered[i], 0, 0, 0), -1); /* NOT_SUPPORTED */
            }
        }
        /* The function ID is W0: the upper half of x0 does not matter. */
        CHECK_EQ(psci(smc, 0xffffffff84000000ull, 0, 0, 0), 0x10001);
        CHECK_EQ(psci(smc, 0x84000006, 0, 0, 0), 2); /* MIGRATE_INFO_TYPE: no Trusted OS */
        /* SMCCC_ARCH_FEATURES: no errata workarounds; its own functions are there. */
        CHECK_EQ(psci(smc, 0x80000001, 0x80008000, 0, 0), -1);
        CHECK_EQ(psci(smc, 0x80000001, 0x80007fff, 0, 0), -1);
        CHECK_EQ(psci(smc, 0x80000001, 0x80003fff, 0, 0), -1);
        CHECK_EQ(psci(smc, 0x80000001, 0x80000000, 0, 0), 0);
        CHECK_EQ(psci(smc, 0x80000001, 0x80000001, 0, 0), 0);
        CHECK_EQ(psci(smc, 0x80000001, 0x84000000, 0, 0), -1);
        /* An immediate other than 0 is not an SMCCC call: NOT_SUPPORTED, nothing done. */
        CHECK_EQ(smccc(smc, 1, 0x84000000, 0, 0, 0), -1);
        CHECK_EQ(smccc(smc, 0xffff, 0x84000008, 0, 0, 0), -1);
        CHECK(!vm.off);
    }
}

/* The SMC32 forms of CPU_ON, AFFINITY_INFO and CPU_SUSPEND take 32-bit arguments: what the
 * upper halves of x1..x3 hold does not matter (SMCCC, DEN 0028). In the SMC64 forms it does. */
static void test_smc32_arguments(void)
{
    const uint64_t junk = 0xa5a5a5a500000000ull, entry = RAM_BASE + 0x3000;
    struct vcpu *v = &vm.vcpus[1];
    v->power = VCPU_OFF;
    power_ons = 0;
    CHECK_EQ(psci(false, 0xc4000004, 1 | junk, 0, 0), PSCI_INVALID_PARAMETERS);
    CHECK_EQ(psci(false, 0xc4000003, 1 | junk, entry, 0), PSCI_INVALID_PARAMETERS);
    CHECK_EQ(psci(false, 0xc4000003, 1, entry | junk, 0), PSCI_INVALID_ADDRESS);
    CHECK_EQ(power_ons, 0);
    CHECK_EQ(psci(true, 0x84000004, 1 | junk, junk, 0), 1); /* OFF */
    CHECK_EQ(psci(true, 0x84000003, 1 | junk, entry | junk, 0xc0ffee | junk), PSCI_SUCCESS);
    CHECK_EQ(power_ons, 1);
    CHECK_EQ(v->start_pc, entry);
    CHECK_EQ(v->start_ctx, 0xc0ffee);
    CHECK_EQ(psci(false, 0x84000004, 1 | junk, 0, 0), 2); /* ON_PENDING */
    CHECK_EQ(psci(false, 0x84000003, 1 | junk, entry, 0), PSCI_ON_PENDING);
    v->power = VCPU_ON;
    CHECK_EQ(psci(false, 0x84000004, 1 | junk, junk, 0), 0); /* ON */
    CHECK_EQ(psci(false, 0xc4000004, 1, 0, 0), 0);
    CHECK_EQ(psci(false, 0x84000003, 1 | junk, entry, 0), PSCI_ALREADY_ON);
    /* An MPIDR with bits outside its affinity fields, a level above 0: no such CPU here. */
    CHECK_EQ(psci(false, 0xc4000004, 1 | 1ull << 31, 0, 0), PSCI_INVALID_PARAMETERS);
    CHECK_EQ(psci(false, 0xc4000004, 1 | 1ull << 24, 0, 0), PSCI_INVALID_PARAMETERS);
    CHECK_EQ(psci(false, 0xc4000004, 1 | 1ull << 40, 0, 0), PSCI_INVALID_PARAMETERS);
    CHECK_EQ(psci(false, 0xc4000004, 1, 1, 0), PSCI_INVALID_PARAMETERS);
    CHECK_EQ(psci(false, 0xc4000003, 1ull << 32, entry, 0), PSCI_INVALID_PARAMETERS);
    power_ons = 0;
}

/* CPU_SUSPEND (5.4.2): any state is a standby, the vCPU waits as in WFI and the call returns
 * SUCCESS (a power-down state demoted to standby, its entry point checked); the reserved bits
 * of power_state make it INVALID_PARAMETERS, a bad entry of a power down INVALID_ADDRESS. */
static void test_cpu_suspend(void)
{
    struct vcpu *v = &vm.vcpus[0];
    const uint32_t fns[] = { 0xc4000001, 0x84000001 };
    for (unsigned i = 0; i < 2; i++) {
        for (unsigned smc = 0; smc < 2; smc++) {
            unsigned sleeps = v->wfi_sleeps;
            CHECK_EQ(psci(smc, fns[i], 0, 0, 0), PSCI_SUCCESS); /* standby, state 0 */
            CHECK_EQ(v->wfi_sleeps, sleeps + 1);
            CHECK_EQ(psci(smc, fns[i], 0x01000003, 0, 0), PSCI_SUCCESS); /* level 1 standby */
            CHECK_EQ(psci(smc, fns[i], 0x10000, RAM_BASE + 0x100, 7), PSCI_SUCCESS);
            CHECK_EQ(v->wfi_sleeps, sleeps + 3);
            CHECK_EQ(psci(smc, fns[i], 0x10000, RAM_BASE + RAM_SIZE, 7), PSCI_INVALID_ADDRESS);
            CHECK_EQ(psci(smc, fns[i], 0x10000, RAM_BASE + 2, 7), PSCI_INVALID_ADDRESS);
            CHECK_EQ(psci(smc, fns[i], 1u << 17, 0, 0), PSCI_INVALID_PARAMETERS);
            CHECK_EQ(psci(smc, fns[i], 1u << 26, 0, 0), PSCI_INVALID_PARAMETERS);
            CHECK_EQ(psci(smc, fns[i], 1u << 31, 0, 0), PSCI_INVALID_PARAMETERS);
            CHECK_EQ(v->wfi_sleeps, sleeps + 3);
            CHECK_EQ(v->power, VCPU_ON);
        }
    }
    /* The SMC32 form ignores the upper halves: a power down whose entry is in RAM below them. */
    CHECK_EQ(psci(false, 0x84000001, 0xffff000000010000ull, RAM_BASE | 0xff00000000ull, 0),
             PSCI_SUCCESS);
    CHECK_EQ(psci(false, 0xc4000001, 0x10000, RAM_BASE | 0xff00000000ull, 0), PSCI_INVALID_ADDRESS);
}

/* A trapped MSR (read false) or MRS of the register with ISS bits iss (Rt, direction clear)
 * from vCPU 0 at EL1h, register x5; returns x5 after it. */
static uint64_t sysreg(uint32_t iss, bool read, uint64_t value)
{
    struct keel_vcpu_state *s = vm.vcpus[0].state;
    s->pc = RAM_BASE + 0x900;
    s->pstate = 0x3c5;
    s->sys.vbar_el1 = RAM_BASE + 0x4000;
    s->exit_esr = (uint64_t)EC_SYS64 << 26 | 1u << 25 | iss | 5u << 5 | (read ? 1 : 0);
    s->x[5] = value;
    CHECK_EQ(arch_vcpu_exit(&vm.vcpus[0], KEEL_VCPU_EXIT_TRAP), 0);
    return s->x[5];
}

#define ISS_CNTP_TVAL 0x30f804u
#define ISS_CNTP_CTL 0x32f804u
#define ISS_CNTP_CVAL 0x34f804u
#define ISS_PMCR 0x30e418u
#define ISS_PMCCNTR 0x30e41au
#define ISS_DBGBVR0 0x280008u /* op0 2, CRm 0, op2 4 */

static void test_physical_timer(void)
{
    struct keel_vcpu_state *s = vm.vcpus[0].state;
    host_cycles = 1000;
    CHECK_EQ(sysreg(ISS_CNTP_CTL, true, 0xdead), 0);
    sysreg(ISS_CNTP_CVAL, false, 3000);
    CHECK_EQ(s->pc, RAM_BASE + 0x904);
    CHECK_EQ(sysreg(ISS_CNTP_CVAL, true, 0), 3000);
    CHECK_EQ(sysreg(ISS_CNTP_TVAL, true, 0), 2000);
    CHECK_EQ(ptimer_kick_due, UINT64_MAX); /* not enabled: nothing to wake */
    sysreg(ISS_CNTP_CTL, false, 1);
    CHECK_EQ(ptimer_kick_due, 3000); /* the vCPU is kicked when it comes due */
    arch_vcpu_before_resume(&vm.vcpus[0]);
    CHECK_EQ(ptimer_line, 0);
    host_cycles = 3000;
    CHECK_EQ(sysreg(ISS_CNTP_CTL, true, 0), 5); /* ENABLE, ISTATUS */
    arch_vcpu_before_resume(&vm.vcpus[0]);
    CHECK_EQ(ptimer_line, 1); /* PPI 30 asserted */
    sysreg(ISS_CNTP_TVAL, false, 500);
    CHECK_EQ(sysreg(ISS_CNTP_CVAL, true, 0), 3500);
    CHECK_EQ(ptimer_kick_due, 3500);
    arch_vcpu_before_resume(&vm.vcpus[0]);
    CHECK_EQ(ptimer_line, 0);
    sysreg(ISS_CNTP_CTL, false, 3); /* masked: never asserted, no kick */
    CHECK_EQ(ptimer_kick_due, UINT64_MAX);
    host_cycles = 4000;
    arch_vcpu_before_resume(&vm.vcpus[0]);
    CHECK_EQ(ptimer_line, 0);
    sysreg(ISS_CNTP_CTL, false, 0);
}

static void test_no_pmu(void)
{
    struct keel_vcpu_state *s = vm.vcpus[0].state;
    const uint32_t pmu[] = { ISS_PMCR, ISS_PMCCNTR };
    for (unsigned i = 0; i < 2; i++) {
        for (unsigned read = 0; read < 2; read++) {
            sysreg(pmu[i], read, 7);
            CHECK_EQ(s->pc, RAM_BASE + 0x4000 + 0x200); /* the current EL's (SPx) vector */
            CHECK_EQ(s->sys.elr_el1, RAM_BASE + 0x900); /* at the access */
            CHECK_EQ(s->sys.esr_el1 >> 26, 0);          /* UNDEFINED */
            CHECK_EQ(s->pstate, 0x3c5);
        }
    }
    /* Debug registers stay read-as-zero. */
    CHECK_EQ(sysreg(ISS_DBGBVR0, true, 7), 0);
    CHECK_EQ(s->pc, RAM_BASE + 0x904);
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
    test_versions_and_features();
    test_smc32_arguments();
    test_cpu_suspend();
    test_physical_timer();
    test_no_pmu();
    CHECK(!vm.off);
    return unit_done("test_vmm_arm64");
}
