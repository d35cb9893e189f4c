// SPDX-License-Identifier: MIT
/*
 * Host tests of the vCPU library's x86_64 MMIO instruction emulation (arch/x86_64/insn.c): decoding the MOV forms in
 * 16-, 32- and 64-bit code (prefixes, REX, ModRM/SIB/displacement lengths, immediates, moffs),
 * refusing everything else and every truncated instruction, the register write-back rules, and
 * reading the instruction through the guest's paging (none, 32-bit, PAE, 4- and 5-level; large
 * pages, page crossings, tables outside RAM). Guest RAM is a 64 KiB buffer at guest-physical 0.
 */
#include "unit.h"
#include "insn.h"
#include <stdlib.h>

#define RAM_SIZE 0x10000ull
static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
struct vm {
    int unused; /* the VMM's; the library only passes it to guest_mem_ptr() */
};
static struct vm vm;
static unsigned mem_reads;

void *guest_mem_ptr(struct vm *v, gpa_t gpa, uint64_t size)
{
    uint64_t a = gpa_val(gpa);
    (void)v;
    mem_reads++;
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

/* Decodes a heap copy of exactly n bytes: AddressSanitizer catches any read past avail. */
static bool decode(unsigned bits, const char *code, unsigned n, struct mmio_insn *m)
{
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, code, n);
    bool ok = insn_decode_mmio(copy, n, bits, m);
    free(copy);
    return ok;
}

static bool same(const struct mmio_insn *a, const struct mmio_insn *b)
{
    return a->write == b->write && a->width == b->width && a->len == b->len && a->reg == b->reg &&
           a->high_byte == b->high_byte && a->imm == b->imm && a->imm_value == b->imm_value &&
           a->dest_width == b->dest_width && a->sign == b->sign;
}

struct decode_case {
    unsigned bits;
    const char *code;
    unsigned n; /* the instruction's length: all of code */
    struct mmio_insn want;
};

#define C(bits, code, ...) { bits, code, sizeof(code) - 1, { __VA_ARGS__ } }
#define LD(w, r) .width = w, .reg = r, .dest_width = w
#define ST(w, r) .write = true, .width = w, .reg = r
#define IMM(w, v) .write = true, .width = w, .imm = true, .imm_value = v
#define ZX(w, dw, r) .width = w, .dest_width = dw, .reg = r
#define SX(w, dw, r) .width = w, .dest_width = dw, .reg = r, .sign = true
#define D32 "\x00\x10\x00\x00"
#define I32 "\x78\x56\x34\x12"
#define MOFFS64 "\x00\x00\x0b\xfe\x00\x00\x00\x00"

