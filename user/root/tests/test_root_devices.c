// SPDX-License-Identifier: MIT
/*
 * The root task's board devices on the host (user/root/devices.c, compiled in here): which nodes
 * of a board's tree (board_devices.dts; a riscv64 one with a PLIC, board_plic.dts) may be given
 * to a program and why the others may not (status, the pages a window touches, translation
 * through ranges, overlaps with RAM, reserved memory, the kernel's console, the interrupt
 * controller and other devices, the interrupt's parent and line), then what programs of a system
 * tree (system_devices.dts) get: devices selected by compatible and by address, windows of less
 * than a page, a page shared by two devices of one program and refused to a third's. The kernel calls are recorded and
 * succeed (tests/unit/host/sys_arch.h); the root task's mapping of a window (claim_page) is this
 * file's: at another address than the physical one, which the mappings must follow.
 */
#include "unit.h"
#include "dtb.h"
#include "../devices.c"
#include <stdlib.h>

#define CLAIM_OFFSET 0x100000000ull /* where the root task has a window: not at its own address */

struct keel_utcb host_utcb;
struct host_call host_calls[HOST_MAX_CALLS];
unsigned host_call_count;
int64_t host_result;
static unsigned claims;
static uint64_t next_cap = 100;

uint64_t rt_cap_alloc(void)
{
    return next_cap++;
}

static enum claim claim_page(uint64_t pa, uint64_t *va)
{
    claims++;
    *va = pa + CLAIM_OFFSET;
    return CLAIM_MAPPED;
}

static struct keel_kip kip = {
    .ram_count = 1,
    .ram = { { 0x50000000, 0x1000000 } },
    .reserved_count = 2,
    .reserved = { { 0x9300000, 0x1000 }, { 0x9310000, 0x400 } },
    .user_va_bits = 48,
};

static struct board board;

/* board_check() of the board's node with that compatible: true, or false with why. */
static bool check(const char *compat, uint64_t *pa, uint64_t *size, unsigned *line, unsigned *mode)
{
    int node = fdt_node_offset_by_compatible(board.fdt, -1, compat);
    if (node < 0) {
        fprintf(stderr, "no %s in the board's tree\n", compat);
        exit(1);
    }
    why[0] = '\0';
    return board_check(&board, node, pa, size, line, mode);
}

/* board_check() refuses the node with compatible: with words containing expected. */
#define REFUSED(compat, expected)                                                                  \
    do {                                                                                           \
        uint64_t pa_, size_;                                                                       \
        unsigned line_, mode_;                                                                     \
        CHECK(!check(compat, &pa_, &size_, &line_, &mode_));                                       \
        if (!strstr(why, expected)) {                                                              \
            fprintf(stderr, "%s: \"%s\" does not say \"%s\"\n", compat, why, expected);            \
            CHECK(strstr(why, expected));                                                          \
        }                                                                                          \
    } while (0)

static void test_accepted(void)
{
    uint64_t pa, size;
    unsigned line, mode;
    CHECK(check("test,good", &pa, &size, &line, &mode));
    CHECK_EQ(pa, 0x9010000);
    CHECK_EQ(size, 0x1000);
    CHECK_EQ(line, 34);
    CHECK_EQ(mode, KEEL_IRQ_MODE_LEVEL_HIGH);
    /* status "ok", two windows (the first is given), an edge */
    CHECK(check("test,edge", &pa, &size, &line, &mode));
    CHECK_EQ(pa, 0x9020000);
    CHECK_EQ(size, 0x2000);
    CHECK_EQ(line, 35);
    CHECK_EQ(mode, KEEL_IRQ_MODE_EDGE_RISING);
    /* through a bus's ranges (its second entry too) */
    CHECK(check("test,translated", &pa, &size, &line, &mode));
    CHECK_EQ(pa, 0xa001000);
    CHECK_EQ(line, 45);
    CHECK(check("test,translated-second", &pa, &size, &line, &mode));
    CHECK_EQ(pa, 0xb000000);
    /* through an identity bus inside it; its own interrupt-parent over the bus's */
    CHECK(check("test,deep", &pa, &size, &line, &mode));
    CHECK_EQ(pa, 0xa003000);
    CHECK_EQ(line, 47);
    /* interrupts-extended to the GIC */
    CHECK(check("test,extended", &pa, &size, &line, &mode));
    CHECK_EQ(pa, 0x9540000);
    CHECK_EQ(line, 44);
    /* Less than a page, and whole pages and a half: the pages they touch are mapped. */
    CHECK(check("test,unaligned", &pa, &size, &line, &mode));
    CHECK_EQ(pa, 0x9050800);
    CHECK_EQ(size, 0x800);
    CHECK_EQ(line, 37);
    CHECK(check("test,oddsize", &pa, &size, &line, &mode));
    CHECK_EQ(pa, 0x9060000);
    CHECK_EQ(size, 0x1800);
    uint64_t page_pa, page_size;
    page_range(0x9060000, 0x1800, &page_pa, &page_size);
    CHECK_EQ(page_pa, 0x9060000);
    CHECK_EQ(page_size, 0x2000);
    page_range(0x9070200, 0x200, &page_pa, &page_size);
    CHECK_EQ(page_pa, 0x9070000);
    CHECK_EQ(page_size, 0x1000);
    page_range(0x9070e00, 0x400, &page_pa, &page_size); /* across a page boundary */
    CHECK_EQ(page_pa, 0x9070000);
    CHECK_EQ(page_size, 0x2000);
}

