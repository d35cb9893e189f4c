// SPDX-License-Identifier: MIT
/*
 * State transfer by need (uapi/keel/vcpu.h, struct keel_vcpu_sync), at the kernel's interface,
 * on every architecture: a guest sets a register of the group the kernel keeps (arm64
 * TPIDR_EL1, riscv64 vsscratch, x86_64 CR2) and reads it back after each exit. The area does not
 * carry it unless asked; Thread VCPU_SYNC gives it, also after the vCPU thread left its CPU (the
 * register saved on the way out, and another VM's vCPU run on that CPU meanwhile); a value the VMM writes without marking the group dirty is not
 * taken, whether the register was still in the CPU or not; marked dirty it is, and sync.want
 * brings it back at the exit. On arm64 the guest's SP_EL1 (an EL1 register of the guest's alone,
 * like TPIDR_EL1) must come back from the neighbour's run too, and a resume into EL2h or with a
 * list register's HW bit is refused (ci/mutations.txt: each of these once went unnoticed).
 */
#include "ktest_util.h"
#include "vcpu_guest.h"
#include <uapi/keel/vcpu.h>
#include <stdbool.h>
#include <string.h>

#define VAL_A 0x1111222233334444ull
#define VAL_B 0xbbbbbbbbbbbbbbbbull
#define VAL_C 0x5555666677778888ull
#define VAL_D 0x0123456789abcdefull
#define FP_PC (GUEST_PA + 0x100) /* fp_code, in the same page as guest_code */

#if defined(__aarch64__)
/* msr tpidr_el1, x1; mov sp, x1; hvc #0; mrs x2, tpidr_el1; mov x5, sp; hvc #0; mrs x3, ..;
 * hvc #0; mrs x4, ..; hvc #0; b . (SP is SP_EL1 at EL1h: a register of the guest's alone too) */
static const uint32_t guest_code[] = { 0xd518d081, 0x9100003f, 0xd4000002, 0xd538d082,
                                       0x910003e5, 0xd4000002, 0xd538d083, 0xd4000002,
                                       0xd538d084, 0xd4000002, 0x14000000 };

static void start(struct keel_vcpu_state *s)
{
    vcpu_guest_start(s, GUEST_PA);
}
static void set_value(struct keel_vcpu_state *s, uint64_t v)
{
    s->x[1] = v;
}
static void spin(struct keel_vcpu_state *s)
{
    s->pc = GUEST_PA + 40; /* the b . */
}
/* At FP_PC: fmov d0, x1; hvc #0; fmov x2, d0; hvc #0; b . */
static const uint32_t fp_code[] = { 0x9e670020, 0xd4000002, 0x9e660002, 0xd4000002, 0x14000000 };
static void fp_start(struct keel_vcpu_state *s, uint64_t v)
{
    start(s);
    s->pc = FP_PC;
    s->sys.cpacr_el1 = 3u << 20; /* FPEN: its own FP/SIMD does not trap to itself */
    s->x[1] = v;
}
static uint64_t fp_read_back(const struct keel_vcpu_state *s)
{
    return s->x[2];
}
static uint64_t kept(const struct keel_vcpu_state *s)
{
    return s->sys.tpidr_el1;
}
static void set_kept(struct keel_vcpu_state *s, uint64_t v)
{
    s->sys.tpidr_el1 = v;
}
static uint64_t read_back(const struct keel_vcpu_state *s, unsigned i)
{
    return s->x[2 + i];
}
static void step(struct keel_vcpu_state *s)
{
    (void)s; /* ELR is past the HVC */
}
/* The second exit's SP_EL1, which the guest set at its first (x5). */
static uint64_t second_stack(const struct keel_vcpu_state *s)
{
    return s->x[5];
}
/* The states the resume must refuse: EL2h (the guest's PSTATE may only name EL0 or EL1); a
 * list register with the HW bit (the guest would deactivate a physical interrupt). */
static bool refused_start(struct keel_vcpu_state *s, unsigned i)
{
    start(s);
    if (i == 0) {
        s->pstate = 0x3c9;
    } else {
        s->vgic_lr[0] = KEEL_VGIC_LR_HW | KEEL_VGIC_LR_PENDING | 40;
    }
    return i < 2;
}
#elif defined(__riscv)
/* csrw sscratch, a1; ecall; csrr a2, sscratch; ecall; csrr a3, ..; ecall; csrr a4, ..; ecall;
 * c.j .; c.j . */
