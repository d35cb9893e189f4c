/* SPDX-License-Identifier: MIT */
/*
 * The VM's PCI: a host bridge with one bus (bus 0, 32 slots, function 0 only) and the type-0
 * configuration space of each function on it (PCI Local Bus 3.0 §6, PCI Express Base 4.0 §7.5,
 * MSI-X: PCI 3.0 §6.8.2). Pure logic over callbacks, host-tested (vmm/tests/test_vmm_pci.c).
 *
 *   guest ── ECAM window (pci_host_ecam) ───────┐
 *         ── 0xCF8/0xCFC ports (pci_host_io) ───┼─► pci_function: header, BARs, capabilities
 *         ── BAR windows (pci_host_bar_access) ─┘      └─ its device (ops): BAR contents, own caps
 *
 * Configuration space of a function (256 bytes; the PCIe extended space 0x100-0xfff reads 0):
 *   0x00-0x3f  the type-0 header; writable: command (I/O, memory, bus master, INTx disable),
 *              status's write-1-to-clear bits (none set here), BARs (size-aligned: sizing by
 *              writing all ones reads back the size mask), interrupt line, latency timer
 *   0x40-...   the device's own capabilities (ops->cap_access; caps_len bytes), its last
 *              capability's next pointer is the MSI-X capability's offset when there is one
 *   then       the MSI-X capability (12 bytes) when msix_vectors > 0; its table and PBA are at
 *              offsets 0 and 0x800 of BAR msix_bar (a 4 KiB memory BAR of their own)
 * Anything else reads 0 and ignores writes. Accesses are 1, 2 or 4 bytes, naturally aligned
 * (ECAM also takes none other; a misaligned one reads all ones and is reported).
 *
 * A slot with no function reads all ones (vendor 0xffff: "no device"), and so does bus 1 and up.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCI_SLOTS 32
#define PCI_BARS 6
#define PCI_CONFIG_SIZE 256
#define PCI_ECAM_BUS_SIZE (1u << 20) /* ECAM bytes per bus: 32 slots × 8 functions × 4 KiB */
#define PCI_CAPS_BASE 0x40
#define PCI_MSIX_MAX 64          /* vectors of one function */
#define PCI_MSIX_BAR_SIZE 0x1000 /* table at 0, PBA at 0x800 */
#define PCI_MSIX_PBA 0x800       /* the PBA's offset in the MSI-X BAR */
#define PCI_MSIX_CAP_SIZE 12
#define PCI_NO_VECTOR 0xffff
/* Command's writable bits, and MSI-X message control's. */
#define PCI_COMMAND_IO (1u << 0)
#define PCI_COMMAND_MEMORY (1u << 1)
#define PCI_COMMAND_BUS_MASTER (1u << 2)
#define PCI_COMMAND_INTX_DISABLE (1u << 10)
#define PCI_MSIX_FUNCTION_MASK (1u << 14)
#define PCI_MSIX_ENABLE (1u << 15)

enum pci_bar_kind { PCI_BAR_NONE, PCI_BAR_MEM32, PCI_BAR_MEM64, PCI_BAR_IO };

struct pci_function;

struct pci_function_ops {
    /* A reset of the VM (pci_host_reset): the device's own state as at power on. May be NULL. */
    void (*reset)(struct pci_function *f);
    /* An access of `width` (1, 2, 4 or 8) bytes at off of BAR bar, all inside the BAR's size,
     * which the guest has enabled (command's memory or I/O bit); false for one the device
     * refuses. Not called for the MSI-X BAR. */
    bool (*bar_access)(struct pci_function *f, unsigned bar, uint64_t off, unsigned width,
                       bool write, uint64_t *value);
    /* An access inside the device's own capabilities: off relative to PCI_CAPS_BASE, inside
     * caps_len. May be NULL when caps_len is 0. */
    bool (*cap_access)(struct pci_function *f, unsigned off, unsigned width, bool write,
                       uint64_t *value);
    /* Sends the MSI message (address, data) the guest programmed into an MSI-X table entry. */
    void (*msi_send)(struct pci_function *f, uint64_t address, uint32_t data);
    /* The function's INTx line goes to `level` (only on a change; INTx disable counted in). */
    void (*intx_set)(struct pci_function *f, bool level);
};

struct pci_bar {
    enum pci_bar_kind kind; /* a 64-bit BAR takes the next index too (its kind stays NONE) */
    bool prefetchable;
    uint64_t size; /* a power of two: memory at least 16 (4096 here), I/O at least 4 */
    uint64_t base; /* as the guest (or pci_host_place) programmed it */
};

struct pci_msix_entry {
    uint64_t address;
    uint32_t data;
    uint32_t control; /* bit 0: masked */
};