static void test_refused(void)
{
    REFUSED("test,disabled", "its status is \"disabled\"");
    REFUSED("test,bus-disabled", "its bus offbus has status \"disabled\"");
    /* Its window is clear of what the kernel keeps, its page is not. */
    REFUSED("test,page-kept", "its page 0x9310000 (mapped whole): it overlaps what the kernel "
                              "keeps (0x9310000");
    REFUSED("test,big", "more than 1024 KiB");
    REFUSED("test,in-ram", "overlaps memory memory@40000000");
    REFUSED("test,in-kip-ram", "overlaps RAM (0x50000000");
    REFUSED("test,kept", "overlaps what the kernel keeps (0x9300000");
    REFUSED("test,memreserve", "overlaps /memreserve/ 0x9400000");
    REFUSED("test,reserved-memory", "overlaps reserved memory secmon@9200000");
    REFUSED("test,console", "overlaps the kernel's console (stdout-path) pl011@9000000");
    REFUSED("arm,pl011", "overlaps the kernel's console");
    REFUSED("test,gic-window", "overlaps the interrupt controller interrupt-controller@8000000");
    REFUSED("test,high", "not below 0x3ee0000000");
    REFUSED("test,ppi", "not a GIC SPI");
    REFUSED("test,spi-too-big", "not a GIC SPI");
    REFUSED("test,no-interrupts", "no interrupts");
    REFUSED("test,other-parent",
            "interrupt parent interrupt-controller@9f00000 is not the board's GIC");
    REFUSED("test,extended-other", "is not the board's GIC");
    REFUSED("test,inherits-other", "is not the board's GIC");
    REFUSED("test,outside-ranges", "outside the ranges of its bus bus@a000000");
    REFUSED("test,across-ranges", "outside the ranges of its bus bus@a000000");
    REFUSED("test,no-ranges", "its bus private has no ranges");
    /* The root task's own addresses end lower with fewer user VA bits. */
    kip.user_va_bits = 27; /* 128 MiB */
    REFUSED("test,good", "not below 0x8000000");
    kip.user_va_bits = 48;
    /* A board without the GIC the kernel drives: no device. */
    board.gic = -1;
    REFUSED("test,good", "is not the board's GIC");
    board.gic = primary_ic(board.fdt, IC_GIC);
}

/* The host call made with op on cap with first argument mr1 (from the first at *from on), or NULL. */
static const struct host_call *call(uint64_t cap, uint64_t op, uint64_t mr1, uint64_t mr3)
{
    for (unsigned i = 0; i < host_call_count; i++) {
        const struct host_call *c = &host_calls[i];
        if (c->cap == cap && c->op == op && c->mr[0] == mr1 && c->mr[2] == mr3) {
            return c;
        }
    }
    return NULL;
}

static int program(const void *sys, const char *name)
{
    int programs = fdt_path_offset(sys, "/programs");
    int node = fdt_subnode_offset(sys, programs, name);
    if (node < 0) {
        fprintf(stderr, "no program %s\n", name);
        exit(1);
    }
    return node;
}

