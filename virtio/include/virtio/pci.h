/* SPDX-License-Identifier: MIT */
/*
 * The virtio-pci transport, modern (virtio 1.2 §4.1): a device's structures in one memory BAR and
 * the vendor-specific capabilities in configuration space that point the driver at them.
 *
 *   BAR (VIRTIO_PCI_BAR_SIZE, 64-bit)        capabilities (from cap_base, VIRTIO_PCI_CAPS_LEN)
 *   0x0000 common configuration (0x38)       common   → BAR 0x0000
 *   0x1000 ISR status (1 byte, read clears)  notify   → BAR 0x3000, notify_off_multiplier 4
 *   0x2000 device configuration              ISR      → BAR 0x1000
 *   0x3000 notifications: queue i at 4 × i   device   → BAR 0x2000 (when the device has one)
 *                                            PCI cfg access (a window onto the BAR)
 *
 * The PCI function around it (identity, BARs, MSI-X table, INTx) is the VMM's: it gives the
 * transport its capabilities' configuration accesses (virtio_pci_cap_access) and its BAR's
 * (virtio_pci_bar_access). Notifications go out as MSI-X messages (virtio_host.notify_msix,
 * vectors as the driver programmed them) or, with MSI-X disabled, as INTx (virtio_host.set_intx)
 * held while the ISR is not 0. Every field is accessed at its natural width (a 64-bit address
 * also as two 32-bit halves); anything else is refused (false: the VMM reports it).
 */
#pragma once
#include <virtio/device.h>

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040 /* + the virtio device id: a modern-only device */
#define VIRTIO_PCI_BAR_SIZE 0x4000
#define VIRTIO_PCI_MAX_QUEUES 8
#define VIRTIO_PCI_CAPS_LEN 88 /* common, notify, ISR, device, PCI cfg access */
#define VIRTIO_PCI_NO_VECTOR 0xffff

struct virtio_pci {
    struct virtio_device *dev;
    uint8_t bar;           /* the BAR of the structures */
    uint8_t cap_base;      /* where the capabilities start in configuration space */
    uint8_t cap_next;      /* the next pointer of the last one (0: the list ends) */
    uint16_t msix_vectors; /* entries of the function's MSI-X table */
    /* The common configuration's registers of the transport. */
    uint32_t device_features_sel, driver_features_sel;
    uint16_t queue_sel;
    uint16_t config_vector;
    uint16_t queue_vector[VIRTIO_PCI_MAX_QUEUES];
    /* The PCI cfg access capability's writable fields. */
    uint8_t cfg_bar;
    uint32_t cfg_offset, cfg_length;
};

/*
 * Attaches the transport to device d (set up already, at most VIRTIO_PCI_MAX_QUEUES queues):
 * structures in BAR bar, capabilities at cap_base (4-aligned, 0x40 or more) ending with cap_next,
 * an MSI-X table of msix_vectors entries (0: none). False for a device or layout it cannot take.
 */
bool virtio_pci_init(struct virtio_pci *t, struct virtio_device *d, unsigned bar, unsigned cap_base,
                     unsigned cap_next, unsigned msix_vectors);
/* The function's PCI device id and class code (base class, subclass, interface: 24 bits). */
uint16_t virtio_pci_device_id(const struct virtio_device *d);
uint32_t virtio_pci_class(const struct virtio_device *d);
/* A configuration access at off (relative to cap_base, < VIRTIO_PCI_CAPS_LEN). */
bool virtio_pci_cap_access(struct virtio_pci *t, unsigned off, unsigned width, bool write,
                           uint64_t *value);
/* An access at off (< VIRTIO_PCI_BAR_SIZE) of the structures' BAR, width 1, 2, 4 or 8. */
bool virtio_pci_bar_access(struct virtio_pci *t, uint64_t off, unsigned width, bool write,
                           uint64_t *value);
