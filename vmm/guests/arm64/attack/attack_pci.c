// SPDX-License-Identifier: MIT
/*
 * The attacker's PCI steps (see attack.c). Its VM has a PCI host bridge: the ECAM window for all
 * 256 buses at PCI_ECAM, one 32-bit memory window for the BARs at PCI_WINDOW, a host bridge
 * function in slot 0, a virtio-pci rng in slot 1 and a virtio-pci disk (the test disk,
 * read-only) in slot 2, whose MSI-X messages are meant for the GICv3's GICD_SETSPI_NSR
 * (SPIs 96-127). The VMM places the BARs and enables decoding before the guest starts; the guest
 * finds them in configuration space, and the virtio structures and the MSI-X capability by
 * walking the capability list, as an OS would.
 *
 * As a hostile driver it then reads where no function is, makes accesses ECAM does not take,
 * writes read-only header fields and the extended space, moves BARs onto its RAM, onto the GIC,
 * onto the ECAM window, onto each other and out of the window, points MSI-X entries anywhere,
 * writes the PBA and the table with narrow accesses, gives the virtio-pci devices rings and
 * buffers outside RAM or in a BAR, notifies queues that do not exist and misuses the PCI
 * configuration access capability. After each it checks what hardware would show: absent
 * functions read all ones, read-only fields keep their values, RAM stays RAM and the GIC the GIC,
 * the lower slot decodes an address two BARs claim, a misdirected MSI sets no interrupt, a masked
 * one is held in the PBA and sent on unmasking, a broken queue sets DEVICE_NEEDS_RESET.
 *
 * These steps run first: the VMM reports a guest's bad accesses only up to a budget, which the
 * MMIO steps after them use up (attack.c).
 */
#include "attack.h"
#include <string.h>

/* Configuration space (PCI 3.0 §6.1, §6.2.5, §6.8.2). */
#define CFG_ID 0x00
#define CFG_COMMAND 0x04
#define CFG_STATUS 0x06
#define CFG_CLASS 0x08
#define CFG_HEADER_TYPE 0x0e
#define CFG_BAR0 0x10
#define CFG_SUBSYSTEM 0x2c
#define CFG_ROM 0x30
#define CFG_CAPS 0x34
#define CFG_INTERRUPT_LINE 0x3c
#define CFG_INTERRUPT_PIN 0x3d
#define CMD_MEMORY 0x0002u
#define CMD_BUS_MASTER 0x0004u
#define CMD_WRITABLE 0x0407u /* I/O, memory, bus master, INTx disable */
#define CAP_ID_VNDR 0x09
#define CAP_ID_MSIX 0x11
#define MSIX_ENABLE 0x8000u
#define MSIX_FUNCTION_MASK 0x4000u
#define VIRTIO_VENDOR 0x1af4
#define VIRTIO_RNG_ID 0x1044 /* 0x1040 + the virtio device id */
#define VIRTIO_BLK_ID 0x1042

/* The GICv3 distributor's registers the MSI steps look at. */
#define GICD_SETSPI_NSR (GICD + 0x40)
#define GICD_ISPENDR (GICD + 0x200)
#define GICD_ICPENDR (GICD + 0x280)
#define GICD_ICFGR (GICD + 0xc00)
#define GICR_ISPENDR0 (GICR + 0x10000 + 0x200)
#define MSI_SPI 96 /* the first of the message-based SPIs (mbi-ranges) */

#define NOWHERE 0x0c000000ull /* a 16 KiB-aligned address with nothing there */

/* ---- configuration space through ECAM ---- */

static uint64_t ecam(unsigned bus, unsigned slot, unsigned fn, unsigned reg)
{
    return PCI_ECAM + ((uint64_t)bus << 20 | (uint64_t)slot << 15 | (uint64_t)fn << 12 | reg);
}
static uint32_t cfg_r32(unsigned slot, unsigned reg)
{
    return mmio_r32(ecam(0, slot, 0, reg));
}
static uint16_t cfg_r16(unsigned slot, unsigned reg)
{
    return mmio_r16(ecam(0, slot, 0, reg));
}
static uint8_t cfg_r8(unsigned slot, unsigned reg)
{
    return mmio_r8(ecam(0, slot, 0, reg));
}
static void cfg_w32(unsigned slot, unsigned reg, uint32_t v)
{
    mmio_w32(ecam(0, slot, 0, reg), v);
}
static void cfg_w16(unsigned slot, unsigned reg, uint16_t v)
{
    mmio_w16(ecam(0, slot, 0, reg), v);
}
static void cfg_w8(unsigned slot, unsigned reg, uint8_t v)
{
    mmio_w8(ecam(0, slot, 0, reg), v);
}

/* The capability with this id (a vendor-specific one: of this virtio cfg_type) or 0; the walk
 * ends after 48 (as many as 192 bytes can hold), so a looping list cannot hang it. */
static unsigned cap_find(unsigned slot, uint8_t id, uint8_t cfg_type)
{
    unsigned at = cfg_r8(slot, CFG_CAPS) & 0xfcu;
    for (unsigned n = 0; at >= 0x40 && n < 48; n++) {
        if (cfg_r8(slot, at) == id && (id != CAP_ID_VNDR || cfg_r8(slot, at + 3) == cfg_type)) {
            return at;
        }
        at = cfg_r8(slot, at + 1) & 0xfcu;
    }
    return 0;
}

/* BAR i's address (with its high half when it is a 64-bit BAR). */
static uint64_t bar_addr(unsigned slot, unsigned i)
{
    uint32_t lo = cfg_r32(slot, CFG_BAR0 + 4 * i);
    uint64_t a = lo & ~0xfu;
    if ((lo & 7) == 4) {
        a |= (uint64_t)cfg_r32(slot, CFG_BAR0 + 4 * i + 4) << 32;
    }
    return a;
}

/* Programs BAR i with address a (both halves of a 64-bit BAR, low first). */
static void bar_set(unsigned slot, unsigned i, uint64_t a)
{
    uint32_t lo = cfg_r32(slot, CFG_BAR0 + 4 * i);
    cfg_w32(slot, CFG_BAR0 + 4 * i, (uint32_t)a);
    if ((lo & 7) == 4) {
        cfg_w32(slot, CFG_BAR0 + 4 * i + 4, (uint32_t)(a >> 32));
    }
}

/* ---- a virtio-pci driver, as small as vdrv.c ---- */

