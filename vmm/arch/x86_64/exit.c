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
#include "lapic.h"
#include "insn.h"
#include "string_io.h"
#include "acpi_pm.h"
#include "kvmclock.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <uapi/keel/vcpu.h>
#include <string.h>

#define IOIO_IN (1u << 0)
#define IOIO_STR (1u << 2)
#define RFLAGS_IF (1ull << 9)
#define X86_DB 1
#define X86_UD 6
#define X86_GP 13

#define MSR_TSC 0x10
#define MSR_APIC_BASE 0x1b
#define MSR_TSC_DEADLINE 0x6e0
#define MSR_UCODE_REV 0x8b
#define MSR_PLATFORM_ID 0x17
#define MSR_MISC_ENABLE 0x1a0
#define MSR_MCG_CAP 0x179    /* machine-check architecture: CPUID offers MCE and MCA ... */
#define MSR_MCG_STATUS 0x17a /* ... so these exist (Intel SDM 15.3.1, AMD APM 9.3) */
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
#define EVENT_RESERVED 0x7ffff000ull /* EVENTINJ / EXITINTINFO bits 12-30 */
#define NPF_FETCH (1ull << 4)
#define NPF_TABLE_WALK (1ull << 33)

/* Steps over the instruction the VMM emulated: the shadow of an sti or mov ss before it ends. */
static void step(struct keel_vcpu_state *s, uint64_t len)
{
    s->rip += len;
    s->interrupt_shadow = 0;
}

static void inject_exception(struct keel_vcpu_state *s, unsigned vector, bool error, uint32_t code)
{
    s->inject = KEEL_X86_INJECT_VALID | KEEL_X86_INJECT_EXCEPTION | vector |
                (error ? KEEL_X86_INJECT_ERROR | (uint64_t)code << 32 : 0);
}

static bool string_port(void *ctx, unsigned port, unsigned width, bool write, uint64_t *value)
{
    return ports_access(ctx, port, width, write, value);
}

/* INS and OUTS (string_io.c): up to 1024 elements per exit, the rest when the guest runs the
 * instruction again. Nothing it does this way stops the VM. */
static int string_port_io(struct vcpu *v, struct keel_vcpu_state *s)
{
    struct vm *vm = v->vm;
    unsigned port = (unsigned)(s->exit_info1 >> 16) & 0xffff;
    if (vcpu_state_sync(v) != 0) {
        return -1;
    }
    struct string_io_result r = string_io(vm, s, string_port, vm, 1024);
    bool in = s->exit_info1 & IOIO_IN;
    if (r.unanswered) {
        vm_report(vm, "guest string %s of %u elements at port 0x%x: no device there (rip 0x%lx)",
                  in ? "read" : "write", r.unanswered, port, (unsigned long)s->rip);
    }
    if (r.not_ram) {
        vm_report(vm,
                  "guest string I/O at port 0x%x with memory at 0x%lx outside RAM: %s "
                  "(rip 0x%lx)",
                  port, (unsigned long)r.la, in ? "the input dropped" : "all ones sent",
                  (unsigned long)s->rip);
    }
    if (r.end == STRING_IO_DONE) {
        step(s, s->exit_info2 - s->rip);
    }
    /* AGAIN: the guest runs the instruction again for the rest; FAULT: injected as the CPU
     * raises it; RETRY: no string instruction there any more, the CPU runs what is. */
    return 0;
}

static int port_io(struct vcpu *v, struct keel_vcpu_state *s)
{
    struct vm *vm = v->vm;
    uint64_t info = s->exit_info1;
    unsigned port = (unsigned)(info >> 16) & 0xffff;
    unsigned width = (info & (1u << 4)) ? 1 : (info & (1u << 5)) ? 2 : 4;
    bool in = info & IOIO_IN;
    if (info & IOIO_STR) {
        return string_port_io(v, s);
    }
    uint64_t value = in ? 0 : s->gpr[0] & insn_width_mask(width);
    if (!ports_access(vm, port, width, !in, &value)) {
        vm_report(vm, "guest %s of %u bytes at port 0x%x: no device there (rip 0x%lx)",
                  in ? "read" : "write", width, port, (unsigned long)s->rip);
        value = insn_width_mask(width); /* an ISA bus with nothing on it reads all ones */
    }
    if (in) {
        /* A 32-bit result clears the upper half, as on hardware; 8 and 16 bits merge. */
        uint64_t mask = insn_width_mask(width);
        s->gpr[0] = width == 4 ? (uint32_t)value : (s->gpr[0] & ~mask) | (value & mask);
    }
    step(s, s->exit_info2 - s->rip); /* exit_info2: the next instruction */
    return 0;
}

