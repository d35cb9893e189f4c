// SPDX-License-Identifier: MIT
/*
 * Direct delivery of a device's line to a guest (Irq DIRECT, docs/vcpu.md): the board's RTC
 * (arm64 QEMU virt: PL031; writing its match register with the current count raises the line at
 * once) is bound through the Icu and given to a vCPU thread with a virtual INTID. A small guest
 * with the RTC's page mapped raises the line, takes the virtual interrupt, clears the device and
 * ends the interrupt: the physical line is deactivated by the guest's EOI, with no exit to the
 * "VMM" (this test) on the way. Also: the refusals; an interrupt that comes while the vCPU is out
 * of its guest (the kick Irq is triggered); ending the delivery (DIRECT ~0, the vCPU thread's
 * death) while the line is active for the guest deactivates it, so that the line works again the
 * ordinary way; the VMM's "not now" sends it the ordinary way. arm64 GICv3 only: elsewhere every
 * well-formed request is EPROTO. With the same guest: every list register the VMM may use comes
 * back at the exit (vcpu_vgic_...).
 */
#include <keel/ktest.h>
#include <fdt_util.h>
#include <libfdt.h>
#include <uapi/keel/vcpu.h>
#include <string.h>
#include "ktest_util.h"

#define L_ORDINARY 0x6f7264
#define L_KICK 0x6b69636b
#define VINTID 40      /* what the guest sees: not the physical INTID (34 on QEMU virt) */
#define SPARE_LINE 100 /* a line with nothing on it, for a second Irq */

#if defined(__aarch64__)
#define GUEST_PA 0x80000000ull
#define RTC_GPA 0x09010000ull

/* The guest (copied to GUEST_PA; x2 = the RTC's page). At 0: enable the virtual CPU interface,
 * raise the RTC's line (unless x3 is 0), unmask IRQs and spin until the handler ran, then HVC (not the kernel's
 * null call: an exit) with x1 = the INTID acknowledged. At 0x100: HVC at once. The handler
 * acknowledges, clears the RTC (RTCICR) and writes EOIR1 (the guest's EOImode 0: priority drop
 * and deactivation, which the hardware entry passes on to the physical line). */
extern const uint32_t direct_guest[], direct_guest_end[];
__asm__(".pushsection .rodata\n"
        ".balign 4096\n"
        ".globl direct_guest\n"
        "direct_guest:\n"
        "    adr x0, 9f\n"
        "    msr vbar_el1, x0\n"
        "    mov x0, #1\n"
        "    msr S3_0_C12_C12_5, x0\n" /* ICC_SRE_EL1.SRE */
        "    isb\n"
        "    mov x0, #0xff\n"
        "    msr S3_0_C4_C6_0, x0\n" /* ICC_PMR_EL1 */
        "    mov x0, #1\n"
        "    msr S3_0_C12_C12_7, x0\n" /* ICC_IGRPEN1_EL1 */
        "    isb\n"
        "    mov x20, #0\n"
        "    mov x21, #0\n"
        "    cbz x3, 7f\n"          /* x3 = 0: the interrupt is pending already */
        "6:  ldr w0, [x2]\n"        /* RTCDR */
        "    str w0, [x2, #4]\n"    /* RTCMR = RTCDR: the match is now */
        "    ldr w0, [x2, #0x14]\n" /* RTCRIS (the count moved on meanwhile: again) */
        "    cbz w0, 6b\n"
        "    mov w0, #1\n"
        "    str w0, [x2, #0x10]\n" /* RTCIMSC */
        "7:  msr daifclr, #2\n"
        "1:  cbz x20, 1b\n"
        "    msr daifset, #2\n"
        "    mov x0, #1\n"
        "    mov x1, x21\n"
        "    hvc #0\n"
        "2:  b 2b\n"
        ".balign 0x100\n"
        "    mov x0, #1\n"
        "    hvc #0\n"
        "3:  b 3b\n"
        "4:  mrs x21, S3_0_C12_C12_0\n" /* ICC_IAR1_EL1 */
        "    mov w0, #1\n"
        "    str w0, [x2, #0x1c]\n" /* RTCICR: the line goes low */
        "    dsb sy\n"
        "    msr S3_0_C12_C12_1, x21\n" /* ICC_EOIR1_EL1 */
        "    add x20, x20, #1\n"
        "    eret\n"
        "5:  b 5b\n"
        ".balign 2048\n"
        "9:\n"
        ".rept 5\n.balign 0x80\n b 5b\n.endr\n"
        ".balign 0x80\n b 4b\n" /* current EL, SPx: IRQ */
        ".rept 10\n.balign 0x80\n b 5b\n.endr\n"
        ".globl direct_guest_end\n"
        "direct_guest_end:\n"
        ".popsection\n");

