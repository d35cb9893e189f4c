// SPDX-License-Identifier: MIT
/*
 * Board devices given to one program each: a device's MMIO window and its interrupt, for a
 * driver or a VMM that passes the device through to its guest.
 *
 *   devices {
 *       rtc: rtc { keel,board-compatible = "arm,pl031"; };   // the board tree's first such node
 *       blk: blk { keel,board-reg = <0x0 0x0a003e00>; };      // the node whose first window
 *   };                                                        // starts there (and, with both,
 *   programs {                                                // the first such of that compatible)
 *       vm1 { ...; keel,devices = <&rtc>; };
 *       drv { ...; keel,devices = <&blk>; keel,dma = <0x10000>; };   // DMA memory: dma.c
 *   };
 *
 * Only devices the system tree names are given, each to one program at most; the board's device
 * tree (the KIP's) says where the device is: its first reg, translated through the ranges of the
 * buses above it, and its first interrupt (a GIC SPI on arm64, level-high or edge-rising from its
 * flags; a PLIC source on riscv64). A device is refused, with its reason, unless (board_check()):
 *  - its status (and its buses') is "okay" or "ok" (absent: okay);
 *  - the pages its window touches (its page range: a window of less than a page, such as QEMU
 *    virt's virtio-mmio transports 0x200 apart, maps the whole page) are at most
 *    KEEL_PROG_DEVICE_STRIDE and its window is translatable to a CPU address (every bus above
 *    it has ranges: empty, or an entry that holds the window);
 *  - its page range overlaps nothing else: RAM (the KIP's and the board's memory nodes), what
 *    the kernel keeps (the KIP's reserved ranges), /memreserve/ and /reserved-memory, the
 *    kernel's console (/chosen stdout-path), the interrupt controller;
 *  - its interrupt's parent (interrupts-extended, else interrupt-parent up the tree as the
 *    Devicetree Specification says, 2.4) is the interrupt controller the kernel drives (the GIC
 *    on arm64, the PLIC on riscv64; x86_64 has no board devices yet: its devices sit behind PCI,
 *    which nothing enumerates yet);
 * and (set_up()) its window overlaps no other device's, and its page range no other device's
 * given to another program: a page goes to one program. Every other board node with a window in
 * those pages is reserved with it (the root task names them): another program cannot get it.
 * Before any program starts, devices_setup() binds the line (Icu BIND) to an Irq of the root
 * task's own, kept across the program's restarts, and has the pages mapped into the root task
 * without an access to the device where the CPU allows (claim_page()); devices_give() maps the
 * pages at KEEL_PROG_DEVICE_VA(i) (device memory: the kernel maps what is not RAM uncached),
 * gives the Irq with rights R and W (ATTACH, UNMASK, DIRECT) at KEEL_PROG_DEVICE_IRQ(i) and fills
 * env->devices (keel/progenv.h). The program does not get the Icu: it cannot bind another line.
 * A program that lists a device which could not be set up is not started; the others are.
 */
#include "devices.h"
#include <keel/rt.h>
#include <keel/sys.h>
#include <keel/progenv.h>
#include <fdt_util.h>
#include <format.h>
#include <libfdt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#define MAX_DEVICES 16
#define MAX_WALK 32     /* interrupt parents followed at most (a loop in the tree ends there) */
#define GIC_SPI_MAX 987 /* SPI numbers 0..987: INTIDs 32..1019 */
#define PAGE_MASK (KEEL_PAGE_SIZE - 1)

struct device {
    const char *name;
    uint32_t phandle;
    int board_node;              /* in the board's tree, once set up */
    uint64_t pa, size;           /* the MMIO window, size 0: not set up */
    uint64_t page_pa, page_size; /* the pages it touches: what is mapped */
    uint64_t root_va;            /* where the root task has those pages (claim_page) */
    bool read;                   /* ... which it had to read to have them */
    unsigned line;     /* the Icu's line */
    uint64_t irq;      /* the Irq bound to it, in the root task */
    int node;          /* the program that lists it */
    unsigned users;
};

/* The interrupt controller the kernel drives, by architecture. */
enum ic_kind {
    IC_NONE, /* x86_64: no board devices yet (PCI) */
    IC_GIC,  /* arm64 (hyp/arch/arm64/gic.c) */
    IC_PLIC, /* riscv64 (hyp/arch/riscv64/plic.c) */
};

