// SPDX-License-Identifier: MIT
/*
 * Extended vCPU mode on arm64, what the kernel answers for the guest itself (docs/vcpu.md): the
 * ID registers of group 3 (HCR_EL2.TID3) without an exit, as the CPU has them but with no PMU
 * (ID_AA64DFR0_EL1.PMUVer 0); and the virtual timer's interrupt, injected by the kernel without
 * an exit, in the group and at the priority the VMM says its model has (KEEL_VGIC_VTIMER_*), not
 * a fixed one. A small guest at GUEST_PA reports through its registers at its HVC, the one exit.
 */
#if defined(__aarch64__)
#include "ktest_util.h"
#include "vcpu_guest.h"
#include <keel/ktest.h>
#include <fdt_util.h>
#include <libfdt.h>
#include <uapi/keel/vcpu.h>
#include <string.h>

#define ID_PC GUEST_PA
#define TIMER_PC (GUEST_PA + 0x100)
#define EC_HVC64 0x16

/* At ID_PC: x1 = ID_AA64DFR0_EL1, x2 = ID_AA64PFR0_EL1, x3 = ID_DFR0_EL1; HVC. At TIMER_PC: open
 * the virtual CPU interface (PMR 0xff, group 1 on), arm the virtual timer due now, poll
 * ICC_IAR1_EL1 (at most x9 times) into x1, x2 = ICC_RPR_EL1; HVC. */
extern const uint32_t arm64_guest[], arm64_guest_end[];
__asm__(".pushsection .rodata\n"
        ".balign 4096\n"
        ".globl arm64_guest\n"
        "arm64_guest:\n"
        "    mrs x1, id_aa64dfr0_el1\n"
        "    mrs x2, id_aa64pfr0_el1\n"
        "    mrs x3, S3_0_C0_C1_2\n" /* ID_DFR0_EL1 */
        "    mrs xzr, id_aa64isar0_el1\n"
        "    hvc #0\n"
        "    b .\n"
        ".balign 0x100\n"
        "    mov x0, #1\n"
        "    msr S3_0_C12_C12_5, x0\n" /* ICC_SRE_EL1.SRE */
        "    isb\n"
        "    mov x0, #0xff\n"
        "    msr S3_0_C4_C6_0, x0\n" /* ICC_PMR_EL1 */
        "    mov x0, #1\n"
        "    msr S3_0_C12_C12_7, x0\n" /* ICC_IGRPEN1_EL1 */
        "    isb\n"
        "    mrs x0, cntvct_el0\n"
        "    msr cntv_cval_el0, x0\n"
        "    mov x0, #1\n"
        "    msr cntv_ctl_el0, x0\n" /* enabled, due */
        "    isb\n"
        "1:  mrs x1, S3_0_C12_C12_0\n" /* ICC_IAR1_EL1 */
        "    cmp x1, #1023\n"
        "    b.ne 2f\n"
        "    subs x9, x9, #1\n"
        "    b.ne 1b\n"
        "2:  mrs x2, S3_0_C12_C11_3\n" /* ICC_RPR_EL1 */
        "    msr cntv_ctl_el0, xzr\n"
        "    hvc #0\n"
        "    b .\n"
        ".globl arm64_guest_end\n"
        "arm64_guest_end:\n"
        ".popsection\n");

static bool gicv3(void)
{
    const void *fdt = (const void *)(uintptr_t)rt_kip()->fdt_base;
    return fdt_check_header(fdt) == 0 && fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3") >= 0;
}

static volatile int bound, done;
static volatile uint64_t pc, flags, out_esr, out_x[4], extra_pstate;
static volatile int64_t res;
static uint64_t vm, area;

/* Binds itself, runs the guest at pc with the VMM's vgic_flags once, reports. */
static void vcpu_main(uint64_t self)
{
    struct keel_vcpu_state *s = (struct keel_vcpu_state *)(uintptr_t)area;
    if (KOBJ(self, KEEL_THREAD_VCPU, vm, area) != 0) {
        bound = -1;
        kthread_exit();
    }
    memset(s, 0, sizeof(*s));
    vcpu_guest_start(s, pc);
    s->pstate |= extra_pstate;
    s->sync.dirty = KEEL_VCPU_SYNC_SYS;
    s->x[9] = 20000000; /* polls of the CPU interface */
    s->vgic_flags = (uint32_t)flags;
    res = KOBJ(self, KEEL_THREAD_VCPU_RESUME);
    out_esr = s->exit_esr;
    for (unsigned i = 0; i < 4; i++) {
        out_x[i] = s->x[i];
    }
    done = 1;
    kthread_exit();
}

