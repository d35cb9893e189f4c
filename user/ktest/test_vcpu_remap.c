// SPDX-License-Identifier: MIT
/*
 * A VM's memory changed while one of its vCPUs runs on another CPU: the guest must see the new
 * page at once and never again the old one, whose frame its VMM may now use for anything. The
 * kernel must invalidate the translations of every CPU that may hold them (TLB shootdown: arm64
 * TLBI ... IS of the VMID, riscv64 remote HFENCE.GVMA, x86_64 an IPI to the CPUs that run the
 * VM); a CPU that keeps a stale entry lets the guest read (and write) a page that is no longer
 * its own. The guest loops reading a word of its data page while it equals what it was told, and
 * counts its rounds in another page; once it runs, the test takes the page away and writes a
 * value into the old frame that the guest must never report.
 */
#include "ktest_util.h"
#include "vcpu_guest.h"
#include <string.h>

#if defined(GUEST_PA)
#define DATA_PA (GUEST_PA + 0x1000)
#define COUNT_PA (GUEST_PA + 0x2000)
enum { OLD = 1, NEW = 2, STALE = 3, REPLACED = 4, STALE_AGAIN = 5 };

#if defined(__aarch64__)
/* loop: ldr x2, [x1]; ldr x3, [x4]; add x3, x3, #1; str x3, [x4]; cmp x2, x5; b.eq loop;
 * hvc #0; b . */
static const uint32_t remap_code[] = { 0xf9400022, 0xf9400083, 0x91000463, 0xf9000083,
                                       0xeb05005f, 0x54ffff60, 0xd4000002, 0x14000000 };
static void remap_regs(struct keel_vcpu_state *s, uint64_t expect)
{
    vcpu_guest_start(s, GUEST_PA);
    s->x[1] = DATA_PA;
    s->x[4] = COUNT_PA;
    s->x[5] = expect;
}
static uint64_t remap_seen(const struct keel_vcpu_state *s)
{
    return s->x[2];
}
#elif defined(__riscv)
/* loop: ld a2, 0(a1); ld a3, 0(a4); addi a3, a3, 1; sd a3, 0(a4); beq a2, a5, loop; ecall; j . */
static const uint32_t remap_code[] = { 0x0005b603, 0x00073683, 0x00168693, 0x00d73023,
                                       0xfef608e3, 0x00000073, 0x0000006f };
static void remap_regs(struct keel_vcpu_state *s, uint64_t expect)
{
    vcpu_guest_start(s, GUEST_PA);
    s->x[11] = DATA_PA;
    s->x[14] = COUNT_PA;
    s->x[15] = expect;
}
static uint64_t remap_seen(const struct keel_vcpu_state *s)
{
    return s->x[12];
}
#elif defined(__x86_64__)
/* (32-bit) loop: mov (%esi), %eax; incl (%edi); cmp %ebx, %eax; je loop; hlt; jmp . */
static const uint8_t remap_code[] = { 0x8b, 0x06, 0xff, 0x07, 0x39, 0xd8,
                                      0x74, 0xf8, 0xf4, 0xeb, 0xfe };
static void remap_regs(struct keel_vcpu_state *s, uint64_t expect)
{
    vcpu_guest_start(s, GUEST_PA);
    s->gpr[6] = DATA_PA;  /* esi */
    s->gpr[7] = COUNT_PA; /* edi */
    s->gpr[3] = expect;   /* ebx */
}
static uint64_t remap_seen(const struct keel_vcpu_state *s)
{
    return (uint32_t)s->gpr[0]; /* eax */
}
#endif

static uint64_t rm_vm, rm_area;
static volatile uint64_t rm_expect, rm_seen;
static volatile int64_t rm_exit;
static volatile int
    rm_round; /* the test sets it to n to start round n; the vCPU to -n at its end */

/* The vCPU: for each round, runs the guest until it reports a value other than the one it was
 * told to expect. A stage-2 fault (the page is away for a moment) is answered by resuming. */
static void remap_vcpu(uint64_t self)
{
    struct keel_vcpu_state *s = (struct keel_vcpu_state *)(uintptr_t)rm_area;
    if (KOBJ(self, KEEL_THREAD_VCPU, rm_vm, rm_area) != 0) {
        rm_exit = -1;
        rm_round = -1;
        kthread_exit();
    }
    memset(s, 0, sizeof(*s));
    for (int round = 1; round <= 2; round++) {
        while (rm_round != round) {
            sleep_us(100);
        }
        remap_regs(s, rm_expect);
        int64_t r;
        unsigned faults = 0;
        do {
            r = KOBJ(self, KEEL_THREAD_VCPU_RESUME);
        } while (r == KEEL_VCPU_EXIT_TRAP && remap_seen(s) == rm_expect && ++faults < 100000);
        rm_exit = r;
        rm_seen = remap_seen(s);
        rm_round = -round;
    }
    kthread_exit();
}

