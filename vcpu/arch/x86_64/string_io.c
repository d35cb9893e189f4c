// SPDX-License-Identifier: MIT
/*
 * String port I/O behind an IOIO exit (see string_io.h): the checks and steps of INS and OUTS
 * (Intel SDM vol. 2, INS/OUTS and REP; AMD APM vol. 2 §15.10.2 for the exit's information word),
 * done by the VMM one element at a time. Memory is reached only through insn_translate() and
 * guest_mem_ptr(): an address outside guest RAM is never read or written.
 */
#include "string_io.h"
#include "insn.h"
#include <string.h>

#define IOIO_IN (1u << 0)
#define IOIO_REP (1u << 3)
#define CR0_PE (1ull << 0)
#define CR4_LA57 (1ull << 12)
#define EFER_LMA (1ull << 10)
#define RFLAGS_DF (1ull << 10)
#define RFLAGS_VM (1ull << 17)
#define SEG_P 0x80u
#define SEG_L 0x200u
#define SEG_DB 0x400u
#define SEG_CODE 0x8u        /* type bit 3: a code segment */
#define SEG_EXPAND_DOWN 0x4u /* type bit 2 of a data segment */
#define VECTOR_SS 12
#define VECTOR_GP 13
#define VECTOR_PF 14
#define PAGE_BYTES 4096ull

enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS };

static const struct keel_x86_segment *segment(const struct keel_vcpu_state *s, unsigned seg)
{
    switch (seg) {
    case SEG_ES:
        return &s->sys.es;
    case SEG_CS:
        return &s->cs;
    case SEG_SS:
        return &s->sys.ss;
    case SEG_FS:
        return &s->sys.fs;
    case SEG_GS:
        return &s->sys.gs;
    default:
        return &s->sys.ds;
    }
}

static void inject(struct keel_vcpu_state *s, unsigned vector, uint32_t code)
{
    s->inject = KEEL_X86_INJECT_VALID | KEEL_X86_INJECT_EXCEPTION | KEEL_X86_INJECT_ERROR | vector |
                (uint64_t)code << 32;
}

/* Outside 64-bit mode: whether bytes [ea, ea + width) are inside the segment (expand-up: up to
 * the limit; expand-down: above it, up to 64 KiB or 4 GiB by its B bit). Real mode's segments
 * have their limit too (64 KiB unless a guest left them bigger). */
static bool within_limit(const struct keel_x86_segment *sg, uint64_t ea, unsigned width)
{
    uint64_t last = ea + width - 1;
    if (!(sg->attr & SEG_CODE) && (sg->attr & SEG_EXPAND_DOWN)) {
        uint64_t top = (sg->attr & SEG_DB) ? 0xffffffffu : 0xffffu;
        return ea > sg->limit && last <= top;
    }
    return last <= sg->limit;
}

static bool canonical(uint64_t la, unsigned va_bits)
{
    uint64_t top = la >> (va_bits - 1);
    return top == 0 || top == ~0ull >> (va_bits - 1);
}

/* The guest memory of the width bytes at linear address la, page by page (an element may straddle
 * two pages): part[i] with len[i] bytes. Both parts are translated, with the access rights of a
 * read or a write, before either is touched. */
struct element {
    uint8_t *part[2];
    unsigned len[2];
};

static enum string_io_end resolve(struct vm *vm, struct keel_vcpu_state *s, uint64_t la,
                                  unsigned width, bool write, bool long64, struct element *el,
                                  uint64_t *fault_la)
{
    unsigned first = (unsigned)(PAGE_BYTES - (la & (PAGE_BYTES - 1)));
    el->len[0] = first < width ? first : width;
    el->len[1] = width - el->len[0];
    for (unsigned i = 0; i < 2; i++) {
        uint64_t part_la = la + (i ? el->len[0] : 0), gpa;
        if (!long64) {
            part_la &= 0xffffffffu; /* linear addresses wrap at 4 GiB outside 64-bit mode */
        }
        uint32_t error;
        el->part[i] = NULL;
        if (!el->len[i]) {
            continue;
        }
        if (!insn_translate(vm, s, part_la, write, &gpa, &error)) {
            s->sys.cr2 = part_la;
            s->sync.dirty |= KEEL_VCPU_SYNC_SYS;
            inject(s, VECTOR_PF, error);
            *fault_la = part_la;
            return STRING_IO_FAULT;
        }
        el->part[i] = guest_mem_ptr(vm, gpa_init(gpa), el->len[i]); /* NULL: not RAM */
    }
    return STRING_IO_DONE;
}

/* The segment and address size (16, 32, 64) of the INS or OUTS at cs:rip, from its prefixes:
 * the last segment override counts, 67h switches the code segment's size (64 to 32, 32 to 16,
 * 16 to 32); false when the bytes there are no INS or OUTS. */
