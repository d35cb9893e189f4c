// SPDX-License-Identifier: MIT
/*
 * Fuzz target arm64_gic: the arm64 VMM's interrupt controller model (vmm/arch/arm64/vgic.c) with
 * its GICv3 (vgic_v3.c: distributor, one redistributor per vCPU, SGIs from ICC_SGI1R_EL1) or
 * GICv2 (vgic_v2.c: distributor with banked registers, ITARGETSR, GICD_SGIR) front end, driven
 * through the MMIO windows by the vCPUs the input names, by device lines, and by list-register
 * fills before resumes. Between fills the input plays the hardware and the guest: list
 * registers go from pending to active to done, and the kernel may take one for the virtual
 * timer.
 *
 * Input: version (bit 0: GICv2), vcpus (1-8), list registers (0-8), then operations:
 *   0 vcpu off16 width write value64   a distributor access from vCPU vcpu
 *   1 vcpu where off16 width write value64   a GICv3 redistributor access (where: bits 0-6
 *                                       whose frame, bit 7 its SGI page)
 *   2 intid level                       a device line (vm_irq_set)
 *   3 vcpu what...                      the guest's progress on vCPU vcpu's list registers (a
 *                                       byte each: keep, take (active), finish, kernel's timer),
 *                                       then a fill (vgic_flush)
 *   4 vcpu sgi1r64                      a trapped ICC_SGI1R_EL1 write (GICv3)
 *   5 vcpu                              the virtual timer fired with no free list register
 *
 * Checked besides the sanitizers: after a fill, each list register the model owns names an
 * interrupt of 0-127 that records being in that vCPU's list registers, no interrupt is in two of
 * them, every interrupt the model marks as listed is in one, and an underflow request comes
 * only with every list register in use.
 */
#include "vmm_fuzz.h"
#include "vgic_model.h"
#include <string.h>

#define DIST 0x08000000ull
#define REDIST 0x080a0000ull
#define CPUIF 0x08010000ull
#define LR_INTID(lr) ((uint32_t)(lr))

enum { OP_DIST, OP_REDIST, OP_LINE, OP_FLUSH, OP_SGI, OP_VTIMER, OPS };

static struct fuzz_ram ram;
static struct vm vm;
static struct keel_vcpu_state states[VM_MAX_VCPUS];
static struct mmio_device *dist, *redist;
static unsigned lrs;

static struct vcpu *vcpu_of(struct fuzz_in *in)
{
    return &vm.vcpus[fuzz_u8(in) % vm.vcpu_count];
}

static unsigned width_of(uint8_t w)
{
    static const unsigned widths[8] = { 4, 4, 4, 1, 8, 2, 3, 0 };
    return widths[w & 7];
}

static void guest_access(struct mmio_device *d, uint64_t off, struct fuzz_in *in)
{
    unsigned width = width_of(fuzz_u8(in));
    bool write = fuzz_u8(in) & 1;
    uint64_t value = fuzz_u64(in);
    if (d && off < d->size && width <= d->size - off) {
        d->access(d, off, width, write, &value);
    }
}

/* The hardware and the guest between two fills: per list register, what became of it. */
static void progress(struct vcpu *v, struct fuzz_in *in)
{
    struct keel_vcpu_state *s = v->state;
    for (unsigned l = 0; l < KEEL_VGIC_LRS; l++) {
        uint64_t *lr = &s->vgic_lr[l];
        switch (fuzz_u8(in) % 4) {
        case 0: break;
        case 1: /* taken: active */
            if (*lr & KEEL_VGIC_LR_PENDING) {
                *lr = (*lr & ~KEEL_VGIC_LR_PENDING) | KEEL_VGIC_LR_ACTIVE;
            }
            break;
        case 2: *lr &= ~LR_STATE; break; /* deactivated */
        default: /* the kernel's virtual timer in a free one */
            if (!(*lr & LR_STATE) && l < lrs) {
                *lr = KEEL_VGIC_LR_PENDING | VTIMER_INTID;
            }
            break;
        }
    }
}