static const struct decode_case cases[] = {
    /* 64-bit: operand sizes, REX.R, byte registers. */
    C(64, "\x8b\x03", LD(4, 0)),                  /* mov eax, [rbx] */
    C(64, "\x48\x8b\x03", LD(8, 0)),              /* mov rax, [rbx] */
    C(64, "\x66\x8b\x03", LD(2, 0)),              /* mov ax, [rbx] */
    C(64, "\x66\x48\x8b\x03", LD(8, 0)),          /* REX.W wins over 66 */
    C(64, "\x4c\x8b\x03", LD(8, 8)),              /* mov r8, [rbx] */
    C(64, "\x41\x8b\x03", LD(4, 0)),              /* mov eax, [r11]: REX.B is the base */
    C(64, "\x44\x89\x3b", ST(4, 15)),             /* mov [rbx], r15d */
    C(64, "\x89\x08", ST(4, 1)),                  /* mov [rax], ecx */
    C(64, "\x66\x41\x89\x08", ST(2, 1)),          /* mov [r8], cx */
    C(64, "\x88\x20", ST(1, 0), .high_byte = true),   /* mov [rax], ah */
    C(64, "\x40\x88\x20", ST(1, 4)),              /* mov [rax], spl */
    C(64, "\x88\x28", ST(1, 1), .high_byte = true),   /* mov [rax], ch */
    C(64, "\x40\x88\x28", ST(1, 5)),              /* mov [rax], bpl */
    C(64, "\x8a\x38", LD(1, 3), .high_byte = true),   /* mov bh, [rax] */
    C(64, "\x8a\x30", LD(1, 2), .high_byte = true),   /* mov dh, [rax] */
    C(64, "\x40\x8a\x38", LD(1, 7)),              /* mov dil, [rax] */
    C(64, "\x40\x8a\x30", LD(1, 6)),              /* mov sil, [rax] */
    C(64, "\x44\x8a\x08", LD(1, 9)),              /* mov r9b, [rax] */
    C(64, "\x44\x8a\x38", LD(1, 15)),             /* mov r15b, [rax] */
    C(64, "\x8a\x0b", LD(1, 1)),                  /* mov cl, [rbx] */
    /* SIB, displacements, RIP-relative, address size. */
    C(64, "\x8b\x04\x24", LD(4, 0)),              /* mov eax, [rsp] */
    C(64, "\x8b\x44\x24\x08", LD(4, 0)),          /* mov eax, [rsp + 8] */
    C(64, "\x8b\x04\x25" D32, LD(4, 0)),          /* mov eax, [0x1000]: SIB base 101, mod 00 */
    C(64, "\x8b\x44\x8d\x10", LD(4, 0)),          /* mov eax, [rbp + rcx*4 + 0x10] */
    C(64, "\x8b\x84\x8b" D32, LD(4, 0)),          /* mov eax, [rbx + rcx*4 + 0x1000] */
    C(64, "\x8b\x43\x10", LD(4, 0)),              /* mov eax, [rbx + 0x10] */
    C(64, "\x8b\x83" D32, LD(4, 0)),              /* mov eax, [rbx + 0x1000] */
    C(64, "\x8b\x45\x00", LD(4, 0)),              /* mov eax, [rbp + 0]: mod 01 rm 101 */
    C(64, "\x8b\x05" D32, LD(4, 0)),              /* mov eax, [rip + 0x1000] */
    C(64, "\x48\x8b\x05" D32, LD(8, 0)),          /* mov rax, [rip + 0x1000] */
    C(64, "\x4c\x89\x3d" D32, ST(8, 15)),         /* mov [rip + 0x1000], r15 */
    C(64, "\x67\x8b\x03", LD(4, 0)),              /* mov eax, [ebx] */
    C(64, "\x67\x8b\x04\x24", LD(4, 0)),          /* mov eax, [esp] */
    C(64, "\x64\x8b\x03", LD(4, 0)),              /* mov eax, fs:[rbx] */
    C(64, "\x2e\x3e\x26\x36\x65\x89\x08", ST(4, 1)),
    C(64, "\x64\x66\x48\x89\x08", ST(8, 1)),
    /* Immediates. */
    C(64, "\xc6\x00\xab", IMM(1, 0xab)),          /* mov byte [rax], 0xab */
    C(64, "\x41\xc6\x00\x7f", IMM(1, 0x7f)),      /* mov byte [r8], 0x7f */
    C(64, "\xc6\x44\x24\x08\x01", IMM(1, 1)),     /* mov byte [rsp + 8], 1 */
    C(64, "\xc7\x00" I32, IMM(4, 0x12345678)),
    C(64, "\x66\xc7\x00\x34\x12", IMM(2, 0x1234)),
    C(64, "\x48\xc7\x00\x00\x00\x00\x80", IMM(8, 0xffffffff80000000ull)),
    C(64, "\x48\xc7\x00\xff\xff\xff\x7f", IMM(8, 0x7fffffff)),
    C(64, "\x66\x48\xc7\x00\x01\x00\x00\x80", IMM(8, 0xffffffff80000001ull)),
    C(64, "\xc7\x05" D32 I32, IMM(4, 0x12345678)), /* mov dword [rip + 0x1000], imm32 */
    C(64, "\x48\xc7\x84\x8b" D32 "\xfe\xff\xff\xff", IMM(8, ~1ull)),
    /* movzx, movsx. */
    C(64, "\x0f\xb6\x03", ZX(1, 4, 0)),           /* movzx eax, byte [rbx] */
    C(64, "\x48\x0f\xb7\x0b", ZX(2, 8, 1)),       /* movzx rcx, word [rbx] */
    C(64, "\x66\x0f\xb6\x03", ZX(1, 2, 0)),       /* movzx ax, byte [rbx] */
    C(64, "\x0f\xb6\x20", ZX(1, 4, 4)),           /* movzx esp, byte [rax]: never AH */
    C(64, "\x44\x0f\xbe\x03", SX(1, 4, 8)),       /* movsx r8d, byte [rbx] */
    C(64, "\x4c\x0f\xbf\x13", SX(2, 8, 10)),      /* movsx r10, word [rbx] */
    C(64, "\x0f\xbf\x05" D32, SX(2, 4, 0)),       /* movsx eax, word [rip + 0x1000] */
    /* moffs: 8 bytes of offset, 4 with 67. */
    C(64, "\xa1" MOFFS64, LD(4, 0)),
    C(64, "\x48\xa3" MOFFS64, ST(8, 0)),
    C(64, "\xa0" MOFFS64, LD(1, 0)),
    C(64, "\x66\xa1" MOFFS64, LD(2, 0)),
    C(64, "\x67\xa2" D32, ST(1, 0)),
    C(64, "\x67\x48\xa1" D32, LD(8, 0)),
    /* The 15-byte limit: 9 prefixes and a 6-byte mov. */
    C(64, "\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x8b\x83" D32, LD(4, 0)),

    /* 32-bit code. */
    C(32, "\x8b\x03", LD(4, 0)),
    C(32, "\x66\x8b\x03", LD(2, 0)),
    C(32, "\x8b\x05" D32, LD(4, 0)),              /* mov eax, [0x1000]: no RIP-relative */
    C(32, "\x8b\x04\x24", LD(4, 0)),
    C(32, "\x8a\x20", LD(1, 0), .high_byte = true),   /* mov ah, [eax] */
    C(32, "\x88\x3b", ST(1, 3), .high_byte = true),   /* mov [ebx], bh */
    C(32, "\xc7\x00" I32, IMM(4, 0x12345678)),
    C(32, "\x66\xc7\x00\x34\x12", IMM(2, 0x1234)),
    C(32, "\x0f\xb7\x03", ZX(2, 4, 0)),
    C(32, "\xa1" D32, LD(4, 0)),
    C(32, "\x67\xa1\x00\x10", LD(4, 0)),
    C(32, "\x66\xa3" D32, ST(2, 0)),
    C(32, "\x67\x8b\x07", LD(4, 0)),              /* mov eax, [bx] */
    C(32, "\x67\x8b\x06\x00\x10", LD(4, 0)),      /* mov eax, [0x1000]: disp16 */
    C(32, "\x67\x8b\x04", LD(4, 0)),              /* mov eax, [si]: no SIB */

    /* 16-bit code. */
    C(16, "\x8b\x07", LD(2, 0)),                  /* mov ax, [bx] */
    C(16, "\x66\x8b\x07", LD(4, 0)),              /* mov eax, [bx] */
    C(16, "\x8b\x06\x00\x10", LD(2, 0)),          /* mov ax, [0x1000] */
    C(16, "\x8b\x47\x10", LD(2, 0)),              /* mov ax, [bx + 0x10] */
    C(16, "\x8b\x87\x00\x10", LD(2, 0)),          /* mov ax, [bx + 0x1000] */
    C(16, "\x8b\x46\x02", LD(2, 0)),              /* mov ax, [bp + 2] */
    C(16, "\x8b\x04", LD(2, 0)),                  /* mov ax, [si]: no SIB */
    C(16, "\x67\x8b\x04\x24", LD(2, 0)),          /* mov ax, [esp] */
    C(16, "\x67\x8b\x05" D32, LD(2, 0)),          /* mov ax, [0x1000] */
    C(16, "\xa1\x00\x10", LD(2, 0)),
    C(16, "\x66\xa1\x00\x10", LD(4, 0)),
    C(16, "\x67\xa1" D32, LD(2, 0)),
    C(16, "\xc7\x07\x34\x12", IMM(2, 0x1234)),
    C(16, "\x66\xc7\x07" I32, IMM(4, 0x12345678)),
    C(16, "\xc6\x06\x00\x10\x55", IMM(1, 0x55)),  /* mov byte [0x1000], 0x55 */
    C(16, "\x88\x3f", ST(1, 3), .high_byte = true),   /* mov [bx], bh */
    C(16, "\x0f\xb6\x07", ZX(1, 2, 0)),           /* movzx ax, byte [bx] */
    C(16, "\x66\x0f\xbe\x07", SX(1, 4, 0)),       /* movsx eax, byte [bx] */
};

