// SPDX-License-Identifier: MIT
// The VM's PCI bus from its device tree (pci_bus.h): windows, host bridge, devices, INTx routing.
#include "pci_bus.h"
#include "virtio_devices.h"
#include "../platform.h"
#include <keel/rt.h>
#include <fdt_util.h>
#include <libfdt.h>
#include <string.h>

#define SPACE_MEM32 0x02000000u /* a range's phys.hi space code (bits 25:24) */
#define SPACE_MEM64 0x03000000u
#define SPACE_MASK 0x03000000u

static struct pci_bus bus; /* one VM per VMM, one bus per VM */

struct pci_bus *pci_bus_of(struct vm *vm)
{
    return bus.made && bus.vm == vm ? &bus : NULL;
}

static void report(void *ctx, const char *msg)
{
    vm_report(ctx, "%s", msg);
}

static bool ecam_access(struct mmio_device *d, uint64_t off, unsigned width, bool write,
                        uint64_t *value)
{
    pci_host_ecam(&((struct pci_bus *)d->state)->host, off, width, write, value);
    return true; /* the host bridge answers everything (all ones for what is absent) */
}

static void bus_reset(struct mmio_device *d)
{
    pci_host_reset(&((struct pci_bus *)d->state)->host);
}

static bool window_access(struct mmio_device *d, uint64_t off, unsigned width, bool write,
                          uint64_t *value)
{
    struct pci_bus *b = d->state;
    bool ok = false;
    if (!pci_host_bar_access(&b->host, false, gpa_val(d->base) + off, width, write, value, &ok)) {
        return false; /* no BAR there: reported as any access where nothing is */
    }
    return ok;
}

void pci_bus_intx_set(struct pci_bus *b, unsigned slot, bool level)
{
    unsigned line = b->intx[slot];
    b->intx_level[slot] = level;
    b->intx_rises[slot] += level;
    if (line == 0) {
        if (level) {
            vm_report(b->vm,
                      "PCI 00:%02x.0: INTx with MSI-X off, and no interrupt-map entry for it",
                      slot);
        }
        return;
    }
    bool any = false;
    for (unsigned s = 0; s < PCI_SLOTS; s++) {
        any = any || (b->intx[s] == line && b->intx_level[s]);
    }
    vm_irq_set(b->vm, line, any);
}

void pci_bus_print_stats(struct vm *vm)
{
    struct pci_bus *b = pci_bus_of(vm);
    for (unsigned s = 1; b && s < PCI_SLOTS; s++) {
        const struct pci_function *f = b->host.slot[s];
        if (f) {
            printf("vmm: %s: PCI 00:%02x.0 [%04x:%04x]: %lu MSI-X messages, %lu INTx assertions\n",
                   vm->name, s, f->vendor_id, f->device_id, (unsigned long)b->msi_sent[s],
                   (unsigned long)b->intx_rises[s]);
        }
    }
}

bool pci_bus_io(struct pci_bus *b, unsigned port, unsigned width, bool write, uint64_t *value)
{
    if (port < 0xcf8 || port > 0xcff) {
        return false;
    }
    vm_lock(&b->lock);
    bool taken = pci_host_io(&b->host, (uint16_t)port, width, write, value);
    vm_unlock(&b->lock);
    return taken;
}

static struct mmio_device *
window_add(struct pci_bus *b, const char *name, uint64_t base, uint64_t size,
           bool (*access)(struct mmio_device *, uint64_t, unsigned, bool, uint64_t *))
{
    struct mmio_device *d = vm_device_add(b->vm, name, gpa_init(base), size);
    if (d) {
        d->state = b;
        d->access = access;
        d->lock = &b->lock;
    }
    return d;
}

/* ranges = <phys.hi phys.mid phys.lo  cpu address (2 cells)  size (2 cells)>, each memory range
 * mapped 1:1 (PCI address = CPU address); I/O ranges are left out (no device has I/O BARs). */
static int ranges(struct pci_bus *b, const void *fdt, int node)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, "ranges", &len);
    if (!p || len % 28 != 0) {
        return -1;
    }
    for (int i = 0; i < len / 28; i++, p += 7) {
        uint32_t space = fdt32_ld(&p[0]) & SPACE_MASK;
        uint64_t pci = (uint64_t)fdt32_ld(&p[1]) << 32 | fdt32_ld(&p[2]);
        uint64_t cpu = (uint64_t)fdt32_ld(&p[3]) << 32 | fdt32_ld(&p[4]);
        uint64_t size = (uint64_t)fdt32_ld(&p[5]) << 32 | fdt32_ld(&p[6]);
        if (space != SPACE_MEM32 && space != SPACE_MEM64) {
            continue;
        }
        bool low = space == SPACE_MEM32;
        if (pci != cpu || size == 0 || cpu + size < cpu || (low && cpu + size > 1ull << 32) ||
            (low ? b->host.mem32_size : b->host.mem64_size) != 0) {
            return -1; /* translated, empty, wrapping, or a second window of a kind */
        }
        if (!window_add(b, low ? "pci-mem32" : "pci-mem64", cpu, size, window_access)) {
            return -1;
        }
        *(low ? &b->host.mem32_base : &b->host.mem64_base) = cpu;
        *(low ? &b->host.mem32_size : &b->host.mem64_size) = size;
    }
    return b->host.mem32_size != 0 ? 0 : -1;
}

