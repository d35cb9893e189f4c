// SPDX-License-Identifier: MIT
/*
 * Fuzz target rv_plic: the riscv64 VMM's PLIC model (vmm/arch/riscv64/plic.c) and an NS16550A
 * (vmm/dev/uart_ns16550.c) on one of its lines, driven through their MMIO windows by the guest's
 * vCPUs and by device lines rising and falling, as the input says.
 *
 * Input: vcpus (1-8), ndev (riscv,ndev), size16 (the PLIC window in 64 KiB units), uart_irq,
 * then operations:
 *   0 vcpu region index value32 write   a PLIC register (region: priority, pending, enable,
 *                                       context; index: the word in it) from vCPU vcpu
 *   1 off32 width write value32         any PLIC access (offset as is)
 *   2 line level                        a device line (vm_irq_set)
 *   3 vcpu                              claim and complete on vCPU vcpu's S-mode context
 *   4 off width write value             a 16550 access
 *   5 n                                 n bytes of console input for the 16550
 *
 * Checked besides the sanitizers: a claim gives 0 or an existing source that is enabled for the
 * context, above its threshold and no longer pending, and plic_pending() agrees with claims.
 */
#include "vmm_fuzz.h"
#include "plic.h"
#include "dev/uart_ns16550.h"
#include "reset/reset.h"
#include <string.h>

#define RAM_BASE 0x80000000ull
#define PLIC_BASE 0x0c000000ull
#define UART_BASE 0x10000000ull
#define CONTEXT 0x200000u
#define CONTEXT_STRIDE 0x1000u

enum { OP_REG, OP_RAW, OP_LINE, OP_CLAIM, OP_UART, OP_INPUT, OPS };

static struct fuzz_ram ram;
static struct vm vm;
static struct keel_vcpu_state states[VM_MAX_VCPUS];
static struct mmio_device *plic, *uart;
static unsigned ndev;

static bool plic_rw(uint64_t off, unsigned width, bool write, uint32_t *value)
{
    uint64_t v = *value;
    bool ok = plic->access(plic, off, width, write, &v);
    *value = (uint32_t)v;
    return ok;
}

static uint32_t plic_read(uint64_t off)
{
    uint32_t v = 0;
    FUZZ_CHECK(plic_rw(off, 4, false, &v));
    return v;
}

/* Claims on vCPU v's S-mode context, checks what came, and completes it. */
static void claim_complete(struct vcpu *v)
{
    unsigned c = 2 * v->id + 1;
    bool pending = plic_pending(&vm, v);
    uint32_t s = plic_read(CONTEXT + c * CONTEXT_STRIDE + 4);
    FUZZ_CHECK((s != 0) == pending);
    if (s == 0) {
        return;
    }
    FUZZ_CHECK(s <= ndev);
    uint32_t prio = plic_read(4 * s), threshold = plic_read(CONTEXT + c * CONTEXT_STRIDE);
    uint32_t enable = plic_read(0x2000 + 0x80 * c + 4 * (s / 32));
    FUZZ_CHECK(prio > threshold);
    FUZZ_CHECK((enable >> (s % 32)) & 1);
    FUZZ_CHECK(!((plic_read(0x1000 + 4 * (s / 32)) >> (s % 32)) & 1));
    plic_rw(CONTEXT + c * CONTEXT_STRIDE + 4, 4, true, &s);
}

static void reg(struct fuzz_in *in)
{
    unsigned v = fuzz_u8(in) % vm.vcpu_count;
    uint8_t region = fuzz_u8(in) % 4;
    uint16_t index = fuzz_u16(in);
    uint32_t value = fuzz_u32(in);
    bool write = fuzz_u8(in) & 1;
    static const uint64_t base[4] = { 0, 0x1000, 0x2000, CONTEXT };
    uint64_t off = base[region];
    if (region == 2) {
        off += (index >> 8) % 18 * 0x80ull + (index & 0x1f) * 4ull; /* context, word */
    } else if (region == 3) {
        off += (index >> 8) % 18 * (uint64_t)CONTEXT_STRIDE + (index & 1) * 4ull;
    } else {
        off += (index % 0x400) * 4ull;
    }
    fuzz_self = &vm.vcpus[v];
    plic_rw(off, 4, write, &value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = fuzz_in_init(data, size);
    static const uint64_t harts[VM_MAX_VCPUS] = { 0, 1, 2, 3, 4, 5, 6, 7 };
    if (!ram.ram) {
        fuzz_ram_init(&ram, RAM_BASE, 4096);
    }
    fuzz_vm_init(&vm, &ram, 1 + fuzz_u8(&in) % VM_MAX_VCPUS, harts, states);
    fuzz_reset_uart_ns16550();
    ndev = fuzz_u8(&in);
    uint64_t plic_size = (fuzz_u16(&in) + 1ull) << 16;
    unsigned uart_irq = fuzz_u8(&in);
    if (plic_create(&vm, gpa_init(PLIC_BASE), plic_size, ndev) != 0) {
        return 0; /* refused: a bad riscv,ndev or a window too small; nothing to drive */
    }
    plic = vm_device_at(&vm, gpa_init(PLIC_BASE));
    uart = vm_device_add(&vm, "ns16550a", gpa_init(UART_BASE), 0x100);
    FUZZ_CHECK(plic && uart && uart_ns16550_create(uart, &vm, uart_irq, 0) == 0);
    while (!fuzz_done(&in)) {
        switch (fuzz_u8(&in) % OPS) {
        case OP_REG: reg(&in); break;
        case OP_RAW: {
            uint32_t off = fuzz_u32(&in), value;
            unsigned width = 1u << (fuzz_u8(&in) % 4);
            bool write = fuzz_u8(&in) & 1;
            value = fuzz_u32(&in);
            plic_rw(off % plic_size, width, write, &value);
            break;
        }
        case OP_LINE: {
            uint8_t line = fuzz_u8(&in);
            vm_irq_set(&vm, line, fuzz_u8(&in) & 1);
            break;
        }
        case OP_CLAIM: claim_complete(&vm.vcpus[fuzz_u8(&in) % vm.vcpu_count]); break;
        case OP_UART: {
            uint8_t off = fuzz_u8(&in), width = (uint8_t)(1u << (fuzz_u8(&in) % 4));
            bool write = fuzz_u8(&in) & 1;
            uint64_t value = fuzz_u8(&in);
            uart->access(uart, off % 0x100, width, write, &value);
            break;
        }
        default: {
            static const char typed[32] = "typed by the fuzzer\n";
            vm.console_input(&vm, typed, fuzz_u8(&in) % sizeof(typed));
            break;
        }
        }
    }
    return 0;
}