/* What a device is checked against: the board's tree and what the kernel says of memory. */
struct board {
    const void *fdt;            /* the board's device tree (the KIP's), or NULL */
    const struct keel_kip *kip; /* RAM and what the kernel keeps */
    int gic;                    /* the interrupt controller the kernel drives, or < 0 */
    enum ic_kind kind;          /* ... and which kind it is */
};

static struct device devices[MAX_DEVICES];
static unsigned device_count;
static char why[192]; /* why board_check() refused, for the message */

static bool refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool refuse(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnformat(why, sizeof(why), fmt, ap);
    va_end(ap);
    return false;
}

static struct device *find(uint32_t phandle)
{
    for (unsigned i = 0; phandle && i < device_count; i++) {
        if (devices[i].phandle == phandle) {
            return &devices[i];
        }
    }
    return NULL;
}

static const char *name_of(const void *fdt, int node)
{
    const char *n = node >= 0 ? fdt_get_name(fdt, node, NULL) : NULL;
    return n && *n ? n : "/";
}

/* Whether [a, a + as) and [b, b + bs) share a byte (an empty range counts as one byte). */
static bool overlap(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
    return a < b ? b - a < (as ? as : 1) : a - b < (bs ? bs : 1);
}

/* A number of 1 or 2 cells. */
static uint64_t cells(const fdt32_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        v = v << 32 | fdt32_ld(&p[i]);
    }
    return v;
}

/* The interrupt controller of that kind the kernel drives (hyp/arch/arm64/gic.c and
 * hyp/arch/riscv64/plic.c pick it the same way), or -1: there is none (IC_NONE, or a board
 * without one), and no device passes the checks there. */
static int primary_ic(const void *fdt, enum ic_kind kind)
{
    static const char *const gic[] = { "arm,gic-v3", "arm,cortex-a15-gic", "arm,gic-400", NULL };
    static const char *const plic[] = { "riscv,plic0", "sifive,plic-1.0.0", NULL };
    const char *const *compatible = kind == IC_GIC ? gic : kind == IC_PLIC ? plic : NULL;
    for (unsigned i = 0; fdt && compatible && compatible[i]; i++) {
        int node = fdt_node_offset_by_compatible(fdt, -1, compatible[i]);
        if (node >= 0) {
            return node;
        }
    }
    return -1;
}

/* Translates [*addr, *addr + size), an address in node's parent bus, to a CPU physical address
 * through the ranges of every bus up to the root (Devicetree Specification 2.3.8): a bus without
 * ranges is not translatable, an empty ranges is the identity. false with why set. */
static bool translate(const void *fdt, int node, uint64_t *addr, uint64_t size)
{
    for (int bus = fdt_parent_offset(fdt, node); bus > 0; bus = fdt_parent_offset(fdt, bus)) {
        int up = fdt_parent_offset(fdt, bus), len;
        const fdt32_t *r = fdt_getprop(fdt, bus, "ranges", &len);
        if (!r) {
            return refuse("its bus %s has no ranges: its reg is not translatable",
                          name_of(fdt, bus));
        }
        if (len == 0) {
            continue; /* (the same addresses as its parent's) */
        }
        int cac = fdt_address_cells(fdt, bus), csc = fdt_size_cells(fdt, bus);
        int pac = up >= 0 ? fdt_address_cells(fdt, up) : -1;
        if (cac < 1 || cac > 2 || pac < 1 || pac > 2 || csc < 1 || csc > 2 ||
            len % (4 * (cac + pac + csc)) != 0) {
            return refuse("its bus %s has ranges of other than one or two cells a number",
                          name_of(fdt, bus));
        }
        bool found = false;
        for (const fdt32_t *e = r; !found && e < r + len / 4; e += cac + pac + csc) {
            uint64_t child = cells(e, cac), parent = cells(e + cac, pac),
                     n = cells(e + cac + pac, csc);
            uint64_t off = *addr - child;
            if (*addr >= child && off < n && size <= n - off && parent + off >= parent) {
                *addr = parent + off;
                found = true;
            }
        }
        if (!found) {
            return refuse("its reg is outside the ranges of its bus %s", name_of(fdt, bus));
        }
    }
    return true;
}

/* The index-th window of node's reg as a CPU physical address: false with why set (and, when
 * missing is given, *missing true if node has no such entry). */
