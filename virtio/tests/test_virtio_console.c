// SPDX-License-Identifier: MIT
/*
 * virtio-console: output chains (one and several buffers) reach the backend in order; input
 * fills the guest's receive buffers, returns what it took, interrupts; wrong-direction chains
 * break their queue; nothing moves before the driver is ready. Over each transport.
 */
#include "driver.h"
#include "unit.h"
#include <virtio/console.h>

#define F_V1 (1ull << VIRTIO_F_VERSION_1)
enum { RX = 0, TX = 1 };

static char out[256];
static size_t out_len;
static unsigned ready_calls;
static enum drv_transport transport; /* the pass main() runs */

static void write_out(void *ctx, const char *buf, size_t n)
{
    CHECK(out_len + n < sizeof(out));
    memcpy(out + out_len, buf, n);
    out_len += n;
}

static void input_ready(void *ctx)
{
    ready_calls++;
}

static const struct virtio_console_backend backend = { .write = write_out,
                                                       .input_ready = input_ready };

struct t {
    struct fake_guest g;
    struct virtio_console con;
    struct drv d;
    uint64_t buf;
};

static void start(struct t *t, bool ready)
{
    guest_init(&t->g);
    virtio_console_init(&t->con, &t->g.host, &backend);
    drv_attach(&t->d, &t->g, &t->con.dev, transport);
    if (ready) {
        drv_start(&t->d, F_V1, 2, 8);
    }
    t->buf = drv_alloc(&t->d, 4096, 16);
    out_len = 0;
}

static uint64_t put(struct t *t, uint64_t off, const char *s)
{
    memcpy(gptr(&t->g, t->buf + off), s, strlen(s));
    return t->buf + off;
}

static void test_output(void)
{
    struct t t;
    uint32_t id, len;
    start(&t, true);
    CHECK_EQ(drv_device_id(&t.d), VIRTIO_ID_CONSOLE);
    struct drv_buf one[] = { { put(&t, 0, "hello "), 6, false } };
    struct drv_buf two[] = { { put(&t, 100, "wor"), 3, false },
                             { put(&t, 200, "ld\n"), 3, false } };
    uint16_t h1 = drv_add(&t.d, TX, one, 1);
    uint16_t h2 = drv_add(&t.d, TX, two, 2);
    drv_kick(&t.d, TX);
    CHECK_EQ(out_len, 12);
    CHECK(memcmp(out, "hello world\n", 12) == 0);
    CHECK(drv_used(&t.d, TX, &id, &len));
    CHECK_EQ(id, h1);
    CHECK_EQ(len, 0); /* nothing written into the guest's buffers */
    CHECK(drv_used(&t.d, TX, &id, &len));
    CHECK_EQ(id, h2);
    CHECK_EQ(t.g.irqs, 1);
    CHECK_EQ(t.con.tx_bytes, 12);
    CHECK_EQ(t.g.logs, 0);
    CHECK(guest_fini(&t.g));

    /* A device-writable buffer on the transmitq breaks it. */
    start(&t, true);
    struct drv_buf bad[] = { { put(&t, 0, "x"), 1, false }, { t.buf + 8, 8, true } };
    drv_add(&t.d, TX, bad, 2);
    drv_kick(&t.d, TX);
    CHECK_EQ(out_len, 0);
    CHECK_EQ(t.g.logs, 1);
    CHECK(guest_logged(&t.g, "device-writable"));
    CHECK(drv_status(&t.d) & VIRTIO_CONFIG_S_NEEDS_RESET);
    CHECK(!drv_used(&t.d, TX, &id, &len));
    CHECK(guest_fini(&t.g));
}

static void test_input(void)
{
    struct t t;
    uint32_t id, len;
    start(&t, false);
    CHECK_EQ(virtio_console_input(&t.con, "early", 5), 0); /* driver not ready */
    CHECK(guest_fini(&t.g));

    start(&t, true);
    CHECK_EQ(virtio_console_input(&t.con, "none", 4), 0); /* no buffers yet */
    CHECK_EQ(t.g.irqs, 0);
    struct drv_buf b1[] = { { t.buf, 4, true } };
    struct drv_buf b2[] = { { t.buf + 64, 2, true }, { t.buf + 128, 2, true } };
    uint16_t h1 = drv_add(&t.d, RX, b1, 1);
    uint16_t h2 = drv_add(&t.d, RX, b2, 2);
    drv_kick(&t.d, RX);
    CHECK_EQ(ready_calls, 1);
    CHECK_EQ(virtio_console_input(&t.con, "abcdefghij", 10), 8);
    CHECK(memcmp(gptr(&t.g, t.buf), "abcd", 4) == 0);
    CHECK(memcmp(gptr(&t.g, t.buf + 64), "ef", 2) == 0);
    CHECK(memcmp(gptr(&t.g, t.buf + 128), "gh", 2) == 0);
    CHECK_EQ(((char *)gptr(&t.g, t.buf + 130))[0], 0);
    CHECK(drv_used(&t.d, RX, &id, &len));
    CHECK_EQ(id, h1);
    CHECK_EQ(len, 4);
    CHECK(drv_used(&t.d, RX, &id, &len));
    CHECK_EQ(id, h2);
    CHECK_EQ(len, 4);
    CHECK_EQ(t.g.irqs, 1);
    CHECK_EQ(virtio_console_input(&t.con, "ij", 2), 0); /* all buffers used */

    /* A buffer bigger than the input: the used length says how much came. */
    drv_add(&t.d, RX, b1, 1);
    CHECK_EQ(virtio_console_input(&t.con, "z", 1), 1);
    CHECK(drv_used(&t.d, RX, &id, &len));
    CHECK_EQ(len, 1);
    CHECK_EQ(t.g.irqs, 2);
    CHECK_EQ(t.con.rx_bytes, 9);
    CHECK_EQ(t.g.logs, 0);
    CHECK(guest_fini(&t.g));

    /* A device-readable receive buffer breaks the receiveq, not the transmitq. */
    start(&t, true);
    struct drv_buf bad[] = { { t.buf, 4, false } };
    drv_add(&t.d, RX, bad, 1);
    CHECK_EQ(virtio_console_input(&t.con, "abc", 3), 0);
    CHECK(guest_logged(&t.g, "device-readable"));
    CHECK(drv_status(&t.d) & VIRTIO_CONFIG_S_NEEDS_RESET);
    CHECK_EQ(virtio_console_input(&t.con, "abc", 3), 0);
    CHECK_EQ(t.g.logs, 1);
    struct drv_buf ok[] = { { put(&t, 512, "still"), 5, false } };
    drv_add(&t.d, TX, ok, 1);
    drv_kick(&t.d, TX);
    CHECK_EQ(out_len, 5);
    CHECK(guest_fini(&t.g));
}

int main(void)
{
    for (transport = DRV_MMIO; transport < DRV_TRANSPORTS; transport++) {
        printf("transport: %s\n", drv_transport_name(transport));
        ready_calls = 0;
        test_output();
        test_input();
        CHECK_EQ(drv_failures, 0);
    }
    return unit_done("test_virtio_console");
}
