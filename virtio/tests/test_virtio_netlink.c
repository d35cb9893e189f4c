// SPDX-License-Identifier: MIT
/*
 * Network links and the switch's forwarding (virtio/netlink.c): the rings' layout both sides
 * derive, indices and lengths as a broken peer can write them, keel,mac from the system tree, and
 * every forwarding decision: unicast to the owner, unknown unicast to the uplink, broadcast and
 * multicast to every other port that is up, and frames whose source is not the sender's own
 * address (a VM sending as another, or as anything else; the outside sending as a VM) dropped.
 */
#include "unit.h"
#include <virtio/netlink.h>
#include <string.h>

static const uint8_t mac1[6] = { 0x02, 0x4b, 0x45, 0x45, 0x4c, 0x01 };
static const uint8_t mac2[6] = { 0x02, 0x4b, 0x45, 0x45, 0x4c, 0x02 };
static const uint8_t mac3[6] = { 0x02, 0x4b, 0x45, 0x45, 0x4c, 0x03 };
static const uint8_t outside[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 }; /* QEMU's slirp */
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mcast[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 }; /* IPv6 all nodes */

static void test_layout(void)
{
    struct netlink_layout a, b;
    /* A cable: the two ends' rings are crossed. */
    CHECK(netlink_layout(0x100000, false, 0, &a));
    CHECK(netlink_layout(0x100000, false, 1, &b));
    CHECK_EQ(a.tx, 0);
    CHECK_EQ(a.rx, 0x80000);
    CHECK_EQ(b.tx, a.rx);
    CHECK_EQ(b.rx, a.tx);
    CHECK_EQ(a.slots, (0x80000 - 64) / NETLINK_SLOT);
    CHECK_EQ(a.slots, b.slots);
    /* A switch link: the header's page first, the VMM's rings whatever its end. */
    CHECK(netlink_layout(0x40000, true, 1, &a));
    CHECK_EQ(a.tx, NETLINK_RINGS);
    CHECK_EQ(a.rx, NETLINK_RINGS + (0x40000 - NETLINK_RINGS) / 2);
    CHECK(a.rx + 64 + (uint64_t)a.slots * NETLINK_SLOT <= 0x40000);
    CHECK(a.tx + 64 + (uint64_t)a.slots * NETLINK_SLOT <= a.rx);
    /* Too small for one slot each way: refused. */
    CHECK(!netlink_layout(NETLINK_RINGS + 2 * (64 + NETLINK_SLOT) - 1, true, 0, &a));
    CHECK_EQ(a.slots, 0);
    CHECK(netlink_layout(NETLINK_RINGS + 2 * (64 + NETLINK_SLOT), true, 0, &a));
    CHECK_EQ(a.slots, 1);
    CHECK(!netlink_layout(0, false, 0, &a));
    CHECK(!netlink_layout(100, true, 0, &a));
}

static void test_pending_len(void)
{
    uint32_t n;
    CHECK(netlink_pending(5, 5, 8, &n) && n == 0);
    CHECK(netlink_pending(13, 5, 8, &n) && n == 8);
    CHECK(!netlink_pending(14, 5, 8, &n));                   /* more than the ring holds */
    CHECK(!netlink_pending(4, 5, 8, &n));                    /* head behind tail */
    CHECK(netlink_pending(2, 0xfffffffeu, 8, &n) && n == 4); /* across the wrap */
    CHECK(!netlink_len_ok(0));
    CHECK(!netlink_len_ok(13));
    CHECK(netlink_len_ok(14));
    CHECK(netlink_len_ok(1518));
    CHECK(!netlink_len_ok(1519));
    CHECK(!netlink_len_ok(0xffffffffu));
}

static void test_mac_parse(void)
{
    uint8_t m[6] = { 0 };
    CHECK(netlink_mac_parse(mac1, 6, m) == NULL);
    CHECK(memcmp(m, mac1, 6) == 0);
    CHECK(netlink_mac_parse(mac1, 5, m) != NULL);
    CHECK(netlink_mac_parse(NULL, 0, m) != NULL);
    CHECK(netlink_mac_parse(bcast, 6, m) != NULL);
    CHECK(netlink_mac_parse(mcast, 6, m) != NULL);
    static const uint8_t zero[6];
    CHECK(netlink_mac_parse(zero, 6, m) != NULL);
}

/* Ports 0 and 1: VMs with mac1, mac2; port 2: the board's NIC. */
static struct netsw sw;

static void setup(void)
{
    memset(&sw, 0, sizeof(sw));
    sw.count = 3;
    memcpy(sw.port[0].mac, mac1, 6);
    memcpy(sw.port[1].mac, mac2, 6);
    sw.port[0].vm = sw.port[1].vm = true;
    sw.port[0].up = sw.port[1].up = sw.port[2].up = true;
    sw.uplink = 2;
}

