// SPDX-License-Identifier: MIT
/*
 * A real device interrupt through Icu and Irq: the board's RTC raises its alarm (arm64 QEMU virt:
 * PL031, a match one second ahead; riscv64 QEMU virt: goldfish RTC, an alarm 2 ms ahead). The
 * device and its line come from the board's device tree (KIP fdt_base), read with libfdt.
 */
#include <keel/ktest.h>
#include <fdt_util.h>
#include <libfdt.h>
#include "ktest_util.h"

#define IRQ_LABEL 0x5254

struct rtc {
    volatile uint32_t *regs;
    unsigned line;
    int pl031;
};

/* The interrupt line of node as the kernel's Icu numbers it (GIC: SPI n is line 32 + n). */
__attribute__((unused)) static int line_of(const void *fdt, int node, unsigned *line)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, "interrupts", &len);
    if (!p) {
        return -1;
    }
    if (len >= 12) { /* GIC: <type number flags>, type 0 = SPI */
        *line = (fdt32_ld(&p[0]) == 0 ? 32 : 16) + fdt32_ld(&p[1]);
    } else {
        *line = fdt32_ld(&p[0]);
    }
    return 0;
}

#if defined(__x86_64__)
/* The HPET at its usual place (0xfed00000 on q35 and on Bochs' i440FX; the firmware's ACPI HPET
 * table says so, which the root task does not read), checked by its clock period; timer 0
 * routed, level, to the highest I/O APIC input its route capability (Tn_INT_ROUTE_CAP) allows:
 * the boards wire other devices to the lower ones (input 20 has a PCI device on Bochs). */
static int find_rtc(struct rtc *r)
{
    r->regs = (volatile uint32_t *)(uintptr_t)0xfed00000;
    uint32_t period_fs = r->regs[0x4 / 4], route_cap = r->regs[0x104 / 4];
    if (period_fs == 0 || period_fs > 100000000u || route_cap == 0) {
        return -1; /* no HPET there (at most 100 ns a tick, some route) */
    }
    r->line = 31u - (unsigned)__builtin_clz(route_cap);
    printf("ktest: HPET timer 0 to I/O APIC input %u (routes 0x%x)\n", r->line, route_cap);
    r->pl031 = 2;
    return 0;
}
#else
static int find_rtc(struct rtc *r)
{
    const void *fdt = (const void *)(uintptr_t)rt_kip()->fdt_base;
    if (fdt_check_header(fdt) != 0) {
        return -1;
    }
    int node = fdt_node_offset_by_compatible(fdt, -1, "arm,pl031");
    r->pl031 = node >= 0;
    if (node < 0) {
        node = fdt_node_offset_by_compatible(fdt, -1, "google,goldfish-rtc");
    }
    uint64_t base;
    if (node < 0 || !fdt_util_reg(fdt, node, 0, &base, NULL) || line_of(fdt, node, &r->line)) {
        return -1;
    }
    r->regs = (volatile uint32_t *)(uintptr_t)base; /* the root task: same address (sigma0) */
    return 0;
}

#endif
static void rtc_arm(struct rtc *r)
{
    if (r->pl031 == 2) {
        uint32_t period_fs = r->regs[0x4 / 4];
        uint64_t ticks = 2000000000000ull / period_fs; /* 2 ms */
        r->regs[0x100 / 4] = (r->line << 9) | (1u << 1) | (1u << 2); /* route, level, enable */
        uint64_t now = r->regs[0xf0 / 4] | ((uint64_t)r->regs[0xf4 / 4] << 32);
        r->regs[0x108 / 4] = (uint32_t)(now + ticks);
        r->regs[0x10c / 4] = (uint32_t)((now + ticks) >> 32);
        r->regs[0x10 / 4] |= 1; /* counter on */
        return;
    }
    if (r->pl031) {
        r->regs[0x1c / 4] = 1;                 /* RTCICR: clear */
        r->regs[0x04 / 4] = r->regs[0] + 1;    /* RTCMR = RTCDR + 1 s */
        r->regs[0x10 / 4] = 1;                 /* RTCIMSC: unmask */
    } else {
        uint64_t now = r->regs[0] | ((uint64_t)r->regs[1] << 32); /* TIME_LOW latches HIGH */
        uint64_t at = now + 2000000;            /* ns */
        r->regs[0x1c / 4] = 1;                  /* CLEAR_INTERRUPT */
        r->regs[0x0c / 4] = (uint32_t)(at >> 32); /* ALARM_HIGH */
        r->regs[0x10 / 4] = 1;                  /* IRQ_ENABLED */
        r->regs[0x08 / 4] = (uint32_t)at;       /* ALARM_LOW arms it */
    }
}

static void rtc_quiet(struct rtc *r)
{
    if (r->pl031 == 2) {
        r->regs[0x100 / 4] = (r->line << 9) | (1u << 1); /* same route, interrupt off */
        r->regs[0x10 / 4] &= ~1u;                        /* counter off */
        r->regs[0x20 / 4] = 1;                           /* timer 0's level interrupt: clear */
        return;
    }
    if (r->pl031) {
        r->regs[0x10 / 4] = 0;
        r->regs[0x1c / 4] = 1;
    } else {
        r->regs[0x10 / 4] = 0;
        r->regs[0x1c / 4] = 1;
    }
}

KTEST(device_interrupt_reaches_user_level)
{
    struct rtc r;
    REQUIRE_EQ(find_rtc(&r), 0);
    uint64_t irq = cap_new();
    REQUIRE_EQ(KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ, irq), 0);
    REQUIRE_EQ(KOBJ(irq, KEEL_IRQ_ATTACH, KEEL_ROOT_THREAD, IRQ_LABEL), 0);
    REQUIRE_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_BIND, irq, r.line, KEEL_IRQ_MODE_LEVEL_HIGH), 0);
    CHECK_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_BIND, irq, r.line, KEEL_IRQ_MODE_LEVEL_HIGH), -KEEL_EBUSY);

    /* Nothing before the device is told to interrupt. */
    uint64_t label = 0;
    uint64_t tag = keel_receive(irq, 20000, &label);
    CHECK(keel_tag_is_error(tag));
    CHECK_EQ(keel_ipc_error(), -KEEL_ETIMEOUT);

    rtc_arm(&r);
    tag = keel_receive(irq, 3000000, &label);
    CHECK(!keel_tag_is_error(tag));
    CHECK_EQ(label, IRQ_LABEL);
    rtc_quiet(&r);
    CHECK_EQ(KOBJ(irq, KEEL_IRQ_UNMASK), 0);

    /* Quiet device, unmasked line: no further message. */
    tag = keel_receive(irq, 20000, &label);
    CHECK(keel_tag_is_error(tag));
    CHECK_EQ(KOBJ(KEEL_ROOT_ICU, KEEL_ICU_UNBIND, irq), 0);
    cap_free(irq);
}
