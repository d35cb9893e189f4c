// SPDX-License-Identifier: MIT
/*
 * A PCI function's type-0 configuration space (pci.h has the layout). Every access but those to
 * the device's own capabilities goes through the dword that holds it: a read assembles the
 * little-endian dword and extracts the bytes asked for; a write merges its bytes into the dword
 * read and writes the whole dword back, so that a byte written to a BAR or to command acts as it
 * does on hardware (the register's read-only and size bits stay as they are). The device's own
 * capabilities take accesses as they come (ops->cap_access), since their registers are its own.
 */
#include "pci.h"
#include <string.h>

enum {
    REG_ID = 0x00,
    REG_COMMAND = 0x04,
    REG_CLASS = 0x08,
    REG_HEADER = 0x0c,
    REG_BAR0 = 0x10,
    REG_SUBSYSTEM = 0x2c,
    REG_CAPS = 0x34,
    REG_INTERRUPT = 0x3c,
};
#define COMMAND_WRITABLE                                                                           \
    (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_BUS_MASTER | PCI_COMMAND_INTX_DISABLE)
#define STATUS_INTERRUPT (1u << 3)
#define STATUS_CAPS (1u << 4)
#define BAR_IO 0x1u
#define BAR_MEM64 0x4u
#define BAR_PREFETCHABLE 0x8u
#define CAP_ID_MSIX 0x11u

void pci_function_init(struct pci_function *f, const struct pci_function_ops *ops, void *ctx)
{
    memset(f, 0, sizeof(*f));
    f->ops = ops;
    f->ctx = ctx;
    for (unsigned v = 0; v < PCI_MSIX_MAX; v++) {
        f->msix[v].control = 1; /* masked at reset (PCI 3.0 §6.8.2.9) */
    }
}

unsigned pci_msix_cap_offset(const struct pci_function *f)
{
    return f->msix_vectors ? PCI_CAPS_BASE + ((f->caps_len + 3) & ~3u) : 0;
}

/* The line follows the device's level unless the guest disabled INTx; told only on changes. */
void pci_intx_update(struct pci_function *f)
{
    /* No INTx while MSI-X is enabled (PCI 3.0 §6.8.2), nor with INTx disabled. */
    bool line = f->intx_asserted && !(f->command & PCI_COMMAND_INTX_DISABLE) &&
                !(f->msix_control & PCI_MSIX_ENABLE);
    if (line != f->intx_line) {
        f->intx_line = line;
        if (f->ops && f->ops->intx_set) {
            f->ops->intx_set(f, line);
        }
    }
}

void pci_intx(struct pci_function *f, bool level)
{
    f->intx_asserted = level;
    pci_intx_update(f);
}

static bool is_bar64_high(const struct pci_function *f, unsigned i)
{
    return i > 0 && f->bar[i - 1].kind == PCI_BAR_MEM64;
}

/* Bases are kept masked to the size, so sizing (writing all ones) reads back the size mask. */
static uint32_t bar_read(const struct pci_function *f, unsigned i)
{
    const struct pci_bar *b = &f->bar[i];
    uint32_t prefetchable = b->prefetchable ? BAR_PREFETCHABLE : 0;
    if (is_bar64_high(f, i)) {
        return (uint32_t)(f->bar[i - 1].base >> 32);
    }
    switch (b->kind) {
    case PCI_BAR_IO:
        return (uint32_t)b->base | BAR_IO;
    case PCI_BAR_MEM32:
        return (uint32_t)b->base | prefetchable;
    case PCI_BAR_MEM64:
        return (uint32_t)b->base | BAR_MEM64 | prefetchable;
    default:
        return 0;
    }
}

static void bar_write(struct pci_function *f, unsigned i, uint32_t value)
{
    if (is_bar64_high(f, i)) {
        struct pci_bar *low = &f->bar[i - 1];
        low->base = ((uint64_t)value << 32 | (uint32_t)low->base) & ~(low->size - 1);
        return;
    }
    struct pci_bar *b = &f->bar[i];
    if (b->kind != PCI_BAR_NONE) {
        uint64_t high = b->kind == PCI_BAR_MEM64 ? b->base & ~(uint64_t)UINT32_MAX : 0;
        b->base = (high | value) & ~(b->size - 1); /* clears the type bits too: size >= 4 */
    }
}

static uint16_t status(const struct pci_function *f)
{
    bool caps = !f->no_cap_list && (f->caps_len > 0 || f->msix_vectors > 0);
    return (uint16_t)((caps ? STATUS_CAPS : 0) | (f->intx_asserted ? STATUS_INTERRUPT : 0));
}

static uint32_t caps_pointer(const struct pci_function *f)
{
    if (f->no_cap_list) {
        return 0;
    }
    return f->caps_len > 0 ? PCI_CAPS_BASE : pci_msix_cap_offset(f);
}

