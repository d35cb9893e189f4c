// SPDX-License-Identifier: MIT
/*
 * MSI-X (PCI 3.0 §6.8.2): a table of msix_vectors 16-byte entries at offset 0 of the MSI-X BAR
 * (message address low, high, data, vector control with bit 0 the mask) and the pending bit
 * array at 0x800 (one 64-bit word: PCI_MSIX_MAX vectors). A vector is sent only while MSI-X is
 * enabled and neither it nor the function is masked; otherwise it is left pending, and sent when
 * an unmask or the enable makes that true. The table takes aligned 4- and 8-byte accesses only
 * (§6.8.2: "aligned full DWORD or aligned full QWORD"); the PBA is read-only.
 */
#include "pci.h"

#define ENTRY_SIZE 16u
#define ENTRY_MASKED 1u

static bool masked(const struct pci_function *f, unsigned v)
{
    return (f->msix_control & PCI_MSIX_FUNCTION_MASK) || (f->msix[v].control & ENTRY_MASKED);
}

/* Sends v if it is pending and nothing holds it back any more. */
static void deliver(struct pci_function *f, unsigned v)
{
    uint64_t bit = 1ull << v;
    if (!(f->msix_pending & bit) || !(f->msix_control & PCI_MSIX_ENABLE) || masked(f, v)) {
        return;
    }
    f->msix_pending &= ~bit;
    if (f->ops && f->ops->msi_send) {
        f->ops->msi_send(f, f->msix[v].address, f->msix[v].data);
    }
}

bool pci_msix_notify(struct pci_function *f, unsigned v)
{
    if (!(f->msix_control & PCI_MSIX_ENABLE)) {
        return false;
    }
    if (v < f->msix_vectors && v < PCI_MSIX_MAX) {
        f->msix_pending |= 1ull << v;
        deliver(f, v);
    }
    return true;
}

void pci_msix_set_control(struct pci_function *f, uint16_t control)
{
    f->msix_control = (uint16_t)(control & (PCI_MSIX_ENABLE | PCI_MSIX_FUNCTION_MASK));
    pci_intx_update(f);
    for (unsigned v = 0; v < f->msix_vectors && v < PCI_MSIX_MAX; v++) {
        deliver(f, v);
    }
}

/* One aligned dword of entry v's 16 bytes (at: 0, 4, 8 or 12). */
static void entry_access(struct pci_function *f, unsigned v, unsigned at, bool write,
                         uint32_t *value)
{
    struct pci_msix_entry *e = &f->msix[v];
    if (!write) {
        uint32_t fields[4] = { (uint32_t)e->address, (uint32_t)(e->address >> 32), e->data,
                               e->control };
        *value = fields[at / 4];
    } else if (at == 0) {
        e->address = (e->address & ~(uint64_t)UINT32_MAX) | *value;
    } else if (at == 4) {
        e->address = (uint64_t)*value << 32 | (uint32_t)e->address;
    } else if (at == 8) {
        e->data = *value;
    } else {
        e->control = *value & ENTRY_MASKED; /* the rest is reserved */
        deliver(f, v);
    }
}

/* The table in dwords; a qword is its two dwords, low first (so a data+control qword that
 * unmasks sends the new data). */
static bool table_access(struct pci_function *f, uint64_t off, unsigned width, bool write,
                         uint64_t *value)
{
    uint64_t v = off / ENTRY_SIZE;
    if ((width != 4 && width != 8) || off % width || v >= f->msix_vectors) {
        return false;
    }
    uint64_t result = 0;
    for (unsigned i = 0; i < width / 4; i++) {
        uint32_t dword = (uint32_t)(*value >> (32 * i));
        entry_access(f, (unsigned)v, (unsigned)(off % ENTRY_SIZE) + 4 * i, write, &dword);
        result |= (uint64_t)dword << (32 * i);
    }
    if (!write) {
        *value = result;
    }
    return true;
}

static bool pba_read(const struct pci_function *f, uint64_t off, unsigned width, uint64_t *value)
{
    if ((width != 4 && width != 8) || off % width || off + width > 8) {
        return false;
    }
    uint64_t pending = f->msix_pending >> (8 * off);
    *value = width == 8 ? pending : (uint32_t)pending;
    return true;
}

bool pci_msix_bar_access(struct pci_function *f, uint64_t off, unsigned width, bool write,
                         uint64_t *value)
{
    if (off < PCI_MSIX_PBA) {
        return table_access(f, off, width, write, value);
    }
    return !write && pba_read(f, off - PCI_MSIX_PBA, width, value);
}