struct reject_case {
    unsigned bits;
    const char *code;
    unsigned n;
};

#define R(bits, code) { bits, code, sizeof(code) - 1 }

static const struct reject_case rejects[] = {
    R(64, "\xf3\x8b\x03"), R(64, "\xf2\x8b\x03"), R(64, "\xf3\xa5"), R(64, "\xa5"),
    R(64, "\xf0\x89\x08"),                         /* LOCK MOV is #UD */
    R(64, "\x8b\xc3"), R(64, "\x89\xd8"), R(64, "\x48\x8b\xc3"), /* register operands */
    R(64, "\xc6\xc0\x01"), R(64, "\xc7\xc0" I32), R(64, "\x0f\xb6\xc3"), R(64, "\x8a\xe0"),
    R(64, "\xc6\x08\x01"), R(64, "\xc7\x38" I32),   /* C6 /1, C7 /7 */
    R(64, "\x01\x03"), R(64, "\x8c\x03"), R(64, "\x8e\x03"), R(64, "\x90"), R(64, "\x63\x03"),
    R(64, "\x0f\xb8\x03"), R(64, "\x0f\x0f"), R(64, "\x0f"), R(64, "\xff\x03"),
    R(64, "\x48\x66\x8b\x03"), R(64, "\x40\x48\x8b\x03"), /* REX not just before the opcode */
    R(32, "\x48\x8b\x03"), R(16, "\x48\x8b\x03"),   /* 48: dec eax outside 64-bit mode */
    R(32, "\x8b\xc3"), R(16, "\x8b\xc3"), R(16, "\xf3\x8b\x07"),
    R(8, "\x8b\x03"), R(0, "\x8b\x03"),             /* no such code size */
    /* Over 15 bytes, though all there: 10 prefixes and 6 bytes, 14 and 2, 15 and 2. */
    R(64, "\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x8b\x83" D32),
    R(64, "\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x8b\x03"),
    R(64, "\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x8b\x03"),
};

