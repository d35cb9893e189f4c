// SPDX-License-Identifier: MIT
/*
 * Extended vCPU mode on x86_64 (AMD SVM or Intel VT-x: one state area), at the kernel's
 * interface: a thread binds itself to a VM task and runs a guest of a few instructions in 32-bit
 * protected mode. The kernel refuses an event it must not inject and a state the hardware
 * refuses, runs a good one to its HLT (an exit with the area's exit code, the guest's registers
 * back in the area; DR7 without its breakpoint enables, and none of them fires: DR0-3 are the
 * host's), answers its own hypercall (VMMCALL on AMD, VMCALL on Intel) without an exit,
 * and turns a fetch outside the VM's memory into a nested page fault for the VMM; a thread inside
 * its resume cannot be bound elsewhere, and is killed out of its guest. A page of the VM replaced
 * while its guest runs on another CPU is seen there at once. Where the CPU has neither back end,
 * resuming is EPROTO.
 */
#if defined(__x86_64__)
#include "ktest_util.h"
#include <uapi/keel/vcpu.h>
#include <stdbool.h>
#include <string.h>

#define GUEST_PA 0x1000
/* At GUEST_PA: mov $42, %eax; hlt; mov $KEEL_X86_VMMCALL_NULL, %eax; vmmcall (vmcall on
 * Intel: VMCALL_MODRM); hlt; jmp .; mov $0x200, %eax; mov %eax, %cr4; hlt */
static const uint8_t guest_code[] = { 0xb8, 42, 0, 0, 0, 0xf4,
                                      0xb8, 0x00, 0x00, 0x4c, 0x4b, 0x0f, 0x01, 0xd9, 0xf4,
                                      0xeb, 0xfe,
                                      0xb8, 0x00, 0x02, 0x00, 0x00, 0x0f, 0x22, 0xe0, 0xf4 };
#define VMCALL_MODRM 13 /* 0f 01 d9 is VMMCALL, 0f 01 c1 VMCALL */
#define SPIN_PC (GUEST_PA + 15)
#define CR4_PC (GUEST_PA + 17)

enum {
    BAD_INJECT,
    BAD_ERROR_CODE,
    BAD_MSR,
    BAD_STATE,
    BAD_CR4,
    HALTED,
    DR7_ENABLES,
    HYPERCALL,
    CR4_WRITE,
    OUTSIDE,
    BREAKPOINTS,
    RESULTS
};
static volatile int64_t result[RESULTS];
static volatile uint64_t exit_code[RESULTS], rax[RESULTS], rip[RESULTS], info1, info2, features,
    dr7;
static volatile int done;
static uint64_t vx_vm, vx_area;

static void reset(struct keel_vcpu_state *s, uint64_t pc)
{
    const struct keel_x86_segment code = { 0x10, 0xc9b, 0xffffffffu, 0 };
    const struct keel_x86_segment data = { 0x18, 0xc93, 0xffffffffu, 0 };
    memset(s, 0, sizeof(*s));
    s->sync.dirty = KEEL_VCPU_SYNC_SYS;
    s->rip = pc;
    s->rflags = 2;
    s->cr0 = 0x11;
    s->sys.dr6 = 0xffff0ff0;
    s->sys.dr7 = 0x400;
    s->sys.pat = 0x0007040600070406ull;
    s->timer_deadline = UINT64_MAX;
    s->cs = code;
    s->sys.ds = s->sys.es = s->sys.ss = s->sys.fs = s->sys.gs = data;
    s->sys.gdtr.limit = s->sys.idtr.limit = 0xffff;
    s->sys.ldtr = (struct keel_x86_segment){ 0, 0x82, 0xffff, 0 };
    s->sys.tr = (struct keel_x86_segment){ 0, 0x8b, 0xffff, 0 };
}

static void run(struct keel_vcpu_state *s, uint64_t self, unsigned i)
{
    result[i] = KOBJ(self, KEEL_THREAD_VCPU_RESUME);
    exit_code[i] = s->exit_code;
    rax[i] = s->gpr[0];
    rip[i] = s->rip;
}

