// SPDX-License-Identifier: MIT
/*
 * Fuzz target rv_exit: the riscv64 VMM's exit handling as a guest drives it
 * (vmm/arch/riscv64/exit.c): SBI calls (sbi.c: every extension, the debug console reading guest
 * RAM, HSM, IPIs and remote fences between vCPUs), guest-page faults decoded from htinst or from
 * the instruction fetched through the guest's page table (insn.c) and sent to the PLIC and two
 * NS16550As, virtual-instruction exits (WFI), and what runs before each resume. The vCPU states
 * persist from exit to exit, as a guest's registers do; the input changes them between exits.
 * A kicked vCPU takes its requests as it would before resuming (sbi_take_requests()).
 *
 * Input: vcpus (1-8), then operations:
 *   0 vcpu reg value64        x[reg % 32] = value (x0 too: the kernel ignores it)
 *   1 vcpu field value64      a field of the state: pc, priv, vsatp, htinst, stval, exit_gpa,
 *                             vsstatus, vstvec, vsie, hvip, vstimecmp, features (field % 12);
 *                             pc, vsatp and exit_gpa take the value as an offset into RAM or a
 *                             device when its top byte is 0x01, 0x02 or 0x03
 *   2 vcpu cause reason       an exit (cause: 0 ecall, 1 load, 2 store, 3 virtual instruction,
 *                             4 instruction page fault, else cause itself; reason bit 0: EVENT)
 *   3 vcpu                    before resume
 *   4 off16 n bytes...        n bytes into RAM
 *   5 page index16 target flags   a page-table entry (as rv_insn)
 *   6 line level              a device line
 *   7 vcpu power result       power state of a vCPU, and what starting one returns
 *   8 delta32                 the clock moves on
 *   9 n                       console input
 *
 * Checked besides the sanitizers: x0 stays 0 in every state; an exit the VMM handles never
 * stops the VM (only an unknown cause may); the PLIC's interrupt is in hvip exactly when
 * plic_pending() says so after a resume.
 */
#include "vmm_fuzz.h"
#include "insn.h"
#include "plic.h"
#include "sbi.h"
#include "dev/uart_ns16550.h"
#include "reset/reset.h"
#include <string.h>

#define RAM_BASE 0x80000000ull
#define RAM_SIZE 0x10000ull
#define PAGES (RAM_SIZE / 4096)
#define PLIC_BASE 0x0c000000ull
#define UART0 0x10000000ull
#define UART1 0x10001000ull

enum { OP_REG, OP_FIELD, OP_EXIT, OP_RESUME, OP_RAM, OP_PTE, OP_LINE, OP_POWER, OP_CLOCK,
       OP_INPUT, OPS };
enum { F_PC, F_PRIV, F_VSATP, F_HTINST, F_STVAL, F_GPA, F_VSSTATUS, F_VSTVEC, F_VSIE, F_HVIP,
       F_VSTIMECMP, F_FEATURES, FIELDS };

static struct fuzz_ram ram;
static struct vm vm;
static struct keel_vcpu_state states[VM_MAX_VCPUS];

/* The kicked vCPU leaves its guest and takes what others asked of it before it resumes. */
static void take_requests(struct vcpu *v)
{
    sbi_take_requests(v, v->state);
}

static struct vcpu *vcpu_of(struct fuzz_in *in)
{
    return &vm.vcpus[fuzz_u8(in) % vm.vcpu_count];
}

/* An address: an offset into RAM, the PLIC or a UART when the top byte says so. */
static uint64_t address(uint64_t value)
{
    static const uint64_t bases[4] = { 0, RAM_BASE, PLIC_BASE, UART0 };
    unsigned where = (unsigned)(value >> 56);
    return where >= 1 && where <= 3 ? bases[where] + (value & 0x3fffff) : value;
}

static void field(struct fuzz_in *in)
{
    struct keel_vcpu_state *s = vcpu_of(in)->state;
    unsigned f = fuzz_u8(in) % FIELDS;
    uint64_t v = fuzz_u64(in);
    // clang-format off: one field per line
    switch (f) {
    case F_PC: s->pc = address(v); break;
    case F_PRIV: s->priv = v & 1; break;
    case F_VSATP: s->vsatp = (v >> 60) << 60 | (address(v & ((1ull << 60) - 1)) >> 12); break;
    case F_HTINST: s->exit_htinst = v; break;
    case F_STVAL: s->exit_stval = v; break;
    case F_GPA: s->exit_gpa = address(v); break;
    case F_VSSTATUS:
        s->sys.vsstatus = v;
        break;
    case F_VSTVEC:
        s->sys.vstvec = address(v);
        break;
    case F_VSIE: s->vsie = v; break;
    case F_HVIP: s->hvip = v; break;
    case F_VSTIMECMP: s->vstimecmp = v; break;
    default: s->features = v & 1; break;
    }
    // clang-format on
}

