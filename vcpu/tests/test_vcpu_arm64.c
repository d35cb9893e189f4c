// SPDX-License-Identifier: MIT
/*
 * Host tests of the vCPU library's arm64 exit decoding (arch/arm64/syndrome.c), against the Arm ARM's
 * encodings written out here as the instructions' syndromes: loads and stores of every width into
 * X and W registers, sign-extending loads (LDRSB/LDRSH/LDRSW into W and X), XZR as source and
 * destination, a data abort without a valid syndrome, and the external abort injected into the
 * guest from EL0t, EL1t and EL1h (vector, ESR_EL1 class and IL/WnR, saved PC and PSTATE).
 */
#include "unit.h"
#include "syndrome.h"
#include <string.h>

/* ESR_EL2 of a data abort from a lower EL with a valid syndrome (D17.2.40). */
static uint64_t dabt(unsigned sas, bool sse, unsigned srt, bool sf, bool wnr)
{
    return 0x24ull << 26 | 1u << 25 | 1u << 24 | (uint64_t)sas << 22 | (sse ? 1u << 21 : 0) |
           (uint64_t)srt << 16 | (sf ? 1u << 15 : 0) | (wnr ? 1u << 6 : 0) | 0x07 /* L3 fault */;
}

static void test_decode(void)
{
    struct arm64_mmio a;
    /* STRB W3: one byte from W3. */
    CHECK(arm64_mmio_decode(dabt(0, false, 3, false, true), &a));
    CHECK_EQ(a.width, 1);
    CHECK_EQ(a.rt, 3);
    CHECK(a.write && !a.sign && !a.sf);
    /* LDR X30: eight bytes into X30. */
    CHECK(arm64_mmio_decode(dabt(3, false, 30, true, false), &a));
    CHECK_EQ(a.width, 8);
    CHECK_EQ(a.rt, 30);
    CHECK(!a.write && a.sf);
    /* LDRSH X1, LDRSW X2. */
    CHECK(arm64_mmio_decode(dabt(1, true, 1, true, false), &a));
    CHECK(a.width == 2 && a.sign && a.sf);
    CHECK(arm64_mmio_decode(dabt(2, true, 2, true, false), &a));
    CHECK(a.width == 4 && a.sign);
    /* LDP, or a writeback form: no syndrome (ISV clear). */
    CHECK(!arm64_mmio_decode(dabt(3, false, 1, true, false) & ~(1ull << 24), &a));
}

static void test_store_values(void)
{
    struct keel_vcpu_state s;
    memset(&s, 0, sizeof(s));
    s.x[5] = 0x1122334455667788ull;
    struct arm64_mmio a;
    const uint64_t want[4] = { 0x88, 0x7788, 0x55667788, 0x1122334455667788ull };
    for (unsigned sas = 0; sas < 4; sas++) {
        arm64_mmio_decode(dabt(sas, false, 5, sas == 3, true), &a);
        CHECK_EQ(arm64_mmio_store_value(&s, &a), want[sas]);
    }
    /* STR XZR: register 31 is zero, not SP or x[31]. */
    arm64_mmio_decode(dabt(3, false, 31, true, true), &a);
    CHECK_EQ(arm64_mmio_store_value(&s, &a), 0);
}

