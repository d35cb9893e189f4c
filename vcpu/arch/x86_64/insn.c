// SPDX-License-Identifier: MIT
/*
 * Guest loads and stores behind MMIO exits (see insn.h). SVM's NPF exit has no decoded
 * instruction (decode assists give only the bytes, and only sometimes), so the VMM reads the
 * instruction at cs:rip through the guest's own paging and decodes it itself. Only the MOV forms
 * drivers use for MMIO are accepted; anything else, truncated or over the 15-byte limit is
 * refused, and the caller injects a fault. Every table entry and instruction byte is read
 * through guest_mem_ptr(): a walk outside guest RAM fails instead of reading VMM memory.
 */
#include "insn.h"
#include <string.h>

#define CR0_PG (1ull << 31)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define EFER_LMA (1ull << 10)
#define SEG_L 0x200u  /* CS.L: 64-bit code (SVM packed attributes) */
#define SEG_DB 0x400u /* CS.D: 32-bit code */

#define CR0_WP (1ull << 16)
#define RFLAGS_VM (1ull << 17)
#define PTE_P 1ull
#define PTE_RW 2ull
#define PTE_US 4ull
#define PTE_PS 0x80ull
#define PTE_ADDR 0x000ffffffffff000ull /* bits 51:12 of a PAE or long-mode entry */
#define PTE32_ADDR 0xfffff000ull

#define REX_W 8u
#define REX_R 4u

uint64_t insn_width_mask(unsigned width)
{
    return width >= 8 ? ~0ull : (1ull << (8 * width)) - 1;
}

/* The instruction bytes not yet decoded: [pos, end), end at most INSN_MAX_LEN. */
struct cursor {
    const uint8_t *code;
    unsigned pos, end;
};

/* Takes n (0-8) little-endian bytes; false when they are not all there. */
static bool take(struct cursor *c, unsigned n, uint64_t *value)
{
    uint64_t v = 0;
    if (n > c->end - c->pos) {
        return false;
    }
    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)c->code[c->pos + i] << (8 * i);
    }
    c->pos += n;
    *value = v;
    return true;
}

/* Skips a ModRM memory operand with its SIB and displacement, giving the reg field. A register
 * operand (mod 3) cannot be what faulted on MMIO. */
static bool take_modrm(struct cursor *c, unsigned addr_bytes, unsigned *reg)
{
    uint64_t modrm, sib = 0, disp;
    unsigned disp_bytes;
    if (!take(c, 1, &modrm)) {
        return false;
    }
    unsigned mod = (unsigned)modrm >> 6, rm = (unsigned)modrm & 7;
    *reg = ((unsigned)modrm >> 3) & 7;
    if (mod == 3) {
        return false;
    }
    if (addr_bytes == 2) {
        /* No SIB; mod 00 rm 110 is a bare disp16. */
        disp_bytes = mod == 1 ? 1 : (mod == 2 || rm == 6) ? 2 : 0;
    } else {
        if (rm == 4 && !take(c, 1, &sib)) {
            return false;
        }
        /* mod 00: rm 101 is disp32 (RIP-relative in 64-bit mode), as is SIB base 101. */
        if (mod == 1) {
            disp_bytes = 1;
        } else if (mod == 2 || rm == 5 || (rm == 4 && (sib & 7) == 5)) {
            disp_bytes = 4;
        } else {
            disp_bytes = 0;
        }
    }
    return take(c, disp_bytes, &disp);
}

/* CS, DS, ES, FS, GS, SS overrides do not matter: the exit gives the physical address. */
static bool is_segment_override(uint64_t byte)
{
    return byte == 0x26 || byte == 0x2e || byte == 0x36 || byte == 0x3e || byte == 0x64 ||
           byte == 0x65;
}

