/* SPDX-License-Identifier: MIT */
/*
 * Network links (docs/devices.md, "The network switch"): how Ethernet frames travel over a
 * shared-memory link of the system tree (keel,links; keel/progenv.h), and the switch's
 * forwarding decisions. Pure functions over the shared memory's layout and over frames: the VMM
 * (vmm/net_link.c), the switch (user/netsw) and the host tests (virtio/tests/test_virtio_netlink.c)
 * use them.
 *
 * A ring carries frames one way: a single-producer, single-consumer array of NETLINK_SLOT-byte
 * slots { uint32_t len; uint32_t reserved; frame } with free-running head (producer) and tail
 * (consumer) indices; slot = index % slots. A side reads the other's index once and checks it
 * (netlink_pending), and reads a slot's length once and checks it before it copies the frame.
 *
 * A cable between two VMMs (no keel,net-switch): the link's memory in two halves, one ring each;
 * end 0 sends in the first half.
 *
 * A switch link (the VM tree's node has keel,net-switch):
 *   +---------------------------+ 0
 *   | struct netlink_header     |  written by the switch (magic last), read by the VMM
 *   +---------------------------+ NETLINK_RINGS (one page)
 *   | ring: VMM -> switch       |  netlink_layout(): the rest split in two equal rings
 *   +---------------------------+
 *   | ring: switch -> VMM       |
 *   +---------------------------+
 * The switch writes the VM's MAC address (the link node's keel,mac in the system tree) into the
 * header; the VMM offers it to its guest (VIRTIO_NET_F_MAC) and never chooses one itself. The
 * switch forwards a frame from the VM only if its source address is that MAC.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETLINK_MAGIC 0x3154454e4c45454bull /* "KEELNET1" */
#define NETLINK_SLOT 2048u
#define NETLINK_SLOT_HDR 8u
#define NETLINK_RINGS 4096u     /* a switch link's rings start after its header's page */
#define NETLINK_ETH_HDR 14u     /* destination, source, type */
#define NETLINK_FRAME_MAX 1518u /* Ethernet header, 1500 bytes, a VLAN tag (virtio-net's) */

struct netlink_header {
    uint64_t magic;      /* NETLINK_MAGIC once the rest is valid (written last) */
    uint32_t version;    /* 1 */
    uint32_t generation; /* the switch's start count */
    uint8_t mac[6];      /* the VM's address: the only source the switch forwards from it */
    uint8_t reserved0[2];
    uint32_t slots; /* per ring (what netlink_layout() gave the switch; the VMM derives its own) */
    uint32_t reserved1;
    uint64_t epoch; /* the switch's run (its own_epoch, keel/progenv.h), written before magic: the
                     * VMM takes the header only while its peer_epoch is this */
    uint32_t reserved[6];
};

struct netlink_ring {
    uint32_t head; /* written by the producer only */
    uint32_t tail; /* written by the consumer only */
    uint8_t pad[56];
    uint8_t slots[]; /* slots * NETLINK_SLOT */
};

/* Where the rings of a link of a given size are (offsets from the link's start). */
struct netlink_layout {
    uint64_t tx, rx; /* cable: end 0's sending and receiving rings; switch link: the VMM's */
    uint32_t slots;  /* per ring; 0 when the link is too small for one slot each way */
};

/* A cable's layout for end (0 or 1), or a switch link's for the VMM (to_switch: tx is the VMM ->
 * switch ring). The switch uses netlink_layout(size, true, ..) and swaps tx and rx. false when
 * the link is too small. */
bool netlink_layout(uint64_t link_size, bool switch_link, unsigned end, struct netlink_layout *l);

/* How many frames the producer has posted that the consumer has not taken (head and tail as read
 * from the link). false (a broken peer) when that is more than the ring holds. */
bool netlink_pending(uint32_t head, uint32_t tail, uint32_t slots, uint32_t *n);

/* A slot's frame length as read (once) from the ring: whether it is a frame worth passing on
 * (an Ethernet header at least, NETLINK_FRAME_MAX at most). */
bool netlink_len_ok(uint32_t len);

/* A VM's MAC address from keel,mac (prop, len bytes as in the tree): 6 bytes, unicast (bit 0
 * of the first byte clear), not all zero. NULL with mac filled, or why it is refused. */
const char *netlink_mac_parse(const void *prop, int len, uint8_t mac[6]);

/* ---- The switch's forwarding (user/netsw) ---- */

#define NETSW_MAX_PORTS 8u

struct netsw_port {
    uint8_t mac[6]; /* a VM port's address (from the system tree); unused for the uplink */
    bool vm;        /* a VM's link; false: the board's NIC (the uplink) */
    bool up;        /* served: frames go to it */
};

struct netsw {
    struct netsw_port port[NETSW_MAX_PORTS];
    unsigned count;
    int uplink; /* the board NIC's port, or -1 */
};

enum netsw_verdict {
    NETSW_FORWARD,      /* to the ports in *to */
    NETSW_DROP_RUNT,    /* shorter than an Ethernet header, or longer than NETLINK_FRAME_MAX */
    NETSW_DROP_SPOOF,   /* a VM's frame with another source address; or one from the uplink
                           with a VM's address as its source */
    NETSW_DROP_NOWHERE, /* no port to go to (its own address, no uplink, ports down) */
};

/*
 * Where the frame (len bytes, a copy the switch made: read once) that came in on port src goes:
 * unicast to the VM port with that address, or to the uplink when no VM has it (never back to
 * src, and an unknown address from the uplink goes nowhere); broadcast and multicast to every
 * other port that is up. *to: a bit per port.
 */
enum netsw_verdict netsw_route(const struct netsw *sw, unsigned src, const uint8_t *frame,
                               size_t len, uint32_t *to);
const char *netsw_verdict_str(enum netsw_verdict v);