static bool gicv3(void)
{
    const void *fdt = (const void *)(uintptr_t)rt_kip()->fdt_base;
    return fdt_check_header(fdt) == 0 && fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3") >= 0;
}

/* The PL031: its registers (the root task's identity mapping) and its Icu line. */
static volatile uint32_t *rtc;
static unsigned rtc_line;

static int find_rtc(void)
{
    const void *fdt = (const void *)(uintptr_t)rt_kip()->fdt_base;
    int len, node = fdt_check_header(fdt) == 0 ? fdt_node_offset_by_compatible(fdt, -1, "arm,pl031")
                                               : -1;
    uint64_t base;
    const fdt32_t *p = node >= 0 ? fdt_getprop(fdt, node, "interrupts", &len) : NULL;
    if (!p || len < 12 || !fdt_util_reg(fdt, node, 0, &base, NULL) || base != RTC_GPA) {
        return -1;
    }
    rtc = (volatile uint32_t *)(uintptr_t)base;
    rtc_line = 32 + fdt32_ld(&p[1]);
    return 0;
}

/* RTCMR = RTCDR (again should the count have moved on meanwhile: RTCRIS tells), RTCIMSC. */
static void rtc_raise(void)
{
    for (unsigned i = 0; i < 3 && !(rtc[0x14 / 4] & 1); i++) {
        rtc[0x04 / 4] = rtc[0];
    }
    rtc[0x10 / 4] = 1;
}

static void parked(uint64_t mycap)
{
    keel_receive(mycap, KEEL_TIMEOUT_NEVER, 0);
    kthread_exit();
}

/* A thread of a child task, killed with the task: its capability names a dead thread. */
static int dead_thread(struct kthread *t)
{
    uint64_t task;
    if (ktask_create(KEEL_ROOT_FACTORY, &task) < 0) {
        return -1;
    }
    kthread_prepare(t);
    if (kthread_run(t, KEEL_ROOT_FACTORY, task, parked, 0, 0, 0) != 0 ||
        !wait_state(t->cap, 2, 1000)) {
        return -1;
    }
    cap_free(task);
    return thread_state(t->cap) == KEEL_THREAD_STATE_DEAD ? 0 : -1;
}

static void rtc_quiet(void)
{
    rtc[0x10 / 4] = 0;
    rtc[0x1c / 4] = 1;
}

/* The vCPU: a thread of the root task that runs the guest when told (cmd), result in res. */
enum { CMD_NONE, CMD_RUN, CMD_HVC_ONLY, CMD_TAKE };
static volatile int cmd, bound, ran;
static volatile uint32_t direct_word;
static volatile int64_t res;
static volatile uint64_t acked, vmm_lr0; /* vmm_lr0: the "VMM's" list register vmm_lr_at */
static volatile unsigned vmm_lr_at, lr_count;
static volatile uint64_t lr_back; /* list register vmm_lr_at after the exit */
static uint64_t vm, area;

static void vcpu_main(uint64_t self)
{
    struct keel_vcpu_state *s = (struct keel_vcpu_state *)(uintptr_t)area;
    if (KOBJ(self, KEEL_THREAD_VCPU, vm, area) != 0) {
        bound = -1;
        kthread_exit();
    }
    bound = 1;
    for (;;) {
        while (cmd == CMD_NONE) {
            sleep_us(500);
        }
        memset(s, 0, sizeof(*s));
        s->pc = GUEST_PA + (cmd == CMD_HVC_ONLY ? 0x100 : 0);
        s->pstate = 0x3c5; /* EL1h, DAIF masked */
        s->sys.sctlr_el1 = 0x30d00800;
        s->sync.dirty = KEEL_VCPU_SYNC_SYS;
        s->x[2] = RTC_GPA;
        s->x[3] = cmd != CMD_TAKE; /* CMD_TAKE: take what is pending, raise nothing */
        s->vgic_flags = KEEL_VGIC_VTIMER_DEFAULT;
        s->vgic_direct = direct_word;
        s->vgic_lr[vmm_lr_at] = vmm_lr0;
        res = KOBJ(self, KEEL_THREAD_VCPU_RESUME);
        acked = s->x[1];
        lr_back = s->vgic_lr[vmm_lr_at];
        lr_count = s->vgic_lr_count;
        cmd = CMD_NONE;
        ran++;
    }
}