/* The register of an 88-8B instruction: without REX, byte registers 4-7 are AH, CH, DH, BH. */
static void set_reg(struct mmio_insn *m, unsigned reg, unsigned rex)
{
    if (m->width == 1 && rex == 0 && reg >= 4) {
        m->reg = reg - 4;
        m->high_byte = true;
    } else {
        m->reg = reg | ((rex & REX_R) ? 8 : 0);
    }
}

bool insn_decode_mmio(const uint8_t *code, unsigned avail, unsigned bits, struct mmio_insn *out)
{
    struct cursor c = { code, 0, avail < INSN_MAX_LEN ? avail : INSN_MAX_LEN };
    struct mmio_insn m = { 0 };
    bool opsize = false, addrsize = false;
    unsigned rex = 0, reg, op;
    uint64_t byte, ignored;
    if (bits != 16 && bits != 32 && bits != 64) {
        return false;
    }
    /* Legacy prefixes; each takes a byte of the 15, which bounds them. LOCK is refused: MOV
     * with it is #UD, so a real MMIO exit never comes from one. */
    for (;;) {
        if (!take(&c, 1, &byte)) {
            return false;
        }
        if (byte == 0x66) {
            opsize = true;
        } else if (byte == 0x67) {
            addrsize = true;
        } else if (!is_segment_override(byte)) {
            break;
        }
    }
    /* REX only counts just before the opcode; anything after it but the opcode is refused. */
    if (bits == 64 && (byte & 0xf0) == 0x40) {
        rex = (unsigned)byte;
        if (!take(&c, 1, &byte)) {
            return false;
        }
    }
    op = (unsigned)byte;
    /* 66 and 67 switch to the other size of the mode; REX.W wins over 66. */
    unsigned op_bytes = bits == 16 ? (opsize ? 4 : 2) : (opsize ? 2 : 4);
    if (rex & REX_W) {
        op_bytes = 8;
    }
    unsigned addr_bytes = bits == 64   ? (addrsize ? 4 : 8)
                          : bits == 32 ? (addrsize ? 2 : 4)
                                       : (addrsize ? 4 : 2);

    switch (op) {
    case 0x88: /* mov r/m8, r8 */
    case 0x89: /* mov r/m, r */
    case 0x8a: /* mov r8, r/m8 */
    case 0x8b: /* mov r, r/m */
        if (!take_modrm(&c, addr_bytes, &reg)) {
            return false;
        }
        m.write = !(op & 2);
        m.width = (op & 1) ? op_bytes : 1;
        set_reg(&m, reg, rex);
        break;
    case 0xc6: /* mov r/m8, imm8 */
    case 0xc7: /* mov r/m, imm16/32 (sign-extended to 64 with REX.W) */
        if (!take_modrm(&c, addr_bytes, &reg) || reg != 0) {
            return false;
        }
        m.write = true;
        m.imm = true;
        m.width = op == 0xc6 ? 1 : op_bytes;
        if (!take(&c, m.width < 4 ? m.width : 4, &m.imm_value)) {
            return false;
        }
        if (m.width == 8) {
            m.imm_value = (m.imm_value ^ 0x80000000u) - 0x80000000u; /* sign-extend imm32 */
        }
        break;
    case 0xa0: /* mov al, moffs8 */
    case 0xa1: /* mov rAX, moffs */
    case 0xa2: /* mov moffs8, al */
    case 0xa3: /* mov moffs, rAX */
        if (!take(&c, addr_bytes, &ignored)) {
            return false;
        }
        m.write = op & 2;
        m.width = (op & 1) ? op_bytes : 1;
        m.reg = 0;
        break;
    case 0x0f: /* movzx (B6, B7), movsx (BE, BF) */
        if (!take(&c, 1, &byte) || (byte != 0xb6 && byte != 0xb7 && byte != 0xbe && byte != 0xbf)) {
            return false;
        }
        if (!take_modrm(&c, addr_bytes, &reg)) {
            return false;
        }
        m.width = (byte & 1) ? 2 : 1;
        m.dest_width = op_bytes;
        m.sign = byte & 8;
        m.reg = reg | ((rex & REX_R) ? 8 : 0);
        break;
    default:
        return false; /* F2/F3 (string, rep), F0 and every other instruction */
    }
    if (!m.write && m.dest_width == 0) {
        m.dest_width = m.width;
    }
    m.len = c.pos;
    *out = m;
    return true;
}

