/* SPDX-License-Identifier: MIT */
/* DMA memory for a program (dma.c): keel,dma = <bytes>, with its physical address. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct keel_progenv;
struct ledger;

/* The program's keel,dma in bytes, rounded up to whole pages, in *bytes (0: none). false after
 * saying why it is not started (not one or two cells, more than KEEL_PROG_DMA_MAX). */
bool dma_size(const void *fdt, int node, const char *prog, uint64_t *bytes);

/* Gives the program (task capability `task`) `bytes` of physically contiguous memory (bytes from
 * dma_size(), not 0), recorded in its ledger, mapped read-write at KEEL_PROG_DMA_VA, and says
 * where in env. 0, or -1 after saying why it must not start. */
int dma_give(const char *prog, uint64_t task, uint64_t bytes, struct ledger *l,
             struct keel_progenv *env);
