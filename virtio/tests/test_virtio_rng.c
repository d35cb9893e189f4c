// SPDX-License-Identifier: MIT
/*
 * virtio-rng: random bytes into the guest's buffers; a readable buffer breaks the queue. Over
 * each transport.
 */
#include "driver.h"
#include "unit.h"
#include <virtio/rng.h>

#define F_V1 (1ull << VIRTIO_F_VERSION_1)

static unsigned fill_calls;
static uint8_t next_byte = 1;

/* "Random": 1, 2, 3, ... so that the test can check every byte landed where it should. */
static void fill(void *ctx, void *buf, size_t n)
{
    fill_calls++;
    for (size_t i = 0; i < n; i++) {
        ((uint8_t *)buf)[i] = next_byte++;
    }
}

static const struct virtio_rng_backend backend = { .fill = fill };
static enum drv_transport transport; /* the pass main() runs */

static void test_fill(void)
{
    struct fake_guest g;
    struct virtio_rng rng;
    struct drv d;
    guest_init(&g);
    virtio_rng_init(&rng, &g.host, &backend);
    drv_attach(&d, &g, &rng.dev, transport);
    CHECK_EQ(drv_device_id(&d), VIRTIO_ID_RNG);
    drv_start(&d, F_V1, 1, 8);

    uint64_t a = drv_alloc(&d, 16, 1), b = drv_alloc(&d, 32, 1);
    next_byte = 1;
    struct drv_buf bufs[] = { { a, 16, true }, { b, 32, true } };
    uint16_t head = drv_add(&d, 0, bufs, 2);
    drv_kick(&d, 0);
    uint32_t id, len;
    CHECK(drv_used(&d, 0, &id, &len));
    CHECK_EQ(id, head);
    CHECK_EQ(len, 48);
    uint8_t *pa = gptr(&g, a), *pb = gptr(&g, b);
    CHECK_EQ(pa[0], 1);
    CHECK_EQ(pa[15], 16);
    CHECK_EQ(pb[0], 17);
    CHECK_EQ(pb[31], 48);
    CHECK_EQ(g.irqs, 1);
    CHECK_EQ(drv_isr(&d), VIRTIO_ISR_QUEUE); /* read and acknowledged */
    CHECK_EQ(drv_isr(&d), 0);
    CHECK_EQ(rng.bytes, 48);
    CHECK(!drv_used(&d, 0, &id, &len));

    /* A huge request is filled up to VIRTIO_RNG_MAX_REQUEST. */
    uint64_t big = drv_alloc(&d, 2 * VIRTIO_RNG_MAX_REQUEST, 1);
    struct drv_buf huge[] = { { big, 2 * VIRTIO_RNG_MAX_REQUEST, true } };
    drv_add(&d, 0, huge, 1);
    drv_kick(&d, 0);
    CHECK(drv_used(&d, 0, &id, &len));
    CHECK_EQ(len, VIRTIO_RNG_MAX_REQUEST);
    CHECK_EQ(((uint8_t *)gptr(&g, big))[VIRTIO_RNG_MAX_REQUEST], 0);
    CHECK_EQ(g.logs, 0);
    CHECK(guest_fini(&g));
}

static void test_readable_buffer(void)
{
    struct fake_guest g;
    struct virtio_rng rng;
    struct drv d;
    guest_init(&g);
    virtio_rng_init(&rng, &g.host, &backend);
    drv_attach(&d, &g, &rng.dev, transport);
    drv_start(&d, F_V1, 1, 8);

    uint64_t a = drv_alloc(&d, 16, 1);
    struct drv_buf bufs[] = { { a, 16, false } };
    drv_add(&d, 0, bufs, 1);
    unsigned calls = fill_calls;
    drv_kick(&d, 0);
    uint32_t id, len;
    CHECK(!drv_used(&d, 0, &id, &len));
    CHECK_EQ(fill_calls, calls);
    CHECK_EQ(g.logs, 1);
    CHECK(guest_logged(&g, "device-readable"));
    CHECK(drv_status(&d) & VIRTIO_CONFIG_S_NEEDS_RESET);
    CHECK_EQ(drv_isr(&d), VIRTIO_ISR_CONFIG);
    CHECK_EQ(g.irqs, 1);

    /* Broken until reset: a good request is not served. */
    struct drv_buf good[] = { { a, 16, true } };
    drv_add(&d, 0, good, 1);
    drv_kick(&d, 0);
    CHECK(!drv_used(&d, 0, &id, &len));
    CHECK_EQ(g.logs, 1);

    /* After a reset and a new setup the device works again. */
    drv_start(&d, F_V1, 1, 8);
    CHECK_EQ(drv_status(&d) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
    drv_add(&d, 0, good, 1);
    drv_kick(&d, 0);
    CHECK(drv_used(&d, 0, &id, &len));
    CHECK_EQ(len, 16);
    CHECK(guest_fini(&g));
}

int main(void)
{
    for (transport = DRV_MMIO; transport < DRV_TRANSPORTS; transport++) {
        printf("transport: %s\n", drv_transport_name(transport));
        test_fill();
        test_readable_buffer();
        CHECK_EQ(drv_failures, 0);
    }
    return unit_done("test_virtio_rng");
}