static uint32_t header_read(const struct pci_function *f, unsigned reg)
{
    switch (reg) {
    case REG_ID:
        return f->vendor_id | (uint32_t)f->device_id << 16;
    case REG_COMMAND:
        return f->command | (uint32_t)status(f) << 16;
    case REG_CLASS:
        return f->revision | (uint32_t)f->prog_if << 8 | (uint32_t)f->subclass << 16 |
               (uint32_t)f->class_code << 24;
    case REG_HEADER:
        return (uint32_t)f->latency_timer << 8; /* header type 0, one function, no BIST */
    case REG_SUBSYSTEM:
        return f->subsystem_vendor_id | (uint32_t)f->subsystem_id << 16;
    case REG_CAPS:
        return caps_pointer(f);
    case REG_INTERRUPT:
        return f->interrupt_line | (uint32_t)f->interrupt_pin << 8;
    default:
        if (reg >= REG_BAR0 && reg < REG_BAR0 + 4 * PCI_BARS) {
            return bar_read(f, (reg - REG_BAR0) / 4);
        }
        return 0; /* CardBus CIS, expansion ROM (none), reserved */
    }
}

static void header_write(struct pci_function *f, unsigned reg, uint32_t value)
{
    if (reg == REG_COMMAND) {
        f->command = (uint16_t)(value & COMMAND_WRITABLE); /* status: no write-1-to-clear set */
        pci_intx_update(f);
    } else if (reg == REG_HEADER) {
        f->latency_timer = (uint8_t)(value >> 8);
    } else if (reg == REG_INTERRUPT) {
        f->interrupt_line = (uint8_t)value;
    } else if (reg >= REG_BAR0 && reg < REG_BAR0 + 4 * PCI_BARS) {
        bar_write(f, (reg - REG_BAR0) / 4, value);
    }
}

/* MSI-X capability dword at (0, 4 or 8): ID, next 0, message control; table; PBA. */
static uint32_t msix_cap_read(const struct pci_function *f, unsigned at)
{
    if (at == 0) {
        uint32_t control = (f->msix_vectors - 1) | f->msix_control;
        return CAP_ID_MSIX | control << 16;
    }
    return (at == 4 ? 0 : PCI_MSIX_PBA) | f->msix_bar;
}

static bool in_msix_cap(const struct pci_function *f, unsigned reg)
{
    unsigned cap = pci_msix_cap_offset(f);
    return cap && reg >= cap && reg < cap + PCI_MSIX_CAP_SIZE;
}

static uint32_t dword_read(const struct pci_function *f, unsigned reg)
{
    if (reg < PCI_CAPS_BASE) {
        return header_read(f, reg);
    }
    if (in_msix_cap(f, reg)) {
        return msix_cap_read(f, reg - pci_msix_cap_offset(f));
    }
    return 0; /* the gap before MSI-X, past it, the extended space */
}

static void dword_write(struct pci_function *f, unsigned reg, uint32_t value)
{
    if (reg < PCI_CAPS_BASE) {
        header_write(f, reg, value);
    } else if (reg == pci_msix_cap_offset(f)) { /* message control: the dword's upper half */
        pci_msix_set_control(f, (uint16_t)(value >> 16));
    }
}

/* An access inside caps_len goes to the device as it is; one that runs past caps_len (not a
 * multiple of 4) is split into bytes, those past it reading 0. A refused read gives 0. */
static void caps_access(struct pci_function *f, unsigned off, unsigned width, bool write,
                        uint64_t *value)
{
    if (off + width <= f->caps_len) {
        bool ok = f->ops && f->ops->cap_access && f->ops->cap_access(f, off, width, write, value);
        if (!ok && !write) {
            *value = 0;
        }
        return;
    }
    uint64_t bytes = 0;
    for (unsigned i = 0; i < width && off + i < f->caps_len; i++) {
        uint64_t byte = write ? (*value >> (8 * i)) & 0xff : 0;
        caps_access(f, off + i, 1, write, &byte);
        bytes |= (byte & 0xff) << (8 * i);
    }
    if (!write) {
        *value = bytes;
    }
}

void pci_config_access(struct pci_function *f, unsigned reg, unsigned width, bool write,
                       uint64_t *value)
{
    if ((width != 1 && width != 2 && width != 4) || reg % width || reg >= 4096) {
        if (!write) {
            *value = UINT32_MAX; /* the host checks first; this only keeps f safe */
        }
        return;
    }
    if (reg >= PCI_CAPS_BASE && reg < PCI_CAPS_BASE + f->caps_len) {
        caps_access(f, reg - PCI_CAPS_BASE, width, write, value);
        return;
    }
    unsigned shift = 8 * (reg & 3);
    uint32_t mask = (uint32_t)(UINT32_MAX >> (32 - 8 * width)) << shift;
    uint32_t old = dword_read(f, reg & ~3u);
    if (!write) {
        *value = (old & mask) >> shift;
        return;
    }
    dword_write(f, reg & ~3u, (old & ~mask) | ((uint32_t)(*value << shift) & mask));
}
