// SPDX-License-Identifier: MIT
/*
 * VM exits on x86_64 (SVM exit codes, see uapi/keel/vcpu_state_x86_64.h): port I/O goes to the
 * devices of the I/O-port space (ports.c), CPUID is answered from the host's with what the guest
 * must not see taken out, MSRs the guest owns are kept in the state area and the rest raise #GP,
 * HLT waits for a kick. A guest's misuse (a port nobody has, an unknown MSR) is reported
 * through vm_report() and answered as hardware would answer it; an exit this VMM does not
 * emulate yet stops the VM with a message; nothing the guest does stops the VMM.
 */
#include "../../vm.h"
#include "../../vcpu.h"
#include "ports.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <uapi/keel/vcpu.h>
#include <string.h>

#define IOIO_IN (1u << 0)
#define IOIO_STR (1u << 2)
#define IOIO_REP (1u << 3)
#define RFLAGS_IF (1ull << 9)
#define X86_DB 1
#define X86_UD 6
#define X86_GP 13

#define MSR_TSC 0x10
#define MSR_APIC_BASE 0x1b
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define MSR_PAT 0x277
#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define EFER_GUEST_BITS 0xd01ull /* SCE, LME, LMA, NXE */

static void inject_exception(struct keel_vcpu_state *s, unsigned vector, bool error, uint32_t code)
{
    s->inject = KEEL_X86_INJECT_VALID | KEEL_X86_INJECT_EXCEPTION | vector |
                (error ? KEEL_X86_INJECT_ERROR | (uint64_t)code << 32 : 0);
}

static uint64_t width_mask(unsigned width)
{
    return width == 8 ? ~0ull : (1ull << (8 * width)) - 1;
}

static int port_io(struct vm *vm, struct keel_vcpu_state *s)
{
    uint64_t info = s->exit_info1;
    unsigned port = (unsigned)(info >> 16) & 0xffff;
    unsigned width = (info & (1u << 4)) ? 1 : (info & (1u << 5)) ? 2 : 4;
    bool in = info & IOIO_IN;
    if (info & (IOIO_STR | IOIO_REP)) {
        vm_report(vm, "string I/O at port 0x%x is not emulated: #UD injected (rip 0x%lx)", port,
                  (unsigned long)s->rip);
        inject_exception(s, X86_UD, false, 0);
        return 0;
    }
    uint64_t value = in ? 0 : s->gpr[0] & width_mask(width);
    if (!ports_access(vm, port, width, !in, &value)) {
        vm_report(vm, "guest %s of %u bytes at port 0x%x: no device there (rip 0x%lx)",
                  in ? "read" : "write", width, port, (unsigned long)s->rip);
        value = width_mask(width); /* an ISA bus with nothing on it reads all ones */
    }
    if (in) {
        /* A 32-bit result clears the upper half, as on hardware; 8 and 16 bits merge. */
        s->gpr[0] = width == 4 ? (uint32_t)value : (s->gpr[0] & ~width_mask(width)) | (value & width_mask(width));
    }
    s->rip = s->exit_info2; /* the next instruction */
    return 0;
}

/* CPUID: the host's answer without what the VM does not have (SVM, MONITOR, XSAVE, x2APIC,
 * performance counters), with the hypervisor bit and Keel's leaf 0x40000000. */
static void cpuid_exit(struct keel_vcpu_state *s)
{
    uint32_t leaf = (uint32_t)s->gpr[0], sub = (uint32_t)s->gpr[1], r[4];
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
    switch (leaf) {
    case 1:
        r[2] &= ~((1u << 3) | (1u << 21) | (1u << 26) | (1u << 27)); /* MONITOR x2APIC XSAVE OSXSAVE */
        r[2] |= 1u << 31;                                             /* a hypervisor */
        break;
    case 0xa:
        r[0] = r[1] = r[2] = r[3] = 0; /* no performance counters */
        break;
    case 0x40000000:
        r[0] = 0x40000000;
        memcpy(&r[1], "KeelKeelKeel", 12);
        break;
    case 0x80000001:
        r[2] &= ~(1u << 2); /* no SVM */
        break;
    case 0x8000000a:
        r[0] = r[1] = r[2] = r[3] = 0;
        break;
    }
    for (unsigned i = 0; i < 4; i++) {
        s->gpr[i == 0 ? 0 : i == 1 ? 3 : i == 2 ? 1 : 2] = r[i]; /* eax, ebx, ecx, edx */
    }
    s->rip += 2;
}

