// SPDX-License-Identifier: MIT
/*
 * virtio-net: configuration (MAC, link status), transmit with the header stripped (one buffer or
 * several), oversized and empty frames dropped, receive behind a fresh header (num_buffers = 1),
 * no buffer / too small a buffer / oversized frame dropped and counted, wrong directions and
 * short transmit chains breaking their queue, link changes; a NIC cabled to nothing (no backend
 * tx): no carrier in its status, its transmitted frames used and dropped. Over each transport.
 */
#include "driver.h"
#include "unit.h"
#include <virtio/net.h>

#define F_V1 (1ull << VIRTIO_F_VERSION_1)
#define F_NET (F_V1 | 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS)
enum { RX = 0, TX = 1 };

static uint8_t sent[2048];
static size_t sent_len;
static unsigned sent_count, ready_calls;
static enum drv_transport transport; /* the pass main() runs */

static void tx(void *ctx, const void *frame, size_t len)
{
    CHECK(len <= sizeof(sent));
    memcpy(sent, frame, len);
    sent_len = len;
    sent_count++;
}

static void rx_ready(void *ctx)
{
    ready_calls++;
}

static const struct virtio_net_backend backend = {
    .mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 }, .tx = tx, .rx_ready = rx_ready,
};

struct t {
    struct fake_guest g;
    struct virtio_net net;
    struct drv d;
    uint64_t buf; /* 8 KiB */
};

static void start(struct t *t)
{
    guest_init(&t->g);
    virtio_net_init(&t->net, &t->g.host, &backend);
    drv_attach(&t->d, &t->g, &t->net.dev, transport);
    drv_start(&t->d, F_NET, 2, 16);
    t->buf = drv_alloc(&t->d, 8192, 16);
    sent_len = sent_count = 0;
}

static void frame(uint8_t *p, size_t len, uint8_t seed)
{
    for (size_t i = 0; i < len; i++) {
        p[i] = (uint8_t)(seed + i * 3);
    }
}

static void test_config(void)
{
    struct t t;
    start(&t);
    CHECK_EQ(drv_device_id(&t.d), VIRTIO_ID_NET);
    uint32_t f = drv_device_features(&t.d, 0);
    CHECK(f & 1u << VIRTIO_NET_F_MAC);
    CHECK(f & 1u << VIRTIO_NET_F_STATUS);
    CHECK(!(f & 1u << VIRTIO_NET_F_MRG_RXBUF));
    CHECK(!(f & 1u << VIRTIO_NET_F_CSUM));
    uint64_t v;
    for (unsigned i = 0; i < 6; i++) {
        CHECK(drv_config(&t.d, i, 1, false, &v));
        CHECK_EQ(v, backend.mac[i]);
    }
    CHECK(drv_config(&t.d, 6, 2, false, &v));
    CHECK_EQ(v, VIRTIO_NET_S_LINK_UP);

    uint32_t gen = drv_config_generation(&t.d);
    virtio_net_set_link(&t.net, false);
    CHECK(drv_config(&t.d, 6, 2, false, &v));
    CHECK_EQ(v, 0);
    CHECK_EQ(drv_config_generation(&t.d), gen + 1);
    CHECK_EQ(drv_isr(&t.d), VIRTIO_ISR_CONFIG);
    CHECK_EQ(t.g.irqs, 1);
    CHECK(guest_fini(&t.g));
}