static enum netsw_verdict route(unsigned src, const uint8_t dst[6], const uint8_t from[6],
                                size_t len, uint32_t *to)
{
    uint8_t f[1600] = { 0 };
    memcpy(f, dst, 6);
    memcpy(f + 6, from, 6);
    f[12] = 0x08; /* IPv4 */
    return netsw_route(&sw, src, f, len, to);
}

static void test_route(void)
{
    uint32_t to;
    setup();
    /* Unicast to the owner, both ways. */
    CHECK_EQ(route(0, mac2, mac1, 98, &to), NETSW_FORWARD);
    CHECK_EQ(to, 1u << 1);
    CHECK_EQ(route(1, mac1, mac2, 98, &to), NETSW_FORWARD);
    CHECK_EQ(to, 1u << 0);
    /* Unknown unicast from a VM: the uplink; from the uplink to a VM: that VM. */
    CHECK_EQ(route(0, outside, mac1, 60, &to), NETSW_FORWARD);
    CHECK_EQ(to, 1u << 2);
    CHECK_EQ(route(2, mac1, outside, 60, &to), NETSW_FORWARD);
    CHECK_EQ(to, 1u << 0);
    /* ... an unknown address from the uplink: nowhere (not back out, not to the VMs). */
    CHECK_EQ(route(2, mac3, outside, 60, &to), NETSW_DROP_NOWHERE);
    CHECK_EQ(to, 0);
    /* Broadcast and multicast: every other port. */
    CHECK_EQ(route(0, bcast, mac1, 42, &to), NETSW_FORWARD);
    CHECK_EQ(to, 1u << 1 | 1u << 2);
    CHECK_EQ(route(2, bcast, outside, 42, &to), NETSW_FORWARD);
    CHECK_EQ(to, 1u << 0 | 1u << 1);
    CHECK_EQ(route(1, mcast, mac2, 90, &to), NETSW_FORWARD);
    CHECK_EQ(to, 1u << 0 | 1u << 2);
    /* To itself: nowhere (no hairpin). */
    CHECK_EQ(route(0, mac1, mac1, 60, &to), NETSW_DROP_NOWHERE);
    /* Lengths: an Ethernet header at least, 1518 bytes at most. */
    CHECK_EQ(route(0, mac2, mac1, 13, &to), NETSW_DROP_RUNT);
    CHECK_EQ(route(0, mac2, mac1, 14, &to), NETSW_FORWARD);
    CHECK_EQ(route(0, mac2, mac1, 1518, &to), NETSW_FORWARD);
    CHECK_EQ(route(0, mac2, mac1, 1519, &to), NETSW_DROP_RUNT);
}

static void test_spoof(void)
{
    uint32_t to;
    setup();
    /* VM 1 sending as VM 0, to anyone: dropped, whatever the destination. */
    CHECK_EQ(route(1, mac1, mac1, 60, &to), NETSW_DROP_SPOOF);
    CHECK_EQ(to, 0);
    CHECK_EQ(route(1, bcast, mac1, 60, &to), NETSW_DROP_SPOOF);
    CHECK_EQ(route(1, outside, mac1, 60, &to), NETSW_DROP_SPOOF);
    /* ... as an address no VM has, or a multicast or zero one: dropped too. */
    CHECK_EQ(route(1, bcast, mac3, 60, &to), NETSW_DROP_SPOOF);
    CHECK_EQ(route(1, mac1, outside, 60, &to), NETSW_DROP_SPOOF);
    CHECK_EQ(route(1, mac1, bcast, 60, &to), NETSW_DROP_SPOOF);
    static const uint8_t zero[6];
    CHECK_EQ(route(1, mac1, zero, 60, &to), NETSW_DROP_SPOOF);
    /* The outside sending as a VM: dropped (a VM's address is only ever its own port's). */
    CHECK_EQ(route(2, mac2, mac1, 60, &to), NETSW_DROP_SPOOF);
    CHECK_EQ(route(2, bcast, mac2, 60, &to), NETSW_DROP_SPOOF);
    /* Its own address still passes. */
    CHECK_EQ(route(1, mac1, mac2, 60, &to), NETSW_FORWARD);
}

static void test_ports_down(void)
{
    uint32_t to;
    setup();
    sw.port[1].up = false; /* a VM port not served (no keel,mac) */
    CHECK_EQ(route(0, mac2, mac1, 60, &to), NETSW_DROP_NOWHERE);
    CHECK_EQ(route(0, bcast, mac1, 60, &to), NETSW_FORWARD);
    CHECK_EQ(to, 1u << 2);
    sw.uplink = -1; /* no board NIC: unknown unicast goes nowhere */
    sw.count = 2;
    sw.port[1].up = true;
    CHECK_EQ(route(0, outside, mac1, 60, &to), NETSW_DROP_NOWHERE);
    CHECK_EQ(route(0, bcast, mac1, 60, &to), NETSW_FORWARD);
    CHECK_EQ(to, 1u << 1);
}

int main(void)
{
    test_layout();
    test_pending_len();
    test_mac_parse();
    test_route();
    test_spoof();
    test_ports_down();
    return unit_done("test_virtio_netlink");
}
