// SPDX-License-Identifier: MIT
/*
 * Host tests of the riscv64 VMM's logic: decoding the loads and stores behind MMIO exits (raw,
 * compressed, and as htinst gives them), reading an instruction through the guest's own page
 * table (superpages, a page crossing, tables outside RAM), the PLIC model (claim, complete,
 * thresholds, level and edge lines; more pending sources than priority levels), the NS16550A (interrupts, FIFO, divisor latch) wired to
 * it, the SBI debug console (DBCN: bounded writes, ranges outside RAM), HSM hart_start (the
 * start address checked; the new hart's pc, a0 and a1 as exit.c resets it), hart_get_status,
 * hart_suspend (not supported), the BASE extension's version and probe, and SRST. Guest RAM
 * is a buffer here; the VM's other services are fakes below; what the VMM prints is caught from
 * stdout.
 */
#define _POSIX_C_SOURCE 200809L /* dup, dup2, fileno: catching stdout */
#include "unit.h"
#include "capture.h"
#include "vm.h"
#include "vcpu.h"
#include "insn.h"
#include "plic.h"
#include "sbi.h"
#include "dev/uart_ns16550.h"
#include <keel/rt.h>
#include <stdlib.h>
#include <unistd.h>

uint64_t host_cycles;
struct keel_utcb host_utcb;

#define RAM_BASE 0x80000000ull
#define RAM_SIZE 0x10000ull
static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
static struct vm vm;
static unsigned kicks;

void *guest_mem_ptr(struct vm *v, gpa_t gpa, uint64_t size)
{
    (void)v;
    uint64_t a = gpa_val(gpa);
    if (a < RAM_BASE || size > RAM_SIZE || a - RAM_BASE > RAM_SIZE - size) {
        return NULL;
    }
    return ram + (a - RAM_BASE);
}

struct mmio_device *vm_device_add(struct vm *v, const char *name, gpa_t base, uint64_t size)
{
    struct mmio_device *d = &v->devices[v->device_count++];
    memset(d, 0, sizeof(*d));
    d->name = name;
    d->base = base;
    d->size = size;
    d->lock = &d->own; /* as vm.c */
    return d;
}

static unsigned state_syncs;

/* As vcpu.c, without a kernel: the area is taken to hold the whole state. */
int vcpu_state_sync(struct vcpu *v)
{
    state_syncs++;
    v->state->sync.valid |= KEEL_VCPU_SYNC_SYS;
    return 0;
}

void vcpu_kick(struct vcpu *v)
{
    (void)v;
    kicks++;
}

static unsigned power_ons;
static uint64_t power_on_pc, power_on_ctx;

/* As vcpu.c: the start is noted in the vCPU (before_resume resets it from there). */
int64_t vcpu_power_on(struct vcpu *v, uint64_t pc, uint64_t ctx)
{
    power_ons++;
    power_on_pc = v->start_pc = pc;
    power_on_ctx = v->start_ctx = ctx;
    return 0;
}

/* What exit.c needs besides: no device at any address here, nothing reported, a clock. */
struct mmio_device *vm_device_at(struct vm *v, gpa_t gpa)
{
    (void)v, (void)gpa;
    return NULL;
}

void vm_report(struct vm *v, const char *fmt, ...)
{
    (void)v, (void)fmt;
}

uint64_t rt_timer_freq(void)
{
    return 10000000;
}

void vm_stop(struct vm *v)
{
    v->off = true;
}

static int resets;
static int64_t reset_status;

void vm_reset(struct vm *v, int64_t status)
{
    (void)v;
    resets++;
    reset_status = status;
}