/* Tells the vCPU to run and waits for its exit (at most 3 s): whether it came. */
static bool run_vcpu(int what, uint32_t direct)
{
    int before = ran;
    direct_word = direct;
    cmd = what;
    for (unsigned i = 0; i < 3000 && ran == before; i++) {
        sleep_us(1000);
    }
    return ran != before;
}

struct rig {
    uint8_t *page;
    uint64_t irq, kick;
    struct kthread t;
};

/* A VM with the guest and the RTC's page, its vCPU thread bound, an Irq bound to the RTC's line
 * (attached to the root thread: the ordinary way) and a kick Irq (attached to it too). */
static int rig_up(struct rig *g)
{
    memset(g, 0, sizeof(*g));
    if (find_rtc() != 0 || !(g->page = rt_page_alloc())) {
        return -1;
    }
    memcpy(g->page, direct_guest,
           (size_t)((const char *)direct_guest_end - (const char *)direct_guest));
    (void)rtc[0]; /* (the root task's mapping of the device, to map it on) */
    rtc_quiet();
    vm = cap_new();
    area = root_utcb_page_alloc();
    g->irq = cap_new();
    g->kick = cap_new();
    if (!area || KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, vm, 0, KEEL_TASK_VM) != 0 ||
        KOBJ(vm, KEEL_TASK_MAP, KEEL_ROOT_TASK,
             keel_fpage_mem((uint64_t)(uintptr_t)g->page, 12, KEEL_FP_RWX), GUEST_PA) != 0 ||
        KOBJ(vm, KEEL_TASK_MAP, KEEL_ROOT_TASK, keel_fpage_mem(RTC_GPA, 12, KEEL_FP_RW), RTC_GPA) !=
            0 ||
        KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ, g->irq) != 0 ||
        KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ, g->kick) != 0 ||
        KOBJ(g->irq, KEEL_IRQ_ATTACH, KEEL_ROOT_THREAD, L_ORDINARY) != 0 ||
        KOBJ(g->kick, KEEL_IRQ_ATTACH, KEEL_ROOT_THREAD, L_KICK) != 0 ||
        KOBJ(KEEL_ROOT_ICU, KEEL_ICU_BIND, g->irq, rtc_line, KEEL_IRQ_MODE_LEVEL_HIGH) != 0) {
        return -1;
    }
    cmd = CMD_NONE;
    bound = ran = 0;
    vmm_lr0 = 0;
    vmm_lr_at = 0;
    kthread_prepare(&g->t);
    if (kthread_run(&g->t, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, vcpu_main, g->t.cap, 0, 0) != 0 ||
        !wait_flag(&bound, 2000) || bound != 1) {
        return -1;
    }
    return 0;
}

static void rig_down(struct rig *g)
{
    rtc_quiet();
    if (g->t.cap) {
        kthread_free(&g->t);
    }
    KOBJ(KEEL_ROOT_ICU, KEEL_ICU_UNBIND, g->irq);
    cap_free(g->irq);
    cap_free(g->kick);
    cap_free(vm);
    if (area) {
        root_utcb_page_free(area);
    }
    rt_page_free(g->page);
}

/* Whether a message with label comes from irq within us. */
static bool got(uint64_t irq, uint64_t label, uint32_t us)
{
    uint64_t l = 0;
    return !keel_tag_is_error(keel_receive(irq, us, &l)) && l == label;
}

#define DIRECT_ON (KEEL_VGIC_DIRECT_ON | KEEL_VGIC_DIRECT_GROUP1 | KEEL_VGIC_DIRECT_PRIORITY(0xa0))

