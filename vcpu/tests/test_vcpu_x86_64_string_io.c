// SPDX-License-Identifier: MIT
/*
 * Host tests of the vCPU library's string port I/O (arch/x86_64/string_io.c): INS and OUTS with
 * and without REP in each address size, the direction flag, the element budget per exit, the
 * segment checks of protected mode (limit, expand-down, unusable, writable, readable code, #SS for
 * SS), the canonical check and FS/GS bases of 64-bit mode, the guest's paging with its access
 * rights (#PF with CR2 and the error code), elements across a page boundary, memory that is not
 * RAM, and ports nothing answers. Guest RAM is a 64 KiB buffer at guest-physical 0; the ports
 * are a log.
 */
#include "unit.h"
#include <string.h>
#include "string_io.h"
#include "insn.h"

#define RAM_SIZE 0x10000ull
static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
struct vm {
    int unused;
};
static struct vm vm;

void *guest_mem_ptr(struct vm *v, gpa_t gpa, uint64_t size)
{
    uint64_t a = gpa_val(gpa);
    (void)v;
    if (size > RAM_SIZE || a > RAM_SIZE - size) {
        return NULL;
    }
    return ram + a;
}

/* No read-only memory beside RAM here. */
const void *guest_code_ptr(struct vm *v, gpa_t gpa, uint64_t size)
{
    return guest_mem_ptr(v, gpa, size);
}

/* The ports: every access logged; reads answer `next_in`, counting up; port 0x99 has nothing. */
static struct {
    unsigned port, width;
    bool write;
    uint64_t value;
} io_log[64];
static unsigned io_count;
static uint32_t next_in;

static bool port(void *ctx, unsigned p, unsigned width, bool write, uint64_t *value)
{
    CHECK(ctx == &vm);
    if (io_count < 64) {
        io_log[io_count].port = p;
        io_log[io_count].width = width;
        io_log[io_count].write = write;
        io_log[io_count].value = write ? *value : 0;
    }
    io_count++;
    if (p == 0x99) {
        return false;
    }
    if (!write) {
        *value = next_in++ & (width == 4 ? 0xffffffffu : (1u << (8 * width)) - 1);
    }
    return true;
}

/* SVM's IOIO word: IN bit 0, string 2, REP 3, size 4-6 (address size and segment, which SVM gives
 * only with decode assists, are left out: the VMM reads the prefixes). */
enum { IN = 1, STR = 4, REP = 8, B = 1 << 4, W = 1 << 5, D = 1 << 6 };
#define PORT(n) ((uint64_t)(n) << 16)
#define FLAT_CODE 0xc9b
#define FLAT_DATA 0xc93
#define PF_ERROR(s) ((uint32_t)((s)->inject >> 32))
#define VECTOR(s) ((unsigned)((s)->inject & 0xff))

#define CODE 0xe000u
static uint64_t code_rip = CODE;

static struct keel_vcpu_state flat32(void)
{
    struct keel_vcpu_state s = { 0 };
    const struct keel_x86_segment data = { 0x18, FLAT_DATA, 0xffffffffu, 0 };
    s.cr0 = 0x11;
    s.cs = (struct keel_x86_segment){ 0x10, FLAT_CODE, 0xffffffffu, 0 };
    s.sys.ds = s.sys.es = s.sys.ss = s.sys.fs = s.sys.gs = data;
    s.rflags = 2;
    code_rip = CODE;
    return s;
}

/* The exit of the instruction `code` (its prefixes and opcode) at cs:rip = CODE (CODE_VA under
 * paging): the exit word gives the port, the width and the direction, the bytes the segment and
 * the address size. */

static struct string_io_result run_code(struct keel_vcpu_state *s, uint64_t info, unsigned max,
                                        const char *code)
{
    memset(ram + CODE, 0x90, 16);
    memcpy(ram + CODE, code, strlen(code));
    s->rip = code_rip;
    s->exit_info1 = info | STR;
    s->inject = 0;
    io_count = 0;
    return string_io(&vm, s, port, &vm, max);
}
#define run(s, info, max, code) run_code(s, info, max, code)