struct pci_function {
    /* Identity, set by the device before pci_host_attach(). */
    uint16_t vendor_id, device_id, subsystem_vendor_id, subsystem_id;
    uint8_t revision, prog_if, subclass, class_code;
    uint8_t interrupt_pin; /* 1 = INTA (the only one used here), 0 = none */
    struct pci_bar bar[PCI_BARS];
    unsigned caps_len;     /* bytes of the device's own capabilities from PCI_CAPS_BASE */
    bool no_cap_list;      /* those bytes are chipset registers, no capability list: the status
                            * bit and the capabilities pointer stay 0 (and no MSI-X then) */
    unsigned msix_vectors; /* 0: no MSI-X; else up to PCI_MSIX_MAX */
    unsigned msix_bar;     /* the BAR that holds the MSI-X table and PBA (4 KiB memory) */
    const struct pci_function_ops *ops;
    void *ctx; /* the device's, for its callbacks */
    /* State the guest changes. */
    uint16_t command;
    uint8_t interrupt_line, latency_timer;
    bool intx_asserted;    /* the device's INTx level (pci_intx) */
    bool intx_line;        /* what intx_set last said */
    uint16_t msix_control; /* bit 15 enable, bit 14 function mask */
    struct pci_msix_entry msix[PCI_MSIX_MAX];
    uint64_t msix_pending; /* the PBA */
    unsigned slot;
};

/* Prepares f (zeroes the guest state; identity and BARs are filled in by the caller after). */
void pci_function_init(struct pci_function *f, const struct pci_function_ops *ops, void *ctx);
/* The offset of the MSI-X capability in configuration space, or 0 when f has none. */
unsigned pci_msix_cap_offset(const struct pci_function *f);
/* One configuration access at reg (< 4096), width 1, 2 or 4, aligned. */
void pci_config_access(struct pci_function *f, unsigned reg, unsigned width, bool write,
                       uint64_t *value);
/* The device's INTx level (virtio-pci: ISR not 0); the line follows unless INTx is disabled or
 * MSI-X enabled. */
void pci_intx(struct pci_function *f, bool level);
/*
 * Signals MSI-X vector v of f. False when MSI-X is not enabled (the device then uses INTx).
 * Otherwise true: v PCI_NO_VECTOR or out of the table sends nothing; a masked vector (or the
 * whole function masked) becomes pending and is sent when unmasked.
 */
bool pci_msix_notify(struct pci_function *f, unsigned v);

struct pci_host {
    struct pci_function *slot[PCI_SLOTS];
    uint32_t cf8; /* the CONFIG_ADDRESS port's value (x86) */
    /* Windows where pci_host_place() puts BARs (the host bridge's ranges). */
    uint64_t mem32_base, mem32_size; /* below 4 GiB: 32-bit BARs */
    uint64_t mem64_base, mem64_size; /* 64-bit BARs (0 size: they go in the 32-bit window) */
    uint64_t io_base, io_size;
    /* Reports a guest's misuse (a line, no newline). May be NULL. */
    void (*report)(void *ctx, const char *msg);
    void *report_ctx;
};

void pci_host_init(struct pci_host *h);
/* Puts f in slot (< PCI_SLOTS, free); false otherwise, or when f is malformed (a BAR size not a
 * power of two or too small, a 64-bit BAR in the last index, more than PCI_MSIX_MAX vectors, an
 * MSI-X BAR that is no 4 KiB memory BAR, capabilities that do not fit in 256 bytes). */
bool pci_host_attach(struct pci_host *h, unsigned slot, struct pci_function *f);
/*
 * What firmware would do before the OS: gives every BAR of every function an address inside the
 * windows, naturally aligned, 64-bit BARs in the 64-bit window when there is one, and enables
 * decoding (command's memory and I/O bits). Largest first, so that they pack without holes.
 * False when they do not fit, and then nothing has changed.
 */
bool pci_host_place(struct pci_host *h);
/* A reset of the VM: every function's configuration as at power on (then the device's own
 * reset), the CONFIG_ADDRESS port 0, and the BARs placed again as pci_host_place() does. */
void pci_host_reset(struct pci_host *h);
/* An access at off of the ECAM window (bus 0 at offset 0). */
void pci_host_ecam(struct pci_host *h, uint64_t off, unsigned width, bool write, uint64_t *value);
/* An access to ports 0xcf8-0xcff (x86 configuration mechanism #1; a byte at 0xcfb is the
 * mechanism select, ignored); false for another port, and for other 0xcf8-0xcfb accesses than
 * those two (those bytes are others': 0xcf9 is the reset control register). */
bool pci_host_io(struct pci_host *h, uint16_t port, unsigned width, bool write, uint64_t *value);
/*
 * An access at guest-physical address addr (io: port addr) that may fall into a BAR with decoding
 * enabled: false when no BAR claims it; else it goes to the function (or its MSI-X table or PBA)
 * and *ok says whether the device took it (a refused read gives 0).
 */
bool pci_host_bar_access(struct pci_host *h, bool io, uint64_t addr, unsigned width, bool write,
                         uint64_t *value, bool *ok);

/* Between the model's files, not for devices. */
/* The INTx line after a change of its inputs: the device's level, INTx disable, MSI-X enable. */
void pci_intx_update(struct pci_function *f);
/* The guest wrote MSI-X's message control (pci_function.c); unmasking sends what is pending. */
void pci_msix_set_control(struct pci_function *f, uint16_t control);
/* An access at off of the MSI-X BAR (its table or PBA); false when refused (pci_host.c). */
bool pci_msix_bar_access(struct pci_function *f, uint64_t off, unsigned width, bool write,
                         uint64_t *value);