KTEST(irq_direct_refusals)
{
    bool v3 = gicv3();
    struct rig g;
    REQUIRE_EQ(rig_up(&g), 0);
    uint64_t other = cap_new(), loose = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ, other), 0);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ, loose), 0);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_BIND, other, SPARE_LINE, KEEL_IRQ_MODE_LEVEL_HIGH), 0);
    if (!v3) { /* GICv2: refused, whatever else */
        CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, g.t.cap, VINTID, g.kick), -KEEL_EPROTO);
    } else {
        CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, g.t.cap, 27, g.kick), -KEEL_ERANGE); /* a PPI */
        CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, g.t.cap, 1020, g.kick), -KEEL_ERANGE);
        CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, g.t.cap, 1ull << 32, g.kick), -KEEL_ERANGE);
        CHECK_EQ(KOBJ(loose, KEEL_IRQ_DIRECT, g.t.cap, VINTID, g.kick), -KEEL_ENOENT); /* no line */
        CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, KEEL_ROOT_THREAD, VINTID, g.kick), -KEEL_EINVAL);
        CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, g.t.cap, VINTID, g.irq), -KEEL_EINVAL); /* own kick */
        CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT), -KEEL_EINVAL);
        CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, g.t.cap, VINTID, g.kick), 0);
        CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, g.t.cap, VINTID + 1, g.kick), 0); /* again: reset */
        CHECK_EQ(KOBJ(other, KEEL_IRQ_DIRECT, g.t.cap, VINTID, ~0ull), -KEEL_EBUSY); /* one each */
        CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, ~0ull), 0);
        CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, ~0ull), 0);           /* (nothing to end) */
        CHECK_EQ(KOBJ(other, KEEL_IRQ_DIRECT, g.t.cap, VINTID), 0); /* free again; no kick */
        /* A new Thread VCPU binding (a VMM's reset) ends it too. */
        CHECK_EQ(KOBJ(g.t.cap, KEEL_THREAD_VCPU, vm, area), 0);
        CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, g.t.cap, VINTID, g.kick), 0);
        CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, ~0ull), 0);
        /* Its line unbound: the delivery ends with it. */
        CHECK_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_UNBIND, other), 0);
        CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, g.t.cap, VINTID, g.kick), 0);
        CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, ~0ull), 0);
    }
    /* A dead thread takes none (ENOENT before anything else is looked at). */
    struct kthread d;
    REQUIRE_EQ(dead_thread(&d), 0);
    CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, d.cap, VINTID, ~0ull), v3 ? -KEEL_ENOENT : -KEEL_EPROTO);
    kthread_free(&d);
    KOBJ(KEEL_ROOT_ICU, KEEL_ICU_UNBIND, other);
    cap_free(other);
    cap_free(loose);
    rig_down(&g);
}

KTEST(irq_direct_the_guest_takes_the_device_interrupt_without_an_exit)
{
    if (!gicv3()) {
        printf("ktest: GICv2: no direct delivery\n");
        return;
    }
    struct rig g;
    REQUIRE_EQ(rig_up(&g), 0);
    REQUIRE_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, g.t.cap, VINTID, g.kick), 0);
    /* The guest raises the line, takes INTID 40 and ends it: one exit, its HVC. */
    REQUIRE(run_vcpu(CMD_RUN, DIRECT_ON));
    CHECK_EQ(res, KEEL_VCPU_EXIT_TRAP);
    CHECK_EQ(acked, VINTID);
    CHECK(!got(g.irq, L_ORDINARY, 20000)); /* not the ordinary way */
    CHECK(!got(g.kick, L_KICK, 0));        /* the vCPU was in its guest: no kick */
    /* Again: the guest's EOI deactivated the physical line. */
    REQUIRE(run_vcpu(CMD_RUN, DIRECT_ON));
    CHECK_EQ(res, KEEL_VCPU_EXIT_TRAP);
    CHECK_EQ(acked, VINTID);
    /* The ordinary way after the delivery ended: the line works. */
    CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, ~0ull), 0);
    rtc_raise();
    CHECK(got(g.irq, L_ORDINARY, 1000000));
    rtc_quiet();
    CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_UNMASK), 0);
    rig_down(&g);
}

/* The vCPU on another CPU than the one the line was routed to, then on a third: the line follows
 * it (routed where it enters its guest). One that comes while the vCPU is out of its guest is
 * pending (the kick says so) and put into the list register at its next entry. */
