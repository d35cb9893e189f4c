// SPDX-License-Identifier: MIT
/*
 * Intel VT-x on a CPU: what it offers, probed per CPU at start-up (CPUID, IA32_FEATURE_CONTROL
 * and the VMX capability MSRs), the controls the back end (vcpu_vmx.c) runs every guest with,
 * and VMX operation itself. VMXON waits for the CPU's first guest: a CPU in VMX root operation
 * ignores INIT, which arch_cpu_stop() and the CPU restart rely on, so a CPU leaves VMX operation
 * (VMXOFF) before it stops.
 */
#include "vcpu_x86.h"
#include <keel/printk.h>
#include <keel/percpu.h>
#include <arch/mmu.h>
#include <arch/msr.h>
#include <arch/x86.h>
#include <arch/vmx.h>

#define CR0_NE (1ull << 5)
#define CR4_VMXE (1ull << 13)

bool vmx_present;
struct vmx_caps vmx_caps;
static uint32_t vmx_cpus;                 /* the CPUs whose VT-x has all the back end needs */
static bool vmx_operation[KEEL_MAX_CPUS]; /* between VMXON and VMXOFF */
static uint8_t vmxon_region[KEEL_MAX_CPUS][4096] __attribute__((aligned(4096)));

/* A control word: the bits wanted, those the CPU forces on, and none it forbids; false when a
 * wanted bit is not allowed or a forced one is in `never` (the kernel relies on its absence). */
static bool control(uint32_t *out, uint64_t allowed, uint32_t want, uint32_t never)
{
    uint32_t v = (want | (uint32_t)allowed) & (uint32_t)(allowed >> 32);
    *out = v;
    return (v & want) == want && !(v & never);
}

/* What the back end needs: VMX on outside SMX (or still unlocked), a 4 KiB VMCS in write-back
 * memory, EPT (4-level, write-back, 2 MiB leaves, INVEPT), VPIDs with INVVPID, unrestricted guests
 * (real-mode firmware and boot code run as they are), and the controls below. */
static bool vmx_usable(struct vmx_caps *k)
{
    if (!(cpuid(1, 0).ecx & CPUID1_ECX_VMX)) {
        return false;
    }
    uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
    if ((fc & FEATURE_CONTROL_LOCK) && !(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
        return false; /* firmware turned it off */
    }
    uint64_t basic = rdmsr(MSR_IA32_VMX_BASIC);
    if (((basic >> 32) & 0x1fff) > 4096 || ((basic >> 50) & 0xf) != 6) {
        return false;
    }
    bool true_ctls = basic & VMX_BASIC_TRUE_CTLS;
    k->revision = (uint32_t)(basic & 0x7fffffff);
    k->basic = basic;
    k->misc = rdmsr(MSR_IA32_VMX_MISC);
    k->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
    k->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    k->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
    k->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
    uint64_t proc = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS
                                    : MSR_IA32_VMX_PROCBASED_CTLS);
    if (!((proc >> 32) & VMX_PROC_SECONDARY) || !((proc >> 32) & VMX_PROC_INTR_WINDOW)) {
        return false;
    }
    uint64_t proc2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
    k->ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
    uint64_t need = VMX_EPT_CAP_WALK4 | VMX_EPT_CAP_WB | VMX_EPT_CAP_2M | VMX_EPT_CAP_INVEPT |
                    VMX_CAP_INVVPID;
    if ((k->ept_vpid & need) != need ||
        !(k->ept_vpid & (VMX_EPT_CAP_INVEPT_SINGLE | VMX_EPT_CAP_INVEPT_ALL)) ||
        !(k->ept_vpid & (VMX_VPID_CAP_SINGLE | VMX_VPID_CAP_ALL))) {
        return false;
    }
    /* Every interrupt and NMI ends the run (the kernel's); every port, every MSR (no bitmaps),
     * HLT, MWAIT/MONITOR, RDPMC, WBINVD and the debug registers exit; the guest's CR8 is its own
     * TPR (a virtual-APIC page, no exits); CR3 and INVLPG are the guest's. RDTSCP and INVPCID
     * work where the CPU lets them (the guest's CPUID, the VMM's, says whether it has them). */
    uint32_t want2 = VMX_PROC2_EPT | VMX_PROC2_VPID | VMX_PROC2_UNRESTRICTED | VMX_PROC2_WBINVD;
    uint32_t optional2 = (uint32_t)(proc2 >> 32) & (VMX_PROC2_RDTSCP | VMX_PROC2_INVPCID);
    uint32_t pin, p1, p2, ex, en;
    bool ok =
        control(&pin,
                rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS),
                VMX_PIN_EXT_INTR | VMX_PIN_NMI | VMX_PIN_VIRTUAL_NMI, 0) &&
        control(&p1, proc,
                VMX_PROC_HLT | VMX_PROC_MWAIT | VMX_PROC_RDPMC | VMX_PROC_TPR_SHADOW |
                    VMX_PROC_MOV_DR | VMX_PROC_IO | VMX_PROC_MONITOR | VMX_PROC_SECONDARY,
                VMX_PROC_INTR_WINDOW | VMX_PROC_CR3_LOAD | VMX_PROC_CR3_STORE | VMX_PROC_CR8_LOAD |
                    VMX_PROC_CR8_STORE | VMX_PROC_MSR_BITMAP) &&
        control(&p2, proc2, want2 | optional2, 0) &&
        control(&ex, rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS),
                VMX_EXIT_SAVE_DEBUG | VMX_EXIT_HOST_64 | VMX_EXIT_SAVE_PAT | VMX_EXIT_LOAD_PAT |
                    VMX_EXIT_SAVE_EFER | VMX_EXIT_LOAD_EFER,
                VMX_EXIT_ACK_INTR) &&
        control(&en, rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS),
                VMX_ENTRY_LOAD_DEBUG | VMX_ENTRY_LOAD_PAT | VMX_ENTRY_LOAD_EFER, VMX_ENTRY_IA32E);
    k->preemption_timer = (uint32_t)(rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS
                                                     : MSR_IA32_VMX_PINBASED_CTLS) >>
                                     32) &
                          VMX_PIN_PREEMPTION_TIMER;
    k->pin = pin;
    k->proc = p1;
    k->proc2 = p2;
    k->exit = ex;
    k->entry = en;
    return ok;
}

