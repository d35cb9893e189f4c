// SPDX-License-Identifier: MIT
/*
 * Fuzz target rv_insn: the riscv64 VMM's decoder of the loads and stores behind MMIO exits
 * (vcpu/arch/riscv64/insn.c: raw, compressed, and as htinst gives them) and its fetch of the
 * guest's instruction through the guest's own page table (Bare, Sv39, Sv48, Sv57), with 64 KiB
 * of guest RAM between guard pages, read only through vm.c's guest_mem_ptr().
 *
 * Input: operations until it ends:
 *   0 insn32 transformed        decode an instruction (transformed: its low bit)
 *   1 off16 n bytes...          n bytes into RAM
 *   2 page index16 target mode  a page-table entry: in RAM page `page` (of 16), entry index % 512,
 *                               pointing at RAM page target (mode bit 7: a raw 44-bit PPN in
 *                               the next 8 bytes instead); the flags are mode's low 7 bits | V
 *   3 satp root pc64            fetch at pc with vsatp mode satp (0 Bare, 8-10 Sv39-57, else the
 *                               byte itself) and its root table at RAM page root, then decode
 *
 * Checked besides the sanitizers: what a decoded instruction says (width, register, length,
 * sign only for loads) and that a fetched 32-bit instruction is whole.
 */
#include "vmm_fuzz.h"
#include "insn.h"
#include <string.h>

#define RAM_BASE 0x80000000ull
#define RAM_SIZE 0x10000ull
#define PAGES (RAM_SIZE / 4096)

enum { OP_DECODE, OP_RAM, OP_PTE, OP_FETCH, OPS };

static struct fuzz_ram ram;
static struct vm vm;
static struct keel_vcpu_state states[1];

static void check_decoded(uint32_t insn, bool transformed, const struct mmio_insn *m)
{
    FUZZ_CHECK(m->width == 1 || m->width == 2 || m->width == 4 || m->width == 8);
    FUZZ_CHECK(m->reg < 32);
    FUZZ_CHECK(m->len == 2 || m->len == 4);
    FUZZ_CHECK(!(m->write && m->sign));
    FUZZ_CHECK(!(m->sign && m->width == 8));
    if (!transformed) {
        FUZZ_CHECK((m->len == 4) == ((insn & 3) == 3));
    }
}

static void decode(uint32_t insn, bool transformed)
{
    struct mmio_insn m;
    if (insn_decode_mmio(insn, transformed, &m)) {
        check_decoded(insn, transformed, &m);
    }
}

static void pte(struct fuzz_in *in)
{
    unsigned page = fuzz_u8(in) % PAGES, index = fuzz_u16(in) % 512, target = fuzz_u8(in);
    uint8_t mode = fuzz_u8(in);
    uint64_t ppn = (mode & 0x80) ? fuzz_u64(in) & ((1ull << 44) - 1)
                                 : (RAM_BASE >> 12) + target % PAGES;
    uint64_t e = ppn << 10 | (mode & 0x7f) | 1;
    memcpy(ram.ram + page * 4096 + index * 8, &e, 8);
}

static void fetch(struct fuzz_in *in)
{
    uint8_t satp = fuzz_u8(in);
    unsigned root = fuzz_u8(in) % PAGES;
    uint64_t pc = fuzz_u64(in);
    uint64_t mode = satp == 0 ? 0 : (satp >= 8 && satp <= 10) ? satp : satp >> 4;
    struct keel_vcpu_state *s = &states[0];
    s->vsatp = mode << 60 | ((RAM_BASE >> 12) + root);
    uint32_t insn = 0;
    if (insn_fetch(&vm, s, pc, &insn)) {
        if ((insn & 3) != 3) {
            FUZZ_CHECK(insn >> 16 == 0); /* a compressed one is 16 bits */
        }
        decode(insn, false);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = fuzz_in_init(data, size);
    static const uint64_t hart[1] = { 0 };
    if (!ram.ram) {
        fuzz_ram_init(&ram, RAM_BASE, RAM_SIZE);
    }
    fuzz_ram_clear(&ram);
    fuzz_vm_init(&vm, &ram, 1, hart, states);
    while (!fuzz_done(&in)) {
        switch (fuzz_u8(&in) % OPS) {
        case OP_DECODE: {
            uint32_t insn = fuzz_u32(&in);
            decode(insn, fuzz_u8(&in) & 1);
            break;
        }
        case OP_RAM: {
            uint16_t off = fuzz_u16(&in);
            fuzz_ram_fill(&ram, off, &in, fuzz_u8(&in));
            break;
        }
        case OP_PTE: pte(&in); break;
        default: fetch(&in); break;
        }
    }
    return 0;
}
