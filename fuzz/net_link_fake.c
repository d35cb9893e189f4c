// SPDX-License-Identifier: MIT
/*
 * Network links for the VMM's fuzz targets: every link a VM device tree names exists, and what
 * is sent on it goes nowhere (the links' shared memory and doorbells need the kernel).
 */
#include "net_link.h"
#include <string.h>

struct net_link {
    unsigned opened;
};

static struct net_link the_link;

struct net_link *net_link_open(struct vm *vm, const char *name, bool to_switch, uint8_t mac[6],
                               bool (*deliver)(void *ctx, const void *frame, size_t len),
                               void (*link_state)(void *ctx, bool up), void *ctx,
                               struct vm_lock *lock)
{
    (void)link_state;
    static const uint8_t switch_mac[6] = { 0x02, 0x4b, 0x45, 0x45, 0x4c, 0x7f };
    if (to_switch) {
        memcpy(mac, switch_mac, 6); /* (what a switch would say) */
    }
    the_link.opened++;
    return &the_link;
}

bool net_link_send(struct net_link *l, const void *frame, size_t len)
{
    return true;
}

void net_link_poke(struct net_link *l)
{
}

bool net_link_up(struct net_link *l)
{
    return true;
}