static bool decode(struct vm *vm, const struct keel_vcpu_state *s, unsigned *seg, unsigned *asz)
{
    uint8_t code[INSN_MAX_LEN];
    unsigned n = insn_fetch(vm, s, code, sizeof(code)), bits = insn_code_bits(s);
    *seg = SEG_DS;
    *asz = bits;
    for (unsigned i = 0; i < n; i++) {
        switch (code[i]) {
        case 0x26:
            *seg = SEG_ES;
            continue;
        case 0x2e:
            *seg = SEG_CS;
            continue;
        case 0x36:
            *seg = SEG_SS;
            continue;
        case 0x3e:
            *seg = SEG_DS;
            continue;
        case 0x64:
            *seg = SEG_FS;
            continue;
        case 0x65:
            *seg = SEG_GS;
            continue;
        case 0x67:
            *asz = bits == 32 ? 16 : 32;
            continue;
        case 0x66:
        case 0xf0:
        case 0xf2:
        case 0xf3:
            continue;
        default:
            break;
        }
        if (bits == 64 && (code[i] & 0xf0) == 0x40) {
            continue; /* REX */
        }
        return code[i] >= 0x6c && code[i] <= 0x6f;
    }
    return false;
}

/* Adds delta to a register in the address size: 16 bits merge, 32 bits clear the upper half. */
static void advance(uint64_t *reg, int64_t delta, uint64_t mask)
{
    uint64_t v = (*reg + (uint64_t)delta) & mask;
    *reg = mask == 0xffffu ? (*reg & ~mask) | v : v;
}

struct string_io_result string_io(struct vm *vm, struct keel_vcpu_state *s, string_io_port_fn port,
                                  void *ctx, unsigned max_elements)
{
    struct string_io_result r = { STRING_IO_DONE, 0, 0, 0, 0 };
    uint64_t info = s->exit_info1;
    unsigned portno = (unsigned)(info >> 16) & 0xffff, seg, asz;
    unsigned width = (info & (1u << 4)) ? 1 : (info & (1u << 5)) ? 2 : 4;
    bool in = info & IOIO_IN, rep = info & IOIO_REP;
    bool long64 = (s->efer & EFER_LMA) && (s->cs.attr & SEG_L);
    if (!decode(vm, s, &seg, &asz)) {
        r.end = STRING_IO_RETRY;
        return r;
    }
    if (in) {
        seg = SEG_ES; /* INS writes through ES, whatever the prefixes */
    }
    uint64_t mask = asz == 16 ? 0xffffu : asz == 32 ? 0xffffffffu : ~0ull;
    if (max_elements == 0) {
        max_elements = 1;
    }
    const struct keel_x86_segment *sg = segment(s, seg);
    uint64_t *index = &s->gpr[in ? 7 : 6]; /* rDI or rSI */
    uint64_t count = rep ? s->gpr[1] & mask : 1;
    int64_t delta = (s->rflags & RFLAGS_DF) ? -(int64_t)width : (int64_t)width;
    unsigned fault_vector = seg == SEG_SS ? VECTOR_SS : VECTOR_GP;

    while (count > 0) {
        if (r.elements == max_elements) {
            r.end = STRING_IO_AGAIN;
            return r;
        }
        uint64_t ea = *index & mask, la;
        if (long64) {
            la = ((seg == SEG_FS || seg == SEG_GS) ? sg->base : 0) + ea;
            unsigned va_bits = (s->cr4 & CR4_LA57) ? 57 : 48;
            if (!canonical(la, va_bits) || !canonical(la + width - 1, va_bits)) {
                inject(s, fault_vector, 0);
                r.end = STRING_IO_FAULT;
                r.la = la;
                return r;
            }
        } else {
            /* In protected mode (not virtual-8086 mode, whose segments are real mode's whatever
             * attributes the state holds) INS writes a data segment with W, OUTS reads a data
             * segment or a code segment with R (type bit 1 both). */
            bool protected_mode = (s->cr0 & CR0_PE) && !(s->rflags & RFLAGS_VM);
            bool code = sg->attr & SEG_CODE, rw = sg->attr & 2;
            bool usable = !protected_mode || (sg->attr & SEG_P);
            bool allowed = !protected_mode || (in ? !code && rw : !code || rw);
            if (!usable || !allowed || !within_limit(sg, ea, width)) {
                inject(s, fault_vector, 0);
                r.end = STRING_IO_FAULT;
                r.la = (sg->base + ea) & 0xffffffffu;
                return r;
            }
            la = (sg->base + ea) & 0xffffffffu;
        }
        /* Memory first (for INS too: a fault must not lose the port's input), then the port. */
        struct element el;
        enum string_io_end e = resolve(vm, s, la, width, in, long64, &el, &r.la);
        if (e != STRING_IO_DONE) {
            r.end = e;
            return r;
        }
        if ((el.len[0] && !el.part[0]) || (el.len[1] && !el.part[1])) {
            if (r.not_ram++ == 0) {
                r.la = la;
            }
        }
        uint8_t buf[4] = { 0xff, 0xff, 0xff, 0xff }; /* memory that is not RAM reads all ones */
        uint64_t value = 0;
        if (!in) {
            if (el.part[0]) {
                memcpy(buf, el.part[0], el.len[0]);
            }
            if (el.part[1]) {
                memcpy(buf + el.len[0], el.part[1], el.len[1]);
            }
            memcpy(&value, buf, width); /* little-endian, as the guest */
        }
        if (!port(ctx, portno, width, !in, &value)) {
            value = insn_width_mask(width);
            r.unanswered++;
        }
        if (in) {
            memcpy(buf, &value, width);
            if (el.part[0]) {
                memcpy(el.part[0], buf, el.len[0]);
            }
            if (el.part[1]) {
                memcpy(el.part[1], buf + el.len[0], el.len[1]);
            }
        }
        r.elements++;
        advance(index, delta, mask);
        if (rep) {
            advance(&s->gpr[1], -1, mask);
        }
        count--;
    }
    return r;
}
