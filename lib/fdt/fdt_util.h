/* SPDX-License-Identifier: MIT */
/* Small typed readers over libfdt, shared by the kernel, the root task and the VMM, and the checked
 * copy of a device-tree file both the root task and the VMM read from the boot modules. */
#pragma once
#include <stdint.h>
#include <stdbool.h>

/*
 * Whether a blob of at most size bytes (UINT64_MAX: as its header says) is one to hand to libfdt:
 * 0, or a negative FDT_ERR_* code. Beyond fdt_check_header(): all of it within size; its memory
 * reservation and structure blocks aligned as the Devicetree Specification (5.1) asks, to 8 and
 * 4 bytes (libfdt reads their entries and tags as aligned words); version 17; and a structure
 * block of whole tags, every property's value inside it (libfdt does not check that a property's
 * length cannot wrap its offset around). Every reader of a tree Keel is given calls this first.
 */
int fdt_util_check(const void *fdt, uint64_t size);

/* Reads the index-th (address, size) pair of node's "reg", translated by the parent's cell sizes.
 * Returns false when the property is missing, too short or uses more than two cells per number.
 * size may be NULL. */
bool fdt_util_reg(const void *fdt, int node, int index, uint64_t *addr, uint64_t *size);

/* Reads a 1- or 2-cell unsigned property; false when missing or of another length. */
bool fdt_util_u64(const void *fdt, int node, const char *name, uint64_t *out);

/* Why a device-tree file cannot be used (fdt_util_load()); fdt_util_load_strerror() says it in
 * words for an error message. */
enum fdt_util_load_result {
    FDT_UTIL_LOAD_OK = 0,
    FDT_UTIL_LOAD_TOO_BIG,    /* the file is larger than the buffer it is to be copied into */
    FDT_UTIL_LOAD_BAD_HEADER, /* shorter than a header, or fdt_check_header() refuses it */
    FDT_UTIL_LOAD_TRUNCATED,  /* the header's totalsize claims more bytes than the file has */
    FDT_UTIL_LOAD_MALFORMED,  /* fdt_util_check() refuses its blocks or structure */
};

/*
 * Copies a device-tree file of file_size bytes (a boot module: any alignment, untrusted) into buf
 * (buf_size bytes, 8-byte aligned for libfdt) and checks that libfdt can walk it there without
 * reading past what was copied: the file fits in buf, its header is sound and its totalsize lies
 * within the file. Returns FDT_UTIL_LOAD_OK, or the first problem found (buf then holds nothing
 * to use). Callable anywhere, no side effects besides buf.
 */
enum fdt_util_load_result fdt_util_load(void *buf, uint64_t buf_size, const void *file,
                                        uint64_t file_size);
/* A short phrase for r ("its header claims more bytes than the file has", ...). */
const char *fdt_util_load_strerror(enum fdt_util_load_result r);