/* A nested page fault: guest-physical memory that is not RAM. A load or store there is decoded
 * (insn.c) and sent to the device at that address; with no device there, reads give all ones and
 * writes are dropped, as on a bus with nothing there. A fetch from there is #UD (what all-ones
 * bytes would decode to); an instruction the VMM cannot decode is #GP; the guest goes on. A page
 * table of the guest's outside its RAM stops the VM. */
static int mmio(struct vm *vm, struct keel_vcpu_state *s)
{
    uint64_t gpa = s->exit_info2;
    uint8_t code[INSN_MAX_LEN];
    struct mmio_insn m;
    if (s->exit_int_info & KEEL_X86_INJECT_VALID) {
        printf("vmm: %s: an event's delivery touched 0x%lx, outside RAM (its IDT, TSS or stack; "
               "rip 0x%lx); stopping the VM\n", vm->name, (unsigned long)gpa,
               (unsigned long)s->rip);
        return -1; /* the instruction at rip is not what faulted: nothing to emulate */
    }
    if (s->exit_info1 & NPF_TABLE_WALK) {
        printf("vmm: %s: the guest's page tables reach 0x%lx, outside its RAM (rip 0x%lx); "
               "stopping the VM\n", vm->name, (unsigned long)gpa, (unsigned long)s->rip);
        return -1;
    }
    if (s->exit_info1 & NPF_FETCH) {
        vm_report(vm, "guest fetch at 0x%lx outside its RAM: #UD injected", (unsigned long)gpa);
        inject_exception(s, X86_UD, false, 0);
        return 0;
    }
    unsigned n = insn_fetch(vm, s, code, sizeof(code));
    if (!insn_decode_mmio(code, n, insn_code_bits(s), &m)) {
        vm_report(vm, "guest access at 0x%lx by an instruction the VMM cannot decode (rip 0x%lx, "
                  "%u bytes read): #GP injected", (unsigned long)gpa, (unsigned long)s->rip, n);
        inject_exception(s, X86_GP, true, 0);
        return 0;
    }
    struct mmio_device *d = vm_device_at(vm, gpa_init(gpa));
    uint64_t off = d ? gpa - gpa_val(d->base) : 0;
    uint64_t value = m.write ? insn_store_value(s, &m) : 0;
    bool ok = vm_device_access(d, off, m.width, m.write, &value);
    if (!ok) {
        vm_report(vm, "guest %s of %u bytes at 0x%lx: %s (rip 0x%lx)", m.write ? "write" : "read",
                  m.width, (unsigned long)gpa, d ? "refused by the device" : "no device there",
                  (unsigned long)s->rip);
        value = insn_width_mask(m.width);
    }
    if (!m.write) {
        insn_load_result(s, &m, value);
    }
    step(s, m.len);
    return 0;
}

/* MOV to or from a debug register (0F 21 / 0F 23, register operands only). The guest's DR0-3 and
 * DR7 are kept here and never reach the CPU (its DR0-3 are not the guest's, so the DR7 the state
 * loads enables no breakpoint): breakpoints are not offered. DR6 is the state's; DR4 and DR5
 * alias DR6 and DR7. */
static int debug_register(struct vcpu *v, struct keel_vcpu_state *s)
{
    if (vcpu_state_sync(v) != 0) {
        return -1;
    }
    uint8_t c[INSN_MAX_LEN];
    unsigned n = insn_fetch(v->vm, s, c, sizeof(c)), i = 0, rex = 0;
    if (n > 0 && (c[0] & 0xf0) == 0x40 && insn_code_bits(s) == 64) {
        rex = c[i++];
    }
    bool mov_dr = n >= i + 3 && c[i] == 0x0f && (c[i + 1] == 0x21 || c[i + 1] == 0x23);
    if (!mov_dr || (c[i + 2] >> 6) != 3) {
        vm_report(v->vm, "debug register access the VMM cannot decode (rip 0x%lx): #UD injected",
                  (unsigned long)s->rip);
        inject_exception(s, X86_UD, false, 0);
        return 0;
    }
    unsigned dr = (c[i + 2] >> 3) & 7, gpr = (c[i + 2] & 7) | ((rex & 1) << 3);
    uint64_t *slot = dr < 4 ? &v->arch.dr[dr] : (dr & 1) ? &v->arch.dr7 : &s->sys.dr6;
    if (c[i + 1] == 0x21) {
        /* DR7: GD clear, bit 10 reads as one */
        uint64_t value = dr == 7 || dr == 5 ? (*slot & ~0x2000ull) | 0x400 : *slot;
        s->gpr[gpr] = insn_code_bits(s) == 64 ? value : (uint32_t)value;
    } else {
        *slot = dr >= 4 ? (s->gpr[gpr] & 0xffffffffu) : s->gpr[gpr];
        s->sys.dr7 = 0x400; /* no breakpoint enabled in the CPU */
    }
    s->sync.dirty |= KEEL_VCPU_SYNC_SYS;
    step(s, i + 3);
    return 0;
}

