/* SPDX-License-Identifier: MIT */
/* The attacker's VM (dts/vms/attack-arm64.dts) and its parts (attack.c, attack_virtio.c,
 * attack_pci.c, attack_fwcfg.c, attack_flash.c). */
#pragma once
#include "step.h"
#include "vdrv.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x1000000ull
#define RAM_END (RAM_BASE + RAM_SIZE)
#define FREE_AREA (RAM_BASE + 0x800000) /* 1 MiB nothing else uses (the image is at 0x40080000) */
#define BLK_RO 0x0a000000ull
#define BLK_RW 0x0a000200ull
#define RNG 0x0a000400ull
#define CONSOLE 0x0a000600ull
#define NET 0x0a000800ull
#define NO_DEVICE 0x0a000a00ull
#define GICD 0x08000000ull
#define GICR 0x080a0000ull
#define PCI_ECAM 0x20000000ull   /* 256 buses of 1 MiB */
#define PCI_WINDOW 0x10000000ull /* the bridge's 32-bit memory window, where the BARs are */
#define PCI_WINDOW_SIZE 0x10000000ull
#define PCI_RNG_SLOT 1
#define PCI_BLK_SLOT 2
#define FW_CFG 0x09020000ull /* QEMU's fw_cfg window (0x18 bytes), where QEMU's virt has it */
/* The cfi-flash node's two banks (attack_flash.c). */
#define FLASH_A 0x04000000ull /* bank 0: read-only, 256 KiB, the test disk at its start */
#define FLASH_B 0x04040000ull /* bank 1: writable, 768 KiB, erased */
#define DISK_SECTORS 128
#define MAGIC 0x74726976u /* "virt" */

#define F_V1 (1ull << VIRTIO_F_VERSION_1)
#define F_INDIRECT (1ull << VIRTIO_RING_F_INDIRECT_DESC)
#define NEXT VRING_DESC_F_NEXT
#define WRITE VRING_DESC_F_WRITE
#define INDIRECT VRING_DESC_F_INDIRECT
#define S_READY (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER)
#define S_LIVE (S_READY | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK)

/* Sets up the net device and tells the neighbour (worker.c) "start" or "done"; false if the
 * device did not take the frame. */
bool attack_virtio_signal(const char *what);
/* Every virtio step, then the final good read of sector 0. */
void attack_virtio(void);
/* Every PCI step (the host bridge, BARs, MSI-X, virtio-pci). */
void attack_pci(void);
/* Every fw_cfg step (signature, items, files, DMA). */
void attack_fwcfg(void);
/* Every CFI flash step (commands, read-only and writable banks, mapping). */
void attack_flash(void);
/* The timers and the PMU as the guest sees them (attack_timers.c). */
void attack_timers(void);