/* The vCPU thread: binds itself, then the cases in order. */
static void vcpu_thread(uint64_t self)
{
    struct keel_vcpu_state *s = (struct keel_vcpu_state *)(uintptr_t)vx_area;
    if (KOBJ(self, KEEL_THREAD_VCPU, vx_vm, vx_area) != 0) {
        done = -1;
        return;
    }
    reset(s, GUEST_PA);
    s->inject = KEEL_X86_INJECT_VALID | (1ull << 8) | 32; /* type 1 is reserved */
    run(s, self, BAD_INJECT);
    reset(s, GUEST_PA);
    s->inject = KEEL_X86_INJECT_VALID | KEEL_X86_INJECT_EXCEPTION | 13; /* #GP needs its code */
    run(s, self, BAD_ERROR_CODE);
    reset(s, GUEST_PA);
    s->sys.lstar = 0x8000000000000000ull; /* not canonical: WRMSR would fault in the kernel */
    run(s, self, BAD_MSR);
    reset(s, GUEST_PA);
    s->cr0 = 1ull << 32 | 0x11; /* CR0[63:32] must be zero: VMRUN refuses it */
    run(s, self, BAD_STATE);
    reset(s, GUEST_PA);
    s->cr4 = KEEL_X86_CR4_REFUSED; /* protection keys: never run (PKRU is not switched) */
    run(s, self, BAD_CR4);
    reset(s, GUEST_PA);
    run(s, self, HALTED);
    features = s->features;
    reset(s, GUEST_PA);
    s->sys.dr7 = 0x400 |
                 0xff; /* L0-3 and G0-3: DR0-3 hold the host's addresses, never the guest's */
    s->sync.want = KEEL_VCPU_SYNC_SYS;
    run(s, self, DR7_ENABLES);
    dr7 = s->sys.dr7;
    reset(s, GUEST_PA + 6);
    run(s, self, HYPERCALL);
    reset(s, CR4_PC);
    run(s, self, CR4_WRITE);
    reset(s, 0x200000); /* nothing mapped there */
    run(s, self, OUTSIDE);
    info1 = s->exit_info1;
    info2 = s->exit_info2;
    /* Its code at 0 too, with every breakpoint of DR7 on (execution, at DR0-3: the CPU's own
     * registers, 0 as nothing here sets them): they are not its, so the MOV and the HLT run. */
    reset(s, 0);
    s->sys.dr7 = 0x400 | 0xff;
    run(s, self, BREAKPOINTS);
    done = 1;
    reset(s, SPIN_PC); /* spins until the thread is killed */
    KOBJ(self, KEEL_THREAD_VCPU_RESUME);
}

/* Whether this CPU is Intel's (CPUID vendor GenuineIntel): its hypercall is VMCALL. */
static bool intel(void)
{
    uint32_t a = 0, b, c, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    return b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e;
}