#define CR4_PAE (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define CR4_PCIDE (1ull << 17)
#define EFER_LMA (1ull << 10)

/* The CR4 bits the guest's CPUID offers (cpuid_exit: the host's, without XSAVE and PKU), as on a
 * CPU that has just those features: VME/PVI, TSD, DE, PSE, PAE, MCE, PGE, PCE, OSFXSR,
 * OSXMMEXCPT, UMIP, LA57, FSGSBASE, PCIDE, SMEP, SMAP. Never VMXE, SMXE, OSXSAVE, PKE (the kernel
 * refuses it: PKRU is not switched between VMs), CET. */
static uint64_t cr4_offered(void)
{
    static uint64_t offered;
    if (offered) {
        return offered;
    }
    uint32_t l1[4], l7[4];
    x86_cpuid(1, 0, l1);
    x86_cpuid(0, 0, l7);
    if (l7[0] >= 7) {
        x86_cpuid(7, 0, l7);
    } else {
        l7[1] = l7[2] = 0;
    }
    const struct { uint32_t reg, bit; uint64_t cr4; } map[] = {
        { 3, 1, 3 }, { 3, 2, 1ull << 3 }, { 3, 3, 1ull << 4 }, { 3, 4, 1ull << 2 },
        { 3, 6, CR4_PAE }, { 3, 7, 1ull << 6 }, { 3, 13, 1ull << 7 }, { 3, 24, 1ull << 9 },
        { 3, 25, 1ull << 10 }, { 2, 17, CR4_PCIDE },
    };
    const struct { uint32_t reg, bit; uint64_t cr4; } map7[] = {
        { 1, 0, 1ull << 16 }, { 1, 7, 1ull << 20 }, { 1, 20, 1ull << 21 }, { 2, 2, 1ull << 11 },
        { 2, 16, CR4_LA57 },
    };
    uint64_t o = 1ull << 8; /* PCE: RDPMC is intercepted (#GP) anyway */
    for (unsigned i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        o |= (l1[map[i].reg] >> map[i].bit) & 1 ? map[i].cr4 : 0; /* (VME gives VME and PVI) */
    }
    for (unsigned i = 0; i < sizeof(map7) / sizeof(map7[0]); i++) {
        o |= (l7[map7[i].reg] >> map7[i].bit) & 1 ? map7[i].cr4 : 0;
    }
    offered = o;
    return o;
}

/* Whether hardware would take CR4 = value now: only bits it has, and in long mode PAE kept, LA57
 * unchanged, PCIDE only with CR3's low 12 bits clear (SDM Vol. 3, 2.5; APM Vol. 2, 3.1.3). */
static bool cr4_ok(const struct keel_vcpu_state *s, uint64_t value)
{
    bool long_mode = s->efer & EFER_LMA;
    if (value & ~cr4_offered()) {
        return false;
    }
    if (long_mode && (!(value & CR4_PAE) || ((value ^ s->cr4) & CR4_LA57))) {
        return false;
    }
    return !(value & CR4_PCIDE) || (s->cr4 & CR4_PCIDE) || (long_mode && !(s->cr3 & 0xfff));
}

/* MOV to CR4 or CR8 (0F 22 /r; the kernel intercepts CR4 always, CR8 while an interrupt window
 * is open): checked as the CPU would, then taken into the state, which the kernel loads (and, for
 * CR4, flushes the guest's translations for) at the resume. CR8 is the TPR's top four bits; it
 * is REX.R with reg 0, or (AMD's, outside 64-bit code) LOCK with CR0. */