static void test_transmit(void)
{
    struct t t;
    uint32_t id, len;
    start(&t);
    /* Header and frame in one buffer. */
    uint8_t *p = gptr(&t.g, t.buf);
    memset(p, 0, VIRTIO_NET_HDR_SIZE);
    frame(p + VIRTIO_NET_HDR_SIZE, 60, 1);
    struct drv_buf one[] = { { t.buf, VIRTIO_NET_HDR_SIZE + 60, false } };
    uint16_t head = drv_add(&t.d, TX, one, 1);
    drv_kick(&t.d, TX);
    CHECK_EQ(sent_count, 1);
    CHECK_EQ(sent_len, 60);
    CHECK(memcmp(sent, p + VIRTIO_NET_HDR_SIZE, 60) == 0);
    CHECK(drv_used(&t.d, TX, &id, &len));
    CHECK_EQ(id, head);
    CHECK_EQ(len, 0);
    CHECK_EQ(t.g.irqs, 1);

    /* Header alone, then a full-size frame over three buffers (header split too). */
    uint8_t *q = gptr(&t.g, t.buf + 4096);
    frame(q, VIRTIO_NET_MAX_FRAME, 9);
    struct drv_buf three[] = {
        { t.buf, 5, false }, { t.buf + 5, 7, false }, { t.buf + 4096, VIRTIO_NET_MAX_FRAME, false },
    };
    drv_add(&t.d, TX, three, 3);
    drv_kick(&t.d, TX);
    CHECK_EQ(sent_count, 2);
    CHECK_EQ(sent_len, VIRTIO_NET_MAX_FRAME);
    CHECK(memcmp(sent, q, VIRTIO_NET_MAX_FRAME) == 0);

    /* Too big (dropped, logged), and empty (dropped): the queue goes on. */
    struct drv_buf big[] = { { t.buf, VIRTIO_NET_HDR_SIZE, false },
                             { t.buf + 4096, VIRTIO_NET_MAX_FRAME + 1, false } };
    struct drv_buf empty[] = { { t.buf, VIRTIO_NET_HDR_SIZE, false } };
    drv_add(&t.d, TX, big, 2);
    drv_add(&t.d, TX, empty, 1);
    drv_kick(&t.d, TX);
    CHECK_EQ(sent_count, 2);
    CHECK_EQ(t.net.tx_dropped, 2);
    CHECK_EQ(t.net.tx_frames, 2);
    CHECK_EQ(t.g.logs, 1);
    CHECK(guest_logged(&t.g, "1519 bytes dropped"));
    CHECK_EQ(drv_status(&t.d) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
    for (unsigned i = 0; i < 3; i++) {
        CHECK(drv_used(&t.d, TX, &id, &len));
    }
    CHECK(guest_fini(&t.g));
}

static void test_transmit_broken(void)
{
    for (unsigned k = 0; k < 2; k++) {
        struct t t;
        start(&t);
        struct drv_buf writable[] = { { t.buf, 64, false }, { t.buf + 64, 64, true } };
        struct drv_buf tiny[] = { { t.buf, VIRTIO_NET_HDR_SIZE - 1, false } };
        if (k == 0) {
            drv_add(&t.d, TX, writable, 2);
        } else {
            drv_add(&t.d, TX, tiny, 1);
        }
        drv_kick(&t.d, TX);
        CHECK_EQ(sent_count, 0);
        CHECK_EQ(t.g.logs, 1);
        CHECK(guest_logged(&t.g, k == 0 ? "device-writable" : "shorter than the header"));
        CHECK(drv_status(&t.d) & VIRTIO_CONFIG_S_NEEDS_RESET);
        CHECK(guest_fini(&t.g));
    }
}

static void test_receive(void)
{
    struct t t;
    uint32_t id, len;
    uint8_t f[VIRTIO_NET_MAX_FRAME + 1];
    frame(f, sizeof(f), 5);
    start(&t);
    CHECK(!virtio_net_rx(&t.net, f, 100)); /* no buffer */
    CHECK_EQ(t.net.rx_dropped, 1);

    /* One buffer for header and frame; it held garbage before. */
    memset(gptr(&t.g, t.buf), 0xcc, 2048);
    struct drv_buf one[] = { { t.buf, 1526, true } };
    uint16_t head = drv_add(&t.d, RX, one, 1);
    drv_kick(&t.d, RX);
    CHECK_EQ(ready_calls, 1);
    CHECK(virtio_net_rx(&t.net, f, 100));
    CHECK(drv_used(&t.d, RX, &id, &len));
    CHECK_EQ(id, head);
    CHECK_EQ(len, VIRTIO_NET_HDR_SIZE + 100);
    struct virtio_net_hdr_v1 *h = gptr(&t.g, t.buf);
    static const uint8_t hdr[VIRTIO_NET_HDR_SIZE] = { [10] = 1 }; /* all zero but num_buffers = 1 */
    CHECK(memcmp(h, hdr, sizeof(hdr)) == 0);
    CHECK_EQ(h->num_buffers, 1);
    CHECK(memcmp((uint8_t *)h + VIRTIO_NET_HDR_SIZE, f, 100) == 0);
    CHECK_EQ(((uint8_t *)h)[VIRTIO_NET_HDR_SIZE + 100], 0xcc);
    CHECK_EQ(t.g.irqs, 1);

    /* Header and frame in separate buffers, a full-size frame. */
    struct drv_buf two[] = { { t.buf + 4096, VIRTIO_NET_HDR_SIZE, true },
                             { t.buf + 6000, 1600, true } };
    drv_add(&t.d, RX, two, 2);
    CHECK(virtio_net_rx(&t.net, f, VIRTIO_NET_MAX_FRAME));
    CHECK(drv_used(&t.d, RX, &id, &len));
    CHECK_EQ(len, VIRTIO_NET_HDR_SIZE + VIRTIO_NET_MAX_FRAME);
    CHECK(memcmp(gptr(&t.g, t.buf + 6000), f, VIRTIO_NET_MAX_FRAME) == 0);
    CHECK_EQ(t.net.rx_frames, 2);

    /* An oversized frame does not take a buffer; a small buffer is given back empty. */
    struct drv_buf small[] = { { t.buf, 64, true } };
    drv_add(&t.d, RX, small, 1);
    CHECK(!virtio_net_rx(&t.net, f, VIRTIO_NET_MAX_FRAME + 1));
    CHECK(!drv_used(&t.d, RX, &id, &len));
    CHECK_EQ(t.g.logs, 0);
    CHECK(!virtio_net_rx(&t.net, f, 100));
    CHECK(drv_used(&t.d, RX, &id, &len));
    CHECK_EQ(len, 0);
    CHECK(guest_logged(&t.g, "too small"));
    CHECK_EQ(t.net.rx_dropped, 3);
    /* Room for the frame but not for the header before it: given back empty too. */
    struct drv_buf no_header[] = { { t.buf, 100, true } };
    drv_add(&t.d, RX, no_header, 1);
    CHECK(!virtio_net_rx(&t.net, f, 100));
    CHECK(drv_used(&t.d, RX, &id, &len));
    CHECK_EQ(len, 0);
    CHECK_EQ(t.net.rx_dropped, 4);
    CHECK_EQ(drv_status(&t.d) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
    CHECK(guest_fini(&t.g));

    /* A device-readable receive buffer breaks the receiveq. */
    start(&t);
    struct drv_buf bad[] = { { t.buf, 1526, false } };
    drv_add(&t.d, RX, bad, 1);
    CHECK(!virtio_net_rx(&t.net, f, 100));
    CHECK(guest_logged(&t.g, "device-readable"));
    CHECK(drv_status(&t.d) & VIRTIO_CONFIG_S_NEEDS_RESET);
    CHECK(!virtio_net_rx(&t.net, f, 100));
    CHECK_EQ(t.g.logs, 1);
    CHECK(guest_fini(&t.g));
}

/* A NIC cabled to nothing: the driver finds no carrier; what it sends anyway is taken (the
 * buffers come back) and dropped. */
static void test_no_link(void)
{
    static const struct virtio_net_backend none = { .mac = { 0x02, 0, 0, 0, 0, 9 } };
    struct t t;
    uint32_t id, len;
    guest_init(&t.g);
    virtio_net_init(&t.net, &t.g.host, &none);
    drv_attach(&t.d, &t.g, &t.net.dev, transport);
    drv_start(&t.d, F_NET, 2, 16);
    t.buf = drv_alloc(&t.d, 8192, 16);
    uint32_t f = drv_device_features(&t.d, 0);
    CHECK(f & 1u << VIRTIO_NET_F_STATUS);
    uint64_t v;
    CHECK(drv_config(&t.d, 6, 2, false, &v));
    CHECK_EQ(v & VIRTIO_NET_S_LINK_UP, 0);
    CHECK(drv_config(&t.d, 5, 1, false, &v));
    CHECK_EQ(v, 9);
    uint8_t *p = gptr(&t.g, t.buf);
    memset(p, 0, VIRTIO_NET_HDR_SIZE);
    frame(p + VIRTIO_NET_HDR_SIZE, 60, 1);
    struct drv_buf one[] = { { t.buf, VIRTIO_NET_HDR_SIZE + 60, false } };
    uint16_t head = drv_add(&t.d, TX, one, 1);
    drv_kick(&t.d, TX);
    CHECK(drv_used(&t.d, TX, &id, &len));
    CHECK_EQ(id, head);
    CHECK_EQ(t.net.tx_frames, 0);
    CHECK_EQ(t.net.tx_dropped, 1);
    CHECK(!(drv_status(&t.d) & VIRTIO_CONFIG_S_NEEDS_RESET));
    /* Nothing comes in either: its receive buffers stay the guest's. */
    struct drv_buf rx[] = { { t.buf + 4096, 2048, true } };
    drv_add(&t.d, RX, rx, 1);
    drv_kick(&t.d, RX);
    CHECK(!drv_used(&t.d, RX, &id, &len));
    CHECK(guest_fini(&t.g));
}

int main(void)
{
    for (transport = DRV_MMIO; transport < DRV_TRANSPORTS; transport++) {
        printf("transport: %s\n", drv_transport_name(transport));
        ready_calls = 0;
        test_config();
        test_transmit();
        test_transmit_broken();
        test_receive();
        test_no_link();
        CHECK_EQ(drv_failures, 0);
    }
    return unit_done("test_virtio_net");
}
