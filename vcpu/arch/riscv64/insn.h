/* SPDX-License-Identifier: MIT */
/*
 * The guest instruction behind an MMIO exit (insn.c): from htinst when the hardware gives it,
 * otherwise read from guest memory through the guest's own translation (vsatp).
 */
#pragma once
#include <stdbool.h>
#include <uapi/keel/vcpu.h>
#include "guest_mem.h"

struct mmio_insn {
    bool write;
    bool sign;       /* loads: sign-extend */
    unsigned width;  /* bytes: 1, 2, 4, 8 */
    unsigned reg;    /* x register loaded or stored */
    unsigned len;    /* instruction bytes: 2 or 4 */
};

/* Decodes a load or store: a raw instruction (16 or 32 bits), or an htinst value (a transformed
 * instruction: bit 1 clear means compressed). Returns false for anything else (FP loads and
 * stores included: the VMM cannot reach the guest's f-registers). */
bool insn_decode_mmio(uint32_t insn, bool transformed, struct mmio_insn *out);
/* Reads the guest's instruction at its virtual address pc (translated with vsatp unless that is
 * Bare). Returns false when it cannot be read (not in RAM,
 * not mapped). */
bool insn_fetch(struct vm *vm, const struct keel_vcpu_state *s, uint64_t pc, uint32_t *insn);