static void test_decode(void)
{
    struct mmio_insn m;
    CHECK(insn_decode_mmio(0x0002a283, false, &m)); /* lw t0, 0(t0) */
    CHECK(!m.write && m.width == 4 && m.sign && m.reg == 5 && m.len == 4);
    CHECK(insn_decode_mmio(0x00728023, false, &m)); /* sb t2, 0(t0) */
    CHECK(m.write && m.width == 1 && m.reg == 7 && m.len == 4);
    CHECK(insn_decode_mmio(0x0035c503, false, &m)); /* lbu a0, 3(a1) */
    CHECK(!m.write && m.width == 1 && !m.sign && m.reg == 10);
    CHECK(insn_decode_mmio(0x00813483, false, &m)); /* ld s1, 8(sp) */
    CHECK(!m.write && m.width == 8 && m.reg == 9);
    CHECK(insn_decode_mmio(0x00f73823, false, &m)); /* sd a5, 16(a4) */
    CHECK(m.write && m.width == 8 && m.reg == 15);
    CHECK(!insn_decode_mmio(0x00052007, false, &m)); /* flw f0, 0(a0): not for the VMM */
    CHECK(!insn_decode_mmio(0x00000013, false, &m)); /* nop */
    /* Compressed: c.lw a0, 0(a1); c.sw; c.ld; c.sd; c.lwsp a5, 4(sp); c.swsp a5, 0(sp). */
    CHECK(insn_decode_mmio(0x4188, false, &m));
    CHECK(!m.write && m.width == 4 && m.sign && m.reg == 10 && m.len == 2);
    CHECK(insn_decode_mmio(0xc188, false, &m));
    CHECK(m.write && m.width == 4 && m.reg == 10 && m.len == 2);
    CHECK(insn_decode_mmio(0x6188, false, &m) && m.width == 8 && !m.write);
    CHECK(insn_decode_mmio(0xe188, false, &m) && m.width == 8 && m.write);
    CHECK(insn_decode_mmio(0x4792, false, &m) && !m.write && m.reg == 15 && m.width == 4);
    CHECK(insn_decode_mmio(0xc03e, false, &m) && m.write && m.reg == 15);
    CHECK(!insn_decode_mmio(0x2188, false, &m)); /* c.fld */
    /* htinst: transformed lw t0 (offsets zeroed), a transformed c.sw a0 (bit 1 clear), and what
     * is not a transformed instruction: zero, a pseudoinstruction (VS-stage table read). */
    CHECK(insn_decode_mmio(0x00002283, true, &m) && !m.write && m.reg == 5 && m.len == 4);
    CHECK(insn_decode_mmio(0x00a02021, true, &m) && m.write && m.reg == 10 && m.width == 4 && m.len == 2);
    CHECK(!insn_decode_mmio(0, true, &m));
    CHECK(!insn_decode_mmio(0x00003000, true, &m));
}

static void pte(uint64_t table, unsigned index, uint64_t target, uint64_t flags)
{
    uint64_t e = ((target >> 12) << 10) | flags;
    memcpy(ram + (table - RAM_BASE) + 8 * index, &e, 8);
}

static void test_fetch(void)
{
    struct keel_vcpu_state s = { 0 };
    uint32_t insn = 0;
    const uint64_t root = RAM_BASE + 0x1000, l1 = RAM_BASE + 0x2000, l0 = RAM_BASE + 0x3000;
    memset(ram, 0, sizeof(ram));
    /* Bare: the pc is guest-physical. */
    memcpy(ram + 0x4100, "\x83\xa2\x02\x00", 4);
    CHECK(insn_fetch(&vm, &s, RAM_BASE + 0x4100, &insn) && insn == 0x0002a283);
    CHECK(!insn_fetch(&vm, &s, 0x1000, &insn)); /* not RAM */
    /* Sv39: va 0x12345000 -> 0x80004000 and 0x12346000 -> 0x80005000 through three levels;
     * a 32-bit instruction at 0x12345ffe crosses from one to the other. */
    s.vsatp = (8ull << 60) | (root >> 12);
    pte(root, 0, l1, 1);
    pte(l1, 0x91, l0, 1);
    pte(l0, 0x145, RAM_BASE + 0x4000, 0xb);
    pte(l0, 0x146, RAM_BASE + 0x5000, 0xb);
    memcpy(ram + 0x4ffe, "\x23\x80", 2);
    memcpy(ram + 0x5000, "\x72\x00", 2);
    CHECK(insn_fetch(&vm, &s, 0x12345ffe, &insn) && insn == 0x00728023);
    CHECK(insn_fetch(&vm, &s, 0x12345100, &insn) && insn == 0x0002a283);
    CHECK(!insn_fetch(&vm, &s, 0x12347000, &insn)); /* not mapped */
    /* A 1 GiB leaf: va 0x40004100 -> 0x80004100. */
    pte(root, 1, RAM_BASE, 0xb);
    CHECK(insn_fetch(&vm, &s, 0x40004100, &insn) && insn == 0x0002a283);
    /* A table outside guest RAM is not followed. */
    pte(root, 2, 0x1000, 1);
    CHECK(!insn_fetch(&vm, &s, 0x80000000, &insn));
    s.vsatp = (3ull << 60) | (root >> 12); /* no such mode */
    CHECK(!insn_fetch(&vm, &s, 0x12345100, &insn));
}

static uint64_t rd(struct mmio_device *d, uint64_t off)
{
    uint64_t v = 0;
    CHECK(d->access(d, off, 4, false, &v));
    return v;
}

static void wr(struct mmio_device *d, uint64_t off, uint64_t v)
{
    CHECK(d->access(d, off, 4, true, &v));
}