static void test_rep_outs_and_ins(void)
{
    struct keel_vcpu_state s = flat32();
    memcpy(ram + 0x2000, "hello", 5);
    s.gpr[6] = 0x2000;
    s.gpr[1] = 5;
    struct string_io_result r = run(&s, REP | B | PORT(0x3f8), 1024, "\xf3\x6e");
    CHECK_EQ(r.end, STRING_IO_DONE);
    CHECK_EQ(r.elements, 5);
    CHECK_EQ(io_count, 5);
    for (unsigned i = 0; i < 5; i++) {
        CHECK(io_log[i].port == 0x3f8 && io_log[i].width == 1 && io_log[i].write);
        CHECK_EQ(io_log[i].value, (uint64_t) "hello"[i]);
    }
    CHECK_EQ(s.gpr[6], 0x2005);
    CHECK_EQ(s.gpr[1], 0);
    CHECK_EQ(s.inject, 0);
    /* REP INSW downwards (DF): three words at es:edi, edi, edi - 2, edi - 4. */
    s.rflags |= 1u << 10;
    s.gpr[7] = 0x3004;
    s.gpr[1] = 3;
    next_in = 0x1111;
    memset(ram + 0x3000, 0, 8);
    r = run(&s, IN | REP | W | PORT(0x1f0), 1024, "\x66\xf3\x6d");
    CHECK_EQ(r.end, STRING_IO_DONE);
    CHECK_EQ(r.elements, 3);
    CHECK(!io_log[0].write && io_log[0].width == 2 && io_log[0].port == 0x1f0);
    CHECK(ram[0x3004] == 0x11 && ram[0x3005] == 0x11 && ram[0x3002] == 0x12 && ram[0x3000] == 0x13);
    CHECK_EQ(s.gpr[7], 0x2ffe);
    CHECK_EQ(s.gpr[1], 0);
    /* Without REP: one element, rcx untouched; INS ignores the segment bits (always ES). */
    s.rflags = 2;
    s.gpr[1] = 77;
    s.gpr[7] = 0x3000;
    s.sys.ds.attr = 0; /* unusable: would fault if used */
    r = run(&s, IN | D | PORT(0x10), 1024, "\x3e\x6d");
    CHECK_EQ(r.end, STRING_IO_DONE);
    CHECK_EQ(r.elements, 1);
    CHECK_EQ(s.gpr[1], 77);
    CHECK_EQ(s.gpr[7], 0x3004);
    /* REP with rCX 0: nothing moves. */
    s.gpr[1] = 0;
    r = run(&s, IN | REP | D | PORT(0x10), 1024, "\xf3\x6d");
    CHECK(r.end == STRING_IO_DONE && r.elements == 0 && io_count == 0);
}

static void test_budget_and_address_sizes(void)
{
    struct keel_vcpu_state s = flat32();
    s.gpr[6] = 0x2000;
    s.gpr[1] = 10;
    struct string_io_result r = run(&s, REP | B | PORT(0x80), 4, "\xf3\x6e");
    CHECK(r.end == STRING_IO_AGAIN && r.elements == 4 && s.gpr[1] == 6 && s.gpr[6] == 0x2004);
    r = run(&s, REP | B | PORT(0x80), 4, "\xf3\x6e");
    CHECK(r.end == STRING_IO_AGAIN && s.gpr[1] == 2);
    r = run(&s, REP | B | PORT(0x80), 4, "\xf3\x6e");
    CHECK(r.end == STRING_IO_DONE && r.elements == 2 && s.gpr[1] == 0 && s.gpr[6] == 0x200a);
    /* 16-bit addresses: SI wraps at 64 KiB and CX counts in 16 bits; the upper bits stay. */
    s.cr0 = 0x10; /* real mode */
    s.cs = (struct keel_x86_segment){ 0, 0x9b, 0xffff, 0 };
    s.sys.ds = (struct keel_x86_segment){ 0, 0x93, 0xffff, 0 };
    s.gpr[6] = 0xabcd0000ffffull;
    s.gpr[1] = 0x5555000000002ull;
    ram[0xffff] = 0xaa;
    ram[0] = 0xbb;
    r = run(&s, REP | B | PORT(0x80), 1024, "\xf3\x6e");
    CHECK_EQ(r.end, STRING_IO_DONE);
    CHECK(io_log[0].value == 0xaa && io_log[1].value == 0xbb);
    CHECK_EQ(s.gpr[6], 0xabcd00000001ull);
    CHECK_EQ(s.gpr[1], 0x5555000000000ull);
    /* Real mode: the segment's 64 KiB limit, a word at 0xffff crosses it: #GP. */
    s.gpr[6] = 0xffff;
    r = run(&s, W | PORT(0x80), 1024, "\x6f");
    CHECK(r.end == STRING_IO_FAULT && VECTOR(&s) == 13 && io_count == 0);
}

