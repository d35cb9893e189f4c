// SPDX-License-Identifier: MIT
/*
 * A guest's randomness (entropy.h). Keel has no entropy source of its own yet (docs/vmm.md,
 * "Randomness"): the state is the counter's value when the VM is made, hashed with the VM's name,
 * and the counter is mixed in again at every request; each 8 bytes are one splitmix64 step.
 * Different between VMs, boots and requests, and unpredictable only as far as the counter's low
 * bits are: good to seed a guest's RNG and KASLR against accidents, not against an attacker.
 */
#include "entropy.h"
#include <keel/sys.h>
#include <string.h>

void entropy_init(struct entropy *e, const char *vm_name)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (const char *p = vm_name; p && *p; p++) {
        h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
    }
    e->state = h ^ keel_cycles();
}

void entropy_fill(struct entropy *e, void *buf, size_t n)
{
    uint8_t *p = buf;
    e->state ^= keel_cycles();
    while (n) {
        uint64_t z = (e->state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        size_t k = n < sizeof(z) ? n : sizeof(z);
        memcpy(p, &z, k);
        p += k, n -= k;
    }
}
