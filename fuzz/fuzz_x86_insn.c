// SPDX-License-Identifier: MIT
/*
 * Fuzz target x86_insn: the x86_64 VMM's MMIO instruction emulation (vcpu/arch/x86_64/insn.c):
 * the MOV-family decoder on instruction bytes from the input, the fetch of the instruction at
 * cs:rip through the guest's paging (none, 32-bit with and without PSE, PAE, 4- and 5-level) in
 * 64 KiB of guest RAM at guest-physical 0 between guard pages, and the register write-back.
 *
 * Input: operations until it ends:
 *   0 bits n bytes...          decode n (0-19) bytes as code of `bits` (0: 16, 1: 32, 2: 64,
 *                              3: the next byte as is), from a heap copy of exactly n bytes
 *   1 off16 n bytes...         n bytes into RAM
 *   2 page index16 target flags8 wide   a paging-structure entry in RAM page `page` (of 16):
 *                              8 bytes (wide bit 0) or 4, entry index, to RAM page target,
 *                              flags | P (wide bit 1: a raw 64-bit entry follows instead)
 *   3 mode rip64 base32 root   fetch at cs:rip and decode: mode bits 0-2 the paging (none,
 *                              32-bit, 32-bit PSE, PAE, 4-level, 5-level), bits 3-4 CS.L, CS.D;
 *                              root: the RAM page of CR3
 *   4 value64 reg rest...      write-back: a load of value into a decoded instruction's
 *                              register (decoded from the bytes that follow, as op 0)
 *
 * Checked besides the sanitizers: a decoded instruction's fields (width, register, length at
 * most the bytes there and 15, high-byte registers, immediates only for stores); decoding only
 * its own len bytes gives the same; a fetch reads at most what was asked; the write-back changes
 * only the register named, and a store's value fits its width.
 */
#include "vmm_fuzz.h"
#include "insn.h"
#include <string.h>

#define RAM_SIZE 0x10000ull
#define PAGES (RAM_SIZE / 4096)
#define CR0_PG (1ull << 31)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define EFER_LMA (1ull << 10)
#define EFER_LME (1ull << 8)

enum { OP_DECODE, OP_RAM, OP_ENTRY, OP_FETCH, OP_WRITEBACK, OPS };

static struct fuzz_ram ram;
static struct vm vm;
static struct keel_vcpu_state states[1];

static bool same(const struct mmio_insn *a, const struct mmio_insn *b)
{
    return a->write == b->write && a->width == b->width && a->len == b->len &&
           a->reg == b->reg && a->high_byte == b->high_byte && a->imm == b->imm &&
           a->imm_value == b->imm_value && a->dest_width == b->dest_width && a->sign == b->sign;
}

/* Decodes a heap copy of exactly n bytes (AddressSanitizer sees any read past them). */
static bool decode_copy(const uint8_t *code, unsigned n, unsigned bits, struct mmio_insn *m)
{
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, code, n);
    bool ok = insn_decode_mmio(copy, n, bits, m);
    free(copy);
    return ok;
}

static void check_decoded(const uint8_t *code, unsigned n, unsigned bits,
                          const struct mmio_insn *m)
{
    FUZZ_CHECK(m->len >= 1 && m->len <= n && m->len <= INSN_MAX_LEN);
    FUZZ_CHECK(m->width == 1 || m->width == 2 || m->width == 4 || m->width == 8);
    FUZZ_CHECK(m->reg < 16);
    FUZZ_CHECK(!m->high_byte || (m->reg < 4 && m->width == 1));
    FUZZ_CHECK(!m->imm || m->write);
    FUZZ_CHECK(!m->sign || !m->write);
    if (m->imm) {
        FUZZ_CHECK(m->width == 8 || (m->imm_value & ~insn_width_mask(m->width)) == 0);
    }
    if (!m->write) {
        FUZZ_CHECK(m->dest_width >= m->width && m->dest_width <= 8);
    }
    /* An instruction is its own len bytes: the decoder needs nothing after them. */
    struct mmio_insn again;
    FUZZ_CHECK(decode_copy(code, m->len, bits, &again) && same(m, &again));
}

static unsigned code_bits(struct fuzz_in *in)
{
    static const unsigned bits[3] = { 16, 32, 64 };
    uint8_t b = fuzz_u8(in) % 4;
    return b < 3 ? bits[b] : fuzz_u8(in);
}

static bool decode(struct fuzz_in *in, struct mmio_insn *m)
{
    unsigned bits = code_bits(in);
    size_t n;
    const uint8_t *code = fuzz_bytes(in, fuzz_u8(in) % 20, &n);
    if (!decode_copy(code, (unsigned)n, bits, m)) {
        return false;
    }
    check_decoded(code, (unsigned)n, bits, m);
    return true;
}