static void test_segments(void)
{
    struct keel_vcpu_state s = flat32();
    /* Expand-up limit 0xff: a dword at 0xfc is in, at 0xfd is not. */
    s.sys.ds = (struct keel_x86_segment){ 0x18, 0x493, 0xff, 0x2000 };
    s.gpr[6] = 0xfc;
    struct string_io_result r = run(&s, D | PORT(0x80), 1024, "\x6f");
    CHECK_EQ(r.end, STRING_IO_DONE);
    s.gpr[6] = 0xfd;
    r = run(&s, D | PORT(0x80), 1024, "\x6f");
    CHECK(r.end == STRING_IO_FAULT && VECTOR(&s) == 13 && PF_ERROR(&s) == 0 && io_count == 0);
    CHECK_EQ(s.gpr[6], 0xfd);
    /* Through SS: #SS. */
    s.sys.ss = s.sys.ds;
    r = run(&s, D | PORT(0x80), 1024, "\x36\x6f");
    CHECK(r.end == STRING_IO_FAULT && VECTOR(&s) == 12);
    /* Expand-down (type 0x7 with B): valid above the limit, up to 4 GiB. */
    s.sys.ds = (struct keel_x86_segment){ 0x18, 0x497, 0xfff, 0 };
    s.gpr[6] = 0x1000;
    r = run(&s, D | PORT(0x80), 1024, "\x6f");
    CHECK_EQ(r.end, STRING_IO_DONE);
    s.gpr[6] = 0xfff;
    r = run(&s, D | PORT(0x80), 1024, "\x6f");
    CHECK(r.end == STRING_IO_FAULT && VECTOR(&s) == 13);
    /* FS, GS bases in 32-bit code. */
    s.sys.fs = (struct keel_x86_segment){ 0x20, FLAT_DATA, 0xffffffffu, 0x4000 };
    ram[0x4010] = 0x5a;
    s.gpr[6] = 0x10;
    r = run(&s, B | PORT(0x80), 1024, "\x64\x6e");
    CHECK(r.end == STRING_IO_DONE && io_log[0].value == 0x5a);
    /* Unusable DS; INS into a read-only ES; OUTS from a code segment without and with R. */
    s.sys.ds.attr = 0;
    r = run(&s, B | PORT(0x80), 1024, "\x6e");
    CHECK(r.end == STRING_IO_FAULT && VECTOR(&s) == 13 && io_count == 0);
    s.sys.es = (struct keel_x86_segment){ 0x18, 0xc91, 0xffffffffu, 0 };
    s.gpr[7] = 0x3000;
    r = run(&s, IN | B | PORT(0x80), 1024, "\x6c");
    CHECK(r.end == STRING_IO_FAULT && VECTOR(&s) == 13 && io_count == 0);
    s.cs.attr = 0xc99; /* execute-only */
    r = run(&s, B | PORT(0x80), 1024, "\x2e\x6e");
    CHECK(r.end == STRING_IO_FAULT && VECTOR(&s) == 13);
    s.cs.attr = FLAT_CODE;
    r = run(&s, B | PORT(0x80), 1024, "\x2e\x6e");
    CHECK_EQ(r.end, STRING_IO_DONE);
    /* Virtual-8086 mode: segments are real mode's, whatever attributes the state holds. */
    s.rflags |= 1u << 17;
    s.sys.ds = (struct keel_x86_segment){ 0x100, 0, 0xffff, 0x1000 };
    s.gpr[6] = 0x10;
    r = run(&s, B | PORT(0x80), 1024, "\x6e");
    CHECK_EQ(r.end, STRING_IO_DONE);
    s.rflags = 2;
}

