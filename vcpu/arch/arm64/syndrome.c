// SPDX-License-Identifier: MIT
// arm64 exit syndromes (see syndrome.h).
#include "syndrome.h"

#define ISS_ISV (1u << 24)
#define ISS_SSE (1u << 21)
#define ISS_SF (1u << 15)
#define ISS_WNR (1u << 6)

bool arm64_mmio_decode(uint64_t esr, struct arm64_mmio *a)
{
    uint64_t iss = esr & 0x1ffffff;
    if (!(iss & ISS_ISV)) {
        return false;
    }
    *a = (struct arm64_mmio){ .width = 1u << ((iss >> 22) & 3), .rt = (iss >> 16) & 31,
                              .write = iss & ISS_WNR, .sign = iss & ISS_SSE, .sf = iss & ISS_SF };
    return true;
}

uint64_t arm64_mmio_store_value(const struct keel_vcpu_state *s, const struct arm64_mmio *a)
{
    uint64_t r = a->rt == 31 ? 0 : s->x[a->rt];
    return a->width == 8 ? r : r & ((1ull << (8 * a->width)) - 1);
}

void arm64_mmio_complete(struct keel_vcpu_state *s, const struct arm64_mmio *a, uint64_t value)
{
    if (!a->write && a->rt != 31) {
        if (a->width < 8) {
            value &= (1ull << (8 * a->width)) - 1;
            if (a->sign && (value >> (8 * a->width - 1)) & 1) {
                value |= ~0ull << (8 * a->width);
            }
        }
        s->x[a->rt] = a->sf ? value : value & 0xffffffffull;
    }
    s->pc += 4;
}

/* A synchronous exception to the guest's EL1 with syndrome esr, taken at its pc. */
static void inject_sync(struct keel_vcpu_state *s, uint64_t esr)
{
    unsigned mode = s->pstate & 0xf; /* EL0t 0, EL1t 4, EL1h 5 (the kernel accepts no other) */
    uint64_t vector = mode == 0 ? 0x400 : mode == 5 ? 0x200 : 0x000;
    s->sys.esr_el1 = esr;
    s->sys.elr_el1 = s->pc;
    s->sys.spsr_el1 = s->pstate;
    s->pstate = 0x3c5;
    s->pc = s->sys.vbar_el1 + vector;
    s->sync.dirty |= KEEL_VCPU_SYNC_SYS;
}

void arm64_inject_abort(struct keel_vcpu_state *s, bool instruction, bool write)
{
    unsigned mode = s->pstate & 0xf;
    uint64_t ec = (instruction ? 0x20 : 0x24) | (mode == 0 ? 0 : 1); /* lower / same EL */
    s->sys.far_el1 = s->exit_far;
    inject_sync(s, ec << 26 | 1u << 25 /* IL */ | (write ? 1u << 6 : 0) | 0x10 /* external */);
}

void arm64_inject_undefined(struct keel_vcpu_state *s)
{
    inject_sync(s, 1u << 25); /* EC 0, "unknown reason": what an UNDEFINED instruction gives */
}