static void entry(struct fuzz_in *in)
{
    unsigned page = fuzz_u8(in) % PAGES, index = fuzz_u16(in), target = fuzz_u8(in) % PAGES;
    uint8_t flags = fuzz_u8(in), wide = fuzz_u8(in);
    uint64_t e = (uint64_t)target << 12 | flags | 1;
    if (wide & 2) {
        e = fuzz_u64(in);
    }
    if (wide & 1) {
        memcpy(ram.ram + page * 4096 + (index % 512) * 8, &e, 8);
    } else {
        uint32_t e32 = (uint32_t)e;
        memcpy(ram.ram + page * 4096 + (index % 1024) * 4, &e32, 4);
    }
}

static void fetch(struct fuzz_in *in)
{
    struct keel_vcpu_state *s = &states[0];
    uint8_t mode = fuzz_u8(in);
    s->rip = fuzz_u64(in);
    s->cs.base = fuzz_u32(in);
    uint64_t root = (fuzz_u8(in) % PAGES) * 4096ull;
    static const struct { uint64_t cr0, cr4, efer; } paging[6] = {
        { 0, 0, 0 },
        { CR0_PG, 0, 0 },
        { CR0_PG, CR4_PSE, 0 },
        { CR0_PG, CR4_PAE, 0 },
        { CR0_PG, CR4_PAE, EFER_LME | EFER_LMA },
        { CR0_PG, CR4_PAE | CR4_LA57, EFER_LME | EFER_LMA },
    };
    unsigned p = (mode & 7) % 6;
    s->cr0 = paging[p].cr0;
    s->cr4 = paging[p].cr4;
    s->efer = paging[p].efer;
    s->cr3 = root | (p == 3 ? (mode >> 5) * 32ull : 0); /* PAE: the 32-byte PDPT in the page */
    s->cs.attr = (uint16_t)(((mode >> 3) & 1) ? 0x200 : 0) | (((mode >> 4) & 1) ? 0x400 : 0);
    uint8_t code[INSN_MAX_LEN + 1];
    memset(code, 0xcc, sizeof(code));
    unsigned n = insn_fetch(&vm, s, code, INSN_MAX_LEN);
    FUZZ_CHECK(n <= INSN_MAX_LEN && code[INSN_MAX_LEN] == 0xcc);
    struct mmio_insn m;
    unsigned bits = insn_code_bits(s);
    FUZZ_CHECK(bits == 16 || bits == 32 || bits == 64);
    if (decode_copy(code, n, bits, &m)) {
        check_decoded(code, n, bits, &m);
    }
}

static void writeback(struct fuzz_in *in)
{
    struct keel_vcpu_state *s = &states[0], before;
    uint64_t value = fuzz_u64(in);
    for (unsigned i = 0; i < 16; i++) {
        s->gpr[i] = 0x1111111111111111ull * i;
    }
    struct mmio_insn m;
    if (!decode(in, &m)) {
        return;
    }
    before = *s;
    if (m.write) {
        FUZZ_CHECK((insn_store_value(s, &m) & ~insn_width_mask(m.width)) == 0);
        return;
    }
    insn_load_result(s, &m, value);
    for (unsigned i = 0; i < 16; i++) {
        FUZZ_CHECK(i == m.reg || s->gpr[i] == before.gpr[i]);
    }
    uint64_t r = s->gpr[m.reg];
    if (m.high_byte) {
        FUZZ_CHECK((r & ~0xff00ull) == (before.gpr[m.reg] & ~0xff00ull));
    } else if (m.dest_width == 4) {
        FUZZ_CHECK(r >> 32 == 0);
    } else if (m.dest_width < 8) {
        FUZZ_CHECK((r & ~insn_width_mask(m.dest_width)) ==
                   (before.gpr[m.reg] & ~insn_width_mask(m.dest_width)));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = fuzz_in_init(data, size);
    static const uint64_t apic[1] = { 0 };
    if (!ram.ram) {
        fuzz_ram_init(&ram, 0, RAM_SIZE);
    }
    fuzz_ram_clear(&ram);
    fuzz_vm_init(&vm, &ram, 1, apic, states);
    while (!fuzz_done(&in)) {
        struct mmio_insn m;
        switch (fuzz_u8(&in) % OPS) {
        case OP_DECODE: decode(&in, &m); break;
        case OP_RAM: {
            uint16_t off = fuzz_u16(&in);
            fuzz_ram_fill(&ram, off, &in, fuzz_u8(&in));
            break;
        }
        case OP_ENTRY: entry(&in); break;
        case OP_FETCH: fetch(&in); break;
        default: writeback(&in); break;
        }
    }
    return 0;
}