static const uint32_t guest_code[] = { 0x14059073, 0x00000073, 0x14002673, 0x00000073, 0x140026f3,
                                       0x00000073, 0x14002773, 0x00000073, 0xa001a001 };

static void start(struct keel_vcpu_state *s)
{
    vcpu_guest_start(s, GUEST_PA);
}
static void set_value(struct keel_vcpu_state *s, uint64_t v)
{
    s->x[11] = v;
}
static void spin(struct keel_vcpu_state *s)
{
    s->pc = GUEST_PA + 32; /* the c.j . */
}
/* At FP_PC: fmv.d.x f0, a1; ecall; fmv.x.d a2, f0; ecall; c.j .; c.j . */
static const uint32_t fp_code[] = { 0xf2058053, 0x00000073, 0xe2000653, 0x00000073, 0xa001a001 };
static void fp_start(struct keel_vcpu_state *s, uint64_t v)
{
    start(s);
    s->pc = FP_PC;
    s->sys.vsstatus = 1u << 13; /* FS Initial: its f-registers are on */
    s->x[11] = v;
}
static uint64_t fp_read_back(const struct keel_vcpu_state *s)
{
    return s->x[12];
}
static uint64_t kept(const struct keel_vcpu_state *s)
{
    return s->sys.vsscratch;
}
static void set_kept(struct keel_vcpu_state *s, uint64_t v)
{
    s->sys.vsscratch = v;
}
static uint64_t read_back(const struct keel_vcpu_state *s, unsigned i)
{
    return s->x[12 + i];
}
static void step(struct keel_vcpu_state *s)
{
    s->pc += 4;
}
static uint64_t second_stack(const struct keel_vcpu_state *s)
{
    (void)s;
    return VAL_A; /* (the case's second register is arm64's) */
}
static bool refused_start(struct keel_vcpu_state *s, unsigned i)
{
    (void)s;
    (void)i;
    return false;
}
#elif defined(__x86_64__)
/* (32-bit) mov %eax, %cr2; hlt; mov %cr2, %ebx; hlt; mov %cr2, %ecx; hlt; mov %cr2, %edx; hlt;
 * jmp . */
static const uint8_t guest_code[] = { 0x0f, 0x22, 0xd0, 0xf4, 0x0f, 0x20, 0xd3, 0xf4, 0x0f,
                                      0x20, 0xd1, 0xf4, 0x0f, 0x20, 0xd2, 0xf4, 0xeb, 0xfe };

static void start(struct keel_vcpu_state *s)
{
    vcpu_guest_start(s, GUEST_PA);
}
static void set_value(struct keel_vcpu_state *s, uint64_t v)
{
    s->gpr[0] = (uint32_t)v; /* (32-bit mode: CR2's upper half stays 0) */
}
static void spin(struct keel_vcpu_state *s)
{
    s->rip = GUEST_PA + 16; /* the jmp . */
}
/* At FP_PC (32-bit): movd %eax, %xmm0; hlt; movd %xmm0, %ebx; hlt; jmp . */
static const uint8_t fp_code[] = { 0x66, 0x0f, 0x6e, 0xc0, 0xf4, 0x66,
                                   0x0f, 0x7e, 0xc3, 0xf4, 0xeb, 0xfe };
static void fp_start(struct keel_vcpu_state *s, uint64_t v)
{
    start(s);
    s->rip = FP_PC;
    s->cr4 = 1u << 9; /* OSFXSR: SSE on */
    s->gpr[0] = (uint32_t)v;
}
static uint64_t fp_read_back(const struct keel_vcpu_state *s)
{
    return s->gpr[3];
}
static uint64_t kept(const struct keel_vcpu_state *s)
{
    return s->sys.cr2;
}
static void set_kept(struct keel_vcpu_state *s, uint64_t v)
{
    s->sys.cr2 = (uint32_t)v;
}
static uint64_t read_back(const struct keel_vcpu_state *s, unsigned i)
{
    static const unsigned reg[] = { 3, 1, 2 }; /* ebx, ecx, edx */
    return s->gpr[reg[i]];
}
static void step(struct keel_vcpu_state *s)
{
    s->rip += 1; /* over the HLT */
}
static uint64_t second_stack(const struct keel_vcpu_state *s)
{
    (void)s;
    return VAL_A; /* (the case's second register is arm64's) */
}
static bool refused_start(struct keel_vcpu_state *s, unsigned i)
{
    (void)s;
    (void)i;
    return false;
}
#endif

