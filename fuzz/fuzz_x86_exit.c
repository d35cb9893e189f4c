// SPDX-License-Identifier: MIT
/*
 * Fuzz target x86_exit: the x86_64 VMM's exit handling as a guest drives it
 * (vmm/arch/x86_64/exit.c): port I/O to the ISA devices (ports.c: a 16550, the exit port, the
 * 8254, the CMOS clock and the ACPI PM registers, whose clock events run before each resume),
 * nested page faults decoded by insn.c (the instruction fetched through the guest's paging) and
 * sent to the LAPIC, the I/O APIC and a virtio console and net device (vmm/dev/virtio_devices.c
 * over virtio/), CPUID, MSRs, debug registers, HLT, the instructions the guest does not have,
 * and what runs before each resume (events cut short, the LAPIC's injection). The platform is
 * made by platform_devices() from a device tree built at start. The vCPU states persist from
 * exit to exit; the input changes them between exits.
 *
 * Input: vcpus (1-8), then operations:
 *   0 vcpu reg value64       gpr[reg % 16]
 *   1 vcpu field value64     rip, rflags, cr0, cr3, cr4, efer, cs.attr, cs.base,
 *                            interrupt_shadow, exit_info1, exit_info2 (field % 11; exit_info2 an
 *                            offset into RAM, the LAPIC, I/O APIC or a virtio window when the
 *                            value's top byte is 1-5)
 *   2 vcpu code info         an exit: code 0 NPF, 1 IOIO, 2 CPUID, 3 MSR, 4 HLT, 5 VINTR,
 *                            6 VMMCALL, 7 a DR move, 8 an SVM instruction, 9 SHUTDOWN, else the
 *                            byte; info: an event the exit cut short (type, vector)
 *   3 vcpu                   before resume
 *   4 off16 n bytes...       n bytes into RAM
 *   5 page index16 target flags wide   a paging-structure entry (as x86_insn)
 *   6 line level             a device line (I/O APIC)
 *   7 delta32                the clock moves on
 *   8 port16 size in         a port access exit (IOIO with its info built from these)
 *
 * Checked besides the sanitizers: an exit the VMM handles never stops the VM (only a shutdown,
 * an unknown exit, or a fault in the delivery of an event or in a guest page-table walk may); no
 * event the VMM hands the kernel has reserved bits; a 32-bit IN clears the upper half of rax.
 */
#include "vmm_fuzz.h"
#include "platform.h"
#include "lapic.h"
#include "reset/reset.h"
#include <libfdt.h>
#include <string.h>

#define RAM_SIZE 0x10000ull
#define PAGES (RAM_SIZE / 4096)
#define IOAPIC_PAGE 0xfec00000ull
#define VIRTIO0 0xd0000000ull
#define VIRTIO1 0xd0000200ull
#define EVENT_RESERVED 0x7ffff000ull
#define NPF_FETCH (1ull << 4)
#define NPF_TABLE_WALK (1ull << 33)

enum { OP_REG, OP_FIELD, OP_EXIT, OP_RESUME, OP_RAM, OP_ENTRY, OP_LINE, OP_CLOCK, OP_PORT,
       OPS };

static struct fuzz_ram ram;
static struct vm vm;
static struct keel_vcpu_state states[VM_MAX_VCPUS];
static uint64_t platform_dt[1024];

static void fdt_cells(void *fdt, const char *name, const uint32_t *cells, unsigned n)
{
    fdt32_t be[4];
    for (unsigned i = 0; i < n; i++) {
        be[i] = cpu_to_fdt32(cells[i]);
    }
    fdt_property(fdt, name, be, (int)(n * 4));
}

/* The VM's device tree: LAPIC, I/O APIC, the ISA bus with a 16550, the exit port, the 8254, the
 * CMOS clock and the ACPI PM block, a virtio console and a virtio net device on I/O APIC lines. */