/* Long mode, 4-level paging: PML4 0x8000, PDPT 0x9000, PD 0xa000, PT 0xb000, mapping
 * va 0x400000 + n * 4 KiB to the frames set per test. */
#define PML4 0x8000u
#define PDPT 0x9000u
#define PD 0xa000u
#define PT 0xb000u
#define PRESENT 1ull
#define RW 2ull
#define US 4ull
#define VA 0x400000ull

static void pte(unsigned index, uint64_t value)
{
    memcpy(ram + PT + 8 * index, &value, 8);
}

static struct keel_vcpu_state long_mode(unsigned cpl)
{
    struct keel_vcpu_state s = flat32();
    uint64_t e;
    s.cr0 = 0x80010011ull; /* PG, WP, PE */
    s.cr4 = 0x20;
    s.efer = 0x500;
    s.cr3 = PML4;
    s.cs = (struct keel_x86_segment){ 0x10, (uint16_t)(0xa9b | cpl << 5), 0, 0 };
    s.sys.ss.attr = (uint16_t)(FLAT_DATA | cpl << 5); /* CPL is SS's DPL */
    memset(ram + PML4, 0, 0x4000);
    e = PDPT | PRESENT | RW | US;
    memcpy(ram + PML4, &e, 8);
    e = PD | PRESENT | RW | US;
    memcpy(ram + PDPT, &e, 8);
    e = PT | PRESENT | RW | US;
    memcpy(ram + PD + 8 * 2, &e, 8);
    pte(15, CODE | PRESENT | US); /* the instruction's page */
    code_rip = VA + 15 * 4096;
    return s;
}

