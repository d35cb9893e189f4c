/* SPDX-License-Identifier: MIT */
/*
 * String port I/O (INS, OUTS, with or without REP) behind an IOIO exit (string_io.c). The exit
 * says the port, the width, the address size and (OUTS) the segment; the VMM does the rest as the
 * CPU would: each element's linear address from the segment and rSI or rDI, the segment's limit
 * (outside 64-bit mode) or the canonical form (in it), the guest's paging with its access rights,
 * then the port, then rSI/rDI by the width (down with RFLAGS.DF) and rCX counted down, in the
 * address size. A fault is injected as the CPU raises it, with the elements before it done: the
 * guest's handler fixes it and the instruction goes on where it stopped.
 */
#pragma once
#include <stdbool.h>
#include <uapi/keel/vcpu.h>
#include "guest_mem.h"

/* The caller's ports: width 1, 2 or 4; false when nothing answers there (a read gives all ones,
 * a write is dropped, as on a bus with nothing on it). */
typedef bool (*string_io_port_fn)(void *ctx, unsigned port, unsigned width, bool write,
                                  uint64_t *value);

enum string_io_end {
    STRING_IO_DONE,    /* the instruction is complete: step over it (exit_info2) */
    STRING_IO_AGAIN,   /* max_elements done, rCX says how many are left: resume at the same
                        * instruction, which the CPU runs again (as after an interrupt) */
    STRING_IO_FAULT,   /* an exception is in s->inject (#GP, #SS, or #PF with CR2 in s->sys) */
    STRING_IO_NOT_RAM, /* the memory operand is not guest RAM: not emulated (at la) */
};

struct string_io_result {
    enum string_io_end end;
    unsigned elements;   /* moved in this exit */
    unsigned unanswered; /* of them, at a port where nothing answered */
    uint64_t la;         /* the linear address of the fault or of the memory that is not RAM */
};

/* Runs the string I/O instruction of the IOIO exit in s (exit_info1 in SVM's format, with the
 * string bit set) for at most max_elements elements. Needs the state's segments
 * (KEEL_VCPU_SYNC_SYS valid); marks them dirty when it sets CR2. */
struct string_io_result string_io(struct vm *vm, struct keel_vcpu_state *s, string_io_port_fn port,
                                  void *ctx, unsigned max_elements);