static bool window(const void *fdt, int node, int index, uint64_t *addr, uint64_t *size,
                   bool *missing)
{
    int parent = fdt_parent_offset(fdt, node), len;
    int ac = parent >= 0 ? fdt_address_cells(fdt, parent) : -1;
    int sc = parent >= 0 ? fdt_size_cells(fdt, parent) : -1;
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
    if (missing) {
        *missing = false;
    }
    if (ac < 1 || ac > 2 || sc < 1 || sc > 2) {
        return refuse("the reg of %s is not of one or two cells a number", name_of(fdt, node));
    }
    if (!reg || index < 0 || len / (4 * (ac + sc)) <= index) {
        if (missing) {
            *missing = true;
        }
        return refuse("%s has no reg entry %d", name_of(fdt, node), index);
    }
    *addr = cells(reg + index * (ac + sc), ac);
    *size = cells(reg + index * (ac + sc) + ac, sc);
    return translate(fdt, node, addr, *size);
}

/* Whether [pa, pa + size) overlaps none of node's reg windows (what: what the node is, for the
 * message). A window that cannot be read is taken as an overlap: it cannot be ruled out. */
static bool clear_of_node(const void *fdt, int node, uint64_t pa, uint64_t size, const char *what)
{
    uint64_t base, n;
    bool missing;
    for (int i = 0;; i++) {
        if (!window(fdt, node, i, &base, &n, &missing)) {
            if (missing && i > 0) {
                return true;
            }
            char cause[sizeof(why)];
            memcpy(cause, why, sizeof(cause));
            return refuse("cannot tell where %s %s is (%s)", what, name_of(fdt, node), cause);
        }
        if (overlap(pa, size, base, n)) {
            return refuse("it overlaps %s %s (0x%lx, %lu bytes)", what, name_of(fdt, node),
                          (unsigned long)base, (unsigned long)n);
        }
    }
}

/* The node /chosen stdout-path names (the kernel's console: hyp/drivers/console.c), or -1. */
static int console_node(const void *fdt)
{
    int chosen = fdt_path_offset(fdt, "/chosen"), len;
    const char *path = chosen >= 0 ? fdt_getprop(fdt, chosen, "stdout-path", &len) : NULL;
    if (!path || len <= 0) {
        return -1;
    }
    const char *end = memchr(path, '\0', (size_t)len);
    int namelen = end ? (int)(end - path) : len;
    const char *colon = memchr(path, ':', (size_t)namelen); /* (options follow it) */
    return fdt_path_offset_namelen(fdt, path, colon ? (int)(colon - path) : namelen);
}

/* Whether [pa, pa + size) is free for a device: nothing of the board's memory, the kernel's or
 * another device's in it. false with why set. */
static bool window_free(const struct board *b, uint64_t pa, uint64_t size)
{
    const struct keel_kip *k = b->kip;
    for (uint64_t i = 0; i < k->ram_count && i < KEEL_KIP_MAX_RANGES; i++) {
        if (overlap(pa, size, k->ram[i].base, k->ram[i].size)) {
            return refuse("it overlaps RAM (0x%lx, %lu bytes)", (unsigned long)k->ram[i].base,
                          (unsigned long)k->ram[i].size);
        }
    }
    for (uint64_t i = 0; i < k->reserved_count && i < KEEL_KIP_MAX_RANGES; i++) {
        if (overlap(pa, size, k->reserved[i].base, k->reserved[i].size)) {
            return refuse("it overlaps what the kernel keeps (0x%lx, %lu bytes)",
                          (unsigned long)k->reserved[i].base, (unsigned long)k->reserved[i].size);
        }
    }
    const void *fdt = b->fdt;
    for (int i = 0; i < fdt_num_mem_rsv(fdt); i++) {
        uint64_t base, n;
        if (fdt_get_mem_rsv(fdt, i, &base, &n) == 0 && overlap(pa, size, base, n)) {
            return refuse("it overlaps /memreserve/ 0x%lx (%lu bytes)", (unsigned long)base,
                          (unsigned long)n);
        }
    }
    int node = -1;
    while ((node = fdt_node_offset_by_prop_value(fdt, node, "device_type", "memory", 7)) >= 0) {
        if (!clear_of_node(fdt, node, pa, size, "memory")) {
            return false;
        }
    }
    int reserved = fdt_path_offset(fdt, "/reserved-memory");
    if (reserved >= 0) {
        fdt_for_each_subnode(node, fdt, reserved)
        {
            /* (a region without reg is placed by the OS that allocates it: in RAM) */
            if (fdt_getprop(fdt, node, "reg", NULL) &&
                !clear_of_node(fdt, node, pa, size, "reserved memory")) {
                return false;
            }
        }
    }
    int console = console_node(fdt);
    if (console >= 0 &&
        !clear_of_node(fdt, console, pa, size, "the kernel's console (stdout-path)")) {
        return false;
    }
    if (b->gic >= 0 && !clear_of_node(fdt, b->gic, pa, size, "the interrupt controller")) {
        return false;
    }
    return true;
}