static int control_register(struct vcpu *v, struct keel_vcpu_state *s, unsigned want)
{
    uint8_t c[INSN_MAX_LEN];
    unsigned n = insn_fetch(v->vm, s, c, sizeof(c)), i = 0, rex = 0;
    bool lock = false;
    while (i < n && (c[i] == 0x26 || c[i] == 0x2e || c[i] == 0x36 || c[i] == 0x3e || c[i] == 0x64 ||
                     c[i] == 0x65 || c[i] == 0x66 || c[i] == 0x67 || c[i] == 0xf0)) {
        lock = lock || c[i] == 0xf0;
        i++; /* prefixes MOV CR ignores (LOCK: AMD's CR8 alias of CR0) */
    }
    if (i < n && (c[i] & 0xf0) == 0x40 && insn_code_bits(s) == 64) {
        rex = c[i++];
    }
    unsigned cr = n < i + 3 ? 16 : ((c[i + 2] >> 3) & 7) | ((rex & 4) << 1);
    if (lock && cr == 0) {
        cr = 8;
    }
    if (n < i + 3 || c[i] != 0x0f || c[i + 1] != 0x22 || cr != want) {
        vm_report(v->vm, "CR%u write the VMM cannot decode (rip 0x%lx): #UD injected", want,
                  (unsigned long)s->rip);
        inject_exception(s, X86_UD, false, 0);
        return 0;
    }
    unsigned gpr = (c[i + 2] & 7) | ((rex & 1) << 3);
    uint64_t value = insn_code_bits(s) == 64 ? s->gpr[gpr] : (uint32_t)s->gpr[gpr];
    if (want == 8) {
        if (value & ~0xfull) {
            inject_exception(s, X86_GP, true, 0); /* reserved bits (SDM 2.5: #GP) */
            return 0;
        }
        s->cr8 = value;
        step(s, i + 3);
        return 0;
    }
    if (!cr4_ok(s, value)) {
        vm_report(v->vm, "guest set CR4 to 0x%lx, with bits it does not have or may not change "
                  "now: #GP injected", (unsigned long)value);
        inject_exception(s, X86_GP, true, 0);
        return 0;
    }
    s->cr4 = value;
    step(s, i + 3);
    return 0;
}

/* The host's TSC runs at one rate in every power state (AMD's and Intel's CPUID 0x80000007 EDX
 * bit 8): with the kernel's one rate for all CPUs, the vCPUs' clocks then agree (kvmclock.h). */
static bool tsc_invariant(void)
{
    uint32_t r[4];
    x86_cpuid(0x80000000, 0, r);
    if (r[0] < 0x80000007) {
        return false;
    }
    x86_cpuid(0x80000007, 0, r);
    return r[3] & (1u << 8);
}

/* CPUID: the host's answer without what the VM does not have (SVM, VMX, SMX, MONITOR, XSAVE,
 * x2APIC, MTRRs, performance counters), with the hypervisor bit, the LAPIC model's TSC-deadline
 * mode, Keel's leaf 0x40000000 and kvm-clock's at 0x40000100. */
static void cpuid_exit(struct vcpu *v, struct keel_vcpu_state *s)
{
    uint32_t leaf = (uint32_t)s->gpr[0], sub = (uint32_t)s->gpr[1], r[4];
    x86_cpuid(leaf, sub, r);
    switch (leaf) {
    case 1:
        /* no MONITOR, VMX, SMX, x2APIC, XSAVE, OSXSAVE */
        r[2] &= ~((1u << 3) | (1u << 5) | (1u << 6) | (1u << 21) | (1u << 26) | (1u << 27));
        r[2] |= 1u << 31;                                             /* a hypervisor */
        if (v->vm->arch.lapic) {
            r[2] |= 1u << 24; /* TSC-deadline timer: the LAPIC model has it */
        }
        r[3] &= ~(
            1u << 12); /* no MTRRs (their MSRs are not modelled; memory types are EPT's/NPT's) */
        r[1] = (r[1] & 0x00ffffffu) | (uint32_t)(v->arch.lapic.id << 24); /* its initial APIC id */
        break;
    case 7:
        r[2] &= ~((1u << 3) | (1u << 4)); /* no PKU: PKRU is not switched between VMs */
        r[2] &= ~(1u << 22);              /* no RDPID: TSC_AUX is not switched (the host's) */
        r[1] &= ~(1u << 1);               /* no IA32_TSC_ADJUST (not modelled) */
        break;
    case 0xa:
        r[0] = r[1] = r[2] = r[3] = 0; /* no performance counters */
        break;
    case 0xb:
    case 0x1f:
        r[3] = v->arch.lapic.id; /* the topology leaves' x2APIC id: this vCPU's, not the host's */
        break;
    case 0x8000001f:
        r[0] = r[1] = r[2] = r[3] = 0; /* no SEV (firmware would read its MSRs) */
        break;
    case 0x40000000:
        r[0] = 0x40000000;
        memcpy(&r[1], "KeelKeelKeel", 12);
        break;
    case KVM_CPUID_SIGNATURE:
    case KVM_CPUID_FEATURES: /* kvm-clock (kvmclock.h), when there is a rate to tell */
        if (rt_timer_freq() == 0 || !kvmclock_cpuid(leaf, tsc_invariant(), r)) {
            r[0] = r[1] = r[2] = r[3] = 0;
        }
        break;
    case 0x80000001:
        r[2] &= ~(1u << 2); /* no SVM */
        r[3] &= ~(
            1u << 27); /* no RDTSCP: TSC_AUX is not switched (the guest would read the host's) */
        break;
    case 0x8000000a:
        r[0] = r[1] = r[2] = r[3] = 0;
        break;
    }
    for (unsigned i = 0; i < 4; i++) {
        s->gpr[i == 0 ? 0 : i == 1 ? 3 : i == 2 ? 1 : 2] = r[i]; /* eax, ebx, ecx, edx */
    }
    step(s, 2);
}

