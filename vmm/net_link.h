/* SPDX-License-Identifier: MIT */
/*
 * A virtual network cable between two VMMs (net_link.c): a shared-memory link of the system
 * device tree (keel,links) carrying Ethernet frames both ways, and its doorbells.
 */
#pragma once
#include "vm.h"
#include <stddef.h>

struct net_link;

/* Opens the link named name for the VM; deliver(ctx, frame, len) is called (with lock, the
 * receiving device's, held) with each frame the peer sent, and returns false to leave it queued
 * (no guest buffer yet). to_switch: the other end is the switch (user/netsw), which says the
 * guest's MAC address in the link's header: it waits for it (10 s at most) and puts it in mac.
 * link_state(ctx, up) (with lock held) says the other end (the switch, or a cable's VMM) ended
 * or restarts (down) and is back (up): the guest's carrier; net_link_up() its state at the start. NULL
 * (with a message) when there is no such link, or no switch header on it. */
struct net_link *net_link_open(struct vm *vm, const char *name, bool to_switch, uint8_t mac[6],
                               bool (*deliver)(void *ctx, const void *frame, size_t len),
                               void (*link_state)(void *ctx, bool up), void *ctx,
                               struct vm_lock *lock);
/* Whether the link is up now (down while the other end does not run). */
bool net_link_up(struct net_link *l);
/* Sends a frame to the peer; false when its ring is full (the frame is dropped). */
bool net_link_send(struct net_link *l, const void *frame, size_t len);
/* The receiving side can take frames again (e.g. the guest gave buffers): look at the ring. */
void net_link_poke(struct net_link *l);