KTEST(vcpu_x86_runs_a_guest_and_refuses_what_it_must_not_run)
{
    uint8_t *page = rt_page_alloc();
    REQUIRE(page);
    memcpy(page, guest_code, sizeof(guest_code));
    if (intel()) {
        page[VMCALL_MODRM] = 0xc1;
    }
    vx_vm = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, vx_vm, 0, KEEL_TASK_VM), 0);
    REQUIRE_EQ(KOBJ(vx_vm, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                    keel_fpage_mem((uint64_t)(uintptr_t)page, 12, KEEL_FP_RWX), GUEST_PA), 0);
    REQUIRE_EQ(KOBJ(vx_vm, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                    keel_fpage_mem((uint64_t)(uintptr_t)page, 12, KEEL_FP_RWX), 0),
               0);
    vx_area = root_utcb_page_alloc();
    REQUIRE(vx_area);
    done = 0;
    struct kthread t;
    kthread_prepare(&t);
    REQUIRE_EQ(kthread_run(&t, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, vcpu_thread, t.cap, 0, 0), 0);
    for (unsigned i = 0; i < 2000 && !done; i++) {
        sleep_us(1000);
    }
    REQUIRE_EQ(done, 1);
    if (result[HALTED] == -KEEL_EPROTO) {
        /* No back end on this CPU: every resume is refused alike. */
        printf("ktest: no SVM or VT-x here: the guest cases are skipped\n");
        CHECK_EQ(result[BAD_INJECT], -KEEL_EPROTO);
    } else {
        printf("ktest: guest on %s\n", features == KEEL_VCPU_X86_VMX ? "VT-x" : "SVM");
        CHECK_EQ(features, intel() ? KEEL_VCPU_X86_VMX : KEEL_VCPU_X86_SVM);
        CHECK_EQ(result[BAD_INJECT], -KEEL_EINVAL);
        CHECK_EQ(result[BAD_ERROR_CODE], -KEEL_EINVAL);
        CHECK_EQ(result[BAD_MSR], -KEEL_EINVAL);
        CHECK_EQ(result[BAD_STATE], -KEEL_EINVAL);
        CHECK_EQ(result[BAD_CR4], -KEEL_EINVAL);
        CHECK_EQ(result[CR4_WRITE], KEEL_VCPU_EXIT_TRAP); /* a CR4 write is the VMM's to check */
        CHECK_EQ(exit_code[CR4_WRITE], KEEL_X86_EXIT_WRITE_CR4);
        CHECK_EQ(rip[CR4_WRITE], CR4_PC + 5); /* at the MOV, not done */
        CHECK_EQ(result[HALTED], KEEL_VCPU_EXIT_TRAP);
        CHECK_EQ(exit_code[HALTED], KEEL_X86_EXIT_HLT);
        CHECK_EQ(rax[HALTED], 42);
        CHECK_EQ(rip[HALTED], GUEST_PA + 5); /* at the HLT: the VMM steps over it */
        CHECK_EQ(result[DR7_ENABLES], KEEL_VCPU_EXIT_TRAP);
        CHECK_EQ(dr7 & 0xff, 0); /* the guest ran without the breakpoint enables */
        CHECK_EQ(result[HYPERCALL], KEEL_VCPU_EXIT_TRAP);
        CHECK_EQ(exit_code[HYPERCALL], KEEL_X86_EXIT_HLT); /* the VMMCALL did not exit */
        CHECK_EQ(rax[HYPERCALL], 0);
        CHECK_EQ(result[OUTSIDE], KEEL_VCPU_EXIT_TRAP);
        CHECK_EQ(exit_code[OUTSIDE], KEEL_X86_EXIT_NPF);
        CHECK_EQ(info2, 0x200000);
        CHECK((info1 & (1u << 4)) != 0); /* an instruction fetch */
        CHECK_EQ(result[BREAKPOINTS], KEEL_VCPU_EXIT_TRAP);
        CHECK_EQ(exit_code[BREAKPOINTS], KEEL_X86_EXIT_HLT); /* not a #DB (a triple fault) */
        CHECK_EQ(rax[BREAKPOINTS], 42);
        CHECK_EQ(rip[BREAKPOINTS], 5);
        /* In its guest now, spinning: it keeps its VM (no rebinding) and is killed from there. */
        sleep_us(20000);
        CHECK_EQ(KOBJ(t.cap, KEEL_THREAD_VCPU, vx_vm, vx_area), -KEEL_EBUSY);
    }
    kthread_free(&t);
    root_utcb_page_free(vx_area);
    cap_free(vx_vm);
    rt_page_free(page);
}

/* A guest page replaced while a guest of the VM runs on another CPU: that CPU must drop its
 * translation at once (the TLB IPI ends its run; it flushes before it enters again), not at its
 * guest's next exit. The guest copies the word at SD_DATA to the mailbox at SD_BOX, again and
 * again; its vCPU thread has CPU 1 to itself with a 10 s quantum, so no timer tick takes it out
 * of its guest meanwhile. (The shootdown once skipped CPUs that ran a guest of the changed table
 * rather than a task of it, and no test noticed: ci/mutations.txt.) */
