// SPDX-License-Identifier: MIT
/*
 * The SBI a VS-mode guest sees (SBI 2.0 subset), one handler per extension in a const table:
 *
 *   BASE       versions, probe
 *   legacy     console putchar / getchar (EIDs 0x01, 0x02: early consoles still use them)
 *   TIME       set_timer: the guest's vstimecmp (the hardware's with Sstc; else the VMM's)
 *   IPI        send_ipi: VSSIP on the target vCPUs
 *   RFENCE     remote fence.i / sfence.vma: fences the kernel does before the targets run again
 *   HSM        hart_start / hart_stop / hart_get_status (SMP guests); hart_suspend: not
 *              supported (NOT_SUPPORTED for the spec's types, INVALID_PARAM for the others)
 *   SRST       system_reset: the VM stops; the reset reason is its exit status
 *   DBCN       debug console write (at most DBCN_WRITE_MAX bytes a call) / write_byte (read:
 *              nothing typed)
 *
 * Requests to other vCPUs (IPI, RFENCE) are bits in their struct vcpu_arch, taken before they
 * resume (sbi_take_requests) after a kick. Guest addresses (DBCN) go through guest_mem_ptr().
 */
#include "sbi.h"
#include "../../vcpu.h"
#include "../../dev/guest_line.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <string.h>

#include <hw/sbi.h>
#define SPEC_VERSION (2u << 24)  /* 2.0 */
#define IMPL_ID 0x4b65656cu      /* "Keel" (not a registered SBI implementation ID) */

struct sbi_ret {
    int64_t error;
    uint64_t value;
};

struct sbi_ext {
    uint64_t eid;
    struct sbi_ret (*call)(struct vcpu *v, struct keel_vcpu_state *s, uint64_t fid);
};

/* The guest's console line (legacy putchar, DBCN), one for all vCPUs. SBI calls run on the vCPU
 * threads without a device's lock, so the line has its own: unguarded, two vCPUs writing at once
 * could push its length past the buffer. */
static struct guest_line dbcn_line;
static struct vm_lock dbcn_line_lock;

/* Adds n bytes to the console line; from any vCPU. */
static void console_put(struct vm *vm, const char *bytes, uint64_t n)
{
    vm_lock(&dbcn_line_lock);
    for (uint64_t i = 0; i < n; i++) {
        guest_line_put(vm, &dbcn_line, bytes[i]);
    }
    vm_unlock(&dbcn_line_lock);
}

/*
 * One console_write passes at most this many bytes on. The console is shared by every VM, and
 * the kernel writes each byte out to the UART before the system call returns (at 115200 baud,
 * 256 bytes take some 22 ms): without a bound, one call naming all of guest RAM would keep this
 * vCPU in the VMM and hold everyone's console for as long as that takes (64 MiB: over an hour).
 * SBI 2.0 lets console_write write fewer bytes than asked and return the count; callers (Linux's)
 * loop for the rest, and between calls the vCPU takes its interrupts and other VMs their turn.
 */
#define DBCN_WRITE_MAX 256

struct vcpu *sbi_vcpu_by_hartid(struct vm *vm, uint64_t hartid)
{
    for (unsigned i = 0; i < vm->vcpu_count; i++) {
        if (vm->vcpus[i].mpidr == hartid) {
            return &vm->vcpus[i];
        }
    }
    return NULL;
}

void sbi_take_requests(struct vcpu *v, struct keel_vcpu_state *s)
{
    s->hvip |= __atomic_exchange_n(&v->arch.hvip_set, 0, __ATOMIC_ACQ_REL);
    s->requests |= __atomic_exchange_n(&v->arch.requests, 0, __ATOMIC_ACQ_REL);
}

/* The vCPUs of hart_mask (bit i: hart base + i; base -1: all), through fn. INVALID_PARAM when
 * one is not a hart of this VM. */
