// SPDX-License-Identifier: MIT
/*
 * An emulated PLIC (RISC-V platform-level interrupt controller, the SiFive/QEMU virt layout).
 *
 *   0x000000 + 4 s        priority of source s (0: never; 1..7)
 *   0x001000 + 4 w        pending bits (read-only)
 *   0x002000 + 0x80 c     enable bits of context c
 *   0x200000 + 0x1000 c   threshold of context c; + 4: claim (read) / complete (write)
 *
 * A source becomes pending on a rise of its line (vm_irq_set), or when it is completed while
 * its line is still high: so level lines and the one-edge pulses of virtio both work. A claimed
 * source is in service until completed; it may become pending again meanwhile (an edge), but is
 * not delivered until then. Only 32-bit accesses. The VM device tree says which context is
 * whose, in vCPU order:
 *
 *   plic: interrupt-controller@c000000 { compatible = "sifive,plic-1.0.0", "riscv,plic0";
 *       reg = <0x0 0xc000000 0x0 0x600000>; #interrupt-cells = <1>; interrupt-controller;
 *       riscv,ndev = <31>; interrupts-extended = <&cpu0_intc 11>, <&cpu0_intc 9>; };
 */
#include "plic.h"
#include "../../vcpu.h"
#include <keel/rt.h>
#include <string.h>

#define MAX_SOURCES 128 /* including source 0, which does not exist */
#define WORDS (MAX_SOURCES / 32)
#define CONTEXTS (2 * VM_MAX_VCPUS)
#define PRIORITY_MASK 7u
#define PENDING 0x1000
#define ENABLE 0x2000
#define ENABLE_STRIDE 0x80
#define CONTEXT 0x200000
#define CONTEXT_STRIDE 0x1000

struct vplic {
    struct vm *vm;
    unsigned sources;              /* 1..sources-1 exist */
    uint32_t priority[MAX_SOURCES];
    uint32_t pending[WORDS], in_service[WORDS], line[WORDS];
    uint32_t enable[CONTEXTS][WORDS];
    uint32_t threshold[CONTEXTS];
};

static struct vplic the_plic;

static bool bit(const uint32_t *w, unsigned s) { return (w[s / 32] >> (s % 32)) & 1; }
static void set_bit(uint32_t *w, unsigned s, bool on)
{
    w[s / 32] = on ? w[s / 32] | (1u << (s % 32)) : w[s / 32] & ~(1u << (s % 32));
}

/* The number of x's lowest set bit (x not 0), without a ctz instruction (rv64imac has none, and
 * libgcc's is built for another float ABI): a de Bruijn multiply. */
static unsigned lowest_bit(uint32_t x)
{
    static const uint8_t index[32] = {
        0,  1,  28, 2,  29, 14, 24, 3, 30, 22, 20, 15, 25, 17, 4,  8,
        31, 27, 13, 23, 21, 19, 16, 7, 26, 12, 18, 6,  11, 5,  10, 9
    };
    return index[((x & -x) * 0x077cb531u) >> 27];
}

/* The source context c would claim now (highest priority over its threshold, lowest number
 * first), or 0. */
static unsigned best(const struct vplic *p, unsigned c)
{
    unsigned found = 0;
    uint32_t prio = p->threshold[c];
    for (unsigned w = 0; w < WORDS; w++) {
        uint32_t ready = p->pending[w] & ~p->in_service[w] & p->enable[c][w];
        for (; ready; ready &= ready - 1) { /* only the sources that are ready, lowest first */
            unsigned s = 32 * w + lowest_bit(ready);
            if (p->priority[s] > prio) {
                prio = p->priority[s];
                found = s;
            }
        }
    }
    return found;
}

/* Whoever might now have an interrupt looks (a kick makes a running vCPU leave its guest). */
static void wake(struct vplic *p, unsigned s)
{
    struct vm *vm = p->vm;
    for (unsigned i = 0; i < vm->vcpu_count; i++) {
        if (bit(p->enable[2 * i + 1], s)) {
            vcpu_kick(&vm->vcpus[i]);
        }
    }
}

void vm_irq_set(struct vm *vm, unsigned intid, bool level)
{
    struct vplic *p = vm->arch.plic;
    if (!p || intid == 0 || intid >= p->sources) {
        return;
    }
    vm_lock(&vm->irq_lock);
    bool rise = level && !bit(p->line, intid);
    set_bit(p->line, intid, level);
    if (rise) {
        set_bit(p->pending, intid, true);
        wake(p, intid);
    }
    vm_unlock(&vm->irq_lock);
}