static void build_platform(void *fdt)
{
    static const uint32_t lapic_reg[4] = { 0, 0xfee00000, 0, 0x1000 };
    static const uint32_t ioapic_reg[4] = { 0, 0xfec00000, 0, 0x1000 };
    static const uint32_t serial_reg[3] = { 1, 0x3f8, 8 }, exit_reg[3] = { 1, 0x501, 1 };
    static const uint32_t pit_reg[3] = { 1, 0x40, 4 }, rtc_reg[3] = { 1, 0x70, 2 };
    static const uint32_t pm_reg[3] = { 1, 0x600, 0x10 };
    static const uint32_t v0_reg[4] = { 0, 0xd0000000, 0, 0x200 };
    static const uint32_t v1_reg[4] = { 0, 0xd0000200, 0, 0x200 };
    static const uint32_t two[1] = { 2 }, one[1] = { 1 };
    static const uint32_t irq4[2] = { 4, 1 }, irq5[2] = { 5, 1 }, irq6[2] = { 6, 1 };
    fdt_create(fdt, sizeof(platform_dt));
    fdt_finish_reservemap(fdt);
    fdt_begin_node(fdt, "");
    fdt_cells(fdt, "#address-cells", two, 1);
    fdt_cells(fdt, "#size-cells", two, 1);
    fdt_begin_node(fdt, "lapic@fee00000");
    fdt_property_string(fdt, "compatible", "intel,ce4100-lapic");
    fdt_cells(fdt, "reg", lapic_reg, 4);
    fdt_end_node(fdt);
    fdt_begin_node(fdt, "ioapic@fec00000");
    fdt_property_string(fdt, "compatible", "intel,ce4100-ioapic");
    fdt_cells(fdt, "reg", ioapic_reg, 4);
    fdt_end_node(fdt);
    fdt_begin_node(fdt, "isa");
    fdt_property_string(fdt, "compatible", "isa");
    fdt_cells(fdt, "#address-cells", two, 1);
    fdt_cells(fdt, "#size-cells", one, 1);
    fdt_begin_node(fdt, "serial@i3f8");
    fdt_property_string(fdt, "compatible", "ns16550a");
    fdt_cells(fdt, "reg", serial_reg, 3);
    fdt_cells(fdt, "interrupts", irq4, 2);
    fdt_end_node(fdt);
    fdt_begin_node(fdt, "exit@i501");
    fdt_property_string(fdt, "compatible", "keel,exit-port");
    fdt_cells(fdt, "reg", exit_reg, 3);
    fdt_end_node(fdt);
    fdt_begin_node(fdt, "timer@i40");
    fdt_property_string(fdt, "compatible", "intel,8254");
    fdt_cells(fdt, "reg", pit_reg, 3);
    fdt_end_node(fdt);
    fdt_begin_node(fdt, "rtc@i70");
    fdt_property_string(fdt, "compatible", "motorola,mc146818");
    fdt_cells(fdt, "reg", rtc_reg, 3);
    fdt_end_node(fdt);
    fdt_begin_node(fdt, "acpi-pm@i600");
    fdt_property_string(fdt, "compatible", "keel,acpi-pm");
    fdt_cells(fdt, "reg", pm_reg, 3);
    fdt_end_node(fdt);
    fdt_end_node(fdt);
    fdt_begin_node(fdt, "virtio@d0000000");
    fdt_property_string(fdt, "compatible", "virtio,mmio");
    fdt_property_string(fdt, "keel,device", "console");
    fdt_cells(fdt, "reg", v0_reg, 4);
    fdt_cells(fdt, "interrupts", irq5, 2);
    fdt_end_node(fdt);
    fdt_begin_node(fdt, "virtio@d0000200");
    fdt_property_string(fdt, "compatible", "virtio,mmio");
    fdt_property_string(fdt, "keel,device", "net");
    fdt_property_string(fdt, "keel,link", "net0");
    fdt_cells(fdt, "reg", v1_reg, 4);
    fdt_cells(fdt, "interrupts", irq6, 2);
    fdt_end_node(fdt);
    fdt_end_node(fdt);
    fdt_finish(fdt);
}