static void test_decode(void)
{
    struct mmio_insn m;
    uint8_t padded[INSN_MAX_LEN + 8];
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct decode_case *t = &cases[i];
        struct mmio_insn want = t->want;
        want.len = t->n;
        bool good = decode(t->bits, t->code, t->n, &m) && same(&m, &want);
        CHECK(good);
        if (!good) {
            fprintf(stderr, "  decode case %u (%u-bit, %u bytes)\n", i, t->bits, t->n);
        }
        /* Every proper prefix is refused without reading past it (ASan: exact heap copies). */
        for (unsigned k = 0; k < t->n; k++) {
            bool refused = !decode(t->bits, t->code, k, &m);
            CHECK(refused);
            if (!refused) {
                fprintf(stderr, "  decode case %u accepted its first %u bytes\n", i, k);
            }
        }
        /* Bytes after it are not taken. */
        memset(padded, 0xff, sizeof(padded));
        memcpy(padded, t->code, t->n);
        CHECK(insn_decode_mmio(padded, sizeof(padded), t->bits, &m) && m.len == t->n);
    }
    for (unsigned i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
        bool refused = !decode(rejects[i].bits, rejects[i].code, rejects[i].n, &m);
        CHECK(refused);
        if (!refused) {
            fprintf(stderr, "  reject case %u was accepted\n", i);
        }
    }
    /* A long run of prefixes is refused after 15 bytes, whatever follows. */
    uint8_t run[64];
    memset(run, 0x66, sizeof(run));
    CHECK(!insn_decode_mmio(run, sizeof(run), 64, &m));
    CHECK(!insn_decode_mmio(run, 0, 64, &m));
}

static void test_store_value(void)
{
    struct keel_vcpu_state s = { 0 };
    struct mmio_insn m;
    s.gpr[0] = 0x0123456789abcdefull;
    s.gpr[1] = 0x1122334455667788ull;
    s.gpr[5] = 0xa5a5a5a5a5a5a5bbull;
    s.gpr[9] = 0xfedcba9876543210ull;
    CHECK(decode(64, "\x89\x08", 2, &m));
    CHECK_EQ(insn_store_value(&s, &m), 0x55667788);
    CHECK(decode(64, "\x48\x89\x08", 3, &m));
    CHECK_EQ(insn_store_value(&s, &m), 0x1122334455667788ull);
    CHECK(decode(64, "\x66\x89\x08", 3, &m));
    CHECK_EQ(insn_store_value(&s, &m), 0x7788);
    CHECK(decode(64, "\x88\x08", 2, &m)); /* cl */
    CHECK_EQ(insn_store_value(&s, &m), 0x88);
    CHECK(decode(64, "\x88\x28", 2, &m)); /* ch */
    CHECK_EQ(insn_store_value(&s, &m), 0x77);
    CHECK(decode(64, "\x40\x88\x28", 3, &m)); /* bpl */
    CHECK_EQ(insn_store_value(&s, &m), 0xbb);
    CHECK(decode(64, "\x44\x88\x08", 3, &m)); /* r9b */
    CHECK_EQ(insn_store_value(&s, &m), 0x10);
    CHECK(decode(64, "\x4c\x89\x08", 3, &m)); /* r9 */
    CHECK_EQ(insn_store_value(&s, &m), 0xfedcba9876543210ull);
    CHECK(decode(64, "\x48\xa3" MOFFS64, 10, &m));
    CHECK_EQ(insn_store_value(&s, &m), 0x0123456789abcdefull);
    CHECK(decode(64, "\xa2" MOFFS64, 9, &m));
    CHECK_EQ(insn_store_value(&s, &m), 0xef);
    CHECK(decode(64, "\x48\xc7\x00\x00\x00\x00\x80", 7, &m));
    CHECK_EQ(insn_store_value(&s, &m), 0xffffffff80000000ull);
    CHECK(decode(64, "\xc7\x00\x00\x00\x00\x80", 6, &m));
    CHECK_EQ(insn_store_value(&s, &m), 0x80000000);
    CHECK(decode(64, "\x66\xc7\x00\x34\x12", 5, &m));
    CHECK_EQ(insn_store_value(&s, &m), 0x1234);
    CHECK(decode(64, "\xc6\x00\xab", 3, &m));
    CHECK_EQ(insn_store_value(&s, &m), 0xab);
}

