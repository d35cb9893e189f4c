// SPDX-License-Identifier: MIT
/*
 * Extended vCPU mode on riscv64 (H extension): the guest runs in VS/VU-mode with the VM task's
 * G-stage table in hgatp. From the state area (which the VMM may change at any time) the kernel
 * reads once and checks the privilege it is asked to return to (hstatus.SPV/SPVP and
 * sstatus.SPP are the kernel's), takes the general registers directly, the virtual interrupts
 * the VMM asserts (hvip), the guest's timer (Sstc vstimecmp), vsie and vsatp at every resume,
 * the other VS CSRs only when the VMM marks them dirty, and runs the guest until an exit the VMM
 * must see. Interrupts that arrive while the guest runs are the kernel's: it handles them, may
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
#include <arch/fence.h>
#include <uapi/keel/vcpu.h>
#include <uapi/keel/err.h>
#include <string.h>
#include "hext.h"
#include "gstage.h"
#include "internal.h"

/* The kernel-only part of a vCPU: its f-registers, and its VS-level CSRs. Tasks use none of
 * these but scounteren and senvcfg (swapped at every exit to the VMM; vsatp, which switching
 * hgatp clears, and vsie move with the area at every exit): the others stay in the hart while the vCPU thread keeps it (sys_live)
 * and come out only when it switches away (arch_vcpu_switch_out) or the VMM asks. */
struct vcpu_private {
    uint64_t fp[33];  /* f0..f31, fcsr (fp.S) */
    unsigned fp_cpu;  /* the hart whose registers last held them */
    unsigned ran_on;  /* the hart it last ran on, + 1 (0: none yet) */
    struct keel_riscv_sys sys;
    bool sys_live;
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

/* The VS CSRs no task uses: they can stay in the hart while the VMM handles an exit. */
static void guest_only_load(const struct keel_riscv_sys *s)
{
    csr_write(vsstatus, s->vsstatus);
    csr_write(vstvec, s->vstvec);
    csr_write(vsscratch, s->vsscratch);
    csr_write(vsepc, s->vsepc);
    csr_write(vscause, s->vscause);
    csr_write(vstval, s->vstval);
}

static void guest_only_save(struct keel_riscv_sys *s)
{
    s->vsstatus = csr_read(vsstatus);
    s->vstvec = csr_read(vstvec);
    s->vsscratch = csr_read(vsscratch);
    s->vsepc = csr_read(vsepc);
    s->vscause = csr_read(vscause);
    s->vstval = csr_read(vstval);
}

void arch_vcpu_switch_out(struct thread *t)
{
    struct vcpu_private *p = t->vcpu.arch;
    if (p && p->sys_live) {
        guest_only_save(&p->sys);
        p->sys_live = false;
    }
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
        hfence_vvma_all();
    }
}

/* Without Sstc the guest's timer is the SBI one, kept here (the state area's vstimecmp): due, it
 * is made pending (VSTIP); not yet, this hart's timer is armed for it, and its interrupt brings
 * the guest out and back through here. (The VMM sets VSTIP too before it resumes: a guest that
 * exits often gets it either way; one that spins gets it only from this.) */
static void sbi_timer(struct vcpu_run *r, struct percpu *c)
{
    if (r->vstimecmp == UINT64_MAX) {
        return;
    }
    if (arch_timer_now() >= r->vstimecmp) {
        r->hvip |= KEEL_HVIP_VSTIP;
    } else if (r->vstimecmp < c->timer_armed) {
        c->timer_armed = r->vstimecmp;
        arch_timer_set_deadline(r->vstimecmp);
    }
}

int64_t arch_vcpu_begin(struct vcpu_run *r, struct thread *self, struct task *vm, void *area,
                        uint64_t dirty)
{
    struct keel_vcpu_state *a = area;
    struct vcpu_private *p = self->vcpu.arch;
    if (!hext_present) {
        return -KEEL_EPROTO;
    }
    r->priv = __atomic_load_n(&a->priv, __ATOMIC_RELAXED);
    if (r->priv > 1 || !p) {
        return -KEEL_EINVAL;
    }
    if (dirty & KEEL_VCPU_SYNC_SYS) {
        memcpy(&p->sys, &a->sys, sizeof(p->sys)); /* (any values: the guest's own CSRs) */
        p->sys_live = false;
    }
    r->area = a;
    r->pc = a->pc;
    r->vsie = a->vsie;
    r->vsatp = a->vsatp;
    r->vstimecmp = a->vstimecmp;
    r->hvip = a->hvip;
    r->requests = a->requests;
    r->self = self;
    r->vm = vm;
    r->p = p;
    return 0;
}

void arch_vcpu_load(struct vcpu_run *r)
{
    struct vcpu_private *p = r->p;
    unsigned cpu = this_cpu()->id;
    if (!p->sys_live) {
        /* (Live, nothing else has run a guest on this hart since: hgatp is still its VM's.) */
        gstage_load(&r->vm->mem.pt); /* zeroes vsatp first */
        guest_only_load(&p->sys);
        p->sys_live = true;
    }
    /* Supervisor CSRs without a VS copy: the guest's values while it runs (the spec leaves
     * swapping them to the hypervisor), the tasks' at all other times. */
    csr_write(scounteren, p->sys.scounteren);
    csr_write(senvcfg, p->sys.senvcfg);
    csr_write(vsatp, r->vsatp);
    csr_write(vsie, r->vsie);
    if (hext_sstc) {
        csr_write(vstimecmp, r->vstimecmp);
    }
    fp_get(r->self, p);
    if (p->ran_on && p->ran_on != cpu + 1) {
        /* Moved: this hart may hold translations or instructions the guest has since fenced
         * elsewhere (its sfence.vma and fence.i are local). */
        r->requests |= KEEL_VCPU_REQ_FENCE_VMA | KEEL_VCPU_REQ_FENCE_I;
    }
    p->ran_on = cpu + 1;
}

