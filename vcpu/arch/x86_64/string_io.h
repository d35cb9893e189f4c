/* SPDX-License-Identifier: MIT */
/*
 * String port I/O (INS, OUTS, with or without REP) behind an IOIO exit (string_io.c). The exit
 * says the port, the width and the direction; the segment and the address size come from the
 * instruction's prefixes, read back at cs:rip (SVM gives them only with decode assists, which
 * QEMU does not have; VT-x only with IA32_VMX_BASIC[54]). The VMM does the rest as the CPU would: each element's linear address from the segment and rSI or rDI, the segment's limit
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
    STRING_IO_DONE,  /* the instruction is complete: step over it (exit_info2) */
    STRING_IO_AGAIN, /* max_elements done, rCX says how many are left: resume at the same
                      * instruction, which the CPU runs again (as after an interrupt) */
    STRING_IO_FAULT, /* an exception is in s->inject (#GP, #SS, or #PF with CR2 in s->sys) */
    STRING_IO_RETRY, /* no string I/O instruction at cs:rip any more (another vCPU changed it or
                      * its mapping): nothing done, resume there and let the CPU run what is */
};

struct string_io_result {
    enum string_io_end end;
    unsigned elements;   /* moved in this exit */
    unsigned unanswered; /* of them, at a port where nothing answered */
    unsigned not_ram;    /* of them, with memory that is not RAM: read as all ones, written to
                          * nowhere (device memory is not reached by string I/O) */
    uint64_t la;         /* the linear address of the fault, or of the first memory not RAM */
};

/* Runs the string I/O instruction of the IOIO exit in s (exit_info1 in SVM's format, with the
 * string bit set) for at most max_elements elements (at least one). Needs the state's segments
 * (KEEL_VCPU_SYNC_SYS valid); marks them dirty when it sets CR2. */
struct string_io_result string_io(struct vm *vm, struct keel_vcpu_state *s, string_io_port_fn port,
                                  void *ctx, unsigned max_elements);
