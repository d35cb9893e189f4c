/* SPDX-License-Identifier: MIT */
/*
 * The VM's PCI bus (pci_bus.c) from its device tree's "pci-host-ecam-generic" node: the ECAM
 * window, the memory window(s) of its ranges where BARs live, INTx through its interrupt-map, a
 * host bridge function in slot 0, and a device per child node with keel,device (virtio-pci).
 *
 *   pcie@e0000000 {
 *       compatible = "pci-host-ecam-generic";  device_type = "pci";
 *       #address-cells = <3>;  #size-cells = <2>;  bus-range = <0 0>;
 *       reg = <0x0 0xe0000000 0x0 0x100000>;           ECAM, bus 0 (1 MiB)
 *       ranges = <0x02000000 0x0 0xc0000000  0x0 0xc0000000  0x0 0x10000000>;  32-bit memory
 *       #interrupt-cells = <1>;  interrupt-map-mask = <0xf800 0 0 7>;
 *       interrupt-map = <0x0800 0 0 1 &ioapic 10 1 ...>;  slot 1 INTA → line 10
 *       virtio@1 { reg = <0x0800 0 0 0 0>; keel,device = "blk"; keel,disk = "disk.img"; };
 *   };
 *
 * One bus per VM; one lock for the bus and every function on it (config and BAR accesses, and
 * what the devices' backends do).
 */
#pragma once
#include "../vm.h"
#include "../pci/pci.h"

struct pci_bus {
    struct vm *vm;
    struct pci_host host;
    struct vm_lock lock;
    struct pci_function bridge;
    struct pci_function lpc; /* keel,chipset = "q35": ICH9's LPC bridge at 00:1f.0 */
    uint64_t ecam_base, ecam_size;
    unsigned intx[PCI_SLOTS];   /* each slot's INTA as the VM's interrupt line (0: none) */
    bool intx_level[PCI_SLOTS]; /* each function's INTx as it drives it */
    uint64_t msi_sent[PCI_SLOTS], intx_rises[PCI_SLOTS]; /* statistics, under the lock */
    int node;                                            /* in the VM device tree */
    bool made;
};

/* The VM's bus, made by the device model for "pci-host-ecam-generic" (NULL before / without). */
struct pci_bus *pci_bus_of(struct vm *vm);
/* The model (platform.c's table). */
int pci_bus_from_dt(struct vm *vm, const void *fdt, int node);
/* The VM interrupt line the interrupt-map gives slot's INTA, or false. */
bool pci_bus_intx(const struct pci_bus *b, const void *fdt, unsigned slot, unsigned *intid);
/* Function slot drives its INTx to level (bus lock held): the VM's line is the wired OR of the
 * functions that share it (the interrupt-map may give several slots one line). */
void pci_bus_intx_set(struct pci_bus *b, unsigned slot, bool level);
/* Prints each function's MSI and INTx counts (at the VM's end). */
void pci_bus_print_stats(struct vm *vm);
/* An access to x86's configuration ports 0xcf8-0xcff (ports.c): false when not the bus's. */
bool pci_bus_io(struct pci_bus *b, unsigned port, unsigned width, bool write, uint64_t *value);
