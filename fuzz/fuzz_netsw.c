// SPDX-License-Identifier: MIT
/*
 * Fuzz target netsw: the network switch's decisions (virtio/netlink.c): netsw_route() over
 * switches and frames the input makes, and the link checks a switch and a VMM make on what the
 * other side wrote (netlink_layout, netlink_pending, netlink_len_ok, netlink_mac_parse).
 *
 * Input: count byte (1 + count % NETSW_MAX_PORTS ports), uplink byte (that port is the board's
 * NIC when below count, else there is none), then per port 6 MAC bytes and a flags byte (bit 0:
 * up); then operations:
 *   0 src len16 bytes...    a frame of len % 1600 bytes (0 past the input's end) in on port src
 *   1 size64 end            a link's layout, both kinds
 *   2 head32 tail32 slots32 a ring's pending count
 *   3 mac bytes[6]          keel,mac
 *
 * Checked besides the sanitizers: a frame is forwarded iff it goes somewhere; only to ports that
 * exist and are up, never back to its own; from a VM only with that VM's own address as its
 * source, and no frame (from anywhere) with another VM's; unicast to the one VM with that
 * address, or, when no VM has it, only to the uplink; wrong lengths never forwarded. Layouts
 * inside the link, the two rings apart; pending counts as the ring allows.
 */
#include "fuzz.h"
#include <string.h>
#include <virtio/netlink.h>

enum { OP_FRAME, OP_LAYOUT, OP_PENDING, OP_MAC, OPS };

static void check_route(const struct netsw *sw, unsigned src, const uint8_t *f, size_t len)
{
    uint32_t to;
    enum netsw_verdict v = netsw_route(sw, src, f, len, &to);
    FUZZ_CHECK((v == NETSW_FORWARD) == (to != 0));
    FUZZ_CHECK(netsw_verdict_str(v) != NULL);
    if (len < NETLINK_ETH_HDR || len > NETLINK_FRAME_MAX) {
        FUZZ_CHECK(v == NETSW_DROP_RUNT);
        return;
    }
    if (v != NETSW_FORWARD) {
        return;
    }
    FUZZ_CHECK((to & ~((1u << sw->count) - 1)) == 0);
    FUZZ_CHECK(!(to & 1u << src));
    int owner = -1;
    for (unsigned i = 0; i < sw->count; i++) {
        const struct netsw_port *p = &sw->port[i];
        FUZZ_CHECK(!(to & 1u << i) || p->up);
        if (p->vm && i != src) {
            FUZZ_CHECK(memcmp(p->mac, f + 6, 6) != 0); /* never as another VM */
        }
        if (p->vm && memcmp(p->mac, f, 6) == 0) {
            owner = (int)i;
        }
    }
    if (sw->port[src].vm) {
        FUZZ_CHECK(memcmp(sw->port[src].mac, f + 6, 6) == 0);
    }
    if (!(f[0] & 1)) { /* unicast: one port */
        FUZZ_CHECK((to & (to - 1)) == 0);
        if (owner >= 0) {
            FUZZ_CHECK(to == 1u << owner);
        } else {
            FUZZ_CHECK(sw->uplink >= 0 && to == 1u << sw->uplink && sw->port[src].vm);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = fuzz_in_init(data, size);
    struct netsw sw = { .count = 1 + fuzz_u8(&in) % NETSW_MAX_PORTS };
    unsigned up = fuzz_u8(&in);
    sw.uplink = up < sw.count ? (int)up : -1;
    for (unsigned i = 0; i < sw.count; i++) {
        for (unsigned b = 0; b < 6; b++) {
            sw.port[i].mac[b] = fuzz_u8(&in);
        }
        sw.port[i].up = fuzz_u8(&in) & 1;
        sw.port[i].vm = (int)i != sw.uplink;
    }
    static uint8_t frame[1600];
    while (!fuzz_done(&in)) {
        switch (fuzz_u8(&in) % OPS) {
        case OP_FRAME: {
            unsigned src = fuzz_u8(&in) % sw.count;
            size_t len = fuzz_u16(&in) % sizeof(frame);
            for (size_t i = 0; i < len; i++) {
                frame[i] = fuzz_u8(&in);
            }
            check_route(&sw, src, frame, len);
            break;
        }
        case OP_LAYOUT: {
            uint64_t link = fuzz_u64(&in);
            unsigned end = fuzz_u8(&in) & 1;
            for (int kind = 0; kind < 2; kind++) {
                struct netlink_layout l;
                if (!netlink_layout(link, kind, end, &l)) {
                    FUZZ_CHECK(l.slots == 0);
                    continue;
                }
                uint64_t ring = sizeof(struct netlink_ring) + (uint64_t)l.slots * NETLINK_SLOT;
                FUZZ_CHECK(l.slots > 0);
                FUZZ_CHECK(l.tx + ring <= link && l.rx + ring <= link);
                FUZZ_CHECK(l.tx + ring <= l.rx || l.rx + ring <= l.tx);
                FUZZ_CHECK(!kind || (l.tx >= NETLINK_RINGS && l.rx >= NETLINK_RINGS));
            }
            break;
        }
        case OP_PENDING: {
            uint32_t head = fuzz_u32(&in), tail = fuzz_u32(&in), slots = fuzz_u32(&in), n;
            bool ok = netlink_pending(head, tail, slots, &n);
            FUZZ_CHECK(!ok || (n <= slots && tail + n == head));
            break;
        }
        default: {
            uint8_t m[6], out[6];
            for (unsigned b = 0; b < 6; b++) {
                m[b] = fuzz_u8(&in);
            }
            if (netlink_mac_parse(m, 6, out) == NULL) {
                FUZZ_CHECK(memcmp(m, out, 6) == 0 && !(m[0] & 1));
            }
            break;
        }
        }
    }
    return 0;
}
