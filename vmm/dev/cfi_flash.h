/* SPDX-License-Identifier: MIT */
/*
 * A CFI parallel NOR flash with the Intel/Sharp command set, as UEFI firmware uses it for its code
 * and its variable store: the guest-visible behaviour of QEMU's "pflash_cfi01"
 * (hw/block/pflash_cfi01.c) over a caller-provided byte array. Pure logic, host-tested
 * (vmm/tests/test_vmm_cfi_flash.c). The boards it stands in for:
 *   x86 pc/q35   code + vars flashes stacked down from 4 GiB, blocks of 4 KiB, bank width 1
 *                (QEMU leaves device width unset; here: one byte-wide chip), IDs 0, any size
 *                that is a multiple of 4 KiB; OVMF's QemuFlash programs byte by byte (0x10).
 *                QEMU makes a flash read-only when its drive is (readonly=on: the code).
 *   arm64 virt   two 64 MiB flashes at 0 and 0x4000000, blocks of 256 KiB, bank width 4 made of
 *                two 16-bit chips (device width 2), manufacturer 0x89, device 0x18; EDK2's
 *                VirtNorFlash writes every command as a 32-bit (cmd << 16 | cmd) and programs
 *                words (0x40) or 32-word buffers (0xe8).
 *
 * Modes (first cycle = the written value's low byte, as QEMU takes it, whatever the width):
 *   read array   0xff, 0x50 (which also zeroes the status), or any command not named here
 *                (0x00, AMD's 0xf0, 0xaa, 0x55 ...: no error, as QEMU); reads give the array
 *   read status  0x70, and after every operation or error; reads give the status byte
 *   read ID      0x90: bank word 0 of each 256 gives the manufacturer, 1 the device, 2 (block
 *                lock status) and the rest 0
 *   CFI query    0x98: bank word i gives byte i of the query table (0x10: "QRY"), 0 past it
 *   program      0x10/0x40, then one data write of any width: stored as written
 *   erase        0x20 at an address in the block, then 0xd0: the block becomes all 0xff
 *   buffer       0xe8, the count N-1 (the low chip's lane), N data writes inside one aligned
 *                write buffer (per chip 256 bytes at bank width 1, else 2 KiB), then 0xd0; a
 *                data write outside that window is a program error (0x10), not stored
 *   lock         0x60, then 0x01 (lock), 0xd0 (unlock), 0x2f (lock down) or 0x03 (configure):
 *                accepted and ignored, as QEMU does (no block is ever locked)
 * In read status, read ID and CFI query each chip answers on its own byte lanes of the bank:
 * the value zero-extended to the device width, repeated for every chip (0x00800080 is the ready
 * status of virt's two chips); a read of any width or alignment takes the bytes of those bank
 * words it covers. The status is 0x80 (ready) at reset and after every operation, with 0x10 for
 * a program error and 0x20 for an erase error: a read-only flash sets them for every program
 * and erase it refuses, and its contents stay as they are; a bad second (or later) cycle of a
 * sequence sets both (0x30, Intel's "command sequence error"). Error bits stay until 0x50.
 * Operations complete at once (never busy). An unknown first command sets no error bits: Linux's
 * CFI probe writes AMD's 0xaa and 0x55 while it tries chip layouts, and its Intel driver takes
 * any 0x30 left after a write as that write's failure.
 *
 * Where this differs from QEMU (each a case QEMU gets wrong or leaves undefined; what EDK2 and
 * Linux do is the same on both):
 *   - a bad second cycle sets 0x30 and reads status; QEMU only logs it and reads array (0xff
 *     instead of a second cycle reads array here too, and drops the sequence);
 *   - 0x98 is a read mode that takes the next command as 0x70 and 0x90 do (QEMU stays in query
 *     mode until 0xff);
 *   - an erase takes place at the confirm (QEMU erases at the 0x20 already); the block is the one
 *     0x20 was written to (as QEMU), a confirm elsewhere is accepted;
 *   - a buffer of one word (count 0) is programmed (QEMU sets a program error), a count larger
 *     than the buffer is a sequence error, and so is a confirm other than 0xd0 or 0xff (QEMU
 *     reads array); a program error counts only from this buffer's own data writes;
 *   - with a device width of 1 every status byte of a wider read shows the status (QEMU's
 *     "width unset" pc flash shows it in bytes 0 and 2 of a 32-bit read; OVMF reads bytes);
 *   - the CFI table does not repeat every 256 bytes (as QEMU's pc flash's would).
 * Program stores the data as written, as QEMU does, rather than ANDing it into the array as NOR
 * cells would: both EDK2 drivers only program erased bytes or clear bits (VirtNorFlash checks
 * (old ^ new) & new before a word program and erases otherwise), where the two agree, and a guest
 * that works on QEMU then works here. OVMF's flash detection needs QEMU's clear status exactly:
 * it writes 0x50 (reads must give the array byte back), then 0x70 and expects status 0x00.
 *
 * For the VMM: in read array mode the flash reads as plain memory, so the VMM may map the array
 * straight into the guest, read-only (and executable, for the code flash), and trap only writes
 * (QEMU's "romd" mode). Every write can leave read array mode, and then reads must trap too:
 * cfi_flash_access() calls mode_changed(ctx, false) before it returns, so the VMM unmaps the
 * window before the vCPU resumes, and mode_changed(ctx, true) when it is back in read array, so
 * it can map it again. A VMM with several vCPUs serialises accesses to one flash and unmaps
 * before any vCPU can read through the old mapping. dirty(ctx, off, len) reports every change
 * of the array (to persist the variable store); the array is already changed when it is called.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define CFI_FLASH_QUERY_SIZE 0x52 /* bytes of the CFI query table (as QEMU's) */