#if defined(GUEST_PA)
#if defined(__x86_64__)
#define WORD(v) ((uint32_t)(v))
#else
#define WORD(v) (v)
#endif

enum { R_FIRST, R_SYNC, R_SECOND, R_THIRD, R_FOURTH, RESULTS };
#define REFUSED 2 /* the most refused_start() has */
static volatile int64_t refused[REFUSED];
static volatile int64_t res[RESULTS];
static volatile uint64_t valid_first, valid_synced, valid_last, dirty_last;
static volatile uint64_t synced, second, second_sp, third, fourth, kept_last;
/* A VM task with page (the guests' code) at GUEST_PA; 0 (with the failure printed) if not. */
static uint64_t vs_vm, vs_area, nb_vm, nb_area;
static uint64_t vm_with(uint8_t *page);

/* Two VMs (vs_vm, nb_vm) with the guest's page (guest_code at GUEST_PA), a state area for each:
 * the page, or NULL (what was made is freed again by two_vms_free). */
static uint8_t *two_vms(void)
{
    uint8_t *page = rt_page_alloc();
    if (!page) {
        return NULL;
    }
    memcpy(page, guest_code, sizeof(guest_code));
    vs_vm = vm_with(page);
    nb_vm = vs_vm ? vm_with(page) : 0;
    vs_area = root_utcb_page_alloc();
    nb_area = root_utcb_page_alloc();
    return page;
}

static void two_vms_free(uint8_t *page)
{
    if (vs_area) {
        root_utcb_page_free(vs_area);
    }
    if (nb_area) {
        root_utcb_page_free(nb_area);
    }
    if (vs_vm) {
        cap_free(vs_vm);
    }
    if (nb_vm) {
        cap_free(nb_vm);
    }
    rt_page_free(page);
}

static uint64_t vm_with(uint8_t *page)
{
    uint64_t vm = cap_new();
    int64_t r = KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, vm, 0, KEEL_TASK_VM);
    if (r == 0) {
        r = KOBJ(vm, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                 keel_fpage_mem((uint64_t)(uintptr_t)page, 12, KEEL_FP_RWX), GUEST_PA);
    }
    if (r != 0) {
        printf("ktest: a VM with the guest's page: error %ld\n", (long)-r);
        cap_free(vm);
        return 0;
    }
    return vm;
}

static volatile int done, first_out, neighbour_done;

/* Another VM's vCPU on the same CPU: its guest sets the same register to its own value. */
static void neighbour_thread(uint64_t self)
{
    struct keel_vcpu_state *s = (struct keel_vcpu_state *)(uintptr_t)nb_area;
    if (KOBJ(self, KEEL_THREAD_VCPU, nb_vm, nb_area) == 0) {
        memset(s, 0, sizeof(*s));
        start(s);
        set_value(s, VAL_D);
        KOBJ(self, KEEL_THREAD_VCPU_RESUME);
    }
    neighbour_done = 1;
    kthread_exit();
}

static void vcpu_thread(uint64_t self)
{
    struct keel_vcpu_state *s = (struct keel_vcpu_state *)(uintptr_t)vs_area;
    if (KOBJ(self, KEEL_THREAD_VCPU, vs_vm, vs_area) != 0) {
        done = -1;
        kthread_exit();
    }
    for (unsigned i = 0; i < REFUSED; i++) {
        memset(s, 0, sizeof(*s));
        refused[i] = refused_start(s, i) ? KOBJ(self, KEEL_THREAD_VCPU_RESUME) : -KEEL_EINVAL;
    }
    memset(s, 0, sizeof(*s));
    start(s); /* (the first resume after binding takes every group) */
    set_value(s, VAL_A);
    res[R_FIRST] = KOBJ(self, KEEL_THREAD_VCPU_RESUME);
    if (res[R_FIRST] != KEEL_VCPU_EXIT_TRAP) {
        done = 1; /* (x86_64 without SVM: EPROTO, said by the test) */
        kthread_exit();
    }
    valid_first = s->sync.valid;
    first_out = 1; /* off its CPU while the neighbour runs: what the guest set is saved */
    for (unsigned i = 0; i < 2000 && !neighbour_done; i++) {
        sleep_us(1000);
    }
    res[R_SYNC] = KOBJ(self, KEEL_THREAD_VCPU_SYNC);
    valid_synced = s->sync.valid;
    synced = kept(s);
    set_kept(s, VAL_B); /* not marked dirty: the kernel's value stays */
    step(s);
    res[R_SECOND] = KOBJ(self, KEEL_THREAD_VCPU_RESUME);
    second = read_back(s, 0);
    second_sp = second_stack(s);
    set_kept(s, VAL_B); /* again, now that it is still in the CPU */
    step(s);
    res[R_THIRD] = KOBJ(self, KEEL_THREAD_VCPU_RESUME);
    third = read_back(s, 1);
    set_kept(s, VAL_C); /* marked dirty: taken; wanted: given back at the exit */
    s->sync.dirty = KEEL_VCPU_SYNC_SYS;
    s->sync.want = KEEL_VCPU_SYNC_SYS;
    step(s);
    res[R_FOURTH] = KOBJ(self, KEEL_THREAD_VCPU_RESUME);
    fourth = read_back(s, 2);
    kept_last = kept(s);
    valid_last = s->sync.valid;
    dirty_last = s->sync.dirty;
    done = 1;
    kthread_exit();
}