#define SD_CODE 0x1000
#define SD_DATA 0x2000
#define SD_BOX 0x3000
/* loop: mov SD_DATA, %eax; mov %eax, SD_BOX; jmp loop (32-bit) */
static const uint8_t shoot_code[] = { 0xa1, 0x00, 0x20, 0x00, 0x00, 0xa3,
                                      0x00, 0x30, 0x00, 0x00, 0xeb, 0xf4 };
static uint64_t sd_vm, sd_area;
static volatile int64_t sd_res;
static volatile int sd_state; /* 1: about to enter its guest; 2: its resume failed; -1: not bound */

static void shoot_thread(uint64_t self)
{
    struct keel_vcpu_state *s = (struct keel_vcpu_state *)(uintptr_t)sd_area;
    if (KOBJ(self, KEEL_THREAD_VCPU, sd_vm, sd_area) != 0) {
        sd_state = -1;
        kthread_exit();
    }
    reset(s, SD_CODE);
    sd_state = 1;
    /* Until it is killed. An exit (a nested page fault: the guest may touch SD_DATA between the
     * unmap and the map of the replacement) is answered as a VMM would: on again, at the same
     * instruction. */
    do {
        sd_res = KOBJ(self, KEEL_THREAD_VCPU_RESUME);
    } while (sd_res == KEEL_VCPU_EXIT_TRAP);
    sd_state = 2;
    kthread_exit();
}

static int64_t sd_map(void *page, uint64_t gpa)
{
    return KOBJ(sd_vm, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                keel_fpage_mem((uint64_t)(uintptr_t)page, 12, KEEL_FP_RWX), gpa);
}

/* Waits up to 3 s for the mailbox to say v. */
static bool box_says(volatile uint32_t *box, uint32_t v)
{
    for (unsigned i = 0; i < 3000; i++) {
        if (*box == v) {
            return true;
        }
        sleep_us(1000);
    }
    return false;
}

KTEST(vcpu_x86_guest_page_replaced_is_seen_at_once_on_the_cpu_running_the_guest)
{
    if (cpus_online() < 2) {
        printf("ktest: one CPU: no other CPU to shoot down\n");
        return;
    }
    uint8_t *code = rt_page_alloc(), *a = rt_page_alloc(), *b = rt_page_alloc();
    uint8_t *box = rt_page_alloc();
    REQUIRE(code && a && b && box);
    memcpy(code, shoot_code, sizeof(shoot_code));
    volatile uint32_t *mail = (volatile uint32_t *)box;
    *(volatile uint32_t *)a = 0x1111;
    *(volatile uint32_t *)b = 0x2222;
    *mail = 0;
    sd_vm = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, sd_vm, 0, KEEL_TASK_VM), 0);
    REQUIRE_EQ(sd_map(code, SD_CODE), 0);
    REQUIRE_EQ(sd_map(a, SD_DATA), 0);
    REQUIRE_EQ(sd_map(box, SD_BOX), 0);
    sd_area = root_utcb_page_alloc();
    REQUIRE(sd_area);
    sd_state = 0;
    sd_res = 0;
    struct kthread t;
    kthread_prepare(&t);
    REQUIRE_EQ(kthread_run(&t, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, shoot_thread, t.cap, 0, 0), 0);
    REQUIRE_EQ(kthread_place(&t, 1, ROOT_PRIO - 1, 10000000), 0); /* (the most) */
    bool running = box_says(mail, 0x1111);
    if (!running && sd_res == -KEEL_EPROTO) {
        printf("ktest: no SVM or VT-x here: skipped\n");
    } else {
        REQUIRE(running);
        REQUIRE_EQ(sd_map(b, SD_DATA), 0); /* replaces a: the old translation goes */
        CHECK(box_says(mail, 0x2222));
        CHECK_EQ(sd_state, 1); /* (its resumes did not fail) */
    }
    kthread_free(&t);
    root_utcb_page_free(sd_area);
    cap_free(sd_vm);
    rt_page_free(code);
    rt_page_free(a);
    rt_page_free(b);
    rt_page_free(box);
}
#endif