/* A value hardware would take for the MSR (else WRMSR is #GP; VMRUN would refuse some of them). */
static bool msr_value_ok(uint32_t msr, uint64_t value)
{
    switch (msr) {
    case MSR_PAT:
        for (unsigned i = 0; i < 8; i++) {
            unsigned type = (value >> (8 * i)) & 0xff;
            if (type == 2 || type == 3 || type > 7) {
                return false;
            }
        }
        return true;
    case MSR_SFMASK:
        return (value >> 32) == 0;
    case MSR_SYSENTER_CS:
    case MSR_STAR:
        return true;
    default: /* an address: canonical (48 bits) */
        return (uint64_t)((int64_t)(value << 16) >> 16) == value;
    }
}

/* The MSR's place in the state area, for those the guest owns. */
static uint64_t *msr_slot(struct keel_vcpu_state *s, uint32_t msr)
{
    switch (msr) {
    case MSR_SYSENTER_CS:
        return &s->sys.sysenter_cs;
    case MSR_SYSENTER_ESP:
        return &s->sys.sysenter_esp;
    case MSR_SYSENTER_EIP:
        return &s->sys.sysenter_eip;
    case MSR_PAT:
        return &s->sys.pat;
    case MSR_STAR:
        return &s->sys.star;
    case MSR_LSTAR:
        return &s->sys.lstar;
    case MSR_CSTAR:
        return &s->sys.cstar;
    case MSR_SFMASK:
        return &s->sys.sfmask;
    case MSR_FS_BASE:
        return &s->sys.fs.base;
    case MSR_GS_BASE:
        return &s->sys.gs.base;
    case MSR_KERNEL_GS_BASE:
        return &s->sys.kernel_gs_base;
    default: return NULL;
    }
}

/* kvm-clock's MSRs (kvmclock.h): the guest-physical address of a structure (4-byte aligned, in
 * RAM), filled at the write; bit 0 of MSR_KVM_SYSTEM_TIME_NEW enables it (the wall clock's has no
 * enable bit). An address elsewhere is taken and reported, and nothing written (as KVM: no #GP).
 * One lock for the VM's structures: writes are rare (a vCPU's start, a wall clock read). */
static void kvmclock_msr_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
    static struct vm_lock lock;
    struct vm *vm = v->vm;
    uint64_t zero = 0, hz = rt_timer_freq();
    bool time = msr == MSR_KVM_SYSTEM_TIME_NEW;
    if (hz == 0) {
        return; /* (never offered: kvm-clock's leaves are then zero) */
    }
    __atomic_compare_exchange_n(&vm->arch.kvmclock_tsc0, &zero, keel_cycles(), false,
                                __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    uint64_t tsc0 = __atomic_load_n(&vm->arch.kvmclock_tsc0, __ATOMIC_RELAXED);
    uint64_t gpa = time ? value & ~1ull : value, size = time ? sizeof(struct pvclock_vcpu_time_info)
                                                             : sizeof(struct pvclock_wall_clock);
    void *p = gpa & 3 ? NULL : guest_mem_ptr(vm, gpa_init(gpa), size);
    uint32_t nsec = 0;
    uint64_t sec = time ? 0 : ports_wall_clock(tsc0, &nsec);
    vm_lock(&lock);
    *(time ? &v->arch.kvmclock_msr : &vm->arch.kvmclock_wall_msr) = value;
    if (time && !(value & 1)) {
        /* disabled: nothing more is written */
    } else if (!p) {
        vm_report(vm,
                  "guest put its kvm-clock %s at 0x%lx: not 4-byte aligned guest RAM, not "
                  "written",
                  time ? "time" : "wall clock", (unsigned long)gpa);
    } else if (time) {
        kvmclock_write_time(p, &v->arch.kvmclock_version, tsc0, hz, tsc_invariant());
    } else {
        kvmclock_write_wall(p, &vm->arch.kvmclock_wall_version, sec, nsec);
    }
    vm_unlock(&lock);
}