static void test_setup_and_give(const void *sys)
{
    host_call_count = 0;
    setup(sys, &board);
    CHECK_EQ(device_count, 14);
    const struct device *good = &devices[0], *edge = &devices[1], *again = &devices[2];
    CHECK_STR(good->name, "good");
    CHECK_EQ(good->pa, 0x9010000);
    CHECK_EQ(good->root_va, 0x9010000 + CLAIM_OFFSET);
    CHECK_EQ(edge->pa, 0x9020000);
    CHECK_EQ(edge->size, 0x2000);
    /* good's page, edge's two, byreg's, t0's and t1's (the same page): nothing else (the
     * refused ones not) */
    CHECK_EQ(claims, 6);
    /* The same board node named twice: the second is refused. */
    CHECK_EQ(again->size, 0);
    for (unsigned i = 2; i < 8; i++) {
        CHECK_EQ(devices[i].size, 0); /* again, off, shared (two programs), twice, absent, ... */
    }
    /* Lines bound: good's and edge's, level and edge. */
    CHECK(call(KEEL_ROOT_ICU, KEEL_ICU_BIND, good->irq, KEEL_IRQ_MODE_LEVEL_HIGH) != NULL);
    CHECK(call(KEEL_ROOT_ICU, KEEL_ICU_BIND, edge->irq, KEEL_IRQ_MODE_EDGE_RISING) != NULL);
    /* By address; by compatible and address; the third of the page for another program, and
     * the two that name no board node. */
    const struct device *byreg = &devices[8], *t0 = &devices[10], *t1 = &devices[11];
    CHECK_STR(byreg->name, "byreg");
    CHECK_EQ(byreg->pa, 0x9050800);
    CHECK_EQ(byreg->size, 0x800);
    CHECK_EQ(byreg->page_pa, 0x9050000);
    CHECK_EQ(byreg->page_size, 0x1000);
    CHECK_EQ(byreg->root_va, 0x9050000 + CLAIM_OFFSET);
    CHECK_EQ(devices[9].size, 0); /* mismatch */
    CHECK_EQ(t0->pa, 0x9070000);
    CHECK_EQ(t0->line, 32 + 19);
    CHECK_EQ(t1->pa, 0x9070200);
    CHECK_EQ(t1->page_pa, 0x9070000);
    CHECK_EQ(t1->line, 32 + 20);
    CHECK_EQ(devices[12].size, 0); /* t2: its page is t0's, given to another program */
    CHECK_EQ(devices[13].size, 0); /* badreg */

    /* The driver gets both, mapped from where the root task has them. */
    static struct keel_progenv env;
    memset(&env, 0, sizeof(env));
    host_call_count = 0;
    CHECK_EQ(devices_give(sys, program(sys, "driver"), "driver", 7, &env), 0);
    CHECK_EQ(env.device_count, 2);
    CHECK_STR(env.devices[0].name, "good");
    CHECK_EQ(env.devices[0].pa, 0x9010000);
    CHECK_EQ(env.devices[0].va, KEEL_PROG_DEVICE_VA(0));
    CHECK_EQ(env.devices[0].line, 34);
    CHECK_EQ(env.devices[1].size, 0x2000);
    CHECK_EQ(env.devices[1].irq, KEEL_PROG_DEVICE_IRQ(1));
    uint64_t fp0 = keel_fpage_mem(0x9010000 + CLAIM_OFFSET, 12, KEEL_FP_RW);
    uint64_t fp1 = keel_fpage_mem(0x9021000 + CLAIM_OFFSET, 12, KEEL_FP_RW);
    CHECK(call(7, KEEL_TASK_MAP, KEEL_ROOT_TASK, KEEL_PROG_DEVICE_VA(0)) != NULL);
    CHECK(call(7, KEEL_TASK_MAP, KEEL_ROOT_TASK, KEEL_PROG_DEVICE_VA(0))->mr[1] == fp0);
    CHECK(call(7, KEEL_TASK_MAP, KEEL_ROOT_TASK, KEEL_PROG_DEVICE_VA(1) + 0x1000) != NULL);
    CHECK(call(7, KEEL_TASK_MAP, KEEL_ROOT_TASK, KEEL_PROG_DEVICE_VA(1) + 0x1000)->mr[1] == fp1);

    /* Three devices, two in one page: mapped whole, each device's va at its registers. */
    memset(&env, 0, sizeof(env));
    host_call_count = 0;
    CHECK_EQ(devices_give(sys, program(sys, "subpage"), "subpage", 10, &env), 0);
    CHECK_EQ(env.device_count, 3);
    CHECK_EQ(env.devices[0].va, KEEL_PROG_DEVICE_VA(0) + 0x800);
    CHECK_EQ(env.devices[0].size, 0x800);
    CHECK_EQ(env.devices[0].map_size, 0x1000);
    CHECK_EQ(env.devices[1].va, KEEL_PROG_DEVICE_VA(1));
    CHECK_EQ(env.devices[2].va, KEEL_PROG_DEVICE_VA(2) + 0x200);
    CHECK_EQ(env.devices[2].pa, 0x9070200);
    CHECK_EQ(env.devices[2].line, 52);
    uint64_t page = keel_fpage_mem(0x9070000 + CLAIM_OFFSET, 12, KEEL_FP_RW);
    CHECK(call(10, KEEL_TASK_MAP, KEEL_ROOT_TASK, KEEL_PROG_DEVICE_VA(0)) != NULL);
    CHECK(call(10, KEEL_TASK_MAP, KEEL_ROOT_TASK, KEEL_PROG_DEVICE_VA(1))->mr[1] == page);
    CHECK(call(10, KEEL_TASK_MAP, KEEL_ROOT_TASK, KEEL_PROG_DEVICE_VA(2))->mr[1] == page);
    CHECK(call(10, KEEL_TASK_MAP, KEEL_ROOT_TASK, KEEL_PROG_DEVICE_VA(2) + 0x1000) == NULL);

    /* The others are not started. */
    static const char *const refused[] = { "wants-again",  "wants-off", "share1",        "share2",
                                           "listed-twice", "thief",     "wants-mismatch" };
    for (unsigned i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        memset(&env, 0, sizeof(env));
        CHECK_EQ(devices_give(sys, program(sys, refused[i]), refused[i], 8, &env), -1);
    }
    memset(&env, 0, sizeof(env));
    CHECK_EQ(devices_give(sys, program(sys, "nothing"), "nothing", 9, &env), 0);
    CHECK_EQ(env.device_count, 0);
}