static int64_t for_harts(struct vcpu *v, uint64_t mask, uint64_t base,
                         void (*fn)(struct vcpu *self, struct vcpu *t, uint64_t arg), uint64_t arg)
{
    struct vm *vm = v->vm;
    if (base == ~0ull) {
        for (unsigned i = 0; i < vm->vcpu_count; i++) {
            fn(v, &vm->vcpus[i], arg);
        }
        return SBI_SUCCESS;
    }
    for (unsigned b = 0; b < 64; b++) {
        if (!(mask & (1ull << b))) {
            continue;
        }
        struct vcpu *t = sbi_vcpu_by_hartid(vm, base + b);
        if (!t) {
            return SBI_ERR_INVALID_PARAM;
        }
        fn(v, t, arg);
    }
    return SBI_SUCCESS;
}

static struct sbi_ret base(struct vcpu *v, struct keel_vcpu_state *s, uint64_t fid);

static struct sbi_ret legacy_putchar(struct vcpu *v, struct keel_vcpu_state *s, uint64_t fid)
{
    char c = (char)s->x[10];
    (void)fid;
    console_put(v->vm, &c, 1);
    return (struct sbi_ret){ 0, 0 }; /* legacy calls return in a0 only */
}

static struct sbi_ret legacy_getchar(struct vcpu *v, struct keel_vcpu_state *s, uint64_t fid)
{
    (void)v, (void)s, (void)fid;
    return (struct sbi_ret){ -1, 0 }; /* nothing typed */
}

static struct sbi_ret time_ext(struct vcpu *v, struct keel_vcpu_state *s, uint64_t fid)
{
    (void)v;
    if (fid != 0) {
        return (struct sbi_ret){ SBI_ERR_NOT_SUPPORTED, 0 };
    }
    /* set_timer: the next deadline; an earlier timer interrupt is taken back. With Sstc the
     * hardware compares; without, arch_vcpu_before_resume() does. */
    s->vstimecmp = s->x[10];
    s->hvip &= ~KEEL_HVIP_VSTIP;
    return (struct sbi_ret){ SBI_SUCCESS, 0 };
}

static void ipi_one(struct vcpu *self, struct vcpu *t, uint64_t arg)
{
    (void)arg;
    __atomic_fetch_or(&t->arch.hvip_set, KEEL_HVIP_VSSIP, __ATOMIC_ACQ_REL);
    vcpu_kick(t); /* nothing when t is self: it takes the bit before resuming */
    (void)self;
}

static struct sbi_ret ipi(struct vcpu *v, struct keel_vcpu_state *s, uint64_t fid)
{
    if (fid != 0) {
        return (struct sbi_ret){ SBI_ERR_NOT_SUPPORTED, 0 };
    }
    return (struct sbi_ret){ for_harts(v, s->x[10], s->x[11], ipi_one, 0), 0 };
}

/* A fence on another vCPU is done when it has taken the request: it fences before it runs
 * guest code again. Waiting for that, this vCPU takes its own requests, so two vCPUs that
 * fence each other both go on. */
static void fence_one(struct vcpu *self, struct vcpu *t, uint64_t req)
{
    if (t == self) {
        self->state->requests |= req;
        return;
    }
    __atomic_fetch_or(&t->arch.requests, req, __ATOMIC_ACQ_REL);
    vcpu_kick(t);
    while ((__atomic_load_n(&t->arch.requests, __ATOMIC_ACQUIRE) & req) &&
           __atomic_load_n(&t->power, __ATOMIC_ACQUIRE) == VCPU_ON &&
           !__atomic_load_n(&self->vm->off, __ATOMIC_ACQUIRE)) {
        sbi_take_requests(self, self->state);
        keel_wait(20, 0);
    }
}

static struct sbi_ret rfence(struct vcpu *v, struct keel_vcpu_state *s, uint64_t fid)
{
    uint64_t req;
    switch (fid) {
    case 0: /* remote_fence_i */
        req = KEEL_VCPU_REQ_FENCE_I;
        break;
    case 1: /* remote_sfence_vma (start, size): all of it */
    case 2: /* remote_sfence_vma_asid */
        req = KEEL_VCPU_REQ_FENCE_VMA;
        break;
    default: /* the hfence calls are for guests that are hypervisors themselves */
        return (struct sbi_ret){ SBI_ERR_NOT_SUPPORTED, 0 };
    }
    return (struct sbi_ret){ for_harts(v, s->x[10], s->x[11], fence_one, req), 0 };
}

