/* SPDX-License-Identifier: MIT */
/* Bytes for a guest's randomness (entropy.c): virtio-rng's back end and the seeds the VMM writes
 * into the guest's /chosen (guest_tree_seed). */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct entropy {
    uint64_t state;
};

/* A generator for the VM vm_name, seeded from the counter now and the name. */
void entropy_init(struct entropy *e, const char *vm_name);
/* n bytes; the counter is mixed in again at each call, so no two calls give the same. */
void entropy_fill(struct entropy *e, void *buf, size_t n);