static void test_load_writeback(void)
{
    struct keel_vcpu_state s;
    memset(&s, 0, sizeof(s));
    struct arm64_mmio a;
    s.pc = 0x40080000;
    /* LDRB W0 of 0x80: zero-extended, the upper half of X0 cleared, PC past the instruction. */
    s.x[0] = ~0ull;
    arm64_mmio_decode(dabt(0, false, 0, false, false), &a);
    arm64_mmio_complete(&s, &a, 0x80);
    CHECK_EQ(s.x[0], 0x80);
    CHECK_EQ(s.pc, 0x40080004);
    /* LDRSB W1 of 0x80: sign-extended to 32 bits only. */
    arm64_mmio_decode(dabt(0, true, 1, false, false), &a);
    arm64_mmio_complete(&s, &a, 0x80);
    CHECK_EQ(s.x[1], 0xffffff80ull);
    /* LDRSB X1 of 0x80, LDRSH X2 of 0x8001, LDRSW X3 of 0x80000001: to 64 bits. */
    arm64_mmio_decode(dabt(0, true, 1, true, false), &a);
    arm64_mmio_complete(&s, &a, 0x80);
    CHECK_EQ(s.x[1], 0xffffffffffffff80ull);
    arm64_mmio_decode(dabt(1, true, 2, true, false), &a);
    arm64_mmio_complete(&s, &a, 0x8001);
    CHECK_EQ(s.x[2], 0xffffffffffff8001ull);
    arm64_mmio_decode(dabt(2, true, 3, true, false), &a);
    arm64_mmio_complete(&s, &a, 0x80000001);
    CHECK_EQ(s.x[3], 0xffffffff80000001ull);
    /* LDRSW X4 of a positive value: no extension; a device's bits above the width are not the
     * register's. */
    arm64_mmio_decode(dabt(2, true, 4, true, false), &a);
    arm64_mmio_complete(&s, &a, 0xabcd00007fffffffull);
    CHECK_EQ(s.x[4], 0x7fffffff);
    /* LDR W5 of a 64-bit value: W5 gets the low half. */
    arm64_mmio_decode(dabt(2, false, 5, false, false), &a);
    arm64_mmio_complete(&s, &a, 0x1234567890abcdefull);
    CHECK_EQ(s.x[5], 0x90abcdef);
    /* LDR XZR: the result goes nowhere (x[] has 31 entries: nothing past them is written). */
    uint64_t before[31];
    memcpy(before, s.x, sizeof(before));
    arm64_mmio_decode(dabt(3, false, 31, true, false), &a);
    arm64_mmio_complete(&s, &a, 0x5555);
    CHECK(memcmp(before, s.x, sizeof(before)) == 0);
    /* A store leaves its register alone. */
    arm64_mmio_decode(dabt(3, false, 5, true, true), &a);
    arm64_mmio_complete(&s, &a, 0);
    CHECK_EQ(s.x[5], 0x90abcdef);
}

static void test_inject_abort(void)
{
    static const struct {
        uint64_t pstate, vector, ec;
    } from[] = {
        { 0x0, 0x400, 0x24 },   /* EL0t: lower EL, AArch64 */
        { 0x3c4, 0x000, 0x25 }, /* EL1t: current EL, SP0 */
        { 0x3c5, 0x200, 0x25 }, /* EL1h: current EL, SPx */
    };
    for (unsigned i = 0; i < 3; i++) {
        struct keel_vcpu_state s;
        memset(&s, 0, sizeof(s));
        s.pstate = from[i].pstate;
        s.pc = 0x40001000;
        s.sys.vbar_el1 = 0x40000800;
        s.exit_far = 0x9000010;
        arm64_inject_abort(&s, false, true);
        CHECK_EQ(s.pc, 0x40000800 + from[i].vector);
        CHECK_EQ(s.sys.esr_el1 >> 26, from[i].ec);
        CHECK_EQ(s.sys.esr_el1 & (1u << 25), 1u << 25); /* IL: a 32-bit instruction */
        CHECK_EQ(s.sys.esr_el1 & (1u << 6), 1u << 6);   /* WnR */
        CHECK_EQ(s.sys.esr_el1 & 0x3f, 0x10);           /* synchronous external abort */
        CHECK_EQ(s.sys.far_el1, 0x9000010);
        CHECK_EQ(s.sys.elr_el1, 0x40001000);
        CHECK_EQ(s.sys.spsr_el1, from[i].pstate);
        CHECK_EQ(s.pstate, 0x3c5); /* EL1h, DAIF masked */
        CHECK_EQ(s.sync.dirty, KEEL_VCPU_SYNC_SYS); /* the kernel must take the EL1 registers */
    }
    /* An instruction abort: class 0x20 from EL0, 0x21 from EL1. */
    struct keel_vcpu_state s;
    memset(&s, 0, sizeof(s));
    s.pstate = 0x3c5;
    arm64_inject_abort(&s, true, false);
    CHECK_EQ(s.sys.esr_el1 >> 26, 0x21);
    CHECK_EQ(s.sys.esr_el1 & (1u << 6), 0);
}

int main(void)
{
    test_decode();
    test_store_values();
    test_load_writeback();
    test_inject_abort();
    return unit_done("test_vcpu_arm64");
}