struct pfn {
    unsigned slot;
    uint16_t device_id;
    uint8_t *mem; /* VDEV_MEM bytes of ring memory, as vdrv.h's */
    /* Found by pfn_probe(). */
    uint64_t bar4, msix_bar;              /* where the VMM placed the structures and MSI-X */
    uint64_t common, notify, isr, device; /* the virtio structures */
    uint32_t notify_mult;
    unsigned msix_cap, cfg_cap; /* in configuration space */
    uint64_t table, pba;
    unsigned vectors;
    struct vq q;
};

static uint8_t pci_ring_mem[2][VDEV_MEM] __attribute__((aligned(4096)));
static uint8_t buf[0x1000] __attribute__((aligned(4096)));
static struct pfn prng = { .slot = PCI_RNG_SLOT,
                           .device_id = VIRTIO_RNG_ID,
                           .mem = pci_ring_mem[0] };
static struct pfn pblk = { .slot = PCI_BLK_SLOT,
                           .device_id = VIRTIO_BLK_ID,
                           .mem = pci_ring_mem[1] };

static uint64_t addr(const volatile void *p)
{
    return (uint64_t)(uintptr_t)p;
}

/* The address a virtio capability points at (its BAR's address plus its offset). */
static uint64_t vcap_at(unsigned slot, unsigned type)
{
    unsigned c = cap_find(slot, CAP_ID_VNDR, (uint8_t)type);
    return c ? bar_addr(slot, cfg_r8(slot, c + 4)) + cfg_r32(slot, c + 8) : 0;
}

/* Finds p's BARs, virtio structures and MSI-X table; false if anything is missing. */
static bool pfn_probe(struct pfn *p)
{
    if (cfg_r32(p->slot, CFG_ID) != (VIRTIO_VENDOR | (uint32_t)p->device_id << 16)) {
        return false;
    }
    p->common = vcap_at(p->slot, VIRTIO_PCI_CAP_COMMON_CFG);
    p->notify = vcap_at(p->slot, VIRTIO_PCI_CAP_NOTIFY_CFG);
    p->isr = vcap_at(p->slot, VIRTIO_PCI_CAP_ISR_CFG);
    p->device = vcap_at(p->slot, VIRTIO_PCI_CAP_DEVICE_CFG);
    unsigned n = cap_find(p->slot, CAP_ID_VNDR, VIRTIO_PCI_CAP_NOTIFY_CFG);
    p->notify_mult = n ? cfg_r32(p->slot, n + 16) : 0;
    p->cfg_cap = cap_find(p->slot, CAP_ID_VNDR, VIRTIO_PCI_CAP_PCI_CFG);
    p->msix_cap = cap_find(p->slot, CAP_ID_MSIX, 0);
    p->bar4 = bar_addr(p->slot, 4);
    if (!p->msix_cap) {
        return false;
    }
    uint32_t table = cfg_r32(p->slot, p->msix_cap + 4), pba = cfg_r32(p->slot, p->msix_cap + 8);
    p->msix_bar = bar_addr(p->slot, table & 7);
    p->table = p->msix_bar + (table & ~7u);
    p->pba = bar_addr(p->slot, pba & 7) + (pba & ~7u);
    p->vectors = (cfg_r16(p->slot, p->msix_cap + 2) & 0x7ffu) + 1;
    return p->common && p->notify && p->isr && p->cfg_cap && p->notify_mult;
}

/* The common configuration's fields (at their natural widths). */
static uint32_t pc_r32(const struct pfn *p, unsigned off)
{
    return mmio_r32(p->common + off);
}
static uint16_t pc_r16(const struct pfn *p, unsigned off)
{
    return mmio_r16(p->common + off);
}
static uint8_t pd_status(const struct pfn *p)
{
    return mmio_r8(p->common + VIRTIO_PCI_COMMON_STATUS);
}
static void pc_w32(const struct pfn *p, unsigned off, uint32_t v)
{
    mmio_w32(p->common + off, v);
}
static void pc_w16(const struct pfn *p, unsigned off, uint16_t v)
{
    mmio_w16(p->common + off, v);
}
static void pd_set_status(const struct pfn *p, uint8_t v)
{
    mmio_w8(p->common + VIRTIO_PCI_COMMON_STATUS, v);
}
static bool pd_needs_reset(const struct pfn *p)
{
    return (pd_status(p) & VIRTIO_CONFIG_S_NEEDS_RESET) != 0;
}