static struct vcpu *vcpu_of(struct fuzz_in *in)
{
    return &vm.vcpus[fuzz_u8(in) % vm.vcpu_count];
}

static uint64_t address(uint64_t value)
{
    static const uint64_t bases[6] = { 0, 0, LAPIC_BASE, IOAPIC_PAGE, VIRTIO0, VIRTIO1 };
    unsigned where = (unsigned)(value >> 56);
    return where >= 1 && where <= 5 ? bases[where] + (value & 0xfff) : value;
}

static void field(struct fuzz_in *in)
{
    struct keel_vcpu_state *s = vcpu_of(in)->state;
    unsigned f = fuzz_u8(in) % 11;
    uint64_t v = fuzz_u64(in);
    switch (f) {
    case 0: s->rip = v; break;
    case 1: s->rflags = v; break;
    case 2: s->cr0 = v; break;
    case 3: s->cr3 = v; break;
    case 4: s->cr4 = v; break;
    case 5: s->efer = v; break;
    case 6: s->cs.attr = (uint16_t)v; break;
    case 7: s->cs.base = (uint32_t)v; break;
    case 8: s->interrupt_shadow = v & 1; break;
    case 9: s->exit_info1 = v; break;
    default: s->exit_info2 = address(v); break;
    }
}

static void check_event(const struct keel_vcpu_state *s)
{
    FUZZ_CHECK((s->inject & EVENT_RESERVED) == 0);
}

/* An exit of the vCPU with the state as it is; returns what the VMM said. */
static int run_exit(struct vcpu *v, uint64_t code, uint8_t info)
{
    struct keel_vcpu_state *s = v->state;
    static const uint64_t event_types[4] = { KEEL_X86_INJECT_EXT_INTR, KEEL_X86_INJECT_NMI,
                                             KEEL_X86_INJECT_EXCEPTION, KEEL_X86_INJECT_SOFT_INT };
    s->exit_code = code;
    /* The hardware's EXITINTINFO: an event the exit interrupted (info bit 7), its type and
     * vector (exceptions below 32, with an error code for #GP). */
    s->exit_int_info = 0;
    if (info & 0x80) {
        uint64_t type = event_types[(info >> 5) & 3];
        unsigned vector = type == KEEL_X86_INJECT_EXCEPTION ? info & 31 : 32 + (info & 31);
        s->exit_int_info = KEEL_X86_INJECT_VALID | type | vector |
                           (vector == 13 ? KEEL_X86_INJECT_ERROR : 0);
    }
    fuzz_self = v;
    int r = arch_vcpu_exit(v, KEEL_VCPU_EXIT_TRAP);
    FUZZ_CHECK(r == 0 || r == -1);
    check_event(s);
    return r;
}

static void exit_once(struct fuzz_in *in)
{
    static const uint64_t codes[10] = { KEEL_X86_EXIT_NPF, KEEL_X86_EXIT_IOIO,
                                        KEEL_X86_EXIT_CPUID, KEEL_X86_EXIT_MSR,
                                        KEEL_X86_EXIT_HLT, KEEL_X86_EXIT_VINTR,
                                        KEEL_X86_EXIT_VMMCALL, KEEL_X86_EXIT_READ_DR0,
                                        KEEL_X86_EXIT_VMRUN, KEEL_X86_EXIT_SHUTDOWN };
    struct vcpu *v = vcpu_of(in);
    uint8_t c = fuzz_u8(in), info = fuzz_u8(in);
    uint64_t code = c < 10 ? codes[c] : c;
    if (c == 7) {
        code += info & 0x1f; /* DR0-15, read or write */
    }
    struct keel_vcpu_state *s = v->state;
    bool may_stop = code == KEEL_X86_EXIT_SHUTDOWN ||
                    (code == KEEL_X86_EXIT_NPF &&
                     ((info & 0x80) || (s->exit_info1 & NPF_TABLE_WALK)));
    int r = run_exit(v, code, info);
    if (c < 10 && !may_stop) {
        FUZZ_CHECK(r == 0); /* nothing the guest does this way may stop its VM */
    }
}