static void test_paging(void)
{
    struct keel_vcpu_state s = long_mode(0);
    pte(0, 0x5000 | PRESENT | RW);
    pte(1, 0x7000 | PRESENT);       /* read-only */
    pte(3, 0x20000 | PRESENT | RW); /* outside RAM */
    /* A word across two pages mapped far apart. */
    ram[0x5fff] = 0x34;
    ram[0x7000] = 0x12;
    s.gpr[6] = VA + 0xfff;
    struct string_io_result r = run(&s, W | PORT(0x80), 1024, "\x66\x6f");
    CHECK(r.end == STRING_IO_DONE && io_log[0].value == 0x1234);
    /* The DS base is ignored in 64-bit mode, FS's is not. */
    s.sys.ds.base = 0x1000;
    s.sys.fs.base = 0x1000;
    s.gpr[6] = VA - 0x1000 + 0xfff;
    r = run(&s, W | PORT(0x80), 1024, "\x64\x66\x6f");
    CHECK(r.end == STRING_IO_DONE && io_log[0].value == 0x1234);
    /* INS into the read-only page: with CR0.WP #PF (present, write), nothing read or written. */
    s.gpr[7] = VA + 0x1010;
    ram[0x7010] = 0;
    r = run(&s, IN | B | PORT(0x80), 1024, "\x6c");
    CHECK(r.end == STRING_IO_FAULT && VECTOR(&s) == 14 && PF_ERROR(&s) == 3);
    CHECK(s.sys.cr2 == VA + 0x1010 && (s.sync.dirty & KEEL_VCPU_SYNC_SYS) && io_count == 0);
    s.cr0 &= ~(1ull << 16); /* without WP a supervisor write goes through */
    next_in = 0x42;
    r = run(&s, IN | B | PORT(0x80), 1024, "\x6c");
    CHECK(r.end == STRING_IO_DONE && ram[0x7010] == 0x42);
    /* A dword INS whose second half is on a page not mapped: #PF there, the first half not
     * written and the port not read. */
    s.gpr[7] = VA + 0x1ffe;
    ram[0x7ffe] = ram[0x7fff] = 0;
    r = run(&s, IN | D | PORT(0x80), 1024, "\x6d");
    CHECK(r.end == STRING_IO_FAULT && VECTOR(&s) == 14 && PF_ERROR(&s) == 2);
    CHECK(s.sys.cr2 == VA + 0x2000 && io_count == 0 && ram[0x7ffe] == 0 && ram[0x7fff] == 0);
    /* REP OUTSB running into a page not mapped: the bytes before it are done, rcx and rsi say
     * where it stopped. */
    s.gpr[6] = VA + 0x1ffe;
    s.gpr[1] = 5;
    r = run(&s, REP | B | PORT(0x80), 1024, "\xf3\x6e");
    CHECK(r.end == STRING_IO_FAULT && r.elements == 2 && s.gpr[1] == 3 && s.gpr[6] == VA + 0x2000);
    CHECK(PF_ERROR(&s) == 0 && s.sys.cr2 == VA + 0x2000);
    /* Mapped outside RAM: read as all ones (string I/O reaches no device). Not canonical: #GP. */
    s.gpr[6] = VA + 0x3000;
    r = run(&s, B | PORT(0x80), 1024, "\x6e");
    CHECK(r.end == STRING_IO_DONE && r.not_ram == 1 && r.la == VA + 0x3000);
    CHECK(io_count == 1 && io_log[0].value == 0xff); /* not RAM: all ones */
    s.gpr[6] = 0x0000800000000000ull;
    r = run(&s, B | PORT(0x80), 1024, "\x6e");
    CHECK(r.end == STRING_IO_FAULT && VECTOR(&s) == 13);
    /* A32 in 64-bit mode: ESI counts in 32 bits, the upper half cleared. */
    s.gpr[6] = 0xffffffff00400000ull;
    r = run(&s, B | PORT(0x80), 1024, "\x67\x6e");
    CHECK(r.end == STRING_IO_DONE && s.gpr[6] == 0x400001);
    /* CPL 3: a supervisor page is #PF (present, user), a user page is not. */
    s = long_mode(3);
    pte(0, 0x5000 | PRESENT | RW);
    s.gpr[6] = VA;
    r = run(&s, B | PORT(0x80), 1024, "\x6e");
    CHECK(r.end == STRING_IO_FAULT && PF_ERROR(&s) == 5 && s.sys.cr2 == VA);
    pte(0, 0x5000 | PRESENT | RW | US);
    r = run(&s, B | PORT(0x80), 1024, "\x6e");
    CHECK_EQ(r.end, STRING_IO_DONE);
    /* CPL is SS's DPL, not CS's (conforming code has DPL 0 at CPL 3); a user write to a
     * read-only page is #PF 7. */
    pte(0, 0x5000 | PRESENT | RW);
    s.cs.attr = 0xa9f; /* conforming, DPL 0 */
    r = run(&s, B | PORT(0x80), 1024, "\x6e");
    CHECK(r.end == STRING_IO_FAULT && PF_ERROR(&s) == 5);
    pte(0, 0x5000 | PRESENT | US);
    s.gpr[7] = VA;
    r = run(&s, IN | B | PORT(0x80), 1024, "\x6c");
    CHECK(r.end == STRING_IO_FAULT && PF_ERROR(&s) == 7);
}

/* The segment and address size come from the instruction's prefixes, whatever the exit word has
 * (QEMU's SVM gives neither); the 4 GiB wrap of an element; no INS or OUTS at rip any more. */
