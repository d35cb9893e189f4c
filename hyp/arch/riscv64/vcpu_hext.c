// SPDX-License-Identifier: MIT
/*
 * Extended vCPU mode on riscv64 (H extension): the guest runs in VS/VU-mode with the VM task's
 * G-stage table in hgatp. The kernel works on its own copy of the state area (the VMM may change
 * the area at any time), checks the privilege it is asked to return to (hstatus.SPV/SPVP and
 * sstatus.SPP are the kernel's), loads the VS CSRs, the virtual interrupts the VMM asserts
 * (hvip) and the guest's timer (Sstc vstimecmp), and runs the guest until an exit the VMM must
 * see. Interrupts that arrive while the guest runs are the kernel's: it handles them, may
 * schedule, and goes back into the guest unless something arrived for the VMM thread.
 *
 * Floating point: Keel and its tasks run with sstatus.FS off; a guest's f-registers live in the
 * thread's private part while it is out, and stay in the hart's registers after a run until
 * another vCPU loads its own there (fp_owner), so a VMM round trip reloads nothing.
 */
#include <keel/arch/vcpu_ext.h>
#include <keel/thread.h>
#include <keel/task.h>
#include <keel/percpu.h>
#include <keel/sched.h>
#include <keel/bkl.h>
#include <keel/arch/timer.h>
#include <arch/csr.h>
#include <arch/sbi.h>
#include <uapi/keel/vcpu.h>
#include <uapi/keel/err.h>
#include <string.h>
#include "hext.h"
#include "gstage.h"
#include "internal.h"

struct vcpu_private {
    uint64_t fp[33];  /* f0..f31, fcsr (fp.S) */
    unsigned fp_cpu;  /* the hart whose registers last held them */
    unsigned ran_on;  /* the hart it last ran on, + 1 (0: none yet) */
};

const uint64_t arch_vcpu_state_size = sizeof(struct keel_vcpu_state);
const uint64_t arch_vcpu_private_size = sizeof(struct vcpu_private);

static struct thread *fp_owner[KEEL_MAX_CPUS]; /* whose f-registers each hart holds */


void arch_vcpu_release(struct thread *t)
{
    for (unsigned i = 0; i < KEEL_MAX_CPUS; i++) {
        if (fp_owner[i] == t) {
            fp_owner[i] = NULL; /* a new thread at the same address must not find them */
        }
    }
}

static void load_vs(const struct keel_vcpu_state *s, struct task *vm)
{
    gstage_load(&vm->mem.pt); /* zeroes vsatp first */
    /* Supervisor CSRs without a VS copy: the guest's values while it runs (the spec leaves
     * swapping them to the hypervisor), the tasks' at all other times. */
    csr_write(scounteren, s->scounteren);
    csr_write(senvcfg, s->senvcfg);
    csr_write(vsstatus, s->vsstatus);
    csr_write(vsie, s->vsie);
    csr_write(vstvec, s->vstvec);
    csr_write(vsscratch, s->vsscratch);
    csr_write(vsepc, s->vsepc);
    csr_write(vscause, s->vscause);
    csr_write(vstval, s->vstval);
    csr_write(vsatp, s->vsatp);
    if (hext_sstc) {
        csr_write(vstimecmp, s->vstimecmp);
    }
}

static void save_vs(struct keel_vcpu_state *s)
{
    s->scounteren = csr_read(scounteren);
    s->senvcfg = csr_read(senvcfg);
    csr_write(scounteren, hext_host_scounteren); /* the tasks' counters, whatever the guest set */
    csr_write(senvcfg, hext_host_senvcfg);
    s->vsstatus = csr_read(vsstatus);
    s->vsie = csr_read(vsie);
    s->vstvec = csr_read(vstvec);
    s->vsscratch = csr_read(vsscratch);
    s->vsepc = csr_read(vsepc);
    s->vscause = csr_read(vscause);
    s->vstval = csr_read(vstval);
    s->vsatp = csr_read(vsatp);
    s->hvip = csr_read(hvip) & HIP_VS; /* the guest may have cleared VSSIP */
    if (hext_sstc) {
        s->vstimecmp = csr_read(vstimecmp);
    }
    csr_write(hvip, 0);
}

/* The guest's f-registers into this hart's, unless they are still there. FS on (clean). */
static void fp_get(struct thread *self, struct vcpu_private *p)
{
    unsigned cpu = this_cpu()->id;
    csr_set(sstatus, SSTATUS_FS_CLEAN);
    if (fp_owner[cpu] != self || p->fp_cpu != cpu) {
        arch_fp_load(p->fp);
        fp_owner[cpu] = self;
        p->fp_cpu = cpu;
    }
}

/* Keeps what the guest changed, and turns FP off for whatever runs next on this hart. */
static void fp_put(struct vcpu_private *p)
{
    if ((csr_read(sstatus) & SSTATUS_FS) == SSTATUS_FS_DIRTY) {
        arch_fp_save(p->fp);
    }
    csr_clear(sstatus, SSTATUS_FS);
}

/* Fences the VMM asked for (KEEL_VCPU_REQ_*), with the guest's VMID in hgatp. */
static void do_requests(uint64_t r)
{
    if (r & KEEL_VCPU_REQ_FENCE_I) {
        __asm__ volatile("fence.i" ::: "memory");
    }
    if (r & KEEL_VCPU_REQ_FENCE_VMA) {
        __asm__ volatile(".option push\n.option arch, +h\nhfence.vvma zero, zero\n.option pop"
                         ::: "memory");
    }
}

/* Without Sstc the guest's timer is the SBI one, kept here (the state area's vstimecmp): due, it
 * is made pending (VSTIP); not yet, this hart's timer is armed for it, and its interrupt brings
 * the guest out and back through here. (The VMM sets VSTIP too before it resumes: a guest that
 * exits often gets it either way; one that spins gets it only from this.) */
