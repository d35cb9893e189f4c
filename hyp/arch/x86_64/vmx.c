// SPDX-License-Identifier: MIT
/*
 * Intel VT-x: what a CPU offers, probed per CPU at start-up (CPUID, IA32_FEATURE_CONTROL and the
 * VMX capability MSRs), so that the back end is chosen per CPU from what it has. The back end
 * proper (VMXON, one VMCS per vCPU, EPT on the generic loop) is issue 14's next step: until it is
 * there, a CPU with VT-x runs no guests and says so.
 */
#include <keel/printk.h>
#include <keel/percpu.h>
#include <arch/msr.h>
#include <arch/x86.h>
#include <hw/vmx.h>

/* The CPUs whose VT-x has all the back end needs (bit per CPU). */
static uint32_t vmx_cpus;

/* What the back end needs: VMX on outside SMX (or still unlocked), a 4 KiB VMCS in write-back
 * memory, secondary controls with EPT (4-level, write-back, 2 MiB leaves, INVEPT), VPIDs and
 * unrestricted guests (real-mode firmware and boot code run as they are). */
static bool vmx_usable(uint64_t *ept_cap, uint64_t *proc2)
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
    if (!((rdmsr(MSR_IA32_VMX_PROCBASED_CTLS) >> 32) & VMX_PROC_SECONDARY)) {
        return false;
    }
    *proc2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2) >> 32;
    *ept_cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
    uint64_t need = VMX_EPT_CAP_WALK4 | VMX_EPT_CAP_WB | VMX_EPT_CAP_2M | VMX_EPT_CAP_INVEPT;
    return (*proc2 & (VMX_PROC2_EPT | VMX_PROC2_VPID | VMX_PROC2_UNRESTRICTED)) ==
               (VMX_PROC2_EPT | VMX_PROC2_VPID | VMX_PROC2_UNRESTRICTED) &&
           (*ept_cap & need) == need;
}

void vmx_probe_cpu(void)
{
    uint64_t ept_cap = 0, proc2 = 0;
    bool usable = vmx_usable(&ept_cap, &proc2);
    unsigned cpu = this_cpu()->id;
    if (usable) {
        __atomic_or_fetch(&vmx_cpus, 1u << cpu, __ATOMIC_RELAXED);
    }
    if (cpu == 0 && (cpuid(1, 0).ecx & CPUID1_ECX_VMX)) {
        printk("x86: VT-x%s (VMCS revision %u; EPT%s%s, VPID%s, unrestricted guest%s): no guests "
               "on it yet\n",
               usable ? "" : " without what Keel needs",
               (unsigned)(rdmsr(MSR_IA32_VMX_BASIC) & 0x7fffffff),
               ept_cap & VMX_EPT_CAP_2M ? " 2M" : "", ept_cap & VMX_EPT_CAP_1G ? " 1G" : "",
               proc2 & VMX_PROC2_VPID ? "" : " no", proc2 & VMX_PROC2_UNRESTRICTED ? "" : " no");
    }
}
