/* SPDX-License-Identifier: MIT */
/*
 * The guest instruction behind an MMIO exit (insn.c). SVM's nested page fault gives the
 * guest-physical address but not what the instruction did: the VMM reads the instruction through
 * the guest's own paging and decodes the MOV forms drivers use for MMIO.
 */
#pragma once
#include <stdbool.h>
#include <uapi/keel/vcpu.h>
#include "guest_mem.h"

#define INSN_MAX_LEN 15 /* the architecture's limit, prefixes included */

struct mmio_insn {
    bool write;          /* a store to the MMIO address */
    unsigned width;      /* bytes accessed at the address: 1, 2, 4, 8 */
    unsigned len;        /* instruction bytes, prefixes included */
    /* The gpr[] index loaded (loads) or stored from (stores of a register). With high_byte the
     * register is bits 8-15 of it: AH, CH, DH, BH are gpr[0..3] (encodings 4-7 without REX). */
    unsigned reg;
    bool high_byte;
    bool imm;            /* a store of an immediate (C6, C7): imm_value, masked to width */
    uint64_t imm_value;
    unsigned dest_width; /* loads: bytes written to the register (movzx/movsx: 2, 4, 8) */
    bool sign;           /* loads: movsx */
};

/* Decodes the instruction in code[0 .. avail) run in a code segment of `bits` (16, 32, 64): MOV
 * (88, 89, 8A, 8B, C6 /0, C7 /0, A0-A3), MOVZX, MOVSX with a memory operand. Never reads past
 * avail; returns false for anything else, truncated, or longer than INSN_MAX_LEN. */
bool insn_decode_mmio(const uint8_t *code, unsigned avail, unsigned bits, struct mmio_insn *out);
/* Reads up to max bytes (at most INSN_MAX_LEN) of the instruction at cs:rip, translated through
 * the guest's paging (none, 32-bit, PAE, 4- or 5-level), page by page. Stops at the first byte
 * it cannot reach (not mapped, not RAM). Returns the number of bytes read. */
unsigned insn_fetch(struct vm *vm, const struct keel_vcpu_state *s, uint8_t *buf, unsigned max);
/* A data access at linear address la through the guest's paging, with its access rights as the
 * CPU checks them (present, R/W and U/S at every level; a supervisor write to a read-only page
 * only with CR0.WP; the privilege level is SS's DPL: needs KEEL_VCPU_SYNC_SYS). Accessed and
 * dirty bits are not set. Sets *gpa and returns true when the access
 * is allowed; else false with *pf_error the #PF error code the CPU would push (INSN_PF_*). */
#define INSN_PF_PRESENT 1u
#define INSN_PF_WRITE 2u
#define INSN_PF_USER 4u
bool insn_translate(struct vm *vm, const struct keel_vcpu_state *s, uint64_t la, bool write,
                    uint64_t *gpa, uint32_t *pf_error);
/* The code segment's size: 64 in long mode with CS.L, else 32 with CS.D, else 16. */
unsigned insn_code_bits(const struct keel_vcpu_state *s);
/* The value a store writes (the register, its high byte, or the immediate), masked to width. */
uint64_t insn_store_value(const struct keel_vcpu_state *s, const struct mmio_insn *m);
/* The low width bytes (1, 2, 4, 8) of a register: a mask. */
uint64_t insn_width_mask(unsigned width);
/* Writes a loaded value into the register as x86 does: movzx/movsx extend it first, then a 32-bit
 * result clears the upper half, 8- and 16-bit ones merge into the old value. */
void insn_load_result(struct keel_vcpu_state *s, const struct mmio_insn *m, uint64_t value);