bool pci_bus_intx(const struct pci_bus *b, const void *fdt, unsigned slot, unsigned *intid)
{
    int len, mlen;
    const fdt32_t *map = fdt_getprop(fdt, b->node, "interrupt-map", &len);
    const fdt32_t *mask = fdt_getprop(fdt, b->node, "interrupt-map-mask", &mlen);
    if (!map || !mask || mlen != 16) {
        return false;
    }
    uint32_t want[4] = { slot << 11, 0, 0, 1 }; /* the child's unit address and INTA */
    for (const fdt32_t *e = map; (const char *)(e + 5) <= (const char *)map + len;) {
        int pnode = fdt_node_offset_by_phandle(fdt, fdt32_ld(&e[4]));
        int alen = 0, ilen = 0;
        const fdt32_t *a = pnode >= 0 ? fdt_getprop(fdt, pnode, "#address-cells", &alen) : NULL;
        const fdt32_t *ic = pnode >= 0 ? fdt_getprop(fdt, pnode, "#interrupt-cells", &ilen) : NULL;
        if (pnode < 0 || !ic || ilen != 4 || (a && alen != 4)) {
            return false;
        }
        uint32_t acells = a ? fdt32_ld(a) : 0; /* absent: 0, as Linux reads it */
        uint32_t icells = fdt32_ld(ic);
        if (acells > 3 || icells < 1 || icells > 4) {
            return false;
        }
        const fdt32_t *spec = e + 5 + acells;
        if ((const char *)(spec + icells) > (const char *)map + len) {
            return false;
        }
        bool match = true;
        for (int i = 0; i < 4; i++) {
            match = match &&
                    (fdt32_ld(&e[i]) & fdt32_ld(&mask[i])) == (want[i] & fdt32_ld(&mask[i]));
        }
        if (match) {
            return arch_irq_cells(spec, (int)icells * 4, intid);
        }
        e = spec + icells;
    }
    return false;
}

/*
 * keel,chipset = "q35": the two functions of QEMU's q35 board that x86 firmware identifies the
 * platform by (OVMF's PlatformPei reads 00:00.0's device ID, then finds the ACPI PM block through
 * the LPC bridge's PMBASE): Intel's Q35 MCH as the host bridge and ICH9's LPC bridge at 00:1f.0,
 * whose class (ISA bridge) also makes OVMF's SioBusDxe offer COM1 as the console. Only what
 * firmware reads of them is there: PMBASE (0x40) reads 0x601 (the PM block at I/O 0x600, the
 * acpi-pm node's, in I/O space) and ACPI_CNTL (0x44) 0x80 (ACPI enabled), so that firmware finds
 * them set and leaves them; writes to the chipset registers (PCIEXBAR, PIRQ routing, RCBA) are
 * taken and ignored: ECAM stays where the tree's reg puts it (0xb0000000, where OVMF looks).
 */
#define Q35_PMBASE 0x600u
#define Q35_ECAM 0xb0000000u

static bool lpc_regs(struct pci_function *f, unsigned off, unsigned width, bool write,
                     uint64_t *value)
{
    (void)f;
    if (write) {
        return true;
    }
    unsigned reg = PCI_CAPS_BASE + off;
    uint32_t dword = (reg & ~3u) == 0x40 ? Q35_PMBASE | 1 : (reg & ~3u) == 0x44 ? 0x80 : 0;
    *value = (dword >> (8 * (reg & 3))) & (width == 4 ? 0xffffffffu : (1u << (8 * width)) - 1);
    return true;
}

static const struct pci_function_ops lpc_ops = { .cap_access = lpc_regs };

/* Slot 0: a host bridge (class 0x0600), as on QEMU's boards: OSes look for one (Linux's check
 * that configuration mechanism #1 works on x86). Its identity is QEMU's generic PCIe host
 * bridge's, or with keel,chipset = "q35" the Q35 MCH's, with the LPC bridge beside it. */