enum { CTX_S0 = 1, CLAIM = 0x200004 + 0x1000 * CTX_S0, THRESHOLD = 0x200000 + 0x1000 * CTX_S0 };

static void test_plic(struct mmio_device *p)
{
    struct vcpu *v = &vm.vcpus[0];
    uint64_t bad = 0;
    CHECK(!p->access(p, 0x28, 2, false, &bad));  /* 32-bit accesses only */
    CHECK(!p->access(p, 0x1000, 4, true, &bad)); /* pending is read-only */
    wr(p, 4 * 3, 1);
    wr(p, 4 * 5, 2);
    wr(p, 0x2000 + 0x80 * CTX_S0, (1u << 3) | (1u << 5) | 1u);
    CHECK_EQ(rd(p, 0x2000 + 0x80 * CTX_S0), (1u << 3) | (1u << 5)); /* no source 0 */
    /* A level line: pending on its rise, delivered once claimed, again after completion while
     * still high; not once low. */
    kicks = 0;
    vm_irq_set(&vm, 3, true);
    CHECK(kicks == 1 && plic_pending(&vm, v));
    CHECK_EQ(rd(p, 0x1000), 1u << 3);
    CHECK_EQ(rd(p, CLAIM), 3);
    CHECK(!plic_pending(&vm, v));
    CHECK_EQ(rd(p, CLAIM), 0);
    wr(p, CLAIM, 3);
    CHECK(plic_pending(&vm, v));
    CHECK_EQ(rd(p, CLAIM), 3);
    vm_irq_set(&vm, 3, false);
    wr(p, CLAIM, 3);
    CHECK(!plic_pending(&vm, v));
    /* Priority and threshold: 5 (priority 2) before 3 (priority 1); a threshold of 1 hides 3. */
    vm_irq_set(&vm, 3, true);
    vm_irq_set(&vm, 5, true);
    vm_irq_set(&vm, 5, false); /* an edge */
    wr(p, THRESHOLD, 1);
    CHECK_EQ(rd(p, CLAIM), 5);
    CHECK_EQ(rd(p, CLAIM), 0);
    /* An edge while in service is kept for after the completion. */
    vm_irq_set(&vm, 5, true);
    vm_irq_set(&vm, 5, false);
    CHECK(!plic_pending(&vm, v));
    wr(p, CLAIM, 5);
    CHECK(plic_pending(&vm, v));
    CHECK_EQ(rd(p, CLAIM), 5);
    wr(p, CLAIM, 5);
    wr(p, THRESHOLD, 0);
    CHECK_EQ(rd(p, CLAIM), 3);
    vm_irq_set(&vm, 3, false);
    wr(p, CLAIM, 3);
    wr(p, CLAIM, 3); /* completing what is not in service: ignored */
    CHECK(!plic_pending(&vm, v));
    /* Beyond the sources and contexts there is nothing. */
    CHECK(!p->access(p, 4 * 40, 4, false, &bad));
    CHECK(!p->access(p, 0x200000 + 0x1000 * 2, 4, false, &bad));
}

/* More pending sources than priority levels (ten over 1..7, with ties, and one at priority 0):
 * claims go highest priority first, ties to the lowest source ID (RISC-V PLIC: "ties broken by
 * ID"); each claimed once until completed, even if its line rises again meanwhile; a level line
 * still high at completion pends again; the threshold hides priorities at or below it; priority
 * 0 never interrupts. */