unsigned insn_code_bits(const struct keel_vcpu_state *s)
{
    if ((s->efer & EFER_LMA) && (s->cs.attr & SEG_L)) {
        return 64;
    }
    return (s->cs.attr & SEG_DB) ? 32 : 16;
}

enum paging { PAGING_32, PAGING_PAE, PAGING_LONG };

/* Reads the paging-structure entry of entry_bytes (4 or 8) at gpa; false when not in RAM. */
static bool read_entry(struct vm *vm, uint64_t gpa, unsigned entry_bytes, uint64_t *entry)
{
    const void *p = guest_mem_ptr(vm, gpa_init(gpa), entry_bytes);
    if (!p) {
        return false;
    }
    if (entry_bytes == 4) {
        uint32_t e;
        memcpy(&e, p, 4);
        *entry = e;
    } else {
        memcpy(entry, p, 8);
    }
    return true;
}

/* The guest-physical address of linear address la under the guest's paging. Each level is read
 * once; false when an entry is not present, a large-page bit is where no large page can be, or
 * a paging structure is not in RAM. *rights gets what every level allows: PTE_RW and PTE_US
 * (without paging both). */
static bool translate(struct vm *vm, const struct keel_vcpu_state *s, uint64_t la, uint64_t *gpa,
                      uint64_t *rights)
{
    enum paging mode;
    unsigned levels, entry_bytes, index_bits;
    uint64_t table;
    *rights = PTE_RW | PTE_US;
    if (!(s->cr0 & CR0_PG)) {
        *gpa = la;
        return true;
    }
    if (s->efer & EFER_LMA) {
        mode = PAGING_LONG;
        levels = (s->cr4 & CR4_LA57) ? 5 : 4;
        entry_bytes = 8;
        index_bits = 9;
        table = s->cr3 & PTE_ADDR;
    } else if (s->cr4 & CR4_PAE) {
        mode = PAGING_PAE;
        levels = 3;
        entry_bytes = 8;
        index_bits = 9; /* the top level has 4 entries: la has 32 bits */
        table = s->cr3 & 0xffffffe0u;
    } else {
        mode = PAGING_32;
        levels = 2;
        entry_bytes = 4;
        index_bits = 10;
        table = s->cr3 & PTE32_ADDR;
    }
    for (unsigned level = levels; level >= 1; level--) {
        unsigned shift = 12 + index_bits * (level - 1);
        uint64_t index = (la >> shift) & ((1u << index_bits) - 1), e;
        if (!read_entry(vm, table + index * entry_bytes, entry_bytes, &e) || !(e & PTE_P)) {
            return false;
        }
        if (mode != PAGING_PAE || level < 3) { /* PAE PDPTEs have no R/W or U/S */
            *rights &= e & (PTE_RW | PTE_US);
        }
        bool leaf = level == 1; /* bit 7 of a PTE is PAT */
        if (level > 1 && (e & PTE_PS)) {
            if (mode == PAGING_LONG ? level <= 3 : level == 2) {
                leaf = mode != PAGING_32 || (s->cr4 & CR4_PSE);
            } else {
                return false; /* PML4E, PML5E or PAE PDPTE: the bit is reserved */
            }
        }
        uint64_t base;
        if (mode != PAGING_32) {
            base = e & PTE_ADDR;
        } else if (leaf && level == 2) {
            base = (e & 0xffc00000u) | ((e >> 13) & 0xff) << 32; /* 4 MiB, PSE-36 */
        } else {
            base = e & PTE32_ADDR; /* without CR4.PSE the PS bit is ignored */
        }
        if (leaf) {
            uint64_t size = 1ull << shift;
            *gpa = (base & ~(size - 1)) | (la & (size - 1));
            return true;
        }
        table = base;
    }
    return false;
}