KTEST(vcpu_state_the_kernel_keeps_moves_only_when_asked_or_marked)
{
    uint8_t *page = two_vms();
    REQUIRE(page);
    REQUIRE(vs_vm && nb_vm && vs_area && nb_area);
    done = first_out = neighbour_done = 0;
    struct kthread t, nb;
    kthread_prepare(&t);
    REQUIRE_EQ(kthread_run(&t, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, vcpu_thread, t.cap, 0, 0), 0);
    REQUIRE_EQ(kthread_place(&t, 0, ROOT_PRIO - 1, 0), 0);
    REQUIRE(wait_flag(&first_out, 2000) || done);
    if (first_out) {
        kthread_prepare(&nb);
        REQUIRE_EQ(
            kthread_run(&nb, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, neighbour_thread, nb.cap, 0, 0), 0);
        REQUIRE_EQ(kthread_place(&nb, 0, ROOT_PRIO - 1, 0), 0); /* the same CPU */
    }
    for (unsigned i = 0; i < 2000 && !done; i++) {
        sleep_us(1000);
    }
    REQUIRE_EQ(done, 1);
    if (res[R_FIRST] == -KEEL_EPROTO) {
        printf("ktest: no hardware virtualization here: skipped\n");
    } else {
        CHECK_EQ(res[R_FIRST], KEEL_VCPU_EXIT_TRAP);
        CHECK_EQ(valid_first & KEEL_VCPU_SYNC_SYS, 0); /* not asked for */
        CHECK_EQ(res[R_SYNC], 0);
        CHECK_EQ(valid_synced & KEEL_VCPU_SYNC_SYS, KEEL_VCPU_SYNC_SYS);
        CHECK_EQ(synced, WORD(VAL_A));
        CHECK_EQ(res[R_SECOND], KEEL_VCPU_EXIT_TRAP);
        CHECK_EQ(second, WORD(VAL_A));
        CHECK_EQ(second_sp, VAL_A); /* (arm64: SP_EL1 saved when the neighbour ran) */
        CHECK_EQ(refused[0], -KEEL_EINVAL);
        CHECK_EQ(refused[1], -KEEL_EINVAL);
        CHECK_EQ(res[R_THIRD], KEEL_VCPU_EXIT_TRAP);
        CHECK_EQ(third, WORD(VAL_A));
        CHECK_EQ(res[R_FOURTH], KEEL_VCPU_EXIT_TRAP);
        CHECK_EQ(fourth, WORD(VAL_C));
        CHECK_EQ(kept_last, WORD(VAL_C));
        CHECK_EQ(valid_last & KEEL_VCPU_SYNC_SYS, KEEL_VCPU_SYNC_SYS);
        CHECK_EQ(dirty_last, 0); /* taken */
    }
    kthread_free(&t);
    if (first_out) {
        kthread_free(&nb);
    }
    two_vms_free(page);
}

static volatile int spinning;

