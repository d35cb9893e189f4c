// SPDX-License-Identifier: MIT
/*
 * The virtio-mmio transport: identification registers, access widths, feature negotiation and
 * the status machine, reset, queue setup checks, interrupts and the configuration space. A small
 * test device (two queues, eight bytes of configuration) stands behind the transport.
 */
#include "driver.h"
#include "unit.h"

#define F_V1 (1ull << VIRTIO_F_VERSION_1)
#define S_ACK VIRTIO_CONFIG_S_ACKNOWLEDGE
#define S_DRIVER VIRTIO_CONFIG_S_DRIVER
#define S_FEATURES_OK VIRTIO_CONFIG_S_FEATURES_OK
#define S_DRIVER_OK VIRTIO_CONFIG_S_DRIVER_OK
#define S_NEEDS_RESET VIRTIO_CONFIG_S_NEEDS_RESET

static void dev_init(struct test_dev *dev, struct fake_guest *g, struct drv *d)
{
    test_dev_setup(dev, g);
    drv_init(d, g, &dev->dev);
}

static bool access(struct drv *d, uint64_t offset, unsigned width, bool write, uint64_t *v)
{
    return virtio_mmio_access(d->t, offset, width, write, v);
}

static void test_identity_and_widths(void)
{
    struct fake_guest g;
    struct test_dev dev;
    struct drv d;
    dev_init(&dev, &g, &d);
    CHECK_EQ(drv_rd(&d, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
    CHECK_EQ(drv_rd(&d, VIRTIO_MMIO_VERSION), 2);
    CHECK_EQ(drv_rd(&d, VIRTIO_MMIO_DEVICE_ID), 42);
    CHECK_EQ(drv_rd(&d, VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR);
    CHECK_EQ(drv_rd(&d, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);

    uint64_t v = 123;
    CHECK(!access(&d, VIRTIO_MMIO_MAGIC_VALUE, 1, false, &v)); /* 32-bit registers only */
    CHECK_EQ(v, 0);
    CHECK(!access(&d, VIRTIO_MMIO_MAGIC_VALUE, 2, false, &v));
    CHECK(!access(&d, VIRTIO_MMIO_MAGIC_VALUE, 8, false, &v));
    CHECK(!access(&d, VIRTIO_MMIO_MAGIC_VALUE, 3, false, &v));
    CHECK(!access(&d, 0x001, 4, false, &v));                  /* not a register */
    CHECK(!access(&d, 0x028, 4, false, &v));                  /* legacy GuestPageSize */
    CHECK(!access(&d, VIRTIO_MMIO_WINDOW, 4, false, &v));     /* beyond the window */
    CHECK(!access(&d, ~0ull, 4, false, &v));
    CHECK(!access(&d, VIRTIO_MMIO_QUEUE_SEL, 4, false, &v));  /* write-only */
    v = 7;
    CHECK(!access(&d, VIRTIO_MMIO_MAGIC_VALUE, 4, true, &v)); /* read-only */
    CHECK(!access(&d, VIRTIO_MMIO_STATUS, 1, true, &v));
    CHECK_EQ(drv_status(&d), 0);
    CHECK_EQ(g.logs, 0); /* rejected accesses are the VMM's to report */
    CHECK(guest_fini(&g));
}

static void test_features(void)
{
    struct fake_guest g;
    struct test_dev dev;
    struct drv d;
    dev_init(&dev, &g, &d);
    drv_wr(&d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    CHECK_EQ(drv_rd(&d, VIRTIO_MMIO_DEVICE_FEATURES),
             1u << VIRTIO_RING_F_EVENT_IDX | 1u << VIRTIO_RING_F_INDIRECT_DESC | 1u << 3);
    drv_wr(&d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    CHECK_EQ(drv_rd(&d, VIRTIO_MMIO_DEVICE_FEATURES), 1); /* VERSION_1 is bit 32 */
    drv_wr(&d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
    CHECK_EQ(drv_rd(&d, VIRTIO_MMIO_DEVICE_FEATURES), 0);

    /* A feature the device does not offer: FEATURES_OK does not stick. */
    CHECK(!drv_negotiate(&d, F_V1 | 1ull << 5));
    CHECK(guest_logged(&g, "refused"));
    CHECK_EQ(drv_status(&d), S_ACK | S_DRIVER);
    /* Without VERSION_1 (a legacy driver): refused too. */
    CHECK(!drv_negotiate(&d, 1ull << 3));
    CHECK_EQ(g.logs, 2);
    /* DRIVER_OK without FEATURES_OK is ignored. */
    drv_wr(&d, VIRTIO_MMIO_STATUS, S_ACK | S_DRIVER | S_DRIVER_OK);
    CHECK_EQ(drv_status(&d), S_ACK | S_DRIVER);
    CHECK_EQ(g.logs, 3);

    /* A subset with VERSION_1 is accepted; later feature writes change nothing. */
    CHECK(drv_negotiate(&d, F_V1 | 1ull << 3));
    CHECK(virtio_has(&dev.dev, 3));
    CHECK(virtio_has(&dev.dev, VIRTIO_F_VERSION_1));
    CHECK(!virtio_has(&dev.dev, VIRTIO_RING_F_EVENT_IDX));
    drv_wr(&d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    drv_wr(&d, VIRTIO_MMIO_DRIVER_FEATURES, 0);
    CHECK(virtio_has(&dev.dev, 3));
    CHECK_EQ(g.logs, 4);

    /* The driver may not clear status bits (other than by writing 0). */
    drv_wr(&d, VIRTIO_MMIO_STATUS, S_ACK);
    CHECK_EQ(drv_status(&d), S_ACK | S_DRIVER | S_FEATURES_OK);
    CHECK_EQ(g.logs, 5);
    /* Nor set NEEDS_RESET. */
    drv_wr(&d, VIRTIO_MMIO_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_NEEDS_RESET);
    CHECK_EQ(drv_status(&d), S_ACK | S_DRIVER | S_FEATURES_OK);

    /* Reset: status, features, device state. */
    unsigned resets = dev.resets;
    drv_wr(&d, VIRTIO_MMIO_STATUS, 0);
    CHECK_EQ(drv_status(&d), 0);
    CHECK(!virtio_has(&dev.dev, 3));
    CHECK_EQ(dev.resets, resets + 1);
    CHECK_EQ(g.irqs, 0);
    CHECK(guest_fini(&g));
}

static void test_queue_setup(void)
{
    struct fake_guest g;
    struct test_dev dev;
    struct drv d;
    dev_init(&dev, &g, &d);
    drv_wr(&d, VIRTIO_MMIO_QUEUE_SEL, 1);
    CHECK_EQ(drv_rd(&d, VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTQ_MAX_SIZE);
    drv_wr(&d, VIRTIO_MMIO_QUEUE_SEL, 2); /* no such queue: Linux's probe reads 0 */
    CHECK_EQ(drv_rd(&d, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
    CHECK_EQ(drv_rd(&d, VIRTIO_MMIO_QUEUE_READY), 0);
    drv_wr(&d, VIRTIO_MMIO_QUEUE_NUM, 8);
    CHECK(guest_logged(&g, "does not exist"));
    CHECK_EQ(drv_status(&d) & S_NEEDS_RESET, 0);

    /* Enabling a queue before FEATURES_OK breaks the rules. */
    drv_wr(&d, VIRTIO_MMIO_STATUS, S_ACK | S_DRIVER);
    drv_queue(&d, 0, 8);
    CHECK_EQ(drv_rd(&d, VIRTIO_MMIO_QUEUE_READY), 0);
    CHECK(guest_logged(&g, "before FEATURES_OK"));
    CHECK(drv_status(&d) & S_NEEDS_RESET);
    CHECK_EQ(g.irqs, 0); /* no configuration interrupt before DRIVER_OK */

    /* Bad sizes: not a power of two, too big, zero. */
    static const uint32_t bad_sizes[] = { 3, 2 * VIRTQ_MAX_SIZE, 0, 0x10000 };
    for (unsigned i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
        CHECK(drv_negotiate(&d, F_V1));
        unsigned logs = g.logs;
        drv_wr(&d, VIRTIO_MMIO_QUEUE_SEL, 0);
        drv_wr(&d, VIRTIO_MMIO_QUEUE_NUM, bad_sizes[i]);
        CHECK_EQ(g.logs, logs + 1);
        CHECK(guest_logged(&g, "bad size"));
        CHECK(drv_status(&d) & S_NEEDS_RESET);
    }

    /* Good sizes up to the maximum. */
    CHECK(drv_negotiate(&d, F_V1));
    drv_queue(&d, 0, 1);
    drv_queue(&d, 1, VIRTQ_MAX_SIZE);
    drv_wr(&d, VIRTIO_MMIO_QUEUE_SEL, 0);
    CHECK_EQ(drv_rd(&d, VIRTIO_MMIO_QUEUE_READY), 1);
    drv_wr(&d, VIRTIO_MMIO_QUEUE_SEL, 1);
    CHECK_EQ(drv_rd(&d, VIRTIO_MMIO_QUEUE_READY), 1);
    CHECK_EQ(drv_status(&d) & S_NEEDS_RESET, 0);
    /* Reconfiguring a ready queue is ignored; QueueReady = 0 stops it. */
    unsigned logs = g.logs;
    drv_wr(&d, VIRTIO_MMIO_QUEUE_NUM, 4);
    CHECK_EQ(g.logs, logs + 1);
    CHECK_EQ(dev.queues[1].num, VIRTQ_MAX_SIZE);
    drv_wr(&d, VIRTIO_MMIO_QUEUE_READY, 0);
    CHECK_EQ(drv_rd(&d, VIRTIO_MMIO_QUEUE_READY), 0);
    /* A reset disables every queue. */
    drv_wr(&d, VIRTIO_MMIO_STATUS, 0);
    drv_wr(&d, VIRTIO_MMIO_QUEUE_SEL, 0);
    CHECK_EQ(drv_rd(&d, VIRTIO_MMIO_QUEUE_READY), 0);
    CHECK(guest_fini(&g));
}

/* Points one of queue 0's areas at gpa, enables it, and expects the refusal `why`. */
static void bad_area(uint32_t low_reg, uint64_t gpa, const char *why)
{
    struct fake_guest g;
    struct test_dev dev;
    struct drv d;
    dev_init(&dev, &g, &d);
    CHECK(drv_negotiate(&d, F_V1));
    drv_queue(&d, 0, 8); /* good areas, then one replaced */
    drv_wr(&d, VIRTIO_MMIO_QUEUE_READY, 0);
    drv_wr(&d, low_reg, (uint32_t)gpa);
    drv_wr(&d, low_reg + 4, (uint32_t)(gpa >> 32));
    CHECK_EQ(g.logs, 0);
    drv_wr(&d, VIRTIO_MMIO_QUEUE_READY, 1);
    CHECK_EQ(drv_rd(&d, VIRTIO_MMIO_QUEUE_READY), 0);
    CHECK_EQ(g.logs, 1);
    CHECK(guest_logged(&g, why));
    CHECK(drv_status(&d) & S_NEEDS_RESET);
    /* The queue stays unusable until reset: enabling again does nothing. */
    drv_wr(&d, VIRTIO_MMIO_QUEUE_READY, 1);
    CHECK_EQ(drv_rd(&d, VIRTIO_MMIO_QUEUE_READY), 0);
    CHECK(guest_fini(&g));
}

static void test_queue_areas(void)
{
    bad_area(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000, "outside RAM");
    bad_area(VIRTIO_MMIO_QUEUE_DESC_LOW, RAM_BASE + RAM_SIZE - 16 * 4,
             "outside RAM"); /* straddles the end */
    bad_area(VIRTIO_MMIO_QUEUE_DESC_LOW, RAM_BASE + 8, "misaligned");
    bad_area(VIRTIO_MMIO_QUEUE_DESC_LOW, ~0ull - 15, "outside RAM"); /* wraps around */
    bad_area(VIRTIO_MMIO_QUEUE_AVAIL_LOW, RAM_BASE + RAM_SIZE - 6, "outside RAM");
    bad_area(VIRTIO_MMIO_QUEUE_AVAIL_LOW, RAM_BASE + 1, "misaligned");
    bad_area(VIRTIO_MMIO_QUEUE_USED_LOW, RAM_BASE + 2, "misaligned");
    bad_area(VIRTIO_MMIO_QUEUE_USED_LOW, RAM_BASE + RAM_SIZE - 8 * 8, "outside RAM");
    bad_area(VIRTIO_MMIO_QUEUE_USED_LOW, RAM_BASE + RAM_SIZE, "outside RAM");
}

static void test_notify_and_interrupts(void)
{
    struct fake_guest g;
    struct test_dev dev;
    struct drv d;
    dev_init(&dev, &g, &d);
    CHECK(drv_negotiate(&d, F_V1));
    drv_queue(&d, 0, 8);
    drv_queue(&d, 1, 8);
    drv_kick(&d, 1); /* before DRIVER_OK: not passed on */
    CHECK_EQ(dev.notified[1], 0);
    drv_wr(&d, VIRTIO_MMIO_STATUS, drv_status(&d) | S_DRIVER_OK);
    drv_kick(&d, 1);
    drv_kick(&d, 0);
    drv_kick(&d, 1);
    CHECK_EQ(dev.notified[0], 1);
    CHECK_EQ(dev.notified[1], 2);
    drv_kick(&d, 7);
    CHECK(guest_logged(&g, "notify of queue 7"));
    CHECK_EQ(drv_status(&d) & S_NEEDS_RESET, 0);
    CHECK_EQ(g.irqs, 0);

    /* A device failure after DRIVER_OK: NEEDS_RESET and a configuration interrupt, once. */
    virtio_fail(&dev.dev, "test failure %d", 1);
    CHECK(guest_logged(&g, "virtio-test: test failure 1"));
    CHECK_EQ(g.irqs, 1);
    CHECK_EQ(drv_rd(&d, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
    virtio_fail(&dev.dev, "again");
    CHECK_EQ(g.irqs, 1);
    drv_wr(&d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
    CHECK_EQ(drv_rd(&d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    drv_wr(&d, VIRTIO_MMIO_STATUS, 0);
    CHECK_EQ(drv_status(&d), 0);
    CHECK(guest_fini(&g));
}

static void test_config_space(void)
{
    struct fake_guest g;
    struct test_dev dev;
    struct drv d;
    dev_init(&dev, &g, &d);
    uint64_t v = 0;
    CHECK(access(&d, 0x100, 1, false, &v));
    CHECK_EQ(v, 0x11);
    CHECK(access(&d, 0x101, 2, false, &v));
    CHECK_EQ(v, 0x3322);
    CHECK(access(&d, 0x104, 4, false, &v));
    CHECK_EQ(v, 0x88776655);
    CHECK(access(&d, 0x100, 8, false, &v));
    CHECK_EQ(v, 0x8877665544332211ull);
    CHECK(access(&d, 0x107, 1, false, &v));
    CHECK_EQ(v, 0x88);
    CHECK(!access(&d, 0x106, 4, false, &v)); /* runs past the end */
    CHECK_EQ(v, 0);
    CHECK(!access(&d, 0x108, 1, false, &v));
    CHECK(!access(&d, 0x1ff, 1, false, &v));
    CHECK(!access(&d, 0x101, 8, false, &v));
    v = 0x5a;
    CHECK(access(&d, 0x100, 1, true, &v));
    CHECK_EQ(dev.config[0], 0x5a);
    CHECK(!access(&d, 0x101, 1, true, &v)); /* the device refuses */
    CHECK_EQ(dev.config[1], 0x22);

    /* A change of the device's configuration: generation and (after DRIVER_OK) interrupt. */
    uint32_t gen = drv_rd(&d, VIRTIO_MMIO_CONFIG_GENERATION);
    virtio_config_changed(&dev.dev);
    CHECK_EQ(drv_rd(&d, VIRTIO_MMIO_CONFIG_GENERATION), gen + 1);
    CHECK_EQ(g.irqs, 0);
    CHECK(drv_negotiate(&d, F_V1));
    drv_wr(&d, VIRTIO_MMIO_STATUS, drv_status(&d) | S_DRIVER_OK);
    virtio_config_changed(&dev.dev);
    CHECK_EQ(g.irqs, 1);
    CHECK_EQ(drv_rd(&d, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
    CHECK(guest_fini(&g));
}

/* A guest that keeps breaking the rules cannot flood the VMM's log. */
static void test_log_budget(void)
{
    struct fake_guest g;
    struct test_dev dev;
    struct drv d;
    dev_init(&dev, &g, &d);
    for (unsigned i = 0; i < 10 * VIRTIO_LOG_BUDGET; i++) {
        drv_kick(&d, 99);
    }
    CHECK_EQ(g.logs, VIRTIO_LOG_BUDGET + 1);
    CHECK(guest_logged(&g, "suppressed"));
    CHECK(guest_fini(&g));
}

int main(void)
{
    test_identity_and_widths();
    test_features();
    test_queue_setup();
    test_queue_areas();
    test_notify_and_interrupts();
    test_config_space();
    test_log_budget();
    CHECK_EQ(drv_failures, 0);
    return unit_done("test_virtio_mmio");
}