static void exit_once(struct fuzz_in *in)
{
    static const uint64_t causes[5] = { 10, 21, 23, 22, 20 };
    struct vcpu *v = vcpu_of(in);
    uint8_t cause = fuzz_u8(in), reason = fuzz_u8(in);
    struct keel_vcpu_state *s = v->state;
    s->exit_scause = cause < 5 ? causes[cause] : cause;
    fuzz_self = v;
    int r = arch_vcpu_exit(v, (reason & 1) ? KEEL_VCPU_EXIT_EVENT : KEEL_VCPU_EXIT_TRAP);
    FUZZ_CHECK(r == 0 || r == -1);
    if (!(reason & 1) && cause < 5) {
        FUZZ_CHECK(r == 0); /* nothing the guest does this way may stop its VM */
    }
}

static void resume(struct vcpu *v)
{
    fuzz_self = v;
    arch_vcpu_before_resume(v);
    bool seip = (v->state->hvip & KEEL_HVIP_VSEIP) != 0;
    FUZZ_CHECK(seip == plic_pending(&vm, v));
}

static void pte(struct fuzz_in *in)
{
    unsigned page = fuzz_u8(in) % PAGES, index = fuzz_u16(in) % 512, target = fuzz_u8(in);
    uint64_t e = ((RAM_BASE >> 12) + target % PAGES) << 10 | (fuzz_u8(in) & 0x7f) | 1;
    memcpy(ram.ram + page * 4096 + index * 8, &e, 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = fuzz_in_init(data, size);
    static const uint64_t harts[VM_MAX_VCPUS] = { 0, 1, 2, 3, 8, 9, 63, 64 };
    if (!ram.ram) {
        fuzz_ram_init(&ram, RAM_BASE, RAM_SIZE);
    }
    fuzz_ram_clear(&ram);
    fuzz_vm_init(&vm, &ram, 1 + fuzz_u8(&in) % VM_MAX_VCPUS, harts, states);
    fuzz_kick_hook = take_requests;
    fuzz_reset_uart_ns16550();
    fuzz_reset_sbi();
    struct mmio_device *u0 = vm_device_add(&vm, "uart0", gpa_init(UART0), 0x100);
    struct mmio_device *u1 = vm_device_add(&vm, "uart1", gpa_init(UART1), 0x100);
    FUZZ_CHECK(plic_create(&vm, gpa_init(PLIC_BASE), 0x600000, 31) == 0);
    FUZZ_CHECK(u0 && uart_ns16550_create(u0, &vm, 10, 0) == 0);
    FUZZ_CHECK(u1 && uart_ns16550_create(u1, &vm, 11, 2) == 0);
    for (unsigned i = 0; i < vm.vcpu_count; i++) {
        arch_vcpu_reset(&vm.vcpus[i], RAM_BASE, 0);
    }
    while (!fuzz_done(&in)) {
        switch (fuzz_u8(&in) % OPS) {
        case OP_REG: {
            struct keel_vcpu_state *s = vcpu_of(&in)->state;
            unsigned r = fuzz_u8(&in) % 32;
            s->x[r] = fuzz_u64(&in);
            s->x[0] = 0; /* the kernel's x0 reads 0 whatever was there */
            break;
        }
        case OP_FIELD: field(&in); break;
        case OP_EXIT: exit_once(&in); break;
        case OP_RESUME: resume(vcpu_of(&in)); break;
        case OP_RAM: {
            uint16_t off = fuzz_u16(&in);
            fuzz_ram_fill(&ram, off, &in, fuzz_u8(&in));
            break;
        }
        case OP_PTE: pte(&in); break;
        case OP_LINE: {
            uint8_t line = fuzz_u8(&in);
            vm_irq_set(&vm, line, fuzz_u8(&in) & 1);
            break;
        }
        case OP_POWER: {
            struct vcpu *v = vcpu_of(&in);
            v->power = (enum vcpu_power)(fuzz_u8(&in) % 3);
            fuzz_power_on_result = (fuzz_u8(&in) & 1) ? -KEEL_ENOMEM : 0;
            break;
        }
        case OP_CLOCK: host_cycles += fuzz_u32(&in); break;
        default: {
            static const char typed[24] = "typed by the fuzzer\n";
            vm.console_input(&vm, typed, fuzz_u8(&in) % sizeof(typed));
            break;
        }
        }
        for (unsigned i = 0; i < vm.vcpu_count; i++) {
            FUZZ_CHECK(states[i].x[0] == 0);
        }
    }
    return 0;
}