KTEST(irq_direct_follows_the_vcpu_and_waits_for_its_next_entry)
{
    if (!gicv3()) {
        return;
    }
    struct rig g;
    REQUIRE_EQ(rig_up(&g), 0);
    unsigned n = cpus_online(), first = n > 1 ? 1 : 0, second = n > 2 ? 2 : first;
    REQUIRE_EQ(kthread_place(&g.t, first, 1, 0), 0);
    REQUIRE_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, g.t.cap, VINTID, g.kick), 0);
    REQUIRE(run_vcpu(CMD_RUN, DIRECT_ON));
    CHECK_EQ(res, KEEL_VCPU_EXIT_TRAP);
    CHECK_EQ(acked, VINTID);
    /* Out of its guest, the VMM having said "may take it": pending, kicked. */
    REQUIRE(run_vcpu(CMD_HVC_ONLY, DIRECT_ON));
    rtc_raise();
    CHECK(got(g.kick, L_KICK, 1000000));
    REQUIRE(run_vcpu(CMD_TAKE, DIRECT_ON)); /* the guest raises nothing: it was pending */
    CHECK_EQ(res, KEEL_VCPU_EXIT_TRAP);
    CHECK_EQ(acked, VINTID);
    CHECK(!got(g.irq, L_ORDINARY, 0));
    /* On a third CPU. */
    REQUIRE_EQ(kthread_place(&g.t, second, 1, 0), 0);
    REQUIRE(run_vcpu(CMD_RUN, DIRECT_ON));
    CHECK_EQ(res, KEEL_VCPU_EXIT_TRAP);
    CHECK_EQ(acked, VINTID);
    CHECK(!got(g.irq, L_ORDINARY, 20000));
    CHECK(!got(g.kick, L_KICK, 0));
    /* Back to the ordinary way: the line works (its guest deactivated each one). */
    CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, ~0ull), 0);
    rtc_raise();
    CHECK(got(g.irq, L_ORDINARY, 1000000));
    rtc_quiet();
    CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_UNMASK), 0);
    rig_down(&g);
}

/* A VMM's list register with the vINTID of the kernel's own entry (two entries with one vINTID
 * are UNPREDICTABLE): the resume is refused; without it the guest takes the direct one. */
KTEST(irq_direct_vmm_entry_with_the_direct_vintid_refused)
{
    if (!gicv3()) {
        return;
    }
    struct rig g;
    REQUIRE_EQ(rig_up(&g), 0);
    REQUIRE_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, g.t.cap, VINTID, g.kick), 0);
    REQUIRE(run_vcpu(CMD_HVC_ONLY, DIRECT_ON));
    CHECK_EQ(res, KEEL_VCPU_EXIT_TRAP);
    rtc_raise();
    CHECK(got(g.kick, L_KICK, 1000000)); /* pending for the vCPU: in at its next entry */
    vmm_lr0 = VINTID | KEEL_VGIC_LR_PENDING | KEEL_VGIC_LR_GROUP1 | KEEL_VGIC_LR_PRIORITY(0xa0);
    REQUIRE(run_vcpu(CMD_TAKE, DIRECT_ON));
    CHECK_EQ(res, -KEEL_EINVAL);
    /* The kernel's entry outlived the refusal: the guest takes it at the next resume. */
    vmm_lr0 = 0;
    REQUIRE(run_vcpu(CMD_TAKE, DIRECT_ON));
    CHECK_EQ(res, KEEL_VCPU_EXIT_TRAP);
    CHECK_EQ(acked, VINTID);
    CHECK(!got(g.irq, L_ORDINARY, 20000));
    rig_down(&g);
}

