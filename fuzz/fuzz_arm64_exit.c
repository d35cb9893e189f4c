// SPDX-License-Identifier: MIT
/*
 * Fuzz target arm64_exit: the arm64 VMM's exit handling as a guest drives it
 * (vmm/arch/arm64/exit.c): the syndrome (ESR_EL2) decode of data aborts sent to the GIC model's
 * distributor and redistributors and to a PL011, PSCI calls through HVC and SMC, trapped system
 * registers (ICC_SGI1R_EL1 to the GIC model), WFI and WFE, instruction aborts outside RAM, and
 * the list-register fill before each resume. The vCPU states persist from exit to exit; the
 * input changes them between exits.
 *
 * Input: version (bit 0: GICv2), vcpus (1-8), then operations:
 *   0 vcpu reg value64      x[reg % 32] (31: nothing, it is XZR)
 *   1 vcpu field value64    pc, pstate, vbar_el1, exit_far, exit_gpa, cntv_ctl, cntv_cval
 *                           (field % 7; exit_gpa: an offset into the GIC, redistributors, PL011 or
 *                           RAM when the value's top byte is 1-4)
 *   2 vcpu ec iss32 reason  an exit: ESR = ec << 26 | IL | iss (ec: 0 WFx, 1 SYS64, 2 data
 *                           abort, 3 instruction abort, 4 HVC, 5 SMC, else the byte itself);
 *                           reason 1: VTIMER, 2: VGIC, 3: EVENT, else TRAP
 *   3 vcpu                  before resume (the list registers filled)
 *   4 intid level           a device line
 *   5 vcpu power result     a vCPU's power state, and what starting one returns
 *   6 n                     console input for the PL011
 *   7 delta32               the clock moves on
 *
 * Checked besides the sanitizers: an exit the VMM handles never stops the VM (only an unknown
 * class may, or vectors outside RAM); a 32-bit load (SF clear) leaves the upper half of its
 * register clear; PSCI answers are ones the standard has.
 */
#include "vmm_fuzz.h"
#include "vgic.h"
#include "dev/uart_pl011.h"
#include "reset/reset.h"
#include <string.h>

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x10000ull
#define DIST 0x08000000ull
#define CPUIF 0x08010000ull
#define REDIST 0x080a0000ull
#define PL011 0x09000000ull

enum { OP_REG, OP_FIELD, OP_EXIT, OP_RESUME, OP_LINE, OP_POWER, OP_INPUT, OP_CLOCK, OPS };
enum { EC_WFX = 0x01, EC_HVC64 = 0x16, EC_SMC64 = 0x17, EC_SYS64 = 0x18, EC_IABT = 0x20,
       EC_DABT = 0x24 };

static struct fuzz_ram ram;
static struct vm vm;
static struct keel_vcpu_state states[VM_MAX_VCPUS];

static struct vcpu *vcpu_of(struct fuzz_in *in)
{
    return &vm.vcpus[fuzz_u8(in) % vm.vcpu_count];
}

static uint64_t address(uint64_t value)
{
    static const uint64_t bases[5] = { 0, DIST, REDIST, PL011, RAM_BASE };
    unsigned where = (unsigned)(value >> 56);
    return where >= 1 && where <= 4 ? bases[where] + (value & 0xfffff) : value;
}

static void field(struct fuzz_in *in)
{
    struct keel_vcpu_state *s = vcpu_of(in)->state;
    unsigned f = fuzz_u8(in) % 7;
    uint64_t v = fuzz_u64(in);
    // clang-format off: one field per line
    switch (f) {
    case 0: s->pc = v; break;
    case 1: s->pstate = v; break;
    case 2:
        s->sys.vbar_el1 = v;
        break;
    case 3: s->exit_far = v; break;
    case 4: s->exit_gpa = address(v); break;
    case 5: s->cntv_ctl_el0 = v; break;
    default: s->cntv_cval_el0 = v; break;
    }
    // clang-format on
}

static bool psci_answer(int64_t r)
{
    /* PSCI and SMCCC version 1.1, SUCCESS .. INTERNAL_FAILURE, AFFINITY_INFO's ON, OFF,
     * ON_PENDING (and MIGRATE_INFO_TYPE's 2), CPU_ON's and CPU_SUSPEND's INVALID_ADDRESS */
    return r == 0x10001 || (r >= -6 && r <= 2) || r == -9;
}

