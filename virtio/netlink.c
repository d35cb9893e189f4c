// SPDX-License-Identifier: MIT
// Network links' layout and the switch's forwarding (see virtio/include/virtio/netlink.h).
#include <virtio/netlink.h>
#include <string.h>

_Static_assert(sizeof(struct netlink_header) == 64, "header layout");
_Static_assert(sizeof(struct netlink_ring) == 64, "ring indices fill a cache line");
_Static_assert(NETLINK_SLOT_HDR + NETLINK_FRAME_MAX <= NETLINK_SLOT, "a frame fits a slot");

bool netlink_layout(uint64_t link_size, bool switch_link, unsigned end, struct netlink_layout *l)
{
    uint64_t start = switch_link ? NETLINK_RINGS : 0;
    uint64_t half = link_size > start ? (link_size - start) / 2 : 0;
    uint64_t slots = half > sizeof(struct netlink_ring)
                         ? (half - sizeof(struct netlink_ring)) / NETLINK_SLOT
                         : 0;
    if (slots == 0 || slots > UINT32_MAX / 2) {
        *l = (struct netlink_layout){ 0 };
        return false;
    }
    bool second = !switch_link && end != 0;
    l->tx = start + (second ? half : 0);
    l->rx = start + (second ? 0 : half);
    l->slots = (uint32_t)slots;
    return true;
}

bool netlink_pending(uint32_t head, uint32_t tail, uint32_t slots, uint32_t *n)
{
    *n = head - tail; /* (free-running: wraps at 2^32 alike on both sides) */
    return *n <= slots;
}

bool netlink_len_ok(uint32_t len)
{
    return len >= NETLINK_ETH_HDR && len <= NETLINK_FRAME_MAX;
}

const char *netlink_mac_parse(const void *prop, int len, uint8_t mac[6])
{
    static const uint8_t zero[6];
    if (!prop || len != 6) {
        return "keel,mac is not 6 bytes ([02 00 00 00 00 01])";
    }
    if (((const uint8_t *)prop)[0] & 1) {
        return "keel,mac is a multicast address";
    }
    if (memcmp(prop, zero, 6) == 0) {
        return "keel,mac is all zero";
    }
    memcpy(mac, prop, 6);
    return NULL;
}

enum netsw_verdict netsw_route(const struct netsw *sw, unsigned src, const uint8_t *frame,
                               size_t len, uint32_t *to)
{
    *to = 0;
    if (len < NETLINK_ETH_HDR || len > NETLINK_FRAME_MAX) {
        return NETSW_DROP_RUNT;
    }
    const uint8_t *dst_mac = frame, *src_mac = frame + 6;
    const struct netsw_port *in = &sw->port[src];
    int owner = -1; /* the VM port whose address dst_mac is */
    for (unsigned i = 0; i < sw->count; i++) {
        const struct netsw_port *p = &sw->port[i];
        if (!p->vm) {
            continue;
        }
        if (memcmp(p->mac, src_mac, 6) == 0 && i != src) {
            return NETSW_DROP_SPOOF; /* another VM's address, from a VM or from outside */
        }
        if (memcmp(p->mac, dst_mac, 6) == 0) {
            owner = (int)i;
        }
    }
    if (in->vm && memcmp(in->mac, src_mac, 6) != 0) {
        return NETSW_DROP_SPOOF;
    }
    uint32_t up = 0;
    for (unsigned i = 0; i < sw->count; i++) {
        up |= sw->port[i].up ? 1u << i : 0;
    }
    if (dst_mac[0] & 1) { /* broadcast, multicast */
        *to = up & ~(1u << src);
    } else if (owner >= 0) {
        *to = up & (1u << owner) & ~(1u << src);
    } else if (sw->uplink >= 0 && in->vm) {
        *to = up & 1u << sw->uplink; /* not a VM's: outside */
    }
    return *to ? NETSW_FORWARD : NETSW_DROP_NOWHERE;
}

const char *netsw_verdict_str(enum netsw_verdict v)
{
    switch (v) {
    case NETSW_FORWARD:
        return "forwarded";
    case NETSW_DROP_RUNT:
        return "not an Ethernet frame of 14 to 1518 bytes";
    case NETSW_DROP_SPOOF:
        return "source address not its own";
    case NETSW_DROP_NOWHERE:
        return "no port to go to";
    }
    return "?";
}