static void test_plic_many(struct mmio_device *p)
{
    struct vcpu *v = &vm.vcpus[0];
    static const struct {
        unsigned source, priority;
        bool level;
    } src[] = {
        { 2, 3, false },  { 4, 7, false },  { 6, 1, false },  { 7, 5, true },
        { 9, 7, false },  { 12, 3, true },  { 17, 5, false }, { 20, 2, false },
        { 25, 6, false }, { 31, 3, false }, { 8, 0, true },
    };
    enum { N = sizeof(src) / sizeof(src[0]) };
    static const unsigned order[] = { 4, 9, 25, 7, 17, 2, 12, 31, 20, 6 };
    uint32_t all = 0;
    for (unsigned k = 0; k < N; k++) {
        wr(p, 4 * src[k].source, src[k].priority);
        all |= 1u << src[k].source;
    }
    wr(p, 0x2000 + 0x80 * CTX_S0, all);
    wr(p, THRESHOLD, 0);
    CHECK(!plic_pending(&vm, v));
    /* Raised in an order unlike either the IDs' or the priorities'. */
    for (unsigned k = N; k-- > 0;) {
        vm_irq_set(&vm, src[k].source, true);
        if (!src[k].level) {
            vm_irq_set(&vm, src[k].source, false);
        }
    }
    CHECK_EQ(rd(p, 0x1000), all); /* priority 0 is pending too: it only never interrupts */
    /* A threshold of 4 leaves 4, 9 (7), 25 (6), 7, 17 (5); 5 leaves 4, 9, 25. */
    wr(p, THRESHOLD, 5);
    CHECK_EQ(rd(p, CLAIM), 4);
    CHECK_EQ(rd(p, CLAIM), 9);
    CHECK_EQ(rd(p, CLAIM), 25);
    CHECK_EQ(rd(p, CLAIM), 0);
    CHECK(!plic_pending(&vm, v));
    wr(p, THRESHOLD, 4);
    CHECK_EQ(rd(p, CLAIM), 7);
    CHECK_EQ(rd(p, CLAIM), 17);
    CHECK_EQ(rd(p, CLAIM), 0);
    wr(p, THRESHOLD, 0);
    for (unsigned k = 5; k < 10; k++) {
        CHECK_EQ(rd(p, CLAIM), order[k]);
    }
    CHECK_EQ(rd(p, CLAIM), 0); /* all in service; source 8 (priority 0) never */
    CHECK(!plic_pending(&vm, v));
    CHECK_EQ(rd(p, 0x1000), 1u << 8); /* a claimed level line asks again only when completed */
    /* Edges again while in service: kept, not claimed until completed. */
    vm_irq_set(&vm, 4, true);
    vm_irq_set(&vm, 4, false);
    vm_irq_set(&vm, 20, true);
    vm_irq_set(&vm, 20, false);
    CHECK_EQ(rd(p, CLAIM), 0);
    /* Completed in another order: the two level lines still high pend again (7 before 12), the
     * two edges once more (4 first, 20 after 12), then nothing. */
    for (unsigned k = 10; k-- > 0;) {
        wr(p, CLAIM, order[k]);
    }
    CHECK_EQ(rd(p, CLAIM), 4);
    CHECK_EQ(rd(p, CLAIM), 7);
    vm_irq_set(&vm, 7, false);
    wr(p, CLAIM, 7);
    CHECK_EQ(rd(p, CLAIM), 12);
    CHECK_EQ(rd(p, CLAIM), 20);
    CHECK_EQ(rd(p, CLAIM), 0);
    vm_irq_set(&vm, 12, false);
    wr(p, CLAIM, 4);
    wr(p, CLAIM, 12);
    wr(p, CLAIM, 20);
    CHECK_EQ(rd(p, CLAIM), 0); /* each once: 7 low at completion, 12 too */
    CHECK_EQ(rd(p, 0x1000), 1u << 8);
    /* Source 8 at a priority: claimed; back to 0 with its line low for what follows. */
    wr(p, 4 * 8, 1);
    CHECK_EQ(rd(p, CLAIM), 8);
    vm_irq_set(&vm, 8, false);
    wr(p, CLAIM, 8);
    CHECK(!plic_pending(&vm, v));
    for (unsigned k = 0; k < N; k++) {
        wr(p, 4 * src[k].source, 0);
    }
    wr(p, 0x2000 + 0x80 * CTX_S0, 0);
}

static uint64_t urd(struct mmio_device *u, uint64_t off)
{
    uint64_t v = 0;
    CHECK(u->access(u, off, 1, false, &v));
    return v;
}

static void uwr(struct mmio_device *u, uint64_t off, uint64_t v)
{
    CHECK(u->access(u, off, 1, true, &v));
}

/* The locks (vmm/lock.h): the UART has its own, which console input takes too; the PLIC's window
 * shares the interrupt controller's, which the UART takes inside its own to raise its line. */
static void test_locks(struct mmio_device *p, struct mmio_device *u)
{
    CHECK(p->lock == &vm.irq_lock);
    CHECK(u->lock == &u->own);
    CHECK(vm.console_lock == u->lock);
    uint64_t value = 0x02; /* IER: THR empty, which rises at once */
    uint32_t taken = vm.irq_lock.next;
    vm_lock(u->lock);
    CHECK(u->access(u, 1, 1, true, &value));
    vm_unlock(u->lock);
    CHECK(vm.irq_lock.next != taken);              /* the line went through the PLIC's lock */
    CHECK_EQ(vm.irq_lock.owner, vm.irq_lock.next); /* ... and let it go */
    CHECK_EQ(u->own.owner, u->own.next);
    value = 0;
    CHECK(u->access(u, 1, 1, true, &value)); /* (IER off again) */
    struct vcpu *v = &vm.vcpus[0];
    if (plic_pending(&vm, v)) {
        wr(p, CLAIM, rd(p, CLAIM));
    }
}

