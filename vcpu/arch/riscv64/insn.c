// SPDX-License-Identifier: MIT
/*
 * Guest loads and stores behind MMIO exits (see insn.h). The H extension may give the trapping
 * instruction in htinst, transformed (offsets zeroed, bit 1 clear for a compressed one); when it
 * gives zero, the instruction is read from guest memory, walking the guest's own page table
 * (Sv39/Sv48/Sv57) when vsatp is not Bare. Every table entry and the instruction itself are read
 * through guest_mem_ptr(): a walk outside guest RAM fails instead of reading VMM memory.
 */
#include "insn.h"
#include <string.h>

/* Small copies out of guest memory (any alignment) inline, on the path of every MMIO exit. */
#define copy_in(dst, src, n) __builtin_memcpy((dst), (src), (n))

enum { OP_LOAD = 0x03, OP_STORE = 0x23 };
#define PTE_V 1u
#define PTE_R 2u
#define PTE_X 8u

static bool decode32(uint32_t i, struct mmio_insn *m)
{
    unsigned f3 = (i >> 12) & 7;
    if ((i & 0x7f) == OP_LOAD && f3 != 7) {
        m->write = false;
        m->width = 1u << (f3 & 3);
        m->sign = f3 < 4 && f3 != 3;
        m->reg = (i >> 7) & 31;
        return true;
    }
    if ((i & 0x7f) == OP_STORE && f3 < 4) {
        m->write = true;
        m->width = 1u << f3;
        m->sign = false;
        m->reg = (i >> 20) & 31;
        return true;
    }
    return false;
}

/* C.LW, C.LD, C.SW, C.SD (registers x8..x15) and their stack-pointer forms. */
static bool decode16(uint32_t i, struct mmio_insn *m)
{
    unsigned f3 = (i >> 13) & 7, quadrant = i & 3;
    if ((quadrant != 0 && quadrant != 2) || (f3 & 3) < 2) {
        return false;
    }
    m->write = f3 >= 6;
    m->width = (f3 & 1) ? 8 : 4;
    m->sign = !m->write && m->width == 4;
    if (quadrant == 0) {
        m->reg = 8 + ((i >> 2) & 7);
    } else {
        m->reg = m->write ? (i >> 2) & 31 : (i >> 7) & 31;
    }
    return true;
}

bool insn_decode_mmio(uint32_t insn, bool transformed, struct mmio_insn *out)
{
    if (transformed) {
        /* Bit 0 set; bit 1 tells the length; with bit 1 set it is a 32-bit instruction. */
        if (!(insn & 1)) {
            return false; /* zero or a pseudoinstruction (a VS-stage table access) */
        }
        out->len = (insn & 2) ? 4 : 2;
        return decode32(insn | 2, out);
    }
    if ((insn & 3) == 3) {
        out->len = 4;
        return decode32(insn, out);
    }
    out->len = 2;
    return decode16(insn & 0xffff, out);
}

/* The guest-physical address of va under vsatp (Bare: va itself). */
static bool translate(struct vm *vm, uint64_t vsatp, uint64_t va, uint64_t *gpa)
{
    unsigned mode = (unsigned)(vsatp >> 60);
    if (mode == 0) {
        *gpa = va;
        return true;
    }
    if (mode < 8 || mode > 10) {
        return false;
    }
    unsigned levels = mode - 5; /* Sv39: 3, Sv48: 4, Sv57: 5 */
    uint64_t table = (vsatp & ((1ull << 44) - 1)) << 12;
    for (int level = (int)levels - 1; level >= 0; level--) {
        unsigned shift = 12 + 9 * (unsigned)level;
        uint64_t *e = guest_mem_ptr(vm, gpa_init(table + ((va >> shift) & 511) * 8), 8);
        uint64_t pte;
        if (!e) {
            return false;
        }
        copy_in(&pte, e, 8);
        if (!(pte & PTE_V)) {
            return false;
        }
        uint64_t base = ((pte >> 10) & ((1ull << 44) - 1)) << 12;
        if (pte & (PTE_R | PTE_X)) {
            uint64_t size = 1ull << shift;
            *gpa = (base & ~(size - 1)) | (va & (size - 1));
            return true;
        }
        table = base;
    }
    return false;
}

static bool fetch16(struct vm *vm, uint64_t vsatp, uint64_t va, uint16_t *half)
{
    uint64_t gpa;
    void *p;
    if (!translate(vm, vsatp, va, &gpa) || !(p = guest_mem_ptr(vm, gpa_init(gpa), 2))) {
        return false;
    }
    copy_in(half, p, 2);
    return true;
}

bool insn_fetch(struct vm *vm, const struct keel_vcpu_state *s, uint64_t pc, uint32_t *insn)
{
    uint64_t gpa;
    uint16_t lo, hi = 0;
    if (!translate(vm, s->vsatp, pc, &gpa)) {
        return false;
    }
    /* Both halves through one translation when they share the page (the common case). */
    bool one_page = (pc & 0xfff) != 0xffe;
    const uint8_t *p4 = one_page ? guest_mem_ptr(vm, gpa_init(gpa), 4) : NULL;
    const uint8_t *p = p4 ? p4 : guest_mem_ptr(vm, gpa_init(gpa), 2);
    if (!p) {
        return false;
    }
    copy_in(&lo, p, 2);
    if ((lo & 3) == 3) {
        if (p4) {
            copy_in(&hi, p4 + 2, 2);
        } else if (one_page || !fetch16(vm, s->vsatp, pc + 2, &hi)) {
            return false; /* past the end of RAM, or the next page is not readable */
        }
    }
    *insn = (uint32_t)lo | (uint32_t)hi << 16;
    return true;
}