static void exit_once(struct fuzz_in *in)
{
    static const uint8_t classes[6] = { EC_WFX, EC_SYS64, EC_DABT, EC_IABT, EC_HVC64, EC_SMC64 };
    struct vcpu *v = vcpu_of(in);
    uint8_t ec = fuzz_u8(in);
    uint32_t iss = fuzz_u32(in) & 0x1ffffff;
    uint8_t why = fuzz_u8(in) % 4;
    static const int64_t reasons[4] = { KEEL_VCPU_EXIT_TRAP, KEEL_VCPU_EXIT_VTIMER,
                                        KEEL_VCPU_EXIT_VGIC, KEEL_VCPU_EXIT_EVENT };
    struct keel_vcpu_state *s = v->state;
    unsigned cls = ec < 6 ? classes[ec] : ec & 0x3f;
    s->exit_esr = (uint64_t)cls << 26 | 1u << 25 | iss;
    unsigned rt = (iss >> 16) & 31;
    bool load32 = cls == EC_DABT && (iss & (1u << 24)) && !(iss & (1u << 6)) &&
                  !(iss & (1u << 15)) && rt != 31;
    bool psci = cls == EC_HVC64 || cls == EC_SMC64;
    uint32_t psci_fn = (uint32_t)s->x[0];
    fuzz_self = v;
    int r = arch_vcpu_exit(v, reasons[why]);
    FUZZ_CHECK(r == 0 || r == -1);
    if (why != 0) {
        FUZZ_CHECK(r == 0);
        return;
    }
    if (cls != EC_IABT && (ec < 6)) {
        FUZZ_CHECK(r == 0); /* nothing the guest does this way may stop its VM */
    }
    if (load32) {
        FUZZ_CHECK(s->x[rt] >> 32 == 0);
    }
    /* CPU_OFF, SYSTEM_OFF and SYSTEM_RESET do not return to the guest: x0 stays as it was. */
    if (psci && psci_fn != 0x84000002 && psci_fn != 0x84000008 && psci_fn != 0x84000009) {
        FUZZ_CHECK(psci_answer((int64_t)s->x[0]));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = fuzz_in_init(data, size);
    uint64_t mpidr[VM_MAX_VCPUS];
    if (!ram.ram) {
        fuzz_ram_init(&ram, RAM_BASE, RAM_SIZE);
    }
    bool v2 = fuzz_u8(&in) & 1;
    unsigned vcpus = 1 + fuzz_u8(&in) % VM_MAX_VCPUS;
    for (unsigned i = 0; i < VM_MAX_VCPUS; i++) {
        mpidr[i] = (i & 3) | (uint64_t)(i >> 2) << 8;
    }
    fuzz_vm_init(&vm, &ram, vcpus, mpidr, states);
    fuzz_reset_uart_pl011();
    if (v2) {
        FUZZ_CHECK(vgic_create_v2(&vm, gpa_init(DIST), gpa_init(CPUIF)) == 0);
    } else {
        FUZZ_CHECK(vgic_create(&vm, gpa_init(DIST), gpa_init(REDIST), vcpus * 0x20000ull) == 0);
    }
    struct mmio_device *uart = vm_device_add(&vm, "pl011", gpa_init(PL011), 0x1000);
    FUZZ_CHECK(uart && uart_pl011_create(uart, &vm, 33) == 0);
    for (unsigned i = 0; i < vcpus; i++) {
        arch_vcpu_reset(&vm.vcpus[i], RAM_BASE, 0);
        states[i].vgic_lr_count = v2 ? 4 : KEEL_VGIC_LRS;
    }
    while (!fuzz_done(&in)) {
        switch (fuzz_u8(&in) % OPS) {
        case OP_REG: {
            struct keel_vcpu_state *s = vcpu_of(&in)->state;
            unsigned r = fuzz_u8(&in) % 32;
            uint64_t value = fuzz_u64(&in);
            if (r < 31) {
                s->x[r] = value;
            }
            break;
        }
        case OP_FIELD: field(&in); break;
        case OP_EXIT: exit_once(&in); break;
        case OP_RESUME: {
            struct vcpu *v = vcpu_of(&in);
            fuzz_self = v;
            arch_vcpu_before_resume(v);
            break;
        }
        case OP_LINE: {
            uint8_t intid = fuzz_u8(&in);
            vm_irq_set(&vm, intid, fuzz_u8(&in) & 1);
            break;
        }
        case OP_POWER: {
            struct vcpu *v = vcpu_of(&in);
            v->power = (enum vcpu_power)(fuzz_u8(&in) % 3);
            fuzz_power_on_result = (fuzz_u8(&in) & 1) ? -KEEL_ENOMEM : 0;
            break;
        }
        case OP_INPUT: {
            static const char typed[24] = "typed by the fuzzer\n";
            vm.console_input(&vm, typed, fuzz_u8(&in) % sizeof(typed));
            break;
        }
        default: host_cycles += fuzz_u32(&in); break;
        }
    }
    return 0;
}