static void test_uart(struct mmio_device *p, struct mmio_device *u)
{
    struct vcpu *v = &vm.vcpus[0];
    wr(p, 4 * 10, 1);
    wr(p, 0x2000 + 0x80 * CTX_S0, 1u << 10);
    CHECK_EQ(urd(u, 5), 0x60); /* LSR: transmitter empty */
    CHECK_EQ(urd(u, 2), 0x01); /* IIR: nothing */
    for (const char *c = "uart: hello\n"; *c; c++) {
        uwr(u, 0, (uint8_t)*c);
    }
    /* Enabling the THR empty interrupt raises it; reading IIR acknowledges it. */
    uwr(u, 1, 0x02);
    CHECK(plic_pending(&vm, v));
    CHECK_EQ(rd(p, CLAIM), 10);
    CHECK_EQ(urd(u, 2), 0x02);
    CHECK_EQ(urd(u, 2), 0x01);
    wr(p, CLAIM, 10);
    CHECK(!plic_pending(&vm, v));
    /* Received bytes: DR, the receive interrupt, the bytes in order. */
    uwr(u, 1, 0x01);
    CHECK_EQ(uart_ns16550_input(&vm, "ab", 2), 2);
    CHECK_EQ(urd(u, 5), 0x61);
    CHECK_EQ(urd(u, 2), 0x04);
    CHECK(plic_pending(&vm, v));
    CHECK_EQ(urd(u, 0), 'a');
    CHECK_EQ(urd(u, 5), 0x61); /* the last byte waiting: still DR */
    CHECK_EQ(urd(u, 0), 'b');
    CHECK_EQ(urd(u, 5), 0x60);
    CHECK_EQ(rd(p, CLAIM), 10);
    wr(p, CLAIM, 10);
    CHECK(!plic_pending(&vm, v));
    /* The FIFO holds 16. */
    CHECK_EQ(uart_ns16550_input(&vm, "0123456789abcdefgh", 18), 16);
    uwr(u, 2, 0x03); /* FIFO on, receive FIFO reset */
    CHECK_EQ(urd(u, 5), 0x60);
    CHECK_EQ(urd(u, 2), 0xc1);
    /* The divisor latch hides RBR/THR and IER. */
    uwr(u, 3, 0x83);
    uwr(u, 0, 0x12);
    uwr(u, 1, 0x34);
    CHECK_EQ(urd(u, 0), 0x12);
    CHECK_EQ(urd(u, 1), 0x34);
    uwr(u, 3, 0x03);
    CHECK_EQ(urd(u, 1), 0x01);
    uint64_t x = 0;
    CHECK(!u->access(u, 8, 1, false, &x)); /* beyond the registers */
    CHECK(!u->access(u, 0, 8, false, &x));
}

enum {
    EXT_DBCN = 0x4442434e,
    SBI_SUCCESS = 0,
    SBI_ERR_INVALID_PARAM = -3,
    SBI_ERR_INVALID_ADDRESS = -5
};

/* One DBCN call (function fid, arguments a0..a2) from vCPU 0; *value gets a1. Returns a0. */
static int64_t dbcn(uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t *value)
{
    struct keel_vcpu_state s = { 0 };
    s.pc = 0x80001000;
    s.x[17] = EXT_DBCN;
    s.x[16] = fid;
    s.x[10] = a0, s.x[11] = a1, s.x[12] = a2;
    s.x[13] = 0x5a5a; /* not an argument: must not matter */
    CHECK(sbi_call(&vm.vcpus[0], &s) == 0);
    CHECK_EQ(s.pc, 0x80001004);
    *value = s.x[11];
    return (int64_t)s.x[10];
}

/* A console_write of n bytes at gpa that the VMM must refuse: INVALID_PARAM, nothing printed. */
static void dbcn_refused(uint64_t n, uint64_t lo, uint64_t hi)
{
    char out[64];
    uint64_t value = 1;
    capture_start();
    CHECK_EQ(dbcn(0, n, lo, hi, &value), (uint64_t)SBI_ERR_INVALID_PARAM);
    CHECK(capture_end(out, sizeof(out)) == 0);
    CHECK_EQ(value, 0);
}

