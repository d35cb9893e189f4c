/* SPDX-License-Identifier: MIT */
/*
 * QEMU's firmware configuration device (fw_cfg), as EDK2 (OvmfPkg/ArmVirtPkg QemuFwCfgLib),
 * SeaBIOS and Linux's qemu_fw_cfg driver use it: a table of read-only items the guest reads by
 * selector. Pure logic over one callback to guest memory, host-tested
 * (vmm/tests/test_vmm_fw_cfg.c). Interface: QEMU docs/specs/fw_cfg.rst and hw/nvram/fw_cfg.c.
 *
 *   x86 ports (fw_cfg_io, offsets from 0x510)     arm64 window (fw_cfg_mmio, 0x18 bytes)
 *     0x0  selector, 16-bit write, little-endian     0x00  data, 1/2/4/8-byte reads
 *     0x0, 0x1  data, 8-bit                          0x08  selector, 16-bit write, big-endian
 *     0x4  DMA address high half, 32-bit BE          0x10  DMA address, 64-bit BE, or 32-bit
 *     0x8  DMA address low half, 32-bit BE: starts         halves (0x10 high, 0x14 low: starts)
 *
 * Values are as a little-endian guest's register holds them. The data register is a byte
 * stream: an N-byte read returns the next N bytes of the item in address order (as memcpy
 * would), zeros once past its end; writing the selector rewinds it; writes to it are ignored.
 * Reading the DMA address register gives "QEMU CFG" in address order (0x51454d5520434647
 * big-endian); after each operation it is 0 again, so a lone low-half write names a 32-bit
 * address. Other accesses (widths, offsets, reads of the selector, misaligned) are refused.
 *
 * DMA (when gpa_ptr is set; FW_CFG_ID says so): the address names a 16-byte descriptor in guest
 * RAM {be32 control, be32 length, be64 address}. SELECT selects control >> 16 first; then READ
 * copies length bytes from the offset to address (past the item's end: zeros) and advances;
 * else WRITE fails (every item is read-only); else SKIP advances (at most to the end); nothing
 * else is a no-op. The device writes control back: 0, or FW_CFG_DMA_CTL_ERROR when the buffer
 * is not RAM (then nothing is written or advanced) or on a write. A descriptor that is not RAM
 * gets ERROR in its control word when that word is RAM, and is otherwise ignored.
 *
 * Items are borrowed (the caller keeps the data alive and unchanged) and added before the guest
 * runs. Files get selectors from 0x20 in the order they are added and keep them; FILE_DIR lists
 * them sorted by name (QEMU also sorts, but renumbers its selectors to follow the order; firmware
 * only uses the selectors the directory gives). Not thread-safe: the caller serialises accesses.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* Selectors. Numeric items are little-endian: NB_CPUS and MAX_CPUS le16, RAM_SIZE le64, the
 * *_ADDR and *_SIZE items le32, the *_DATA items bytes. */
#define FW_CFG_SIGNATURE 0x00 /* "QEMU" */
#define FW_CFG_ID 0x01        /* le32: FW_CFG_ID_* */
#define FW_CFG_UUID 0x02
#define FW_CFG_RAM_SIZE 0x03
#define FW_CFG_NOGRAPHIC 0x04
#define FW_CFG_NB_CPUS 0x05
#define FW_CFG_MACHINE_ID 0x06
#define FW_CFG_KERNEL_ADDR 0x07
#define FW_CFG_KERNEL_SIZE 0x08
#define FW_CFG_KERNEL_CMDLINE 0x09 /* obsolete */
#define FW_CFG_INITRD_ADDR 0x0a
#define FW_CFG_INITRD_SIZE 0x0b
#define FW_CFG_BOOT_DEVICE 0x0c
#define FW_CFG_NUMA 0x0d
#define FW_CFG_BOOT_MENU 0x0e
#define FW_CFG_MAX_CPUS 0x0f
#define FW_CFG_KERNEL_ENTRY 0x10
#define FW_CFG_KERNEL_DATA 0x11
#define FW_CFG_INITRD_DATA 0x12
#define FW_CFG_CMDLINE_ADDR 0x13
#define FW_CFG_CMDLINE_SIZE 0x14
#define FW_CFG_CMDLINE_DATA 0x15
#define FW_CFG_SETUP_ADDR 0x16
#define FW_CFG_SETUP_SIZE 0x17
#define FW_CFG_SETUP_DATA 0x18
#define FW_CFG_FILE_DIR 0x19 /* be32 count, then FW_CFG_DIR_ENTRY-byte entries */
#define FW_CFG_FILE_FIRST 0x20
#define FW_CFG_WRITE_CHANNEL 0x4000 /* ignored when selecting (writes went away in QEMU 2.4) */
#define FW_CFG_ARCH_LOCAL 0x8000    /* x86: 0x8000 ACPI tables ... 0x8003 E820, 0x8004 HPET */