/* The MSR's place in the state area, for those the guest owns. */
static uint64_t *msr_slot(struct keel_vcpu_state *s, uint32_t msr)
{
    switch (msr) {
    case MSR_SYSENTER_CS: return &s->sysenter_cs;
    case MSR_SYSENTER_ESP: return &s->sysenter_esp;
    case MSR_SYSENTER_EIP: return &s->sysenter_eip;
    case MSR_PAT: return &s->pat;
    case MSR_STAR: return &s->star;
    case MSR_LSTAR: return &s->lstar;
    case MSR_CSTAR: return &s->cstar;
    case MSR_SFMASK: return &s->sfmask;
    case MSR_FS_BASE: return &s->fs.base;
    case MSR_GS_BASE: return &s->gs.base;
    case MSR_KERNEL_GS_BASE: return &s->kernel_gs_base;
    default: return NULL;
    }
}

static int msr_exit(struct vm *vm, struct keel_vcpu_state *s)
{
    uint32_t msr = (uint32_t)s->gpr[1];
    bool write = s->exit_info1 & 1;
    uint64_t value = (s->gpr[0] & 0xffffffffu) | s->gpr[2] << 32, *slot = msr_slot(s, msr);
    bool ok = true;
    if (slot) {
        if (write) {
            *slot = value;
        } else {
            value = *slot;
        }
    } else if (msr == MSR_EFER) {
        if (write && (value & ~EFER_GUEST_BITS)) {
            ok = false;
        } else if (write) {
            s->efer = (value & ~0x400ull) | (s->efer & 0x400); /* LMA is the CPU's */
        } else {
            value = s->efer;
        }
    } else if (msr == MSR_TSC && !write) {
        uint32_t lo, hi;
        __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
        value = lo | (uint64_t)hi << 32;
    } else if (msr == MSR_APIC_BASE && !write) {
        value = 0xfee00000u | (1u << 11) | (1u << 8); /* the xAPIC's address, enabled, BSP */
    } else {
        ok = false;
    }
    if (!ok) {
        vm_report(vm, "guest %s of MSR 0x%x: #GP injected (rip 0x%lx)", write ? "write" : "read",
                  msr, (unsigned long)s->rip);
        inject_exception(s, X86_GP, true, 0);
        return 0;
    }
    if (!write) {
        s->gpr[0] = (uint32_t)value;
        s->gpr[2] = value >> 32;
    }
    s->rip += 2;
    return 0;
}

/* HLT: the guest has nothing to do until an interrupt, and it has no interrupt source yet but
 * what another thread of the VMM kicks it with: sleep until a kick. With interrupts off it is
 * halted for good: the VMM waits until the VM is stopped. */
static int halt(struct vcpu *v, struct keel_vcpu_state *s)
{
    s->rip += 1;
    v->wfi_sleeps++;
    keel_receive(v->kick, (s->rflags & RFLAGS_IF) ? 1000000 : KEEL_TIMEOUT_NEVER, 0);
    return 0;
}