static void check_lists(void)
{
    struct vgic *g = vm.arch.gic;
    for (unsigned c = 0; c < vm.vcpu_count; c++) {
        const struct vcpu *v = &vm.vcpus[c];
        const struct keel_vcpu_state *s = v->state;
        bool all_used = true;
        for (unsigned l = 0; l < lrs; l++) {
            all_used = all_used && (s->vgic_lr[l] & LR_STATE);
        }
        if (s->vgic_flags & KEEL_VGIC_UNDERFLOW) {
            FUZZ_CHECK(all_used);
        }
        for (unsigned l = 0; l < KEEL_VGIC_LRS; l++) {
            if (!(v->arch.lr_owned & (1u << l))) {
                continue;
            }
            FUZZ_CHECK(l < lrs);
            unsigned intid = v->arch.lr_intid[l];
            FUZZ_CHECK(intid < 32 + VGIC_SPIS);
            struct vgic_irq *i = vgic_irq_of(g, c, intid);
            FUZZ_CHECK(i && i->in_lr == c + 1);
            for (unsigned k = l + 1; k < KEEL_VGIC_LRS; k++) {
                FUZZ_CHECK(!(v->arch.lr_owned & (1u << k)) || v->arch.lr_intid[k] != intid);
            }
        }
    }
    /* Every interrupt that says it is listed is in an owned list register of its vCPU. */
    for (unsigned c = 0; c < vm.vcpu_count; c++) {
        for (unsigned intid = 0; intid < 32 + VGIC_SPIS; intid++) {
            struct vgic_irq *i = vgic_irq_of(g, c, intid);
            if (!i->in_lr || (intid >= 32 && c > 0)) {
                continue; /* SPIs are looked at once */
            }
            const struct vcpu *owner = &vm.vcpus[i->in_lr - 1];
            bool found = false;
            for (unsigned l = 0; l < KEEL_VGIC_LRS; l++) {
                found = found || ((owner->arch.lr_owned & (1u << l)) &&
                                  owner->arch.lr_intid[l] == intid);
            }
            FUZZ_CHECK(i->in_lr <= vm.vcpu_count && found);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = fuzz_in_init(data, size);
    uint64_t mpidr[VM_MAX_VCPUS];
    if (!ram.ram) {
        fuzz_ram_init(&ram, 0x40000000, 4096);
    }
    bool v2 = fuzz_u8(&in) & 1;
    unsigned vcpus = 1 + fuzz_u8(&in) % VM_MAX_VCPUS;
    lrs = fuzz_u8(&in) % (KEEL_VGIC_LRS + 1);
    for (unsigned i = 0; i < VM_MAX_VCPUS; i++) {
        mpidr[i] = (i & 3) | (uint64_t)(i >> 2) << 8; /* two clusters of four */
    }
    fuzz_vm_init(&vm, &ram, vcpus, mpidr, states);
    for (unsigned i = 0; i < vcpus; i++) {
        states[i].vgic_lr_count = lrs;
    }
    if (v2) {
        FUZZ_CHECK(vgic_create_v2(&vm, gpa_init(DIST), gpa_init(CPUIF)) == 0);
    } else {
        FUZZ_CHECK(vgic_create(&vm, gpa_init(DIST), gpa_init(REDIST), vcpus * 0x20000ull) == 0);
    }
    dist = vm_device_at(&vm, gpa_init(DIST));
    redist = v2 ? NULL : vm_device_at(&vm, gpa_init(REDIST));
    while (!fuzz_done(&in)) {
        switch (fuzz_u8(&in) % OPS) {
        case OP_DIST: {
            fuzz_self = vcpu_of(&in);
            guest_access(dist, fuzz_u16(&in), &in);
            break;
        }
        case OP_REDIST: {
            fuzz_self = vcpu_of(&in);
            uint8_t where = fuzz_u8(&in);
            uint64_t frame = (where & 0x7f) % (vcpus + 1), page = (where & 0x80) ? GICR_SGI : 0;
            guest_access(redist, frame * GICR_FRAME + page + fuzz_u16(&in), &in);
            break;
        }
        case OP_LINE: {
            uint8_t intid = fuzz_u8(&in);
            vm_irq_set(&vm, intid, fuzz_u8(&in) & 1);
            break;
        }
        case OP_FLUSH: {
            struct vcpu *v = vcpu_of(&in);
            progress(v, &in);
            fuzz_self = v;
            vgic_flush(&vm, v);
            vgic_has_pending(&vm, v);
            check_lists();
            break;
        }
        case OP_SGI: {
            struct vcpu *v = vcpu_of(&in);
            vgic_sgi(&vm, v, fuzz_u64(&in));
            break;
        }
        default: vgic_vtimer(&vm, vcpu_of(&in)); break;
        }
    }
    return 0;
}