/* Decodes code, loads value into a register that held 0x1122334455667788; the result. */
static uint64_t load(unsigned bits, const char *code, unsigned n, uint64_t value)
{
    struct keel_vcpu_state s = { 0 };
    struct mmio_insn m;
    for (unsigned i = 0; i < 16; i++) {
        s.gpr[i] = 0x1122334455667788ull;
    }
    if (!decode(bits, code, n, &m)) {
        return 0xbad;
    }
    insn_load_result(&s, &m, value);
    for (unsigned i = 0; i < 16; i++) {
        if (i != m.reg && s.gpr[i] != 0x1122334455667788ull) {
            return 0xbad; /* another register was written */
        }
    }
    return s.gpr[m.reg];
}

#define LOAD(bits, code, value) load(bits, code, sizeof(code) - 1, value)

static void test_load_result(void)
{
    /* 8-bit merges into the low byte (the value's other bits ignored), AH into bits 8-15. */
    CHECK_EQ(LOAD(64, "\x8a\x03", 0x1ab), 0x11223344556677abull);         /* al */
    CHECK_EQ(LOAD(64, "\x8a\x23", 0xcd), 0x112233445566cd88ull);          /* ah */
    CHECK_EQ(LOAD(64, "\x8a\x3b", 0xcd), 0x112233445566cd88ull);          /* bh */
    CHECK_EQ(LOAD(64, "\x40\x8a\x3b", 0xcd), 0x11223344556677cdull);      /* dil */
    CHECK_EQ(LOAD(64, "\x44\x8a\x03", 0xcd), 0x11223344556677cdull);      /* r8b */
    CHECK_EQ(LOAD(64, "\xa0" MOFFS64, 0xcd), 0x11223344556677cdull);      /* al, moffs */
    /* 16-bit merges; 32-bit zero-extends; 64-bit replaces. */
    CHECK_EQ(LOAD(64, "\x66\x8b\x03", 0xffbeef), 0x112233445566beefull);
    CHECK_EQ(LOAD(64, "\x8b\x03", 0xdeadbeef), 0xdeadbeefull);
    CHECK_EQ(LOAD(64, "\x44\x8b\x13", 0x1deadbeef), 0xdeadbeefull);       /* r10d */
    CHECK_EQ(LOAD(64, "\x48\x8b\x03", 0x8000000000000001ull), 0x8000000000000001ull);
    CHECK_EQ(LOAD(32, "\x8b\x03", 0xdeadbeef), 0xdeadbeefull);
    CHECK_EQ(LOAD(16, "\x8b\x07", 0xbeef), 0x112233445566beefull);
    /* movzx, movsx: extended to the destination, which then follows the same rules. */
    CHECK_EQ(LOAD(64, "\x0f\xb6\x03", 0xff80), 0x80);
    CHECK_EQ(LOAD(64, "\x66\x0f\xb6\x03", 0x80), 0x1122334455660080ull);
    CHECK_EQ(LOAD(64, "\x48\x0f\xb7\x03", 0xffff8000), 0x8000);
    CHECK_EQ(LOAD(64, "\x0f\xbe\x03", 0x80), 0xffffff80ull);
    CHECK_EQ(LOAD(64, "\x48\x0f\xbe\x03", 0x80), 0xffffffffffffff80ull);
    CHECK_EQ(LOAD(64, "\x66\x0f\xbe\x03", 0x80), 0x112233445566ff80ull);
    CHECK_EQ(LOAD(64, "\x0f\xbe\x03", 0x7f), 0x7f);
    CHECK_EQ(LOAD(64, "\x4c\x0f\xbf\x3b", 0x8000), 0xffffffffffff8000ull); /* r15 */
    CHECK_EQ(LOAD(64, "\x0f\xbf\x03", 0x18000), 0xffff8000ull);
    CHECK_EQ(LOAD(16, "\x0f\xbe\x07", 0xfe), 0x112233445566fffeull);
}

