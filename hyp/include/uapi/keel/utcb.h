/* SPDX-License-Identifier: MIT */
/*
 * The user thread control block: one per thread, inside its task's UTCB area, KEEL_UTCB_SIZE
 * bytes, aligned to its size. The kernel copies message registers UTCB to UTCB.
 */
#pragma once
#include <stdint.h>

#define KEEL_MR_COUNT 64  /* message registers: words, then typed items (2 words each) */
#define KEEL_BR_COUNT 32  /* buffer registers: receive windows */
#define KEEL_TCR_COUNT 32 /* thread control registers */
#define KEEL_UTCB_SIZE 1024
/* An IPC's typed items map at most this much in all (EMSGSIZE beyond): an IPC does bounded work
 * in the kernel; Task MAP, which is preemptible, has no such limit. */
#define KEEL_ITEMS_MAX_PAGES 512 /* memory: 2 MiB of 4 KiB pages */
#define KEEL_ITEMS_MAX_CAPS 512  /* capability slots */

enum keel_br {
    KEEL_BR_MEM = 0, /* receive window for memory flexpages (0: none) */
    KEEL_BR_CAP = 1, /* receive window for capability flexpages (0: none) */
};

enum keel_tcr {
    KEEL_TCR_ERROR = 0,     /* error code of the last failed IPC (keel_err) */
    KEEL_TCR_USER0 = 1,     /* free for the runtime (thread-local pointer) */
    KEEL_TCR_USER1 = 2,
    KEEL_TCR_ITEMS_RCVD = 3, /* number of typed items the last receive mapped */
};

struct keel_utcb {
    uint64_t mr[KEEL_MR_COUNT];
    uint64_t br[KEEL_BR_COUNT];
    uint64_t tcr[KEEL_TCR_COUNT];
};

_Static_assert(sizeof(struct keel_utcb) == KEEL_UTCB_SIZE, "UTCB layout");