static void test_dbcn(void)
{
    static char out[RAM_SIZE * 2];
    uint64_t value = 0;
    /* All of guest RAM in one call: at most 256 bytes go to the console (two full 127-byte lines
     * of "t| ..." printed, two bytes still in the line), and the call says how many it took. */
    for (size_t i = 0; i < RAM_SIZE; i++) {
        ram[i] = (uint8_t)('a' + i % 26);
    }
    capture_start();
    CHECK_EQ(dbcn(0, RAM_SIZE, RAM_BASE, 0, &value), 0);
    capture_end(out, sizeof(out));
    CHECK_EQ(value, 256);
    CHECK_EQ(strlen(out), 2 * (3 + 127 + 1));
    CHECK(strncmp(out, "t| abcdefghij", 13) == 0);
    capture_start();
    CHECK_EQ(dbcn(2, '\n', 0, 0, &value), 0); /* write_byte: the rest of the line */
    capture_end(out, sizeof(out));
    CHECK(strcmp(out, "t| uv\n") == 0); /* bytes 254 and 255: 'u', 'v' */
    CHECK_EQ(value, 0);

    /* A guest that loops as the spec asks (Linux does): advancing by the count returned, its
     * text comes out whole, in order, once. */
    char msg[1001], expect[1400] = "";
    for (unsigned i = 0; i < 1000; i++) {
        msg[i] = i % 50 == 49 ? '\n' : (char)('A' + i / 50);
    }
    msg[1000] = '\0';
    for (unsigned line = 0; line < 20; line++) {
        size_t used = strlen(expect);
        snprintf(expect + used, sizeof(expect) - used, "t| %.49s\n", msg + 50 * line);
    }
    memcpy(ram + 0x100, msg, 1000);
    unsigned calls = 0;
    capture_start();
    for (uint64_t done = 0; done < 1000 && calls < 100; calls++) {
        int64_t err = dbcn(0, 1000 - done, RAM_BASE + 0x100 + done, 0, &value);
        CHECK(err == 0 && value > 0 && value <= 256);
        done += value;
    }
    capture_end(out, sizeof(out));
    CHECK_EQ(calls, 4);
    CHECK(strcmp(out, expect) == 0);

    /* Ranges that are not all guest RAM: before it, across either end, longer than RAM. */
    dbcn_refused(16, 0, 0);
    dbcn_refused(2, RAM_BASE - 1, 0);
    dbcn_refused(11, RAM_BASE + RAM_SIZE - 10, 0);
    dbcn_refused(1, RAM_BASE + RAM_SIZE, 0);
    dbcn_refused(RAM_SIZE + 1, RAM_BASE, 0);
    dbcn_refused(UINT64_MAX, RAM_BASE, 0);
    /* High address bits: base_hi (bits 64 and up), bits above RAM in base_lo, a range that wraps
     * around 2^64 (and would end inside RAM). */
    dbcn_refused(16, RAM_BASE, 1);
    dbcn_refused(16, RAM_BASE, ~0ull);
    dbcn_refused(16, RAM_BASE | 1ull << 63, 0);
    dbcn_refused(16, RAM_BASE | 1ull << 32, 0);
    dbcn_refused(RAM_BASE + 0x20, 0ull - RAM_BASE, 0);
    /* Up to the last byte of RAM is fine. */
    memcpy(ram + RAM_SIZE - 10, "last bytes", 10);
    capture_start();
    CHECK_EQ(dbcn(0, 10, RAM_BASE + RAM_SIZE - 10, 0, &value), 0);
    CHECK_EQ(dbcn(2, '\n', 0, 0, &value), 0);
    capture_end(out, sizeof(out));
    CHECK_EQ(value, 0);
    CHECK(strcmp(out, "t| last bytes\n") == 0);

    /* Zero length names no memory: success, nothing written, wherever it points. */
    capture_start();
    CHECK_EQ(dbcn(0, 0, RAM_BASE, 0, &value), 0);
    CHECK_EQ(value, 0);
    CHECK_EQ(dbcn(0, 0, 0, 0, &value), 0);
    CHECK_EQ(value, 0);
    CHECK_EQ(dbcn(0, 0, RAM_BASE, 1, &value), 0);
    CHECK_EQ(value, 0);
    CHECK(capture_end(out, sizeof(out)) == 0);

    /* console_read: nothing is typed, but its buffer is checked like a write's. */
    CHECK_EQ(dbcn(1, 16, RAM_BASE, 0, &value), 0);
    CHECK_EQ(value, 0);
    CHECK_EQ(dbcn(1, 16, RAM_BASE + RAM_SIZE - 8, 0, &value), (uint64_t)SBI_ERR_INVALID_PARAM);
    CHECK_EQ(dbcn(1, 16, RAM_BASE, 1, &value), (uint64_t)SBI_ERR_INVALID_PARAM);
}

/* HSM hart_start (SBI 2.0, 9.1): a start address outside guest RAM (or odd) is INVALID_ADDRESS
 * and starts nothing; an unknown hart INVALID_PARAM; in RAM, the hart starts there with opaque. */