KTEST(irq_direct_ended_while_active_for_the_guest_deactivates_the_line)
{
    if (!gicv3()) {
        return;
    }
    struct rig g;
    REQUIRE_EQ(rig_up(&g), 0);
    REQUIRE_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, g.t.cap, VINTID, g.kick), 0);
    /* The VMM said "may take it" at its last resume; the vCPU is out of its guest: the line
     * stays active for it (no ordinary message) and the kick Irq tells the VMM. */
    REQUIRE(run_vcpu(CMD_HVC_ONLY, DIRECT_ON));
    CHECK_EQ(res, KEEL_VCPU_EXIT_TRAP);
    rtc_raise();
    CHECK(got(g.kick, L_KICK, 1000000));
    CHECK(!got(g.irq, L_ORDINARY, 20000));
    /* Ended while pending: deactivated; the device still asserts it: the ordinary way now. */
    CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, ~0ull), 0);
    CHECK(got(g.irq, L_ORDINARY, 1000000));
    /* Given again, the line unmasked with the device still asserting: pending for the vCPU
     * again; the VMM then says "not now" at the resume: the ordinary way. */
    CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, g.t.cap, VINTID, g.kick), 0);
    REQUIRE(run_vcpu(CMD_HVC_ONLY, DIRECT_ON));
    CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_UNMASK), 0);
    CHECK(got(g.kick, L_KICK, 1000000));
    REQUIRE(run_vcpu(CMD_HVC_ONLY, 0));
    CHECK(got(g.irq, L_ORDINARY, 1000000));
    /* Said "not now" before it comes: the ordinary way at once, no kick. */
    CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_UNMASK), 0);
    CHECK(got(g.irq, L_ORDINARY, 1000000));
    CHECK(!got(g.kick, L_KICK, 0));
    /* Pending again, then its line unbound (Icu UNBIND): deactivated; bound again, the line
     * works (the device still asserts it: at once). */
    CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, g.t.cap, VINTID, g.kick), 0);
    REQUIRE(run_vcpu(CMD_HVC_ONLY, DIRECT_ON));
    CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_UNMASK), 0);
    CHECK(got(g.kick, L_KICK, 1000000));
    CHECK_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_UNBIND, g.irq), 0);
    CHECK(!got(g.irq, L_ORDINARY, 20000));
    CHECK_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_BIND, g.irq, rtc_line, KEEL_IRQ_MODE_LEVEL_HIGH), 0);
    CHECK(got(g.irq, L_ORDINARY, 1000000));
    /* Pending again, then the vCPU thread dies: deactivated with it. */
    CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_DIRECT, g.t.cap, VINTID, g.kick), 0);
    REQUIRE(run_vcpu(CMD_HVC_ONLY, DIRECT_ON));
    CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_UNMASK), 0);
    CHECK(got(g.kick, L_KICK, 1000000));
    kthread_free(&g.t);
    g.t.cap = 0;
    CHECK(got(g.irq, L_ORDINARY, 1000000));
    rtc_quiet();
    CHECK_EQ(KOBJ(g.irq, KEEL_IRQ_UNMASK), 0);
    CHECK(!got(g.irq, L_ORDINARY, 20000));
    rig_down(&g);
}

/* The list registers are the VMM's model's, given back at every exit (vgic_save): each in turn
 * holds an interrupt pending; a guest that exits at once (its interrupts masked) leaves it
 * pending there, one that takes it and ends it (EOImode 0) leaves it invalid. (The save once
 * stopped one short: the last list register came back empty, its interrupt lost, and no test
 * noticed: ci/mutations.txt.) */
KTEST(vcpu_vgic_every_list_register_comes_back_at_the_exit)
{
    if (!gicv3()) {
        return; /* (the guest's CPU interface is GICv3's system registers) */
    }
    struct rig g;
    REQUIRE_EQ(rig_up(&g), 0);
    REQUIRE(run_vcpu(CMD_HVC_ONLY, 0));
    CHECK_EQ(res, KEEL_VCPU_EXIT_TRAP);
    unsigned n = lr_count;
    CHECK(n >= 1);
    for (unsigned i = 0; i < n; i++) {
        vmm_lr_at = i;
        vmm_lr0 = VINTID | KEEL_VGIC_LR_PENDING | KEEL_VGIC_LR_GROUP1 | KEEL_VGIC_LR_PRIORITY(0xa0);
        REQUIRE(run_vcpu(CMD_HVC_ONLY, 0));
        CHECK_EQ(res, KEEL_VCPU_EXIT_TRAP);
        CHECK_EQ(lr_back & (KEEL_VGIC_LR_PENDING | KEEL_VGIC_LR_ACTIVE | 0xffffffffu),
                 KEEL_VGIC_LR_PENDING | VINTID); /* i: still pending */
        REQUIRE(run_vcpu(CMD_TAKE, 0));
        CHECK_EQ(res, KEEL_VCPU_EXIT_TRAP);
        CHECK_EQ(acked, VINTID);
        CHECK_EQ(lr_back & (KEEL_VGIC_LR_PENDING | KEEL_VGIC_LR_ACTIVE), 0); /* i: taken, ended */
    }
    vmm_lr0 = 0;
    vmm_lr_at = 0;
    rig_down(&g);
}
#else
KTEST(irq_direct_refusals)
{
    uint64_t irq = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ, irq), 0);
    /* (Refused before its line or the thread is looked at.) */
    CHECK_EQ(KOBJ(irq, KEEL_IRQ_DIRECT, KEEL_ROOT_THREAD, VINTID, ~0ull), -KEEL_EPROTO);
    CHECK_EQ(KOBJ(irq, KEEL_IRQ_DIRECT, ~0ull), 0); /* (ending none is no error) */
    cap_free(irq);
}
#endif