/* The interrupt controller node's interrupts go to: its interrupt-parent, else its parent in the
 * tree, and on from there until a node with #interrupt-cells (Devicetree Specification 2.4.1, as
 * Linux's of_irq_find_parent follows it); -1 when there is none. */
static int interrupt_parent(const void *fdt, int node)
{
    for (unsigned i = 0; i < MAX_WALK; i++) {
        int len;
        const fdt32_t *ph = fdt_getprop(fdt, node, "interrupt-parent", &len);
        int p = !ph        ? fdt_parent_offset(fdt, node)
                : len == 4 ? fdt_node_offset_by_phandle(fdt, fdt32_ld(ph))
                           : -1;
        if (p < 0 || fdt_getprop(fdt, p, "#interrupt-cells", NULL)) {
            return p;
        }
        node = p;
    }
    return -1;
}

static const char *ic_name(enum ic_kind kind)
{
    return kind == IC_GIC ? "GIC" : kind == IC_PLIC ? "PLIC" : "interrupt controller";
}

/* The device's first interrupt as a line of the board's interrupt controller (a GIC SPI, a PLIC
 * source): its line and trigger mode. false with why set. */
static bool board_line(const struct board *b, int node, unsigned *line, unsigned *mode)
{
    const void *fdt = b->fdt;
    int len, parent;
    const fdt32_t *spec = fdt_getprop(fdt, node, "interrupts-extended", &len);
    if (spec) {
        parent = len >= 4 ? fdt_node_offset_by_phandle(fdt, fdt32_ld(spec)) : -1;
        spec++;
        len -= 4;
    } else {
        spec = fdt_getprop(fdt, node, "interrupts", &len);
        if (!spec) {
            return refuse("it has no interrupts");
        }
        parent = interrupt_parent(fdt, node);
    }
    if (parent < 0) {
        return refuse("its interrupt parent is not in the tree");
    }
    if (parent != b->gic) {
        return refuse("its interrupt parent %s is not the board's %s%s%s", name_of(fdt, parent),
                      ic_name(b->kind), b->gic >= 0 ? " " : "",
                      b->gic >= 0 ? name_of(fdt, b->gic) : "");
    }
    int clen;
    const fdt32_t *ncells = fdt_getprop(fdt, parent, "#interrupt-cells", &clen);
    unsigned n = ncells && clen == 4 ? fdt32_ld(ncells) : 0;
    if (b->kind == IC_PLIC) {
        /* A source number, then (with 2 cells) flags as a GIC's: 1 edge rising. The PLIC's
         * gateway takes either kind (hyp/arch/riscv64/plic.c); the mode is said all the same. */
        const fdt32_t *ndev = fdt_getprop(fdt, parent, "riscv,ndev", &clen);
        uint32_t sources = ndev && clen == 4 ? fdt32_ld(ndev) : 0;
        if (n < 1 || n > 2 || len < 0 || (unsigned)len / 4 < n) {
            return refuse("its interrupt is not a PLIC interrupt (source[, flags])");
        }
        if (fdt32_ld(&spec[0]) < 1 || fdt32_ld(&spec[0]) > sources) {
            return refuse("its interrupt %u is not a PLIC source (1..%u, riscv,ndev)",
                          fdt32_ld(&spec[0]), sources);
        }
        *line = fdt32_ld(&spec[0]);
        *mode = n == 2 && (fdt32_ld(&spec[1]) & 0xf) == 1 ? KEEL_IRQ_MODE_EDGE_RISING
                                                          : KEEL_IRQ_MODE_LEVEL_HIGH;
        return true;
    }
    if (n < 3 || len < 0 || (unsigned)len / 4 < n) {
        return refuse("its interrupt is not a GIC interrupt (type, number, flags)");
    }
    if (fdt32_ld(&spec[0]) != 0 || fdt32_ld(&spec[1]) > GIC_SPI_MAX) {
        return refuse("its interrupt is not a GIC SPI (the Icu binds those)");
    }
    *line = 32 + fdt32_ld(&spec[1]);
    *mode = (fdt32_ld(&spec[2]) & 0xf) == 1 ? KEEL_IRQ_MODE_EDGE_RISING : KEEL_IRQ_MODE_LEVEL_HIGH;
    return true;
}