/* Reset, ACKNOWLEDGE, DRIVER, the features, FEATURES_OK: true if FEATURES_OK stuck. */
static bool pd_negotiate(const struct pfn *p, uint64_t features)
{
    pd_set_status(p, 0);
    if (pd_status(p) != 0) {
        return false;
    }
    pd_set_status(p, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    pd_set_status(p, S_READY);
    for (uint32_t sel = 0; sel < 2; sel++) {
        pc_w32(p, VIRTIO_PCI_COMMON_GFSELECT, sel);
        pc_w32(p, VIRTIO_PCI_COMMON_GF, (uint32_t)(features >> (32 * sel)));
    }
    pd_set_status(p, S_READY | VIRTIO_CONFIG_S_FEATURES_OK);
    return (pd_status(p) & VIRTIO_CONFIG_S_FEATURES_OK) != 0;
}

/* Queue 0 of size num with its three areas, enabled; nothing is checked. */
static void pd_queue_at(struct pfn *p, unsigned num, uint64_t desc, uint64_t avail, uint64_t used)
{
    p->q = (struct vq){ .index = 0,
                        .num = num,
                        .desc = (struct vring_desc *)(uintptr_t)desc,
                        .avail = (struct vring_avail *)(uintptr_t)avail,
                        .used = (struct vring_used *)(uintptr_t)used };
    pc_w16(p, VIRTIO_PCI_COMMON_Q_SELECT, 0);
    pc_w16(p, VIRTIO_PCI_COMMON_Q_SIZE, (uint16_t)num);
    mmio_w64(p->common + VIRTIO_PCI_COMMON_Q_DESCLO, desc);
    mmio_w64(p->common + VIRTIO_PCI_COMMON_Q_AVAILLO, avail);
    mmio_w64(p->common + VIRTIO_PCI_COMMON_Q_USEDLO, used);
    pc_w16(p, VIRTIO_PCI_COMMON_Q_ENABLE, 1);
}

/* Negotiated, queue 0 of 8 entries on its own (cleared) ring memory, DRIVER_OK. */
static void pd_setup(struct pfn *p)
{
    if (!pd_negotiate(p, F_V1)) {
        step_fail("function in slot %u: features refused", p->slot);
    }
    memset(p->mem, 0, 3 * 0x1000);
    barrier();
    uint64_t a = addr(p->mem);
    pd_queue_at(p, 8, a, a + 0x1000, a + 0x2000);
    pd_set_status(p, S_LIVE);
    if (pd_status(p) != S_LIVE) {
        step_fail("function in slot %u does not set up (status 0x%x)", p->slot, pd_status(p));
    }
}

/* Makes head available on queue 0 and notifies it (at the address its queue_notify_off says). */
static void pq_submit(struct pfn *p, uint16_t head)
{
    struct vq *q = &p->q;
    q->avail->ring[q->avail_idx % q->num] = head;
    barrier();
    q->avail_idx++;
    *(volatile uint16_t *)&q->avail->idx = q->avail_idx;
    barrier();
    pc_w16(p, VIRTIO_PCI_COMMON_Q_SELECT, 0);
    uint16_t off = pc_r16(p, VIRTIO_PCI_COMMON_Q_NOFF);
    mmio_w16(p->notify + (uint64_t)off * p->notify_mult, 0);
}

/* One rng request for n bytes of buf: the used length, or -1 if the chain was not used. */
static int64_t rng_request(uint32_t n)
{
    struct vq *q = &prng.q;
    vq_desc(q, 0, addr(buf), n, WRITE, 0);
    uint16_t before = vq_used_idx(q);
    pq_submit(&prng, 0);
    return vq_used_idx(q) == before ? -1 : (int64_t)q->used->ring[before % q->num].len;
}

/* A read of sector into len bytes at data (vdrv.c's blk_request on PCI): the status byte, or -1
 * if the chain was not used. */
static int blk_read(uint64_t sector, uint64_t data, uint32_t len)
{
    struct vq *q = &pblk.q;
    uint8_t *scratch = pblk.mem + VDEV_MEM - 0x1000;
    struct virtio_blk_outhdr *h = (struct virtio_blk_outhdr *)scratch;
    volatile uint8_t *status = scratch + 64;
    *h = (struct virtio_blk_outhdr){ .type = VIRTIO_BLK_T_IN, .sector = sector };
    *status = 0xaa;
    vq_desc(q, 0, addr(h), sizeof(*h), NEXT, 1);
    vq_desc(q, 1, data, len, WRITE | NEXT, 2);
    vq_desc(q, 2, addr(status), 1, WRITE, 0);
    uint16_t before = vq_used_idx(q);
    pq_submit(&pblk, 0);
    return vq_used_idx(q) == before ? -1 : *status;
}

static bool sector_ok(const uint8_t *p, uint64_t sector)
{
    for (unsigned i = 0; i < 512; i++) {
        if (p[i] != disk_byte(sector, i)) {
            return false;
        }
    }
    return true;
}

/* ---- the GIC's side of MSIs ---- */

/* The pending bits of INTIDs first..first + 31 (first a multiple of 32, an SPI). */
static uint32_t spis_pending(unsigned first)
{
    return mmio_r32(GICD_ISPENDR + first / 8);
}

static void msi_spis_clear(void)
{
    mmio_w32(GICD_ICPENDR + MSI_SPI / 8, 0xffffffff);
}

/* MSI-X entry v of p: message address, data, vector control (1: masked). */
static void msix_entry(const struct pfn *p, unsigned v, uint64_t address, uint32_t data,
                       uint32_t control)
{
    uint64_t e = p->table + 16 * v;
    mmio_w32(e, (uint32_t)address);
    mmio_w32(e + 4, (uint32_t)(address >> 32));
    mmio_w32(e + 8, data);
    mmio_w32(e + 12, control);
}

/* ---- configuration space ---- */

/* False when the functions are not there to attack. */
static bool pci_config(void)
{
    step_begin("pci-enumerate");
    uint32_t present = 0;
    for (unsigned s = 0; s < 32; s++) {
        present |= (uint32_t)(cfg_r16(s, CFG_ID) != 0xffff) << s;
    }
    step_want("slots with a function", present, 0x7);
    step_want("slot 0's identity (QEMU's host bridge)", cfg_r32(0, CFG_ID), 0x00081b36);
    step_want("slot 0's class (a host bridge)", cfg_r32(0, CFG_CLASS) >> 8, 0x060000);
    bool found = pfn_probe(&prng);
    step_want("the rng in slot 1 found", found, 1);
    found &= pfn_probe(&pblk);
    step_want("the disk in slot 2 found", found, 1);
    step_want("the rng's BARs in the window",
              prng.bar4 - PCI_WINDOW < PCI_WINDOW_SIZE &&
                  prng.msix_bar - PCI_WINDOW < PCI_WINDOW_SIZE,
              1);
    step_want("the rng's memory decoding on", cfg_r16(PCI_RNG_SLOT, CFG_COMMAND) & CMD_MEMORY,
              CMD_MEMORY);
    step_want("the rng's queues", pc_r16(&prng, VIRTIO_PCI_COMMON_NUMQ), 1);
    step_want("the rng's MSI-X vectors", prng.vectors, 2);
    step_want("the disk's bus mastering (off until a driver turns it on)",
              cfg_r16(PCI_BLK_SLOT, CFG_COMMAND) & CMD_BUS_MASTER, 0);
    step_end();
    if (!found) {
        return false;
    }
    /* As a driver does before it gives a device work: bus mastering on (DMA, MSI). */
    cfg_w16(PCI_RNG_SLOT, CFG_COMMAND, cfg_r16(PCI_RNG_SLOT, CFG_COMMAND) | CMD_BUS_MASTER);
    cfg_w16(PCI_BLK_SLOT, CFG_COMMAND, cfg_r16(PCI_BLK_SLOT, CFG_COMMAND) | CMD_BUS_MASTER);

    step_begin("pci-absent-functions");
    step_want("slot 5, 4 bytes", cfg_r32(5, CFG_ID), 0xffffffff);
    step_want("slot 5, 2 bytes", cfg_r16(5, CFG_ID), 0xffff);
    step_want("slot 5, 1 byte", cfg_r8(5, CFG_ID + 1), 0xff);
    step_want("slot 5's BAR 0", cfg_r32(5, CFG_BAR0), 0xffffffff);
    for (unsigned fn = 1; fn < 8; fn++) {
        step_want("function 1-7 of slot 1", mmio_r32(ecam(0, 1, fn, CFG_ID)), 0xffffffff);
    }
    step_want("bus 1, slot 0", mmio_r32(ecam(1, 0, 0, CFG_ID)), 0xffffffff);
    step_want("bus 128, slot 1", mmio_r32(ecam(128, 1, 0, CFG_CLASS)), 0xffffffff);
    step_want("bus 255's last register", mmio_r32(ecam(255, 31, 7, 0xffc)), 0xffffffff);
    mmio_w32(ecam(1, 1, 0, CFG_COMMAND), CMD_MEMORY);
    mmio_w32(ecam(0, 5, 0, CFG_BAR0), 0);
    step_want("bus 1, slot 1 after a write", mmio_r32(ecam(1, 1, 0, CFG_COMMAND)), 0xffffffff);
    step_want("slot 5's BAR 0 after a write", cfg_r32(5, CFG_BAR0), 0xffffffff);
    step_end();

    /* ECAM takes 1, 2 and 4 bytes, naturally aligned: the others read all ones and do nothing
     * (misaligned ones through the Normal-memory alias, as in attack.c's mmio-unaligned). */
    step_begin("pci-ecam-odd-accesses");
    const unsigned s = PCI_RNG_SLOT;
    uint16_t command = cfg_r16(s, CFG_COMMAND);
    uint32_t bar4 = cfg_r32(s, CFG_BAR0 + 16);
    guest_traps.expecting = true;
    unsigned traps = guest_traps.count;
    step_want("8 bytes at the identity", mmio_r64(ecam(0, s, 0, CFG_ID)), ~0ull);
    mmio_w64(ecam(0, s, 0, CFG_ID), 0);
    mmio_w64(ecam(0, s, 0, CFG_BAR0 + 16), 0);
    step_want("4 bytes at 2", mmio_r32(GUEST_NORMAL_ALIAS + ecam(0, s, 0, 2)), 0xffffffff);
    step_want("2 bytes at 1", mmio_r16(GUEST_NORMAL_ALIAS + ecam(0, s, 0, 1)), 0xffff);
    mmio_w32(GUEST_NORMAL_ALIAS + ecam(0, s, 0, CFG_BAR0 + 18), 0);
    mmio_w16(GUEST_NORMAL_ALIAS + ecam(0, s, 0, CFG_COMMAND + 1), 0);
    guest_traps.expecting = false;
    step_want("exceptions taken", guest_traps.count - traps, 0);
    step_want("command", cfg_r16(s, CFG_COMMAND), command);
    step_want("BAR 4", cfg_r32(s, CFG_BAR0 + 16), bar4);
    step_end();

    step_begin("pci-header-read-only");
    uint32_t id = cfg_r32(s, CFG_ID);
    cfg_w32(s, CFG_ID, 0);
    cfg_w16(s, CFG_ID + 2, 0x1234);
    step_want("vendor and device id", cfg_r32(s, CFG_ID), id);
    step_want("the rng's identity", id, VIRTIO_VENDOR | (uint32_t)VIRTIO_RNG_ID << 16);
    uint32_t class = cfg_r32(s, CFG_CLASS);
    cfg_w32(s, CFG_CLASS, 0xffffffff);
    step_want("class and revision", cfg_r32(s, CFG_CLASS), class);
    step_want("the rng's class and revision (unassigned, 1)", class, 0xff000001);
    cfg_w8(s, CFG_HEADER_TYPE, 0x81);
    step_want("header type", cfg_r8(s, CFG_HEADER_TYPE), 0);
    uint32_t subsystem = cfg_r32(s, CFG_SUBSYSTEM);
    cfg_w32(s, CFG_SUBSYSTEM, 0);
    step_want("subsystem ids", cfg_r32(s, CFG_SUBSYSTEM), subsystem);
    cfg_w8(s, CFG_CAPS, 0xf0);
    step_want("capabilities pointer", cfg_r8(s, CFG_CAPS), 0x40);
    cfg_w8(s, CFG_INTERRUPT_PIN, 4);
    step_want("interrupt pin (INTA)", cfg_r8(s, CFG_INTERRUPT_PIN), 1);
    uint8_t line = cfg_r8(s, CFG_INTERRUPT_LINE);
    cfg_w8(s, CFG_INTERRUPT_LINE, 0x55);
    step_want("interrupt line (writable)", cfg_r8(s, CFG_INTERRUPT_LINE), 0x55);
    cfg_w8(s, CFG_INTERRUPT_LINE, line);
    uint16_t status = cfg_r16(s, CFG_STATUS);
    cfg_w32(s, CFG_COMMAND, 0xffffffff);
    step_want("command after all ones (its writable bits)", cfg_r16(s, CFG_COMMAND), CMD_WRITABLE);
    step_want("status after all ones", cfg_r16(s, CFG_STATUS), status);
    cfg_w16(s, CFG_COMMAND, command);
    cfg_w32(s, 0x48, 0x1000); /* the common configuration capability's offset */
    step_want("a virtio capability's offset", cfg_r32(s, 0x48), 0);
    cfg_w32(s, prng.msix_cap + 4, 0xffffffff);
    step_want("MSI-X table offset and BIR", cfg_r32(s, prng.msix_cap + 4), 1);
    step_want("the common configuration where it was", vcap_at(s, VIRTIO_PCI_CAP_COMMON_CFG),
              prng.common);
    step_end();

    step_begin("pci-extended-space");
    static const unsigned ext[] = { 0x100, 0x104, 0x800, 0xffc };
    for (unsigned i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
        step_want("extended space before a write", cfg_r32(s, ext[i]), 0);
        cfg_w32(s, ext[i], 0xffffffff);
        cfg_w8(s, ext[i] + 3, 0xff);
        step_want("extended space after a write", cfg_r32(s, ext[i]), 0);
    }
    cfg_w32(s, prng.msix_cap + 12, 0xffffffff); /* past the last capability */
    step_want("past the last capability", cfg_r32(s, prng.msix_cap + 12), 0);
    step_end();
    return true;
}

/* ---- BARs ---- */

static void pci_bars(void)
{
    const unsigned s = PCI_RNG_SLOT;
    step_begin("pci-bar-sizing");
    cfg_w32(s, CFG_BAR0, 0xffffffff);
    step_want("BAR 0 (none)", cfg_r32(s, CFG_BAR0), 0);
    cfg_w32(s, CFG_BAR0 + 8, 0xffffffff);
    step_want("BAR 2 (none)", cfg_r32(s, CFG_BAR0 + 8), 0);
    cfg_w32(s, CFG_ROM, 0xffffffff);
    step_want("expansion ROM (none)", cfg_r32(s, CFG_ROM), 0);
    uint32_t bar1 = cfg_r32(s, CFG_BAR0 + 4);
    cfg_w32(s, CFG_BAR0 + 4, 0xffffffff);
    step_want("BAR 1 sized (4 KiB, 32-bit)", cfg_r32(s, CFG_BAR0 + 4), 0xfffff000);
    cfg_w32(s, CFG_BAR0 + 4, bar1);
    step_want("BAR 1 restored", cfg_r32(s, CFG_BAR0 + 4), bar1);
    uint32_t lo = cfg_r32(s, CFG_BAR0 + 16), hi = cfg_r32(s, CFG_BAR0 + 20);
    cfg_w32(s, CFG_BAR0 + 16, 0xffffffff);
    step_want("BAR 4 sized (16 KiB, 64-bit, prefetchable)", cfg_r32(s, CFG_BAR0 + 16), 0xffffc00c);
    cfg_w32(s, CFG_BAR0 + 20, 0xffffffff);
    step_want("BAR 5 (BAR 4's high half) sized", cfg_r32(s, CFG_BAR0 + 20), 0xffffffff);
    cfg_w32(s, CFG_BAR0 + 16, lo);
    cfg_w32(s, CFG_BAR0 + 20, hi);
    step_want("BAR 4 restored", bar_addr(s, 4), prng.bar4);
    step_want("the queues through BAR 4", pc_r16(&prng, VIRTIO_PCI_COMMON_NUMQ), 1);
    step_end();

    /* RAM is the VM's stage-2 mapping: a BAR there never sees an access. */
    step_begin("pci-bar-on-ram");
    volatile uint32_t *ram = (volatile uint32_t *)(uintptr_t)FREE_AREA;
    for (uint32_t i = 0; i < 0x5000 / 4; i++) {
        ram[i] = 0xa5000000 | i;
    }
    pd_set_status(&prng, 0);
    bar_set(s, 4, FREE_AREA);
    bar_set(s, 1, FREE_AREA + 0x4000);
    step_want("BAR 4 on RAM", bar_addr(s, 4), FREE_AREA);
    step_want("BAR 1 on RAM", bar_addr(s, 1), FREE_AREA + 0x4000);
    step_want("num_queues there (RAM)", mmio_r16(FREE_AREA + VIRTIO_PCI_COMMON_NUMQ), 0xa500);
    mmio_w8(FREE_AREA + VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    mmio_w16(FREE_AREA + 0x3000, 0);      /* a notification */
    mmio_w32(FREE_AREA + 0x4000 + 12, 0); /* the MSI-X table: unmask entry 0 */
    bool intact = true;
    for (uint32_t i = 0; i < 0x5000 / 4; i++) {
        uint32_t want = 0xa5000000 | i;
        if (i == VIRTIO_PCI_COMMON_STATUS / 4) {
            want = (want & ~0xffu) | VIRTIO_CONFIG_S_ACKNOWLEDGE;
        } else if (i == 0x3000 / 4) {
            want &= ~0xffffu;
        } else if (i == (0x4000 + 12) / 4) {
            want = 0;
        }
        intact &= ram[i] == want;
    }
    step_want("RAM holds what the guest wrote, and only that", intact, 1);
    bar_set(s, 4, prng.bar4);
    bar_set(s, 1, prng.msix_bar);
    step_want("the device's status (nothing reached it)", pd_status(&prng), 0);
    step_want("MSI-X entry 0 still masked", mmio_r32(prng.table + 12), 1);
    step_end();

    /* The GIC's windows come first: a BAR on them is never reached. */
    step_begin("pci-bar-on-gic");
    uint32_t typer = mmio_r32(GICD + 0x4), ctlr = mmio_r32(GICD);
    uint64_t rtyper = mmio_r64(GICR + 0x8);
    bar_set(s, 4, GICD);
    bar_set(s, 1, GICR);
    step_want("GICD_PIDR2", mmio_r32(GICD + 0xffe8), 0x3b);
    step_want("GICD_TYPER", mmio_r32(GICD + 0x4), typer);
    step_want("GICD_CTLR", mmio_r32(GICD), ctlr);
    step_want("GICR_TYPER", mmio_r64(GICR + 0x8), rtyper);
    /* The MSI SPIs as edges (a message sets the pending latch), none pending. */
    mmio_w32(GICD_ICFGR + MSI_SPI / 4, 0xaaaaaaaa);
    mmio_w32(GICD_ICFGR + MSI_SPI / 4 + 4, 0xaaaaaaaa);
    msi_spis_clear();
    mmio_w32(GICD_SETSPI_NSR, MSI_SPI + 1); /* the rng's BAR 4 + 0x40 if it were there */
    step_want("the SPI set through GICD_SETSPI_NSR pending", spis_pending(MSI_SPI) >> 1 & 1, 1);
    msi_spis_clear();
    step_want("MSI SPIs after clearing", spis_pending(MSI_SPI), 0);
    bar_set(s, 4, prng.bar4);
    bar_set(s, 1, prng.msix_bar);
    step_want("the queues through BAR 4", pc_r16(&prng, VIRTIO_PCI_COMMON_NUMQ), 1);
    step_end();

    /* And the ECAM window is the bridge's, whatever a BAR says. */
    step_begin("pci-bar-on-ecam");
    bar_set(s, 4, ecam(0, s, 0, 0));
    step_want("the rng's identity through ECAM", cfg_r32(s, CFG_ID),
              VIRTIO_VENDOR | (uint32_t)VIRTIO_RNG_ID << 16);
    step_want("BAR 4 on its own configuration space", bar_addr(s, 4), ecam(0, s, 0, 0));
    bar_set(s, 4, prng.bar4);
    step_want("BAR 4 restored", bar_addr(s, 4), prng.bar4);
    step_end();

    /* Two functions' BARs at one address: the lower slot decodes it, every time. */
    step_begin("pci-bar-overlap");
    pc_w32(&prng, VIRTIO_PCI_COMMON_DFSELECT, 0);
    pc_w32(&pblk, VIRTIO_PCI_COMMON_DFSELECT, 0);
    uint32_t rng_features = pc_r32(&prng, VIRTIO_PCI_COMMON_DF);
    uint32_t blk_features = pc_r32(&pblk, VIRTIO_PCI_COMMON_DF);
    step_want("the two devices' features differ", rng_features != blk_features, 1);
    msix_entry(&prng, 0, 0, 0x11, 1);
    msix_entry(&pblk, 0, 0, 0x22, 1);
    bar_set(PCI_BLK_SLOT, 4, prng.bar4);
    bar_set(PCI_BLK_SLOT, 1, prng.msix_bar);
    for (unsigned i = 0; i < 4; i++) {
        step_want("features at the shared address (the rng's)", pc_r32(&prng, VIRTIO_PCI_COMMON_DF),
                  rng_features);
    }
    pc_w32(&prng, VIRTIO_PCI_COMMON_DFSELECT, 1);
    step_want("features word 1 at the shared address (the rng's)",
              pc_r32(&prng, VIRTIO_PCI_COMMON_DF), 1);
    step_want("MSI-X entry 0's data at the shared address (the rng's)", mmio_r32(prng.table + 8),
              0x11);
    bar_set(PCI_BLK_SLOT, 4, pblk.bar4);
    bar_set(PCI_BLK_SLOT, 1, pblk.msix_bar);
    step_want("the disk's feature select (untouched)", pc_r32(&pblk, VIRTIO_PCI_COMMON_DFSELECT),
              0);
    step_want("the disk's features", pc_r32(&pblk, VIRTIO_PCI_COMMON_DF), blk_features);
    step_want("the disk's MSI-X entry 0's data", mmio_r32(pblk.table + 8), 0x22);
    pc_w32(&prng, VIRTIO_PCI_COMMON_DFSELECT, 0);
    step_end();

    /* Outside the bridge's window nothing decodes: no device there. */
    step_begin("pci-bar-outside-window");
    bar_set(s, 4, NOWHERE);
    step_want("BAR 4 outside the window", bar_addr(s, 4), NOWHERE);
    step_want("num_queues there", mmio_r16(NOWHERE + VIRTIO_PCI_COMMON_NUMQ), 0);
    mmio_w8(NOWHERE + VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    step_want("where BAR 4 was", mmio_r32(prng.bar4 + VIRTIO_PCI_COMMON_DF), 0);
    bar_set(s, 4, prng.bar4);
    step_want("the queues through BAR 4", pc_r16(&prng, VIRTIO_PCI_COMMON_NUMQ), 1);
    step_want("the device's status", pd_status(&prng), 0);
    step_end();

    step_begin("pci-memory-decoding-off");
    uint16_t command = cfg_r16(s, CFG_COMMAND);
    cfg_w16(s, CFG_COMMAND, (uint16_t)(command & ~CMD_MEMORY));
    step_want("queue_size with decoding off", mmio_r16(prng.bar4 + VIRTIO_PCI_COMMON_Q_SIZE), 0);
    pd_set_status(&prng, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    cfg_w16(s, CFG_COMMAND, command);
    step_want("the queues with decoding on", pc_r16(&prng, VIRTIO_PCI_COMMON_NUMQ), 1);
    step_want("the device's status", pd_status(&prng), 0);
    step_end();
}

/* ---- MSI-X ---- */

/* An rng request whose interrupt goes to MSI-X entry 0 as (address, data). */
static void msi_through(uint64_t address, uint32_t data)
{
    msix_entry(&prng, 0, address, data, 0);
    step_want("used length of a 16-byte request", (uint64_t)rng_request(16), 16);
}

static void pci_msix(void)
{
    const unsigned s = PCI_RNG_SLOT;
    const unsigned control = prng.msix_cap + 2;
    step_begin("msix-enable");
    step_want("message control (2 entries, off)", cfg_r16(s, control), 1);
    cfg_w16(s, control, 0xffff);
    step_want("message control after all ones", cfg_r16(s, control),
              MSIX_ENABLE | MSIX_FUNCTION_MASK | 1);
    cfg_w16(s, control, MSIX_ENABLE);
    step_want("message control", cfg_r16(s, control), MSIX_ENABLE | 1);
    step_want("table in BAR 1 at 0", cfg_r32(s, prng.msix_cap + 4), 1);
    step_want("PBA in BAR 1 at 0x800", cfg_r32(s, prng.msix_cap + 8), 0x801);
    for (unsigned v = 0; v < prng.vectors; v++) {
        step_want("an entry masked at reset", mmio_r32(prng.table + 16 * v + 12), 1);
    }
    /* The rng's queue on vector 0, its configuration changes on 1. */
    msi_spis_clear();
    pd_setup(&prng);
    pc_w16(&prng, VIRTIO_PCI_COMMON_MSIX, 1);
    pc_w16(&prng, VIRTIO_PCI_COMMON_Q_SELECT, 0);
    pc_w16(&prng, VIRTIO_PCI_COMMON_Q_MSIX, 0);
    step_want("configuration vector", pc_r16(&prng, VIRTIO_PCI_COMMON_MSIX), 1);
    step_want("queue 0's vector", pc_r16(&prng, VIRTIO_PCI_COMMON_Q_MSIX), 0);
    step_end();

    step_begin("msix-good-message");
    msi_through(GICD_SETSPI_NSR, MSI_SPI);
    step_want("the MSI SPI pending", spis_pending(MSI_SPI), 1);
    step_want("PBA", mmio_r64(prng.pba), 0);
    msi_spis_clear();
    step_end();

    /* An MSI is a write the GIC takes or nobody does: the VMM never writes guest RAM for one. */
    step_begin("msix-address-in-ram");
    volatile uint32_t *ram = (volatile uint32_t *)(uintptr_t)FREE_AREA;
    *ram = 0x12345678;
    msi_through(FREE_AREA, MSI_SPI);
    step_want("the RAM word at the address", *ram, 0x12345678);
    step_want("MSI SPIs pending", spis_pending(MSI_SPI), 0);
    step_want("PBA (sent, not held)", mmio_r64(prng.pba), 0);
    step_end();

    step_begin("msix-address-huge");
    msi_through(0xfffffffffffffff0ull, 0xffffffff);
    step_want("SPIs 64-95 pending", spis_pending(64), 0);
    step_want("MSI SPIs pending", spis_pending(MSI_SPI), 0);
    step_end();

    /* Data naming no SPI of the VM: past them, a private interrupt, a special one, huge. */
    step_begin("msix-data-out-of-range");
    static const uint32_t bad_data[] = { 32 + 96, 20, 1023, 0x12345678 };
    for (unsigned i = 0; i < sizeof(bad_data) / sizeof(bad_data[0]); i++) {
        msi_through(GICD_SETSPI_NSR, bad_data[i]);
    }
    step_want("SPIs 64-95 pending", spis_pending(64), 0);
    step_want("MSI SPIs pending", spis_pending(MSI_SPI), 0);
    step_want("PPI 20 pending", mmio_r32(GICR_ISPENDR0) >> 20 & 1, 0);
    step_end();

    /* A masked vector is held in the PBA, and sent when unmasked (the entry's mask, then the
     * function's). */
    step_begin("msix-masked-then-unmasked");
    msix_entry(&prng, 0, GICD_SETSPI_NSR, MSI_SPI + 1, 1);
    step_want("used length", (uint64_t)rng_request(16), 16);
    step_want("PBA while masked", mmio_r64(prng.pba), 1);
    step_want("MSI SPIs pending while masked", spis_pending(MSI_SPI), 0);
    mmio_w32(prng.table + 12, 0);
    step_want("PBA after unmasking", mmio_r64(prng.pba), 0);
    step_want("the SPI after unmasking", spis_pending(MSI_SPI), 1u << 1);
    msi_spis_clear();
    cfg_w16(s, control, MSIX_ENABLE | MSIX_FUNCTION_MASK);
    step_want("used length", (uint64_t)rng_request(16), 16);
    step_want("PBA while the function is masked", mmio_r32(prng.pba), 1);
    step_want("MSI SPIs pending while the function is masked", spis_pending(MSI_SPI), 0);
    cfg_w16(s, control, MSIX_ENABLE);
    step_want("PBA after unmasking the function", mmio_r32(prng.pba), 0);
    step_want("the SPI after unmasking the function", spis_pending(MSI_SPI), 1u << 1);
    msi_spis_clear();
    step_end();

    /* The PBA is read-only: a pending bit stays until the message goes. */
    step_begin("msix-pba-write");
    msix_entry(&prng, 0, GICD_SETSPI_NSR, MSI_SPI + 2, 1);
    step_want("used length", (uint64_t)rng_request(16), 16);
    mmio_w32(prng.pba, 0);
    mmio_w64(prng.pba, ~0ull);
    step_want("PBA after writes", mmio_r64(prng.pba), 1);
    mmio_w32(prng.table + 12, 0);
    step_want("PBA after unmasking", mmio_r64(prng.pba), 0);
    step_want("the SPI after unmasking", spis_pending(MSI_SPI), 1u << 2);
    msi_spis_clear();
    step_end();

    /* The table takes aligned 4 and 8 bytes inside it, nothing else. */
    step_begin("msix-table-odd-accesses");
    msix_entry(&prng, 0, GICD_SETSPI_NSR, MSI_SPI, 1);
    step_want("1 byte of an entry's data", mmio_r8(prng.table + 8), 0);
    step_want("2 bytes of an entry's data", mmio_r16(prng.table + 8), 0);
    step_want("8 bytes at 4", mmio_r64(GUEST_NORMAL_ALIAS + prng.table + 4), 0);
    mmio_w8(prng.table + 12, 0);
    mmio_w16(prng.table + 8, 0x77);
    step_want("entry 0's control after narrow writes", mmio_r32(prng.table + 12), 1);
    step_want("entry 0's data after narrow writes", mmio_r32(prng.table + 8), MSI_SPI);
    step_want("8 bytes of entry 0 (address)", mmio_r64(prng.table), GICD_SETSPI_NSR);
    step_want("the entry past the table", mmio_r32(prng.table + 16 * prng.vectors + 8), 0);
    mmio_w32(prng.table + 16 * prng.vectors + 12, 0);
    step_want("the last byte before the PBA", mmio_r32(prng.table + 0x7fc), 0);
    step_want("used length", (uint64_t)rng_request(16), 16);
    step_want("PBA (entry 0 still masked)", mmio_r64(prng.pba), 1);
    mmio_w32(prng.table + 12, 0);
    step_want("the SPI after unmasking", spis_pending(MSI_SPI), 1);
    msi_spis_clear();
    step_end();

    /* A vector the table does not have reads back as NO_VECTOR and sends nothing. */
    step_begin("msix-vector-beyond-table");
    pc_w16(&prng, VIRTIO_PCI_COMMON_Q_SELECT, 0);
    pc_w16(&prng, VIRTIO_PCI_COMMON_Q_MSIX, 5);
    pc_w16(&prng, VIRTIO_PCI_COMMON_MSIX, 0x7ff);
    step_want("queue 0's vector", pc_r16(&prng, VIRTIO_PCI_COMMON_Q_MSIX), VIRTIO_MSI_NO_VECTOR);
    step_want("configuration vector", pc_r16(&prng, VIRTIO_PCI_COMMON_MSIX), VIRTIO_MSI_NO_VECTOR);
    step_want("used length", (uint64_t)rng_request(16), 16);
    step_want("PBA", mmio_r64(prng.pba), 0);
    step_want("MSI SPIs pending", spis_pending(MSI_SPI), 0);
    step_end();
}

/* ---- virtio-pci ---- */

/* Queue 0 of the disk enabled with these areas: it must refuse (NEEDS_RESET, not enabled). */
static void bad_ring(const char *name, uint64_t desc, uint64_t avail, uint64_t used)
{
    step_begin(name);
    if (!pd_negotiate(&pblk, F_V1)) {
        step_fail("features refused");
    }
    pd_queue_at(&pblk, 8, desc, avail, used);
    step_want("DEVICE_NEEDS_RESET", pd_needs_reset(&pblk), 1);
    step_want("queue_enable", pc_r16(&pblk, VIRTIO_PCI_COMMON_Q_ENABLE), 0);
    step_end();
}

/* A read into [data, data + 512): refused, the queue stopped, nothing written. */
static void bad_buffer(const char *name, uint64_t data)
{
    step_begin(name);
    pd_setup(&pblk);
    step_want("status of the read", (uint64_t)blk_read(0, data, 512), (uint64_t)-1);
    step_want("DEVICE_NEEDS_RESET", pd_needs_reset(&pblk), 1);
    step_want("the status byte", pblk.mem[VDEV_MEM - 0x1000 + 64], 0xaa);
}

/* The PCI configuration access capability's window: bar, offset, length, then pci_cfg_data. */
static uint32_t cfg_window(unsigned bar, uint32_t offset, uint32_t length)
{
    unsigned c = prng.cfg_cap;
    cfg_w8(PCI_RNG_SLOT, c + 4, (uint8_t)bar);
    cfg_w32(PCI_RNG_SLOT, c + 8, offset);
    cfg_w32(PCI_RNG_SLOT, c + 12, length);
    return cfg_r32(PCI_RNG_SLOT, c + 16);
}

static void pci_virtio(void)
{
    uint64_t ok = addr(pblk.mem);
    bad_ring("pci-ring-descriptors-outside-ram", RAM_END, ok + 0x1000, ok + 0x2000);
    bad_ring("pci-ring-driver-area-in-a-bar", ok, prng.bar4, ok + 0x2000);
    bad_ring("pci-ring-device-area-huge", ok, ok + 0x1000, 0xfffffffffffff000ull);

    bad_buffer("pci-desc-outside-ram", RAM_END);
    step_end();

    /* Good rings, but bus mastering off: the device may not touch guest memory at all. */
    uint16_t command = cfg_r16(PCI_BLK_SLOT, CFG_COMMAND);
    cfg_w16(PCI_BLK_SLOT, CFG_COMMAND, (uint16_t)(command & ~CMD_BUS_MASTER));
    bad_ring("pci-dma-without-bus-master", ok, ok + 0x1000, ok + 0x2000);
    cfg_w16(PCI_BLK_SLOT, CFG_COMMAND, command);

    /* DMA into the other function's registers: not RAM, so never. */
    bad_buffer("pci-desc-into-a-bar", prng.bar4);
    step_want("the rng's status", pd_status(&prng), S_LIVE);
    step_want("the rng's queues", pc_r16(&prng, VIRTIO_PCI_COMMON_NUMQ), 1);
    step_end();

    bad_buffer("pci-desc-into-its-msix-table", pblk.table);
    step_want("the disk's MSI-X entry 0 (masked, as at reset)", mmio_r32(pblk.table + 12), 1);
    step_end();

    step_begin("pci-notify-nonexistent");
    pd_setup(&pblk);
    mmio_w16(pblk.notify + 5 * pblk.notify_mult, 5); /* queue 5 of 1 */
    mmio_w16(pblk.notify + 2, 0);                    /* between two queues' addresses */
    mmio_w8(pblk.notify, 0);                         /* a notification of 1 byte */
    mmio_w32(pblk.notify + 0xffc, 0);                /* the last word of the BAR */
    step_want("a notify register read", mmio_r16(pblk.notify), 0);
    step_want("status", pd_status(&pblk), S_LIVE);
    memset(buf, 0, 512);
    step_want("status of a good read", (uint64_t)blk_read(1, addr(buf), 512), VIRTIO_BLK_S_OK);
    step_want("sector 1", sector_ok(buf, 1), 1);
    step_end();

    /* The ISR is 1 byte, and only a 1-byte read acknowledges it. */
    step_begin("pci-isr-wide-read");
    step_want("4 bytes at the ISR", mmio_r32(pblk.isr), 0);
    step_want("the ISR (a queue interrupt)", mmio_r8(pblk.isr), 1);
    step_want("the ISR after reading it", mmio_r8(pblk.isr), 0);
    step_end();

    step_begin("pci-queue-select-nonexistent");
    pc_w16(&pblk, VIRTIO_PCI_COMMON_Q_SELECT, 9);
    step_want("queue_size of queue 9", pc_r16(&pblk, VIRTIO_PCI_COMMON_Q_SIZE), 0);
    step_want("queue_msix_vector of queue 9", pc_r16(&pblk, VIRTIO_PCI_COMMON_Q_MSIX),
              VIRTIO_MSI_NO_VECTOR);
    pc_w16(&pblk, VIRTIO_PCI_COMMON_Q_SIZE, 8);
    pc_w16(&pblk, VIRTIO_PCI_COMMON_Q_ENABLE, 1);
    step_want("queue_enable of queue 9", pc_r16(&pblk, VIRTIO_PCI_COMMON_Q_ENABLE), 0);
    step_want("status", pd_status(&pblk), S_LIVE);
    step_end();

    /* pci_cfg_data reaches the structures' BAR only, by 1, 2 or 4 aligned bytes inside it. */
    step_begin("pci-cfg-access-bad");
    step_want("num_queues through the window", cfg_window(4, VIRTIO_PCI_COMMON_NUMQ, 2), 1);
    step_want("through BAR 2 (none)", cfg_window(2, VIRTIO_PCI_COMMON_NUMQ, 2), 0);
    step_want("through BAR 1 (MSI-X)", cfg_window(1, 8, 4), 0);
    step_want("length 3", cfg_window(4, VIRTIO_PCI_COMMON_NUMQ, 3), 0);
    step_want("length 8", cfg_window(4, VIRTIO_PCI_COMMON_DF, 8), 0);
    step_want("offset past the BAR", cfg_window(4, 0x4000, 4), 0);
    step_want("offset 2^32 - 4", cfg_window(4, 0xfffffffc, 4), 0);
    step_want("misaligned", cfg_window(4, VIRTIO_PCI_COMMON_NUMQ + 1, 2), 0);
    (void)cfg_window(4, VIRTIO_PCI_COMMON_STATUS, 4); /* a 1-byte field by 4 bytes */
    cfg_w32(PCI_RNG_SLOT, prng.cfg_cap + 16, 0);
    step_want("the rng's status after a write of 4 bytes", pd_status(&prng), S_LIVE);
    cfg_w16(PCI_RNG_SLOT, prng.cfg_cap + 4, 0x0202); /* the bar field by 2 bytes */
    step_want("the window's BAR after a 2-byte write", cfg_r8(PCI_RNG_SLOT, prng.cfg_cap + 4), 4);
    step_end();
}

/* ---- the end: both functions still work ---- */

static void pci_final(void)
{
    step_begin("pci-good-read");
    pd_set_status(&prng, 0);
    cfg_w16(PCI_RNG_SLOT, prng.msix_cap + 2, 0);
    msi_spis_clear();
    step_want("the rng reset", pd_status(&prng), 0);
    pd_setup(&pblk);
    memset(buf, 0, 512);
    step_want("status", (uint64_t)blk_read(0, addr(buf), 512), VIRTIO_BLK_S_OK);
    step_want("sector 0", sector_ok(buf, 0), 1);
    step_want("the ISR", mmio_r8(pblk.isr), 1);
    pd_set_status(&pblk, 0);
    step_end();
}

void attack_pci(void)
{
    if (!pci_config()) {
        return;
    }
    pci_bars();
    pci_msix();
    pci_virtio();
    pci_final();
}
