/* SPDX-License-Identifier: MIT */
/* ELF64 executables: the checks and the walk over loadable segments, shared by the kernel (the
 * root task) and user level (programs, guests). */
#pragma once
#include <stdint.h>

struct elf_segment {
    uint64_t vaddr;
    uint64_t memsz;
    const void *data; /* filesz bytes inside the image */
    uint64_t filesz;
    unsigned rights;  /* KEEL_FP_R/W/X */
};

/* Validates the header of an image of `size` bytes for `machine` (EM_*); returns the entry point
 * or 0 when it is not an executable ELF64 for that machine or a header lies outside the image. */
uint64_t elf_check(const void *img, uint64_t size, unsigned machine);
/* The i-th loadable segment, checked to lie in the image: 0 found, 1 past the last, -1 malformed. */
int elf_segment(const void *img, uint64_t size, unsigned i, struct elf_segment *seg);

#define ELF_EM_AARCH64 183
#define ELF_EM_RISCV 243
#define ELF_EM_X86_64 62