/* Whether node and the buses above it have status "okay" or "ok" (or none). */
static bool status_okay(const void *fdt, int node)
{
    for (int n = node; n > 0; n = fdt_parent_offset(fdt, n)) {
        int len;
        const char *s = fdt_getprop(fdt, n, "status", &len);
        if (s && !(len == 5 && memcmp(s, "okay", 5) == 0) &&
            !(len == 3 && memcmp(s, "ok", 3) == 0)) {
            const char *shown = fdt_stringlist_get(fdt, n, "status", 0, NULL);
            return n == node ? refuse("its status is \"%s\"", shown ? shown : "?")
                             : refuse("its bus %s has status \"%s\"", name_of(fdt, n),
                                      shown ? shown : "?");
        }
    }
    return true;
}

/* The pages [*page_pa, *page_pa + *page_size) that the window [pa, pa + size) touches. */
static void page_range(uint64_t pa, uint64_t size, uint64_t *page_pa, uint64_t *page_size)
{
    *page_pa = pa & ~PAGE_MASK;
    *page_size = ((pa + size + PAGE_MASK) & ~PAGE_MASK) - *page_pa;
}

/* Whether the board's node may be given to a program as a device: its window (CPU physical
 * address: the pages it touches are what is mapped, and what is checked) and its line. false
 * with why set. */
static bool board_check(const struct board *b, int node, uint64_t *pa, uint64_t *size,
                        unsigned *line, unsigned *mode)
{
    const void *fdt = b->fdt;
    uint64_t va_end = KEEL_ROOT_UTCB_ADDR; /* the root task's own addresses start there */
    if (b->kip->user_va_bits > 0 && b->kip->user_va_bits < 64 &&
        (1ull << b->kip->user_va_bits) < va_end) {
        va_end = 1ull << b->kip->user_va_bits;
    }
    if (!status_okay(fdt, node) || !window(fdt, node, 0, pa, size, NULL)) {
        return false;
    }
    if (*size == 0 || *pa + *size < *pa || *pa + *size > UINT64_MAX - PAGE_MASK) {
        return refuse("its window (0x%lx, %lu bytes) is empty or wraps", (unsigned long)*pa,
                      (unsigned long)*size);
    }
    uint64_t page_pa, page_size;
    page_range(*pa, *size, &page_pa, &page_size);
    if (page_size > KEEL_PROG_DEVICE_STRIDE) {
        return refuse("its window's pages (%lu KiB) are more than %lu KiB",
                      (unsigned long)(page_size >> 10),
                      (unsigned long)(KEEL_PROG_DEVICE_STRIDE >> 10));
    }
    if (page_pa >= va_end || page_size > va_end - page_pa) {
        return refuse("its window (0x%lx) is not below 0x%lx, where the root task has physical "
                      "addresses",
                      (unsigned long)*pa, (unsigned long)va_end);
    }
    /* The whole pages are mapped: what else lies in them counts as the window's. */
    if (!window_free(b, page_pa, page_size)) {
        if (page_pa != *pa || page_size != *size) {
            char cause[sizeof(why)];
            memcpy(cause, why, sizeof(cause));
            return refuse("its page 0x%lx (mapped whole): %s", (unsigned long)page_pa, cause);
        }
        return false;
    }
    return board_line(b, node, line, mode);
}

/* How the root task came to have a device page (claim_page). */
enum claim {
    CLAIM_FAILED,
    CLAIM_MAPPED, /* without an access to the device */
    CLAIM_READ,   /* by a read of the page's first word (the fallback: see claim_page) */
};

#if !__STDC_HOSTED__
/* Whether the root task has the page at va mapped, read-write. */
static bool root_has_page(uint64_t va)
{
    return KOBJ(KEEL_ROOT_TASK, KEEL_TASK_MEM_INFO, va) == 1 &&
           (keel_utcb()->mr[0] & KEEL_FP_RW) == KEEL_FP_RW;
}