/* hart_suspend(suspend_type, resume_addr, opaque): the types the spec defines (default
 * retentive 0, default non-retentive 0x80000000) are NOT_SUPPORTED here (SBI 2.0, 9.4: not
 * reserved, but not supported by the platform); reserved and platform-specific ones, none of
 * which is implemented, are INVALID_PARAM. A guest idles with WFI. */
static struct sbi_ret hart_suspend(uint32_t type)
{
    bool defined = type == 0 || type == 0x80000000u;
    return (struct sbi_ret){ defined ? SBI_ERR_NOT_SUPPORTED : SBI_ERR_INVALID_PARAM, 0 };
}

static struct sbi_ret hsm(struct vcpu *v, struct keel_vcpu_state *s, uint64_t fid)
{
    if (fid == 3) {
        return hart_suspend((uint32_t)s->x[10]); /* (a0 is a type, not a hart) */
    }
    if (fid > 3) {
        return (struct sbi_ret){ SBI_ERR_NOT_SUPPORTED, 0 };
    }
    /* hart_start and hart_get_status name a hart in a0; hart_stop is the caller's */
    struct vcpu *t = fid == 1 ? v : sbi_vcpu_by_hartid(v->vm, s->x[10]);
    if (!t) {
        return (struct sbi_ret){ SBI_ERR_INVALID_PARAM, 0 };
    }
    switch (fid) {
    case 0: { /* hart_start(hartid, start_addr, opaque) */
        if ((s->x[11] & 1) || !guest_mem_ptr(v->vm, gpa_init(s->x[11]), 2)) {
            return (struct sbi_ret){ SBI_ERR_INVALID_ADDRESS, 0 }; /* (SBI 2.0, 9.1) */
        }
        int64_t r = vcpu_power_on(t, s->x[11], s->x[12]);
        if (r == -KEEL_EBUSY) {
            return (struct sbi_ret){ SBI_ERR_ALREADY_AVAILABLE, 0 };
        }
        if (r < 0) {
            printf("vmm: %s: cannot start vCPU %u: %s\n", v->vm->name, t->id, keel_strerror(r));
            return (struct sbi_ret){ SBI_ERR_FAILED, 0 };
        }
        return (struct sbi_ret){ SBI_SUCCESS, 0 };
    }
    case 1: /* hart_stop: does not return to the guest (until a hart_start) */
        __atomic_store_n(&v->power, VCPU_OFF, __ATOMIC_RELEASE);
        return (struct sbi_ret){ SBI_SUCCESS, 0 };
    default: { /* 2: hart_get_status(hartid) */
        static const uint64_t status[] = { [VCPU_OFF] = SBI_HSM_STOPPED,
                                           [VCPU_ON_PENDING] = SBI_HSM_START_PENDING,
                                           [VCPU_ON] = SBI_HSM_STARTED };
        enum vcpu_power p = __atomic_load_n(&t->power, __ATOMIC_ACQUIRE);
        return (struct sbi_ret){ SBI_SUCCESS, status[p] };
    }
    }
}

static struct sbi_ret srst(struct vcpu *v, struct keel_vcpu_state *s, uint64_t fid)
{
    if (fid != 0 || s->x[10] > 2) {
        return (struct sbi_ret){ fid != 0 ? SBI_ERR_NOT_SUPPORTED : SBI_ERR_INVALID_PARAM, 0 };
    }
    /* system_reset(type, reason): shutdown ends the VM; a cold or warm reboot resets it. */
    if (s->x[10] == 0) {
        v->vm->exit_status = (int64_t)(uint32_t)s->x[11];
        vm_stop(v->vm);
    } else {
        vm_reset(v->vm, (int64_t)(uint32_t)s->x[11]);
    }
    return (struct sbi_ret){ SBI_SUCCESS, 0 };
}