static void test_code_bits(void)
{
    struct keel_vcpu_state s = { 0 };
    CHECK_EQ(insn_code_bits(&s), 16);
    s.cs.attr = 0xc9b; /* D, G */
    CHECK_EQ(insn_code_bits(&s), 32);
    s.cs.attr = 0xa9b; /* L, G: without EFER.LMA it is not 64-bit code */
    CHECK_EQ(insn_code_bits(&s), 16);
    s.efer = 0x500; /* LME, LMA */
    CHECK_EQ(insn_code_bits(&s), 64);
    s.cs.attr = 0xc9b; /* compatibility mode */
    CHECK_EQ(insn_code_bits(&s), 32);
    s.cs.attr = 0x09b;
    CHECK_EQ(insn_code_bits(&s), 16);
}

/*
 * Guest RAM for the fetch tests: 0x0000 a 32-bit page table (the PS-ignored case), 0x1000-0x4000
 * PML4, PDPT, PD, PT, 0x5000-0x7fff data, 0x8000 a PML5, 0x9000-0xa000 a 32-bit page directory
 * and table, 0xb020 a PAE PDPT, 0xc000-0xd000 its PD and PT.
 */
#define PML4 0x1000u
#define PDPT 0x2000u
#define PD 0x3000u
#define PT 0x4000u
#define PML5 0x8000u
#define PD32 0x9000u
#define PT32 0xa000u
#define PAE_PDPT 0xb020u
#define PAE_PD 0xc000u
#define PAE_PT 0xd000u

#define P 1ull
#define PS 0x80ull
#define NX (1ull << 63)
#define CR0_PG_PE 0x80000001ull
#define CR4_PSE 0x10ull
#define CR4_PAE 0x20ull
#define CR4_LA57 0x1000ull
#define EFER_LME_LMA 0x500ull

static void entry64(uint64_t table, unsigned index, uint64_t value)
{
    memcpy(ram + table + 8 * index, &value, 8);
}

static void entry32(uint64_t table, unsigned index, uint32_t value)
{
    memcpy(ram + table + 4 * index, &value, 4);
}

static uint64_t va4(unsigned l4, unsigned l3, unsigned l2, unsigned l1)
{
    return (uint64_t)l4 << 39 | (uint64_t)l3 << 30 | (uint64_t)l2 << 21 | (uint64_t)l1 << 12;
}

static uint8_t buf[INSN_MAX_LEN + 1];

static unsigned fetch(struct keel_vcpu_state *s, uint64_t rip)
{
    s->rip = rip;
    memset(buf, 0, sizeof(buf));
    mem_reads = 0;
    unsigned n = insn_fetch(&vm, s, buf, INSN_MAX_LEN);
    CHECK(mem_reads <= 2 * (5 + INSN_MAX_LEN)); /* two pages: each level once, then the bytes */
    return n;
}

/* Fetches 15 bytes at rip and checks they are RAM's at gpa. */
#define FETCH_AT(s, rip, gpa)                                                                  \
    do {                                                                                       \
        CHECK_EQ(fetch(s, rip), INSN_MAX_LEN);                                                 \
        CHECK(memcmp(buf, ram + (gpa), INSN_MAX_LEN) == 0);                                    \
    } while (0)

static void test_fetch_unpaged(void)
{
    struct keel_vcpu_state s = { 0 };
    uint8_t big[32];
    s.cr0 = 0x11;
    s.cs.attr = 0xc9b;
    s.cs.base = 0x1000;
    FETCH_AT(&s, 0x5200, 0x6200); /* cs.base added */
    s.cs.base = 0xfffff000;
    FETCH_AT(&s, 0x7200, 0x6200); /* wraps at 4 GiB */
    s.cs.base = 0;
    CHECK_EQ(fetch(&s, RAM_SIZE - 3), 3); /* up to the end of RAM */
    CHECK(memcmp(buf, ram + RAM_SIZE - 3, 3) == 0);
    CHECK_EQ(fetch(&s, RAM_SIZE), 0);
    CHECK_EQ(fetch(&s, 0xfee00000), 0);
    s.rip = 0x6000;
    CHECK_EQ(insn_fetch(&vm, &s, big, sizeof(big)), INSN_MAX_LEN); /* never more than 15 */
    CHECK_EQ(insn_fetch(&vm, &s, big, 0), 0);
    /* Real mode: 16-bit code at cs.base 0x6000. */
    s.cr0 = 0x10;
    s.cs = (struct keel_x86_segment){ 0x600, 0x93, 0xffff, 0x6000 };
    FETCH_AT(&s, 0x100, 0x6100);
}

