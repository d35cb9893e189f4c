/* SPDX-License-Identifier: MIT */
/*
 * The x86 Linux boot protocol (Documentation/x86/boot.rst), 32-bit entry: where a bzImage, its
 * zero page (struct boot_params), command line, initrd and the VMM's ACPI tables go in guest RAM,
 * and the zero page itself with the memory map (e820). Pure functions of their arguments: the
 * VMM's loader (linux_x86.c) and the host tests use them alike.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>

#define BZ_ZERO_PAGE 0x7000ull /* boot_params, 4 KiB */
#define BZ_CMDLINE 0x8000ull   /* the command line, at most BZ_CMDLINE_MAX bytes with its NUL */
#define BZ_CMDLINE_MAX 0x8000ull
#define BZ_ACPI 0x80000ull /* the ACPI tables (BZ_ACPI_SIZE), e820 type 3 */
#define BZ_ACPI_SIZE 0x10000ull
#define BZ_LOW_END 0x9fc00ull /* RAM below 1 MiB ends here for the guest (EBDA, ROMs above) */
#define BZ_E820_MAX 8
#define BZ_RAM_MAX 0xc0000000ull  /* RAM ends below the devices (one range, no hole yet) */
#define BZ_RSDP_LEGACY 0xe0000ull /* a copy of the RSDP where older OSes search for it */

struct bz_e820 {
    uint64_t addr, size;
    uint32_t type; /* 1 RAM, 2 reserved, 3 ACPI */
};

struct bz_layout {
    uint16_t version;     /* boot protocol version */
    uint64_t setup_size;  /* bytes of the real-mode setup in the file (not loaded) */
    uint64_t kernel;      /* where the protected-mode kernel goes: its 32-bit entry */
    uint64_t kernel_size; /* its bytes in the file */
    uint64_t init_size;   /* what it needs from kernel on while it decompresses itself */
    uint64_t initrd, initrd_size;
    struct bz_e820 e820[BZ_E820_MAX];
    unsigned e820_count;
};

enum bz_result {
    BZ_OK,
    BZ_NOT_BZIMAGE,  /* no "HdrS" setup header, or the file ends inside what it names */
    BZ_TOO_OLD,      /* boot protocol before 2.12 (no 64-bit kernels, no init_size) */
    BZ_NOT_HIGH,     /* not loaded high (LOADED_HIGH clear: a zImage) */
    BZ_RAM,          /* RAM must start at 0 and reach past 1 MiB */
    BZ_NO_ROOM,      /* the kernel (init_size) and initrd do not fit the RAM */
    BZ_CMDLINE_LONG, /* the command line is longer than the kernel takes */
};

/* Plans where everything goes for a VM whose RAM is [ram_base, ram_base + ram_size). */
enum bz_result bz_plan(const uint8_t *image, uint64_t size, uint64_t initrd_size,
                       uint64_t cmdline_len, uint64_t ram_base, uint64_t ram_size,
                       struct bz_layout *out);
const char *bz_strerror(enum bz_result r);
/* The zero page (4096 bytes, zeroed by the caller): the image's setup header, the loader's
 * fields (type 0xff, the command line, initrd, the ACPI RSDP) and the e820 map. */
void bz_zero_page(uint8_t *zp, const uint8_t *image, const struct bz_layout *l, uint64_t rsdp);