bool insn_translate(struct vm *vm, const struct keel_vcpu_state *s, uint64_t la, bool write,
                    uint64_t *gpa, uint32_t *pf_error)
{
    /* CPL: SS's DPL in protected mode (CS's DPL differs in conforming code; the SVM back end
     * keeps the VMCB's CPL there, VT-x has it so by architecture); 3 in virtual-8086 mode. */
    bool user = (s->cr0 & 1) && ((s->rflags & RFLAGS_VM) || ((s->sys.ss.attr >> 5) & 3) == 3);
    uint64_t rights;
    *pf_error = (write ? INSN_PF_WRITE : 0) | (user ? INSN_PF_USER : 0);
    if (!translate(vm, s, la, gpa, &rights)) {
        return false;
    }
    /* Supervisor writes ignore R/W unless CR0.WP; user accesses need U/S (and R/W to write). */
    bool ok = (!user || (rights & PTE_US)) &&
              (!write || (rights & PTE_RW) || (!user && !(s->cr0 & CR0_WP)));
    if (!ok) {
        *pf_error |= INSN_PF_PRESENT;
    }
    return ok;
}

/* A 64-bit linear address whose bits above the paging's width copy its top bit. */
static bool canonical(uint64_t la, unsigned va_bits)
{
    uint64_t top = la >> (va_bits - 1);
    return top == 0 || top == ~0ull >> (va_bits - 1);
}

unsigned insn_fetch(struct vm *vm, const struct keel_vcpu_state *s, uint8_t *buf, unsigned max)
{
    bool code64 = insn_code_bits(s) == 64;
    unsigned va_bits = (s->cr4 & CR4_LA57) ? 57 : 48, n = 0;
    if (max > INSN_MAX_LEN) {
        max = INSN_MAX_LEN;
    }
    /* Page by page: the instruction may cross into a page mapped elsewhere, or not at all. */
    while (n < max) {
        /* 64-bit code ignores the CS base; other code wraps at 4 GiB. */
        uint64_t la = code64 ? s->rip + n : (s->cs.base + s->rip + n) & 0xffffffffu, gpa, rights;
        /* Access rights are not checked: the CPU has just run the instruction. */
        if ((code64 && !canonical(la, va_bits)) || !translate(vm, s, la, &gpa, &rights)) {
            break;
        }
        uint64_t in_page = PAGE_SIZE - (la & (PAGE_SIZE - 1));
        unsigned chunk = in_page < max - n ? (unsigned)in_page : max - n;
        for (unsigned i = 0; i < chunk; i++, n++) {
            const uint8_t *p = guest_code_ptr(vm, gpa_init(gpa + i), 1);
            if (!p) {
                return n;
            }
            buf[n] = *p;
        }
    }
    return n;
}

uint64_t insn_store_value(const struct keel_vcpu_state *s, const struct mmio_insn *m)
{
    if (m->imm) {
        return m->imm_value & insn_width_mask(m->width);
    }
    uint64_t r = s->gpr[m->reg & 15];
    return (m->high_byte ? r >> 8 : r) & insn_width_mask(m->width);
}

void insn_load_result(struct keel_vcpu_state *s, const struct mmio_insn *m, uint64_t value)
{
    uint64_t *r = &s->gpr[m->reg & 15], v = value & insn_width_mask(m->width);
    unsigned dest = m->dest_width ? m->dest_width : m->width;
    if (m->sign && m->width < 8) {
        uint64_t top = 1ull << (8 * m->width - 1);
        v = (v ^ top) - top;
    }
    if (m->high_byte) {
        *r = (*r & ~0xff00ull) | (v & 0xff) << 8;
    } else if (dest == 4) {
        *r = (uint32_t)v; /* 32-bit results clear the upper half */
    } else {
        *r = (*r & ~insn_width_mask(dest)) | (v & insn_width_mask(dest));
    }
}