/* Why each system-tree device is not set up, as setup() says it (set_up() again: its checks
 * read only, and the devices before it are set up as setup() left them). */
static void test_reasons(const void *sys)
{
    int parent = fdt_path_offset(sys, "/devices");
    struct {
        unsigned index;
        const char *expected;
    } cases[] = {
        { 9, "no board node compatible with test,good has its first window at 0x9020000" },
        { 12, "board node transport@9070400: its page 0x9070000 is device t0's (given to "
              "subpage): a page goes to one program" },
        { 13, "keel,board-reg is not an address of one or two cells" },
        { 7, "neither keel,board-compatible nor keel,board-reg" },
    };
    for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        int node, i = 0;
        fdt_for_each_subnode(node, sys, parent)
        {
            if (i++ == (int)cases[c].index) {
                break;
            }
        }
        struct device d = devices[cases[c].index];
        const char *reason = set_up(&d, sys, node, &board);
        if (!reason || strcmp(reason, cases[c].expected) != 0) {
            fprintf(stderr, "device %u: \"%s\", not \"%s\"\n", cases[c].index,
                    reason ? reason : "(set up)", cases[c].expected);
            CHECK(0);
        }
    }
}

/* The riscv64 board: lines are PLIC sources (1..riscv,ndev), the PLIC's window is the kernel's. */
static void test_plic(void)
{
    struct board saved = board;
    board.fdt = unit_load_dtb("board_plic.dtb");
    board.kind = IC_PLIC;
    board.gic = primary_ic(board.fdt, IC_PLIC);
    CHECK(board.gic >= 0);
    CHECK_EQ(primary_ic(board.fdt, IC_GIC), -1);
    uint64_t pa, size;
    unsigned line, mode;
    CHECK(check("virtio,mmio", &pa, &size, &line, &mode));
    CHECK_EQ(pa, 0x10008000);
    CHECK_EQ(line, 8);
    CHECK_EQ(mode, KEEL_IRQ_MODE_LEVEL_HIGH);
    CHECK(check("test,plic-edge", &pa, &size, &line, &mode));
    CHECK_EQ(line, 53);
    REFUSED("test,source-0", "its interrupt 0 is not a PLIC source (1..53, riscv,ndev)");
    REFUSED("test,source-54", "its interrupt 54 is not a PLIC source");
    REFUSED("test,to-cpu",
            "interrupt parent interrupt-controller is not the board's PLIC plic@c000000");
    REFUSED("test,in-plic", "overlaps the interrupt controller plic@c000000");
    /* No interrupt controller of the kind (x86_64): nothing is set up, and it says why. */
    board.kind = IC_NONE;
    board.gic = primary_ic(board.fdt, IC_NONE);
    CHECK_EQ(board.gic, -1);
    struct device d = { 0 };
    const char *reason = set_up(&d, NULL, 0, &board);
    CHECK(reason && strstr(reason, "x86_64's sit behind PCI"));
    board = saved;
}

/* A failing Icu BIND leaves the device not set up. */
static void test_bind_fails(const void *sys)
{
    memset(devices, 0, sizeof(devices));
    device_count = 0;
    host_result = -KEEL_EBUSY;
    setup(sys, &board);
    host_result = 0;
    CHECK_EQ(devices[0].size, 0);
    static struct keel_progenv env;
    CHECK_EQ(devices_give(sys, program(sys, "driver"), "driver", 7, &env), -1);
}

int main(void)
{
    board.fdt = unit_load_dtb("board_devices.dtb");
    board.kip = &kip;
    board.kind = IC_GIC;
    board.gic = primary_ic(board.fdt, IC_GIC);
    const void *sys = unit_load_dtb("system_devices.dtb");
    CHECK(board.gic >= 0);
    test_accepted();
    test_refused();
    test_setup_and_give(sys);
    test_reasons(sys);
    test_plic();
    test_bind_fails(sys);
    return unit_done("test_root_devices");
}