static void set_word(uint8_t *page, uint64_t v)
{
    *(volatile uint64_t *)page = v;
}

/* Waits until the guest has made n more rounds (it runs, now, with the translation cached). */
static int guest_counts(volatile uint64_t *count, uint64_t n)
{
    uint64_t from = *count;
    for (unsigned i = 0; i < 4000; i++) {
        if (*count - from >= n) {
            return 1;
        }
        sleep_us(500);
    }
    return 0;
}

KTEST(vcpu_vm_memory_changed_while_its_guest_runs_on_another_cpu)
{
    unsigned ncpu = cpus_online();
    if (ncpu < 2) {
        return;
    }
    uint8_t *code = rt_page_alloc(), *old_page = rt_page_alloc(), *new_page = rt_page_alloc();
    uint8_t *third = rt_page_alloc(), *count_page = rt_page_alloc();
    REQUIRE(code && old_page && new_page && third && count_page);
    memset(code, 0, 4096);
    memcpy(code, remap_code, sizeof(remap_code));
    memset(count_page, 0, 4096);
    set_word(old_page, OLD);
    set_word(new_page, NEW);
    set_word(third, REPLACED);
    volatile uint64_t *count = (volatile uint64_t *)count_page;
    rm_vm = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_TASK, rm_vm, 0, KEEL_TASK_VM), 0);
    const unsigned rwx = KEEL_FP_RWX;
    REQUIRE_EQ(KOBJ(rm_vm, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                    keel_fpage_mem((uint64_t)(uintptr_t)code, 12, rwx), GUEST_PA),
               0);
    REQUIRE_EQ(KOBJ(rm_vm, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                    keel_fpage_mem((uint64_t)(uintptr_t)old_page, 12, rwx), DATA_PA),
               0);
    REQUIRE_EQ(KOBJ(rm_vm, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                    keel_fpage_mem((uint64_t)(uintptr_t)count_page, 12, rwx), COUNT_PA),
               0);
    rm_area = root_utcb_page_alloc();
    REQUIRE(rm_area);
    rm_round = 0;
    rm_exit = 0;
    struct kthread t;
    kthread_prepare(&t);
    REQUIRE_EQ(kthread_run(&t, KEEL_ROOT_FACTORY, KEEL_ROOT_TASK, remap_vcpu, t.cap, 0, 0), 0);
    REQUIRE_EQ(kthread_place(&t, ncpu - 1, ROOT_PRIO - 1, 0), 0); /* another CPU than ours */

    /* Round 1: the page taken away (revoked from the VMM's side), its frame written, a new page
     * mapped at its place. */
    rm_expect = OLD;
    rm_round = 1;
    if (!guest_counts(count, 1000)) {
        if (rm_exit == -KEEL_EPROTO || rm_round == -1) {
            printf("ktest: no hardware virtualization here: skipped\n");
        } else {
            CHECK(!"the guest does not run");
        }
        goto out;
    }
    CHECK_EQ(thread_cpu(t.cap), ncpu - 1);
    CHECK_EQ(KOBJ(KEEL_ROOT_TASK, KEEL_TASK_UNMAP,
                  keel_fpage_mem((uint64_t)(uintptr_t)old_page, 12, rwx), 0),
             0);
    set_word(old_page, STALE); /* the VMM's now: never the guest's to see */
    sleep_us(5000);
    CHECK_EQ(KOBJ(rm_vm, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                  keel_fpage_mem((uint64_t)(uintptr_t)new_page, 12, rwx), DATA_PA),
             0);
    for (unsigned i = 0; i < 4000 && rm_round != -1; i++) {
        sleep_us(500);
    }
    REQUIRE_EQ(rm_round, -1);
    CHECK_EQ(rm_exit, KEEL_VCPU_EXIT_TRAP);
    CHECK_EQ(rm_seen, NEW); /* STALE: a CPU kept the old translation */

    /* Round 2: the page replaced in one Task MAP (no unmap first), the replaced frame written. */
    rm_expect = NEW;
    rm_round = 2;
    REQUIRE(guest_counts(count, 1000));
    CHECK_EQ(KOBJ(rm_vm, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                  keel_fpage_mem((uint64_t)(uintptr_t)third, 12, rwx), DATA_PA),
             0);
    set_word(new_page, STALE_AGAIN);
    for (unsigned i = 0; i < 4000 && rm_round != -2; i++) {
        sleep_us(500);
    }
    REQUIRE_EQ(rm_round, -2);
    CHECK_EQ(rm_exit, KEEL_VCPU_EXIT_TRAP);
    CHECK_EQ(rm_seen, REPLACED); /* STALE_AGAIN: a CPU kept the replaced translation */
out:
    kthread_free(&t);
    root_utcb_page_free(rm_area);
    cap_free(rm_vm);
    rt_page_free(code);
    rt_page_free(old_page);
    rt_page_free(new_page);
    rt_page_free(third);
    rt_page_free(count_page);
}
#endif