/* Runs the guest at guest_pc once in a VM of its own: whether it came back (res, out_*). */
static bool run_guest(uint64_t guest_pc, uint32_t vgic_flags)
{
    uint8_t *page = rt_page_alloc();
    struct kthread t;
    bool ok = false;
    vm = cap_new();
    area = root_utcb_page_alloc();
    bound = done = 0;
    pc = guest_pc;
    flags = vgic_flags;
    if (page && area) {
        memcpy(page, arm64_guest,
               (size_t)((const char *)arm64_guest_end - (const char *)arm64_guest));
        kthread_prepare(&t);
        ok = KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, vm, 0, KEEL_TASK_VM) == 0 &&
             KOBJ(vm, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                  keel_fpage_mem((uint64_t)(uintptr_t)page, 12, KEEL_FP_RWX), GUEST_PA) == 0 &&
             kthread_run(&t, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, vcpu_main, t.cap, 0, 0) == 0 &&
             wait_flag(&done, 5000);
        kthread_free(&t);
    }
    cap_free(vm);
    if (area) {
        root_utcb_page_free(area);
    }
    if (page) {
        rt_page_free(page);
    }
    return ok;
}

KTEST(vcpu_arm64_id_registers_answered_without_an_exit_and_without_a_pmu)
{
    REQUIRE(run_guest(ID_PC, 0));
    CHECK_EQ(res, KEEL_VCPU_EXIT_TRAP);
    CHECK_EQ(out_esr >> 26, EC_HVC64);   /* its HVC the first exit: the reads were the kernel's */
    CHECK_EQ((out_x[1] >> 8) & 0xf, 0);  /* ID_AA64DFR0_EL1.PMUVer: no PMU */
    CHECK((out_x[1] & 0xf) >= 6);        /* DebugVer: the CPU's own (v8: 6 or more) */
    CHECK_EQ((out_x[3] >> 24) & 0xf, 0); /* ID_DFR0_EL1.PerfMon */
    CHECK((out_x[2] & 0xf) != 0);        /* ID_AA64PFR0_EL1.EL0: the CPU's own (AArch64) */
}

/* What an exit of a v8.1+ guest saves in PSTATE comes back: Linux runs its kernel with PAN set
 * (the kernel refused such a resume: EINVAL at the first exit the VMM handled); SSBS, UAO and
 * DIT too. IL (an illegal return) and AArch32 are still refused. */
KTEST(vcpu_arm64_pstate_of_later_architecture_versions_resumes)
{
    extra_pstate = (1ull << 22) | (1ull << 23) | (1ull << 24) | (1ull << 12); /* PAN UAO DIT SSBS */
    REQUIRE(run_guest(ID_PC, 0));
    CHECK_EQ(res, KEEL_VCPU_EXIT_TRAP);
    CHECK_EQ(out_esr >> 26, EC_HVC64);
    extra_pstate = 1ull << 20; /* IL */
    REQUIRE(run_guest(ID_PC, 0));
    CHECK_EQ(res, -KEEL_EINVAL);
    extra_pstate = 0x10; /* M[4]: AArch32 */
    REQUIRE(run_guest(ID_PC, 0));
    CHECK_EQ(res, -KEEL_EINVAL);
    extra_pstate = 0;
}

KTEST(vcpu_arm64_vtimer_injected_at_the_priority_the_vmm_says)
{
    if (!gicv3()) {
        printf("ktest: GICv2: the guest has no ICC registers\n");
        return;
    }
    static const uint8_t priorities[] = { 0x70, 0xa0, 0x40 };
    for (unsigned i = 0; i < sizeof(priorities); i++) {
        REQUIRE(run_guest(TIMER_PC, KEEL_VGIC_VTIMER_ON | KEEL_VGIC_VTIMER_GROUP1 |
                                        KEEL_VGIC_VTIMER_PRIORITY(priorities[i])));
        CHECK_EQ(res, KEEL_VCPU_EXIT_TRAP);
        CHECK_EQ(out_esr >> 26, EC_HVC64);
        CHECK_EQ(out_x[1], 27);            /* taken without an exit */
        CHECK_EQ(out_x[2], priorities[i]); /* ICC_RPR_EL1: the priority it came with */
    }
    /* Not ON: the kernel injects nothing; the run ends with the timer held for the VMM. */
    REQUIRE(run_guest(TIMER_PC, KEEL_VGIC_VTIMER_GROUP1 | KEEL_VGIC_VTIMER_PRIORITY(0x70)));
    CHECK_EQ(res, KEEL_VCPU_EXIT_VTIMER);
}
#endif