/* A vCPU whose guest spins: the kernel's interrupts take it out and back in, again and again. */
static void spin_thread(uint64_t self)
{
    struct keel_vcpu_state *s = (struct keel_vcpu_state *)(uintptr_t)vs_area;
    if (KOBJ(self, KEEL_THREAD_VCPU, vs_vm, vs_area) == 0) {
        memset(s, 0, sizeof(*s));
        start(s);
        spin(s);
        spinning = 1;
        res[R_FIRST] = KOBJ(self, KEEL_THREAD_VCPU_RESUME);
    }
    spinning = -1; /* (its guest refused: x86_64 without SVM) */
    kthread_exit();
}

/* The area is the VMM's: another of its threads may write any word of it while the guest runs
 * (on another CPU, or preempted on this one) and the kernel keeps nothing there that it relies
 * on (once, riscv64's exit path took its own stack pointer from x[0]). */
KTEST(vcpu_area_scribbled_while_its_guest_runs_harms_only_the_guest)
{
    uint8_t *page = rt_page_alloc();
    REQUIRE(page);
    memcpy(page, guest_code, sizeof(guest_code));
    REQUIRE((vs_vm = vm_with(page)));
    vs_area = root_utcb_page_alloc();
    REQUIRE(vs_area);
    spinning = 0;
    struct kthread t;
    kthread_prepare(&t);
    REQUIRE_EQ(kthread_run(&t, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, spin_thread, t.cap, 0, 0), 0);
    REQUIRE_EQ(kthread_place(&t, cpus_online() > 1 ? 1 : 0, ROOT_PRIO - 1, 0), 0);
    REQUIRE(wait_flag(&spinning, 2000));
    volatile uint64_t *w = (volatile uint64_t *)(uintptr_t)vs_area;
    for (unsigned round = 0; round < 20 && spinning == 1; round++) {
        for (unsigned i = 0; i < sizeof(struct keel_vcpu_state) / 8; i++) {
            w[i] = (round & 1) ? ~0ull : (uint64_t)(uintptr_t)w + 64 * i; /* junk, "pointers" */
        }
        sleep_us(1000); /* exits come and go meanwhile */
    }
    if (spinning == 1) {
        CHECK_EQ(thread_state(t.cap), KEEL_THREAD_STATE_READY); /* still in its guest */
    } else {
        printf("ktest: no hardware virtualization here: skipped\n");
    }
    kthread_free(&t); /* killed out of it */
    root_utcb_page_free(vs_area);
    cap_free(vs_vm);
    rt_page_free(page);
}

static volatile int rb_state; /* 1: ran its guest, now at user level; 2: told to stop; 3: stopped */

/* A vCPU thread that ran its guest once, then spins at user level (on its own CPU) until told. */
static void rebind_thread(uint64_t self)
{
    struct keel_vcpu_state *s = (struct keel_vcpu_state *)(uintptr_t)vs_area;
    if (KOBJ(self, KEEL_THREAD_VCPU, vs_vm, vs_area) != 0) {
        rb_state = -1;
        kthread_exit();
    }
    memset(s, 0, sizeof(*s));
    start(s);
    res[R_FIRST] = KOBJ(self, KEEL_THREAD_VCPU_RESUME);
    rb_state = 1;
    while (rb_state == 1) {
    }
    rb_state = 3;
    keel_wait(KEEL_TIMEOUT_NEVER, 0);
}

/* A thread running on another CPU cannot be bound anew: its guest's state may still be that
 * CPU's (a VT-x VMCS stays active there until the thread switches away; freeing it from here
 * let the CPU write it back into a freed page — the kernel panicked instead). Once it blocks, it
 * may. */
KTEST(vcpu_binding_a_thread_that_runs_on_another_cpu_is_refused)
{
    if (cpus_online() < 2) {
        printf("ktest: one CPU: skipped\n");
        return;
    }
    uint8_t *page = rt_page_alloc();
    REQUIRE(page);
    memcpy(page, guest_code, sizeof(guest_code));
    REQUIRE((vs_vm = vm_with(page)));
    vs_area = root_utcb_page_alloc();
    REQUIRE(vs_area);
    rb_state = 0;
    struct kthread t;
    kthread_prepare(&t);
    REQUIRE_EQ(kthread_run(&t, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, rebind_thread, t.cap, 0, 0), 0);
    REQUIRE_EQ(kthread_place(&t, 1, ROOT_PRIO - 1, 0), 0);
    REQUIRE(wait_flag(&rb_state, 2000));
    REQUIRE_EQ(rb_state, 1);
    sleep_us(2000); /* (at user level there now) */
    CHECK_EQ(KOBJ(t.cap, KEEL_THREAD_VCPU, vs_vm, vs_area), -KEEL_EBUSY);
    rb_state = 2;
    for (unsigned i = 0; i < 2000 && rb_state != 3; i++) {
        sleep_us(1000);
    }
    REQUIRE_EQ(rb_state, 3);
    sleep_us(2000); /* (blocked in its wait now) */
    CHECK_EQ(KOBJ(t.cap, KEEL_THREAD_VCPU, vs_vm, vs_area), 0);
    kthread_free(&t);
    root_utcb_page_free(vs_area);
    cap_free(vs_vm);
    rt_page_free(page);
}