int64_t arch_vcpu_prepare(struct vcpu_run *r)
{
    if (r->requests) {
        do_requests(r->requests);
        r->requests = 0;
    }
    if (!hext_sstc) {
        sbi_timer(r, this_cpu());
    }
    csr_write(hvip, r->hvip & HIP_VS);
    csr_write(hstatus, HSTATUS_VSXL_64 | HSTATUS_VTW | HSTATUS_SPV | (r->priv ? HSTATUS_SPVP : 0));
    /* sret: to the guest's privilege, HS interrupts masked again when it comes back. */
    csr_clear(sstatus, SSTATUS_SPP | SSTATUS_SPIE);
    csr_set(sstatus, r->priv ? SSTATUS_SPP : 0);
    return 0;
}

uint64_t arch_vcpu_enter(struct vcpu_run *r)
{
    csr_write(sepc, r->pc);
    csr_write(stvec, (uint64_t)(uintptr_t)arch_guest_vector);
    uint64_t cause = arch_guest_enter(r->area->x);
    csr_write(stvec, (uint64_t)(uintptr_t)arch_trap_vector);
    csr_clear(hstatus, HSTATUS_SPV); /* the next sret (to a task) must not enter a guest */
    r->pc = csr_read(sepc);
    r->priv = (csr_read(sstatus) & SSTATUS_SPP) ? 1 : 0;
    r->hvip = csr_read(hvip) & HIP_VS;
    return cause;
}

/* The guest's SBI calls the kernel answers itself, by extension: its own hypercall, and
 * set_timer, the guest's every tick (the new deadline takes back a timer interrupt already
 * pending). */
static int64_t sbi_here(struct vcpu_run *r)
{
    uint64_t *x = r->area->x;
    if (x[17] == KEEL_SBI_EXT_NULL) {
        x[10] = 0;
        x[11] = 0;
    } else if (x[17] == SBI_EXT_TIME && x[16] == 0) {
        r->vstimecmp = x[10];
        if (hext_sstc) {
            csr_write(vstimecmp, r->vstimecmp);
        }
        r->hvip &= ~KEEL_HVIP_VSTIP;
        x[10] = 0; /* SBI_SUCCESS */
    } else {
        return KEEL_VCPU_EXIT_TRAP;
    }
    r->pc += 4;
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
    uint64_t htval = csr_read(htval), stval = csr_read(stval);
    struct keel_vcpu_state *a = r->area;
    a->exit_scause = cause;
    a->exit_stval = stval;
    a->exit_htval = htval;
    a->exit_htinst = csr_read(htinst);
    a->exit_gpa = (htval << 2) | (stval & 3);
    return KEEL_VCPU_EXIT_TRAP; /* the VMM's */
}

void arch_vcpu_put(struct vcpu_run *r)
{
    struct vcpu_private *p = r->p;
    p->sys.scounteren = csr_read(scounteren);
    p->sys.senvcfg = csr_read(senvcfg);
    r->vsatp = csr_read(vsatp);
    csr_write(scounteren, hext_host_scounteren); /* the tasks' counters, whatever the guest set */
    csr_write(senvcfg, hext_host_senvcfg);
    r->vsie = csr_read(vsie);
    r->hvip = csr_read(hvip) & HIP_VS; /* the guest may have cleared VSSIP */
    if (hext_sstc) {
        r->vstimecmp = csr_read(vstimecmp);
    }
    csr_write(hvip, 0);
    fp_put(p);
}

/* The groups the VMM asked for (or all) into the area: the CSRs still in the hart first. */
static void sync_out(struct vcpu_private *p, struct keel_vcpu_state *a, uint64_t groups)
{
    if (groups & KEEL_VCPU_SYNC_SYS) {
        if (p->sys_live) {
            guest_only_save(&p->sys);
        }
        memcpy(&a->sys, &p->sys, sizeof(a->sys));
    }
    a->sync.valid = groups & KEEL_VCPU_SYNC_SYS;
}

void arch_vcpu_end(struct vcpu_run *r, void *area)
{
    struct keel_vcpu_state *a = area;
    a->pc = r->pc;
    a->priv = r->priv;
    a->vsie = r->vsie;
    a->vsatp = r->vsatp;
    a->vstimecmp = r->vstimecmp;
    a->hvip = r->hvip;
    a->requests = r->requests;
    a->features = hext_sstc ? KEEL_VCPU_SSTC : 0;
    sync_out(r->p, a, __atomic_load_n(&a->sync.want, __ATOMIC_RELAXED));
}

void arch_vcpu_sync(struct thread *t, void *area)
{
    sync_out(t->vcpu.arch, area, KEEL_VCPU_SYNC_SYS);
}

int64_t arch_task_map_virt_cpuif(struct task *t, gpa_t gpa)
{
    (void)t;
    (void)gpa;
    return -KEEL_EPROTO; /* no memory-mapped virtual CPU interface here */
}
