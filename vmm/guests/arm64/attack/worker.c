// SPDX-License-Identifier: MIT
/*
 * The well-behaved neighbour of the isolation test: a bare-metal guest that reads its
 * virtio-blk disk (the same read-only test disk the attacker has) every millisecond and checks
 * every byte, from before the attacker (attack.c, in another VM) starts until it is done: the
 * attacker says both over their virtio-net link (see guest.h). Any other frame, a wrong byte or
 * no "done" within WORKER_TIMEOUT seconds is a failure. It powers off with status 0 if all was
 * right. (It sleeps between reads, as an idle system does: a guest that spins keeps its CPU
 * from the root task, which serves the page faults of the VMMs starting beside it.)
 */
#include "vdrv.h"
#include <string.h>

#define WORKER_TIMEOUT 100
#define BLK 0x0a000000ull
#define NET 0x0a000200ull
#define READ_SECTORS 8
#define RX_BUFFERS 8
#define RX_SIZE 2048

static uint8_t ring_mem[2][VDEV_MEM] __attribute__((aligned(4096)));
static uint8_t buf[READ_SECTORS * 512] __attribute__((aligned(4096)));
static uint8_t rx[RX_BUFFERS][RX_SIZE] __attribute__((aligned(4096)));

static struct vdev blk = { BLK, VIRTIO_ID_BLOCK, 1, ring_mem[0], { { 0 } } };
static struct vdev net = { NET, VIRTIO_ID_NET, 2, ring_mem[1], { { 0 } } };

/* Gives receive buffer i to the device. */
static void rx_post(unsigned i)
{
    vq_desc(&net.q[0], i, (uint64_t)(uintptr_t)rx[i], RX_SIZE, VRING_DESC_F_WRITE, 0);
    vq_submit(&net, 0, (uint16_t)i);
}

/* The next signal from the attacker ("start", "done"), "" if none yet, NULL for a bad frame. */
static const char *rx_signal(uint16_t *seen)
{
    struct vq *q = &net.q[0];
    if (vq_used_idx(q) == *seen) {
        return "";
    }
    struct vring_used_elem e = q->used->ring[*seen % q->num];
    (*seen)++;
    static char what[16];
    const uint8_t *eth = rx[e.id % RX_BUFFERS] + VNET_HDR_SIZE;
    size_t n = strlen(GUEST_SIGNAL);
    bool ok = e.id < RX_BUFFERS && e.len > VNET_HDR_SIZE + 14 + n &&
              e.len - VNET_HDR_SIZE - 14 - n < sizeof(what) &&
              eth[12] == GUEST_ETHERTYPE >> 8 && eth[13] == (GUEST_ETHERTYPE & 0xff) &&
              memcmp(eth + 14, GUEST_SIGNAL, n) == 0;
    if (ok) {
        memset(what, 0, sizeof(what));
        memcpy(what, eth + 14 + n, e.len - VNET_HDR_SIZE - 14 - n);
    }
    if (e.id < RX_BUFFERS) {
        rx_post(e.id);
    }
    return ok ? what : NULL;
}

int main(void)
{
    say("worker: reading its disk until the attacker is done\n");
    uint64_t features = 1ull << VIRTIO_F_VERSION_1;
    if (!vd_setup(&blk, features, 8) || !vd_setup(&net, features, 8)) {
        say("FAIL: worker: cannot set up its virtio devices\n");
        return 1;
    }
    for (unsigned i = 0; i < RX_BUFFERS; i++) {
        rx_post(i);
    }
    uint64_t capacity = vd_read(&blk, 0x100) | (uint64_t)vd_read(&blk, 0x104) << 32;
    if (capacity < READ_SECTORS) {
        say("FAIL: worker: disk of %lu sectors\n", (unsigned long)capacity);
        return 1;
    }
    uint64_t freq = counter_freq(), start = counter(), report = start + freq;
    unsigned reads = 0, during = 0, bad = 0;
    uint16_t seen = 0;
    bool started = false, done = false;
    while (!done) {
        if (counter() - start > WORKER_TIMEOUT * freq) {
            say("FAIL: worker: no word from the attacker for %u s\n", WORKER_TIMEOUT);
            return 1;
        }
        uint64_t sector = (reads * 13ull) % (capacity - READ_SECTORS + 1);
        memset(buf, 0, sizeof(buf));
        int status = blk_request(&blk, VIRTIO_BLK_T_IN, sector, (uint64_t)(uintptr_t)buf,
                                 sizeof(buf));
        bool ok = status == VIRTIO_BLK_S_OK;
        for (unsigned i = 0; ok && i < sizeof(buf); i++) {
            ok = buf[i] == disk_byte(sector + i / 512, i % 512);
        }
        if (!ok && bad++ < 4) {
            say("FAIL: worker: read of sector %lu: status %d, data %s\n", (unsigned long)sector,
                status, status == VIRTIO_BLK_S_OK ? "wrong" : "not checked");
        }
        reads++;
        during += started;
        for (const char *w; (w = rx_signal(&seen)) == NULL || *w;) {
            if (w == NULL) {
                say("FAIL: worker: a frame that is not the attacker's signal\n");
                bad++;
            } else if (strcmp(w, "start") == 0 && !started) {
                say("worker: the attacker started (after %u reads)\n", reads);
                started = true;
            } else if (strcmp(w, "done") == 0 && started) {
                say("worker: the attacker is done\n");
                done = true;
            } else {
                say("FAIL: worker: signal \"%s\" out of turn\n", w);
                bad++;
            }
        }
        guest_sleep(freq / 1000);
        if (counter() >= report) {
            say("worker: %u reads\n", reads);
            report += freq;
        }
    }
    if (bad || during == 0 || guest_traps.unexpected) {
        say("FAIL: worker: %u of %u reads or frames wrong, %u reads during the attack\n", bad,
            reads, during);
        return 1;
    }
    say("worker: done, %u reads (%u during the attack), all correct\n", reads, during);
    return 0;
}