#define CFI_FLASH_BUFFER_MAX 8192 /* the largest write buffer: 2 KiB per chip, 4 chips */
/* Status register bits. */
#define CFI_FLASH_READY 0x80u
#define CFI_FLASH_ERASE_ERROR 0x20u
#define CFI_FLASH_PROGRAM_ERROR 0x10u

struct cfi_flash_config {
    uint8_t *data;         /* the array: size bytes, which the model reads and writes */
    uint64_t size;         /* a non-zero multiple of block_size */
    uint64_t block_size;   /* the bank's erase block: a power of two, at least the write buffer */
    unsigned bank_width;   /* 1, 2 or 4 bytes: device_width times the number of chips */
    unsigned device_width; /* 1, 2 or 4 bytes, dividing bank_width */
    bool read_only;        /* refuses program and erase (the code flash) */
    uint16_t manufacturer, device; /* read ID codes of each chip */
    /* Both may be NULL; see the file's comment. */
    void (*mode_changed)(void *ctx, bool read_array);
    void (*dirty)(void *ctx, uint64_t off, uint64_t len);
    void *ctx;
};

struct cfi_flash {
    struct cfi_flash_config cfg;
    uint8_t mode; /* enum in cfi_flash.c */
    uint8_t status;
    uint64_t erase_block;    /* the block 0x20 was written to */
    uint32_t buf_size;       /* bytes of the bank's write buffer (all chips') */
    uint32_t buf_left;       /* data writes still expected */
    uint64_t buf_base;       /* the buffer's offset in the array; UINT64_MAX: no data yet */
    uint32_t buf_lo, buf_hi; /* buf's valid bytes: those written and the array's between */
    bool buf_error;          /* a data write fell outside the buffer, or read-only */
    uint8_t query[CFI_FLASH_QUERY_SIZE];
    uint8_t buf[CFI_FLASH_BUFFER_MAX]; /* so the struct is 8 KiB and more: allocate statically */
};

/* Sets f up over cfg in read array mode with status ready; false (f unusable) for a geometry
 * the comment on struct cfi_flash_config rules out, or more than 65536 blocks. */
bool cfi_flash_init(struct cfi_flash *f, const struct cfi_flash_config *cfg);
/* A system reset: read array mode, status ready, any sequence dropped (mode_changed told). */
void cfi_flash_reset(struct cfi_flash *f);
/*
 * An access of width (1, 2, 4 or 8) bytes at off of the flash's window, little-endian; an 8-byte
 * one is two 4-byte ones, the low first (QEMU's memory core splits them so). False when it is
 * not entirely inside the window or of another width: then nothing changes and a read gives 0.
 * May call mode_changed and dirty before it returns.
 */
bool cfi_flash_access(struct cfi_flash *f, uint64_t off, unsigned width, bool write,
                      uint64_t *value);
/* Whether the flash reads as its array now (what mode_changed last said). */
bool cfi_flash_read_array(const struct cfi_flash *f);