static void test_fetch_long(void)
{
    struct keel_vcpu_state s = { 0 };
    struct mmio_insn m;
    const uint64_t va = va4(3, 5, 7, 9);
    s.cr0 = CR0_PG_PE;
    s.cr4 = CR4_PAE;
    s.efer = EFER_LME_LMA;
    s.cs.attr = 0xa9b;
    s.cr3 = PML4;
    entry64(PML4, 3, PDPT | P);
    entry64(PDPT, 5, PD | P);
    entry64(PD, 7, PT | P);
    entry64(PT, 9, 0x5000 | P | NX);
    entry64(PT, 10, 0x7000 | P);
    entry64(PT, 12, 0x20000 | P); /* outside RAM */
    /* 4 KiB pages; one instruction across two of them, mapped far apart. */
    FETCH_AT(&s, va + 0x100, 0x5100);
    CHECK_EQ(fetch(&s, va + 0xff8), INSN_MAX_LEN);
    CHECK(memcmp(buf, ram + 0x5ff8, 8) == 0 && memcmp(buf + 8, ram + 0x7000, 7) == 0);
    s.cs.base = 0x1000; /* ignored in 64-bit code */
    FETCH_AT(&s, va + 0x100, 0x5100);
    s.cs.base = 0;
    /* Into a page that is not mapped: the bytes before it. Then one mapped outside RAM. */
    CHECK_EQ(fetch(&s, va + 0x1ffa), 6);
    CHECK(memcmp(buf, ram + 0x7ffa, 6) == 0);
    CHECK_EQ(fetch(&s, va4(3, 5, 7, 11)), 0);
    CHECK_EQ(fetch(&s, va4(3, 5, 7, 12)), 0);
    /* Fetch, then decode: mov rax, [rbx + 0x1000] across the pages. */
    memcpy(ram + 0x5ffc, "\x48\x8b\x83\x00", 4);
    memcpy(ram + 0x7000, "\x10\x00\x00", 3);
    unsigned n = fetch(&s, va + 0xffc);
    CHECK_EQ(n, INSN_MAX_LEN);
    CHECK(insn_decode_mmio(buf, n, insn_code_bits(&s), &m) && !m.write && m.width == 8 &&
          m.len == 7 && m.reg == 0);
    /* A 2 MiB page (bit 12 is PAT there, not address) and a 1 GiB page, both at 0. */
    entry64(PD, 8, 0x1000 | PS | P);
    FETCH_AT(&s, va4(3, 5, 8, 6) + 0x100, 0x6100);
    CHECK_EQ(fetch(&s, va4(3, 5, 8, 15) + 0xffa), 6); /* up to the end of RAM */
    entry64(PDPT, 6, PS | P);
    FETCH_AT(&s, va4(3, 6, 0, 6) + 0x100, 0x6100);
    /* Not present; PS in a PML4E; a table outside RAM; CR3 outside RAM; non-canonical. */
    CHECK_EQ(fetch(&s, va4(2, 0, 0, 0)), 0);
    entry64(PML4, 4, PDPT | PS | P);
    CHECK_EQ(fetch(&s, va4(4, 0, 0, 6) + 0x100), 0); /* as a 512 GiB page it would be RAM */
    entry64(PML4, 5, 0x10000000 | P);
    CHECK_EQ(fetch(&s, va4(5, 0, 0, 0)), 0);
    entry64(PDPT, 7, 0xfff000 | P);
    CHECK_EQ(fetch(&s, va4(3, 7, 0, 0)), 0);
    entry64(PML4, 6, (1ull << 51) | PDPT | P);
    CHECK_EQ(fetch(&s, va4(6, 5, 7, 9)), 0);
    entry64(PML4, 256, PDPT | P); /* would map 0x0000800000000000, which is not canonical */
    CHECK_EQ(fetch(&s, va4(256, 5, 7, 9)), 0);
    CHECK_EQ(fetch(&s, 0xffff800000000000ull | va4(256, 5, 7, 9)), INSN_MAX_LEN);
    /* A table that maps itself: the walk still takes each level once. */
    entry64(PML4, 7, PML4 | P);
    FETCH_AT(&s, va4(7, 7, 7, 7), PML4);
    s.cr3 = 0x40000000;
    CHECK_EQ(fetch(&s, va + 0x100), 0);
    s.cr3 = PML4;
    /* Compatibility mode: 32-bit code, cs.base added, wrapping at 4 GiB, 4-level paging. */
    entry64(PML4, 0, PDPT | P);
    entry64(PDPT, 0, PD | P);
    entry64(PD, 0, PS | P);
    s.cs.attr = 0xc9b;
    s.cs.base = 0xffffff00;
    FETCH_AT(&s, 0x6200, 0x6100);
    s.cs.attr = 0xa9b;
    s.cs.base = 0;
    /* 5-level paging: a PML5 in front of the same PML4. */
    s.cr4 |= CR4_LA57;
    s.cr3 = PML5;
    entry64(PML5, 1, PML4 | P);
    FETCH_AT(&s, (1ull << 48) | (va + 0x100), 0x5100);
    CHECK_EQ(fetch(&s, va + 0x100), 0); /* PML5[0] not present */
    CHECK_EQ(fetch(&s, (1ull << 56) | (va + 0x100)), 0); /* not canonical with 57 bits */
    entry64(PML5, 2, PML4 | PS | P);
    CHECK_EQ(fetch(&s, (2ull << 48) + 0x6100), 0);
}