static void test_hart_start(void)
{
    const uint64_t bad[] = { 0, RAM_BASE - 2, RAM_BASE + RAM_SIZE, RAM_BASE + 1, ~0ull - 1 };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct keel_vcpu_state s = { .pc = 0x80001000 };
        s.x[17] = 0x48534d, s.x[16] = 0, s.x[10] = 1, s.x[11] = bad[i], s.x[12] = 0x1234;
        CHECK(sbi_call(&vm.vcpus[0], &s) == 0);
        CHECK_EQ((int64_t)s.x[10], SBI_ERR_INVALID_ADDRESS);
    }
    CHECK_EQ(power_ons, 0);
    struct keel_vcpu_state s = { .pc = 0x80001000 };
    s.x[17] = 0x48534d, s.x[16] = 0, s.x[10] = 7, s.x[11] = RAM_BASE, s.x[12] = 0x1234;
    CHECK(sbi_call(&vm.vcpus[0], &s) == 0);
    CHECK_EQ((int64_t)s.x[10], SBI_ERR_INVALID_PARAM);
    s = (struct keel_vcpu_state){ .pc = 0x80001000 };
    s.x[17] = 0x48534d, s.x[16] = 0, s.x[10] = 1, s.x[11] = RAM_BASE + 0x100, s.x[12] = 0x1234;
    CHECK(sbi_call(&vm.vcpus[0], &s) == 0);
    CHECK_EQ((int64_t)s.x[10], SBI_SUCCESS);
    CHECK_EQ(power_ons, 1);
    CHECK_EQ(power_on_pc, RAM_BASE + 0x100);
    CHECK_EQ(power_on_ctx, 0x1234);
    /* The hart as it starts (arch_vcpu_reset from what vcpu_power_on noted, as vcpu.c does
     * before it first runs): at start_addr in VS-mode with translation and interrupts off, a0
     * its hart id, a1 opaque (SBI 2.0, 9.1). */
    struct vcpu *t = &vm.vcpus[1];
    struct keel_vcpu_state ts;
    memset(&ts, 0xa5, sizeof(ts));
    t->state = &ts;
    arch_vcpu_reset(t, t->start_pc, t->start_ctx);
    CHECK_EQ(ts.pc, RAM_BASE + 0x100);
    CHECK_EQ(ts.x[10], 1);
    CHECK_EQ(ts.x[11], 0x1234);
    for (unsigned i = 1; i < 32; i++) {
        CHECK(i == 10 || i == 11 || ts.x[i] == 0);
    }
    CHECK_EQ(ts.priv, 1);
    CHECK_EQ(ts.vsatp, 0);
    CHECK_EQ(ts.sys.vsstatus & 2, 0); /* SIE */
    t->state = NULL;
}

/* One SBI call (extension eid, function fid, a0..a2) from vCPU 0: a0 (the error) after it, *value
 * a1. The pc moves past the ECALL. */
static int64_t sbi(uint64_t eid, uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2,
                   uint64_t *value)
{
    struct keel_vcpu_state s = { .pc = 0x80001000 };
    s.x[17] = eid, s.x[16] = fid, s.x[10] = a0, s.x[11] = a1, s.x[12] = a2;
    s.x[13] = 0x5a5a; /* not an argument: must not matter */
    CHECK(sbi_call(&vm.vcpus[0], &s) == 0);
    CHECK_EQ(s.pc, 0x80001004);
    CHECK_EQ(s.x[13], 0x5a5a);
    *value = s.x[11];
    return (int64_t)s.x[10];
}

/* HSM's other functions (SBI 2.0, 9.2-9.4): hart_get_status of a0's hart, numbered as the spec
 * does (STARTED 0, STOPPED 1, START_PENDING 2); hart_suspend is not supported: NOT_SUPPORTED for
 * the types the spec defines (whatever a0 would be as a hart id), INVALID_PARAM for reserved and
 * platform-specific ones; no function 4. BASE says HSM is there, and SBI 2.0. */