static volatile int fp_first_out, fp_neighbour_done, fp_done;
static volatile int64_t fp_res[2];
static volatile uint64_t fp_got;

/* A vCPU sets its first FP/SIMD register, exits, waits while another VM's vCPU sets the same
 * register on the same CPU, then reads it back. */
static void fp_thread(uint64_t self)
{
    struct keel_vcpu_state *s = (struct keel_vcpu_state *)(uintptr_t)vs_area;
    if (KOBJ(self, KEEL_THREAD_VCPU, vs_vm, vs_area) != 0) {
        fp_done = -1;
        kthread_exit();
    }
    memset(s, 0, sizeof(*s));
    fp_start(s, VAL_A);
    fp_res[0] = KOBJ(self, KEEL_THREAD_VCPU_RESUME);
    fp_first_out = 1;
    for (unsigned i = 0; i < 2000 && !fp_neighbour_done && fp_res[0] == KEEL_VCPU_EXIT_TRAP; i++) {
        sleep_us(1000);
    }
    step(s);
    fp_res[1] = KOBJ(self, KEEL_THREAD_VCPU_RESUME);
    fp_got = fp_read_back(s);
    fp_done = 1;
    kthread_exit();
}

static void fp_neighbour(uint64_t self)
{
    struct keel_vcpu_state *s = (struct keel_vcpu_state *)(uintptr_t)nb_area;
    if (KOBJ(self, KEEL_THREAD_VCPU, nb_vm, nb_area) == 0) {
        memset(s, 0, sizeof(*s));
        fp_start(s, VAL_D);
        KOBJ(self, KEEL_THREAD_VCPU_RESUME);
    }
    fp_neighbour_done = 1;
    kthread_exit();
}

/* The guests' FP/SIMD registers are theirs: kept by the kernel between runs (lazily, in the CPU
 * while the vCPU thread keeps it), never another VM's after a vCPU of it ran on the same CPU. */
KTEST(vcpu_fp_registers_stay_their_guests_across_another_vms_vcpu)
{
    uint8_t *page = two_vms();
    REQUIRE(page);
    memcpy(page + (FP_PC - GUEST_PA), fp_code, sizeof(fp_code));
    REQUIRE(vs_vm && nb_vm && vs_area && nb_area);
    fp_first_out = fp_neighbour_done = fp_done = 0;
    struct kthread t, nb;
    kthread_prepare(&t);
    REQUIRE_EQ(kthread_run(&t, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, fp_thread, t.cap, 0, 0), 0);
    REQUIRE_EQ(kthread_place(&t, 0, ROOT_PRIO - 1, 0), 0);
    REQUIRE(wait_flag(&fp_first_out, 2000) || fp_done);
    bool ran = fp_first_out && fp_res[0] == KEEL_VCPU_EXIT_TRAP;
    if (ran) {
        kthread_prepare(&nb);
        REQUIRE_EQ(kthread_run(&nb, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, fp_neighbour, nb.cap, 0, 0),
                   0);
        REQUIRE_EQ(kthread_place(&nb, 0, ROOT_PRIO - 1, 0), 0); /* the same CPU */
    }
    for (unsigned i = 0; i < 3000 && fp_done != 1; i++) {
        sleep_us(1000);
    }
    REQUIRE_EQ(fp_done, 1);
    if (!ran) {
        printf("ktest: no hardware virtualization here: skipped\n");
    } else {
        CHECK_EQ(fp_res[1], KEEL_VCPU_EXIT_TRAP);
        CHECK_EQ(fp_got, WORD(VAL_A));
    }
    kthread_free(&t);
    if (ran) {
        kthread_free(&nb);
    }
    two_vms_free(page);
}
#endif