static bool bridge_make(struct pci_bus *b, bool q35)
{
    struct pci_function *f = &b->bridge;
    pci_function_init(f, NULL, b);
    f->vendor_id = f->subsystem_vendor_id = q35 ? 0x8086 : 0x1b36; /* Intel; Red Hat (QEMU) */
    f->device_id = q35 ? 0x29c0 : 0x0008;
    f->class_code = 0x06;
    if (!pci_host_attach(&b->host, 0, f)) {
        return false;
    }
    if (!q35) {
        return true;
    }
    struct pci_function *l = &b->lpc;
    pci_function_init(l, &lpc_ops, b);
    l->vendor_id = l->subsystem_vendor_id = 0x8086;
    l->device_id = 0x2918; /* ICH9 LPC interface */
    l->revision = 2;
    l->class_code = 0x06;
    l->subclass = 0x01; /* ISA bridge */
    l->caps_len = 0x100 - PCI_CAPS_BASE;
    l->no_cap_list = true;
    return pci_host_attach(&b->host, 0x1f, l);
}

/* Each child node with keel,device: reg's phys.hi names the slot (bus 0, function 0). */
static int children(struct pci_bus *b, const void *fdt, int node)
{
    int child;
    fdt_for_each_subnode(child, fdt, node)
    {
        int len;
        const fdt32_t *reg = fdt_getprop(fdt, child, "reg", &len);
        if (!fdt_getprop(fdt, child, "keel,device", NULL)) {
            continue;
        }
        uint32_t hi = reg && len >= 4 ? fdt32_ld(&reg[0]) : ~0u;
        unsigned slot = (hi >> 11) & 31;
        if ((hi & ~(31u << 11)) != 0 || slot == 0) {
            printf("vmm: %s: %s: reg must name slot 1-31 of bus 0, function 0\n", b->vm->name,
                   fdt_get_name(fdt, child, NULL));
            return -1;
        }
        if (!pci_bus_intx(b, fdt, slot, &b->intx[slot])) {
            b->intx[slot] = 0;
        }
        if (virtio_pci_device_create(b->vm, fdt, child, b, slot) != 0) {
            return -1;
        }
    }
    return 0;
}

int pci_bus_from_dt(struct vm *vm, const void *fdt, int node)
{
    struct pci_bus *b = &bus;
    if (b->made) {
        printf("vmm: %s: one PCI host bridge per VM\n", vm->name);
        return -1;
    }
    memset(b, 0, sizeof(*b));
    struct mmio_device *ecam = NULL;
    b->vm = vm;
    b->node = node;
    pci_host_init(&b->host);
    b->host.report = report;
    b->host.report_ctx = vm;
    if (!fdt_util_reg(fdt, node, 0, &b->ecam_base, &b->ecam_size) || b->ecam_size == 0 ||
        b->ecam_size > 256 * PCI_ECAM_BUS_SIZE || b->ecam_size % PCI_ECAM_BUS_SIZE != 0 ||
        !(ecam = window_add(b, "pci-ecam", b->ecam_base, b->ecam_size, ecam_access))) {
        printf("vmm: %s: %s: reg must be the ECAM window, 1 MiB per bus\n", vm->name,
               fdt_get_name(fdt, node, NULL));
        return -1;
    }
    ecam->reset = bus_reset; /* (the whole bus: the windows share its lock) */
    if (ranges(b, fdt, node) != 0) {
        printf("vmm: %s: %s: ranges must give one 32-bit memory window (untranslated) and at most "
               "one 64-bit one\n",
               vm->name, fdt_get_name(fdt, node, NULL));
        return -1;
    }
    const char *chipset = fdt_getprop(fdt, node, "keel,chipset", NULL);
    bool q35 = chipset && strcmp(chipset, "q35") == 0;
    if (chipset && (!q35 || b->ecam_base != Q35_ECAM)) {
        printf("vmm: %s: %s: keel,chipset: only \"q35\", with the ECAM window at 0x%x\n", vm->name,
               fdt_get_name(fdt, node, NULL), Q35_ECAM);
        return -1;
    }
    uint64_t w64, w64_size;
    if (q35 && !b->host.mem64_size &&
        arch_pci_mmio64_window(gpa_val(vm->ram_base) + vm->ram_size, &w64, &w64_size)) {
        /* (OVMF's window for this CPU: the tree cannot know it; the ACPI _CRS says it too) */
        if (!window_add(b, "pci-mem64", w64, w64_size, window_access)) {
            printf("vmm: %s: too many devices\n", vm->name);
            return -1;
        }
        b->host.mem64_base = w64;
        b->host.mem64_size = w64_size;
    }
    b->made = true;
    if (!bridge_make(b, q35) || children(b, fdt, node) != 0) {
        return -1; /* (said why; with keel,chipset, slot 31 is the LPC bridge's) */
    }
    if (!pci_host_place(&b->host)) {
        printf("vmm: %s: the PCI devices' BARs do not fit in the windows\n", vm->name);
        return -1;
    }
    return 0;
}