static void port(struct fuzz_in *in)
{
    struct vcpu *v = &vm.vcpus[0];
    struct keel_vcpu_state *s = v->state;
    uint16_t p = fuzz_u16(in);
    uint8_t size = fuzz_u8(in), in_flag = fuzz_u8(in);
    static const uint64_t sizes[4] = { 1u << 4, 1u << 5, 1u << 6, 0 };
    s->exit_info1 = (uint64_t)p << 16 | sizes[size & 3] | (in_flag & 0xd);
    s->exit_info2 = s->rip + 1;
    unsigned width = (s->exit_info1 & (1u << 4)) ? 1 : (s->exit_info1 & (1u << 5)) ? 2 : 4;
    bool in32 = (in_flag & 1) && width == 4 && !(in_flag & 0xc);
    FUZZ_CHECK(run_exit(v, KEEL_X86_EXIT_IOIO, 0) == 0);
    if (in32) {
        FUZZ_CHECK(s->gpr[0] >> 32 == 0);
    }
}

static void entry(struct fuzz_in *in)
{
    unsigned page = fuzz_u8(in) % PAGES, index = fuzz_u16(in), target = fuzz_u8(in) % PAGES;
    uint8_t flags = fuzz_u8(in), wide = fuzz_u8(in);
    uint64_t e = (uint64_t)target << 12 | flags | 1;
    if (wide & 1) {
        memcpy(ram.ram + page * 4096 + (index % 512) * 8, &e, 8);
    } else {
        uint32_t e32 = (uint32_t)e;
        memcpy(ram.ram + page * 4096 + (index % 1024) * 4, &e32, 4);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = fuzz_in_init(data, size);
    static const uint64_t apic_ids[VM_MAX_VCPUS] = { 0, 1, 2, 3, 4, 5, 6, 7 };
    if (!ram.ram) {
        fuzz_ram_init(&ram, 0, RAM_SIZE);
        build_platform(platform_dt);
    }
    fuzz_ram_clear(&ram);
    fuzz_vm_init(&vm, &ram, 1 + fuzz_u8(&in) % VM_MAX_VCPUS, apic_ids, states);
    fuzz_reset_platform();
    FUZZ_CHECK(platform_devices(&vm, platform_dt) == 0);
    for (unsigned i = 0; i < vm.vcpu_count; i++) {
        arch_vcpu_reset(&vm.vcpus[i], 0x1000, 0);
    }
    while (!fuzz_done(&in)) {
        switch (fuzz_u8(&in) % OPS) {
        case OP_REG: {
            struct keel_vcpu_state *s = vcpu_of(&in)->state;
            unsigned r = fuzz_u8(&in) % 16;
            s->gpr[r] = fuzz_u64(&in);
            break;
        }
        case OP_FIELD: field(&in); break;
        case OP_EXIT: exit_once(&in); break;
        case OP_RESUME: {
            struct vcpu *v = vcpu_of(&in);
            fuzz_self = v;
            arch_vcpu_before_resume(v);
            check_event(v->state);
            break;
        }
        case OP_RAM: {
            uint16_t off = fuzz_u16(&in);
            fuzz_ram_fill(&ram, off, &in, fuzz_u8(&in));
            break;
        }
        case OP_ENTRY: entry(&in); break;
        case OP_LINE: {
            uint8_t line = fuzz_u8(&in);
            vm_irq_set(&vm, line % 32, fuzz_u8(&in) & 1);
            break;
        }
        case OP_CLOCK: host_cycles += fuzz_u32(&in); break;
        default: port(&in); break;
        }
    }
    return 0;
}
