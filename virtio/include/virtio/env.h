/* SPDX-License-Identifier: MIT */
/*
 * What a virtio device needs from the VMM that runs it, and the small environment the library's
 * layers share (guest memory, interrupt, log).
 *
 *   VMM ── struct virtio_host (callbacks) ──► transport (mmio.c, pci.c) ─► device (device.c,
 *                                                                           dev_*.c, virtq.c)
 *
 * The VMM fills one struct virtio_host per device. The library calls it only from inside its own
 * entry points (virtio_mmio_access(), virtio_pci_*(), virtio_console_input(), virtio_net_rx(),
 * ...), never from
 * another thread; the VMM serializes those entry points per device (one lock per device when
 * several vCPU or backend threads reach it).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct virtio_host {
    void *ctx; /* passed back to every callback */
    /*
     * The VMM's pointer to guest RAM [gpa, gpa + size), or NULL if any byte of it is not RAM.
     * The pointer must stay valid until the device is reset or destroyed (the rings keep the
     * pointers they get when the driver enables a queue), and must keep gpa's alignment
     * modulo 16 (true for any page-granular RAM map).
     */
    void *(*gpa_ptr)(void *ctx, uint64_t gpa, uint64_t size);
    /* virtio-mmio: signals the device's interrupt (edge: one call, one interrupt; DT "edge
     * rising"). */
    void (*notify_irq)(void *ctx);
    /*
     * virtio-pci: sends MSI-X vector `vector` of the device's PCI function; false when the
     * function's MSI-X is disabled (the transport then raises INTx). VIRTIO_PCI_NO_VECTOR (the
     * driver mapped none) or a vector beyond the table: true, nothing sent. NULL: no MSI-X.
     */
    bool (*notify_msix)(void *ctx, uint16_t vector);
    /* virtio-pci: the function's INTx level (the ISR is not 0). */
    void (*set_intx)(void *ctx, bool level);
    /*
     * Whether the device may reach guest memory now (virtio-pci: the function's bus mastering is
     * on). While not, its queues are not used (nor the pointers they keep). NULL: always.
     */
    bool (*dma_allowed)(void *ctx);
    /* Reports one line (no newline) about the guest's misuse of the device. May be NULL. */
    void (*log)(void *ctx, const char *msg);
};

/* A guest can make a device log at most this many lines; then one line says the rest is dropped. */
#define VIRTIO_LOG_BUDGET 32

/* The environment a device's transport and rings share: the VMM's callbacks, a name, the budget. */
struct virtio_env {
    struct virtio_host host;
    const char *name; /* e.g. "virtio-blk": the prefix of each log line */
    unsigned logs;    /* lines logged so far */
};

/* The VMM's pointer to guest RAM [gpa, gpa + size), or NULL (also when the range wraps around). */
void *virtio_env_gpa(struct virtio_env *env, uint64_t gpa, uint64_t size);
/* Logs "<name>: <formatted message>" within the budget. */
void virtio_env_log(struct virtio_env *env, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