static int msr_exit(struct vcpu *v, struct keel_vcpu_state *s)
{
    struct vm *vm = v->vm;
    uint32_t msr = (uint32_t)s->gpr[1];
    bool write = s->exit_info1 & 1;
    uint64_t value = (s->gpr[0] & 0xffffffffu) | s->gpr[2] << 32, *slot = msr_slot(s, msr);
    bool ok = true;
    if (slot && vcpu_state_sync(v) != 0) {
        return -1;
    }
    if (slot) {
        if (write && !msr_value_ok(msr, value)) {
            ok = false;
        } else if (write) {
            *slot = value;
            s->sync.dirty |= KEEL_VCPU_SYNC_SYS;
        } else {
            value = *slot;
        }
    } else if (msr == MSR_EFER) {
        bool paging = s->cr0 & (1ull << 31);
        bool lme_changed = (value ^ s->efer) & (1ull << 8);
        if (write && ((value & ~EFER_GUEST_BITS) || (paging && lme_changed))) {
            ok = false; /* a reserved bit, or LME changed with paging on */
        } else if (write) {
            s->efer = (value & ~0x400ull) | (s->efer & 0x400); /* LMA is the CPU's */
        } else {
            value = s->efer;
        }
    } else if (msr == MSR_TSC && !write) {
        uint32_t lo, hi;
        __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
        value = lo | (uint64_t)hi << 32;
    } else if (msr == MSR_MISC_ENABLE) {
        /* Fast strings on, no branch trace or PEBS; writes are taken and change nothing (Linux's
         * early code clears XD-disable with a plain WRMSR on Intel CPUs). */
        value = write ? value : 0x1801;
    } else if (msr == MSR_MCG_CAP && !write) {
        value = 0; /* no error-reporting banks, no MCG_CTL: nothing ever reports a machine check */
    } else if (msr == MSR_MCG_STATUS && (!write || value == 0)) {
        value = 0; /* no machine check in progress (writing 0 clears it; others are #GP) */
    } else if (msr == MSR_UCODE_REV) {
        value = 0; /* no microcode revision to report; the write that asks for it is taken */
    } else if (msr == MSR_PLATFORM_ID && !write && x86_vendor_is("Genu")) {
        value = 0; /* (Intel's only, read-only) platform 0: firmware matches microcode with it */
    } else if (msr == MSR_TSC_DEADLINE && v->vm->arch.lapic) {
        if (write) {
            lapic_tsc_deadline_write(v, value);
        } else {
            value = lapic_tsc_deadline_read(v);
        }
    } else if (msr == MSR_KVM_SYSTEM_TIME_NEW || msr == MSR_KVM_WALL_CLOCK_NEW) {
        if (write) {
            kvmclock_msr_write(v, msr, value);
        } else {
            value = msr == MSR_KVM_SYSTEM_TIME_NEW ? v->arch.kvmclock_msr
                                                   : vm->arch.kvmclock_wall_msr;
        }
    } else if (msr == MSR_APIC_BASE && !write) {
        value = 0xfee00000u | (1u << 11) | (v->id == 0 ? 1u << 8 : 0); /* the xAPIC, enabled, BSP */
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
    step(s, 2);
    return 0;
}

/* Events for the guest before it resumes (vm->irq_lock held): a delivery the exit cut short, then the
 * LAPIC's vector or interrupt-window request and its timer's deadline. */
static void prepare_resume(struct vcpu *v, struct keel_vcpu_state *s)
{
    unsigned type = (s->exit_int_info >> 8) & 7, vector = s->exit_int_info & 0xff;
    bool software = type == 4 || (type == 3 && (vector == 3 || vector == 4)); /* INTn, INT3, INTO */
    bool cut_short = (s->exit_int_info & KEEL_X86_INJECT_VALID) && !software;
    if (cut_short && !(s->inject & KEEL_X86_INJECT_VALID)) {
        /* Its delivery was cut short: again (a software one runs again from its instruction). */
        s->inject = s->exit_int_info & ~EVENT_RESERVED;
    }
    s->exit_int_info = 0;
    if (v->vm->arch.lapic) {
        lapic_before_resume(v, s);
    }
}

/* vCPU 0 also keeps the clock of the devices' timers (ports_clock_events): its deadline is the
 * earlier of its local APIC's and theirs, so it comes back (a VTIMER exit) to raise their
 * interrupts. (Their lines go through the I/O APIC to whichever vCPU they name.) */
static uint64_t clock_events(struct vcpu *v)
{
    return v->id == 0 && v->vm->arch.clock_devices ? ports_clock_events(v->vm) : UINT64_MAX;
}

/* After prepare_resume (which sets the local APIC's deadline, where there is one). */
static void deadline_with(struct vcpu *v, struct keel_vcpu_state *s, uint64_t devices)
{
    if (!v->vm->arch.lapic || devices < s->timer_deadline) {
        s->timer_deadline = devices;
    }
}

/* HLT: the guest has nothing to do until an interrupt. Sleep until its APIC timer is due (a
 * receive that times out) or a kick (a vector from another thread) ends the wait. With
 * interrupts off it is halted for good: the VMM waits until the VM is stopped. */
static int halt(struct vcpu *v, struct keel_vcpu_state *s)
{
    struct vm *vm = v->vm;
    bool on = s->rflags & RFLAGS_IF;
    step(s, 1);
    uint64_t devices = clock_events(v);
    vm_lock(&vm->irq_lock);
    prepare_resume(v, s); /* the timer may have expired meanwhile */
    bool wake = on && ((s->inject & KEEL_X86_INJECT_VALID) || lapic_pending(v));
    deadline_with(v, s, devices);
    uint64_t due = s->timer_deadline;
    vm_unlock(&vm->irq_lock);
    if (wake) {
        return 0;
    }
    uint32_t timeout = on ? 1000000 : KEEL_TIMEOUT_NEVER; /* with no timer, look again in 1 s */
    uint64_t now = keel_cycles(), freq = rt_timer_freq();
    if (on && due != UINT64_MAX) {
        timeout = due <= now          ? 0
                  : due - now >= freq ? 1000000
                                      : (uint32_t)((due - now) * 1000000 / freq + 1);
    }
    v->wfi_sleeps++;
    keel_receive(v->kick, timeout, 0);
    return 0;
}

static int trap(struct vcpu *v, struct keel_vcpu_state *s)
{
    struct vm *vm = v->vm;
    if (s->exit_code >= KEEL_X86_EXIT_READ_DR0 && s->exit_code < KEEL_X86_EXIT_WRITE_DR0 + 16) {
        return debug_register(v, s);
    }
    switch (s->exit_code) {
    case KEEL_X86_EXIT_NPF:
        v->arch.exits_mmio++;
        return mmio(vm, s);
    case KEEL_X86_EXIT_WRITE_CR4:
        return control_register(v, s, 4);
    case KEEL_X86_EXIT_WRITE_CR8:
        return control_register(v, s, 8);
    case KEEL_X86_EXIT_IOIO:
        v->arch.exits_port++;
        return port_io(v, s);
    case KEEL_X86_EXIT_CPUID:
        v->arch.exits_cpuid++;
        cpuid_exit(v, s);
        return 0;
    case KEEL_X86_EXIT_MSR:
        v->arch.exits_msr++;
        return msr_exit(v, s);
    case KEEL_X86_EXIT_HLT:
        v->arch.exits_hlt++;
        return halt(v, s);
    case KEEL_X86_EXIT_VINTR:
        return 0; /* the interrupt window the LAPIC asked for: it injects before the resume */
    case KEEL_X86_EXIT_VMMCALL:
        s->gpr[0] = (uint64_t)-1000; /* no hypercalls of the VMM's: Linux's -KVM_ENOSYS */
        step(s, 3);
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
    case KEEL_X86_EXIT_VMX_INSN:
        /* The guest's CPUID has no SVM, VMX, SMX, MONITOR, XSAVE or RDPRU: #UD, as on such a
         * CPU. */
        vm_report(vm, "guest used an instruction it does not have (exit 0x%lx): #UD injected "
                  "(rip 0x%lx)", (unsigned long)s->exit_code, (unsigned long)s->rip);
        inject_exception(s, X86_UD, false, 0);
        return 0;
    case KEEL_X86_EXIT_RDPMC:
        inject_exception(s, X86_GP, true, 0); /* no performance counters */
        return 0;
    case KEEL_X86_EXIT_INVD:
    case KEEL_X86_EXIT_WBINVD:
        step(s, 2); /* the caches are coherent: nothing to write back or drop */
        return 0;
    case KEEL_X86_EXIT_ICEBP:
        step(s, 1);
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

void arch_vcpu_print_stats(const struct vm *vm, const struct vcpu *v)
{
    const struct vcpu_arch *a = &v->arch;
    uint64_t kinds = a->exits_port + a->exits_mmio + a->exits_msr + a->exits_cpuid + a->exits_hlt;
    uint64_t traps = v->exits[KEEL_VCPU_EXIT_TRAP];
    printf("vmm: %s: vCPU %u traps by kind: %lu port, %lu mmio, %lu msr, %lu cpuid, %lu hlt, "
           "%lu other\n",
           vm->name, v->id, (unsigned long)a->exits_port, (unsigned long)a->exits_mmio,
           (unsigned long)a->exits_msr, (unsigned long)a->exits_cpuid, (unsigned long)a->exits_hlt,
           (unsigned long)(traps > kinds ? traps - kinds : 0));
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
    uint64_t devices = clock_events(v);
    vm_lock(&v->vm->irq_lock);
    prepare_resume(v, v->state);
    deadline_with(v, v->state, devices);
    vm_unlock(&v->vm->irq_lock);
}

/* The state a vCPU starts in. vCPU 0 runs the loaded guest: 32-bit protected mode, flat code
 * (selector 0x10) and data (0x18) segments over 4 GiB, paging and interrupts off, esi = ctx (the
 * state Linux's 32-bit boot protocol asks for); the guest loads its own GDT before it reloads a
 * segment. In a VM that starts in firmware, vCPU 0 starts at the reset vector instead. The
 * others start as an application processor does on a STARTUP IPI: real mode, at the page entry
 * (the IPI's vector << 12), CS = entry >> 4, IP 0. */
bool arch_vm_reset(struct vm *vm)
{
    ports_reset(vm); /* (the local and I/O APICs are MMIO devices: vm_devices_reset did them) */
    for (unsigned i = 0; i < vm->vcpu_count; i++) {
        memset(vm->vcpus[i].arch.dr, 0, sizeof(vm->vcpus[i].arch.dr));
        vm->vcpus[i].arch.dr7 = 0; /* (as vcpu_create left it) */
        vm->vcpus[i].arch.kvmclock_msr = 0; /* the guest names its structures again */
    }
    vm->arch.kvmclock_wall_msr = 0; /* (kvm-clock's 0 stays: the clock runs on, as KVM's) */
    return true;
}

void arch_vcpu_reset(struct vcpu *v, uint64_t entry, uint64_t ctx)
{
    struct keel_vcpu_state *s = v->state;
    memset(s, 0, sizeof(*s));
    s->sync.dirty = KEEL_VCPU_SYNC_SYS;
    s->rflags = 2;
    s->sys.dr6 = 0xffff0ff0;
    s->sys.dr7 = 0x400;
    s->sys.pat = 0x0007040600070406ull;
    s->timer_deadline = UINT64_MAX;
    s->sys.idtr.limit = 0xffff;
    s->sys.gdtr.limit = 0xffff;      /* (SDM 3A table 9-1, as IDTR) */
    if (v->vm->arch.acpi_pm_timer) { /* the kernel answers its reads (the model's count) */
        s->pm_timer_port = v->vm->arch.acpi_pm_base + ACPI_PM_TMR;
    }
    s->sys.ldtr = (struct keel_x86_segment){ 0, 0x82, 0xffff, 0 };
    if (v->id == 0 && v->vm->firmware) {
        /* The reset vector (SDM 3A 9.1.4): CS 0xf000 with base 0xffff0000, IP 0xfff0. */
        const struct keel_x86_segment data = { 0, 0x93, 0xffff, 0 };
        s->cr0 = 0x10; /* ET; (CD and NW stay out of the CR0 the hardware runs with) */
        s->cs = (struct keel_x86_segment){ 0xf000, 0x9b, 0xffff, 0xffff0000u };
        s->rip = entry & 0xffff;
        s->sys.ds = s->sys.es = s->sys.ss = s->sys.fs = s->sys.gs = data;
        s->sys.tr = (struct keel_x86_segment){ 0, 0x8b, 0xffff, 0 };
        return;
    }
    if (v->id != 0) {
        const struct keel_x86_segment data = { 0, 0x93, 0xffff, 0 };
        s->cr0 = 0x10; /* ET: real mode */
        s->cs = (struct keel_x86_segment){ (uint16_t)(entry >> 4), 0x9b, 0xffff, entry & 0xffff0 };
        s->sys.ds = s->sys.es = s->sys.ss = s->sys.fs = s->sys.gs = data;
        s->sys.tr = (struct keel_x86_segment){ 0, 0x8b, 0xffff, 0 };
        return;
    }
    const struct keel_x86_segment code = { 0x10, 0xc9b, 0xffffffffu, 0 };
    const struct keel_x86_segment data = { 0x18, 0xc93, 0xffffffffu, 0 };
    s->rip = entry;
    s->gpr[6] = ctx;
    s->cr0 = 0x11; /* PE, ET */
    s->cs = code;
    s->sys.ds = s->sys.es = s->sys.ss = s->sys.fs = s->sys.gs = data;
    s->sys.gdtr.limit = 0xffff;
    s->sys.tr = (struct keel_x86_segment){ 0, 0x8b, 0xffff, 0 };
}