/* The guest's memory [base_hi:base_lo, + n) for console_write/read, or NULL when any of it is
 * not guest RAM (base_hi holds address bits 64 and up: never RAM). */
static const char *dbcn_memory(struct vcpu *v, uint64_t n, uint64_t base_lo, uint64_t base_hi)
{
    return base_hi == 0 ? guest_mem_ptr(v->vm, gpa_init(base_lo), n) : NULL;
}

static struct sbi_ret dbcn(struct vcpu *v, struct keel_vcpu_state *s, uint64_t fid)
{
    uint64_t n = s->x[10];
    const char *p;
    switch (fid) {
    case 0: /* console_write(num_bytes, base_lo, base_hi) */
    case 1: /* console_read(num_bytes, base_lo, base_hi): nothing typed */
        if (n == 0) {
            return (struct sbi_ret){ SBI_SUCCESS, 0 }; /* no memory named, whatever the base */
        }
        /* The spec's INVALID_PARAM: all of the memory named must be the guest's. */
        if (!(p = dbcn_memory(v, n, s->x[11], s->x[12]))) {
            return (struct sbi_ret){ SBI_ERR_INVALID_PARAM, 0 };
        }
        if (fid == 1) {
            return (struct sbi_ret){ SBI_SUCCESS, 0 };
        }
        n = n < DBCN_WRITE_MAX ? n : DBCN_WRITE_MAX;
        console_put(v->vm, p, n);
        return (struct sbi_ret){ SBI_SUCCESS, n }; /* the bytes written: the guest calls again */
    case 2: { /* console_write_byte */
        char c = (char)s->x[10];
        console_put(v->vm, &c, 1);
        return (struct sbi_ret){ SBI_SUCCESS, 0 };
    }
    default:
        return (struct sbi_ret){ SBI_ERR_NOT_SUPPORTED, 0 };
    }
}

static const struct sbi_ext extensions[] = {
    { SBI_EXT_BASE, base },           { SBI_EXT_LEGACY_PUTCHAR, legacy_putchar },
    { SBI_EXT_LEGACY_GETCHAR, legacy_getchar }, { SBI_EXT_TIME, time_ext }, { SBI_EXT_IPI, ipi },
    { SBI_EXT_RFENCE, rfence },       { SBI_EXT_HSM, hsm },  { SBI_EXT_SRST, srst }, { SBI_EXT_DBCN, dbcn },
};

static const struct sbi_ext *find(uint64_t eid)
{
    for (unsigned i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++) {
        if (extensions[i].eid == eid) {
            return &extensions[i];
        }
    }
    return NULL;
}

static struct sbi_ret base(struct vcpu *v, struct keel_vcpu_state *s, uint64_t fid)
{
    (void)v;
    switch (fid) {
    case 0: /* get_spec_version */
        return (struct sbi_ret){ SBI_SUCCESS, SPEC_VERSION };
    case 1: /* get_impl_id */
        return (struct sbi_ret){ SBI_SUCCESS, IMPL_ID };
    case 2: /* get_impl_version */
        return (struct sbi_ret){ SBI_SUCCESS, 1 };
    case 3: /* probe_extension */
        return (struct sbi_ret){ SBI_SUCCESS, find(s->x[10]) || s->x[10] == KEEL_SBI_EXT_NULL };
    case 4: case 5: case 6: /* mvendorid, marchid, mimpid */
        return (struct sbi_ret){ SBI_SUCCESS, 0 };
    default:
        return (struct sbi_ret){ SBI_ERR_NOT_SUPPORTED, 0 };
    }
}

int sbi_call(struct vcpu *v, struct keel_vcpu_state *s)
{
    uint64_t eid = s->x[17], fid = s->x[16];
    const struct sbi_ext *e = find(eid);
    struct sbi_ret r = e ? e->call(v, s, fid) : (struct sbi_ret){ SBI_ERR_NOT_SUPPORTED, 0 };
    s->x[10] = (uint64_t)r.error;
    if (eid > SBI_EXT_LEGACY_GETCHAR) {
        s->x[11] = r.value; /* legacy extensions leave a1 alone */
    }
    s->pc += 4;
    return 0;
}