void vmx_probe_cpu(void)
{
    struct vmx_caps k = { 0 };
    bool usable = vmx_usable(&k);
    unsigned cpu = this_cpu()->id;
    vmx_operation[cpu] = false; /* (again) online: INIT left VMX operation */
    if (usable) {
        __atomic_or_fetch(&vmx_cpus, 1u << cpu, __ATOMIC_RELAXED);
    } else {
        __atomic_and_fetch(&vmx_cpus, ~(1u << cpu), __ATOMIC_RELAXED);
    }
    if (cpu == 0 && (cpuid(1, 0).ecx & CPUID1_ECX_VMX)) {
        vmx_caps = k;
        vmx_present = usable;
        printk("x86: VT-x%s (VMCS revision %u; EPT%s%s, VPID, unrestricted guest)\n",
               usable ? "" : " without what Keel needs: no guests on it", (unsigned)k.revision,
               k.ept_vpid & VMX_EPT_CAP_2M ? " 2M" : "", k.ept_vpid & VMX_EPT_CAP_1G ? " 1G" : "");
    }
}

bool vmx_usable_on(unsigned cpu)
{
    return vmx_cpus & (1u << cpu);
}

bool vmx_cpu_on(void)
{
    unsigned cpu = this_cpu()->id;
    if (vmx_operation[cpu]) {
        return true;
    }
    if (!vmx_usable_on(cpu)) {
        return false; /* (its FEATURE_CONTROL or VMXON could fault) */
    }
    uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
    if (!(fc & FEATURE_CONTROL_LOCK)) {
        wrmsr(MSR_IA32_FEATURE_CONTROL,
              fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX);
    }
    /* CR0 and CR4 as VMX operation wants them (NE, VMXE): x87 errors are exceptions (nothing in
     * the kernel or its tasks uses the x87). */
    write_cr0(read_cr0() | (vmx_caps.cr0_fixed0 & CR0_NE));
    uint64_t cr4 = read_cr4();
    write_cr4(cr4 | CR4_VMXE | vmx_caps.cr4_fixed0);
    *(uint32_t *)vmxon_region[cpu] = vmx_caps.revision;
    if (!vmxon(pa_val(pa_from_kva(vmxon_region[cpu])))) {
        write_cr4(cr4);
        printk("x86: CPU %u refused VMXON\n", cpu);
        return false;
    }
    vmx_operation[cpu] = true;
    return true;
}

void vmx_cpu_off(void)
{
    unsigned cpu = this_cpu()->id;
    if (vmx_operation[cpu]) {
        vmxoff();
        write_cr4(read_cr4() & ~CR4_VMXE);
        vmx_operation[cpu] = false;
    }
}