static void sbi_timer(struct keel_vcpu_state *k, struct percpu *c)
{
    if (k->vstimecmp == UINT64_MAX) {
        return;
    }
    if (arch_timer_now() >= k->vstimecmp) {
        k->hvip |= KEEL_HVIP_VSTIP;
    } else if (k->vstimecmp < c->timer_armed) {
        c->timer_armed = k->vstimecmp;
        arch_timer_set_deadline(k->vstimecmp);
    }
}

int64_t arch_vcpu_begin(struct vcpu_run *r, struct thread *self, struct task *vm, const void *area)
{
    if (!hext_present) {
        return -KEEL_EPROTO;
    }
    memcpy(&r->k, area, sizeof(r->k));
    if (r->k.priv > 1 || !self->vcpu.arch) {
        return -KEEL_EINVAL;
    }
    r->k.features = hext_sstc ? KEEL_VCPU_SSTC : 0;
    r->self = self;
    r->vm = vm;
    return 0;
}

void arch_vcpu_load(struct vcpu_run *r)
{
    struct vcpu_private *p = r->self->vcpu.arch;
    unsigned cpu = this_cpu()->id;
    load_vs(&r->k, r->vm);
    fp_get(r->self, p);
    if (p->ran_on && p->ran_on != cpu + 1) {
        /* Moved: this hart may hold translations or instructions the guest has since fenced
         * elsewhere (its sfence.vma and fence.i are local). */
        r->k.requests |= KEEL_VCPU_REQ_FENCE_VMA | KEEL_VCPU_REQ_FENCE_I;
    }
    p->ran_on = cpu + 1;
}

int64_t arch_vcpu_prepare(struct vcpu_run *r)
{
    if (r->k.requests) {
        do_requests(r->k.requests);
        r->k.requests = 0;
    }
    if (!hext_sstc) {
        sbi_timer(&r->k, this_cpu());
    }
    csr_write(hvip, r->k.hvip & HIP_VS);
    csr_write(hstatus,
              HSTATUS_VSXL_64 | HSTATUS_VTW | HSTATUS_SPV | (r->k.priv ? HSTATUS_SPVP : 0));
    /* sret: to the guest's privilege, HS interrupts masked again when it comes back. */
    csr_clear(sstatus, SSTATUS_SPP | SSTATUS_SPIE);
    csr_set(sstatus, r->k.priv ? SSTATUS_SPP : 0);
    return 0;
}

uint64_t arch_vcpu_enter(struct vcpu_run *r)
{
    csr_write(sepc, r->k.pc);
    csr_write(stvec, (uint64_t)(uintptr_t)arch_guest_vector);
    uint64_t cause = arch_guest_enter(r->k.x);
    csr_write(stvec, (uint64_t)(uintptr_t)arch_trap_vector);
    csr_clear(hstatus, HSTATUS_SPV); /* the next sret (to a task) must not enter a guest */
    r->k.pc = csr_read(sepc);
    r->k.priv = (csr_read(sstatus) & SSTATUS_SPP) ? 1 : 0;
    r->k.hvip = csr_read(hvip) & HIP_VS;
    return cause;
}

/* The guest's SBI calls the kernel answers itself, by extension: its own hypercall, and
 * set_timer, the guest's every tick (the new deadline takes back a timer interrupt already
 * pending). */
static int64_t sbi_here(struct vcpu_run *r)
{
    struct keel_vcpu_state *k = &r->k;
    if (k->x[17] == KEEL_SBI_EXT_NULL) {
        k->x[10] = 0;
        k->x[11] = 0;
    } else if (k->x[17] == SBI_EXT_TIME && k->x[16] == 0) {
        k->vstimecmp = k->x[10];
        if (hext_sstc) {
            csr_write(vstimecmp, k->vstimecmp);
        }
        k->hvip &= ~KEEL_HVIP_VSTIP;
        k->x[10] = 0; /* SBI_SUCCESS */
    } else {
        return KEEL_VCPU_EXIT_TRAP;
    }
    k->pc += 4;
    return VCPU_GO_ON;
}

/* The synchronous exits the kernel may finish itself, by exception code (scause). */
static int64_t (*const trap_here[32])(struct vcpu_run *) = {
    [EXC_ECALL_VS] = sbi_here,
};

int64_t arch_vcpu_exit(struct vcpu_run *r, uint64_t cause)
{
    if (cause & SCAUSE_INTERRUPT) {
        arch_irq_handle((unsigned)(cause & 0xff));
        return VCPU_GO_ON;
    }
    int64_t (*here)(struct vcpu_run *) = cause < 32 ? trap_here[cause] : NULL;
    if (here && here(r) == VCPU_GO_ON) {
        return VCPU_GO_ON;
    }
    uint64_t htval = csr_read(htval);
    r->k.exit_scause = cause;
    r->k.exit_stval = csr_read(stval);
    r->k.exit_htval = htval;
    r->k.exit_htinst = csr_read(htinst);
    r->k.exit_gpa = (htval << 2) | (r->k.exit_stval & 3);
    return KEEL_VCPU_EXIT_TRAP; /* the VMM's */
}

void arch_vcpu_put(struct vcpu_run *r)
{
    save_vs(&r->k); /* another vCPU may load its own while we are away */
    fp_put(r->self->vcpu.arch);
}

void arch_vcpu_end(struct vcpu_run *r, void *area)
{
    memcpy(area, &r->k, sizeof(r->k));
}

int64_t arch_task_map_virt_cpuif(struct task *t, gpa_t gpa)
{
    (void)t;
    (void)gpa;
    return -KEEL_EPROTO; /* no memory-mapped virtual CPU interface here */
}