static void test_fetch_legacy(void)
{
    struct keel_vcpu_state s = { 0 };
    const uint32_t va = 0x123u << 22 | 0x45u << 12;
    s.cr0 = CR0_PG_PE;
    s.cs.attr = 0xc9b;
    /* 32-bit paging: a 4 KiB page, a crossing into a page not mapped. */
    s.cr3 = PD32;
    entry32(PD32, 0x123, PT32 | P);
    entry32(PT32, 0x45, 0x5000 | P);
    FETCH_AT(&s, va + 0x100, 0x5100);
    CHECK_EQ(fetch(&s, va + 0xffb), 5);
    CHECK(memcmp(buf, ram + 0x5ffb, 5) == 0);
    s.cs.base = 0x100;
    FETCH_AT(&s, va, 0x5100);
    s.cs.base = 0;
    /* PS in a PDE: a 4 MiB page with CR4.PSE, ignored (a page table, here at 0) without. */
    entry32(PD32, 0x200, PS | P);
    entry32(0, 6, 0x5000 | P);
    FETCH_AT(&s, 0x80006100, 0x5100);
    s.cr4 = CR4_PSE;
    FETCH_AT(&s, 0x80006100, 0x6100);
    entry32(PD32, 0x201, 1u << 13 | PS | P); /* PSE-36: at 4 GiB, outside RAM */
    CHECK_EQ(fetch(&s, 0x80406100), 0);
    entry32(PD32, 0x202, 0x7fff000 | P); /* a page table outside RAM */
    CHECK_EQ(fetch(&s, 0x80806100), 0);
    s.cr3 = 0x7fff000;
    CHECK_EQ(fetch(&s, va + 0x100), 0);

    /* PAE: a 32-byte-aligned PDPT, a 4 KiB page, a 2 MiB page; PS in a PDPTE is reserved. */
    s.cr4 = CR4_PAE;
    s.cr3 = PAE_PDPT;
    entry64(PAE_PDPT, 2, PAE_PD | P);
    entry64(PAE_PD, 0x11, PAE_PT | P);
    entry64(PAE_PT, 0x22, 0x5000 | P | NX);
    entry64(PAE_PD, 0x12, PS | P);
    const uint32_t pae_va = 2u << 30 | 0x11u << 21 | 0x22u << 12;
    FETCH_AT(&s, pae_va + 0x100, 0x5100);
    CHECK_EQ(fetch(&s, pae_va + 0xff9), 7); /* the next page is not mapped */
    FETCH_AT(&s, (2u << 30 | 0x12u << 21) + 0x6100, 0x6100);
    entry64(PAE_PDPT, 3, PAE_PD | PS | P);
    CHECK_EQ(fetch(&s, (3u << 30) + 0x6100), 0); /* as a 1 GiB page it would be RAM */
    CHECK_EQ(fetch(&s, 1u << 30), 0); /* PDPTE 1 not present */
    entry64(PAE_PDPT, 0, 0x3fff0000 | P);
    CHECK_EQ(fetch(&s, 0x100), 0);
    s.cr3 = 0xfffe0;
    CHECK_EQ(fetch(&s, pae_va + 0x100), 0);
}

int main(void)
{
    for (unsigned i = 0x5000; i < 0x8000; i++) {
        ram[i] = (uint8_t)(i * 13 + (i >> 8)); /* a pattern that differs between pages */
    }
    test_decode();
    test_store_value();
    test_load_result();
    test_code_bits();
    test_fetch_unpaged();
    test_fetch_long();
    test_fetch_legacy();
    return unit_done("test_vcpu_x86_64");
}
