/* SPDX-License-Identifier: MIT */
/*
 * What every fuzz target (fuzz/fuzz_*.c, docs/fuzzing.md) shares: the fuzz input read as a stream
 * of little-endian numbers (past its end every number is 0, so any input is a whole program), the
 * targets' own invariant checks, and guest RAM between two guard pages.
 *
 * A target's input is a list of operations, each an opcode byte and its operands. The encoding
 * is the target's (written at the top of its file) and fuzz/gen_corpus.py writes the seeds in it.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* libFuzzer's entry points, defined by each target. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_in {
    const uint8_t *data;
    size_t left;
};

static inline struct fuzz_in fuzz_in_init(const uint8_t *data, size_t size)
{
    return (struct fuzz_in){ data, size };
}

static inline bool fuzz_done(const struct fuzz_in *in)
{
    return in->left == 0;
}

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
    if (in->left == 0) {
        return 0;
    }
    in->left--;
    return *in->data++;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
    uint16_t lo = fuzz_u8(in);
    return (uint16_t)(lo | (uint16_t)fuzz_u8(in) << 8);
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
    uint32_t lo = fuzz_u16(in);
    return lo | (uint32_t)fuzz_u16(in) << 16;
}

static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
    uint64_t lo = fuzz_u32(in);
    return lo | (uint64_t)fuzz_u32(in) << 32;
}

/* Up to n bytes of the input as they are; *got says how many there were. */
static inline const uint8_t *fuzz_bytes(struct fuzz_in *in, size_t n, size_t *got)
{
    const uint8_t *p = in->data;
    *got = n < in->left ? n : in->left;
    in->data += *got;
    in->left -= *got;
    return p;
}

/*
 * A property the code under test must keep (beyond what the sanitizers see). A failure aborts,
 * which libFuzzer reports as a crash with the input that caused it.
 */
#define FUZZ_CHECK(cond)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

/*
 * Guest RAM: size bytes at guest-physical base, allocated once per process between two guard
 * pages that AddressSanitizer poisons (any access to them stops the run), and zeroed for each
 * input. What the VMM or a device reaches through it must lie inside.
 */
struct fuzz_ram {
    uint8_t *block; /* guard, RAM, guard */
    uint8_t *ram;
    uint64_t base, size;
};

#define FUZZ_GUARD 4096u

void fuzz_ram_init(struct fuzz_ram *r, uint64_t base, uint64_t size);
void fuzz_ram_clear(struct fuzz_ram *r);
/* The host pointer of guest-physical [gpa, gpa + size), or NULL when not all of it is RAM. */
void *fuzz_ram_ptr(struct fuzz_ram *r, uint64_t gpa, uint64_t size);
/* Whether the host range [p, p + size) lies inside the RAM. */
bool fuzz_ram_holds(const struct fuzz_ram *r, const void *p, uint64_t size);
/* Copies up to n bytes of the input into RAM at offset off (wrapping into the RAM's size). */
void fuzz_ram_fill(struct fuzz_ram *r, uint64_t off, struct fuzz_in *in, size_t n);

/* A buffer of size bytes between two poisoned guard pages (disks, device trees): allocated once. */
uint8_t *fuzz_guarded_alloc(size_t size);