static void test_prefixes(void)
{
    struct keel_vcpu_state s = flat32();
    /* Real mode, DS and ES apart: OUTSB reads DS:SI, with an override ES:SI; bits 7-12 of the
     * exit word are ignored. */
    s.cr0 = 0x10;
    s.cs = (struct keel_x86_segment){ 0, 0x9b, 0xffff, 0 };
    s.sys.ds = (struct keel_x86_segment){ 0x100, 0x93, 0xffff, 0x1000 };
    s.sys.es = (struct keel_x86_segment){ 0x200, 0x93, 0xffff, 0x2000 };
    ram[0x1010] = 0x11;
    ram[0x2010] = 0x22;
    s.gpr[6] = 0x10;
    struct string_io_result r = run(&s, B | PORT(0x80) | 7u << 7 | 5u << 10, 1024, "\x6e");
    CHECK(r.end == STRING_IO_DONE && io_log[0].value == 0x11 && s.gpr[6] == 0x11);
    s.gpr[6] = 0x10;
    r = run(&s, B | PORT(0x80), 1024, "\x26\x6e");
    CHECK(r.end == STRING_IO_DONE && io_log[0].value == 0x22);
    /* 67h in 16-bit code: 32-bit ESI. */
    s.gpr[6] = 0x10010;
    s.sys.ds.limit = 0xfffff;
    s.sys.ds.base = 0;
    ram[0x10010 - 0x10000] = 0x33;
    r = run(&s, B | PORT(0x80), 1024, "\x6e"); /* SI only: 0x0010 */
    CHECK(r.end == STRING_IO_DONE && io_log[0].value == 0x33 && s.gpr[6] == 0x10011);
    s.gpr[6] = 0xfff0;
    ram[0xfff0] = 0x44;
    r = run(&s, B | PORT(0x80), 1024, "\x67\x6e");
    CHECK(r.end == STRING_IO_DONE && io_log[0].value == 0x44 && s.gpr[6] == 0xfff1);
    /* 32-bit code: 67h makes it 16-bit, REX is no prefix there (0x40 is INC). */
    s = flat32();
    s.gpr[6] = 0xabcd0000ull | 0xffff;
    ram[0xffff] = 0x55;
    r = run(&s, B | PORT(0x80), 1024, "\x67\x6e");
    CHECK(r.end == STRING_IO_DONE && io_log[0].value == 0x55 && s.gpr[6] == 0xabcd0000ull);
    r = run(&s, B | PORT(0x80), 1024, "\x40\x6e");
    CHECK(r.end == STRING_IO_RETRY && io_count == 0 && s.gpr[6] == 0xabcd0000ull);
    /* Something else at rip (another vCPU rewrote it): nothing done. */
    r = run(&s, IN | B | PORT(0x80), 1024, "\x90");
    CHECK(r.end == STRING_IO_RETRY && io_count == 0);
    /* A dword at 0xfffffffe wraps to 0 outside 64-bit mode: two bytes not RAM, two at 0. */
    s.sys.ds.base = 0x1000;
    s.gpr[6] = 0xffffeffe;
    ram[0] = 0x78;
    ram[1] = 0x56;
    r = run(&s, D | PORT(0x80), 1024, "\x6f");
    CHECK(r.end == STRING_IO_DONE && r.not_ram == 1 && io_log[0].value == 0x5678ffff);
    /* INS into memory that is not RAM: the input is dropped, the count goes on. */
    s.gpr[7] = 0x20000;
    s.gpr[1] = 3;
    r = run(&s, IN | REP | B | PORT(0x80), 1024, "\xf3\x6c");
    CHECK(r.end == STRING_IO_DONE && r.not_ram == 3 && io_count == 3 && s.gpr[7] == 0x20003);
}

static void test_unanswered(void)
{
    struct keel_vcpu_state s = flat32();
    s.gpr[7] = 0x3000;
    s.gpr[1] = 2;
    memset(ram + 0x3000, 0, 4);
    struct string_io_result r = run(&s, IN | REP | W | PORT(0x99), 1024, "\x66\xf3\x6d");
    CHECK(r.end == STRING_IO_DONE && r.unanswered == 2);
    CHECK(ram[0x3000] == 0xff && ram[0x3001] == 0xff && ram[0x3003] == 0xff);
}

int main(void)
{
    test_rep_outs_and_ins();
    test_budget_and_address_sizes();
    test_segments();
    test_paging();
    test_prefixes();
    test_unanswered();
    return unit_done("test_vcpu_x86_64_string_io");
}