static void test_hsm_status_suspend(void)
{
    enum { HSM = 0x48534d, BASE = 0x10, NOT_SUPPORTED = -2, INVALID_PARAM = -3 };
    uint64_t value = 99;
    vm.vcpus[0].power = VCPU_ON;
    vm.vcpus[1].power = VCPU_OFF;
    CHECK_EQ(sbi(HSM, 2, 1, 0, 0, &value), 0);
    CHECK_EQ(value, 1);
    vm.vcpus[1].power = VCPU_ON_PENDING;
    CHECK_EQ(sbi(HSM, 2, 1, 0, 0, &value), 0);
    CHECK_EQ(value, 2);
    vm.vcpus[1].power = VCPU_ON;
    CHECK_EQ(sbi(HSM, 2, 1, 0, 0, &value), 0);
    CHECK_EQ(value, 0);
    vm.vcpus[1].power = VCPU_OFF;
    CHECK_EQ(sbi(HSM, 2, 0, 1, 1, &value), 0); /* hart 0: a0, not a1 */
    CHECK_EQ(value, 0);
    CHECK_EQ(sbi(HSM, 2, 2, 0, 0, &value), INVALID_PARAM);
    static const uint64_t defined[] = { 0, 0x80000000, 0xffffffff00000000ull };
    for (unsigned i = 0; i < 3; i++) {
        CHECK_EQ(sbi(HSM, 3, defined[i], RAM_BASE, 0, &value), NOT_SUPPORTED);
        CHECK_EQ(sbi(HSM, 3, defined[i], 0, 0, &value), NOT_SUPPORTED);
    }
    static const uint64_t undefined[] = { 1,          2,          0x0fffffff,
                                          0x10000000, 0x7fffffff, 0x80000001,
                                          0x8fffffff, 0x90000000, 0xffffffff };
    for (unsigned i = 0; i < sizeof(undefined) / sizeof(undefined[0]); i++) {
        CHECK_EQ(sbi(HSM, 3, undefined[i], RAM_BASE, 0, &value), INVALID_PARAM);
    }
    CHECK_EQ(sbi(HSM, 4, 1, 0, 0, &value), NOT_SUPPORTED);
    CHECK_EQ(sbi(HSM, 4, 7, 0, 0, &value), NOT_SUPPORTED);
    CHECK_EQ(power_ons, 1); /* (test_hart_start's) */
    CHECK_EQ(vm.vcpus[0].power, VCPU_ON);
    CHECK_EQ(sbi(BASE, 0, 0, 0, 0, &value), 0);
    CHECK_EQ(value, 2u << 24); /* 2.0 */
    static const uint64_t offered[] = { 0x10, 0x54494d45, 0x735049,  0x52464e43,
                                        HSM,  0x53525354, 0x4442434e };
    for (unsigned i = 0; i < sizeof(offered) / sizeof(offered[0]); i++) {
        CHECK_EQ(sbi(BASE, 3, offered[i], 0, 0, &value), 0);
        CHECK(value != 0);
    }
    static const uint64_t absent[] = { 0x504d55 /* PMU */,
                                       0x53555350 /* SUSP */,
                                       0x43505043 /* CPPC */,
                                       0x535441 /* STA */,
                                       0x3,
                                       0x8 };
    for (unsigned i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
        CHECK_EQ(sbi(BASE, 3, absent[i], 0, 0, &value), 0);
        CHECK_EQ(value, 0);
        CHECK_EQ(sbi(absent[i], 0, 0, 0, 0, &value), NOT_SUPPORTED);
    }
}

/* SRST system_reset (SBI 2.0, 10.1): shutdown stops the VM with the reason as its status, a
 * cold or warm reboot resets it, another type is INVALID_PARAM and does nothing. */
static void test_srst(void)
{
    static const uint64_t types[] = { 1, 2, 0, 3 };
    for (unsigned i = 0; i < 4; i++) {
        struct keel_vcpu_state s = { .pc = 0x80001000 };
        s.x[17] = 0x53525354, s.x[16] = 0, s.x[10] = types[i], s.x[11] = 40 + i;
        CHECK(sbi_call(&vm.vcpus[0], &s) == 0);
        CHECK_EQ((int64_t)s.x[10], i < 3 ? SBI_SUCCESS : SBI_ERR_INVALID_PARAM);
    }
    CHECK_EQ(resets, 2);
    CHECK_EQ(reset_status, 41);
    CHECK(vm.off);
    CHECK_EQ(vm.exit_status, 42);
    vm.off = false;
}

int main(void)
{
    vm.name = "t";
    vm.vcpu_count = 1;
    vm.vcpus[0].vm = &vm;
    test_decode();
    test_fetch();
    CHECK(plic_create(&vm, gpa_init(0xc000000), 0x600000, 31) == 0);
    struct mmio_device *p = &vm.devices[0];
    test_plic(p);
    test_plic_many(p);
    struct mmio_device *u = vm_device_add(&vm, "ns16550a", gpa_init(0x10000000), 0x100);
    CHECK(uart_ns16550_create(u, &vm, 10, 0) == 0);
    test_uart(p, u);
    test_locks(p, u);
    test_dbcn();
    vm.vcpu_count = 2;
    vm.vcpus[1].vm = &vm;
    vm.vcpus[1].id = 1;
    vm.vcpus[1].mpidr = 1; /* hart 1 */
    test_hart_start();
    test_hsm_status_suspend();
    test_srst();
    return unit_done("test_vmm_riscv64");
}