static int trap(struct vcpu *v, struct keel_vcpu_state *s)
{
    struct vm *vm = v->vm;
    switch (s->exit_code) {
    case KEEL_X86_EXIT_IOIO:
        v->arch.io_exits++;
        return port_io(vm, s);
    case KEEL_X86_EXIT_CPUID:
        cpuid_exit(s);
        return 0;
    case KEEL_X86_EXIT_MSR:
        return msr_exit(vm, s);
    case KEEL_X86_EXIT_HLT:
        return halt(v, s);
    case KEEL_X86_EXIT_VMMCALL:
        s->gpr[0] = (uint64_t)-1000; /* no hypercalls of the VMM's: Linux's -KVM_ENOSYS */
        s->rip += 3;
        return 0;
    case KEEL_X86_EXIT_VMRUN:
    case KEEL_X86_EXIT_VMLOAD:
    case KEEL_X86_EXIT_VMSAVE:
    case KEEL_X86_EXIT_STGI:
    case KEEL_X86_EXIT_CLGI:
    case KEEL_X86_EXIT_SKINIT:
    case KEEL_X86_EXIT_INVLPGA:
    case KEEL_X86_EXIT_MONITOR:
    case KEEL_X86_EXIT_MWAIT:
    case KEEL_X86_EXIT_MWAIT_COND:
    case KEEL_X86_EXIT_XSETBV:
    case KEEL_X86_EXIT_RDPRU:
        /* The guest's CPUID has no SVM, MONITOR, XSAVE or RDPRU: #UD, as on such a CPU. */
        vm_report(vm, "guest used an instruction it does not have (exit 0x%lx): #UD injected "
                  "(rip 0x%lx)", (unsigned long)s->exit_code, (unsigned long)s->rip);
        inject_exception(s, X86_UD, false, 0);
        return 0;
    case KEEL_X86_EXIT_RDPMC:
        inject_exception(s, X86_GP, true, 0); /* no performance counters */
        return 0;
    case KEEL_X86_EXIT_INVD:
    case KEEL_X86_EXIT_WBINVD:
        s->rip += 2; /* the caches are coherent: nothing to write back or drop */
        return 0;
    case KEEL_X86_EXIT_ICEBP:
        s->rip += 1;
        inject_exception(s, X86_DB, false, 0); /* INT1: a debug trap after the instruction */
        return 0;
    case KEEL_X86_EXIT_SHUTDOWN:
        printf("vmm: %s: the guest shut down (a triple fault) at rip 0x%lx; stopping the VM\n",
               vm->name, (unsigned long)s->rip);
        return -1;
    default:
        printf("vmm: %s: unhandled exit 0x%lx at rip 0x%lx (info 0x%lx, 0x%lx); stopping the VM\n",
               vm->name, (unsigned long)s->exit_code, (unsigned long)s->rip,
               (unsigned long)s->exit_info1, (unsigned long)s->exit_info2);
        return -1;
    }
}

int arch_vcpu_exit(struct vcpu *v, int64_t reason)
{
    switch (reason) {
    case KEEL_VCPU_EXIT_TRAP:
        return trap(v, v->state);
    default: /* EVENT: looked at before resuming */
        return 0;
    }
}

void arch_vcpu_before_resume(struct vcpu *v)
{
    struct keel_vcpu_state *s = v->state;
    if ((s->exit_int_info & KEEL_X86_INJECT_VALID) && !(s->inject & KEEL_X86_INJECT_VALID)) {
        s->inject = s->exit_int_info & ~0x7ffff000ull; /* its delivery was cut short: again */
    }
    s->exit_int_info = 0;
}

/* The state a raw binary starts in: 32-bit protected mode, flat code (selector 0x10) and data
 * (0x18) segments over 4 GiB, paging and interrupts off, esi = ctx (the state Linux's 32-bit
 * boot protocol asks for); the guest loads its own GDT before it reloads a segment. */
void arch_vcpu_reset(struct vcpu *v, uint64_t entry, uint64_t ctx)
{
    struct keel_vcpu_state *s = v->state;
    const struct keel_x86_segment code = { 0x10, 0xc9b, 0xffffffffu, 0 };
    const struct keel_x86_segment data = { 0x18, 0xc93, 0xffffffffu, 0 };
    memset(s, 0, sizeof(*s));
    s->rip = entry;
    s->gpr[6] = ctx;
    s->rflags = 2;
    s->cr0 = 0x11; /* PE, ET */
    s->dr6 = 0xffff0ff0;
    s->dr7 = 0x400;
    s->pat = 0x0007040600070406ull;
    s->cs = code;
    s->ds = s->es = s->ss = s->fs = s->gs = data;
    s->gdtr.limit = 0xffff;
    s->idtr.limit = 0xffff;
    s->ldtr = (struct keel_x86_segment){ 0, 0x82, 0xffff, 0 };
    s->tr = (struct keel_x86_segment){ 0, 0x8b, 0xffff, 0 };
}