/*
 * Maps the device page at pa into the root task, without an access to the device where the CPU
 * allows (a read can have side effects: a FIFO popped, a status cleared), and says where: the
 * kernel maps physical memory to the root task at its own address, on its fault there (sigma0);
 * on arm64 a cache maintenance by address (DC CIVAC, allowed at EL0: SCTLR_EL1.UCI) takes that
 * fault like a store on a hole (Linux's user cache maintenance relies on such faults too) and
 * does not reach a device (Device memory is never cached). The mapping is checked (Task
 * MEM_INFO). A page it has already (another device of the same program in it) is not touched.
 *
 * TODO(kernel): QEMU's TCG makes DC CIVAC a no-op that never faults, and riscv64 has no such
 * instruction at U-mode without the kernel's leave (Zicbom: senvcfg.CBCFE), so there the page is
 * still a hole and the fallback reads its first word, as the root task always did. Only the
 * kernel can map without an access everywhere: e.g. Task MAP from the root task's own space
 * filling its holes by sigma0 first, or sigma0 on request; then this goes.
 */
static enum claim claim_page(uint64_t pa, uint64_t *va)
{
    *va = pa;
    if (root_has_page(pa)) {
        return CLAIM_MAPPED;
    }
#if defined(__aarch64__)
    __asm__ volatile("dc civac, %0" ::"r"(pa) : "memory");
    if (root_has_page(pa)) {
        return CLAIM_MAPPED;
    }
#endif
    (void)*(volatile const uint32_t *)(uintptr_t)pa;
    return root_has_page(pa) ? CLAIM_READ : CLAIM_FAILED;
}
#else
/* The host's unit test supplies it (user/root/tests/test_root_devices.c). */
static enum claim claim_page(uint64_t pa, uint64_t *va);
#endif

/* The board node a device of the system tree names (its system-tree node sys): the first with
 * its keel,board-compatible whose first window starts at its keel,board-reg, either alone
 * selecting. -1 with *reason set when there is none. */
static int board_node(const void *fdt, int sys, const struct board *b, const char **reason)
{
    static char text[96];
    int len;
    const char *compat = fdt_getprop(fdt, sys, "keel,board-compatible", NULL);
    const fdt32_t *reg = fdt_getprop(fdt, sys, "keel,board-reg", &len);
    if (!compat && !reg) {
        *reason = "neither keel,board-compatible nor keel,board-reg";
        return -1;
    }
    if (reg && len != 4 && len != 8) {
        *reason = "keel,board-reg is not an address of one or two cells";
        return -1;
    }
    uint64_t want = reg ? cells(reg, len / 4) : 0;
    *reason = "not on this board";
    int node = -1;
    while (b->fdt) {
        node = compat ? fdt_node_offset_by_compatible(b->fdt, node, compat)
                      : fdt_next_node(b->fdt, node, NULL);
        uint64_t pa, size;
        if (node < 0) {
            break;
        }
        if (!reg || (fdt_getprop(b->fdt, node, "reg", NULL) &&
                     window(b->fdt, node, 0, &pa, &size, NULL) && pa == want)) {
            return node;
        }
    }
    if (reg) {
        snformat(text, sizeof(text), "no board node%s%s has its first window at 0x%lx",
                 compat ? " compatible with " : "", compat ? compat : "", (unsigned long)want);
        *reason = text;
    }
    return -1;
}

/* Whether device d's window (at pa, size; its pages page_pa, page_size) is clear of the devices
 * set up (before it): no window shared, and no page shared with one of another program (or of
 * none). false with why set. */
static bool devices_clear(const void *fdt, const struct device *d, uint64_t pa, uint64_t size,
                          uint64_t page_pa, uint64_t page_size)
{
    for (unsigned i = 0; i < device_count; i++) {
        const struct device *o = &devices[i];
        if (o == d) {
            continue;
        }
        if (o->size && overlap(pa, size, o->pa, o->size)) {
            return refuse("it overlaps device %s's window (0x%lx, %lu bytes)", o->name,
                          (unsigned long)o->pa, (unsigned long)o->size);
        }
        if (o->size && overlap(page_pa, page_size, o->page_pa, o->page_size) &&
            (o->node < 0 || o->node != d->node)) {
            return refuse("its page 0x%lx is device %s's (given to %s): a page goes to one "
                          "program",
                          (unsigned long)(page_pa > o->page_pa ? page_pa : o->page_pa), o->name,
                          o->node >= 0 ? name_of(fdt, o->node) : "no program");
        }
    }
    return true;
}