#define FW_CFG_ID_TRADITIONAL 0x1
#define FW_CFG_ID_DMA 0x2
#define FW_CFG_DMA_CTL_ERROR 0x01
#define FW_CFG_DMA_CTL_READ 0x02
#define FW_CFG_DMA_CTL_SKIP 0x04
#define FW_CFG_DMA_CTL_SELECT 0x08 /* the selector in bits 31:16 */
#define FW_CFG_DMA_CTL_WRITE 0x10
#define FW_CFG_DMA_SIGNATURE 0x51454d5520434647ull /* "QEMU CFG" */

#define FW_CFG_IO_BASE 0x510
#define FW_CFG_IO_SIZE 0xc
#define FW_CFG_MMIO_SIZE 0x18
#define FW_CFG_ITEMS_MAX 64 /* the three built-in items included */
#define FW_CFG_NAME_SIZE 56 /* a file name and its NUL */
#define FW_CFG_DIR_ENTRY 64 /* be32 size, be16 select, be16 reserved, name[56] */
#define FW_CFG_NONE 0xffffu /* no item selected */

struct fw_cfg_item {
    uint16_t selector;
    char name[FW_CFG_NAME_SIZE]; /* "" for a numeric item */
    const uint8_t *data;
    uint32_t size;
};

struct fw_cfg {
    struct fw_cfg_item item[FW_CFG_ITEMS_MAX];
    unsigned items;
    uint16_t files; /* how many are files */
    /* Guest memory for DMA: a pointer to [gpa, gpa + size) when it is all RAM, else NULL. */
    void *(*gpa_ptr)(void *ctx, uint64_t gpa, uint64_t size);
    void *ctx;
    /* The guest's state. */
    uint16_t cur;         /* index of the selected item, FW_CFG_NONE when there is none */
    uint32_t offset;      /* in it: at most its size */
    uint64_t dma_address; /* the DMA address register */
    /* The built-in items' contents. */
    uint8_t signature[4], id[4];
    uint8_t dir[4 + FW_CFG_DIR_ENTRY * FW_CFG_ITEMS_MAX];
};

/* Prepares f with the signature, ID and FILE_DIR items, and resets it. gpa_ptr may be NULL:
 * then there is no DMA interface (ID bit 1 clear, its register refused). */
void fw_cfg_init(struct fw_cfg *f, void *(*gpa_ptr)(void *ctx, uint64_t gpa, uint64_t size),
                 void *ctx);
/* The guest's state as at power-on: the signature selected, the DMA address 0. */
void fw_cfg_reset(struct fw_cfg *f);
/* Adds a numeric item (selector & 0x3fff below FW_CFG_FILE_FIRST, FW_CFG_ARCH_LOCAL allowed).
 * False when the table is full, the selector is taken or out of range, size is over 4 GiB - 1,
 * or data is NULL with a size. */
bool fw_cfg_add(struct fw_cfg *f, uint16_t selector, const void *data, uint64_t size);
/* Adds a file item named name (1 to FW_CFG_NAME_SIZE - 1 characters) and lists it in FILE_DIR.
 * Returns its selector, or 0 when the table is full, the name too long, empty or taken, or as
 * fw_cfg_add refuses. */
uint16_t fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, uint64_t size);
/* An access at port FW_CFG_IO_BASE + port_offset, width 1, 2 or 4; false when refused. */
bool fw_cfg_io(struct fw_cfg *f, uint16_t port_offset, unsigned width, bool write, uint64_t *value);
/* An access at off of the MMIO window, width 1, 2, 4 or 8; false when refused. */
bool fw_cfg_mmio(struct fw_cfg *f, uint64_t off, unsigned width, bool write, uint64_t *value);