bool plic_pending(struct vm *vm, struct vcpu *v)
{
    struct vplic *p = vm->arch.plic;
    if (!p) {
        return false;
    }
    vm_lock(&vm->irq_lock);
    bool r = best(p, 2 * v->id + 1) != 0;
    vm_unlock(&vm->irq_lock);
    return r;
}

static uint32_t claim(struct vplic *p, unsigned c)
{
    unsigned s = best(p, c);
    if (s) {
        set_bit(p->pending, s, false);
        set_bit(p->in_service, s, true);
    }
    return s;
}

static void complete(struct vplic *p, unsigned s)
{
    if (s == 0 || s >= p->sources || !bit(p->in_service, s)) {
        return; /* not claimed: ignored, as the hardware does */
    }
    set_bit(p->in_service, s, false);
    if (bit(p->line, s)) {
        set_bit(p->pending, s, true); /* a level line still high: again */
    }
    wake(p, s);
}

static bool plic_access(struct mmio_device *d, uint64_t off, unsigned width, bool write, uint64_t *v)
{
    struct vplic *p = d->state;
    unsigned contexts = 2 * p->vm->vcpu_count;
    uint32_t val = (uint32_t)*v, r = 0;
    if (width != 4 || (off & 3)) {
        return false;
    }
    if (off < PENDING) {
        unsigned s = (unsigned)(off / 4);
        if (s == 0 || s >= p->sources) {
            return false;
        }
        if (write) {
            p->priority[s] = val & PRIORITY_MASK;
            wake(p, s);
        }
        r = p->priority[s];
    } else if (off < ENABLE) {
        unsigned w = (unsigned)((off - PENDING) / 4);
        if (write) {
            return false; /* read-only */
        }
        r = w < WORDS ? p->pending[w] : 0;
    } else if (off < CONTEXT) {
        unsigned c = (unsigned)((off - ENABLE) / ENABLE_STRIDE);
        unsigned w = (unsigned)((off - ENABLE) % ENABLE_STRIDE) / 4;
        if (c >= contexts) {
            return false;
        }
        if (w >= WORDS) {
            return true; /* sources we do not have: read zero, writes ignored */
        }
        if (write) {
            p->enable[c][w] = val & (w == 0 ? ~1u : ~0u); /* source 0 does not exist */
            for (unsigned b = 0; b < 32; b++) {
                if ((val >> b) & 1) {
                    wake(p, 32 * w + b);
                }
            }
        }
        r = p->enable[c][w];
    } else {
        unsigned c = (unsigned)((off - CONTEXT) / CONTEXT_STRIDE);
        unsigned reg = (unsigned)((off - CONTEXT) % CONTEXT_STRIDE);
        if (c >= contexts || reg > 4) {
            return false;
        }
        if (reg == 0) {
            if (write) {
                p->threshold[c] = val & PRIORITY_MASK;
            }
            r = p->threshold[c];
        } else if (write) {
            complete(p, val);
        } else {
            r = claim(p, c);
        }
    }
    if (!write) {
        *v = r;
    }
    return true;
}

int plic_create(struct vm *vm, gpa_t base, uint64_t size, unsigned sources)
{
    struct vplic *p = &the_plic;
    struct mmio_device *d;
    if (vm->arch.plic || sources == 0 || sources >= MAX_SOURCES ||
        size < CONTEXT + (uint64_t)(2 * vm->vcpu_count) * CONTEXT_STRIDE) {
        printf("vmm: %s: the PLIC needs riscv,ndev 1..%u and room for a context pair per vCPU\n",
               vm->name, MAX_SOURCES - 1);
        return -1;
    }
    if (!(d = vm_device_add(vm, "plic", base, size))) {
        printf("vmm: %s: too many devices\n", vm->name);
        return -1;
    }
    d->lock = &vm->irq_lock; /* the model is the interrupt controller */
    memset(p, 0, sizeof(*p));
    p->vm = vm;
    p->sources = sources + 1;
    d->state = p;
    d->access = plic_access;
    vm->arch.plic = p;
    return 0;
}

void plic_reset(struct vm *vm)
{
    struct vplic *p = vm->arch.plic;
    if (!p) {
        return; /* (a VM without one) */
    }
    vm_lock(&vm->irq_lock);
    memset(p->priority, 0, sizeof(p->priority));
    memset(p->in_service, 0, sizeof(p->in_service));
    memset(p->enable, 0, sizeof(p->enable));
    memset(p->threshold, 0, sizeof(p->threshold));
    /* The gateways start afresh: a line still high (its device's reset left it so) is a request
     * again, as a level line asks; the others are not pending. */
    memcpy(p->pending, p->line, sizeof(p->pending));
    vm_unlock(&vm->irq_lock);
}