/* Why device d (its system-tree node sys) cannot be set up, or NULL when it can. */
static const char *set_up(struct device *d, const void *fdt, int sys, const struct board *b)
{
    if (b->kind == IC_NONE) {
        return "no board devices on this architecture yet: x86_64's sit behind PCI, which the "
               "root task does not enumerate yet";
    }
    if (d->users > 1) {
        return "listed more than once in the programs' keel,devices: a device is given to one "
               "program";
    }
    const char *reason;
    int node = board_node(fdt, sys, b, &reason);
    if (node < 0) {
        return reason;
    }
    uint64_t base = 0, size = 0, page_pa, page_size;
    unsigned line = 0, mode = 0;
    bool ok = board_check(b, node, &base, &size, &line, &mode);
    page_range(base, size, &page_pa, &page_size);
    if (!ok || !devices_clear(fdt, d, base, size, page_pa, page_size)) {
        static char text[sizeof(why) + 48];
        snformat(text, sizeof(text), "board node %s: %s", name_of(b->fdt, node), why);
        return text;
    }
    uint64_t root_va = 0, va;
    d->read = false;
    for (uint64_t off = 0; off < page_size; off += KEEL_PAGE_SIZE) {
        enum claim c = claim_page(page_pa + off, &va);
        if (c == CLAIM_FAILED || (off && va != root_va + off)) {
            return "the root task cannot map its window";
        }
        root_va = off ? root_va : va;
        d->read |= c == CLAIM_READ;
    }
    d->irq = rt_cap_alloc();
    int64_t r = KOBJ(KEEL_ROOT_FACTORY, KEEL_FACTORY_IRQ, d->irq);
    if (r == 0) {
        r = KOBJ(KEEL_ROOT_ICU, KEEL_ICU_BIND, d->irq, line, mode);
    }
    if (r != 0) {
        return r == -KEEL_EBUSY ? "its line is bound already" : "no Irq for its line";
    }
    d->board_node = node;
    d->line = line;
    d->root_va = root_va;
    d->pa = base;
    d->size = size;
    d->page_pa = page_pa;
    d->page_size = page_size;
    return NULL;
}

/* Says which other board nodes have a window in device d's pages: they go with it (set_up()
 * refuses them to another program). */
static void say_page_mates(const struct device *d, const struct board *b)
{
    char list[128];
    size_t used = 0;
    unsigned mates = 0;
    bool cut = false;
    list[0] = '\0';
    for (int n = fdt_next_node(b->fdt, -1, NULL); n >= 0; n = fdt_next_node(b->fdt, n, NULL)) {
        uint64_t pa, size;
        if (n == d->board_node || !fdt_getprop(b->fdt, n, "reg", NULL) ||
            !window(b->fdt, n, 0, &pa, &size, NULL) ||
            !overlap(pa, size, d->page_pa, d->page_size)) {
            continue;
        }
        const char *name = name_of(b->fdt, n);
        if (used + strlen(name) + 7 < sizeof(list)) { /* (room for ", ..." after it) */
            used += (size_t)snformat(list + used, sizeof(list) - used, "%s%s", mates ? ", " : "",
                                     name);
        } else if (!cut) {
            used += (size_t)snformat(list + used, sizeof(list) - used, ", ...");
            cut = true;
        }
        mates++;
    }
    if (mates) {
        printf("root: device %s: %u other board node%s in its page%s (%s): reserved with it\n",
               d->name, mates, mates == 1 ? "" : "s", d->page_size > KEEL_PAGE_SIZE ? "s" : "",
               list);
    }
}

/* devices_setup() against board b (a host test gives its own). */
static void setup(const void *fdt, const struct board *b)
{
    int parent = fdt_path_offset(fdt, "/devices");
    int node;
    if (parent < 0) {
        return;
    }
    fdt_for_each_subnode(node, fdt, parent)
    {
        if (device_count == MAX_DEVICES) {
            printf("root: more than %d devices; the rest are not set up\n", MAX_DEVICES);
            break;
        }
        struct device *d = &devices[device_count++];
        d->name = fdt_get_name(fdt, node, NULL);
        d->phandle = fdt_get_phandle(fdt, node);
        d->node = -1;
        d->board_node = -1;
    }
    int programs = fdt_path_offset(fdt, "/programs");
    if (programs >= 0) {
        fdt_for_each_subnode(node, fdt, programs)
        {
            int len = 0;
            const fdt32_t *ph = fdt_getprop(fdt, node, "keel,devices", &len);
            for (int i = 0; ph && i < len / 4; i++) {
                struct device *d = find(fdt32_ld(&ph[i]));
                if (d && d->users++ == 0) {
                    d->node = node;
                }
            }
        }
    }
    unsigned i = 0;
    fdt_for_each_subnode(node, fdt, parent)
    {
        if (i == device_count) {
            break;
        }
        struct device *d = &devices[i++];
        const char *reason = set_up(d, fdt, node, b);
        if (reason) {
            printf("root: device %s: not set up (%s)\n", d->name, reason);
        } else {
            if ((d->pa | d->size) & PAGE_MASK) {
                printf("root: device %s: 0x%lx, %lu bytes (in the page%s from 0x%lx), line %u\n",
                       d->name, (unsigned long)d->pa, (unsigned long)d->size,
                       d->page_size > KEEL_PAGE_SIZE ? "s" : "", (unsigned long)d->page_pa,
                       d->line);
            } else {
                printf("root: device %s: 0x%lx, %lu KiB, line %u\n", d->name, (unsigned long)d->pa,
                       (unsigned long)(d->size >> 10), d->line);
            }
            say_page_mates(d, b);
            if (d->read) {
                printf("root: device %s: mapped by a read of each page's first word (%s)\n",
                       d->name,
                       b->kind == IC_GIC ? "the CPU took no fault on a cache maintenance by "
                                           "address: an emulator's?"
                                         : "no instruction faults without an access here");
            }
        }
    }
}

void devices_setup(const void *fdt)
{
    const struct keel_kip *kip = rt_kip();
    const void *board = (const void *)(uintptr_t)kip->fdt_base;
    if (!kip->fdt_base || fdt_check_header(board) != 0) {
        board = NULL;
    }
#if defined(__aarch64__)
    const enum ic_kind kind = IC_GIC;
#elif defined(__riscv)
    const enum ic_kind kind = IC_PLIC;
#else
    const enum ic_kind kind = IC_NONE;
#endif
    const struct board b = { board, kip, primary_ic(board, kind), kind };
    setup(fdt, &b);
}

int devices_give(const void *fdt, int node, const char *prog, uint64_t task,
                 struct keel_progenv *env)
{
    int len = 0;
    const fdt32_t *ph = fdt_getprop(fdt, node, "keel,devices", &len);
    if (ph && len / 4 > KEEL_PROG_MAX_DEVICES) {
        printf("root: %s: more than %d keel,devices; not started\n", prog, KEEL_PROG_MAX_DEVICES);
        return -1;
    }
    /* TODO: a device is not quiesced across the program's restart: the next start finds it as
     * the last one left it (its line masked if that one had not unmasked it, a DMA transfer it
     * started still running). Keel has no way to reset a board device yet: that is the board's
     * (a reset controller or power domain the device's node names: resets, power-domains) and
     * wants a driver of its own; until then a program resets its device itself at start. */
    for (unsigned i = 0; ph && i < (unsigned)len / 4; i++) {
        struct device *d = find(fdt32_ld(&ph[i]));
        if (!d || !d->size || d->node != node) {
            printf("root: %s: keel,devices names %s, which is not set up for it; not started\n",
                   prog, d ? d->name : "no node under /devices");
            return -1;
        }
        struct keel_prog_device *pd = &env->devices[i];
        strncpy(pd->name, d->name, sizeof(pd->name) - 1);
        pd->va = KEEL_PROG_DEVICE_VA(i) + (d->pa - d->page_pa);
        pd->pa = d->pa;
        pd->size = d->size;
        pd->map_size = d->page_size;
        pd->irq = KEEL_PROG_DEVICE_IRQ(i);
        pd->line = d->line;
        int64_t r = 0;
        for (uint64_t off = 0; r == 0 && off < d->page_size; off += KEEL_PAGE_SIZE) {
            r = KOBJ(task, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                     keel_fpage_mem(d->root_va + off, 12, KEEL_FP_RW),
                     KEEL_PROG_DEVICE_VA(i) + off);
        }
        if (r == 0) {
            r = KOBJ(task, KEEL_TASK_MAP, KEEL_ROOT_TASK,
                     keel_fpage_cap(d->irq, 0, KEEL_CAP_R | KEEL_CAP_W), pd->irq);
        }
        if (r != 0) {
            printf("root: %s: cannot give it device %s (%s); not started\n", prog, d->name,
                   keel_strerror(r));
            return -1;
        }
        env->device_count = i + 1;
    }
    return 0;
}
